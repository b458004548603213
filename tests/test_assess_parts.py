"""The parts of ``assess`` and ``consolidate`` (issue 28): ``assess`` is :func:`assess_reports` (each report on its
own) then :func:`rank_and_change` (across reports), a report's own rows do not depend on the other reports, and the
whole-column ``consolidate`` holds every row of the per-group one it replaced, on the 2026 province demo and the
2022 district demo."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pytest

from cchc_tools.analysis.assess import (
    GROUP,
    Consolidated,
    _doubt_frame,
    assess,
    assess_reports,
    consolidate,
    rank_and_change,
)
from cchc_tools.analysis.checks import shipped_rules, validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.analysis.selection import reports
from cchc_tools.analysis.specs import indicator_inputs, indicator_specs
from cchc_tools.forms import KIT_FORMS, Forms
from tests.demo2026 import make_project

# --- the reference: consolidate as it was, one pandas group at a time ---------------------------------------

def _names_reference(frame: pd.DataFrame) -> str:
    """``huyện Minh Họa 03; huyện Minh Họa 07``: the units of some rows, each once, in order."""
    names = [n or u for n, u in zip(frame["unit_name"], frame["unit"], strict=True)]
    return "; ".join(dict.fromkeys(names))



def consolidate_reference(table: pd.DataFrame, *, ind: pd.DataFrame | None = None,
                          findings: pd.DataFrame | None = None, rules: Iterable[Rule] | None = None,
                          forms: Forms | None = None) -> Consolidated:
    """The per-group ``consolidate`` the kit had before issue 28's second step, kept as the reference."""
    forms = forms or KIT_FORMS
    ind = indicators(table, forms) if ind is None else ind
    rules = shipped_rules() if rules is None else tuple(rules)
    findings = validate(table, rules=rules, forms=forms) if findings is None else findings
    doubt = _doubt_frame(findings, rules)
    questioned = pd.MultiIndex.from_frame(doubt.loc[doubt["severity"] == "error", ["source", "code"]])
    cat = forms.by_code()
    rows = table[table["code"].isin({c for c, e in cat.items() if e.kind in ("count", "flag")})]
    rows = rows.drop_duplicates(["source", "code"])
    bad = pd.Series(pd.MultiIndex.from_arrays([rows["source"], rows["code"]]).isin(questioned),
                    index=rows.index, dtype=bool)
    reports = table.drop_duplicates("source")
    n_units = reports.groupby(GROUP, dropna=False)["source"].size().rename("units")
    good = rows[~bad].assign(yes=lambda d: (d["value"] > 0) & d["value"].notna())
    g = good.groupby(GROUP + ["code"], dropna=False, sort=False)
    totals = pd.DataFrame({"sum": g["value"].sum(min_count=1), "units_reported": g["value"].count(),
                           "low": g["value"].min(), "high": g["value"].max(), "yes": g["yes"].sum()})
    left = {k: grp for k, grp in rows.loc[bad, GROUP + ["code", "unit", "unit_name"]].astype(
        {c: object for c in ["period", "level", "code", "unit", "unit_name"]}).groupby(
        GROUP + ["code"], dropna=False, sort=False)}
    totals = totals.reset_index()
    keys = list(zip(*(totals[c] for c in GROUP + ["code"]), strict=True))
    missing = [k for k in left if k not in set(keys)]  # a row every unit's figure of is questioned
    if missing:
        totals = pd.concat([totals, pd.DataFrame([[*k, math.nan, 0, math.nan, math.nan, 0] for k in missing],
                                                 columns=GROUP + ["code", "sum", "units_reported", "low", "high",
                                                                  "yes"])], ignore_index=True)
        keys += missing
    # each row adds up as it declares for the level (analysis.aggregate): only a "sum" row is a sum
    totals["aggregate"] = [cat[c].aggregates(lv if isinstance(lv, str) else "")
                           for c, lv in zip(totals["code"], totals["level"], strict=True)]
    totals["yes"] = totals["yes"].fillna(0).astype(int)
    totals["value"] = np.select(
        [totals["aggregate"] == "sum", totals["aggregate"] == "count_yes",
         (totals["aggregate"] == "same") & (totals["low"] == totals["high"])],
        [totals["sum"], totals["yes"].where(totals["units_reported"] > 0), totals["low"]], default=math.nan)
    totals["units_excluded"] = [len(left[k]) if k in left else 0 for k in keys]
    totals["excluded"] = [_names_reference(left[k]) if k in left else "" for k in keys]
    totals["units_reported"] = totals["units_reported"].fillna(0).astype(int)
    totals = totals.join(n_units, on=GROUP)
    order = {c: i for i, c in enumerate(cat)}
    totals["label_vi"] = totals["code"].map(lambda c: cat[c].label_vi)
    totals = totals.sort_values(GROUP + ["code"], key=lambda s: s.map(order) if s.name == "code" else s,
                                kind="stable").reset_index(drop=True)
    totals = totals[GROUP + ["code", "label_vi", "aggregate", "value", "units_reported", "units", "low", "high",
                             "yes", "units_excluded", "excluded"]]

    specs = {s["id"]: s for s in indicator_specs()}

    def inputs(ident: str) -> list[str]:
        s = specs[ident]
        return indicator_inputs(s) + ([s["weight"]] if s.get("weight") else [])

    have = ind[ind["value"].notna()].copy()
    # a rate the unit reports adds up weighted by the count it is a share of (satisfaction by survey forms)
    weights = {s["weight"]: s["id"] for s in specs.values() if s.get("weight")}
    if weights:
        w = table[table["code"].isin(list(weights))].drop_duplicates(["source", "code"])
        weight_of = {(weights[c], src): v for src, c, v in zip(w["source"], w["code"], w["value"], strict=True)}
        weighted = have["indicator"].isin(list(weights.values()))
        wv = pd.Series([weight_of.get((i, s), math.nan) for i, s in
                        zip(have["indicator"], have["source"], strict=True)], index=have.index, dtype=float)
        scale = pd.Series([specs[i].get("scale", 100) for i in have["indicator"]], index=have.index, dtype=float)
        have.loc[weighted, "numerator"] = (have["value"] * wv / scale)[weighted]
        have.loc[weighted, "denominator"] = wv[weighted]
    pairs = pd.DataFrame([(i, c) for i in specs for c in inputs(i)], columns=["indicator", "code"])
    asked = have[["source", "indicator"]].assign(_row=np.arange(len(have))).merge(pairs, on="indicator")
    hit = asked.loc[pd.MultiIndex.from_arrays([asked["source"], asked["code"]]).isin(questioned), "_row"]
    doubtful = pd.Series(np.isin(np.arange(len(have)), hit.to_numpy()), index=have.index, dtype=bool)
    # only what the totals below read, as plain objects: each group is sliced from these
    have = have[GROUP + ["indicator", "name_vi", "value", "numerator", "denominator", "unit", "unit_name"]]
    have = have.astype({c: object for c in ["period", "level", "indicator", "name_vi", "unit", "unit_name"]})
    rows = []
    for (year, period, level, ident), grp in have.groupby(GROUP + ["indicator"], dropna=False, sort=False):
        if isinstance(level, str) and level and level not in specs[ident]["levels"]:
            continue  # an indicator the level does not have (the district's dossiers on a commune's form)
        out, grp = grp[doubtful.loc[grp.index]], grp[~doubtful.loc[grp.index]]
        if grp.empty:
            rows.append([year, period, level, ident, out["name_vi"].iloc[0], math.nan, math.nan, math.nan, 0,
                         math.nan, math.nan, math.nan, len(out), _names_reference(out)])
            continue
        value = num = den = math.nan
        if specs[ident]["aggregate"] == "rate":  # recomputed from the summed counts, never an average of rates
            both = grp[grp["numerator"].notna() & grp["denominator"].notna()]
            num, den = both["numerator"].sum(min_count=1), both["denominator"].sum(min_count=1)
            scale = specs[ident].get("scale", 100)
            value = num / den * scale if pd.notna(num) and pd.notna(den) and den > 0 else math.nan
        q1, med, q3 = np.percentile(grp["value"].to_numpy(dtype=float), [25, 50, 75])
        rows.append([year, period, level, ident, grp["name_vi"].iloc[0], value, num, den, len(grp), med, q1, q3,
                     len(out), _names_reference(out)])
    ratios = pd.DataFrame(rows, columns=GROUP + ["indicator", "name_vi", "value", "numerator", "denominator",
                                                 "units", "median", "q1", "q3", "units_excluded", "excluded"])
    return Consolidated(totals, ratios)


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Text as pandas' string dtype (a column of one report's rows with no finding may be held as objects)."""
    text = [c for c in frame.columns if frame[c].dtype == object
            and pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty")]
    return frame.astype({c: "str" for c in text})


# --- the demos ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """The 2022 district demo over two years: ranks, changes and error-level findings."""
    from cchc_tools import load_appendices
    from cchc_tools.demo import generate

    files = generate(tmp_path_factory.mktemp("district") / "demo", units=12, years=[2021, 2022])
    table = load_appendices(files).table
    return table, indicators(table), validate(table, rules=shipped_rules()), shipped_rules(), None, KIT_FORMS


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """The 2026 province demo (a quarter of two years, communes and departments, the bundled 2022 appendix)."""
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    proj = make_project(tmp_path_factory.mktemp("province"), periods=("2025-Q4", "2026-Q4"), units=6,
                        departments=2, with_2022=True)
    project = load_project(proj.root, env={})
    table = computed(project).table
    ind = indicators(table, project.forms)
    findings = validate(table, rules=project.rules, province=project.province, forms=project.forms)
    return table, ind, findings, project.rules, project.targets, project.forms


@pytest.mark.parametrize("demo", ["district", "province"])
def test_consolidate_equals_the_per_group_reference(demo, request):
    table, ind, findings, rules, _targets, forms = request.getfixturevalue(demo)
    fast = consolidate(table, ind=ind, findings=findings, rules=rules, forms=forms)
    slow = consolidate_reference(table, ind=ind, findings=findings, rules=rules, forms=forms)
    for name in ("totals", "ratios"):
        got, want = getattr(fast, name), getattr(slow, name)
        assert len(got) == len(want) > 0, name
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)
    # the left-out units are named, on the totals and on the ratios
    assert (fast.totals["units_excluded"] > 0).any() and (fast.totals["excluded"] != "").any()
    assert (fast.ratios["units_excluded"] > 0).any() and (fast.ratios["excluded"] != "").any()


@pytest.mark.parametrize("demo", ["district", "province"])
def test_assess_is_its_two_parts_and_a_report_s_own_rows_need_no_other_report(demo, request):
    table, ind, findings, rules, targets, forms = request.getfixturevalue(demo)
    whole = assess(table, targets=targets, ind=ind, findings=findings, rules=rules, forms=forms)
    assert whole["rank"].notna().any() and whole["change"].notna().any()
    own = assess_reports(table, targets=targets, ind=ind, findings=findings, rules=rules, forms=forms)
    assert own["rank"].isna().all() and own["peers"].isna().all() and own["change"].isna().all()
    pd.testing.assert_frame_equal(rank_and_change(own, reports(table)), whole, check_exact=True)
    # the across part replaces what it is given: over assess's own rows it gives them back
    pd.testing.assert_frame_equal(rank_and_change(whole, reports(table)), whole, check_exact=True)
    # each report's own rows, computed from that report alone, are its rows computed with all the others
    sources = list(dict.fromkeys(table["source"]))
    pieces = []
    for src in sources:
        one = assess_reports(table[table["source"] == src], targets=targets, ind=ind[ind["source"] == src],
                             findings=findings[findings["source"] == src], rules=rules, forms=forms)
        pieces.append(one)
    alone = pd.concat(pieces, ignore_index=True)
    together = own.sort_values("source", kind="stable", key=lambda s: s.map(sources.index)).reset_index(drop=True)
    pd.testing.assert_frame_equal(_strings(alone), _strings(together), check_exact=True)
    # and a peer group ranked without a report gives the others other ranks: the across part is really across
    first = whole.loc[whole["peers"] >= 2, "source"].iloc[0]
    without = rank_and_change(own[own["source"] != first], reports(table))
    kept = whole[whole["source"] != first].reset_index(drop=True)
    assert not without["peers"].equals(kept["peers"])
