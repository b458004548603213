from __future__ import annotations

import pandas as pd

from cchc_tools.cli import main


def test_cchc_load_writes_parquet_and_csv(tmp_path, seed_path, capsys):
    pq, csv = tmp_path / "t.parquet", tmp_path / "t.csv"
    assert main(["load", str(seed_path), "--out", str(pq), "--out", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "files loaded: 1" in out and "matched to the catalog: 204, unmatched: 0" in out
    assert "blank (not reported): 54" in out
    back = pd.read_parquet(pq)
    assert len(back) == 204 and back.loc[back["line"] == 85, "value"].item() == 24407.0
    assert pd.read_csv(csv, encoding="utf-8-sig")["unit_name"].iloc[0] == "thị xã Vĩnh Châu"


def test_cchc_load_reports_failures_and_exits_non_zero(tmp_path, seed_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02garbage" * 50)
    assert main(["load", str(seed_path), str(bad)]) == 1
    captured = capsys.readouterr()
    assert "failed: 1" in captured.out and str(bad) in captured.err and "binary" in captured.err
