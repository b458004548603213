"""A changed, removed or added input file reopens from what was kept (issue 28): only what it touches is
recomputed, read and written, and the result is the full cold computation's, table for table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cchc_tools import pipeline
from cchc_tools.ingest import snapshot
from cchc_tools.project import load_project
from tests.demo2026 import copied_project

COLD = pipeline.compute  # the real one, before a test counts calls
PARTS = ("ind", "findings", "assessed", "totals", "ratios", "reports")


@pytest.fixture
def root(tmp_path_factory):
    """Two years of the same quarter (a change is against the year before) for 4 communes and wards and one
    department: a change in 2025 moves the change of 2026."""
    return copied_project(tmp_path_factory, "reopen", ("2025-Q4", "2026-Q4"))


def _reopen(root):
    """As a new process would: nothing in memory."""
    pipeline._CACHE.clear()
    snapshot._load_cached.cache_clear()
    snapshot._synced.cache_clear()
    return pipeline.computed(load_project(root, env={}))


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Text as pandas' string dtype (Parquet gives text back as strings, a table parsed in this process holds
    objects)."""
    text = [c for c in frame.columns if frame[c].dtype == object
            and pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty")]
    return frame.astype({c: "str" for c in text})


def _equal_to_cold(c, root) -> None:
    """Every part, and the table, equal to a cold computation over the folder parsed afresh."""
    from cchc_tools.ingest.loader import load_appendices

    project = load_project(root, env={})
    table = load_appendices(project.data, province=project.province, root=project.root).table
    pd.testing.assert_frame_equal(_strings(c.table), _strings(table), obj="table")
    cold = COLD(table, project)
    got = {"ind": c.ind, "findings": c.findings, "assessed": c.assessed, "totals": c.totals.totals,
           "ratios": c.totals.ratios, "reports": c.reports}
    for name in PARTS:
        assert len(cold[name]) > 0, name
        pd.testing.assert_frame_equal(_strings(got[name]), _strings(cold[name]), obj=name)


def _bump(path, by=1000) -> None:
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^([^\t\n]*\t[^\t\n]+\t[^\t\n]*\t)(\d+)(\t)", text, re.MULTILINE)
    path.write_text(text[:m.start(2)] + str(int(m.group(2)) + by) + text[m.end(2):], encoding="utf-8")


def _kept(root):
    (folder,) = sorted((root / "data/processed/cache").glob("*.computed/*"), key=lambda d: d.stat().st_mtime_ns)[-1:]
    return folder


def test_one_changed_value_reopens_equal_to_a_cold_computation(root, whole):
    first = _reopen(root)
    assert len(first.assessed) and len(whole) == 1
    before = _kept(root)
    f = sorted((root / "data/raw/2025").rglob("*.txt"))[0]
    _bump(f)
    again = _reopen(root)
    changed = again.table[again.table["source"].str.endswith(f.name) & again.table["source"].str.contains("2025")]
    assert len(changed)
    assert len(whole) == 1  # updated from the kept computation, not computed whole
    _equal_to_cold(again, root)
    # the 2026 report of the same unit: its change is against the changed 2025 figure
    src = changed["source"].iloc[0]
    unit = again.reports.set_index("source").loc[src, "unit"]
    late = again.assessed[(again.assessed["unit"] == unit) & (again.assessed["year"] == 2026)]
    early = first.assessed[(first.assessed["unit"] == unit) & (first.assessed["year"] == 2026)]
    assert len(late) and not late["change"].equals(early["change"])
    # what the change does not touch is linked from the earlier computation, not written again
    after = _kept(root)
    assert after != before
    linked = {p.name for p in (before / "assessed").glob("*.parquet")}
    same = [p for p in (after / "assessed").glob("*.parquet")
            if p.name in linked and (before / "assessed" / p.name).stat().st_ino == p.stat().st_ino]
    rewritten = [p for p in (after / "assessed").glob("*.parquet") if p not in same]
    assert same and rewritten
    _equal_to_cold(_reopen(root), root)  # and read back as kept
    assert len(whole) == 1


def test_a_removed_and_an_added_file_reopen_equal_to_a_cold_computation(root, whole):
    _reopen(root)
    files = sorted((root / "data/raw").rglob("*.txt"))
    files[1].unlink()
    _equal_to_cold(_reopen(root), root)
    new = files[2].parent.parent / "zz-copy" / "again.txt"  # the same report sent twice: a duplicate
    new.parent.mkdir()
    new.write_bytes(files[2].read_bytes())
    twice = _reopen(root)
    assert (twice.findings["rule"] == "duplicate_report").sum() == 2
    _equal_to_cold(twice, root)
    new.unlink()
    (files[3].parent / "z-broken.txt").write_text("no table here\n", encoding="utf-8")  # added, fails to load
    broken = _reopen(root)
    assert any(e.path.endswith("z-broken.txt") for e in broken.errors)
    _equal_to_cold(broken, root)
    assert len(whole) == 1


def test_a_snapshot_change_rewrites_only_the_chunks_it_touches(root):
    project = load_project(root, env={})
    snap = pipeline.find_snapshot(project)
    snap.result  # noqa: B018 - the first load writes the snapshot
    chunks = snap.base.parent / f"{snap.base.name}.chunks"
    before = {p.name: p.stat().st_mtime_ns for p in chunks.glob("*.parquet")}
    assert len(before) > 1
    _bump(sorted((root / "data/raw").rglob("*.txt"))[0])
    snapshot._load_cached.cache_clear()
    snapshot._synced.cache_clear()
    after_snap = pipeline.find_snapshot(project)
    rows = after_snap.rows({after_snap.result.table["source"].iloc[0]}, ["source", "code", "value"])
    assert list(rows.columns) == ["source", "code", "value"] and rows["source"].nunique() == 1
    after = {p.name: p.stat().st_mtime_ns for p in chunks.glob("*.parquet")}
    kept = {n for n in after if before.get(n) == after[n]}
    assert len(after) == len(before) and len(kept) == len(before) - 1  # one chunk replaced, the others as they were


def test_the_reports_after_a_change_are_those_of_the_whole_folder(root):
    """``plan`` marks again only the reports of the changed reports' units (as they were and as they are): a report
    that becomes another unit's second report of a period supersedes it or is superseded, as in a full
    ``reports``; a report that leaves a unit frees the one it superseded."""
    from cchc_tools.analysis.selection import reports
    from cchc_tools.ingest.loader import load_appendices

    project = load_project(root, env={})
    table = load_appendices(project.data, province=project.province, root=project.root).table
    old_heads = pipeline.heads(table)
    old = reports(old_heads, project.province)
    same = old[old["year"] == 2026].drop_duplicates("unit")
    a, b = same.iloc[0], same.iloc[1]
    moved = old_heads.copy()
    at = moved["source"] == a["source"]
    for col in ("unit", "unit_name", "unit_code"):
        moved.loc[at, col] = b[col]
    moved.loc[at, "report_date"] = "2099-01-01"  # the later report of b's unit for that period
    new = pipeline._reports_after(old_heads, old, moved, {a["source"]}, project.province)
    want = reports(moved, project.province)
    assert (want["left_out"] == "superseded").sum() == 1
    pd.testing.assert_frame_equal(_strings(new), _strings(want))
    # and back: the superseded report is kept again
    back = pipeline._reports_after(moved, want, old_heads, {a["source"]}, project.province)
    pd.testing.assert_frame_equal(_strings(back), _strings(old))
    assert back["kept"].all()


def test_a_snapshot_whose_rows_are_not_in_the_files_order_is_not_updated_under_the_wrong_file(root):
    """A snapshot stored from a table whose files' rows come in another order than the files (as a benchmark's
    made-up table might) keeps no file's rows under another file's name: a changed file then gives the folder's
    rows as a fresh load does, never another file's rows replaced."""
    from cchc_tools.ingest.loader import LoadResult, load_appendices

    project = load_project(root, env={})
    table = load_appendices(project.data, province=project.province, root=project.root).table
    order = list(dict.fromkeys(table["source"]))[::-1]  # each file's rows together, the files backwards
    backwards = pd.concat([table[table["source"] == s] for s in order], ignore_index=True)
    snap = pipeline.find_snapshot(project)
    snapshot.store_snapshot(snap.base, snap.signature, LoadResult(backwards, [], []))
    _bump(sorted((root / "data/raw").rglob("*.txt"))[0])
    again = _reopen(root)
    assert again.table["source"].nunique() == table["source"].nunique()
    _equal_to_cold(again, root)
