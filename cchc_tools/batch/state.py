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
from pathlib import Path

from cchc_tools.atomic import TEMPORARY, stale_temporary, write_text
from cchc_tools.batch.tasks import Task


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


def remove_stale_temporaries(out_root: Path) -> list[Path]:
    """Temporary files that a killed run of the kit left under the outputs folder: only files named by
    :mod:`cchc_tools.atomic` (``.<stem>.cchc-<run id>-….tmp…``) whose run's process is gone, never another file
    (a person's ``.notes.tmp.txt`` stays), never through a symbolic link. Called holding the folder's lock
    (:mod:`cchc_tools.lock`)."""
    if not out_root.is_dir():
        return []
    removed = []
    for folder, _dirs, files in os.walk(out_root):  # never follows a link out of the folder
        for name in files:
            p = Path(folder) / name
            if TEMPORARY.match(name) and not p.is_symlink() and stale_temporary(p):
                try:
                    os.unlink(p)
                    removed.append(p)
                except OSError:
                    pass
    return removed
