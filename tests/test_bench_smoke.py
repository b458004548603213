"""A tiny run of every benchmark, so the suite cannot rot. No timing is asserted: machines are noisy."""

from __future__ import annotations

import json

from benchmarks.run import main


def test_benchmark_suite_runs_and_reports(tmp_path, capsys):
    out = tmp_path / "latest.json"
    assert main(["--smoke", "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["smoke"] is True and report["machine"]["cores"] >= 1
    by_name = {r["name"]: r for r in report["results"]}
    assert set(by_name) == {"ingest_txt", "ingest_xlsx", "briefing", "batch"}
    for name in ("ingest_txt", "ingest_xlsx", "briefing"):
        r = by_name[name]
        assert r["kit_s"] > 0 and r["baseline_s"] > 0 and r["ratio"] == r["kit_s"] / r["baseline_s"]
    assert by_name["ingest_txt"]["files"] == 20 and by_name["batch"]["briefings"] == 2
    table = capsys.readouterr().out
    assert "goal" in table and "ingest_txt" in table
