"""The computation kept between processes (issue 28): read back equal to a fresh one, and recomputed whenever
an input file, the project's rules or its targets change."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from cchc_tools import pipeline as computed_mod
from cchc_tools.pipeline import compute as fresh_compute  # the real one, before a test counts calls
from cchc_tools.project import load_project
from tests.demo2026 import make_project


@pytest.fixture
def project_root(tmp_path_factory):
    """A fresh copy of a small Cần Thơ project (3 communes and wards, one quarter) for each test."""
    template = tmp_path_factory.getbasetemp() / "computed-cache-template"
    if not template.exists():
        make_project(template, periods=("2026-Q1",), units=3, departments=1)
    root = tmp_path_factory.mktemp("computed") / "can-tho"
    shutil.copytree(template / "can-tho", root, ignore=shutil.ignore_patterns("processed"))
    return root


@pytest.fixture
def counting(monkeypatch):
    """How many times the computation ran (not read from what was kept): whole (the root) or updated (the
    sources it recomputed per report)."""
    calls = []
    real, real_plan = computed_mod.compute, computed_mod.plan

    def compute(table, project):
        calls.append(project.root)
        return real(table, project)

    def plan(old_heads, old_reports, changed, fresh_heads, province):
        calls.append(sorted(changed))
        return real_plan(old_heads, old_reports, changed, fresh_heads, province)

    monkeypatch.setattr(computed_mod, "compute", compute)
    monkeypatch.setattr(computed_mod, "plan", plan)
    return calls


def _open(root):
    computed_mod._CACHE.clear()  # as a new process would: nothing in memory
    return computed_mod.computed(load_project(root, env={}))


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas' string dtype: Parquet gives text back as strings, a table parsed in this
    process holds it as objects (the kit reads both alike)."""
    text = [c for c in frame.columns if frame[c].dtype == object
            and pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty")]
    return frame.astype({c: "str" for c in text})


def _frames(c):
    return {"ind": c.ind, "findings": c.findings, "assessed": c.assessed, "totals": c.totals.totals,
            "ratios": c.totals.ratios, "reports": c.reports}


def test_kept_result_equals_a_fresh_computation(project_root, counting):
    first = _open(project_root)
    assert len(counting) == 1
    kept = list((project_root / "data/processed/cache").glob("*.computed/*/meta.json"))
    assert len(kept) == 1
    again = _open(project_root)
    assert len(counting) == 1  # read back, not recomputed
    assert again.assessed is not first.assessed
    expected = fresh_compute(again.table, load_project(project_root, env={}))
    assert set(expected) == set(computed_mod.KEPT_PARTS)
    for name, frame in _frames(again).items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(_strings(frame), _strings(expected[name]), obj=name)
    assert (again.assessed["status"] == "doubtful").any()  # the demo's planted errors survive the round trip
    assert again.errors == first.errors and again.skipped == first.skipped


def _bump_first_count(path):
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^([^\t\n]*\t[^\t\n]+\t[^\t\n]*\t)(\d+)(\t)", text, re.MULTILINE)
    path.write_text(text[:m.start(2)] + str(int(m.group(2)) + 1000) + text[m.end(2):], encoding="utf-8")
    return int(m.group(2)) + 1000


def _same_as_fresh(c, root) -> None:
    fresh = fresh_compute(c.table, load_project(root, env={}))
    for name, frame in _frames(c).items():
        pd.testing.assert_frame_equal(_strings(frame), _strings(fresh[name]), obj=name)


def test_a_changed_input_recomputes_its_report(project_root, counting):
    before = _open(project_root)
    f = sorted((project_root / "data/raw").rglob("*.txt"))[0]
    value = _bump_first_count(f)
    after = _open(project_root)
    assert len(counting) == 2 and counting[1] == [after.table.loc[after.table["source"].str.endswith(f.name),
                                                                  "source"].iloc[0]]
    rows = after.table[after.table["source"].str.endswith(f.name)]
    assert value in set(rows["value"]) and value not in set(before.table[before.table["source"].str.endswith(
        f.name)]["value"])
    _same_as_fresh(after, project_root)
    _same_as_fresh(_open(project_root), project_root)  # and as kept
    assert len(counting) == 2


def test_a_duplicate_report_added_then_removed_is_found_then_forgotten(project_root, counting):
    first = _open(project_root)
    assert "duplicate_report" not in set(first.findings["rule"])
    f = sorted((project_root / "data/raw").rglob("*.txt"))[0]
    copy = f.parent.parent / "zz-copy" / "again.txt"  # the same report sent twice
    copy.parent.mkdir()
    copy.write_bytes(f.read_bytes())
    twice = _open(project_root)
    assert (twice.findings["rule"] == "duplicate_report").sum() == 2
    _same_as_fresh(twice, project_root)
    copy.unlink()
    _bump_first_count(sorted((project_root / "data/raw").rglob("*.txt"))[-1])  # new data: not the first again
    once = _open(project_root)
    assert "duplicate_report" not in set(once.findings["rule"])  # the report kept loses its finding too
    _same_as_fresh(once, project_root)
    assert [type(c) for c in counting] == [type(project_root), list, list]


def test_older_computations_are_removed(project_root, counting):
    f = sorted((project_root / "data/raw").rglob("*.txt"))[0]
    for _ in range(5):
        assert len(_open(project_root).assessed)
        _bump_first_count(f)
    assert len(counting) == 5
    kept = list((project_root / "data/processed/cache").glob("*.computed/*"))
    assert len(kept) == 1 + computed_mod.KEEP_OTHERS


def test_a_kept_computation_reads_only_what_is_asked(project_root, counting):
    assert len(_open(project_root).assessed)
    again = _open(project_root)
    assert len(again.reports) == 4 and "_loaded" not in again.__dict__  # the tidy table was not read
    codes = again.table_columns(["source", "code"])
    assert list(codes.columns) == ["source", "code"] and "_loaded" not in again.__dict__
    pd.testing.assert_frame_equal(_strings(codes), _strings(again.table[["source", "code"]]))


def test_a_changed_rules_file_recomputes(project_root, counting):
    before = _open(project_root)
    assert "province_tasks_reversed" not in set(before.findings["rule"])
    rules = project_root / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + """
- id: province_tasks_reversed
  family: part_le_whole
  severity: warning
  title_vi: Nhiệm vụ kế hoạch vượt số hoàn thành
  part: [I.plan_tasks]
  whole: [I.plan_tasks_done]
  doc: A rule of the province's own, firing wherever a planned task was not done.
""", encoding="utf-8")
    after = _open(project_root)
    assert len(counting) == 2
    assert "province_tasks_reversed" in set(after.findings["rule"])


def test_a_changed_targets_file_recomputes(project_root, counting):
    before = _open(project_root)
    targets = project_root / "targets.yaml"
    targets.write_text(targets.read_text(encoding="utf-8") + """
- id: plan_done_province
  indicator: plan_completion
  op: ">="
  value: 100.5
  from_year: 2026
  levels: []
  source: Kế hoạch số 1/KH-UBND ngày 2/1/2026 của UBND thành phố Cần Thơ
  verified: true
""", encoding="utf-8")
    after = _open(project_root)
    assert len(counting) == 2
    plan = after.assessed[after.assessed["indicator"] == "plan_completion"]
    assert (plan["target"] == 100.5).all() and len(plan)
    assert not (before.assessed.loc[before.assessed["indicator"] == "plan_completion", "target"] == 100.5).any()


def test_a_damaged_or_unfinished_kept_result_is_recomputed(project_root, counting):
    first = _open(project_root)
    assert len(first.assessed)
    (kept,) = (project_root / "data/processed/cache").glob("*.computed/*")
    next((kept / "assessed").glob("*.parquet")).write_bytes(b"not parquet")
    again = _open(project_root)
    pd.testing.assert_frame_equal(again.assessed, first.assessed)
    assert len(counting) == 2
    (kept / "meta.json").unlink()  # a writer stopped before its key: never read
    _open(project_root)
    assert len(counting) == 3


def test_a_snapshot_parses_again_only_the_files_that_changed(project_root, monkeypatch):
    from cchc_tools.ingest import snapshot
    from cchc_tools.ingest.loader import load_appendices
    from cchc_tools.pipeline import find_snapshot

    project = load_project(project_root, env={})
    raw = project_root / "data/raw"
    files = sorted(raw.rglob("*.txt"))
    assert len(files) >= 4
    find_snapshot(project).result  # noqa: B018 - the first load writes the snapshot
    parsed = []

    def counted(paths, **kw):
        paths = list(paths) if not isinstance(paths, str | type(raw)) else paths
        parsed.append(paths)
        return load_appendices(paths, **kw)

    monkeypatch.setattr(snapshot, "load_appendices", counted)
    _bump_first_count(files[0])  # changed
    files[1].unlink()  # removed
    (files[2].parent / "z-broken.txt").write_text("no table here\n", encoding="utf-8")  # new, fails
    new = files[3].parent.parent / "zz-new" / "q1.txt"  # new, loads
    new.parent.mkdir()
    new.write_text(files[3].read_text(encoding="utf-8"), encoding="utf-8")
    again = find_snapshot(project).result
    assert len(parsed) == 1 and sorted(map(str, parsed[0])) == sorted(
        map(str, [files[0], files[2].parent / "z-broken.txt", new]))
    fresh = load_appendices(raw, province=project.province, root=project.root)
    pd.testing.assert_frame_equal(_strings(again.table), _strings(fresh.table))
    assert [(e.path, e.reason, e.line) for e in again.errors] == [(e.path, e.reason, e.line) for e in fresh.errors]
    assert len(again.errors) >= 1 and again.skipped == fresh.skipped
    # read back in a new process: the snapshot written after the partial load is the folder's as it is
    snapshot._load_cached.cache_clear()
    snapshot._synced.cache_clear()
    back = find_snapshot(project).result
    assert len(parsed) == 1
    pd.testing.assert_frame_equal(_strings(back.table), _strings(fresh.table))
