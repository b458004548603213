"""The column-wise checks (issue 28) give every finding of the per-finding checks they replaced
(``tests/checks_reference.py``): every column, in the same order, with the same dtypes. On the bundled appendix
(alone, with PDF pages, shuffled, as many copies), both demos (2022 district, 2026 province with its own rules
and forms), the fuzz corpus, and the crafted cases of every rule family, firing and silent."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from cchc_tools.analysis.checks import FINDING_COLUMNS, Context, Finding, Found, validate
from cchc_tools.analysis.indicators import wide
from cchc_tools.analysis.rules import Rule
from cchc_tools.catalog import entries
from tests import checks_reference
from tests import fuzz_appendix as fuzz
from tests.checks_reference import validate_reference
from tests.test_checks import RULES, corrected, crafted, setv


def _same(df: pd.DataFrame, **kw) -> pd.DataFrame:
    fast, slow = validate(df, **kw), validate_reference(df, **kw)
    assert list(fast.columns) == FINDING_COLUMNS
    pd.testing.assert_frame_equal(fast, slow, check_dtype=True)
    return fast


def _as_source(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.assign(source=name)


@pytest.fixture(scope="module")
def clean(seed_df) -> pd.DataFrame:
    return corrected(seed_df)


# --- the bundled appendix -----------------------------------------------------------------------------------

def test_the_bundled_appendix(seed_df):
    found = _same(seed_df)
    assert len(found) >= 6 and {"error", "warning", "info"} >= set(found["severity"])


def test_many_copies_some_of_one_unit_and_period(seed_df):
    """Copies of the appendix: three of one unit, year and period (each a duplicate of the other two), others
    of other years or units, one without a year, one whose unit has no name, rows in no order."""
    copies = []
    for i in range(9):
        df = _as_source(seed_df, f"copy-{i}.txt")
        if i in (3, 4):
            df = df.assign(year=pd.array([2023] * len(df), dtype="Int64"))
        if i in (5, 6):
            df = df.assign(unit=f"unit-{i}", unit_name=f"Thị xã Vĩnh Chau {i}", unit_code="")
        if i == 7:
            df = df.assign(year=pd.array([pd.NA] * len(df), dtype="Int64"))
        if i == 8:
            df = df.assign(unit_name="", year=pd.array([pd.NA] * len(df), dtype="Int64"))
        copies.append(df)
    table = pd.concat(copies, ignore_index=True)
    found = _same(table)
    assert (found["rule"] == "duplicate_report").sum() == 3 + 2 + 2  # the two without a year are alike too
    assert {"metadata_missing", "unit_unresolved"} <= set(found["rule"])
    shuffled = table.sample(frac=1, random_state=28)
    shuffled.index = np.arange(len(shuffled))[::-1] * 7
    pd.testing.assert_frame_equal(_same(shuffled), found)


def test_a_pdf_gives_each_finding_its_pages(clean):
    """Rows read from a PDF: ``pages`` per finding, and the place of a duplicated row in its message."""
    df = clean.copy()
    df["page"] = (df["line"] // 40 + 1).astype("int64")
    setv(df, "I.plan_tasks_done", 99)
    df.loc[df["code"] == "I.initiatives", "code"] = "I.awards"
    setv(df, "IV.civil_quota", uom="%")
    found = _same(df)
    assert (found["pages"] != "").any() and found["message_vi"].str.contains("trang ").any()


def test_odd_tables(clean):
    """Codes of another catalog version, blank and missing lines, empty cells as NaN, text in number columns."""
    df = setv(clean.copy(), "I.plan_tasks_done", 99)
    df.loc[df.index[100:104], "code"] = "X.gone"
    df.loc[df.index[110:114], "line"] = np.nan
    df.loc[df.index[120:124], ["uom", "note", "label"]] = np.nan
    df = df.astype({"line": object, "value": object})
    df.loc[df.index[130], "value"] = "n/a"
    found = _same(df)
    assert {"unmatched_row", "plan_done_le_planned"} <= set(found["rule"])
    assert _same(df.iloc[:0]).empty and _same(clean).empty


# --- every rule family, crafted -----------------------------------------------------------------------------

@pytest.mark.parametrize("fire", [True, False])
def test_every_rule_crafted_one_report_each(clean, fire):
    for rule_id, rule in RULES.items():
        found = _same(crafted(clean, rule, fire))
        assert (rule_id in set(found["rule"])) == fire, rule_id


def test_every_rule_crafted_in_one_table(clean):
    """The crafted reports of every rule, firing and silent, as the sources of one table."""
    parts = [crafted(clean, rule, fire).assign(source=lambda d, i=rule_id, f=fire: f"{i}-{f}/" + d["source"])
             for rule_id, rule in RULES.items() for fire in (True, False)]
    found = _same(pd.concat(parts, ignore_index=True))
    assert set(RULES) <= set(found["rule"])


def test_more_findings_of_each_kind(clean):
    """Several findings of one rule in one report, ties on a line, sums with some parts blank, notes."""
    df = clean.copy()
    for code in ("I.directive_docs", "I.plan_tasks", "II.legal_docs_issued"):
        setv(df, code, raw="85.27", value=None)
    setv(df, "V.discipline_district_leaders", raw="", value=None)
    setv(df, "V.discipline", 1)
    setv(df, "VII.edocs_district_electronic", 7840, note="12,5% và 3/4 số văn bản")
    setv(df, "I.survey_satisfaction_pct", 99.6, note="80/81 phiếu")
    setv(df, "III.internal_process_digital_pct", -1)
    df.loc[df["code"] == "I.initiatives", ["code", "line"]] = ["I.awards", float(df["line"].max() + 1)]
    df.loc[df["code"] == "II.review_done", "line"] = float(df.loc[df["code"] == "II.review_required", "line"].iloc[0])
    found = _same(df)
    assert (found["rule"] == "value_not_number").sum() == 3


def test_a_rule_yielding_records(clean):
    """A family that yields Finding records one by one (as every family did before) keeps working."""
    def records(rule, ctx):
        r = 0
        yield Finding(*ctx.key(r), rule.id, rule.severity, rule.title_vi, "vi", "en", "I.plan_tasks", "1",
                      ctx.lines_of(r, ["I.plan_tasks"]))

    own = Rule("own", "own", "info", "Riêng", "", {}, "here", 1, records)
    found = validate(clean, rules=[own])
    assert found[["rule", "message_vi", "lines"]].values.tolist() == [
        ["own", "vi", str(int(clean.loc[clean["code"] == "I.plan_tasks", "line"].iloc[0]))]]
    rule = RULES["plan_done_le_planned"]
    assert isinstance(rule.run(Context(clean)), Found) and list(rule.run(Context(clean))) == []


# --- the demos and the fuzz corpus --------------------------------------------------------------------------

def test_the_2022_district_demo(tmp_path):
    from cchc_tools import load_appendices
    from cchc_tools.demo import generate

    table = load_appendices(generate(tmp_path / "demo", units=12, years=[2021, 2022])).table
    found = _same(table)
    assert table["source"].nunique() == 24 and not found.empty


def test_the_2026_province_demo(tmp_path):
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project
    from tests.demo2026 import make_project

    proj = make_project(tmp_path, periods=("2025-Q4", "2026-Q1"), units=6, departments=2, with_2022=True)
    project = load_project(proj.root, env={})
    table = computed(project).table
    found = _same(table, rules=project.rules, province=project.province, forms=project.forms)
    assert len(found) > 10 and found["year"].nunique() >= 2 and found["rule"].nunique() >= 5


def test_the_fuzz_corpus(tmp_path):
    from cchc_tools import load_appendices

    lines = fuzz._seed_lines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("THỨ TỰ"))
    rng = random.Random(28)
    paths = []
    for n in range(120):
        path = tmp_path / f"fuzz-{n:03d}.txt"
        path.write_bytes(fuzz.mutate(lines, header_at, rng).data)
        paths.append(path)
    result = load_appendices(paths)
    found = _same(result.table)
    assert result.table["source"].nunique() > 80
    assert (found["rule"] == "value_not_number").sum() > 100


# --- the matrices the checks run on -------------------------------------------------------------------------

def test_wide_is_the_reference_wide(seed_df, clean):
    table = pd.concat([_as_source(seed_df, f"s{i}.txt") for i in range(4)] + [clean], ignore_index=True)
    table["year"] = table["year"].mask(table["source"].isin(["s1.txt", "s3.txt"]))  # a missing year
    table.loc[table.index[5], "code"] = table.loc[table.index[6], "code"]  # a duplicate
    for t in (table, table.sample(frac=1, random_state=1), table.iloc[::-1]):
        new, old = wide(t, entries()), checks_reference.wide(t, entries())
        pd.testing.assert_frame_equal(new.table, old.table)
        pd.testing.assert_frame_equal(new.keys, old.keys)
        assert np.array_equal(new.V, old.V, equal_nan=True) and np.array_equal(new.L, old.L, equal_nan=True)
        assert (new.report == old.report).all() and (new.code_idx == old.code_idx).all()
        assert new.duplicates == old.duplicates and len(new.duplicates) > 0
        assert new.column("form", "") == old.column("form", "")


@pytest.mark.parametrize("sort_below", [0, 10**9])
def test_distinct_rows_are_equal_bit_for_bit(monkeypatch, sort_below):
    """Both ways of finding distinct rows (hashing columns for many rows, sorting rows for few) group exactly the
    rows that are equal bit for bit: NaNs alike, -0.0 apart from 0.0."""
    from cchc_tools.analysis import checks

    monkeypatch.setattr(checks, "_SORT_BELOW", sort_below)
    rng = np.random.default_rng(28)
    pool = np.array([0.0, -0.0, 1.0, 2.5, np.nan, 1e15, -3.0])
    a, b = pool[rng.integers(0, len(pool), 5000)], pool[rng.integers(0, len(pool), (5000, 3))]
    first, inverse = checks._distinct(a, b)
    rows = np.column_stack([a, b]).view(np.int64)  # the bits
    assert len(inverse) == 5000 and 50 < len(first) < 5000
    assert (inverse[first] == np.arange(len(first))).all()  # each distinct row's first position is its own
    assert (rows == rows[first][inverse]).all()  # every row is bit for bit its distinct row
    assert len({tuple(r) for r in rows}) == len(first)  # and distinct rows differ
