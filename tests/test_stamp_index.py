"""A batch stamps its pages from tables indexed once (issue 28): every stamp is what the former per-page filters
made, and a peer's change still changes exactly the fingerprints of the pages that show it.

``_reference_*`` below are the per-page computations as they were before the index (each page filtering the whole
assessed table and the whole reports table): the reference the indexed ones are held to, as the strict number
reader is for the fast one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cchc_tools import paths, provenance
from cchc_tools.batch import runner
from cchc_tools.batch.tasks import plan_all
from cchc_tools.fingerprint import sha_of
from cchc_tools.pipeline import load_data
from cchc_tools.project import load_project
from tests.test_fingerprint import _resubmit

KIT = load_project(paths.KIT_ROOT)


def _reference_rows(frame: pd.DataFrame, cols: list[str]) -> list[list]:
    rows = [[provenance._plain(v) for v in r] for r in frame[cols].itertuples(index=False, name=None)]
    return sorted(rows, key=lambda r: json.dumps(r, ensure_ascii=False, default=str))


def _reference_weak(assessed: pd.DataFrame, mine: pd.DataFrame) -> list:
    from cchc_tools.analysis.selection import headline_ids, weakest

    out = []
    keys = [k for k in ("year", "period", "level") if k in mine]
    for _, own in mine.groupby(keys, dropna=False, sort=True) if len(mine) else []:
        first = own.iloc[0]
        peers = assessed
        for k in keys:
            peers = peers[peers[k] == first[k]]
        lows = {ident: set(weakest(peers, ident)["source"]) for ident in headline_ids(str(first.get("level") or ""),
                                                                                        peers)}
        for ident in sorted(set(own["indicator"]) & set(lows)):
            out.append([str(first.get("year")), str(first.get("period")), ident,
                        sorted(lows[ident] & set(own["source"]))])
    return out


def _reference_context(a: pd.DataFrame, kind: str, parameters: dict) -> dict:
    unit, period = parameters.get("unit", ""), parameters.get("period", "annual")
    if kind == "unit":
        mine = a[(a["unit"] == unit) & (a["year"] == int(parameters["year"])) & (a["period"] == period)]
    elif kind == "trend":
        mine = a[a["unit"] == unit]
    else:
        mine = a[(a["year"] == int(parameters["year"])) & (a["period"] == period)]
    parts = {}
    for part in provenance.SHOWN[kind]:
        if part == "ranks":
            content = _reference_rows(mine, ["year", "period", "indicator", "rank", "peers"])
        elif part == "previous_ranks":
            before = a[(a["year"] == int(parameters["year"]) - 1) & (a["period"] == period)]
            content = _reference_rows(before, ["unit", "indicator", "rank", "peers"])
        else:
            content = _reference_weak(a, mine)
        parts[part] = sha_of(content)
    return parts


def _reference_sources(kind: str, parameters: dict, result, root: Path) -> list[str]:
    from cchc_tools.analysis.selection import current_era, legacy_reports, reports
    from cchc_tools.ingest.loader import source_name

    reps = reports(result.table)
    errors = [e.path for e in result.errors]
    unit, period = parameters.get("unit", ""), parameters.get("period", "annual")
    if kind == "unit":
        sel = reps[(reps["unit"] == unit) & (reps["period"] == period) & (reps["year"] <= int(parameters["year"]))]
        extra = [p for p in errors if f"/{unit}/" in p]
    elif kind == "compare":
        sel = reps[(reps["year"] == int(parameters["year"])) & (reps["coverage"] == period)]
        extra = errors
    else:
        mine = current_era(reps[reps["unit"] == unit])
        sel = pd.concat([mine, legacy_reports(reps, mine)])
        extra = [p for p in errors if f"/{unit}/" in p]
    return sorted({*sel["source"], *(source_name(p, root) for p in extra)})


def _stamps(data: Path, out: Path) -> dict[str, dict]:
    """Every page's stamp of a batch, as the runner computes them before running anything, by page."""
    result = load_data(KIT, data)
    plan = plan_all(KIT, data, out, "html", result)
    assert not runner._stamp_tasks(plan.tasks, result, KIT)
    return {f"{t.kind}:{t.parameters.get('unit', '')}:{t.parameters.get('year', '')}:{t.parameters.get('period', '')}":
            {**t.stamp, "_params": t.parameters} for t in plan.tasks}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from cchc_tools.demo import generate

    data = tmp_path_factory.mktemp("stamp-index") / "data"
    files = generate(data, units=8, years=[2022, 2023])
    return data, files


def test_every_stamp_of_a_batch_is_what_the_per_page_filters_made(demo, tmp_path):
    data, _ = demo
    stamps = _stamps(data, tmp_path / "out")
    ctx = provenance.batch_context(KIT, data)
    result = load_data(KIT, data)
    kinds = {k.split(":")[0] for k in stamps}
    assert kinds == {"unit", "compare", "trend"} and len(stamps) == 8 * 2 + 2 + 8
    for page, stamp in stamps.items():
        kind, params = stamp["kind"], {k: v for k, v in stamp["_params"].items() if k != "out_dir"}
        assert stamp["context"] == _reference_context(ctx.assessed, kind, params), page
        assert sorted(stamp["inputs"]) == _reference_sources(kind, params, result, KIT.root), page
        assert stamp["fingerprint"] == provenance.Stamp.from_dict(stamp).fingerprint()
    # the comparison of 2023 shows 2022's ranks; the one of 2022 has none before it
    compares = [s for p, s in stamps.items() if p.startswith("compare")]
    assert len({s["context"]["previous_ranks"] for s in compares}) == 2


def test_a_peers_change_changes_the_fingerprints_of_the_pages_that_show_it_and_no_others(demo, tmp_path):
    """A figure of one unit of 2023 changed: its own pages change (their inputs), and of the others exactly the
    pages whose shown ranks or weak list changed, as the per-page filters say (never all, never only its own)."""
    data, files = demo
    before = _stamps(data, tmp_path / "out")
    ctx_before = provenance.batch_context(KIT, data)
    a = ctx_before.assessed
    first = a[(a["year"] == 2023) & (a["indicator"] == "plan_completion") & (a["rank"] == 1)]["unit"].iloc[0]
    mover = next(f for f in files if f.parent.parent.name == "2023" and f.parent.name == first)
    original = mover.read_text(encoding="utf-8")
    try:
        _resubmit(mover, 0)  # the first on plan completion falls to the last place: the others move up
        after = _stamps(data, tmp_path / "out")
        ctx_after = provenance.batch_context(KIT, data)
    finally:
        mover.write_text(original, encoding="utf-8")
    unit = mover.parent.name
    changed = {p for p in before if before[p]["fingerprint"] != after[p]["fingerprint"]}
    own = {p for p in before if before[p]["inputs"] != after[p]["inputs"]}  # the pages that read the changed file
    assert own == {p for p in before if any(s.endswith(mover.name) for s in before[p]["inputs"])}
    assert {f"unit:{unit}:2023:annual", f"trend:{unit}::", "compare::2023:annual"} <= changed
    assert own <= changed

    def shown(page: str, ctx) -> dict:
        params = {k: v for k, v in before[page]["_params"].items() if k != "out_dir"}
        return _reference_context(ctx.assessed, before[page]["kind"], params)

    by_peers = {p for p in before if p not in own and shown(p, ctx_before) != shown(p, ctx_after)}
    assert changed == own | by_peers
    assert by_peers, "the change moved no peer's rank: the test proves nothing"
    assert set(before) - changed, "every page changed: the test proves nothing"
    assert all(before[p]["context"] == after[p]["context"] for p in set(before) - changed)
    assert not any(p.endswith(":2022:annual") for p in changed)  # the year before shows nothing of 2023


def test_the_index_is_made_again_for_another_table():
    """A memo kept with one table never answers for another (a batch context is made per batch)."""
    def table(values):
        rows = [[s, u, 2023, "annual", "district", "x", v] for s, u, v in zip("abc", ("u1", "u2", "u3"), values,
                                                                                strict=True)]
        t = pd.DataFrame(rows, columns=["source", "unit", "year", "period", "level", "indicator", "value"])
        t["rank"] = t["value"].rank(ascending=False, method="min").astype("Int64")
        t["peers"] = pd.array([3, 3, 3], dtype="Int64")
        return t

    memo: dict = {}
    p = {"unit": "u1", "year": "2023", "period": "annual"}
    first = provenance.peer_context(table([90, 80, 70]), None, "trend", p, memo)
    assert first == provenance.peer_context(table([90, 80, 70]), None, "trend", p)
    assert provenance.peer_context(table([70, 80, 90]), None, "trend", p, memo) != first
