"""Incremental runs: the state of a briefing is its provenance JSON, written beside its outputs last.

A briefing is up to date when its JSON exists, records the same fingerprint (the provenance
stamp without its time: content hashes of its input files, of the peer context it shows (ranks,
peer counts), of the reference data, of the notebook, the kit and the parameters) and every output it
lists is still there. The JSON is removed before a briefing runs and written (atomically) only once all
its outputs are whole, so a run killed half-way leaves no entry for a briefing it did not finish.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from cchc_tools.atomic import write_text
from cchc_tools.batch.tasks import Task

TMP_GLOB = ".*.tmp*"  # cchc_tools.atomic's temporary files: .<stem>.<random>.tmp<suffix>


def read(task: Task) -> dict | None:
    try:
        return json.loads(task.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def up_to_date(task: Task, fingerprint: str) -> bool:
    state = read(task)
    if not state or state.get("fingerprint") != fingerprint:
        return False
    return all((task.out_dir / name).is_file() for name in state.get("outputs", []))


def forget(task: Task) -> None:
    """Before a briefing runs: whatever happens next, no stale entry claims it is done."""
    task.state.unlink(missing_ok=True)


def record(task: Task, stamp: dict, outputs: list[Path]) -> Path:
    payload = {**stamp, "outputs": sorted(p.relative_to(task.out_dir).as_posix() for p in outputs)}
    return write_text(task.state, json.dumps(payload, ensure_ascii=False, indent=1))


def remove_stale_temporaries(out_root: Path, older_than: float = 0.0) -> list[Path]:
    """Temporary files a killed run left behind (never complete outputs: those were renamed)."""
    if not out_root.exists():
        return []
    removed = []
    now = time.time()
    for p in out_root.rglob(TMP_GLOB):
        try:
            if p.is_file() and now - p.stat().st_mtime >= older_than:
                os.unlink(p)
                removed.append(p)
        except OSError:
            pass
    return removed
