"""The kit's benchmarks: speed as ratios against baselines measured in the same run.

    python -m benchmarks.run            # full suite (make bench), about 35 minutes on 2 cores
    python -m benchmarks.run --smoke    # a handful of files and briefings (run by make test)

Each measurement runs in a fresh process (so caches and peak memory start equal) and
baseline and kit runs are interleaved; times are medians over the repeats. Results go to
``outputs/bench/latest.json`` and a table on stdout, each with its goal beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from cchc_tools.atomic import write_text
from cchc_tools.paths import KIT_ROOT

FULL = {"text_files": 2000, "real_copies": 300, "excel_files": 200, "repeats": 3, "briefing_repeats": 3,
        "batch": [50, 100, 200], "all_formats": 200, "incremental": 200, "incremental_changes": 3, "jobs": 2,
        "explorer_units": 170, "workspace_units": 3300, "pdf_files": 200, "pdf_distinct": 20}
SMOKE = {"text_files": 20, "real_copies": 6, "excel_files": 4, "repeats": 1, "briefing_repeats": 1,
         "batch": [2], "all_formats": 2, "incremental": 2, "incremental_changes": 2, "jobs": 1, "explorer_units": 4,
         "workspace_units": 3, "pdf_files": 2, "pdf_distinct": 2}
ALL = ("ingest_txt,ingest_txt_real,ingest_xlsx,briefing,batch_html,batch_all_formats,incremental,"
       "incremental_cycle,explorer_redraw,workspace_open,ingest_pdf")


# --- workloads, each run in a child process --------------------------------------------------

def _kit_imported(files: list[str]) -> tuple[float, float, float, float]:
    """:func:`_kit` with the kit's modules imported before the clock starts, as the baselines import pandas
    before theirs: what is timed is reading, aligning and checking the files, not importing Python code
    (reading the kit's data files, the catalog, forms and rules, is still timed). Also returns the CPU
    seconds, which a machine loaded by other work disturbs less than the wall time, and the CPU seconds of
    ``load_appendices`` alone (the rest is ``validate``)."""
    import cchc_tools.analysis.checks  # noqa: F401
    import cchc_tools.ingest.loader

    loading = cchc_tools.ingest.loader.load_appendices
    spent = []

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return loading(*args, **kwargs)
        finally:
            spent.append(time.process_time() - start)

    import cchc_tools

    cchc_tools.load_appendices = timed
    try:
        cpu = time.process_time()
        elapsed, peak = _kit(files)
        total = time.process_time() - cpu
    finally:
        cchc_tools.load_appendices = loading
    return elapsed, peak, total, sum(spent)


def _text_runs(names: list[str], repeats: int, skiprows: int = 0) -> tuple[list, list, list, list, list]:
    """Interleaved runs of read_csv and the kit: wall and CPU seconds of each, and the kit's peaks (the kit's CPU
    as pairs: all, and ``load_appendices`` alone)."""
    base, kit, peak, base_cpu, kit_cpu = [], [], [], [], []
    for _ in range(repeats):
        b, _mb, bc = _in_child(_baseline_csv, names, skiprows)
        k, mem, kc, lc = _in_child(_kit_imported, names)
        base.append(b)
        base_cpu.append(bc)
        kit.append(k)
        kit_cpu.append((kc, lc))
        peak.append(mem)
    return base, kit, peak, base_cpu, kit_cpu


def _with_cpu(r: dict, base_cpu: list[float], kit_cpu: list[tuple[float, float]]) -> dict:
    """The CPU seconds and ratios: the kit's (``load_appendices`` and ``validate``), and of ``load_appendices``
    alone (``load_cpu_ratio``: the loading side of the ratio)."""
    b = statistics.median(base_cpu)
    k = statistics.median(c for c, _ in kit_cpu)
    load = statistics.median(lc for _, lc in kit_cpu)
    r.update(baseline_cpu_s=b, kit_cpu_s=k, cpu_ratio=k / b, load_cpu_s=load, load_cpu_ratio=load / b,
             runs_kit_cpu_s=[c for c, _ in kit_cpu], runs_load_cpu_s=[lc for _, lc in kit_cpu],
             runs_baseline_cpu_s=base_cpu)
    return r


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline_csv(files: list[str], skiprows: int = 0) -> tuple[float, float, float]:
    """Wall seconds, peak MB and CPU seconds of read_csv on every file."""
    import pandas as pd

    t, cpu = time.perf_counter(), time.process_time()
    for f in files:
        pd.read_csv(f, sep="\t", header=None, names=range(5), dtype=str, keep_default_na=False, skiprows=skiprows)
    return time.perf_counter() - t, _peak_mb(), time.process_time() - cpu


def _baseline_excel(files: list[str], engine: str) -> tuple[float, float]:
    import pandas as pd

    t = time.perf_counter()
    for f in files:
        pd.read_excel(f, header=None, engine=engine)
    return time.perf_counter() - t, _peak_mb()


def _has_calamine() -> bool:
    import importlib.util

    return importlib.util.find_spec("python_calamine") is not None


def _kit(files: list[str]) -> tuple[float, float]:
    import cchc_tools as cc

    t = time.perf_counter()
    result = cc.load_appendices(files)
    cc.validate(result.table)
    elapsed = time.perf_counter() - t
    assert not result.errors, result.errors[:3]
    return elapsed, _peak_mb()


def _in_child(fn, *args):
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def _child_main(conn, fn, args) -> None:
    conn.send(fn(*args))
    conn.close()


def _in_process(fn, *args):
    """Like ``_in_child`` but in a non-daemonic process, which may start the runner's own workers."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, fn, args))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        raise RuntimeError(f"benchmark child {fn.__name__} died (exit code {proc.join() or proc.exitcode})") from None
    proc.join()
    return result


def _import_only() -> tuple[float, float]:
    import pandas  # noqa: F401

    import cchc_tools  # noqa: F401

    return 0.0, _peak_mb()


# --- suites ------------------------------------------------------------------------------------

def _ingest_result(name: str, names: list[str], base: list[float], kit: list[float], peak: list[float],
                   baseline: str, goal: float) -> dict:
    _, import_mb = _in_child(_import_only)
    b, k = statistics.median(base), statistics.median(kit)
    return {"name": name, "files": len(names), "baseline": baseline,
            "baseline_s": b, "kit_s": k, "ratio": k / b, "goal_ratio": goal, "met": k / b <= goal,
            "files_per_s": len(names) / k, "baseline_files_per_s": len(names) / b,
            "peak_mb": max(peak), "import_mb": import_mb, "goal_peak_mb": 500, "peak_met": max(peak) < 500,
            "runs_kit_s": kit, "runs_baseline_s": base}


def bench_ingest_txt(folder: Path, n: int, repeats: int) -> dict:
    from cchc_tools.demo import generate

    years = list(range(2015, 2025))
    names = [str(f) for f in generate(folder, units=max(1, -(-n // len(years))), years=years)[:n]]
    base, kit, peak, base_cpu, kit_cpu = _text_runs(names, repeats)
    return _with_cpu(_ingest_result("ingest_txt", names, base, kit, peak, "pandas.read_csv(sep='\\t')", 1.5),
                     base_cpu, kit_cpu)


def bench_ingest_txt_real(folder: Path, n: int, repeats: int) -> dict:
    """Renamed copies of the bundled (real) appendix, against read_csv of its table (skipping the title)."""
    from cchc_tools.paths import raw_dir

    seed = (raw_dir() / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt").read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        p = folder / f"copy-{i:04d}.txt"
        p.write_bytes(seed)
        names.append(str(p))
    base, kit, peak, base_cpu, kit_cpu = _text_runs(names, repeats, 6)
    return _with_cpu(_ingest_result("ingest_txt_real", names, base, kit, peak,
                                    "pandas.read_csv(sep='\\t', header=None, skiprows=6, dtype=str)", 2.0),
                     base_cpu, kit_cpu)


def bench_ingest_xlsx(folder: Path, n: int, repeats: int) -> dict:
    """Against read_excel with calamine (goal <= 1.5x) and with openpyxl (goal: the kit >= 4x faster)."""
    from cchc_tools.demo import generate

    years = list(range(2015, 2025))
    files = generate(folder, units=max(1, -(-n // len(years))), years=years, formats=("xlsx",))[:n]
    names = [str(f) for f in files]
    calamine = _has_calamine()
    cal, opx, kit, peak = [], [], [], []
    for _ in range(repeats):
        if calamine:
            cal.append(_in_child(_baseline_excel, names, "calamine")[0])
        opx.append(_in_child(_baseline_excel, names, "openpyxl")[0])
        k, mem = _in_child(_kit, names)
        kit.append(k)
        peak.append(mem)
    r = _ingest_result("ingest_xlsx", names, cal or opx, kit, peak,
                       "pandas.read_excel(engine='calamine')" if calamine else
                       "pandas.read_excel(engine='openpyxl') (python-calamine not installed)", 1.5)
    o = statistics.median(opx)
    r.update(openpyxl_s=o, speedup_vs_openpyxl=o / r["kit_s"], goal_speedup_vs_openpyxl=4.0,
             speedup_met=o / r["kit_s"] >= 4.0, calamine=calamine, runs_openpyxl_s=opx)
    if not calamine:
        r["met"] = False  # the goal is against calamine: not measured
    return r


def _baseline_pdf(files: list[str]) -> tuple[float, float]:
    """pdfplumber's own table extraction on every page: the floor of any reader built on it."""
    import pdfplumber

    t = time.perf_counter()
    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                page.extract_tables()
                page.close()
    return time.perf_counter() - t, _peak_mb()


def _report_pdfs(folder: Path, n: int, distinct: int) -> list[str] | None:
    """``n`` signed-report-like PDFs (a narrative page, the ruled appendix over many pages) printed by LibreOffice
    from ``distinct`` demo units' appendices, the rest renamed copies; None without LibreOffice."""
    import shutil

    from cchc_tools.demo import generate
    from tests.office_fixtures import build_report_docx, soffice_convert

    if not shutil.which("soffice"):
        return None
    texts = generate(folder / "txt", units=distinct, years=[2022])[:distinct]
    docs = [build_report_docx(t, folder / f"{t.stem}.docx", rows_split=i % 2 == 1) for i, t in enumerate(texts)]
    pdfs = soffice_convert(docs, "pdf", folder / "pdf", folder / "lo-profile")
    names = []
    for i in range(n):
        p = folder / "files" / f"{pdfs[i % len(pdfs)].parent.name}-{i:04d}" / f"{pdfs[i % len(pdfs)].name}"
        p.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdfs[i % len(pdfs)], p)
        names.append(str(p))
    return names


def bench_ingest_pdf(folder: Path, n: int, distinct: int, repeats: int) -> dict | None:
    """The kit's PDF reader (load and check) against pdfplumber's extract_tables on the same files."""
    names = _report_pdfs(folder, n, distinct)
    if names is None:
        print("ingest_pdf: skipped (LibreOffice is not installed to print the PDFs)")
        return None
    base, kit, peak = [], [], []
    for _ in range(repeats):
        base.append(_in_child(_baseline_pdf, names)[0])
        k, mem = _in_child(_kit, names)
        kit.append(k)
        peak.append(mem)
    return _ingest_result("ingest_pdf", names, base, kit, peak, "pdfplumber extract_tables() on every page", 1.5)


def _floor_notebook(path: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import pandas\nimport matplotlib.pyplot")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _preload() -> None:
    """Import the notebook machinery before timing, in floor and briefing alike."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    import cchc_tools.batch.runner  # noqa: F401


def _run_floor(nb: str, out: str) -> tuple[float, float]:
    """Wall and CPU seconds (this process and the kernel, reaped) of the floor."""
    import papermill as pm

    from cchc_tools.render.export import notebook_to_html as to_html

    _preload()
    t, cpu = time.perf_counter(), _cpu()
    pm.execute_notebook(nb, out, kernel_name="python3", progress_bar=False, log_output=False)
    to_html(Path(out), "floor")
    return time.perf_counter() - t, _cpu() - cpu


def _run_briefing(out_root: str) -> float:
    from cchc_tools.batch.runner import run_notebook, unit_task
    from cchc_tools.paths import raw_dir
    from cchc_tools.project import load_project

    _preload()
    t = time.perf_counter()
    run_notebook(unit_task(load_project(KIT_ROOT), 2022, "vinh-chau", raw_dir(), Path(out_root), formats="html"))
    return time.perf_counter() - t


def cold_floor(tmp: Path, repeats: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each run of the floor."""
    nb = _floor_notebook(tmp / "floor.ipynb")
    return [_in_child(_run_floor, str(nb), str(tmp / f"floor-{i}.ipynb")) for i in range(repeats)]


def bench_briefing(tmp: Path, repeats: int, floor: list[float]) -> dict:
    brief = [_in_child(_run_briefing, str(tmp / f"brief-{i}")) for i in range(repeats)]
    f, b = statistics.median(floor), statistics.median(brief)
    return {"name": "briefing", "baseline": "kernel + import pandas, matplotlib + empty HTML export",
            "baseline_s": f, "kit_s": b, "ratio": b / f, "goal_ratio": 1.5, "met": b / f <= 1.5,
            "runs_kit_s": brief, "runs_baseline_s": floor}


class TreeMemory:
    """Peak memory of this process and every descendant (workers, kernels, browsers), sampled from /proc.

    The goal is judged on the sum of each process's PSS (proportional set size: a page shared by
    ``n`` processes counts ``1/n`` in each, so the sum is the memory the batch holds). The sum of
    RSS is reported beside it: it counts a shared page once per process (every Chromium process maps
    the same ~100 MB of browser code), so it overstates a tree of many similar processes.
    """

    def __init__(self, every: float = 0.25) -> None:
        import threading

        self.every, self.peak_total_mb, self.peak_rss_sum_mb, self.peak_process_mb = every, 0.0, 0.0, {}
        self._has_pss = Path("/proc/self/smaps_rollup").exists()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _pss_mb(pid: int) -> float | None:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return float(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    @staticmethod
    def _tree() -> dict[int, tuple[str, float]]:
        procs, me = {}, os.getpid()
        children: dict[int, list[int]] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    status = (d / "status").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                ppid = int(fields.get("PPid", "0").strip())
                rss = float(fields.get("VmRSS", "0 kB").split()[0]) / 1024
                children.setdefault(ppid, []).append(int(d.name))
                procs[int(d.name)] = (fields.get("Name", "").strip(), rss)
        out, todo = {}, [me]
        while todo:
            pid = todo.pop()
            if pid in procs:
                out[pid] = procs[pid]
            todo += children.get(pid, [])
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = self._tree()
            rss_sum = sum(rss for _, rss in tree.values())
            # A process gone since the listing counts nothing; without smaps_rollup (Linux < 4.14,
            # another OS) the RSS sum stands in, an upper bound.
            pss_sum = (sum(m for pid in tree if (m := self._pss_mb(pid)) is not None) if self._has_pss
                       else rss_sum)
            self.peak_total_mb = max(self.peak_total_mb, pss_sum)
            self.peak_rss_sum_mb = max(self.peak_rss_sum_mb, rss_sum)
            for pid, (_name, rss) in tree.items():
                cmd = self._cmd(pid)
                role = ("parent" if pid == os.getpid() else "kernel" if "ipykernel" in cmd
                        else "browser" if "chrom" in cmd.split("\0")[0] else "worker")
                self.peak_process_mb[role] = max(self.peak_process_mb.get(role, 0.0), rss)
            self._stop.wait(self.every)

    @staticmethod
    def _cmd(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _unit_batch(data: Path, out: Path, n: int, jobs: int, formats: str) -> dict:
    """``n`` unit briefings of a fresh demo folder (one year), forced, on ``jobs`` warm kernels."""
    from cchc_tools.batch.runner import make_pool, run_tasks, start_workers
    from cchc_tools.batch.tasks import plan_all
    from cchc_tools.demo import generate
    from cchc_tools.pipeline import load_data
    from cchc_tools.project import load_project

    generate(data, units=n, years=[2023])
    t, cpu = time.perf_counter(), _cpu()
    with TreeMemory() as mem:
        project = load_project(KIT_ROOT)
        pool = make_pool(jobs)
        try:
            start_workers(pool, jobs, True)  # as ``run_batch`` does: the kernels start while the data loads
            plan = plan_all(project, data, out, formats, load_data(project, data))
            units = [x for x in plan.tasks if x.kind == "unit"]
            outcomes = run_tasks(units, jobs=jobs, result=plan.result, project=project, pool=pool)
        finally:
            pool.close()
    wall, cpu = time.perf_counter() - t, _cpu() - cpu
    failed = [o.error for o in outcomes if not o.ok]
    assert not failed and len(outcomes) == n, failed[:2]
    summaries = len(list(out.rglob("summary*.html")))  # the leader's summary, written beside each briefing
    return {"units": n, "wall_s": wall, "cpu_s": cpu, "summaries": summaries, "core_s_per_briefing": wall * jobs / n,
            "cpu_s_per_briefing": cpu / n, "peak_total_mb": mem.peak_total_mb, "peak_rss_sum_mb": mem.peak_rss_sum_mb,
            "peak_mb": mem.peak_process_mb}


def _fit(xs: list[float], ys: list[float]) -> dict:
    if len(xs) < 2:
        return {}
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return {"seconds_per_unit": slope, "fixed_s": my - slope * mx}


def bench_batch(tmp: Path, sizes: list[int], jobs: int, floor: list[float], formats: str, name: str,
                goal: float, floor_cpu: list[float] | None = None) -> dict:
    """Core-seconds (wall x jobs) per briefing against the cold floor's wall; beside it, what a machine shared
    with other work disturbs less: the CPU seconds of the whole process tree per briefing against the floor's."""
    runs = [_in_process(_unit_batch, tmp / f"{name}-{n}" / "data", tmp / f"{name}-{n}" / "out", n, jobs, formats)
            for n in sizes]
    f = statistics.median(floor)
    big = runs[-1]
    ratio = big["core_s_per_briefing"] / f
    fc = statistics.median(floor_cpu) if floor_cpu else None
    return {"name": name, "formats": formats, "jobs": jobs, "briefings": big["units"], "baseline": "cold floor",
            "baseline_cpu_s": fc, "kit_cpu_s": big["cpu_s_per_briefing"],
            "cpu_ratio": big["cpu_s_per_briefing"] / fc if fc else None,
            "baseline_s": f, "kit_s": big["core_s_per_briefing"], "ratio": ratio, "goal_ratio": goal,
            "met": ratio <= goal, "runs": runs, "fit": _fit([r["units"] for r in runs], [r["wall_s"] for r in runs]),
            "peak_total_mb": big["peak_total_mb"], "peak_rss_sum_mb": big["peak_rss_sum_mb"],
            "goal_peak_total_mb": 2048,
            "peak_met": big["peak_total_mb"] < 2048}


def _bump_one_value(path: Path) -> None:
    import re

    text = path.read_text(encoding="utf-8")
    m = re.search(r"^([^\t\n]*\t[^\t\n]+\t[^\t\n]*\t)(\d+)(\t)", text, re.MULTILINE)
    path.write_text(text[:m.start(2)] + str(int(m.group(2)) + 1) + text[m.end(2):], encoding="utf-8")


def _incremental(data: Path, out: Path, n: int, jobs: int, cycle: bool = False, changes: int = 1) -> dict:
    """``brief --all`` in full (``--force``), then again after one value changed in one file, ``changes`` times (each
    time in the next unit's file: one resubmission after another); with ``cycle``, each period's reporting cycle
    (status, letters, consolidated appendix, digest) runs beside the briefings, as it does by default. The
    incremental figure is the median of the runs; every run is reported (``runs``)."""
    from cchc_tools.demo import generate
    from cchc_tools.project import load_project
    from cchc_tools.site import brief_all

    files = generate(data, units=n, years=[2023])
    load_before = os.getloadavg()
    t, cpu = time.perf_counter(), _cpu()
    project = load_project(KIT_ROOT)
    full = brief_all(project, data, out, jobs=jobs, progress=False, force=True, formats="html", cycle=cycle)
    full_s, full_cpu = time.perf_counter() - t, _cpu() - cpu
    assert not full.problems
    runs = []
    for k in range(max(1, changes)):
        changed = files[k % len(files)]
        before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
        _bump_one_value(changed)
        t, cpu = time.perf_counter(), _cpu()
        again = brief_all(project, data, out, jobs=jobs, progress=False, formats="html", cycle=cycle)
        again_s, again_cpu = time.perf_counter() - t, _cpu() - cpu
        after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
        assert not again.problems
        runs.append({"s": again_s, "cpu_s": again_cpu, "changed_unit": changed.parent.name,
                     "cycles": [list(c) for c in again.cycles],
                     "rebuilt": sorted(o.task.label for o in again.outcomes if not o.skipped),
                     "rewritten": sorted({p.relative_to(out).as_posix() for p, m in after.items()
                                          if before.get(p) != m})})
    first = runs[0]
    return {"full_s": full_s, "full_briefings": len(full.outcomes),
            "incremental_s": statistics.median(r["s"] for r in runs), "full_cpu_s": full_cpu,
            "incremental_cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "runs_incremental_s": [r["s"] for r in runs],
            "load_avg_before": load_before, "load_avg_after": os.getloadavg(),  # a shared machine's load: say it
            "changed_unit": first["changed_unit"], "cycles": first["cycles"], "rebuilt": first["rebuilt"],
            "rewritten": first["rewritten"], "runs": runs}


def _each(ratios: list[float]) -> str:
    return ", ".join(f"{x:.1%}" for x in ratios)


def _outputs(rewritten: list[str]) -> set[str]:
    """The outputs a run rewrote: a page with its other formats and its provenance as one, a unit folder as one."""
    stems = {f.rsplit(".", 1)[0].removesuffix(".provenance") for f in rewritten}
    return {"/".join(s.split("/")[:2]) if s.count("/") == 2 else s for s in stems}


def bench_incremental(tmp: Path, n: int, jobs: int, changes: int = 1) -> dict:
    """``brief --all`` again after one changed value (the median of ``changes`` runs), against the full run (goal:
    <= 10 %, and each run rewrites only the four outputs the change touches)."""
    r = _in_process(_incremental, tmp / "inc" / "data", tmp / "inc" / "out", n, jobs, False, changes)
    outputs = [_outputs(run["rewritten"]) for run in r["runs"]]
    ratio = r["incremental_s"] / r["full_s"]
    return {"name": "incremental", "units": n, "baseline": "full run (--force)", "baseline_s": r["full_s"],
            "kit_s": r["incremental_s"], "ratio": ratio, "goal_ratio": 0.10,
            "runs_ratio": [s / r["full_s"] for s in r["runs_incremental_s"]],
            "met": ratio <= 0.10 and all(len(o) == 4 for o in outputs), "outputs_rewritten": sorted(outputs[0]), **r}


def bench_incremental_cycle(tmp: Path, n: int, jobs: int, changes: int = 1) -> dict:
    """``incremental`` with the period's reporting cycle: goal <= 5 % of the full run (the median of ``changes``
    runs, every run reported), and of the cycle's letters only the changed unit's rewritten, in every run."""
    r = _in_process(_incremental, tmp / "inc-cycle" / "data", tmp / "inc-cycle" / "out", n, jobs, True, changes)
    letters, others = [], []
    for run in r["runs"]:
        mine = [f for f in run["rewritten"] if "/letters-" in f and f.rsplit("/", 1)[-1].startswith("cong-van-")]
        letters += mine
        others += [f for f in mine if run["changed_unit"] not in f]
    ratio = r["incremental_s"] / r["full_s"]
    return {"name": "incremental_cycle", "units": n, "baseline": "full run with the cycle (--force)",
            "baseline_s": r["full_s"], "kit_s": r["incremental_s"], "ratio": ratio, "goal_ratio": 0.05,
            "runs_ratio": [s / r["full_s"] for s in r["runs_incremental_s"]],
            "letters_rewritten": letters, "other_units_letters_rewritten": others,
            "met": ratio <= 0.05 and not others, **r}


# --- the analyst's workbench ---------------------------------------------------------------------

def _explorer_redraws(data: str, cache: str) -> dict:
    """Open the workspace, build the explorer, then change unit, indicator, level, year and period as an analyst
    does; each change's time is the whole explorer's redraw (table, chart, the unit over time, source lines,
    findings, the unit-by-period table and the list of doubts), by pane."""
    os.environ["CCHC_CACHE_DIR"] = cache
    import cchc_tools as cc

    ws = cc.open(data)
    t = time.perf_counter()
    ex = ws.explorer()
    first = time.perf_counter() - t
    first_panes = {k: round(v, 1) for k, v in ex.timings.items()}  # the first draw's redraw, by pane
    units = [u for _, u in ex.unit.options]
    indicators = [i for _, i in ex.indicator.options]
    years = [y for y in ex.year.options]
    # eight units spread over the list, none of them the one shown: a change to the unit already chosen
    # redraws nothing and is no change
    others = [u for u in units if u != ex.unit.value]
    changes = ([{"unit": u} for u in dict.fromkeys(others[k * len(others) // 8] for k in range(8))]
               + [{"indicator": i} for i in indicators[:8]]
               + [{"level": lv} for _, lv in list(ex.level.options)[::-1]]
               + [{"year": y} for y in years[:-1][::-1]] + [{"year": years[-1]}]
               + [{"unit": units[-1], "indicator": "dossiers_on_time_all"}])
    times, cpu, done = [], [], []
    for c in changes:
        drawn = ex.redraws
        t = time.process_time()
        times.append(ex.choose(**c))
        cpu.append(time.process_time() - t)  # CPU: what a busy shared machine does not inflate
        name = ", ".join(f"{k}={v}" for k, v in c.items())
        if ex.redraws == drawn:
            raise RuntimeError(f"explorer_redraw: the change {name} redrew nothing (is it the choice shown?)")
        done.append({"change": name, "ms": round(times[-1] * 1000, 1), "cpu_ms": round(cpu[-1] * 1000, 1),
                     "panes_ms": {k: round(v, 1) for k, v in ex.timings.items()}})
    league = ws.league(ex.indicator.value, ex.year.value, ex.period.value)
    t = time.perf_counter()
    for _ in range(3):
        pd_html = league.drop(columns=["doubt"]).style.to_html()  # noqa: F841 - pandas' own Styler, unformatted
    baseline = (time.perf_counter() - t) / 3
    return {"first_s": first, "first_panes_ms": first_panes, "redraws_s": times, "cpu_s": cpu, "units": len(units),
            "baseline_s": baseline, "peak_mb": _peak_mb(), "changes": done}


def bench_explorer_redraw(tmp: Path, units: int) -> dict:
    """The whole explorer's redraw after each change, for two years of ``units`` synthetic units (goal: every
    change <= 200 ms); every change is reported by name, with its panes, and the slowest is named."""
    from cchc_tools.demo import generate

    data = tmp / "explorer"
    generate(data, units=units, years=[2022, 2023])
    _in_child(_explorer_redraws, str(data), str(tmp / "explorer-cache"))  # builds the snapshot
    r = _in_child(_explorer_redraws, str(data), str(tmp / "explorer-cache"))
    times = sorted(r["redraws_s"])
    median, worst = statistics.median(times), times[-1]
    slowest = max(r["changes"], key=lambda c: c["ms"])
    return {"name": "explorer_redraw", "units": r["units"], "changes": len(times),
            "baseline": "pandas Styler.to_html() of the same league, unformatted", "baseline_s": r["baseline_s"],
            "kit_s": median, "ratio": median / r["baseline_s"], "max_s": worst, "first_draw_s": r["first_s"],
            "first_draw_panes_ms": r["first_panes_ms"], "slowest_change": slowest["change"],
            "slowest_panes_ms": slowest["panes_ms"], "per_change": r["changes"],
            "cpu_median_s": statistics.median(r["cpu_s"]), "cpu_max_s": max(r["cpu_s"]), "load_avg": os.getloadavg(),
            "goal_ms": 200, "met": worst <= 0.2, "peak_mb": r["peak_mb"], "runs_kit_s": r["redraws_s"],
            "runs_cpu_s": r["cpu_s"]}


def _write_quarters(folder: Path, units: int, year: int) -> int:
    """``units`` synthetic units x 4 quarterly appendices (the demo's annual text, titled per quarter)."""
    import random

    from cchc_tools.demo import appendix_text, generate_values, unit_names

    n = 0
    for slug, name in unit_names(units):
        for q, roman in enumerate(("I", "II", "III", "IV"), start=1):
            values = generate_values(random.Random(f"{slug}-{year}-{q}"), 0.95)
            text = appendix_text(name, year, values).replace(f"HÀNH CHÍNH NĂM {year}",
                                                              f"HÀNH CHÍNH QUÝ {roman} NĂM {year}", 1)
            out = folder / str(year) / slug / f"phu-luc-cchc-{year}-q{q}-{slug}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            n += 1
    return n


def _synthetic_workspace(data: str, cache: str, units: int, year: int, templates: int = 40) -> dict:
    """A data folder of ``units`` x 4 quarterly appendices and its snapshot, made fast: ``templates`` units are
    written (``_write_quarters``) and parsed; every other unit's files are a template's text under its own name,
    and its rows in the snapshot are the template's rows under its own source and name, its counts scaled a
    little (the open path starts from the snapshot, whose signature is that of the folder as written)."""
    os.environ["CCHC_CACHE_DIR"] = cache
    import numpy as np
    import pandas as pd

    from cchc_tools.demo import unit_names
    from cchc_tools.ingest.loader import LoadResult, load_appendices
    from cchc_tools.ingest.snapshot import store_snapshot
    from cchc_tools.pipeline import find_snapshot
    from cchc_tools.project import load_project

    folder = Path(data)
    t = time.perf_counter()
    k = min(templates, units)
    _write_quarters(folder, k, year)
    project = load_project(KIT_ROOT)
    names = unit_names(units)
    base = load_appendices(folder, province=project.province, root=project.root).table
    assert base["source"].nunique() == 4 * k
    by_source = {s: g for s, g in base.groupby("source", sort=False)}
    parts = []
    for i, (slug, name) in enumerate(names):
        t_slug, t_name = unit_names(k)[i % k] if units > k else names[i]
        for q in range(1, 5):
            src = folder / str(year) / t_slug / f"phu-luc-cchc-{year}-q{q}-{t_slug}.txt"
            rows = by_source[str(src)]
            if i >= k:
                out = folder / str(year) / slug / f"phu-luc-cchc-{year}-q{q}-{slug}.txt"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(src.read_bytes().replace(t_name.encode(), name.encode()))
                rows = rows.assign(source=str(out), unit=slug, unit_name=name)
            parts.append(rows)
    # the snapshot keeps each file's rows in the folder's order of files: the table is in it, as a load gives it
    # (in the units' order, a changed file's update would replace another file's rows)
    snap = find_snapshot(project, folder)
    at = {path: i for i, (path, _sha) in enumerate(json.loads(snap.signature)[7])}
    parts.sort(key=lambda rows: at[str(rows["source"].iloc[0])])
    table = pd.concat(parts, ignore_index=True)
    # another unit's copy of a template differs from it a little, as real units do
    rng = np.random.default_rng(28)
    counts = (table["value"] > 10) & (table["uom"] != "%")
    table.loc[counts, "value"] = np.floor(table.loc[counts, "value"] * rng.uniform(0.9, 1.0, int(counts.sum())))
    store_snapshot(snap.base, snap.signature, LoadResult(table, [], []))
    return {"files": 4 * units, "rows": len(table), "write_s": time.perf_counter() - t}


def _open_workspace(data: str, cache: str) -> dict:
    os.environ["CCHC_CACHE_DIR"] = cache
    import pandas  # noqa: F401

    import cchc_tools as cc

    t = time.perf_counter()
    ws = cc.open(data)
    opened = time.perf_counter() - t
    return {"open_s": opened, "reports": len(ws.reports), "units": int(ws.reports["unit"].nunique()),
            "periods": sorted(set(ws.reports["period"])), "peak_mb": _peak_mb()}


def _open_after_change(data: str, cache: str) -> dict:
    """One value changed in one unit's file (a resubmission), then the workspace opened again."""
    first = sorted(Path(data).rglob("*.txt"))[0]
    _bump_one_value(first)
    return _open_workspace(data, cache)


def _read_kept(cache: str) -> tuple[float, float]:
    """The baseline: ``pandas.read_parquet`` of the same tables the open reads (the snapshot and the kept
    computation)."""
    import pandas as pd

    t = time.perf_counter()
    for p in Path(cache).rglob("*.parquet"):
        pd.read_parquet(p)
    return time.perf_counter() - t, _peak_mb()


def _drop_kept(cache: str) -> None:
    import shutil

    for p in Path(cache).glob("*.computed"):
        shutil.rmtree(p)


def bench_workspace_open(tmp: Path, units: int, repeats: int) -> dict:
    """``cchc_tools.open()`` in a fresh process on ``units`` x 4 quarters: cold (the first computation, from the
    folder's snapshot) and warm (from the kept computation), against ``pandas.read_parquet`` of the same tables
    (goal: warm under 2 s and 1 GB; cold no slower than the 79 s before the computation was kept)."""
    data, cache = tmp / "workspace", tmp / "workspace-cache"
    made = _in_child(_synthetic_workspace, str(data), str(cache), units, 2024)
    cold = []
    for _ in range(max(1, repeats - 1)):
        _drop_kept(str(cache))
        cold.append(_in_child(_open_workspace, str(data), str(cache)))
    runs = [_in_child(_open_workspace, str(data), str(cache)) for _ in range(repeats)]
    base = [_in_child(_read_kept, str(cache))[0] for _ in range(repeats)]
    changed = _in_child(_open_after_change, str(data), str(cache))
    k, b = statistics.median(r["open_s"] for r in runs), statistics.median(base)
    c = statistics.median(r["open_s"] for r in cold)
    peak = max(r["peak_mb"] for r in runs)
    return {"name": "workspace_open", "units": runs[0]["units"], "reports": runs[0]["reports"],
            "files": made["files"], "rows": made["rows"], "periods": runs[0]["periods"],
            "baseline": "pandas.read_parquet of the snapshot and the kept computation", "baseline_s": b,
            "kit_s": k, "ratio": k / b, "cold_s": c, "cold_ratio": c / b, "first_open_s": c,
            "first_peak_mb": max(r["peak_mb"] for r in cold), "peak_mb": peak, "write_s": made["write_s"],
            "changed_s": changed["open_s"], "changed_peak_mb": changed["peak_mb"],
            "goal_warm_s": 2.0, "goal_peak_mb": 1024, "goal_cold_s": 79.0, "goal_changed_s": 5.0,
            "met": k < 2.0 and peak < 1024 and c <= 79.0 and changed["open_s"] < 5.0, "load_avg": os.getloadavg(),
            "runs_kit_s": [r["open_s"] for r in runs], "runs_cold_s": [r["open_s"] for r in cold],
            "runs_baseline_s": base}


# --- report ------------------------------------------------------------------------------------

def machine() -> dict:
    pkgs = ["pandas", "numpy", "openpyxl", "papermill", "nbconvert", "nbclient", "ipykernel", "matplotlib",
            "rapidfuzz", "babel", "pdfplumber", "pdfminer.six"] + (["python-calamine"] if _has_calamine() else [])
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.machine(), "load_avg": os.getloadavg(),
            "packages": {p: metadata.version(p) for p in pkgs}}


def _line(r: dict) -> tuple[str, str, bool]:
    if r["name"].startswith("ingest"):
        m = (f"{r['files']} files: {r['kit_s']:.2f}s vs {r['baseline_s']:.2f}s = {r['ratio']:.2f}x, "
             f"{r['files_per_s']:.0f} files/s, peak {r['peak_mb']:.0f} MB")
        if "cpu_ratio" in r:
            m += f" (CPU {r['kit_cpu_s']:.2f}s vs {r['baseline_cpu_s']:.2f}s = {r['cpu_ratio']:.2f}x"
            m += f"; loading {r['load_cpu_ratio']:.2f}x)" if "load_cpu_ratio" in r else ")"
        g, ok = f"<= {r['goal_ratio']}x, < {r['goal_peak_mb']} MB", r["met"] and r["peak_met"]
        if r["name"] == "ingest_xlsx":
            m += f"; openpyxl {r['openpyxl_s']:.2f}s = {r['speedup_vs_openpyxl']:.1f}x slower than the kit"
            g += f", >= {r['goal_speedup_vs_openpyxl']}x vs openpyxl"
            ok = ok and r["speedup_met"]
            if not r["calamine"]:
                m += " (python-calamine not installed: calamine goal not measured)"
    elif r["name"] == "briefing":
        m = f"{r['kit_s']:.2f}s vs floor {r['baseline_s']:.2f}s = {r['ratio']:.2f}x"
        g, ok = f"<= {r['goal_ratio']}x", r["met"]
    elif r["name"].startswith("batch"):
        sizes = ", ".join(f"{x['units']}: {x['wall_s']:.1f}s" for x in r["runs"])
        fit = r["fit"]
        m = (f"{r['kit_s']:.2f} core-s/briefing vs floor {r['baseline_s']:.2f}s = {r['ratio']:.2f}x "
             f"(jobs {r['jobs']}; {sizes}"
             + (f"; fit {fit['fixed_s']:.1f}s + {fit['seconds_per_unit']:.2f}s/unit" if fit else "")
             + f"; peak {r['peak_total_mb']:.0f} MB PSS, {r['peak_rss_sum_mb']:.0f} MB RSS summed)")
        if r.get("cpu_ratio"):
            m += (f"; CPU {r['kit_cpu_s']:.2f}s/briefing vs floor CPU {r['baseline_cpu_s']:.2f}s = "
                  f"{r['cpu_ratio']:.2f}x")
        g, ok = f"<= {r['goal_ratio']}x, < 2 GB", r["met"] and r["peak_met"]
    elif r["name"] == "explorer_redraw":
        m = (f"{r['units']} units, {r['changes']} changes of the whole explorer: median {r['kit_s'] * 1000:.0f} ms, "
             f"slowest {r['max_s'] * 1000:.0f} ms ({r.get('slowest_change', '')}: "
             + ", ".join(f"{k} {v:.0f}" for k, v in r.get("slowest_panes_ms", {}).items()) + "); "
             f"CPU median {r['cpu_median_s'] * 1000:.0f} ms, slowest "
             f"{r['cpu_max_s'] * 1000:.0f} ms (first draw {r['first_draw_s'] * 1000:.0f} ms; "
             f"unformatted Styler {r['baseline_s'] * 1000:.0f} ms), peak {r['peak_mb']:.0f} MB")
        g, ok = "every change <= 200 ms", r["met"]
    elif r["name"] == "workspace_open":
        m = (f"{r['units']} units x {len(r['periods'])} quarters ({r['reports']} reports): warm (kept) "
             f"{r['kit_s']:.2f}s vs read_parquet {r['baseline_s']:.2f}s = {r['ratio']:.2f}x, "
             f"peak {r['peak_mb']:.0f} MB; cold (first computation) {r['cold_s']:.1f}s, "
             f"peak {r['first_peak_mb']:.0f} MB; one file changed {r['changed_s']:.1f}s")
        g, ok = "warm < 2 s and < 1 GB, cold <= 79 s, one file changed < 5 s", r["met"]
    elif r["name"] == "incremental_cycle":
        m = (f"{r['units']} units with the cycle: {r['kit_s']:.1f}s vs full {r['baseline_s']:.1f}s = "
             f"{r['ratio']:.1%} (median of {_each(r['runs_ratio'])}); "
             f"CPU {r['incremental_cpu_s']:.1f}s vs {r['full_cpu_s']:.1f}s = "
             f"{r['incremental_cpu_s'] / r['full_cpu_s']:.1%}; letters rewritten: {len(r['letters_rewritten'])} "
             f"({len(r['other_units_letters_rewritten'])} of other units)")
        g, ok = "<= 5%, only the changed unit's letter", r["met"]
    else:
        m = (f"{r['units']} units: {r['kit_s']:.1f}s vs full {r['baseline_s']:.1f}s = {r['ratio']:.1%} "
             f"(median of {_each(r['runs_ratio'])}), "
             f"rewritten: {', '.join(r['outputs_rewritten'])}")
        g, ok = "<= 10%, 4 outputs", r["met"]
    return m, g, ok


def table(results: list[dict]) -> str:
    lines = [f"{'benchmark':<18}{'measured':>40}   goal"]
    for r in results:
        m, g, ok = _line(r)
        verdict = "" if ok is None else "MET" if ok else "MISSED"
        lines.append(f"{r['name']:<18}{m}   {g}  {verdict}".rstrip())
    return "\n".join(lines)


def byte_compile_kit() -> bool:
    """The kit's modules compiled to byte-code before anything is timed, as the first run of a normal Python leaves
    them (an installed package comes compiled): a shell that sets ``PYTHONDONTWRITEBYTECODE`` (as this project's
    sandbox does) would otherwise have every process of every run (each worker, each kernel) compile them again,
    about 0.1 s of CPU a process, which no user's second run pays. Returns whether that variable was set (the
    report says so); byte-code caches are no part of the kit's hash (``fingerprint``)."""
    import compileall

    compileall.compile_dir(str(KIT_ROOT / "cchc_tools"), quiet=1)
    return bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks the suite runs, measures nothing")
    ap.add_argument("--only", default=ALL)
    ap.add_argument("--out", default=str(KIT_ROOT / "outputs" / "bench" / "latest.json"))
    args = ap.parse_args(argv)
    size = SMOKE if args.smoke else FULL
    only = set(args.only.split(","))
    results = []
    no_bytecode_env = byte_compile_kit()
    with tempfile.TemporaryDirectory(prefix="cchc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if "ingest_txt" in only:
            results.append(bench_ingest_txt(tmp / "txt", size["text_files"], size["repeats"]))
        if "ingest_txt_real" in only:
            results.append(bench_ingest_txt_real(tmp / "real", size["real_copies"], size["repeats"]))
        if "ingest_xlsx" in only:
            results.append(bench_ingest_xlsx(tmp / "xlsx", size["excel_files"], size["repeats"]))
        floors = cold_floor(tmp, size["briefing_repeats"]) if only & {"briefing", "batch_html",
                                                                       "batch_all_formats"} else []
        floor, floor_cpu = [w for w, _ in floors], [c for _, c in floors]
        if "briefing" in only:
            results.append(bench_briefing(tmp, size["briefing_repeats"], floor))
        if "batch_html" in only:
            results.append(bench_batch(tmp, size["batch"], size["jobs"], floor, "html", "batch_html", 0.4,
                                       floor_cpu))
        if "batch_all_formats" in only:
            results.append(bench_batch(tmp, [size["all_formats"]], size["jobs"], floor, "html,docx,pdf,xlsx",
                                       "batch_all_formats", 1.0, floor_cpu))
        if "incremental" in only:
            results.append(bench_incremental(tmp, size["incremental"], size["jobs"], size["incremental_changes"]))
        if "incremental_cycle" in only:
            results.append(bench_incremental_cycle(tmp, size["incremental"], size["jobs"],
                                                      size["incremental_changes"]))
        if "explorer_redraw" in only:
            results.append(bench_explorer_redraw(tmp, size["explorer_units"]))
        if "workspace_open" in only:
            results.append(bench_workspace_open(tmp, size["workspace_units"], size["repeats"]))
        if "ingest_pdf" in only:
            r = bench_ingest_pdf(tmp / "pdf", size["pdf_files"], size["pdf_distinct"], size["repeats"])
            results += [r] if r else []
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "smoke": args.smoke,
              "machine": {**machine(), "pythondontwritebytecode_in_shell": no_bytecode_env, "kit_byte_compiled": True},
              "results": results}
    write_text(args.out, json.dumps(report, indent=1, ensure_ascii=False))
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
