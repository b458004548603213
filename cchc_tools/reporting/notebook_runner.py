"""Run the notebooks with papermill and export HTML for readers: one unit, or everything.

Each run writes its executed notebook and its HTML whole or not at all; a
failed run keeps its notebook (``*.failed.ipynb``) for inspection and is
reported without stopping the others.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from html import escape
from pathlib import Path

from cchc_tools.analysis.selection import check_slug, pick_report, reports
from cchc_tools.atomic import atomic_path, write_text
from cchc_tools.errors import CchcError
from cchc_tools.ingest.snapshot import load_data, resolve_data_dir
from cchc_tools.paths import notebooks_dir, outputs_dir
from cchc_tools.reporting.html import stylesheet
from cchc_tools.reporting.narrative import period_phrase

KERNEL = "python3"
# The kernel's own log (a transport notice at start, an interrupt notice at shutdown) is noise for
# readers of `cchc brief`; errors in cells still fail the run and are reported.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
DEFAULT_TIMEOUT = 600
HIDE_TAG = "hide-in-html"
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_REMOTE_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.IGNORECASE)


class BriefingError(CchcError):
    """A notebook that failed to run or export; ``notebook`` is the kept failed notebook, if any."""

    def __init__(self, message: str, notebook: Path | None = None) -> None:
        self.notebook = notebook
        super().__init__(message + (f" (failed notebook kept at {notebook})" if notebook else ""))


@dataclass
class Task:
    kind: str  # unit, compare or trend
    notebook: str
    parameters: dict
    out_dir: Path
    stem: str
    title: str

    @property
    def html(self) -> Path:
        return self.out_dir / f"{self.stem}.html"

    @property
    def label(self) -> str:
        return f"{self.kind} {' '.join(str(v) for k, v in self.parameters.items() if k != 'data_dir' and v)}"


@dataclass
class Outcome:
    task: Task
    ok: bool
    seconds: float
    error: str = ""


def to_html(nb_path: Path, title: str) -> str:
    """Reader's HTML: no code, no prompts, images embedded, nothing fetched from the internet."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(nb_path, as_version=4)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _SCRIPT.sub("", body)
    body = _REMOTE_LINK.sub("", body)
    return body


def run_notebook(task: Task, timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Execute one notebook with papermill and export its HTML; returns the HTML path."""
    import papermill as pm

    task.out_dir.mkdir(parents=True, exist_ok=True)
    executed = task.out_dir / f"{task.stem}.ipynb"
    failed = task.out_dir / f"{task.stem}.failed.ipynb"
    try:
        with atomic_path(executed) as tmp:
            try:
                pm.execute_notebook(str(notebooks_dir() / task.notebook), str(tmp), parameters=task.parameters,
                                    kernel_name=KERNEL, execution_timeout=timeout, progress_bar=False,
                                    cwd=str(notebooks_dir()), log_output=False, request_save_on_cell_execute=False,
                                    extra_arguments=KERNEL_ARGS)
            except BaseException:
                if tmp.exists() and tmp.stat().st_size:
                    os.replace(tmp, failed)
                raise
        failed.unlink(missing_ok=True)
        write_text(task.html, to_html(executed, task.title))
    except pm.PapermillExecutionError as exc:
        raise BriefingError(f"{task.notebook} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                            failed if failed.exists() else None) from None
    except CchcError:
        raise
    except Exception as exc:  # no kernel, timeout, export failure...
        raise BriefingError(f"{task.notebook} could not run: {type(exc).__name__}: {exc}",
                            failed if failed.exists() else None) from None
    return task.html


def unit_task(year, unit: str, data_dir: Path, out_root: Path, period: str = "annual") -> Task:
    check_slug(unit)
    year = str(int(year))
    stem = "briefing" if period == "annual" else f"briefing-{check_slug(period.lower())}"
    out = out_root / year / unit
    return Task("unit", "briefing_unit.ipynb", {"year": year, "unit": unit, "period": period,
                                                 "data_dir": str(data_dir), "out_dir": str(out)},
                out, stem, f"Báo cáo tóm tắt CCHC – {unit} – {year}")


def compare_task(year, data_dir: Path, out_root: Path) -> Task:
    year = str(int(year))
    return Task("compare", "compare_units.ipynb", {"year": year, "data_dir": str(data_dir)},
                out_root / year, "compare", f"So sánh các đơn vị – {year}")


def trend_task(unit: str, data_dir: Path, out_root: Path) -> Task:
    check_slug(unit)
    return Task("trend", "trend_unit.ipynb", {"unit": unit, "data_dir": str(data_dir)},
                out_root / "trend", unit, f"Diễn biến CCHC – {unit}")


def _run(task: Task, timeout: int) -> Outcome:
    start = time.perf_counter()
    try:
        run_notebook(task, timeout)
        return Outcome(task, True, time.perf_counter() - start)
    except Exception as exc:  # reported, never stops the batch
        return Outcome(task, False, time.perf_counter() - start, str(exc))


def brief_unit(year, unit: str, data_dir: str | Path | None = None, out_root: str | Path | None = None,
               period: str = "annual", timeout: int = DEFAULT_TIMEOUT) -> Path:
    """Run one unit's briefing; returns the HTML path. Raises on unknown units and failures."""
    data = resolve_data_dir(data_dir)
    root = Path(out_root) if out_root else outputs_dir()
    pick_report(load_data(data).table, year, unit, period)  # clear error listing what exists
    task = unit_task(year, unit, data, root, period)
    html = run_notebook(task, timeout)
    write_index(root)
    return html


def plan_all(data_dir: str | Path | None = None, out_root: str | Path | None = None) -> list[Task]:
    """Every unit briefing found in the data, a comparison per year and a trend per unit."""
    data = resolve_data_dir(data_dir)
    root = Path(out_root) if out_root else outputs_dir()
    reps = reports(load_data(data).table)
    tasks = [unit_task(r.year, r.unit, data, root, r.period) for r in reps.itertuples() if r.unit]
    tasks += [compare_task(y, data, root) for y in sorted(reps[reps["period"] == "annual"]["year"].unique())]
    tasks += [trend_task(u, data, root) for u in sorted(reps["unit"].unique()) if u]
    return tasks


def run_tasks(tasks: Iterable[Task], jobs: int | None = None, timeout: int = DEFAULT_TIMEOUT,
              progress: bool = True) -> list[Outcome]:
    """Run tasks in parallel (default: one per core); failures are collected, never raised."""
    tasks = list(tasks)
    jobs = max(1, jobs or os.cpu_count() or 1)
    outcomes: list[Outcome] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="notebook", desc="briefings")
    if jobs == 1:
        for t in tasks:
            outcomes.append(_run(t, timeout))
            if bar:
                bar.update()
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_run, t, timeout) for t in tasks]
            for fut in as_completed(futures):
                outcomes.append(fut.result())
                if bar:
                    bar.update()
    if bar:
        bar.close()
    return outcomes


def brief_all(data_dir: str | Path | None = None, out_root: str | Path | None = None, jobs: int | None = None,
              timeout: int = DEFAULT_TIMEOUT, progress: bool = True) -> list[Outcome]:
    root = Path(out_root) if out_root else outputs_dir()
    outcomes = run_tasks(plan_all(data_dir, root), jobs, timeout, progress)
    write_index(root)
    return outcomes


def _unit_name(folder: Path) -> str:
    """The unit's name, from the indicators CSV written beside its briefing."""
    import csv

    path = folder / "indicators.csv"
    if not path.exists():
        return ""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh), None)
    return (first or {}).get("unit_name", "")


def write_index(out_root: str | Path) -> Path:
    """``index.html`` linking every briefing, comparison and trend under the outputs folder."""
    root = Path(out_root)
    years: dict[str, list[str]] = {}
    for html in sorted(root.glob("[0-9][0-9][0-9][0-9]/*/briefing*.html")):
        years.setdefault(html.parent.parent.name, []).append(html.relative_to(root).as_posix())
    parts = ["<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Báo cáo CCHC</title>"
             f"<style>{stylesheet()}</style></head><body><h1>Báo cáo tóm tắt cải cách hành chính</h1>"]
    for year in sorted({*years, *(p.parent.name for p in root.glob("[0-9][0-9][0-9][0-9]/compare.html"))},
                       reverse=True):
        parts.append(f"<h2>{escape(period_phrase('annual', int(year)))}</h2><ul>")
        if (root / year / "compare.html").exists():
            parts.append(f"<li><a href='{year}/compare.html'>So sánh các đơn vị</a></li>")
        for rel in years.get(year, []):
            name = _unit_name(root / rel.rsplit("/", 1)[0]) or rel.split("/")[1]
            parts.append(f"<li><a href='{escape(rel)}'>{escape(name)}</a></li>")
        parts.append("</ul>")
    trends = sorted((root / "trend").glob("*.html")) if (root / "trend").exists() else []
    if trends:
        parts.append("<h2>Diễn biến theo đơn vị</h2><ul>")
        parts += [f"<li><a href='trend/{escape(t.name)}'>{escape(t.stem)}</a></li>" for t in trends]
        parts.append("</ul>")
    parts.append("</body></html>")
    return write_text(root / "index.html", "".join(parts))
