"""``selection.weakest_each``: every indicator's lowest units in one pass, exactly as ``weakest`` names them.

The reference is ``weakest`` as it was written before it was vectorised (kept here verbatim, one indicator at a
time with pandas' ``nsmallest``); the fast one must give the same rows, in the same order, with the same index,
columns and dtypes, on random peer groups full of ties, blanks, doubts, targets and missing keys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cchc_tools.analysis import specs
from cchc_tools.analysis.selection import weakest, weakest_each


def reference_weakest(assessed: pd.DataFrame, indicator: str, n: int = 3) -> pd.DataFrame:
    spec = next((s for s in specs.indicator_specs() if s["id"] == indicator), {})
    sub = assessed[(assessed["indicator"] == indicator) & assessed["value"].notna()]
    if "status" in sub:
        sub = sub[sub["status"] != "doubtful"]
    if "direction" in sub:
        sub = sub[sub["direction"] != "neither"]
    if sub.empty or spec.get("direction") == "neither":
        return sub.iloc[0:0]
    lower = spec.get("direction") == "lower"
    good = sub["value"].astype(float).round(2) * (-1 if lower else 1)
    keys = [c for c in ("year", "coverage", "level") if c in sub]
    groups = [sub[k].astype(str) for k in keys] or [pd.Series(0, index=sub.index)]
    grouped = good.groupby(groups, dropna=False)
    best, median, size = grouped.transform("max"), grouped.transform("median"), grouped.transform("size")
    targeted = sub["target"].notna() if "target" in sub else pd.Series(False, index=sub.index)
    missed = sub["status"].eq("below_target") if "status" in sub else pd.Series(False, index=sub.index)
    weak = (size >= 2) & (good < best) & pd.Series(np.where(targeted, missed & (good <= median), good < median),
                                                   index=sub.index)
    out = []
    for _key, g in sub[weak].assign(_good=good[weak]).groupby([x[weak] for x in groups], sort=False):
        out.append(g.nsmallest(min(n, len(g)), "_good", keep="all"))
    if not out:
        return sub.iloc[0:0]
    return pd.concat(out).sort_values("_good", kind="stable").drop(columns="_good")


IDS = ["plan_completion", "satisfaction", "dossiers_commune_on_time", "civil_staff_present", "complaints_share",
       "not_an_indicator"]


@pytest.fixture
def with_a_lower_indicator(monkeypatch):
    """The kit's specs and one indicator where lower is better (a project may declare one)."""
    kit = specs.indicator_specs()
    monkeypatch.setattr(specs, "indicator_specs", lambda: [*kit, {"id": "complaints_share", "direction": "lower"}])


def random_peers(rng: np.random.Generator, rows: int, columns: set[str]) -> pd.DataFrame:
    values = rng.choice([np.nan, 50.0, 80.0, 80.001, 80.004, 90.0, 95.5, 99.996, 100.0, 100.0], rows)
    values = np.where(rng.random(rows) < 0.3, np.round(rng.uniform(40, 100, rows), 3), values)
    frame = pd.DataFrame({
        "source": [f"r{k}.txt" for k in range(rows)],
        "unit": [f"u{k % 17}" for k in range(rows)],
        "indicator": rng.choice(IDS, rows),
        "value": values,
        "status": rng.choice(["no_target", "met", "below_target", "doubtful", "not_reported"], rows),
        "target": rng.choice([np.nan, 90.0, 95.0], rows),
        "direction": rng.choice(["higher", "higher", "higher", "neither"], rows),
        "year": rng.choice([2025, 2026], rows),
        "coverage": rng.choice(["Q1", "annual", None], rows, p=[0.45, 0.45, 0.1]),
        "level": rng.choice(["commune", "district", "department"], rows),
    }, index=rng.permutation(np.arange(1000, 1000 + rows)) if rng.random() < 0.5 else None)
    return frame[[c for c in frame.columns if c in columns or c in ("source", "unit", "indicator", "value")]]


OPTIONAL = {"status", "target", "direction", "year", "coverage", "level"}


def test_weakest_each_names_what_weakest_named(with_a_lower_indicator):
    named = 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        columns = OPTIONAL if seed % 4 == 0 else {c for c in sorted(OPTIONAL) if rng.random() < 0.7}
        frame = random_peers(rng, int(rng.integers(0, 160)), columns)
        n = int(rng.integers(1, 5))
        found = weakest_each(frame, IDS, n)
        assert list(found) == IDS
        for ident in IDS:
            expected = reference_weakest(frame, ident, n)
            pd.testing.assert_frame_equal(found[ident], expected, check_column_type=True, obj=f"{seed} {ident}")
            pd.testing.assert_frame_equal(weakest(frame, ident, n), expected, obj=f"{seed} {ident}")
            named += len(expected)
    assert named > 500  # the random groups do name units: the comparison is not between empty frames


def test_weakest_each_on_a_demo_peer_group(tmp_path):
    """On generated data of 40 units: every indicator, each level's group, as the pages ask."""
    from cchc_tools.demo import generate
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    generate(tmp_path / "data", units=40, years=[2023])
    data = computed(load_project(tmp_path, env={}), tmp_path / "data")
    a = data.assessed
    ids = [s["id"] for s in specs.indicator_specs()]
    found = weakest_each(a, ids)
    assert sum(len(f) for f in found.values()) > 10
    for ident in ids:
        pd.testing.assert_frame_equal(found[ident], reference_weakest(a, ident))
