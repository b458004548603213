"""The kit's benchmarks: speed as ratios against baselines measured in the same run.

    python -m benchmarks.run            # full suite (make bench), about 10 minutes on 2 cores
    python -m benchmarks.run --smoke    # a handful of files and one briefing (run by make test)

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
from cchc_tools.paths import outputs_dir

FULL = {"text_files": 2000, "excel_files": 200, "repeats": 3, "briefing_repeats": 3, "batch": 40}
SMOKE = {"text_files": 20, "excel_files": 4, "repeats": 1, "briefing_repeats": 1, "batch": 2}


# --- workloads, each run in a child process --------------------------------------------------

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline_csv(files: list[str]) -> tuple[float, float]:
    import pandas as pd

    t = time.perf_counter()
    for f in files:
        pd.read_csv(f, sep="\t", header=None, names=range(5), dtype=str, keep_default_na=False)
    return time.perf_counter() - t, _peak_mb()


def _baseline_excel(files: list[str]) -> tuple[float, float]:
    import pandas as pd

    t = time.perf_counter()
    for f in files:
        pd.read_excel(f, header=None, engine="openpyxl")
    return time.perf_counter() - t, _peak_mb()


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


def _import_only() -> tuple[float, float]:
    import pandas  # noqa: F401

    import cchc_tools  # noqa: F401

    return 0.0, _peak_mb()


# --- suites ------------------------------------------------------------------------------------

def bench_ingest(folder: Path, kind: str, n: int, repeats: int) -> dict:
    from cchc_tools.demo import generate

    years = list(range(2015, 2025))
    units = max(1, -(-n // len(years)))
    files = generate(folder, units=units, years=years, formats=(kind,))[:n]
    names = [str(f) for f in files]
    base_fn = _baseline_csv if kind == "txt" else _baseline_excel
    base, kit, peak = [], [], []
    for _ in range(repeats):
        b, _ = _in_child(base_fn, names)
        k, mem = _in_child(_kit, names)
        base.append(b)
        kit.append(k)
        peak.append(mem)
    _, import_mb = _in_child(_import_only)
    b, k = statistics.median(base), statistics.median(kit)
    goal = 2.0 if kind == "txt" else 1.5
    baseline_name = "pandas.read_csv(sep='\\t')" if kind == "txt" else "pandas.read_excel"
    return {"name": f"ingest_{kind}", "files": len(names), "baseline": baseline_name,
            "baseline_s": b, "kit_s": k, "ratio": k / b, "goal_ratio": goal, "met": k / b <= goal,
            "files_per_s": len(names) / k, "baseline_files_per_s": len(names) / b,
            "peak_mb": max(peak), "import_mb": import_mb, "goal_peak_mb": 500, "peak_met": max(peak) < 500,
            "runs_kit_s": kit, "runs_baseline_s": base}


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

    import cchc_tools.reporting.notebook_runner  # noqa: F401


def _run_floor(nb: str, out: str) -> float:
    import papermill as pm

    from cchc_tools.reporting.notebook_runner import to_html

    _preload()
    t = time.perf_counter()
    pm.execute_notebook(nb, out, kernel_name="python3", progress_bar=False, log_output=False)
    to_html(Path(out), "floor")
    return time.perf_counter() - t


def _run_briefing(out_root: str) -> float:
    from cchc_tools.paths import raw_dir
    from cchc_tools.reporting.notebook_runner import run_notebook, unit_task

    _preload()
    t = time.perf_counter()
    run_notebook(unit_task(2022, "vinh-chau", raw_dir(), Path(out_root)))
    return time.perf_counter() - t


def bench_briefing(tmp: Path, repeats: int) -> dict:
    nb = _floor_notebook(tmp / "floor.ipynb")
    floor, brief = [], []
    for i in range(repeats):
        floor.append(_in_child(_run_floor, str(nb), str(tmp / f"floor-{i}.ipynb")))
        brief.append(_in_child(_run_briefing, str(tmp / f"brief-{i}")))
    f, b = statistics.median(floor), statistics.median(brief)
    return {"name": "briefing", "baseline": "kernel + import pandas, matplotlib + empty HTML export",
            "baseline_s": f, "kit_s": b, "ratio": b / f, "goal_ratio": 1.5, "met": b / f <= 1.5,
            "runs_kit_s": brief, "runs_baseline_s": floor}


def _run_batch(data: str, out: str, jobs: int) -> float:
    from cchc_tools.analysis.selection import reports
    from cchc_tools.ingest.snapshot import load_data
    from cchc_tools.reporting.notebook_runner import run_tasks, unit_task

    reps = reports(load_data(data).table)
    tasks = [unit_task(r.year, r.unit, Path(data), Path(out), r.period) for r in reps.itertuples()]
    t = time.perf_counter()
    outcomes = run_tasks(tasks, jobs=jobs, progress=False)
    elapsed = time.perf_counter() - t
    failed = [o.error for o in outcomes if not o.ok]
    assert not failed, failed[:2]
    return elapsed


def bench_batch(tmp: Path, n: int) -> dict:
    from cchc_tools.demo import generate

    data = tmp / "batch-data"
    generate(data, units=n, years=[2023])
    # In this process: a pool worker may not start the batch runner's own worker processes.
    one = _run_batch(str(data), str(tmp / "batch-1"), 1)
    two = _run_batch(str(data), str(tmp / "batch-2"), 2)
    return {"name": "batch", "briefings": n, "jobs1_s": one, "jobs2_s": two,
            "per_minute_jobs1": n / one * 60, "per_minute_jobs2": n / two * 60,
            "speedup": one / two, "goal_speedup": 1.7, "met": one / two >= 1.7}


# --- report ------------------------------------------------------------------------------------

def machine() -> dict:
    pkgs = ["pandas", "numpy", "openpyxl", "papermill", "nbconvert", "ipykernel", "matplotlib", "rapidfuzz", "babel"]
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.machine(), "packages": {p: metadata.version(p) for p in pkgs}}


def table(results: list[dict]) -> str:
    lines = [f"{'benchmark':<16}{'measured':>40}   goal"]
    for r in results:
        if r["name"].startswith("ingest"):
            m = (f"{r['files']} files: {r['kit_s']:.2f}s vs {r['baseline_s']:.2f}s = {r['ratio']:.2f}x, "
                 f"{r['files_per_s']:.0f} files/s, peak {r['peak_mb']:.0f} MB")
            g = f"<= {r['goal_ratio']}x, < {r['goal_peak_mb']} MB"
            ok = r["met"] and r["peak_met"]
        elif r["name"] == "briefing":
            m = f"{r['kit_s']:.2f}s vs floor {r['baseline_s']:.2f}s = {r['ratio']:.2f}x"
            g, ok = f"<= {r['goal_ratio']}x", r["met"]
        else:
            m = (f"{r['briefings']} briefings: jobs=1 {r['jobs1_s']:.1f}s, jobs=2 {r['jobs2_s']:.1f}s, "
                 f"speed-up {r['speedup']:.2f} ({r['per_minute_jobs2']:.0f}/min)")
            g, ok = f">= {r['goal_speedup']}", r["met"]
        lines.append(f"{r['name']:<16}{m}   {g}  {'MET' if ok else 'MISSED'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks the suite runs, measures nothing")
    ap.add_argument("--only", default="ingest_txt,ingest_xlsx,briefing,batch")
    ap.add_argument("--out", default=str(outputs_dir() / "bench" / "latest.json"))
    args = ap.parse_args(argv)
    size = SMOKE if args.smoke else FULL
    only = set(args.only.split(","))
    results = []
    with tempfile.TemporaryDirectory(prefix="cchc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if "ingest_txt" in only:
            results.append(bench_ingest(tmp / "txt", "txt", size["text_files"], size["repeats"]))
        if "ingest_xlsx" in only:
            results.append(bench_ingest(tmp / "xlsx", "xlsx", size["excel_files"], size["repeats"]))
        if "briefing" in only:
            results.append(bench_briefing(tmp, size["briefing_repeats"]))
        if "batch" in only:
            results.append(bench_batch(tmp, size["batch"]))
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "smoke": args.smoke, "machine": machine(),
              "results": results}
    write_text(args.out, json.dumps(report, indent=1, ensure_ascii=False))
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
