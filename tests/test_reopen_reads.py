"""What a reopen after a changed file reads (issue 28, fourth round): the snapshot's rows of some reports in the
table's order, typed as ``pandas.read_parquet`` types each chunk, however the reports' rows lie in the chunks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from cchc_tools import pipeline
from cchc_tools.ingest import snapshot
from cchc_tools.ingest.loader import LoadResult, load_appendices
from cchc_tools.project import load_project
from tests.demo2026 import copied_project

TOTALS = ["source", "unit", "unit_name", "level", "year", "period", "code", "value"]


@pytest.fixture
def root(tmp_path_factory):
    """Two quarters of 4 communes and wards and one department: several chunks, each report's rows in one."""
    return copied_project(tmp_path_factory, "reopen-reads", ("2025-Q4", "2026-Q1"))


def _fresh(root):
    snapshot._load_cached.cache_clear()
    snapshot._synced.cache_clear()
    project = load_project(root, env={})
    return project, pipeline.find_snapshot(project)


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    text = [c for c in frame.columns if frame[c].dtype == object
            and pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty")]
    return frame.astype({c: "str" for c in text})


def _chunks(snap) -> list:
    return sorted((snap.base.parent / f"{snap.base.name}.chunks").glob("*.parquet"))


def test_the_rows_of_some_reports_are_the_tables_in_its_order_and_types(root):
    project, snap = _fresh(root)
    snap.result  # noqa: B018 - the first load writes the snapshot
    project, snap = _fresh(root)
    parsed = load_appendices(project.data, province=project.province, root=project.root).table
    assert len(_chunks(snap)) > 2
    sources = list(dict.fromkeys(parsed["source"]))
    rng = random.Random(28)
    typed = pd.read_parquet(_chunks(snap)[0])  # how Parquet gives each column back
    for picked in (set(sources), set(rng.sample(sources, 3)), {sources[-1]}, set(sources[::2])):
        for columns in (None, TOTALS):
            got = snap.rows(picked, columns)
            want = parsed[parsed["source"].isin(picked)].reset_index(drop=True)
            want = want if columns is None else want[columns]
            assert list(got.columns) == list(want.columns)
            pd.testing.assert_frame_equal(_strings(got), _strings(want))
            assert {c: str(t) for c, t in got.dtypes.items()} == {c: str(typed[c].dtype) for c in got.columns}
    # the whole table the same way (a reopen of every report, the cold open's read)
    pd.testing.assert_frame_equal(_strings(snap.result.table), _strings(parsed))


def test_chunks_typed_apart_are_joined_as_pandas_joins_them(root):
    """A column blank in every row of one chunk (Parquet: no type) and text in another: the rows read across both
    are those pandas gives joining each chunk read alone."""
    project, snap = _fresh(root)
    parsed = load_appendices(project.data, province=project.province, root=project.root).table
    late = parsed["year"] == 2026
    table = parsed.assign(report_no=parsed["report_no"].astype(object).where(late, None))
    snapshot.store_snapshot(snap.base, snap.signature, LoadResult(table, [], []))
    project, snap = _fresh(root)
    meta = json.loads(snap.base.with_suffix(".json").read_text(encoding="utf-8"))
    sources = list(dict.fromkeys(table["source"]))
    picked = {s for s in sources[::3]} | {sources[-1], sources[0]}
    assert len({f[3] for f in meta["files"] if f[4] in picked}) > 1
    got = snap.rows(picked, ["source", "report_no", "code", "value"])
    want = table[table["source"].isin(picked)].reset_index(drop=True)[["source", "report_no", "code", "value"]]
    assert got["report_no"].isna().sum() == want["report_no"].isna().sum() > 0
    pd.testing.assert_frame_equal(_strings(got), _strings(want))


def test_reports_put_in_place_equal_a_sort_by_source():
    """The rows of some reports put among the others' (``pipeline._by_source_with``) are those of a stable sort by
    source of both, whether the new reports come first, last, between or both; frames not by source are sorted."""
    rng = random.Random(7)
    names = [f"data/raw/2026/{u}/q{q}.txt" for u in ("an-binh", "ba-lang", "cai-rang", "ô-môn", "zz") for q in (1, 2)]
    for _ in range(40):
        picked = rng.sample(names, rng.randint(2, len(names)))
        cut = rng.randint(1, len(picked) - 1)

        def rows(sources):
            out = [(s, i, rng.choice([1.5, None, 3.0])) for s in sorted(sources) for i in range(rng.randint(1, 3))]
            return pd.DataFrame(out, columns=["source", "line", "value"]).astype({"source": "str"})

        kept, new = rows(picked[:cut]), rows(picked[cut:])
        got = pipeline._by_source_with(kept, new)
        want = pipeline._by_source(pd.concat([kept, new], ignore_index=True))
        pd.testing.assert_frame_equal(got, want)
    shuffled = kept.iloc[::-1]  # not by source: sorted as a whole
    pd.testing.assert_frame_equal(pipeline._by_source_with(shuffled, new),
                                  pipeline._by_source(pd.concat([shuffled, new], ignore_index=True)))


def test_totals_are_those_counted_row_by_row(root):
    """``consolidate``'s totals (rows told apart and grouped by numbers, not text) against a count made row by row
    over the same table: a report's first row of a code counts, a blank is not reported (never 0), a figure an
    error questions is left out and its unit named, a report without a level is a group of its own."""
    import math

    from cchc_tools.analysis.assess import consolidate, doubts

    project, _snap = _fresh(root)
    table = load_appendices(project.data, province=project.province, root=project.root).table
    parts = pipeline.compute(table, project)
    table = table.astype({"level": object})
    counted = {c for c, e in project.forms.by_code().items() if e.kind in ("count", "flag")}
    sources = list(dict.fromkeys(table["source"]))
    table.loc[table["source"] == sources[1], "level"] = None
    blank = table.index[table["code"].isin(counted) & table["value"].notna()][5]
    table.loc[blank, "value"] = math.nan
    again = table[table["code"].isin(counted) & table["value"].notna()].iloc[[0]].assign(value=-1e9)
    table = pd.concat([table, again], ignore_index=True)  # a code twice in a report: the first row counts
    got = consolidate(table, ind=parts["ind"], findings=parts["findings"], rules=project.rules,
                      forms=project.forms).totals
    questioned = set(doubts(parts["findings"], severities=("error",), rules=project.rules))
    want: dict[tuple, dict] = {}
    seen = set()
    for r in table.itertuples(index=False):
        if r.code not in counted or (r.source, r.code) in seen:
            continue
        seen.add((r.source, r.code))
        key = (int(r.year), r.period, r.level if isinstance(r.level, str) else None, r.code)
        w = want.setdefault(key, {"values": [], "left": 0, "names": []})
        if (r.source, r.code) in questioned:
            w["left"] += 1
            w["names"].append(r.unit_name or r.unit)
        elif not math.isnan(r.value):
            w["values"].append(r.value)
    assert sum(w["left"] for w in want.values()) > 0
    assert len(got) == len(want)
    for row in got.itertuples(index=False):
        w = want[(int(row.year), row.period, row.level if isinstance(row.level, str) else None, row.code)]
        assert row.units_reported == len(w["values"]) and row.units_excluded == w["left"]
        assert row.excluded == "; ".join(dict.fromkeys(w["names"]))
        if w["values"]:
            assert (row.low, row.high) == (min(w["values"]), max(w["values"]))
            assert row.yes == sum(v > 0 for v in w["values"])
            if row.aggregate == "sum":
                assert row.value == pytest.approx(sum(w["values"]), rel=1e-12)
        else:
            assert math.isnan(row.low) and math.isnan(row.value)


def test_rows_left_out_by_runs_are_those_a_mask_leaves():
    """``pipeline._rows_where`` gives ``frame[keep]`` (labels, order, types) whether the rows kept are all, none,
    a few runs (sliced) or many (taken)."""
    import numpy as np

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"source": pd.array([f"s{i // 7:03d}" for i in range(700)], dtype="str"),
                          "value": rng.normal(size=700), "year": pd.array([2026] * 700, dtype="Int64")},
                         index=np.arange(700) * 3)
    masks = [np.ones(700, bool), np.zeros(700, bool), frame["source"].ne("s050").to_numpy(),
             ~frame["source"].isin(["s000", "s099", "s010"]).to_numpy(), rng.random(700) < 0.5]
    for keep in masks:
        pd.testing.assert_frame_equal(pipeline._rows_where(frame, keep), frame[keep])


def test_the_signatures_file_list_names_files_as_paths_do(tmp_path, monkeypatch):
    """``find_paths`` (the signature's list, no ``Path`` per file) names each file as ``str`` of ``find_files``'s
    ``Path``, from an absolute folder, a relative one and the working folder itself."""
    from cchc_tools.ingest.loader import find_files, find_paths

    for rel in ("2025/a/x.txt", "2025/a/~$x.docx", "2025/b c/y.xlsx", "2026/z.txt", "README.md", ".hidden/q.txt",
                "2026/.h.txt", "2026/sub/deeper/w.docx"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for folder in (tmp_path, Path("."), Path("2025"), "2026/", str(tmp_path / "2026" / "z.txt")):
        files, skipped = find_files(folder)
        paths, passed = find_paths(folder)
        assert paths == [str(f) for f in files] and passed == skipped and files
