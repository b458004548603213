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
when its key matches; anything else computes afresh and keeps the new result.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from cchc_tools.analysis.assess import Consolidated, assess, consolidate
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.atomic import write_table, write_text
from cchc_tools.errors import AppendixError
from cchc_tools.ingest.snapshot import load_snapshot

if TYPE_CHECKING:
    from cchc_tools.project import Project


class Computed(NamedTuple):
    table: pd.DataFrame
    errors: list[AppendixError]
    skipped: list[str]
    ind: pd.DataFrame
    findings: pd.DataFrame
    assessed: pd.DataFrame
    rules: tuple[Rule, ...] = ()
    totals: Consolidated | None = None  # consolidate() of the whole table: totals and ratios per level


_CACHE: dict[str, Computed] = {}

KEPT_FORMAT = 1  # bump when what is kept (its files or columns) changes shape
KEPT_PARTS = ("ind", "findings", "assessed", "totals", "ratios")
KEPT_META = "meta.json"


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def computation_key(signature: str, project: Project) -> str:
    """One hash of everything the computation depends on (see the module's docstring).

    ``signature``: the data folder's snapshot signature (``ingest.snapshot.Snapshot.signature``), which
    already holds every input file's SHA-256 and the hash of the kit's code.
    """
    from cchc_tools.project import reference_files

    rules = [r.as_dict() for r in project.rules]
    return _sha([KEPT_FORMAT, signature, reference_files(), project.fingerprint, project.province, rules,
                 list(project.targets)])


def kept_dir(base: Path, key: str) -> Path:
    """The folder a computation is kept in: beside the snapshot ``base``, named by its key."""
    return base.parent / f"{base.name}.computed" / key[:32]


def _read_kept(folder: Path, key: str) -> dict[str, pd.DataFrame] | None:
    """The kept parts when ``folder`` holds the computation of ``key`` whole, else None."""
    try:
        meta = json.loads((folder / KEPT_META).read_text(encoding="utf-8"))
        if meta.get("key") != key or meta.get("format") != KEPT_FORMAT:
            return None
        return {part: pd.read_parquet(folder / f"{part}.parquet") for part in KEPT_PARTS}
    except (OSError, ValueError, KeyError):
        return None  # not kept yet, damaged, or removed while being read: compute afresh


def _keep(folder: Path, key: str, parts: dict[str, pd.DataFrame]) -> None:
    """Write each part whole (``atomic``), the key last: a folder without its ``meta.json`` is never read.
    Computations kept under other keys of the same folder are removed."""
    try:
        for part, frame in parts.items():
            write_table(frame, folder / f"{part}.parquet")
        write_text(folder / KEPT_META, json.dumps({"key": key, "format": KEPT_FORMAT}))
    except OSError:
        return  # a read-only checkout still works, just without the kept computation
    for other in folder.parent.iterdir():
        if other.is_dir() and other.name != folder.name:
            shutil.rmtree(other, ignore_errors=True)


def compute(table: pd.DataFrame, project: Project) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Consolidated]:
    """Indicators, findings (the project's rules), assessment (its targets) and totals of a tidy table."""
    ind = indicators(table)
    findings = validate(table, rules=project.rules, province=project.province)
    assessed = assess(table, targets=project.targets, ind=ind, findings=findings, rules=project.rules)
    totals = consolidate(table, ind=ind, findings=findings, rules=project.rules)
    return ind, findings, assessed, totals


def computed(project: Project, data_dir: str | Path | None = None) -> Computed:
    """The project's data folder (or ``data_dir``) loaded from its snapshot, with indicators, findings
    (the project's rules), assessment (its targets) and totals: computed once per content of the folder and
    project, kept in memory and on disk (see the module's docstring)."""
    snap = load_snapshot(project, data_dir)
    key = computation_key(snap.signature, project)
    if key in _CACHE:
        return _CACHE[key]
    result = snap.result
    folder = kept_dir(snap.base, key)
    kept = _read_kept(folder, key)
    if kept is not None:
        ind, findings, assessed = kept["ind"], kept["findings"], kept["assessed"]
        totals = Consolidated(kept["totals"], kept["ratios"])
    else:
        ind, findings, assessed, totals = compute(result.table, project)
        _keep(folder, key, {"ind": ind, "findings": findings, "assessed": assessed, "totals": totals.totals,
                            "ratios": totals.ratios})
    _CACHE.clear()
    _CACHE[key] = Computed(result.table, result.errors, result.skipped, ind, findings, assessed, project.rules,
                           totals)
    return _CACHE[key]
