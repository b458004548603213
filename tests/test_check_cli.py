"""`cchc check`: exit status, formats, and a province's own rules file (--rules)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from cchc_tools.cli import main
from tests.seed_findings import SEED_FINDINGS, count
from tests.test_rules import GOOD_RULE, write


def test_cchc_check_exit_status_and_formats(seed_path, capsys, monkeypatch):
    monkeypatch.setenv("CCHC_LANG", "vi")  # the analyst's default: every word Vietnamese
    assert main(["check", str(seed_path)]) == 1  # the seed has an error-level finding
    out = capsys.readouterr()
    assert f"[lỗi] {count('error')}" in out.out and "9.375 + 1.535 = 10.910" in out.out
    assert "Văn bản điện tử cấp huyện vượt tổng số văn bản đi" in out.out  # titles, not rule ids
    assert main(["check", str(seed_path), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["findings"]) == len(SEED_FINDINGS) and payload["load_errors"] == []
    assert payload["findings"][0]["title_vi"]
    assert main(["check", str(seed_path), "--format", "csv"]) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("source,unit,year,period,rule,severity,title_vi")


def test_cchc_check_clean_file_exits_zero(tmp_path, seed_text, capsys):
    fixed = (seed_text.replace("\t- Số lượng văn bản được gửi hoàn toàn dưới dạng điện tử và song song với văn bản "
                               "giấy\tVăn bản\t1.535\t17%", "\t- Số lượng văn bản được gửi hoàn toàn dưới dạng điện "
                               "tử và song song với văn bản giấy\tVăn bản\t0\t"))
    p = tmp_path / "fixed.txt"
    p.write_text(fixed, encoding="utf-8")
    assert main(["check", str(p)]) == 0
    assert "[lỗi]" not in capsys.readouterr().out


@pytest.mark.parametrize(("change", "key"), [
    (("family: part_le_whole", "family: part_less_whole"), "family"),
    (("  whole:", "  hole:"), "hole"),
    (("V.training_done", "V.trainig_done"), "part"),
], ids=["family", "key", "code"])
def test_cchc_check_refuses_a_misspelled_rules_file(seed_path, tmp_path, capsys, change, key):
    path = write(tmp_path, GOOD_RULE.replace(*change))
    assert main(["check", str(seed_path), "--rules", str(path)]) not in (0, 1)
    err = capsys.readouterr().err
    assert str(path) in err and "'training_le_plan'" in err and f"key '{key}'" in err


def test_cchc_check_with_province_rules_shows_their_findings(seed_path, tmp_path, capsys):
    mine = write(tmp_path, GOOD_RULE)
    override = write(tmp_path, """\
        - id: uom_missing
          family: uom_missing
          severity: warning
          title_vi: Thiếu đơn vị tính
          doc: This province wants every unit written; a warning, not info.
        """, "override.yaml")
    assert main(["check", str(seed_path), "--rules", str(mine), "--rules", str(override), "--format", "csv"]) == 1
    out = capsys.readouterr()
    f = pd.read_csv(io.StringIO(out.out), keep_default_na=False)
    assert f.loc[f["rule"] == "training_le_plan", "title_vi"].tolist() == ["Số người được đào tạo vượt kế hoạch"]
    assert set(f.loc[f["rule"] == "uom_missing", "severity"]) == {"warning"}
    assert len(f) == len(SEED_FINDINGS) + 1
    assert "notice:" in out.err and "'uom_missing' overrides" in out.err and str(override) in out.err
