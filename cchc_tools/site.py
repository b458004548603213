"""The outputs folder as a whole: what ``cchc brief`` makes around the briefings.

``brief_all`` (``cchc brief --all``) holds the outputs folder's lock (:mod:`cchc_tools.lock`) for the whole run and
makes every briefing whose inputs changed (:func:`cchc_tools.batch.runner.run_batch`) and, beside them, each
period's reporting cycle whose inputs changed (:func:`run_cycles`, :func:`cchc_tools.cycle.run.run_cycle`), then the
index page linking them all (:func:`write_index`). ``brief_unit`` (``cchc brief --year --unit``) makes one briefing
and the index. The briefings know nothing of the cycles and the cycles nothing of the briefings: both are composed
here. The cycles run in a thread of this process while the pool's workers run the notebooks (:class:`_Cycles`):
they start once the briefings are stamped (the data folder's computation is then whole, and nothing else in this
process reads or writes it), and the index is written once both are done.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.analysis.selection import reports
from cchc_tools.atomic import write_text
from cchc_tools.batch.priority import give_way
from cchc_tools.batch.runner import DEFAULT_TIMEOUT, BatchResult, brief_one, run_batch, say_if_no_pdf
from cchc_tools.batch.tasks import Plan, check_formats, check_year
from cchc_tools.i18n import _
from cchc_tools.lock import outputs_lock
from cchc_tools.paths import check_folders
from cchc_tools.periods import from_file_suffix
from cchc_tools.pipeline import resolve_data_dir

if TYPE_CHECKING:
    from cchc_tools.project import Project

__all__ = ["SiteResult", "brief_all", "brief_unit", "check_run_folders", "run_cycles", "write_index"]


@dataclass
class SiteResult(BatchResult):
    """A whole ``brief --all``: the briefings' batch and each period's reporting cycle."""

    cycles: list[tuple[str, bool, str]] = field(default_factory=list)  # (period, made, error) of each period's cycle

    @property
    def problems(self) -> int:
        return super().problems + sum(bool(error) for _, _, error in self.cycles)

    def done_text(self) -> str:
        text = super().done_text()
        if self.cycles:
            text += "; " + _("reporting cycles: {made} made, {unchanged} unchanged, {failed} failed").format(
                made=sum(m for _, m, _ in self.cycles), failed=sum(bool(e) for _, _, e in self.cycles),
                unchanged=sum(not m and not e for _, m, e in self.cycles))
        return text

    def failure_lines(self) -> list[str]:
        return super().failure_lines() + [_("failed: {what}: {why}").format(what=what, why=error)
                                          for what, _ok, error in self.cycles if error]


def check_run_folders(project: Project, data_dir: str | Path | None = None,
                      out_root: str | Path | None = None) -> None:
    """The data and outputs folders a brief would use, checked before it starts (:func:`paths.check_folders`):
    :class:`paths.FolderError` names the folder and why it cannot be used."""
    check_folders(resolve_data_dir(project, data_dir), project.resolve(out_root, project.outputs))


def brief_unit(project: Project, year, unit: str, data_dir: str | Path | None = None,
               out_root: str | Path | None = None, period: str = "annual", timeout: int = DEFAULT_TIMEOUT,
               formats: str | None = None) -> Path:
    """Run one unit's briefing of the project, then the index; returns the HTML path. Raises on unknown units and
    failures (:class:`cchc_tools.batch.runner.BriefingError`)."""
    year = check_year(year)
    data = resolve_data_dir(project, data_dir)
    root = project.resolve(out_root, project.outputs)
    check_folders(data, root)  # before a kernel starts or a file is written: one clear refusal
    return brief_one(project, year, unit, data, root, period, timeout, formats, then=write_index)


def brief_all(project: Project, data_dir: str | Path | None = None, out_root: str | Path | None = None,
              jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT, progress: bool = True, force: bool = False,
              formats: str | None = None, cycle: bool = True) -> SiteResult:
    """Every briefing of the project's data whose inputs changed and (``cycle``), beside them, each period's
    reporting cycle whose inputs changed (status, letters, consolidated appendix, digest), then the index; never
    raises for one briefing or one period. A batch stopped by Ctrl-C or SIGTERM begins no further period's cycle
    (the one under way is finished: its files are whole) and lists the cycles finished."""
    data = resolve_data_dir(project, data_dir)
    root = project.resolve(out_root, project.outputs)
    formats = say_if_no_pdf(check_formats(formats))
    check_folders(data, root)  # one clear refusal before any task, never a traceback per task
    with outputs_lock(root):  # one run per outputs folder: a second one is refused, naming this one's PID
        cycles = _Cycles(project, data, root, formats, force) if cycle else None
        try:
            batch = run_batch(project, data, root, jobs, timeout, progress, force, formats,
                              beside=None if cycles is None else cycles.start)
        except BaseException:
            if cycles is not None:  # never a thread still writing once the lock is released
                cycles.stop.set()
                cycles.wait(raising=False)
            raise
        site = SiteResult(batch.plan, batch.outcomes, batch.interrupted)
        if cycles is not None:
            if site.interrupted:
                cycles.stop.set()
            site.cycles = cycles.wait()
        write_index(root, site)
    return site


class _Cycles:
    """Each period's reporting cycle (:func:`run_cycles`) in a thread, started by the batch once its briefings are
    stamped (``start``) and run while the pool's workers run the notebooks. ``stop`` asks it to begin no further
    period; ``wait`` returns what it did (``run_cycles``' list), or raises what it raised."""

    def __init__(self, project: Project, data: Path, root: Path, formats: str, force: bool) -> None:
        self.args = (project, data, root, formats, force)
        self.stop = threading.Event()
        self.done: list[tuple[str, bool, str]] = []
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def start(self, plan: Plan) -> None:
        if plan.result is None or self.thread is not None:
            return
        self.thread = threading.Thread(target=self._run, args=(plan.result,), name="cchc-cycles", daemon=True)
        self.thread.start()

    def _run(self, result) -> None:
        give_way()  # the notebooks, one after the other, take longer than all the cycles: their kernels go first
        try:
            run_cycles(*self.args, result, stop=self.stop, done=self.done)
        except BaseException as exc:  # noqa: BLE001 - raised again by ``wait``, in the caller's thread
            self.error = exc

    def wait(self, raising: bool = True) -> list[tuple[str, bool, str]]:
        """Once the thread is done: its periods. A Ctrl-C meanwhile stops it after the period under way, then is
        raised (as it was when the cycles ran after the batch)."""
        interrupted = False
        while self.thread is not None and self.thread.is_alive():
            try:
                self.thread.join()
            except KeyboardInterrupt:
                self.stop.set()
                interrupted = True
        if interrupted and raising:
            raise KeyboardInterrupt
        if self.error is not None and raising:
            raise self.error
        return list(self.done)


def run_cycles(project: Project, data: Path, root: Path, formats: str, force: bool, result,
               stop: threading.Event | None = None, done: list | None = None) -> list:
    """The reporting cycle of every (year, period) in the data whose inputs changed; one failing period is said
    and never stops the others. Returns (what, made, error) per period, also appended to ``done`` as each period
    ends. ``stop``: once set, no further period is begun."""
    from cchc_tools.cycle.run import run_cycle
    from cchc_tools.periods import period_phrase

    reps = reports(result.table).dropna(subset=["year"])
    out = done if done is not None else []
    wanted = [f for f in formats.split(",") if f in ("html", "docx", "xlsx")]
    for (year, period), _grp in reps.groupby(["year", "period"], sort=True):
        if stop is not None and stop.is_set():
            break
        what = _("reporting cycle {period}").format(period=period_phrase(period, year))
        try:
            res = run_cycle(project, int(year), str(period), data_dir=data, out_root=root, formats=wanted,
                            force=force)
            out.append((what, not res.skipped, ""))
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - a period's failure is reported, never the batch's
            out.append((what, False, f"{type(exc).__name__}: {exc}"))
    return out


def _record(path: Path) -> dict:
    """What a briefing recorded beside its outputs (name, official code, kind), or nothing."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _entries(root: Path) -> tuple[list, bool]:
    """Every briefing, comparison and trend under the outputs folder, as the index lists them, and whether any of
    them was made from synthetic data (its record says so)."""
    from cchc_tools.render.export import IndexEntry, entry_files

    out = []
    pages = [("compare", p) for p in sorted(root.glob("[0-9][0-9][0-9][0-9]/compare*.html"))]
    pages += [("unit", p) for p in sorted(root.glob("[0-9][0-9][0-9][0-9]/*/briefing*.html"))]
    pages += [("trend", p) for p in sorted(root.glob("trend/*.html"))]
    listed: dict[Path, set[str]] = {}

    def files_in(folder: Path) -> set[str]:
        """The names of the files in ``folder``, listed once for all its pages."""
        if folder not in listed:
            with os.scandir(folder) as it:
                listed[folder] = {e.name for e in it if e.is_file()}
        return listed[folder]

    synthetic = False
    for kind, html in pages:
        rec = _record(html.with_name(html.stem + ".provenance.json"))
        synthetic = synthetic or bool(rec.get("synthetic"))
        params = rec.get("parameters", {})
        name = {"compare": "So sánh các đơn vị", "unit": rec.get("name") or html.parent.name,
                "trend": rec.get("name") or html.stem}[kind]
        year = None if kind == "trend" else int((html.parent if kind == "compare" else html.parent.parent).name)
        present = files_in(html.parent)
        summary = entry_files(html.parent, "summary" + html.stem.removeprefix("briefing"), root, present) \
            if kind == "unit" else {}  # the leader's summary beside a unit's briefing
        out.append(IndexEntry(kind, name, entry_files(html.parent, html.stem, root, present),
                              slug="" if kind == "compare" else html.parent.name if kind == "unit" else html.stem,
                              code=rec.get("code", ""), year=year,
                              period=params.get("period") or from_file_suffix(html.stem), summary=summary))
    return out, synthetic


def write_index(out_root: str | Path, batch: BatchResult | None = None) -> Path:
    """``index.html`` linking every briefing, comparison and trend under the outputs folder (each format
    present), and after a batch every file that could not be read and every briefing not made."""
    from cchc_tools.cycle.status import period_states
    from cchc_tools.render.export import render_index

    root = Path(out_root)
    entries, synthetic = _entries(root)
    failures = [(e.path, str(e)) for e in batch.plan.load_errors] if batch else []
    missing = list(batch.plan.unbriefable) if batch else []
    missing += [(o.task.name or o.task.label, o.error.splitlines()[0] if o.error else "")
                for o in (batch.failed if batch else [])]
    periods = period_states(root)
    return write_text(root / "index.html", render_index(entries, failures, synthetic, not_briefed=missing,
                                                        periods=periods))
