"""Every rule fires on crafted input and stays silent on clean input; the seed's real findings."""

from __future__ import annotations

import pandas as pd
import pytest

from cchc_tools.analysis.checks import (
    FAMILIES,
    FINDING_COLUMNS,
    Context,
    Finding,
    agrees,
    note_ratio,
    shipped_rules,
    validate,
)
from cchc_tools.analysis.rules import Rule
from cchc_tools.numbers import fmt_number
from tests.form_fixtures import NEW_DVC, OLD_DVC
from tests.seed_findings import SEED_FINDINGS, SEED_SOURCE

RULES = {r.id: r for r in shipped_rules()}


def setv(df: pd.DataFrame, code: str, value=None, *, raw: str | None = None, uom: str | None = None,
         note: str | None = None) -> pd.DataFrame:
    m = df["code"] == code
    assert m.sum() >= 1, code
    if value is not None or raw is not None:
        df.loc[m, "value"] = float("nan") if value is None else float(value)
        df.loc[m, "raw_value"] = raw if raw is not None else fmt_number(value)
    if uom is not None:
        df.loc[m, "uom"] = uom
    if note is not None:
        df.loc[m, "note"] = note
    return df


@pytest.fixture
def clean(seed_df) -> pd.DataFrame:
    return corrected(seed_df)


def corrected(seed_df: pd.DataFrame) -> pd.DataFrame:
    """The seed with its real inconsistencies corrected by hand."""
    df = seed_df.copy()
    setv(df, "I.plan_tasks", uom="Nhiệm vụ")
    setv(df, "VII.dvc_dossiers_total", uom="Hồ sơ")
    setv(df, "VII.dvc_dossiers_online", uom="Hồ sơ")
    setv(df, "V.discipline", 8, uom="Người")
    setv(df, "IV.sncl", 48)
    setv(df, "VII.edocs_district_electronic", 7840, note="83,63%")
    setv(df, "VII.edocs_district_parallel", note="16,37%")
    setv(df, "VII.certs_leaders_total", 169)
    setv(df, "II.review_required", uom="Văn bản")
    setv(df, "III.dossiers_district_resolved", uom="Hồ sơ")
    setv(df, "VI.sncl_autonomy", uom="Cơ quan, đơn vị")
    return df


def test_clean_input_has_no_findings(clean):
    findings = validate(clean)
    assert findings.empty, findings[["rule", "message_en"]].to_string()


def test_the_seed_findings_match_a_careful_hand_check(seed_df):
    """What an analyst finds by hand in the 2022 Vĩnh Châu appendix (tests/seed_findings.py), and nothing else."""
    f = validate(seed_df)
    assert sorted(zip(f["rule"], f["severity"], f["lines"], strict=True)) == sorted(SEED_FINDINGS)
    assert set(f["source"]) == {SEED_SOURCE}
    edocs = f[f["rule"] == "edocs_district_parts_le_total"].iloc[0]
    assert "9.375 + 1.535 = 10.910" in edocs["message_vi"] and edocs["values"] == "9.375; 1.535; 9.375"
    assert edocs["codes"] == "VII.edocs_district_electronic; VII.edocs_district_parallel; VII.edocs_district_out"
    assert list(f.columns) == FINDING_COLUMNS
    assert (f["title_vi"] == f["rule"].map({r.id: r.title_vi for r in RULES.values()})).all()


def test_agrees_allows_rounding_and_truncation_only():
    assert agrees(99.87, 23826 / 23856 * 100)
    assert agrees(99.60, 100167 / 100564 * 100)  # 99.6052: truncated
    assert agrees(92.59, 25 / 27 * 100)
    assert not agrees(17, 1535 / 9375 * 100)
    assert not agrees(92.6, 25 / 27 * 100 - 0.2)


def test_note_ratio_ignores_dates_and_document_numbers():
    assert note_ratio("Kế hoạch số 02/KH-UBND ngày 19/01/2022") is None
    assert note_ratio("Đã hoàn thành 25/27 nhiệm vụ, còn 02 nhiệm vụ đến ngày 31/12/2022") == (25, 27)
    assert note_ratio("Có 1.200/1.500 hồ sơ") == (1200, 1500)


# --- each rule: fires on crafted input, silent on the clean variant -----------------------------

def _craft(rule: Rule, df: pd.DataFrame, fire: bool) -> pd.DataFrame:
    fam, p = rule.family, rule.params
    if fam == "part_le_whole":
        for c in p["whole"]:
            setv(df, c, 10)
        for i, c in enumerate(p["part"]):
            setv(df, c, (10 * len(p["whole"]) + (1 if fire else 0)) if i == 0 else 0)
    elif fam == "sum_equals":
        setv(df, p["total"], 10)
        for i, c in enumerate(p["parts"]):
            setv(df, c, (11 if fire else 10) if i == 0 else 0)
    elif fam in ("rate_matches", "note_rate"):
        for c in set(p["num"]) | set(p["den"]):
            setv(df, c, 0)
        setv(df, p["num"][0], 1)
        setv(df, p["den"][0], 3)
        if fam == "rate_matches":
            setv(df, p["rate"], 50 if fire else 33.33)
        else:
            setv(df, p["code"], note="50%" if fire else "33,33%")
    else:
        GENERIC[fam](df, fire)
    return df


def _unmatched(df, fire):
    if fire:
        df.loc[df.index[5], "code"] = ""


def _not_number(df, fire):
    setv(df, "I.directive_docs", raw="85.27" if fire else "8.527", value=None if fire else 8527)


def _percent(df, fire):
    setv(df, "III.internal_process_digital_pct", 101 if fire else 100)


def _negative(df, fire):
    setv(df, "I.directive_docs", -2 if fire else 2)


def _fractional(df, fire):
    setv(df, "I.directive_docs", 2.5 if fire else 2)


def _codelist(df, fire):
    setv(df, "I.survey_mode", 3 if fire else 2)
    setv(df, "I.awards", 1)


def _uom_mismatch(df, fire):
    setv(df, "IV.civil_quota", uom="%" if fire else "người")
    setv(df, "III.tthc_new", uom="TTHC")  # a synonym: never reported
    setv(df, "I.awards", uom="Có = 1, Không = 0")


def _uom_missing(df, fire):
    setv(df, "IV.civil_quota", uom="" if fire else "Người")


def _required(df, fire):
    if fire:
        setv(df, "III.dossiers_commune_resolved", raw="", value=None)


def _missing_rows(df, fire):
    if fire:
        df.loc[df["code"] == "II.review_done", "code"] = "X.gone"


def _duplicate_code(df, fire):
    if fire:
        df.loc[df["code"] == "I.initiatives", "code"] = "I.awards"


def _metadata(df, fire):
    if fire:
        df["year"] = pd.array([pd.NA] * len(df), dtype="Int64")


def _note_ratio(df, fire):
    setv(df, "I.survey_satisfaction_pct", 100, note="80/81 phiếu" if fire else "81/81 phiếu")


def _form_poor_fit(df, fire):
    df["form_score"] = 61.5 if fire else 97.0


def _unit_unresolved(df, fire):
    if fire:
        df["unit_name"], df["unit_code"] = "thị xã Vĩnh Chau Mới", ""


GENERIC = {
    "form_poor_fit": _form_poor_fit, "unit_unresolved": _unit_unresolved,
    "unmatched_row": _unmatched, "value_not_number": _not_number, "percent_range": _percent,
    "count_negative": _negative, "count_fractional": _fractional, "codelist_value": _codelist,
    "uom_mismatch": _uom_mismatch, "uom_missing": _uom_missing, "required_blank": _required,
    "missing_rows": _missing_rows, "duplicate_code": _duplicate_code, "metadata_missing": _metadata,
    "note_ratio": _note_ratio,
}


def _with_second_report(df, fire):
    other = df.copy()
    other["source"] = "other.txt"
    if not fire:
        other["year"] = pd.array([2023] * len(other), dtype="Int64")
    return pd.concat([df, other], ignore_index=True)


def crafted(clean: pd.DataFrame, rule: Rule, fire: bool) -> pd.DataFrame:
    """The clean seed made to fire ``rule`` (or kept silent for it)."""
    df = clean.copy()
    named = {c for v in rule.params.values() if isinstance(v, list | tuple) for c in v if isinstance(c, str)}
    if named & set(NEW_DVC):  # a rule on the online services in NĐ 42/2022 terms: the same rows, read as 2023's form
        df = df.assign(code=df["code"].replace(dict(zip(OLD_DVC, NEW_DVC, strict=True))), form="district-2023")
    if rule.family == "duplicate_report":
        return _with_second_report(df, fire)
    return _craft(rule, df, fire)


@pytest.mark.parametrize("rule_id", sorted(RULES))
@pytest.mark.parametrize("fire", [True, False])
def test_rule(clean, rule_id, fire):
    rule = RULES[rule_id]
    findings = validate(crafted(clean, rule, fire))
    hit = findings[findings["rule"] == rule_id]
    if fire:
        assert len(hit) >= 1, f"{rule_id} did not fire"
        row = hit.iloc[0]
        assert row["severity"] == rule.severity and row["message_vi"] and row["message_en"]
        assert row["title_vi"] == rule.title_vi
    else:
        assert hit.empty, hit["message_en"].tolist()


def test_every_family_is_exercised_by_a_shipped_rule():
    """test_rule runs every shipped rule, firing and silent: so every registered family is covered."""
    assert {r.family for r in RULES.values()} == set(FAMILIES)


def test_a_rule_yields_named_records_with_lines_ascending(clean):
    rule = RULES["plan_done_le_planned"]
    _craft(rule, clean, True)
    found = list(rule.run(Context(clean)))
    assert len(found) == 1 and isinstance(found[0], Finding)
    f = found[0]
    assert (f.rule, f.severity, f.title_vi) == ("plan_done_le_planned", "error", rule.title_vi)
    assert (f.codes, f.values) == ("I.plan_tasks_done; I.plan_tasks", "11; 10")  # part, then whole
    line = clean.set_index("code")["line"]
    assert line["I.plan_tasks"] < line["I.plan_tasks_done"]
    assert f.lines == f"{line['I.plan_tasks']}; {line['I.plan_tasks_done']}"


def test_part_le_whole_skips_blanks(clean):
    setv(clean, "I.plan_tasks", raw="", value=None)
    setv(clean, "I.plan_tasks_done", 99)
    assert "plan_done_le_planned" not in set(validate(clean)["rule"])


def test_rows_a_level_does_not_have_are_neither_required_nor_missing(clean):
    """A commune has no district People's Committee: its blank district rows are not findings."""
    commune = clean.copy()
    commune["level"] = "commune"
    district_rows = commune["code"].str.startswith("III.dossiers_district")
    commune = commune[~district_rows]
    rules = set(validate(commune)["rule"])
    assert "required_blank" not in rules and "missing_rows" not in rules
    district = clean[~clean["code"].str.startswith("III.dossiers_district")]
    assert {"required_blank", "missing_rows"} <= set(validate(district)["rule"])
