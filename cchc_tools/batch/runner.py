"""Run the briefings' notebooks on warm kernels and export them for readers: one unit, or a whole plan.

A briefing is a papermill-parameterized notebook (the ``parameters`` cell and papermill's
injected-parameters cell, exactly as ``papermill`` makes them) executed with nbclient on a
kernel that already has the kit imported (``pool.WarmKernel``), then exported once
(``export_formats``). ``run_batch`` re-renders only briefings whose inputs changed
(``state``, :mod:`cchc_tools.provenance`); a failed run keeps its notebook (``*.failed.ipynb``) and is
reported without stopping the others. What a whole ``brief`` makes around the briefings (each period's
reporting cycle, the index) is :mod:`cchc_tools.site`'s.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools import provenance
from cchc_tools.atomic import write_text, write_with
from cchc_tools.batch import state
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
from cchc_tools.lock import outputs_lock
from cchc_tools.paths import notebooks_dir

if TYPE_CHECKING:
    from cchc_tools.project import Project

__all__ = ["BatchResult", "BriefingError", "Outcome", "Task", "brief_one", "compare_task", "export_formats",
           "run_batch", "run_notebook", "run_tasks", "trend_task", "unit_task"]

DEFAULT_TIMEOUT = 600
# As many briefings as one changed report makes (its page, its trend, its year's comparison): run on the one worker
# started ahead, whose kernel is warm by then, rather than waiting for a second kernel to start.
FEW_TASKS = 3


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


def export_formats(task: Task, executed_nb, formats: list[str]) -> list[Path]:
    """Every export of a finished briefing, in this process, once: the one place pages are produced.
    ``executed_nb``: the executed notebook, as a path or as the node just written there (not read back).

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
        written = [task.executed, *export_formats(task, nb, task.formats)]  # the node written, not read back
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
    from cchc_tools.analysis.selection import reports

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


def brief_one(project: Project, year, unit: str, data: Path, root: Path, period: str = "annual",
              timeout: int = DEFAULT_TIMEOUT, formats: str | None = None,
              then: Callable[[Path], object] | None = None) -> Path:
    """Run one unit's briefing of the project (``data`` and ``root``: its data and outputs folders, checked by
    the caller); returns the HTML path. Raises on unknown units and failures. ``then(root)`` is called once the
    briefing is written, still holding the outputs folder's lock (the site writes its index)."""
    from cchc_tools.analysis.selection import pick_report
    from cchc_tools.pipeline import load_data

    year = check_year(year)
    with kernel_for_one(notebooks_dir()) as kernel:  # the kernel starts while the data loads
        result = load_data(project, data)
        rep = pick_report(result.table, year, unit, period)  # clear error listing what exists
        task = unit_task(project, year, unit, data, root, period, say_if_no_pdf(check_formats(formats)),
                         rep["unit_name"])
        task.code, task.synthetic = str(rep.get("unit_code", "") or ""), bool(rep["synthetic"])
        with outputs_lock(root):  # one run per outputs folder: a second one is refused, naming this one's PID
            state.remove_stale_temporaries(root)
            outcome = run_with_retry(partial(execute, timeout=timeout), task, kernel)
            if outcome.ok and then is not None:
                then(root)
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
    """What a batch of briefings did: its plan, each task's outcome, and the signal that stopped it, if any."""

    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)  # run or skipped (unchanged)
    interrupted: str = ""  # the signal's name when a batch was stopped

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.skipped]

    @property
    def problems(self) -> int:
        return len(self.failed) + len(self.plan.load_errors) + len(self.plan.unbriefable)

    def summary(self) -> str:
        text = self.done_text()
        if self.interrupted:
            text = _("interrupted ({signal}): {summary}; {left} not run, run the same command again to finish").format(
                signal=self.interrupted, summary=text, left=len(self.plan.tasks) - len(self.outcomes))
        return text

    def done_text(self) -> str:
        """What was made, unchanged, failed and unreadable, in the analyst's language."""
        made = [o for o in self.outcomes if o.ok and not o.skipped]
        c = Counter(o.task.kind for o in made)
        text = _("{made} of {planned} briefings made ({units} units, {compares} comparisons, {trends} trends), "
                 "{unchanged} unchanged, {failed} failed, {unreadable} files unreadable, {unbriefed} units without "
                 "a briefing").format(made=len(made), planned=len(self.plan.tasks), units=c["unit"],
                                      compares=c["compare"], trends=c["trend"], unchanged=len(self.skipped),
                                      failed=len(self.failed), unreadable=len(self.plan.load_errors),
                                      unbriefed=len(self.plan.unbriefable))
        return text

    def failure_lines(self) -> list[str]:
        lines = [_("could not read: {error}").format(error=e) for e in self.plan.load_errors]
        lines += [_("no briefing: {who}: {why}").format(who=who, why=why) for who, why in self.plan.unbriefable]
        lines += [_("failed: {what}: {why}").format(what=o.task.label, why=o.error) for o in self.failed]
        return lines


def run_tasks(tasks, jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT, progress: bool = False,
              force: bool = True, result=None, project: Project | None = None,
              pool: KernelPool | None = None, stamped: Callable[[], object] | None = None) -> list[Outcome]:
    """Run tasks on a pool of warm kernels (default: one per core); failures are collected, never raised.

    With ``force=False`` a task whose outputs are up to date (same fingerprint) is skipped.
    Raises ``pool.Interrupted`` (carrying what was finished) on SIGINT or SIGTERM. ``pool``: one the caller made
    (:func:`make_pool`, perhaps with workers already starting); the tasks' stamps are computed while its first
    workers start (:func:`start_workers`). ``stamped``: called once the tasks are stamped (the data folder's
    computation is then whole), before the pool runs them: what the caller starts beside the pool.
    """
    from cchc_tools.pipeline import load_data
    from cchc_tools.project import load_project

    tasks = list(tasks)
    pool = pool if pool is not None else make_pool(jobs, timeout)
    try:
        unstamped = [t for t in tasks if t.stamp is None]
        failed = []
        if unstamped:
            start_workers(pool, len(tasks), force)
            project = project if project is not None else load_project(unstamped[0].parameters.get("project")
                                                                       or None)
            result = result if result is not None else load_data(project, unstamped[0].parameters["data_dir"])
            failed = _stamp_tasks(unstamped, result, project)
        if stamped is not None:
            stamped()
        skipped = [] if force else [Outcome(t, True, 0.0, skipped=True) for t in tasks
                                    if t.stamp and state.up_to_date(t, t.stamp["fingerprint"])]
        done = {id(o.task) for o in skipped + failed}
        todo = sorted((t for t in tasks if id(t) not in done), key=lambda t: t.kind != "compare")  # longest first
        skipped += failed
        bar = Progress(tasks, skipped, progress)
        try:
            return skipped + pool.run(todo, bar.update, most=1 if len(todo) <= FEW_TASKS else None)
        except Interrupted as exc:
            exc.outcomes = skipped + exc.outcomes
            raise
        finally:
            bar.close()
    finally:
        pool.close()


def make_pool(jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT) -> KernelPool:
    """The pool a batch runs its briefings on (``jobs`` workers, default one per core), no worker started yet."""
    import os

    return KernelPool(jobs or os.cpu_count() or 1, partial(execute, timeout=timeout), notebooks_dir(),
                      prepare=warm_worker)


def warm_worker() -> None:
    """In a worker, while its kernel starts: what its first briefing would otherwise do first. papermill and
    nbclient are imported now (the first notebook needs them to start); the reader's HTML exporter and its template
    are built in a thread that gives way (``priority.give_way``), by exporting an empty notebook, while the first
    notebook runs (its page, the first thing that needs them, waits for it): less to do while the kernel and the
    parent's stamps share the cores."""
    import threading

    from papermill.execute import prepare_notebook_metadata  # noqa: F401

    _warm_engine()
    threading.Thread(target=_warm_export, name="cchc-warm-export", daemon=True).start()


def _warm_export() -> None:
    import contextlib

    from cchc_tools.batch.priority import give_way

    # Needed by the first page only, once the first notebook has run: the worker's kernel, still starting, and the
    # parent's stamps go first (they decide when the first notebook starts).
    give_way()
    with contextlib.suppress(Exception):  # a warm-up only: the first page builds what is missing, or says why not
        from nbformat.v4 import new_notebook

        from cchc_tools.render.export import notebook_to_html

        notebook_to_html(new_notebook(), "")


def start_workers(pool: KernelPool, planned: int, force: bool) -> None:
    """Start the workers a batch of ``planned`` tasks will surely or probably need, before its data is loaded and
    its tasks are stamped: every one it can use when every task runs (``force``), else one (a run is asked for
    because something changed; when nothing did, it is stopped unused)."""
    if planned:
        pool.start(min(pool.jobs, planned) if force else 1)


def run_batch(project: Project, data: Path, root: Path, jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT,
              progress: bool = True, force: bool = False, formats: str | None = None,
              beside: Callable[[Plan], object] | None = None) -> BatchResult:
    """Every briefing of the data folder ``data`` whose inputs changed (``force``: every one), written under
    ``root`` (both checked by the caller; ``formats`` as :func:`say_if_no_pdf` leaves them); never raises for one
    briefing, and a Ctrl-C or SIGTERM ends it with what was finished (``interrupted``). ``beside(plan)``: called
    once the plan's tasks are stamped, before they run (not at all when the batch is stopped before): the caller
    starts there what runs beside the pool, and waits for it itself."""
    batch = BatchResult(Plan([], [], []))
    with outputs_lock(root):  # one run per outputs folder (``brief --all`` already holds it: re-entrant)
        state.remove_stale_temporaries(root)
        pool = make_pool(jobs, timeout)
        try:
            if data.is_dir() and any(data.iterdir()):  # workers start while the data loads and pages are stamped
                start_workers(pool, pool.jobs, force)
            batch.plan = plan_all(project, data, root, formats)
            batch.outcomes = run_tasks(batch.plan.tasks, jobs, timeout, progress, force, batch.plan.result, project,
                                       pool, None if beside is None else partial(beside, batch.plan))
        except Interrupted as exc:
            batch.outcomes, batch.interrupted = exc.outcomes, str(exc)
        except KeyboardInterrupt:  # Ctrl-C while loading or stamping, before the pool took the signals over
            batch.outcomes, batch.interrupted = [], "SIGINT"
        finally:
            pool.close()
    return batch
