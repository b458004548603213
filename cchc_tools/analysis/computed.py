"""Everything computed from a project's data folder, once: the table, indicators, findings, assessment, totals.

A briefing, a comparison, a trend and the workbench all select their reports from this; nothing is
computed twice in a run (a batch's warm kernel reuses it for every briefing of the same folder while
no file changes). The project's own rules and targets are used exactly like the shipped ones: a
province rule's finding puts its figures in doubt on every page.

The computation is also kept between processes, as Parquet beside the folder's snapshot
(``ingest.snapshot``), under a key that hashes everything it depends on: the snapshot's signature (every
input file's content, the catalog, the forms, the kit's code, the province), the kit's reference data
(indicators, rules, targets, levels...), the project's files and overrides (``Project.fingerprint``) and
the rules and targets as loaded. A later open, a briefing kernel or the workbench reads the kept result
when its key matches, each part when it is first used. When only input files changed since a kept computation
(same project, kit and reference data), what is per report is computed for the changed reports only
(:func:`update`); the assessment, totals and reports, which rank and add up across units, over the table.
Anything else computes afresh (:func:`compute`). Every result is kept, each file written whole.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.assess import Consolidated, assess, consolidate
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.analysis.selection import kept_reports, reports
from cchc_tools.atomic import write_table, write_text
from cchc_tools.errors import AppendixError
from cchc_tools.ingest.loader import LoadResult
from cchc_tools.ingest.snapshot import Snapshot, find_snapshot

if TYPE_CHECKING:
    from cchc_tools.project import Project


class Computed:
    """One data folder's computation: ``table`` (the tidy table), ``errors`` and ``skipped`` (files that did not
    load), ``ind``, ``findings``, ``assessed``, ``totals`` (``consolidate``: totals and ratios per level),
    ``reports`` (one row per report, ``selection.reports``) and the ``rules`` the findings come from.

    Each part is read when first used: a workspace opened from a kept computation reads only what its first
    question needs (the table itself, the largest, often never). ``table_columns`` reads a few columns of the
    table without the rest.
    """

    def __init__(self, snapshot: Snapshot, parts: dict[str, Callable[[], pd.DataFrame]],
                 rules: tuple[Rule, ...] = ()) -> None:
        self._snapshot, self._parts, self.rules = snapshot, parts, rules

    def _part(self, name: str) -> pd.DataFrame:
        return self._parts[name]()

    @cached_property
    def _loaded(self) -> LoadResult:
        return self._snapshot.result

    @property
    def table(self) -> pd.DataFrame:
        return self._loaded.table

    @property
    def errors(self) -> list[AppendixError]:
        return self._loaded.errors

    @property
    def skipped(self) -> list[str]:
        return self._loaded.skipped

    @cached_property
    def ind(self) -> pd.DataFrame:
        return self._part("ind")

    @cached_property
    def findings(self) -> pd.DataFrame:
        return self._part("findings")

    @cached_property
    def assessed(self) -> pd.DataFrame:
        return self._part("assessed")

    @cached_property
    def reports(self) -> pd.DataFrame:
        return self._part("reports")

    @cached_property
    def totals(self) -> Consolidated:
        return Consolidated(self._part("totals"), self._part("ratios"))

    def table_columns(self, names: list[str]) -> pd.DataFrame:
        """Only the columns ``names`` of the tidy table (the whole table once it has been read)."""
        if "_loaded" in self.__dict__:
            return self.table[names]
        return self._snapshot.columns(names)


_CACHE: dict[str, Computed] = {}

KEPT_FORMAT = 2  # bump when what is kept (its files or columns) changes shape
KEPT_PARTS = ("ind", "findings", "assessed", "totals", "ratios", "reports")
KEEP_OTHERS = 2
KEPT_META = "meta.json"


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def computation_key(signature: str, project: Project) -> str:
    """One hash of everything the computation depends on (see the module's docstring).

    ``signature``: the data folder's snapshot signature (``ingest.snapshot.Snapshot.signature``), which
    already holds every input file's SHA-256 and the hash of the kit's code.
    """
    return _sha([context_key(signature, project), json.loads(signature)[7]])


def context_key(signature: str, project: Project) -> str:
    """The hash of everything the computation depends on but the input files' content: two computations with the
    same context differ only by the reports whose files differ."""
    from cchc_tools.project import reference_files

    rules = [r.as_dict() for r in project.rules]
    sig = json.loads(signature)
    return _sha([KEPT_FORMAT, sig[:7], sig[8:], reference_files(), project.fingerprint, project.province, rules,
                 list(project.targets)])


def _sources(signature: str, project: Project) -> dict[str, str | None]:
    """Each input file's ``source`` (as the tidy table names it) and its SHA-256."""
    from cchc_tools.ingest.loader import source_name

    return {source_name(path, project.root): sha for path, sha in json.loads(signature)[7]}


def kept_dir(base: Path, key: str) -> Path:
    """The folder a computation is kept in: beside the snapshot ``base``, named by its key."""
    return base.parent / f"{base.name}.computed" / key[:32]


def _kept_ok(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds the computation of ``key`` whole (its ``meta.json`` is written last)."""
    try:
        meta = json.loads((folder / KEPT_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("key") == key and meta.get("format") == KEPT_FORMAT


def _keep(folder: Path, key: str, parts: dict[str, pd.DataFrame], about: dict | None = None) -> None:
    """Write each part whole (``atomic``), the key last: a folder without its ``meta.json`` is never read.
    Of the computations kept under other keys of the same data folder, the latest ``KEEP_OTHERS`` stay (a
    process that opened one a moment ago still reads its parts); older ones are removed."""
    try:
        for part, frame in parts.items():
            write_table(frame, folder / f"{part}.parquet")
        write_text(folder / KEPT_META, json.dumps({"key": key, "format": KEPT_FORMAT, **(about or {})},
                                                  ensure_ascii=False))
    except OSError:
        return  # a read-only checkout still works, just without the kept computation
    others = [d for d in folder.parent.iterdir() if d.is_dir() and d.name != folder.name]
    others.sort(key=lambda d: d.stat().st_mtime_ns, reverse=True)
    for old in others[KEEP_OTHERS:]:
        shutil.rmtree(old, ignore_errors=True)


def compute(table: pd.DataFrame, project: Project) -> dict[str, pd.DataFrame]:
    """Indicators, findings (the project's rules), assessment (its targets), totals and the reports of a
    tidy table, by the names they are kept under (``KEPT_PARTS``)."""
    ind = indicators(table, project.forms)
    findings = validate(table, rules=project.rules, province=project.province, forms=project.forms)
    return _across(table, project, ind, findings, reports(table, project.province))


def _across(table: pd.DataFrame, project: Project, ind: pd.DataFrame, findings: pd.DataFrame,
            reps: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The parts that rank and add up across units, over the kept reports only (``selection.reports``: never a
    unit outside the project's province, never a superseded report); ``ind``, ``findings`` and ``reports`` cover
    every report, so that a page can still say what was left out and why."""
    keep = set(kept_reports(reps)["source"])
    kept_table = table[table["source"].isin(keep)] if len(keep) < len(reps) else table
    kept_ind = ind[ind["source"].isin(keep)] if len(keep) < len(reps) else ind
    assessed = assess(kept_table, targets=project.targets, ind=kept_ind, findings=findings, rules=project.rules)
    totals = consolidate(kept_table, ind=kept_ind, findings=findings, rules=project.rules, forms=project.forms)
    return {"ind": ind, "findings": findings, "assessed": assessed, "totals": totals.totals,
            "ratios": totals.ratios, "reports": reps}


def _by_report(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows ordered by report as ``indicators`` and ``validate`` order them, each report's own order kept."""
    return frame.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def _dup_keys(reps: pd.DataFrame) -> set:
    """The (unit, year, period) of the reports that share them with another report (``duplicate_report``)."""
    named = reps[reps["unit"] != ""]
    keys = list(zip(named["unit"], named["year"].astype(object), named["period"], strict=True))
    seen: dict = {}
    for k in keys:
        seen[k] = seen.get(k, 0) + 1
    return {k for k, n in seen.items() if n > 1}


def update(table: pd.DataFrame, project: Project, old: dict[str, pd.DataFrame], changed: set[str]
           ) -> dict[str, pd.DataFrame]:
    """The computation of ``table`` from ``old``, the computation of the same folder and project before the
    reports ``changed`` (their sources: changed, added or removed files) changed.

    Per report, what is per report: indicators and findings of the changed reports are computed, the others'
    taken from ``old``; the findings of every report that shares, or shared, its unit and period with another
    (``duplicate_report``) are found again. Per peer group, what is not: the assessment (ranks, changes),
    the totals and the reports are computed over the whole table. Equal to :func:`compute` of ``table``.
    """
    from cchc_tools.analysis.indicators import REPORT_ID

    reps = reports(table, project.province)
    again = set(changed)
    dup = _dup_keys(reps) | _dup_keys(old["reports"])
    if dup:
        keyed = zip(reps["unit"], reps["year"].astype(object), reps["period"], strict=True)
        again |= {src for src, k in zip(reps["source"], keyed, strict=True) if k in dup}
        old_keyed = zip(old["reports"]["unit"], old["reports"]["year"].astype(object), old["reports"]["period"],
                        strict=True)
        again |= {src for src, k in zip(old["reports"]["source"], old_keyed, strict=True) if k in dup}
    rows = table[table["source"].isin(again)]
    fresh_ind = indicators(rows, project.forms) if len(rows) else old["ind"].iloc[:0]
    fresh_findings = (validate(rows, rules=project.rules, province=project.province, forms=project.forms)
                      if len(rows) else old["findings"].iloc[:0])
    ind = pd.concat([old["ind"][~old["ind"]["source"].isin(again)], fresh_ind], ignore_index=True)
    findings = pd.concat([old["findings"][~old["findings"]["source"].isin(again)], fresh_findings],
                         ignore_index=True)
    ind = _by_report(ind, REPORT_ID)
    findings = _by_report(findings, ["source", "unit", "year", "period"])
    ind["year"], findings["year"] = ind["year"].astype("Int64"), findings["year"].astype("Int64")
    return _across(table, project, ind, findings, reps)


class _Parts:
    """The parts of one computation: read from what was kept, one at a time as asked for; computed from the table
    when nothing was kept (or what was kept cannot be read any more), and then kept."""

    def __init__(self, snapshot: Snapshot, project: Project, key: str, kept: bool) -> None:
        self.snapshot, self.project, self.key = snapshot, project, key
        self.folder = kept_dir(snapshot.base, key)
        self.frames: dict[str, pd.DataFrame] | None = None if kept else self._compute()

    def _compute(self) -> dict[str, pd.DataFrame]:
        table = self.snapshot.result.table
        context = context_key(self.snapshot.signature, self.project)
        sources = _sources(self.snapshot.signature, self.project)
        frames = None
        earlier = self._earlier(context)
        if earlier is not None:
            folder, files = earlier
            changed = {s for s in set(sources) | set(files) if sources.get(s) is None or sources[s] != files.get(s)}
            try:
                old = {name: pd.read_parquet(folder / f"{name}.parquet") for name in KEPT_PARTS}
                frames = update(table, self.project, old, changed)
            except (OSError, ValueError):
                frames = None  # removed or damaged meanwhile: computed whole
        if frames is None:
            frames = compute(table, self.project)
        _keep(self.folder, self.key, frames, {"context": context, "files": sources})
        return frames

    def _earlier(self, context: str) -> tuple[Path, dict[str, str | None]] | None:
        """The latest computation kept for the same folder, project and kit (only the inputs differ)."""
        found = []
        for d in self.folder.parent.iterdir() if self.folder.parent.is_dir() else ():
            try:
                meta = json.loads((d / KEPT_META).read_text(encoding="utf-8"))
                if meta.get("context") == context and meta.get("format") == KEPT_FORMAT and "files" in meta:
                    found.append((d.stat().st_mtime_ns, d, meta["files"]))
            except (OSError, ValueError):
                continue  # being written or removed: not a computation to start from
        if not found:
            return None
        _, folder, files = max(found, key=lambda f: f[0])
        return folder, files

    def get(self, name: str) -> pd.DataFrame:
        if self.frames is None:
            try:
                return pd.read_parquet(self.folder / f"{name}.parquet")
            except (OSError, ValueError):
                self.frames = self._compute()  # removed or damaged since it was found: computed afresh
        return self.frames[name]


def computed(project: Project, data_dir: str | Path | None = None) -> Computed:
    """The project's data folder (or ``data_dir``) loaded from its snapshot, with indicators, findings
    (the project's rules), assessment (its targets) and totals: computed once per content of the folder and
    project, kept in memory and on disk (see the module's docstring)."""
    snap = find_snapshot(project, data_dir)
    key = computation_key(snap.signature, project)
    if key not in _CACHE:
        parts = _Parts(snap, project, key, _kept_ok(kept_dir(snap.base, key), key))
        _CACHE.clear()
        _CACHE[key] = Computed(snap, {name: partial(parts.get, name) for name in KEPT_PARTS}, project.rules)
    return _CACHE[key]
