"""Run the notebooks on warm kernels and export them for readers: one unit, or everything.

A briefing is a papermill-parameterized notebook (the ``parameters`` cell and papermill's
injected-parameters cell, exactly as ``papermill`` makes them) executed with nbclient on a
kernel that already has the kit imported (``pool.WarmKernel``), then exported once
(``export_formats``). ``brief_all`` re-renders only briefings whose inputs changed
(``state``, ``provenance``); a failed run keeps its notebook (``*.failed.ipynb``) and is
reported without stopping the others.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.analysis.selection import pick_report, reports
from cchc_tools.atomic import write_text, write_with
from cchc_tools.batch import provenance, state
from cchc_tools.batch.lock import outputs_lock
from cchc_tools.batch.pool import (
    KERNEL,
    STARTUP_TIMEOUT,
    Interrupted,
    KernelLost,
    KernelPool,
    WarmKernel,
    kernel_for_one,
    run_with_retry,
)
from cchc_tools.batch.tasks import (
    KINDS,
    Outcome,
    Plan,
    Task,
    check_formats,
    check_year,
    compare_task,
    plan_all,
    trend_task,
    unit_task,
)
from cchc_tools.errors import CchcError
from cchc_tools.i18n import _
from cchc_tools.paths import check_folders, notebooks_dir
from cchc_tools.periods import from_file_suffix
from cchc_tools.pipeline import load_data, resolve_data_dir

if TYPE_CHECKING:
    from cchc_tools.project import Project

__all__ = ["BatchResult", "BriefingError", "Outcome", "Task", "brief_all", "brief_unit", "compare_task",
           "export_formats", "run_notebook", "run_tasks", "trend_task", "unit_task", "write_index"]

DEFAULT_TIMEOUT = 600


class BriefingError(CchcError):
    """A notebook that failed to run or export; ``notebook`` is the kept failed notebook, if any."""

    def __init__(self, message: str, notebook: Path | None = None) -> None:
        self.notebook = notebook
        super().__init__(message + (f" (failed notebook kept at {notebook})" if notebook else ""))


def say_if_no_pdf(formats: str) -> str:
    """The formats a run can write: PDFs asked for but Chromium missing are said once by the parent of a run,
    in words, and left out, so that no stamp lists a format that was not written (and a later run with a
    browser makes the PDFs: its parameters, so its fingerprint, differ)."""
    from cchc_tools.render import pdf

    names = formats.split(",")
    if "pdf" in names and not pdf.chromium_available():
        import sys

        print(pdf.pdf_skipped_message(), file=sys.stderr)
        return ",".join(n for n in names if n != "pdf")
    return formats


def export_formats(task: Task, executed_nb: Path, formats: list[str]) -> list[Path]:
    """Every export of a finished briefing, in this process, once: the one place pages are produced.

    The reader's HTML comes from the executed notebook (the kit's nbconvert template); the PDF is that
    page printed by headless Chromium, when Chromium is installed (else said once, in words). The
    tables, ``.xlsx`` and ``.docx`` were written by the notebook itself into its ``out_dir`` from the
    same computed blocks; they are listed here so that an incremental run notices one gone missing.
    """
    from cchc_tools.render import pdf
    from cchc_tools.render.export import notebook_to_html

    written = []
    if "html" in formats or "pdf" in formats:
        html = notebook_to_html(executed_nb, task.title, landscape=task.kind == "compare")
        written.append(write_text(task.html, html))
    if "pdf" in formats and pdf.print_pdf(task.html, task.html.with_suffix(".pdf")):  # False: no Chromium
        written.append(task.html.with_suffix(".pdf"))
        summary = task.out_dir / f"summary{task.stem.removeprefix('briefing')}.html"  # the kernel wrote it
        if task.kind == "unit" and summary.exists() and pdf.print_pdf(summary, summary.with_suffix(".pdf")):
            written.append(summary.with_suffix(".pdf"))
    written += [f for fmt in ("docx", "xlsx") if (f := task.out_dir / f"{task.stem}.{fmt}").exists()]
    return written


def _parameterized(task: Task):
    """The notebook as papermill would run it: injected parameters, papermill metadata, no old error marks."""
    from papermill.execute import prepare_notebook_metadata, remove_error_markers
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    source = str(notebooks_dir() / task.notebook)
    nb = load_notebook_node(source)
    nb = parameterize_notebook(nb, task.parameters, kernel_name=KERNEL)
    nb = prepare_notebook_metadata(nb, source, str(task.executed))
    return remove_error_markers(nb)


def _warm_engine():
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.log import logger

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, on a kernel that is already running (and stays running)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, warm: WarmKernel | None = None,
                                     **kwargs):
            client = PapermillNotebookClient(nb_man, km=warm.km, timeout=execution_timeout,
                                             startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                             log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = warm.kc  # not a constructor argument: set before nbclient would make a new client
            return client.execute()

    return WarmEngine


def execute(task: Task, kernel: WarmKernel, timeout: int = DEFAULT_TIMEOUT) -> Outcome:
    """Run one briefing on a warm kernel and export it; KernelLost if the kernel died or hung."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    WarmEngine = _warm_engine()  # noqa: N806 - papermill is imported in the worker only
    start = time.perf_counter()
    stamp = (provenance.Stamp.from_dict(task.stamp) if task.stamp
             else provenance.compute(task.kind, task.parameters, task.notebook)).at()
    state.forget(task)
    task.out_dir.mkdir(parents=True, exist_ok=True)
    kernel.reset(stamp.to_dict())
    try:
        nb = WarmEngine.execute_notebook(_parameterized(task), KERNEL, output_path=None, progress_bar=False,
                                         log_output=False, start_timeout=STARTUP_TIMEOUT, execution_timeout=timeout,
                                         warm=kernel)
    except (CellTimeoutError, DeadKernelError, TimeoutError) as exc:
        raise KernelLost(f"{task.notebook}: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}") from None
    nb.metadata.setdefault("cchc", {})["provenance"] = stamp.to_dict()
    try:
        raise_for_execution_errors(nb, None)
    except PapermillExecutionError as exc:
        write_with(task.failed, lambda p: nbformat.write(nb, str(p)))
        return Outcome(task, False, time.perf_counter() - start,
                       f"{task.notebook} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                       f"(failed notebook kept at {task.failed})")
    try:
        write_with(task.executed, lambda p: nbformat.write(nb, str(p)))
        written = [task.executed, *export_formats(task, task.executed, task.formats)]
        state.record(task, {**stamp.to_dict(), "name": task.name, "title": task.title, "code": task.code,
                            "synthetic": task.synthetic}, written)
    except Exception as exc:  # an export that fails is this briefing's failure, never the batch's
        return Outcome(task, False, time.perf_counter() - start, f"{task.notebook} could not be exported: "
                       f"{type(exc).__name__}: {exc}")
    task.failed.unlink(missing_ok=True)
    return Outcome(task, True, time.perf_counter() - start, outputs=[str(p) for p in written])


def _stamp_tasks(tasks: list[Task], result, project: Project | None = None) -> list[Outcome]:
    """Each task's stamp; a task whose inputs cannot be read (a file gone, no permission) fails alone.

    The peer context every page shows (ranks, peer counts...) is computed once here, from the tables the
    pages are made from, and each stamp hashes its own part of it."""
    reps = reports(result.table)
    context = provenance.batch_context(project, tasks[0].parameters.get("data_dir") or None) if tasks else None
    failed = []
    for t in tasks:
        try:
            t.stamp = provenance.compute(t.kind, t.parameters, t.notebook, result, reps, project,
                                         context).to_dict()
        except OSError as exc:
            failed.append(Outcome(t, False, 0.0, f"its inputs could not be read: {exc}"))
    return failed


def run_notebook(task: Task, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """One briefing alone, on a kernel started for it; returns the HTML path, raises BriefingError."""
    with kernel_for_one(notebooks_dir()) as kernel:
        outcome = run_with_retry(partial(execute, timeout=timeout), task, kernel)
    if not outcome.ok:
        raise BriefingError(outcome.error, task.failed if task.failed.exists() else None)
    return task.html


def check_run_folders(project: Project, data_dir: str | Path | None = None,
                      out_root: str | Path | None = None) -> None:
    """The data and outputs folders a brief would use, checked before it starts (:func:`paths.check_folders`):
    :class:`paths.FolderError` names the folder and why it cannot be used."""
    check_folders(resolve_data_dir(project, data_dir), project.resolve(out_root, project.outputs))


def brief_unit(project: Project, year, unit: str, data_dir: str | Path | None = None,
               out_root: str | Path | None = None, period: str = "annual", timeout: int = DEFAULT_TIMEOUT,
               formats: str | None = None) -> Path:
    """Run one unit's briefing of the project; returns the HTML path. Raises on unknown units and failures."""
    year = check_year(year)
    data = resolve_data_dir(project, data_dir)
    root = project.resolve(out_root, project.outputs)
    check_folders(data, root)  # before a kernel starts or a file is written: one clear refusal
    with kernel_for_one(notebooks_dir()) as kernel:  # the kernel starts while the data loads
        result = load_data(project, data)
        rep = pick_report(result.table, year, unit, period)  # clear error listing what exists
        task = unit_task(project, year, unit, data, root, period, say_if_no_pdf(check_formats(formats)),
                         rep["unit_name"])
        task.code, task.synthetic = str(rep.get("unit_code", "") or ""), bool(rep["synthetic"])
        with outputs_lock(root):  # one run per outputs folder: a second one is refused, naming this one's PID
            state.remove_stale_temporaries(root)
            outcome = run_with_retry(partial(execute, timeout=timeout), task, kernel)
            if outcome.ok:
                write_index(root)
    if not outcome.ok:
        raise BriefingError(outcome.error, task.failed if task.failed.exists() else None)
    return task.html


class Progress:
    """Counts per kind (units, comparisons, trends), unchanged ones skipped, failures."""

    def __init__(self, planned: list[Task], skipped: list[Outcome], show: bool) -> None:
        """``skipped``: outcomes known before running (unchanged, or failed before they could start)."""
        self.total = Counter(t.kind for t in planned)
        self.done: Counter = Counter(o.task.kind for o in skipped)
        self.skipped = sum(o.skipped for o in skipped)
        self.failed = sum(not o.ok for o in skipped)
        self.bar = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(total=len(planned), initial=self.skipped, unit=_("page"), desc=_("pages"))
            self.bar.set_postfix_str(self.text(), refresh=True)

    def text(self) -> str:
        names = {"unit": _("units"), "compare": _("comparisons"), "trend": _("trends")}
        parts = [f"{names[k]} {self.done[k]}/{self.total[k]}" for k in KINDS if self.total[k]]
        return ", ".join(parts) + "; " + _("unchanged {n}, failed {m}").format(n=self.skipped, m=self.failed)

    def update(self, outcome: Outcome) -> None:
        self.done[outcome.task.kind] += 1
        self.failed += not outcome.ok
        if self.bar:
            self.bar.set_postfix_str(self.text(), refresh=False)
            self.bar.update()

    def close(self) -> None:
        if self.bar:
            self.bar.close()


@dataclass
class BatchResult:
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)  # run or skipped (unchanged)
    interrupted: str = ""  # the signal's name when a batch was stopped
    cycles: list[tuple[str, bool, str]] = field(default_factory=list)  # (period, made, error) of each period's cycle

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.skipped]

    @property
    def problems(self) -> int:
        return (len(self.failed) + len(self.plan.load_errors) + len(self.plan.unbriefable)
                + sum(bool(error) for _, _, error in self.cycles))

    def summary(self) -> str:
        made = [o for o in self.outcomes if o.ok and not o.skipped]
        c = Counter(o.task.kind for o in made)
        text = _("{made} of {planned} briefings made ({units} units, {compares} comparisons, {trends} trends), "
                 "{unchanged} unchanged, {failed} failed, {unreadable} files unreadable, {unbriefed} units without "
                 "a briefing").format(made=len(made), planned=len(self.plan.tasks), units=c["unit"],
                                      compares=c["compare"], trends=c["trend"], unchanged=len(self.skipped),
                                      failed=len(self.failed), unreadable=len(self.plan.load_errors),
                                      unbriefed=len(self.plan.unbriefable))
        if self.cycles:
            text += "; " + _("reporting cycles: {made} made, {unchanged} unchanged, {failed} failed").format(
                made=sum(m for _, m, _ in self.cycles), failed=sum(bool(e) for _, _, e in self.cycles),
                unchanged=sum(not m and not e for _, m, e in self.cycles))
        if self.interrupted:
            text = _("interrupted ({signal}): {summary}; {left} not run, run the same command again to finish").format(
                signal=self.interrupted, summary=text, left=len(self.plan.tasks) - len(self.outcomes))
        return text

    def failure_lines(self) -> list[str]:
        lines = [_("could not read: {error}").format(error=e) for e in self.plan.load_errors]
        lines += [_("no briefing: {who}: {why}").format(who=who, why=why) for who, why in self.plan.unbriefable]
        lines += [_("failed: {what}: {why}").format(what=o.task.label, why=o.error) for o in self.failed]
        lines += [_("failed: {what}: {why}").format(what=what, why=error) for what, _ok, error in self.cycles if error]
        return lines


def run_tasks(tasks, jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT, progress: bool = False,
              force: bool = True, result=None, project: Project | None = None) -> list[Outcome]:
    """Run tasks on a pool of warm kernels (default: one per core); failures are collected, never raised.

    With ``force=False`` a task whose outputs are up to date (same fingerprint) is skipped.
    Raises ``pool.Interrupted`` (carrying what was finished) on SIGINT or SIGTERM.
    """
    import os

    from cchc_tools.project import load_project

    tasks = list(tasks)
    unstamped = [t for t in tasks if t.stamp is None]
    failed = []
    if unstamped:
        project = project if project is not None else load_project(unstamped[0].parameters.get("project") or None)
        result = result if result is not None else load_data(project, unstamped[0].parameters["data_dir"])
        failed = _stamp_tasks(unstamped, result, project)
    skipped = [] if force else [Outcome(t, True, 0.0, skipped=True) for t in tasks
                                if t.stamp and state.up_to_date(t, t.stamp["fingerprint"])]
    done = {id(o.task) for o in skipped + failed}
    todo = [t for t in tasks if id(t) not in done]
    skipped += failed
    bar = Progress(tasks, skipped, progress)
    pool = KernelPool(jobs or os.cpu_count() or 1, partial(execute, timeout=timeout), notebooks_dir())
    try:
        return skipped + pool.run(todo, bar.update)
    except Interrupted as exc:
        exc.outcomes = skipped + exc.outcomes
        raise
    finally:
        bar.close()


def brief_all(project: Project, data_dir: str | Path | None = None, out_root: str | Path | None = None,
              jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT, progress: bool = True, force: bool = False,
              formats: str | None = None, cycle: bool = True) -> BatchResult:
    """Every briefing of the project's data whose inputs changed, then (``cycle``) each period's reporting
    cycle whose inputs changed (status, letters, consolidated appendix, digest), then the index; never raises
    for one briefing or one period."""
    data = resolve_data_dir(project, data_dir)
    root = project.resolve(out_root, project.outputs)
    formats = say_if_no_pdf(check_formats(formats))
    check_folders(data, root)  # one clear refusal before any task, never a traceback per task
    with outputs_lock(root):  # one run per outputs folder: a second one is refused, naming this one's PID
        return _brief_all(project, data, root, jobs, timeout, progress, force, formats, cycle)


def _brief_all(project: Project, data: Path, root: Path, jobs: int | None, timeout: int, progress: bool,
               force: bool, formats: str, cycle: bool) -> BatchResult:
    state.remove_stale_temporaries(root)
    batch = BatchResult(Plan([], [], []))
    try:
        batch.plan = plan_all(project, data, root, formats)
        batch.outcomes = run_tasks(batch.plan.tasks, jobs, timeout, progress, force, batch.plan.result, project)
    except Interrupted as exc:
        batch.outcomes, batch.interrupted = exc.outcomes, str(exc)
    except KeyboardInterrupt:  # Ctrl-C while loading or stamping, before the pool took the signals over
        batch.outcomes, batch.interrupted = [], "SIGINT"
    if cycle and not batch.interrupted and batch.plan.result is not None:
        batch.cycles = run_cycles(project, data, root, formats, force, batch.plan.result)
    write_index(root, batch)
    return batch


def run_cycles(project: Project, data: Path, root: Path, formats: str, force: bool, result) -> list:
    """The reporting cycle of every (year, period) in the data whose inputs changed; one failing period is said
    and never stops the others. Returns (what, made, error) per period."""
    from cchc_tools.cycle.run import run_cycle
    from cchc_tools.periods import period_phrase

    reps = reports(result.table).dropna(subset=["year"])
    out = []
    wanted = [f for f in formats.split(",") if f in ("html", "docx", "xlsx")]
    for (year, period), _grp in reps.groupby(["year", "period"], sort=True):
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


def _state(path: Path) -> dict:
    """What a briefing recorded beside its outputs (name, official code, kind), or nothing."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _entries(root: Path) -> list:
    """Every briefing, comparison and trend under the outputs folder, as the index lists them."""
    from cchc_tools.render.export import IndexEntry, entry_files

    out = []
    pages = [("compare", p) for p in sorted(root.glob("[0-9][0-9][0-9][0-9]/compare*.html"))]
    pages += [("unit", p) for p in sorted(root.glob("[0-9][0-9][0-9][0-9]/*/briefing*.html"))]
    pages += [("trend", p) for p in sorted(root.glob("trend/*.html"))]
    for kind, html in pages:
        rec = _state(html.with_name(html.stem + ".provenance.json"))
        params = rec.get("parameters", {})
        name = {"compare": "So sánh các đơn vị", "unit": rec.get("name") or html.parent.name,
                "trend": rec.get("name") or html.stem}[kind]
        year = None if kind == "trend" else int((html.parent if kind == "compare" else html.parent.parent).name)
        summary = entry_files(html.parent, "summary" + html.stem.removeprefix("briefing"), root) if kind == "unit" \
            else {}  # the leader's summary beside a unit's briefing
        out.append(IndexEntry(kind, name, entry_files(html.parent, html.stem, root),
                              slug="" if kind == "compare" else html.parent.name if kind == "unit" else html.stem,
                              code=rec.get("code", ""), year=year,
                              period=params.get("period") or from_file_suffix(html.stem), summary=summary))
    return out


def write_index(out_root: str | Path, batch: BatchResult | None = None) -> Path:
    """``index.html`` linking every briefing, comparison and trend under the outputs folder (each format
    present), and after a batch every file that could not be read and every briefing not made."""
    from cchc_tools.cycle.status import period_states
    from cchc_tools.render.export import render_index

    root = Path(out_root)
    entries = _entries(root)
    failures = [(e.path, str(e)) for e in batch.plan.load_errors] if batch else []
    missing = list(batch.plan.unbriefable) if batch else []
    missing += [(o.task.name or o.task.label, o.error.splitlines()[0] if o.error else "")
                for o in (batch.failed if batch else [])]
    synthetic = any(_state(p).get("synthetic") for p in root.rglob("*.provenance.json")) if entries else False
    periods = period_states(root)
    return write_text(root / "index.html", render_index(entries, failures, synthetic, not_briefed=missing,
                                                        periods=periods))
