"""Indicator meaning as data: each catalog row and indicator says its levels and how it adds up (issue 24)."""

from __future__ import annotations

import csv

import pytest

from cchc_tools.analysis.specs import LevelSpecError, indicator_specs, level_specs, load_level_specs
from cchc_tools.catalog import AGGREGATES, LEVELS, CatalogError, by_code, read_catalog
from cchc_tools.forms import get_form
from cchc_tools.paths import CATALOG_CSV, LEVELS_YAML


def _catalog_with(tmp_path, code: str, **changes: str):
    rows = list(csv.DictReader(CATALOG_CSV.open(encoding="utf-8", newline="")))
    for r in rows:
        if r["code"] == code:
            r.update(changes)
    path = tmp_path / "catalog.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path, next(i for i, r in enumerate(rows, start=2) if r["code"] == code)


def test_every_catalog_row_says_its_levels_and_aggregation():
    for e in by_code().values():
        if e.forms:  # shipped rows (a project's draft rows are said in its own form file)
            assert e.levels and set(e.levels) <= set(LEVELS), e.code
            assert all(kind in AGGREGATES for _, kind in e.aggregate), e.code


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("levels", "", "levels"), ("levels", "commune;huyen", "huyen"), ("aggregate", "", "aggregate"),
    ("aggregate", "average", "average"), ("aggregate", "same; ward=sum", "ward"), ("aggregate", "rate", "not a rate"),
])
def test_a_catalog_row_without_its_meaning_is_refused_naming_line_and_column(tmp_path, column, value, expected):
    path, line = _catalog_with(tmp_path, "III.dossiers_commune_received", **{column: value})
    with pytest.raises(CatalogError) as info:
        read_catalog(path)
    text = str(info.value)
    assert f"catalog.csv:{line}" in text and "III.dossiers_commune_received" in text and column in text
    assert expected in text


def test_aggregation_differs_by_level_where_the_meaning_does():
    cat = by_code()
    # procedures in force: one list per level for communes, each department's own list
    assert cat["III.tthc_in_force"].aggregates("commune") == "same"
    assert cat["III.tthc_in_force"].aggregates("department") == "sum"
    # a commune says whether it is connected itself (0 or 1); a legacy district counted its communes
    assert cat["VII.one_stop_system_communes"].aggregates("commune") == "count_yes"
    assert cat["VII.one_stop_system_communes"].aggregates("district") == "sum"
    assert cat["III.dossiers_commune_on_time"].aggregates("commune") == "sum"
    assert cat["I.initiatives"].aggregates("commune") == "count_yes"


def test_indicators_apply_only_where_their_inputs_do():
    specs = {s["id"]: s for s in indicator_specs()}
    assert specs["dossiers_on_time_all"]["levels"] == ["district"]
    assert "commune" in specs["dossiers_commune_on_time"]["levels"]
    assert "department" not in specs["dossiers_commune_on_time"]["levels"]
    assert specs["satisfaction"]["weight"] == "I.survey_forms"
    cat = by_code()
    for s in specs.values():
        ins = [s["reported"]] if "reported" in s else s["numerator"] + s["denominator"]
        for level in s["levels"]:
            assert all(cat[c].applies_to(level) for c in ins), (s["id"], level)


def test_the_2025_forms_hold_only_rows_of_their_level():
    cat = by_code()
    for name, level in (("commune-2025", "commune"), ("department-2025", "department")):
        assert all(cat[r.code].applies_to(level) for r in get_form(name).rows if r.code in cat), name
    assert "I.inspection_communes" not in get_form("commune-2025").codes  # a commune inspects no commune
    assert "III.dossiers_commune_on_time" not in get_form("department-2025").codes


def test_each_level_leads_with_indicators_it_has():
    levels = level_specs()
    assert set(levels) == set(LEVELS)
    assert levels["commune"]["rank_by"] == "dossiers_commune_on_time"
    specs = {s["id"]: s for s in indicator_specs()}
    for level, spec in levels.items():
        for ident in [spec["rank_by"], *spec["headline"]]:
            assert level in specs[ident]["levels"], (level, ident)


def test_a_level_leading_with_an_indicator_it_cannot_have_is_refused(tmp_path):
    bad = LEVELS_YAML.read_text(encoding="utf-8").replace("rank_by: dossiers_commune_on_time",
                                                           "rank_by: dossiers_on_time_all")
    path = tmp_path / "levels.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(LevelSpecError, match="does not apply to level 'commune'") as info:
        load_level_specs(path)
    assert info.value.key == "rank_by" and info.value.line


def test_every_percent_row_that_adds_up_says_from_what():
    """A percent row declared ``rate`` is recomputed from counts: a rate_matches rule's, or an indicator's weight."""
    from cchc_tools.analysis.checks import shipped_rules

    formulas = {r.as_dict()["rate"] for r in shipped_rules() if r.family == "rate_matches"}
    formulas |= {s["reported"] for s in indicator_specs() if s.get("weight")}
    for e in by_code().values():
        if e.kind == "percent" and any(kind == "rate" for _, kind in e.aggregate):
            assert e.code in formulas, e.code
