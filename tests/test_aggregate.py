"""Every consolidated row adds up as its catalog row declares (issue 24): five Q1 2026 communes and wards."""

from __future__ import annotations

import math

import pytest
from openpyxl import load_workbook

from cchc_tools.analysis.aggregate import total_row
from cchc_tools.catalog import by_code
from tests.demo2026 import make_project


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    proj = make_project(tmp_path_factory.mktemp("aggregate"), periods=("2026-Q1",), units=5, departments=0)
    return computed(load_project(proj.root, env={}))


@pytest.fixture(scope="module")
def written(five, tmp_path_factory):
    from cchc_tools.cycle.appendix import consolidated_appendix, write_appendix

    app = consolidated_appendix(five.table, five.findings, 2026, "Q1", "commune")
    path = write_appendix(app, tmp_path_factory.mktemp("app"), ("xlsx",))[0]
    return app, load_workbook(path)


def _read_back(wb):
    """code -> (value, note) of the appendix sheet, and code -> [(value, counted)] of the inputs sheet."""
    main = wb["Phụ lục tổng hợp"]
    rows = {}
    for r in main.iter_rows(min_row=7, values_only=True):
        if r[5]:
            rows[r[5]] = (r[3], r[4] or "")
    inputs: dict[str, list] = {}
    for r in wb["Số liệu từng đơn vị"].iter_rows(min_row=2, values_only=True):
        inputs.setdefault(r[0], []).append((r[4], r[5] == "có", r[6] or ""))
    return rows, inputs


def test_every_row_of_the_five_communes_adds_up_by_its_declared_rule(five, written):
    app, wb = written
    assert len(app.units) == 5 and app.level == "commune"
    rows, inputs = _read_back(wb)
    cat = by_code()
    seen = set()
    for code, (value, note) in rows.items():
        e = cat.get(code)
        if e is None or e.kind in ("group", "text"):
            continue
        how = e.aggregates("commune")
        seen.add(how)
        figures = [v for v, _, why in inputs.get(code, []) if v is not None and not why.startswith("số liệu có lỗi")]
        if how == "sum":
            assert value == (sum(figures) if figures else None), code
        elif how == "same":
            assert value is None or len(set(figures)) == 1 and value == figures[0], code
            if len(figures) > 1:
                assert value != sum(figures) and "không cộng" in note, code
        elif how == "count_yes":
            if e.kind == "flag":
                assert value is None and (not figures or "đơn vị" in note), code
            else:  # a count a commune gives about itself: how many said yes, never the sum
                assert value == sum(1 for v in figures if v > 0), code
                assert f"/{len(figures)} đơn vị" in note, code
        elif how == "none":
            assert value is None, code
        elif how == "rate":
            assert value is not None and 0 <= value <= 100, code
            assert "Tính lại" in note or "Bình quân" in note, code
    assert {"sum", "same", "count_yes", "rate", "none"} <= seen


def test_procedures_in_force_are_the_province_list_not_five_times_it(five, written):
    app, wb = written
    rows, inputs = _read_back(wb)
    per_unit = [v for v, _, _ in inputs["III.tthc_in_force"] if v is not None]
    assert len(per_unit) == 5 and len(set(per_unit)) == 1  # the demo's communes share the province's list
    assert rows["III.tthc_in_force"][0] == per_unit[0] != sum(per_unit)
    assert rows["III.tthc_in_force_commune"][0] <= rows["III.tthc_in_force"][0]  # its sub-row never above it


def test_satisfaction_is_recomputed_from_the_survey_forms(five, written):
    app, _ = written
    t = five.table[five.table["source"].isin(five.table.loc[five.table["level"] == "commune", "source"])]
    v = t.drop_duplicates(["source", "code"]).pivot(index="source", columns="code", values="value")
    both = v[["I.survey_satisfaction_pct", "I.survey_forms"]].dropna()
    expected = (both["I.survey_satisfaction_pct"] * both["I.survey_forms"]).sum() / both["I.survey_forms"].sum()
    assert app.value("I.survey_satisfaction_pct") == pytest.approx(round(expected, 2))


def test_consolidate_follows_the_same_rules_as_the_appendix(five, written):
    from cchc_tools.analysis.assess import consolidate

    app, _ = written
    totals = consolidate(five.table, ind=five.ind, findings=five.findings).totals
    tot = totals[(totals["level"] == "commune") & (totals["period"] == "Q1")].set_index("code")
    for code in ("III.tthc_in_force", "VII.one_stop_system_communes", "III.dossiers_commune_received"):
        assert tot.loc[code, "aggregate"] == by_code()[code].aggregates("commune")
    assert tot.loc["III.tthc_in_force", "value"] == app.value("III.tthc_in_force")
    yes = tot.loc["VII.one_stop_system_communes"]
    assert yes["value"] == yes["yes"] <= yes["units_reported"]


def test_a_total_row_names_what_it_left_out_and_never_sums_a_list():
    names = {"a": "xã A", "b": "xã B", "c": "xã C"}
    same = total_row("III.tthc_in_force", "same", {"a": 120, "b": 118, "c": 120}, names)
    assert math.isnan(same.value) and (same.low, same.high) == (118, 120)
    assert "từ 118 đến 120" in same.note("count")
    yes = total_row("VII.one_stop_system_communes", "count_yes", {"a": 1, "b": 0, "c": None}, names)
    assert (yes.value, yes.yes, yes.units_reported) == (1, 1, 2) and "1/2 đơn vị" in yes.note("count")
    summed = total_row("III.dossiers_commune_received", "sum", {"a": 10, "b": 5, "c": 7}, names,
                       {"b": "số liệu có lỗi L1"})
    assert summed.value == 17 and "không tính: xã B (số liệu có lỗi L1)" in summed.note("count")
    everyone_out = total_row("III.dossiers_commune_received", "sum", {"a": 1}, {"a": "xã A"},
                             {"a": "số liệu có lỗi L2"})
    assert math.isnan(everyone_out.value) and "không tính: xã A" in everyone_out.note("count")  # never a bare blank
