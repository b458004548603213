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
when its key matches, each part when it is first used.

What is kept per report (indicators, findings, assessment) is kept in one file per year, period and level
(a *partition*); what is per peer group (totals, ratios) and the reports themselves whole (they are small).
When only input files changed since a kept computation (same project, kit and reference data), the new one is
made from it (:func:`plan` and :func:`apply`): indicators and findings of the changed reports only; the assessment
of the peer groups (year, coverage, level) they belong or belonged to, and of the later years of their units (a
change is against the year before); the totals of their (year, period, level). Only the partitions these touch are
read and written; the others are linked from the earlier computation. Anything else computes afresh
(:func:`compute`). Every result is kept, each file written whole; the result equals a fresh computation.

This module sits above the project (it takes a :class:`~cchc_tools.project.Project`) and below everything that
reads a computation (content, render, batch, cycle, workbench).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import pandas as pd

from cchc_tools.analysis.assess import (
    GROUP,
    Consolidated,
    assess,
    assess_reports,
    consolidate,
    rank_and_change,
)
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.analysis.selection import kept_reports, reports, unit_key
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.atomic import write_table, write_text
from cchc_tools.catalog import by_code
from cchc_tools.errors import AppendixError, UnknownUnitError
from cchc_tools.fingerprint import reference_files
from cchc_tools.i18n import _
from cchc_tools.ingest.loader import LoadResult
from cchc_tools.ingest.snapshot import Snapshot, open_snapshot
from cchc_tools.project import Project


def resolve_data_dir(project: Project, data_dir: str | Path | None = None) -> Path:
    """``None`` or ``""`` is the project's data folder; a relative path is relative to the project."""
    return project.resolve(data_dir, project.data)


def find_snapshot(project: Project, data_dir: str | Path | None = None) -> Snapshot:
    """The project's data folder (or ``data_dir``) and its signature, hashed now; nothing is parsed or read."""
    folder = resolve_data_dir(project, data_dir)
    if not folder.exists():
        raise UnknownUnitError(_("data folder {folder} does not exist").format(folder=folder))
    return open_snapshot(folder, province=project.province, root=project.root, cache=project.cache,
                         forms=project.forms)


def load_data(project: Project, data_dir: str | Path | None = None) -> LoadResult:
    """Every appendix under the project's data folder, or ``data_dir`` (cached while the files do not change)."""
    return find_snapshot(project, data_dir).result


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

KEPT_FORMAT = 3  # bump when what is kept (its files or columns) changes shape
KEPT_PARTS = ("ind", "findings", "assessed", "totals", "ratios", "reports", "heads")
PER_REPORT = ("ind", "findings", "assessed")  # kept in one file per partition (year, period, level)
KEEP_OTHERS = 2
KEPT_META = "meta.json"
HEAD_COLUMNS = ["source", "unit", "unit_name", "level", "year", "period", "report_no", "report_date", "synthetic",
                "form", "unit_code", "province", "cumulative"]  # what ``selection.reports`` reads of a table
ACROSS_COLUMNS = HEAD_COLUMNS + ["code", "value", "raw_value", "note"]  # what ``assess_reports`` reads
TOTAL_COLUMNS = ["source", "unit", "unit_name", "level", "year", "period", "code", "value"]  # ``consolidate``'s


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
    rules = [r.as_dict() for r in project.rules]
    sig = json.loads(signature)
    return _sha([KEPT_FORMAT, sig[:7], sig[8:], reference_files(), project.fingerprint, project.province, rules,
                 list(project.targets)])


def _sources(snapshot: Snapshot, project: Project) -> dict[str, str | None]:
    """Each input file's ``source`` (as the tidy table names it) and its SHA-256."""
    known = snapshot.sources()
    if known:
        return known
    from cchc_tools.ingest.loader import source_name

    return {source_name(path, project.root): sha for path, sha in json.loads(snapshot.signature)[7]}


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


# --- the order and the partitions of what is kept ---------------------------------------------------

def _plain(v):
    """A key's value as JSON gives it back: NA as None, a number as int."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v if isinstance(v, str) else int(v)


def _gkey(year, period, level) -> tuple:
    return (_plain(year), _plain(period), _plain(level))


def _gid(key: tuple) -> str:
    return hashlib.sha256(json.dumps(list(key), ensure_ascii=False).encode()).hexdigest()[:16]


def _na_none(v):
    """A value as a key compares it: NA as None, anything else as it is."""
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _distinct(frame: pd.DataFrame, cols: list[str], plain: tuple[Callable, ...]) -> tuple[np.ndarray, list[tuple]]:
    """Each row's number among the distinct values of ``cols`` (NA one value), and those values as tuples, each
    value through its ``plain``: a key per distinct value, not per row."""
    if frame.empty:
        return np.zeros(0, dtype=int), []
    g = frame.groupby(cols, dropna=False, sort=False)
    keys = [tuple(f(v) for f, v in zip(plain, k, strict=True)) for k in g.size().index]
    return g.ngroup().to_numpy(), keys


def _by_source(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by report (``source``), each report's own order kept: the order ``indicators``, ``validate``
    and ``assess`` give, whichever reports were computed together."""
    return frame.sort_values("source", kind="stable").reset_index(drop=True)


def _by_source_with(kept: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``_by_source(pd.concat([kept, new]))`` where ``kept`` and ``new`` are each by source and share no report:
    each of ``new``'s reports put in its place among ``kept``'s as a slice, the frames never sorted again (their
    text columns never taken row by row). Otherwise, sorted."""
    if kept.empty or new.empty:
        return _by_source(pd.concat([kept, new], ignore_index=True) if len(new) else kept)
    k_src, n_src = kept["source"].to_numpy(dtype=object), new["source"].to_numpy(dtype=object)
    k_at = np.flatnonzero(np.r_[True, k_src[1:] != k_src[:-1]])
    n_at = np.flatnonzero(np.r_[True, n_src[1:] != n_src[:-1]])
    k_one, n_one = k_src[k_at], n_src[n_at]
    if not (_rising(k_one) and _rising(n_one)) or set(k_one) & set(n_one):
        return _by_source(pd.concat([kept, new], ignore_index=True))
    k_ends, n_ends = np.r_[k_at[1:], len(k_src)], np.r_[n_at[1:], len(n_src)]
    pieces, k = [], 0
    for j, before in enumerate(np.searchsorted(k_one, n_one).tolist()):  # new report j goes before kept's ``before``
        if before > k:
            pieces.append(kept.iloc[k_at[k]:k_ends[before - 1]])
            k = before
        pieces.append(new.iloc[n_at[j]:n_ends[j]])
    if k < len(k_one):
        pieces.append(kept.iloc[k_at[k]:])
    return pd.concat(pieces, ignore_index=True)


def _rising(values: np.ndarray) -> bool:
    """Whether ``values`` (text) are in strictly rising order, as a sort by source orders them."""
    return bool(len(values) < 2 or (values[1:] > values[:-1]).all())


def _canonical_totals(totals: pd.DataFrame) -> pd.DataFrame:
    """Totals in ``consolidate``'s order: year, period, level, then the catalog's order of codes."""
    order = {c: i for i, c in enumerate(by_code())}
    return totals.sort_values(GROUP + ["code"], key=lambda s: s.map(order) if s.name == "code" else s,
                              kind="stable").reset_index(drop=True)


def _canonical_ratios(ratios: pd.DataFrame) -> pd.DataFrame:
    """Ratios by year, period, level, then the order indicators are declared in."""
    order = {s["id"]: i for i, s in enumerate(indicator_specs())}
    return ratios.sort_values(GROUP + ["indicator"], key=lambda s: s.map(order) if s.name == "indicator" else s,
                              kind="stable").reset_index(drop=True)


def heads(table: pd.DataFrame) -> pd.DataFrame:
    """One row per report of a tidy table with what ``selection.reports`` reads of it (``cumulative``: whether
    every row of the report is), by source: ``reports(heads(table))`` is ``reports(table)``."""
    cols = [c for c in HEAD_COLUMNS if c in table.columns]
    out = table.drop_duplicates("source")[cols]
    if "cumulative" in table.columns and len(out):
        whole = table.groupby("source", sort=False)["cumulative"].all()
        out = out.assign(cumulative=out["source"].map(whole).astype(bool))
    return _by_source(out)


# --- computing ------------------------------------------------------------------------------------

def compute(table: pd.DataFrame, project: Project) -> dict[str, pd.DataFrame]:
    """Indicators, findings (the project's rules), assessment (its targets), totals and the reports of a
    tidy table, by the names they are kept under (``KEPT_PARTS``)."""
    ind = _by_source(indicators(table, project.forms))
    findings = _by_source(validate(table, rules=project.rules, province=project.province, forms=project.forms))
    reps = reports(table, project.province)
    keep = set(kept_reports(reps)["source"])
    kept_table = table[table["source"].isin(keep)] if len(keep) < len(reps) else table
    kept_ind = ind[ind["source"].isin(keep)] if len(keep) < len(reps) else ind
    assessed = assess(kept_table, targets=project.targets, ind=kept_ind, findings=findings, rules=project.rules,
                          forms=project.forms)
    totals = consolidate(kept_table, ind=kept_ind, findings=findings, rules=project.rules, forms=project.forms)
    return {"ind": ind, "findings": findings, "assessed": _by_source(assessed),
            "totals": _canonical_totals(totals.totals), "ratios": _canonical_ratios(totals.ratios), "reports": reps,
            "heads": heads(table)}


def _dup_keys(reps: pd.DataFrame) -> set:
    """The (unit, year, period) of the reports that share them with another report (``duplicate_report``)."""
    named = reps[reps["unit"] != ""]
    twice = named.duplicated(["unit", "year", "period"], keep=False).to_numpy()
    if not twice.any():
        return set()
    named = named[twice]
    return set(zip(named["unit"], named["year"].astype(object), named["period"], strict=True))


def _reports_after(old_heads: pd.DataFrame, old_reports: pd.DataFrame, new_heads: pd.DataFrame, changed: set[str],
                   province: str) -> pd.DataFrame:
    """``reports(new_heads, province)``, computed again only for the reports of the units (``selection.unit_key``)
    of the reports ``changed`` as they were and as they are: a report's coverage is its own, and whether it is
    superseded depends only on the reports of its unit, year and period; the others are as in ``old_reports``."""
    from cchc_tools.periods import period_order

    if old_reports.empty or "kept" not in old_reports:
        return reports(new_heads, province)
    cols = [c for c in ("unit_code", "unit_name", "unit") if c in new_heads.columns]

    def keys(frame: pd.DataFrame) -> list[str]:
        return [unit_key(r) for r in frame[cols].astype(object).to_dict("records")]

    before, now = old_heads[old_heads["source"].isin(changed)], new_heads[new_heads["source"].isin(changed)]
    touched = set(keys(before)) | set(keys(now))
    ident = new_heads[cols].astype(object)
    units = ident.drop_duplicates()  # each unit's key once, not once per report
    # a unit with an official code is keyed by it: only those whose code is touched, and those without, are keyed
    coded = units["unit_code"].fillna("").astype(str) if "unit_code" in units else pd.Series("", index=units.index)
    maybe = units[(coded == "") | coded.isin(touched)]
    hit = maybe[[k in touched for k in keys(maybe)]]
    redo = set(ident.assign(source=new_heads["source"].to_numpy(dtype=object)).merge(hit, on=cols)["source"])
    redo |= changed & set(new_heads["source"].unique())
    fresh = reports(new_heads[new_heads["source"].isin(redo)], province)
    rest = old_reports[~old_reports["source"].isin(redo | changed)]
    both = pd.concat([rest, fresh], ignore_index=True) if len(fresh) else rest
    order = {p: period_order(p) for p in both["period"].unique().tolist()}  # once per period, not per report
    both = both.assign(_p=both["period"].map(order))
    return (both.sort_values(["unit", "year", "_p", "source"], kind="stable").drop(columns="_p")
            .reset_index(drop=True)[list(fresh.columns) if len(fresh) else list(old_reports.columns)])


@dataclass
class Plan:
    """What a change of some input files touches (:func:`plan`): the new ``heads`` and ``reports``; ``again``, the
    reports whose indicators and findings are computed again; ``ranked``, the kept reports whose assessment is
    (every report of each peer group (year, coverage, level) a changed report is or was in, and of the later
    years of its unit); ``context``, the earlier reports of their units that a change is measured against;
    ``groups``, the (year, period, level) whose totals are; ``totalled``, their kept reports; ``touched``, every
    report whose rows are read."""

    heads: pd.DataFrame
    reports: pd.DataFrame
    again: set[str]
    ranked: set[str]
    context: set[str]
    groups: set[tuple]
    totalled: set[str]

    @property
    def touched(self) -> set[str]:
        return self.again | self.ranked | self.context | self.totalled


def plan(old_heads: pd.DataFrame, old_reports: pd.DataFrame, changed: set[str], fresh_heads: pd.DataFrame,
         province: str) -> Plan:
    """What the reports ``changed`` (their sources: changed, added or removed files) touch, from the heads and
    reports of the computation before (``old_heads``, ``old_reports``) and the heads of the changed reports as
    they are now (``fresh_heads``, none for a removed file)."""
    new_heads = _by_source(pd.concat([old_heads[~old_heads["source"].isin(changed)], fresh_heads],
                                     ignore_index=True)) if len(fresh_heads) else \
        old_heads[~old_heads["source"].isin(changed)].reset_index(drop=True)
    reps = _reports_after(old_heads, old_reports, new_heads, changed, province)
    again = set(changed)
    dup = _dup_keys(reps) | _dup_keys(old_reports)
    for frame in (reps, old_reports) if dup else ():
        keyed = zip(frame["unit"], frame["year"].astype(object), frame["period"], strict=True)
        again |= {src for src, k in zip(frame["source"], keyed, strict=True) if k in dup}
    kept_new, kept_old = kept_reports(reps), kept_reports(old_reports)
    new_sources = kept_new["source"].to_numpy(dtype=object)
    moved = again | (set(new_sources) ^ set(kept_old["source"].to_numpy(dtype=object)))

    def info(frame: pd.DataFrame) -> list[tuple]:
        f = frame[frame["source"].isin(moved)]
        return [(u, _plain(y), _na_none(c), _gkey(y, p, lv)) for u, y, c, p, lv in
                zip(f["unit"], f["year"], f["coverage"], f["period"], f["level"], strict=True)]

    touched = info(reps) + info(old_reports)
    ranks = {(y, c, g[2]) for _, y, c, g in touched}
    groups = {g for *_, g in touched}
    since: dict[tuple, int | None] = {}
    for u, y, c, _g in touched:
        if u != "" and y is not None:
            since[(u, c)] = min(y, since.get((u, c), y))
    # what follows is per distinct (year, coverage, level), (unit, coverage) or (year, period, level) of the kept
    # reports, each row pointing at its own: never a loop over every report
    rank_of, rank_keys = _distinct(kept_new, ["year", "coverage", "level"], (_plain, _na_none, _plain))
    units = kept_new["unit"].to_numpy(dtype=object)
    later = kept_new["unit"].isin({u for u, _c in since}).to_numpy()
    for u, i in zip(units[later], rank_of[later], strict=True):
        y, c, _lv = rank_keys[i]
        if (u, c) in since and y is not None and y > since[(u, c)]:
            ranks.add(rank_keys[i])  # a later year of a changed unit: its change is against the changed report
    in_rank = np.array([k in ranks for k in rank_keys], dtype=bool)[rank_of]
    ranked = set(new_sources[in_rank])
    pair_of, _pairs = _distinct(kept_new, ["unit", "coverage"], (_na_none, _na_none))
    paired = np.zeros(len(_pairs), dtype=bool)
    paired[pair_of[in_rank & (units != "")]] = True
    context = set(new_sources[~in_rank & paired[pair_of]])
    group_of, group_keys = _distinct(kept_new, ["year", "period", "level"], (_plain, _plain, _plain))
    totalled = set(new_sources[np.array([k in groups for k in group_keys], dtype=bool)[group_of]])
    return Plan(new_heads, reps, again, ranked, context, groups, totalled)


def _only(frame: pd.DataFrame, sources: set[str]) -> pd.DataFrame:
    """The rows of ``frame`` of the reports ``sources`` (the frame itself when it holds no other)."""
    return _rows_where(frame, frame["source"].isin(sources).to_numpy(dtype=bool))


def _rows_where(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]``: the frame itself when every row is kept; when the rows kept are a few runs (a report or
    two left out of a frame by source), those runs as slices, the columns never taken row by row."""
    if keep.all():
        return frame
    edges = np.flatnonzero(np.diff(np.r_[False, keep, False]))  # where each run of kept rows starts and ends
    if not len(edges) or len(edges) > 64:
        return frame[keep]
    runs = [frame.iloc[a:b] for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True)]
    return runs[0] if len(runs) == 1 else pd.concat(runs)


def apply(p: Plan, rows_of: Callable[[set[str], list[str] | None], pd.DataFrame], project: Project,
          old: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The computation after a change (:func:`plan`), from ``old``: the earlier one, whose per-report parts
    (``ind``, ``findings``, ``assessed``) may hold only some reports as long as every report ``p.touched`` is
    among them (the result then holds the same reports, changed ones put right); ``rows_of(sources, columns)`` gives
    the tidy table's rows of some reports, in the table's order, only ``columns`` (all: None; those the table has)."""
    current = set(p.heads["source"])
    fresh = rows_of(p.again & current, None)
    fresh_ind = indicators(fresh, project.forms) if len(fresh) else old["ind"].iloc[:0]
    fresh_findings = (validate(fresh, rules=project.rules, province=project.province, forms=project.forms)
                      if len(fresh) else old["findings"].iloc[:0])

    def replaced(frame: pd.DataFrame, gone: set[str], new: pd.DataFrame) -> pd.DataFrame:
        return _by_source_with(_rows_where(frame, ~frame["source"].isin(gone).to_numpy(dtype=bool)), new)

    ind = replaced(old["ind"], p.again, fresh_ind)
    findings = replaced(old["findings"], p.again, fresh_findings)
    ind["year"], findings["year"] = ind["year"].astype("Int64"), findings["year"].astype("Int64")
    scope = (p.ranked | p.context) & current
    if p.ranked:
        # each report's own rows as kept, but the changed reports' (and those not assessed before: newly kept)
        kept = _only(old["assessed"], scope - p.again)
        need = scope - set(kept["source"].unique())
        own = kept.iloc[:0]
        if need:
            rows = pd.concat([fresh.loc[fresh["source"].isin(need), [c for c in ACROSS_COLUMNS if c in fresh]],
                              rows_of(need - p.again, ACROSS_COLUMNS)], ignore_index=True)
            own = assess_reports(rows, targets=project.targets, ind=ind[ind["source"].isin(need)],
                                 findings=findings[findings["source"].isin(need)], rules=project.rules,
                                 forms=project.forms)
        # then what is across reports, over the peer groups (and the earlier years a change is against)
        assessed_now = rank_and_change(_by_source_with(kept, own), p.reports)
        assessed_now = assessed_now[assessed_now["source"].isin(p.ranked)]
    else:
        assessed_now = old["assessed"].iloc[:0]
    gone = p.ranked | p.again | (set(old["assessed"]["source"].unique()) - set(kept_reports(p.reports)["source"]))
    assessed = replaced(old["assessed"], gone, assessed_now)

    def in_groups(frame: pd.DataFrame) -> pd.Series:
        return pd.Series([_gkey(y, pe, lv) in p.groups for y, pe, lv in
                          zip(frame["year"], frame["period"], frame["level"], strict=True)], index=frame.index,
                         dtype=bool)

    if p.totalled:
        t = rows_of(p.totalled & current, TOTAL_COLUMNS)
        tot = consolidate(t, ind=ind[ind["source"].isin(p.totalled)], findings=findings, rules=project.rules,
                          forms=project.forms)
        new_totals, new_ratios = tot.totals, tot.ratios
    else:
        new_totals, new_ratios = old["totals"].iloc[:0], old["ratios"].iloc[:0]
    totals = pd.concat([old["totals"][~in_groups(old["totals"])], new_totals], ignore_index=True)
    ratios = pd.concat([old["ratios"][~in_groups(old["ratios"])], new_ratios], ignore_index=True)
    return {"ind": ind, "findings": findings, "assessed": assessed, "totals": _canonical_totals(totals),
            "ratios": _canonical_ratios(ratios), "reports": p.reports, "heads": p.heads}


def update(table: pd.DataFrame, project: Project, old: dict[str, pd.DataFrame], changed: set[str]
           ) -> dict[str, pd.DataFrame]:
    """The computation of ``table`` from ``old``, the computation of the same folder and project before the
    reports ``changed`` (their sources: changed, added or removed files) changed: :func:`plan` and :func:`apply`
    over a table in memory. Equal to :func:`compute` of ``table``."""
    p = plan(old["heads"], old["reports"], changed, heads(table[table["source"].isin(changed)]),
             project.province)

    def rows_of(sources: set[str], columns: list[str] | None) -> pd.DataFrame:
        rows = table[table["source"].isin(sources)].reset_index(drop=True)
        return rows if columns is None else rows[[c for c in columns if c in rows.columns]]

    return apply(p, rows_of, project, old)


# --- keeping --------------------------------------------------------------------------------------

def _partition_of(frame: pd.DataFrame, where: dict[str, str]) -> pd.Series:
    """Each row's partition (none for a report ``where`` does not know), looked up once per report."""
    at, sources = pd.factorize(frame["source"], use_na_sentinel=False)
    ids = np.array([where.get(s) for s in sources.tolist()] + [None], dtype=object)
    return pd.Series(ids[at] if len(at) else ids[:0], index=frame.index, dtype=object)


def _where(reps: pd.DataFrame) -> dict[str, str]:
    """Each report's partition (the id of its year, period and level)."""
    if reps.empty:
        return {}
    g = reps.groupby(["year", "period", "level"], dropna=False, sort=False)
    ids = np.array([_gid(_gkey(*k)) for k in g.size().index], dtype=object)  # once per partition, not per report
    return dict(zip(reps["source"].to_numpy(dtype=object), ids[g.ngroup().to_numpy()], strict=True))


def _link(src: Path, dst: Path) -> None:
    """``dst`` the same file as ``src`` (a hard link; a copy where links cannot be made)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _keep(folder: Path, key: str, parts: dict[str, pd.DataFrame], about: dict | None = None,
          earlier: Path | None = None, unchanged: set[str] = frozenset()) -> None:
    """Write each part whole (``atomic``), the per-report ones one file per partition (those of ``unchanged``
    partitions linked from the computation kept in ``earlier``, which ``parts`` then need not hold), the key last:
    a folder without its ``meta.json`` is never read. Of the computations kept under other keys of the same data
    folder, the latest ``KEEP_OTHERS`` stay (a process that opened one a moment ago still reads its parts); older
    ones are removed."""
    where = _where(parts["reports"])
    written: dict[str, list[str]] = {}
    try:
        for name, frame in parts.items():
            if name not in PER_REPORT:
                write_table(frame, folder / f"{name}.parquet")
                continue
            ids = []
            if len(frame):
                for gid, rows in frame.groupby(_partition_of(frame, where), sort=False):
                    if gid not in unchanged:
                        write_table(rows.reset_index(drop=True), folder / name / f"{gid}.parquet")
                        ids.append(gid)
            for gid in unchanged:
                old = earlier / name / f"{gid}.parquet" if earlier is not None else None
                if old is not None and old.exists():
                    _link(old, folder / name / f"{gid}.parquet")
                    ids.append(gid)
            if not ids:  # no report at all: the empty frame, for its columns
                write_table(frame.iloc[:0], folder / name / "empty.parquet")
                ids.append("empty")
            written[name] = sorted(ids)
        write_text(folder / KEPT_META, json.dumps({"key": key, "format": KEPT_FORMAT, "partitions": written,
                                                   **(about or {})}, ensure_ascii=False))
    except OSError:
        return  # a read-only checkout still works, just without the kept computation
    others = [d for d in folder.parent.iterdir() if d.is_dir() and d.name != folder.name]
    others.sort(key=lambda d: d.stat().st_mtime_ns, reverse=True)
    for old_dir in others[KEEP_OTHERS:]:
        shutil.rmtree(old_dir, ignore_errors=True)


def read_part(folder: Path, name: str, partitions: list[str] | None = None) -> pd.DataFrame:
    """One kept part; of a per-report part, the files of ``partitions`` only (all: None), by source."""
    if name not in PER_REPORT:
        return pd.read_parquet(folder / f"{name}.parquet")
    if partitions is None:
        meta = json.loads((folder / KEPT_META).read_text(encoding="utf-8"))
        partitions = meta["partitions"][name]
    frames = [pd.read_parquet(folder / name / f"{gid}.parquet") for gid in partitions]
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        raise ValueError(f"{folder / name}: no partition")
    return _by_source(frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True))


class _Parts:
    """The parts of one computation: read from what was kept, one at a time as asked for; computed from the table
    when nothing was kept (or what was kept cannot be read any more), and then kept."""

    def __init__(self, snapshot: Snapshot, project: Project, key: str, kept: bool) -> None:
        self.snapshot, self.project, self.key = snapshot, project, key
        self.folder = kept_dir(snapshot.base, key)
        self.frames: dict[str, pd.DataFrame] | None = None if kept else self._compute()

    def _compute(self) -> dict[str, pd.DataFrame]:
        context = context_key(self.snapshot.signature, self.project)
        sources = _sources(self.snapshot, self.project)
        earlier = self._earlier(context)
        if earlier is not None:
            folder, meta = earlier
            files = meta["files"]
            changed = {s for s in set(sources) | set(files) if sources.get(s) is None or sources[s] != files.get(s)}
            try:
                return self._update(folder, meta, changed, context, sources)
            except (OSError, ValueError, KeyError):
                pass  # removed or damaged meanwhile: computed whole
        return self._whole()

    def _update(self, folder: Path, meta: dict, changed: set[str], context: str, sources: dict) -> dict | None:
        """The computation from the one kept in ``folder``, reading and writing only the partitions the change
        touches; its per-report parts, once kept, are read back whole when asked for."""
        old_small = {name: read_part(folder, name) for name in ("heads", "reports", "totals", "ratios")}
        fresh_rows = self.snapshot.rows(changed)
        p = plan(old_small["heads"], old_small["reports"], changed, heads(fresh_rows), self.project.province)
        touched = p.touched
        old_where, new_where = _where(old_small["reports"]), _where(p.reports)
        ids = {old_where[s] for s in touched if s in old_where} | {new_where[s] for s in touched if s in new_where}
        old = dict(old_small)
        for name in PER_REPORT:
            there = [g for g in meta["partitions"][name] if g in ids or g == "empty"]
            old[name] = read_part(folder, name, there) if there else read_part(folder, name,
                                                                              meta["partitions"][name][:1]).iloc[:0]
        fresh_sources = set(fresh_rows["source"].unique())

        def rows_of(wanted: set[str], columns: list[str] | None) -> pd.DataFrame:
            cols = None if columns is None else [c for c in columns if c in fresh_rows.columns]
            if wanted <= fresh_sources:
                rows = _only(fresh_rows, wanted).reset_index(drop=True)
                return rows if cols is None else rows[cols]
            # the snapshot holds the changed files' rows too: one read, in the table's order (a total names its
            # units in it)
            return self.snapshot.rows(wanted, cols)

        frames = apply(p, rows_of, self.project, old)
        all_ids = set(new_where.values())
        unchanged = {g for g in set().union(*(meta["partitions"][n] for n in PER_REPORT)) if g not in ids} & all_ids
        _keep(self.folder, self.key, frames, {"context": context, "files": sources}, earlier=folder,
              unchanged=unchanged)
        for name in PER_REPORT:
            frames.pop(name)  # read back whole, from the partitions, when asked for
        return frames

    def _earlier(self, context: str) -> tuple[Path, dict] | None:
        """The latest computation kept for the same folder, project and kit (only the inputs differ)."""
        found = []
        for d in self.folder.parent.iterdir() if self.folder.parent.is_dir() else ():
            try:
                meta = json.loads((d / KEPT_META).read_text(encoding="utf-8"))
                if meta.get("context") == context and meta.get("format") == KEPT_FORMAT and "files" in meta:
                    found.append((d.stat().st_mtime_ns, d, meta))
            except (OSError, ValueError):
                continue  # being written or removed: not a computation to start from
        if not found:
            return None
        _, folder, meta = max(found, key=lambda f: f[0])
        return folder, meta

    def _whole(self) -> dict[str, pd.DataFrame]:
        frames = compute(self.snapshot.result.table, self.project)
        _keep(self.folder, self.key, frames, {"context": context_key(self.snapshot.signature, self.project),
                                              "files": _sources(self.snapshot, self.project)})
        return frames

    def get(self, name: str) -> pd.DataFrame:
        if self.frames is not None and name in self.frames:
            return self.frames[name]
        try:
            return read_part(self.folder, name)
        except (OSError, ValueError, KeyError):
            self.frames = self._whole()  # removed or damaged since it was found: computed afresh
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
