"""Everything computed from a project's data folder, once per process: the table, indicators, findings, assessment.

A briefing, a comparison, a trend and the workbench all select their reports from this; nothing is
computed twice in a run (a batch's warm kernel reuses it for every briefing of the same folder while
no file changes). The project's own rules and targets are used exactly like the shipped ones: a
province rule's finding puts its figures in doubt on every page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from cchc_tools.analysis.assess import assess
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.errors import AppendixError
from cchc_tools.ingest.snapshot import load_data

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


_CACHE: dict[tuple, Computed] = {}


def computed(project: Project, data_dir: str | Path | None = None) -> Computed:
    """The project's data folder (or ``data_dir``) loaded from its snapshot, with indicators, findings
    (the project's rules) and assessment (its targets), computed once per load and project."""
    result = load_data(project, data_dir)
    # the snapshot is cached while the folder does not change; the project's rules and targets are its own
    key = (id(result.table), project.fingerprint)
    if key not in _CACHE:
        ind = indicators(result.table)
        findings = validate(result.table, rules=project.rules, province=project.province)
        _CACHE.clear()
        _CACHE[key] = Computed(result.table, result.errors, result.skipped, ind, findings,
                               assess(result.table, targets=project.targets, ind=ind, findings=findings,
                                      rules=project.rules), project.rules)
    return _CACHE[key]
