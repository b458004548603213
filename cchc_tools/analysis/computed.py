"""Everything computed from a data folder, once per process: the table, indicators, findings, assessment.

A briefing, a comparison and a trend all select their reports from this; nothing is computed twice
in a run (a batch's warm kernel reuses it for every briefing of the same folder while no file changes).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from cchc_tools.analysis.assess import assess
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.errors import AppendixError
from cchc_tools.ingest.snapshot import load_data


class Computed(NamedTuple):
    table: pd.DataFrame
    errors: list[AppendixError]
    skipped: list[str]
    ind: pd.DataFrame
    findings: pd.DataFrame
    assessed: pd.DataFrame


_CACHE: dict[int, Computed] = {}


def computed(data_dir: str | Path | None = None) -> Computed:
    """The loaded folder (its snapshot) with indicators, findings and assessment, computed once per load."""
    result = load_data(data_dir)
    key = id(result.table)  # the snapshot is cached while the folder does not change: so is this
    if key not in _CACHE:
        ind = indicators(result.table)
        findings = validate(result.table)
        _CACHE.clear()
        _CACHE[key] = Computed(result.table, result.errors, result.skipped, ind, findings,
                               assess(result.table, ind=ind, findings=findings))
    return _CACHE[key]
