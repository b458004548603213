"""The task list of a batch: which notebooks to run, with which parameters, writing where.

A task is plain data (picklable): it can go to the kit's own pool of warm kernels or to
any ``concurrent.futures``-style executor. Nothing here knows about processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.errors import UnknownUnitError
from cchc_tools.periods import PERIODS, file_suffix, period_phrase
from cchc_tools.provenance import NOTEBOOKS

if TYPE_CHECKING:
    from cchc_tools.project import Project

KINDS = ("unit", "compare", "trend")  # the kinds of briefing, one notebook each (``provenance.NOTEBOOKS``)


def kind_label(kind: str) -> str:
    """``unit`` -> ``đơn vị`` (in the analyst's language)."""
    from cchc_tools.i18n import _

    return {"unit": _("unit"), "compare": _("comparison"), "trend": _("trend")}[kind]
YEAR = re.compile(r"^\d{4}$")


def check_year(year) -> str:
    """A report year as four digits; anything else (``../../x``) is a clear error, never a path."""
    text = str(year).strip()
    if not YEAR.match(text):
        raise UnknownUnitError(f"invalid year {str(year)!r}: give a year of four digits, for example 2022")
    return text


def check_formats(formats: str | None) -> str:
    """``html,docx`` -> ``html,docx`` in the kit's order (default: every format); unknown names are a clear error."""
    from cchc_tools.render.formats import names as format_names
    from cchc_tools.render.formats import parse_formats

    names = parse_formats(formats or ",".join(format_names()))
    if not names:
        raise UnknownUnitError(f"no output format given: use a comma-separated list of {', '.join(format_names())}")
    return ",".join(names)


@dataclass
class Task:
    kind: str  # unit, compare or trend
    notebook: str  # a notebook of notebooks/ (or an absolute path, in tests)
    parameters: dict  # strings only, as papermill passes them
    out_dir: Path
    stem: str
    title: str
    name: str = ""  # what a reader calls it (the unit's name), for progress and failure lines
    code: str = ""  # the unit's official code (mã đơn vị hành chính), when it has one
    synthetic: bool = False  # made from synthetic (demo) data
    stamp: dict | None = field(default=None, repr=False)  # provenance without time, set by the planner

    @property
    def html(self) -> Path:
        return self.out_dir / f"{self.stem}.html"

    @property
    def executed(self) -> Path:
        return self.out_dir / f"{self.stem}.ipynb"

    @property
    def failed(self) -> Path:
        return self.out_dir / f"{self.stem}.failed.ipynb"

    @property
    def state(self) -> Path:
        """The provenance JSON beside the outputs; present only once every output is written."""
        return self.out_dir / f"{self.stem}.provenance.json"

    @property
    def formats(self) -> list[str]:
        return self.parameters.get("formats", "html").split(",")

    @property
    def label(self) -> str:
        shown = [v for k, v in self.parameters.items() if k not in ("project", "data_dir", "out_dir", "formats") and v]
        return f"{kind_label(self.kind)} {' '.join(shown)}" + (f" ({self.name})" if self.name else "")


@dataclass
class Outcome:
    task: Task
    ok: bool
    seconds: float
    error: str = ""
    skipped: bool = False  # unchanged since the last run: nothing was executed
    outputs: list[str] = field(default_factory=list)


def _common(project: Project, data_dir: Path, out: Path, formats: str | None) -> dict:
    return {"project": str(project.root), "data_dir": str(data_dir), "out_dir": str(out),
            "formats": check_formats(formats)}


def check_period(period: str) -> str:
    """A period the kit knows (``annual``, ``Q1``..``Q4``, ``6-month``, ``9-month``, ``H2``); else a clear error."""
    if period not in PERIODS:
        raise UnknownUnitError(f"unknown period {period!r}: use one of {', '.join(PERIODS)}")
    return period


def unit_task(project: Project, year, unit: str, data_dir: Path, out_root: Path, period: str = "annual",
              formats: str | None = None, name: str = "") -> Task:
    from cchc_tools.analysis.selection import check_slug  # pandas: never imported by a worker for its tasks

    check_slug(unit)
    year = check_year(year)
    check_period(period)
    stem = "briefing" + file_suffix(period)
    out = out_root / year / unit
    params = {"year": year, "unit": unit, "period": period, **_common(project, data_dir, out, formats)}
    return Task("unit", NOTEBOOKS["unit"], params, out, stem, f"Báo cáo tóm tắt CCHC – {name or unit} – {year}",
                name)


def compare_task(project: Project, year, data_dir: Path, out_root: Path, formats: str | None = None,
                 period: str = "annual") -> Task:
    """A comparison of the reports of one year that cover the same stretch (``period``: annual, Q1, 9-month...)."""
    year = check_year(year)
    out = out_root / year
    stem = "compare" + file_suffix(check_period(period))
    return Task("compare", NOTEBOOKS["compare"],
                {"year": year, "period": period, **_common(project, data_dir, out, formats)},
                out, stem, f"So sánh các đơn vị – {period_phrase(period, year)}")


def trend_task(project: Project, unit: str, data_dir: Path, out_root: Path, formats: str | None = None,
               name: str = "") -> Task:
    from cchc_tools.analysis.selection import check_slug  # pandas: never imported by a worker for its tasks

    check_slug(unit)
    out = out_root / "trend"
    return Task("trend", NOTEBOOKS["trend"], {"unit": unit, **_common(project, data_dir, out, formats)},
                out, unit, f"Diễn biến CCHC – {name or unit}", name)


@dataclass
class Plan:
    tasks: list[Task]
    load_errors: list  # AppendixError of every file that could not be read
    unbriefable: list[tuple[str, str]]  # (unit name or file, why no briefing can be made)
    result: object = None  # the LoadResult the plan was made from


def _unbriefable_reason(report) -> str:
    """Why a report that was read gets no briefing, said about its file (what its title lacks)."""
    from cchc_tools.i18n import _

    if not YEAR.match(str(report.year)) or not report.period:
        return _("its title lines give no report year and period (expected a title such as \"... CẢI CÁCH "
                 "HÀNH CHÍNH NĂM 2022\" or \"... QUÝ I NĂM 2023\")")
    return _("its unit's name gives no folder name (expected a unit name with letters or digits)")


def plan_all(project: Project, data_dir: Path, out_root: Path, formats: str | None = None, result=None) -> Plan:
    """Every unit briefing found in the data, a comparison per year and coverage, and a trend per unit.

    A unit whose name gives no usable slug (too long, say) is reported by name, never stops the others. Only the
    reports the pages count are planned (``selection.reports``, with the project's province): a unit outside the
    province gets no briefing, comparison or trend, and a report superseded by a later one of its unit and period
    no briefing of its own.
    """
    from cchc_tools.analysis.selection import kept_reports, reports
    from cchc_tools.pipeline import load_data

    result = result if result is not None else load_data(project, data_dir)
    reps = kept_reports(reports(result.table, project.province))
    tasks: list[Task] = []
    unbriefable: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    synthetic: dict[str, bool] = {}
    planned: set[Path] = set()
    for r in reps.itertuples():
        who = r.unit_name or r.unit or r.source
        try:
            task = unit_task(project, r.year, r.unit, data_dir, out_root, r.period, formats, r.unit_name)
            if task.html in planned:  # a unit's second report of a period: one briefing (of the report it selects)
                continue
            planned.add(task.html)
            task.code, task.synthetic = str(getattr(r, "unit_code", "") or ""), bool(r.synthetic)
            tasks.append(task)
            names.setdefault(r.unit, r.unit_name)
            codes.setdefault(r.unit, task.code)
            synthetic.setdefault(r.unit, task.synthetic)
        except UnknownUnitError:  # said about the file, never as advice on the command line's --unit
            unbriefable.append((f"{who} ({r.source})", _unbriefable_reason(r)))
    for (year, cover), grp in reps.dropna(subset=["year"]).groupby(["year", "coverage"], sort=True):
        task = compare_task(project, int(year), data_dir, out_root, formats, cover)  # reports of the same coverage only
        task.synthetic = bool(grp["synthetic"].any())
        tasks.append(task)
    for u in sorted(names, key=lambda u: (codes[u] == "", codes[u].zfill(5), u)):  # by official code
        task = trend_task(project, u, data_dir, out_root, formats, names[u])
        task.code, task.synthetic = codes[u], synthetic[u]
        tasks.append(task)
    return Plan(tasks, list(result.errors), unbriefable, result)
