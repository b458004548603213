"""The vectorised ``assess`` (issue 28) holds every row and column of the row-by-row one it replaced, on the
2026 province demo (with the bundled 2022 appendix and a province's own target) and the 2022 district demo."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cchc_tools.analysis.assess import (
    ASSESS_COLUMNS,
    _change,
    doubts,
    reported_figures,
    shown_value,
)
from cchc_tools.analysis.checks import agrees, agrees_array, shipped_rules, validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.analysis.targets import applies, load_targets, target_text
from tests.demo2026 import make_project

# --- the reference: assess as it was, one Python iteration per row ------------------------------------------

def assess_reference(table: pd.DataFrame, targets: Iterable[dict | str | Path] | None = None, *,
           ind: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
           rules: Iterable[Rule] | None = None) -> pd.DataFrame:
    """The row-by-row assessment the kit had before issue 28, kept as the reference."""
    ind = indicators(table) if ind is None else ind
    if ind.empty:
        return pd.DataFrame(columns=ASSESS_COLUMNS)
    rules = shipped_rules() if rules is None else tuple(rules)
    findings = validate(table, rules=rules) if findings is None else findings
    ind = ind.reset_index(drop=True)
    doubt = doubts(findings, rules=rules)
    reported = reported_figures(table, rules)
    specs = {s["id"]: s for s in indicator_specs()}
    given = list(targets or ())
    tlist = tuple(given) if given and all(isinstance(t, dict) for t in given) else load_targets(given)

    def codes_of(ident: str) -> list[str]:
        s = specs[ident]
        return [s["reported"]] if "reported" in s else list(s["numerator"]) + list(s["denominator"])

    rows = []
    for r in ind.itertuples(index=False):
        hits = [h for c in codes_of(r.indicator) for h in doubt.get((r.source, c), [])]
        errors = sorted({ref for ref, sev in hits if sev == "error"})
        warnings = sorted({ref for ref, sev in hits if sev == "warning"})
        direction = specs[r.indicator].get("direction", "higher")
        target = next((t for t in tlist if t["indicator"] == r.indicator and applies(t, r.year, r.level)), None)
        if direction == "neither":
            target = None  # a level (staffing): context, never judged
        value = r.value
        if errors:
            status = "doubtful"
        elif value is None or math.isnan(value):
            status = "not_reported"
        elif target is None:
            status = "no_target"
        else:
            ok = value >= target["value"] if target["op"] == ">=" else value <= target["value"]
            status = "met" if ok else "below_target"
        rows.append([r.source, r.unit, r.unit_name, r.level, r.year, r.period, r.indicator, r.section, r.name_vi,
                     value, *reported.get((r.source, r.indicator), (math.nan, "")), r.numerator, r.denominator,
                     target["value"] if target else math.nan, target["op"] if target else "",
                     target_text(target) if target else "", bool(target.get("verified")) if target else False,
                     status, None, None, math.nan, "; ".join(errors + warnings), "; ".join(warnings), r.lines,
                     r.reason, direction, shown_value(value, reported.get((r.source, r.indicator), (math.nan,))[0])])
    out = pd.DataFrame(rows, columns=ASSESS_COLUMNS)
    from cchc_tools.analysis.selection import reports

    cover = reports(table).set_index("source")["coverage"]
    out["coverage"] = out["source"].map(cover).fillna(out["period"])
    rankable = out["value"].notna() & (out["status"] != "doubtful") & (out["direction"] != "neither")
    keyed = out["value"].where(out["direction"] != "lower", -out["value"])  # rank 1 = best either way
    grp = keyed[rankable].groupby([out["year"], out["coverage"], out["level"], out["indicator"]], dropna=False)
    out["rank"] = grp.rank(ascending=False, method="min").reindex(out.index).astype("Int64")
    out["peers"] = grp.transform("size").reindex(out.index).astype("Int64")
    out.loc[out["peers"] < 2, "rank"] = pd.NA  # a unit with no peer has no rank
    out["change"] = _change(out)
    out["year"] = out["year"].astype("Int64")
    return out.drop(columns="coverage")


# --- the vectorised one against it --------------------------------------------------------------------------

def _both(table, rules, targets):
    from cchc_tools.analysis.assess import assess

    ind = indicators(table)
    findings = validate(table, rules=rules)
    fast = assess(table, targets=targets, ind=ind, findings=findings, rules=rules)
    slow = assess_reference(table, targets=targets, ind=ind, findings=findings, rules=rules)
    return fast, slow


def _same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert list(fast.columns) == list(slow.columns) == ASSESS_COLUMNS
    assert len(fast) == len(slow) > 0
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True), check_dtype=True)


def test_vectorised_equals_the_reference_on_the_2026_demo(tmp_path):
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    proj = make_project(tmp_path, periods=("2025-Q4", "2026-Q1"), units=6, departments=2, with_2022=True)
    (proj.root / "targets.yaml").write_text("""
- id: plan_done_province
  indicator: plan_completion
  op: ">="
  value: 96
  from_year: 2026
  levels: [commune]
  source: Kế hoạch số 1/KH-UBND ngày 2/1/2026 của UBND thành phố Cần Thơ
  verified: true
""", encoding="utf-8")
    project = load_project(proj.root, env={})
    table = computed(project).table
    fast, slow = _both(table, project.rules, project.targets)
    _same(fast, slow)
    statuses = set(fast["status"])
    assert {"doubtful", "met", "below_target", "no_target"} <= statuses, statuses
    assert (fast["reported"].notna()).any() and (fast["warnings"] != "").any()
    assert (fast["target"] == 96).any()


def test_vectorised_equals_the_reference_on_the_2022_district_demo(tmp_path):
    from cchc_tools import load_appendices
    from cchc_tools.demo import generate

    files = generate(tmp_path / "demo", units=12, years=[2021, 2022])
    table = load_appendices(files).table
    fast, slow = _both(table, shipped_rules(), None)
    _same(fast, slow)
    assert fast["rank"].notna().any() and fast["change"].notna().any()
    assert (fast["status"] == "doubtful").any()


def test_agrees_array_is_agrees_pair_by_pair():
    rng = np.random.default_rng(28)
    computed = np.concatenate([rng.uniform(0, 100, 400), [99.604, 92.5925, 100.0, 0.5, math.nan, 50.0]])
    reported = np.concatenate([np.round(computed[:200], 2), np.floor(computed[200:400] * 10) / 10 + 0.1,
                               [99.6, 92.59, 100.0, 0.0, 50.0, math.nan]])
    fast = agrees_array(reported, computed)
    assert fast.tolist() == [agrees(float(r), float(c)) for r, c in zip(reported, computed, strict=True)]
    assert fast.any() and not fast.all()
