"""Batches on warm kernels: isolation, equality with papermill alone, kernels lost, incremental runs,
provenance, failures reported by name, interrupts and killed parents."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cchc_tools import paths, provenance
from cchc_tools.batch import state
from cchc_tools.batch.runner import run_tasks, trend_task, unit_task
from cchc_tools.batch.tasks import Task, plan_all
from cchc_tools.cli import main
from cchc_tools.content.charts import literal as plain_text
from cchc_tools.project import load_project
from cchc_tools.site import brief_unit

# --- helpers ----------------------------------------------------------------------------------

KIT = load_project(paths.KIT_ROOT)  # the kit's own repository as a project


def _notebook(path: Path, *sources: str) -> Path:
    cells = [new_code_cell(textwrap.dedent(s)) for s in sources]
    cells[0].metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _task(nb: Path, out: Path, **params) -> Task:
    params = {k: str(v) for k, v in params.items()}
    stamp = provenance.Stamp(kind="unit", notebook=nb.name, notebook_sha256=provenance.sha256_file(nb),
                             kit_version="test", kit_code="", reference_sha256="", parameters=params)
    return Task("unit", str(nb), params, out, nb.stem, nb.stem,
                stamp=stamp.to_dict())


def _normalised(nb_path: Path) -> dict:
    """An executed notebook without what differs from run to run: times, paths of the run, the stamp's time."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        nb["metadata"]["papermill"].pop(key, None)
    nb["metadata"].pop("cchc", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell.pop("id")  # papermill makes a new random id on every run
        for out in cell.get("outputs", []):
            if "text/plain" in out.get("data", {}):  # an object's repr holds its memory address
                out["data"]["text/plain"] = re.sub(r" at 0x[0-9a-f]+", "", "".join(out["data"]["text/plain"]))
            for mime in ("text/plain", "text/html"):  # the provenance stamp's time of production
                if mime in out.get("data", {}):
                    out["data"][mime] = re.sub(r"\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}", "TIME",
                                               "".join(out["data"][mime]))
    return nb


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return "\nState:\tZ" in fh.read()  # a zombie is dead, waiting for init
    except FileNotFoundError:
        return True


# --- warm kernels -----------------------------------------------------------------------------


def test_nothing_of_one_briefing_is_visible_in_the_next(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "tag = ''", """
        import os, warnings
        import matplotlib, matplotlib.pyplot as plt
        leak = 42
        plt.figure()
        matplotlib.rcParams["lines.linewidth"] = 7
        warnings.simplefilter("error")
        os.environ["CCHC_LEAK"] = "1"
        os.chdir("/")
        import sys, weakref
        class Cycle: pass
        cycle = Cycle(); cycle.me = cycle  # garbage only a collection frees, once the namespace is cleared
        sys.cchc_probe = weakref.ref(cycle)
        print(os.getpid())
        """)
    second = _notebook(tmp_path / "second.ipynb", "tag = ''", """
        import os, warnings
        import matplotlib, matplotlib.pyplot as plt
        assert "leak" not in globals(), "a name leaked from the previous briefing"
        assert plt.get_fignums() == [], "a figure leaked"
        assert matplotlib.rcParams["lines.linewidth"] == 1.5, "rcParams leaked"
        assert "CCHC_LEAK" not in os.environ and os.getcwd() != "/"
        warnings.warn("shown, not raised")
        import sys
        assert sys.cchc_probe() is None, "the previous briefing's garbage was not collected"
        print(os.getpid())
        """)
    tasks = [_task(first, tmp_path / "out"), _task(second, tmp_path / "out")]
    outcomes = run_tasks(tasks, jobs=1)
    assert [o.ok for o in outcomes] == [True, True], [o.error for o in outcomes]
    a, b = (nbformat.read(t.executed, as_version=4) for t in tasks)
    pids = [nb.cells[-1].outputs[0]["text"].strip() for nb in (a, b)]
    assert pids[0] == pids[1], "both briefings ran on the same warm kernel"
    assert [c.execution_count for c in b.cells] == [1, 2, 3], "execution counts start again at 1"


@pytest.mark.slow
def test_batch_briefings_equal_papermill_alone(tmp_path):
    """Two briefings run one after the other on one warm kernel are the notebooks papermill makes alone."""
    import papermill as pm

    out = tmp_path / "batch"
    tasks = [unit_task(KIT, 2022, "vinh-chau", paths.raw_dir(), out),
             trend_task(KIT, "vinh-chau", paths.raw_dir(), out)]
    outcomes = run_tasks(tasks, jobs=1)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    for t in tasks:
        alone = tmp_path / f"alone-{t.kind}.ipynb"
        pm.execute_notebook(str(paths.notebooks_dir() / t.notebook), str(alone), parameters=t.parameters,
                            kernel_name="python3", progress_bar=False, cwd=str(paths.notebooks_dir()))
        batch_nb, alone_nb = _normalised(t.executed), _normalised(alone)
        for a, b in zip(batch_nb["cells"], alone_nb["cells"], strict=True):  # the first differing cell, shown
            assert a == b, (t.kind, "".join(a.get("source", "")), json.dumps(a.get("outputs"))[:3000],
                            json.dumps(b.get("outputs"))[:3000])
        assert batch_nb == alone_nb, t.kind
        # the page is exported from the notebook as executed, not read back: the same page as from the file
        from cchc_tools.render.export import notebook_to_html

        assert t.html.read_text(encoding="utf-8") == notebook_to_html(t.executed, t.title,
                                                                      landscape=t.kind == "compare")
    # the stamp is in the notebook and beside it, and equals the single-unit run's except the time
    stamp = nbformat.read(tasks[0].executed, as_version=4).metadata["cchc"]["provenance"]
    beside = json.loads(tasks[0].state.read_text(encoding="utf-8"))
    assert {k: beside[k] for k in stamp} == stamp
    brief_unit(KIT, 2022, "vinh-chau", out_root=tmp_path / "single")
    single = json.loads((tmp_path / "single/2022/vinh-chau/briefing.provenance.json").read_text(encoding="utf-8"))
    for d in (stamp, single):
        d.pop("produced")
    single = {k: single[k] for k in stamp}
    assert single == stamp
    sha = provenance.sha256_file(paths.raw_dir() / "2022/vinh-chau/phu-luc-cchc-2022-vinh-chau.txt")
    assert stamp["inputs"] == {"data/raw/2022/vinh-chau/phu-luc-cchc-2022-vinh-chau.txt": sha}
    assert set(stamp["reference"]) >= {"catalog.csv", "rules.yaml", "indicators.yaml"}
    lines = dict(provenance.Stamp.from_dict(beside).page_lines())
    assert lines["Tệp đầu vào"].endswith(f"(SHA-256 {sha[:12]})")


def test_a_kernel_that_dies_or_hangs_is_replaced_and_its_briefing_retried_once(tmp_path):
    once = """
        import os, pathlib, time
        marker = pathlib.Path(MARK)
        if not marker.exists():
            marker.write_text("x")
            {action}
        print("second try")
        """
    dies = _notebook(tmp_path / "dies.ipynb", "MARK = ''", once.format(action="os._exit(1)"))
    hangs = _notebook(tmp_path / "hangs.ipynb", "MARK = ''", once.format(action="time.sleep(600)"))
    always = _notebook(tmp_path / "always.ipynb", "MARK = ''", "import os\nos._exit(1)")
    fine = _notebook(tmp_path / "fine.ipynb", "MARK = ''", "print('fine')")
    out = tmp_path / "out"
    tasks = [_task(dies, out, MARK=tmp_path / "m1"), _task(hangs, out, MARK=tmp_path / "m2"),
             _task(always, out, MARK=""), _task(fine, out, MARK="")]
    by_name = {Path(o.task.notebook).stem: o for o in run_tasks(tasks, jobs=2, timeout=5)}
    assert by_name["dies"].ok and by_name["hangs"].ok and by_name["fine"].ok
    assert not by_name["always"].ok and "kernel lost twice" in by_name["always"].error
    assert "second try" in tasks[1].executed.read_text(encoding="utf-8")


# --- a whole data folder: failures by name, incremental runs --------------------------------------


def _bump_one_value(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^([^\t\n]*\t[^\t\n]+\t[^\t\n]*\t)(\d+)(\t)", text, re.MULTILINE)
    path.write_text(text[:m.start(2)] + str(int(m.group(2)) + 1) + text[m.end(2):], encoding="utf-8")


def _dead_pid() -> int:
    """The process id of a process that has ended (a killed run's)."""
    import subprocess
    import sys

    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                              check=True).stdout)


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def demo_batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch")
    data, out = tmp / "demo", tmp / "out"
    assert main(["demo-data", "--units", "2", "--years", "2021,2022", "--out", str(data)]) == 0
    (data / "2022" / "broken.txt").write_text("không phải phụ lục", encoding="utf-8")
    stale = out / "2022" / "minh-hoa-01" / f".briefing.cchc-{_dead_pid()}-abc123-x1.tmp.ipynb"  # a killed run's
    stale.parent.mkdir(parents=True)
    stale.write_text("{", encoding="utf-8")
    return data, out


@pytest.mark.slow
def test_cli_brief_all_reports_unreadable_files_and_rebuilds_only_what_changed(demo_batch, capsys):
    data, out = demo_batch
    args = ["brief", "--all", "--data", str(data), "--out", str(out), "--jobs", "2", "--quiet", "--formats", "html"]
    assert main(args) == 1  # an unreadable file is a failure of the batch, named
    cap = capsys.readouterr()
    assert "8 of 8 briefings made" in cap.out and "1 files unreadable" in cap.out
    assert "could not read:" in cap.err and "broken.txt" in cap.err
    for rel in ["2021/minh-hoa-01/briefing.html", "2022/minh-hoa-02/briefing.html", "2022/compare.html",
                "trend/minh-hoa-01.html", "index.html"]:
        assert (out / rel).exists(), rel
    assert not list(out.rglob(".*.tmp*")), "a killed run's temporary file is removed (and the run's own too)"
    html = (out / "2022" / "minh-hoa-01" / "briefing.html").read_text(encoding="utf-8")
    assert "DỮ LIỆU MẪU" in html and "so với năm 2021" in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Tệp không đọc được" in index and "broken.txt" in index

    before = _mtimes(out)
    _bump_one_value(data / "2022" / "minh-hoa-01" / "phu-luc-cchc-2022-minh-hoa-01.txt")
    assert main(args) == 1
    assert "3 of 8 briefings made" in capsys.readouterr().out
    changed = {k for k, v in _mtimes(out).items() if before.get(k) != v}
    cycle = {k for k in changed if k.startswith("2022/") and any(  # the changed period's reporting cycle, only
        part in k for part in ("cycle-annual", "digest-annual", "letters-annual/", "phu-luc-tong-hop-annual"))}
    assert "2022/cycle-annual.json" in cycle and not any("2021/" in k or "2023/" in k for k in cycle)
    assert changed - cycle == {"index.html", "2022/minh-hoa-01/indicators.csv", "2022/minh-hoa-01/findings.csv",
                       "2022/minh-hoa-01/summary.html",
                       *(f"{stem}.{ext}" for stem in ("2022/minh-hoa-01/briefing", "2022/compare", "trend/minh-hoa-01")
                         for ext in ("html", "ipynb", "provenance.json"))}
    assert main([*args, "--force"]) == 1
    assert "8 of 8 briefings made" in capsys.readouterr().out


def test_a_unit_that_cannot_be_briefed_never_stops_the_others(tmp_path, seed_text):
    no_year = seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", "CẢI CÁCH HÀNH CHÍNH").replace(" năm 2022", "")
    for name, text in [("a", seed_text), ("b", no_year.replace("thị xã Vĩnh Châu", "thị xã Vĩnh Lợi"))]:
        folder = tmp_path / "data" / "2022" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    plan = plan_all(KIT, tmp_path / "data", tmp_path / "out")
    assert [t.parameters["unit"] for t in plan.tasks if t.kind == "unit"] == ["vinh-chau"]
    assert len(plan.unbriefable) == 1 and "Vĩnh Lợi" in plan.unbriefable[0][0]


def test_text_from_input_never_reaches_matplotlib_as_markup():
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, plain_text(r"xã $\undefinedcmd$ giá $5"))
    fig.canvas.draw()  # raw, matplotlib would raise ValueError parsing math text
    plt.close(fig)


# --- interrupts and killed parents ----------------------------------------------------------------

_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_batch import _notebook, _task
from cchc_tools.batch.runner import run_tasks
from cchc_tools.batch.pool import Interrupted
tmp = Path({tmp!r})
nb = _notebook(tmp / "slow.ipynb", "N = ''", '''
import os, pathlib, time
pathlib.Path(f"{{N}}.pids").write_text(f"{{os.getpid()}} {{os.getppid()}}")
time.sleep(120)
''')
tasks = [_task(nb, tmp / f"out{{i}}", N=tmp / f"k{{i}}") for i in range(4)]
try:
    run_tasks(tasks, jobs=2)
except Interrupted as exc:
    print(f"interrupted ({{exc}}): {{len(exc.outcomes)}} finished", flush=True)
    sys.exit(130)
"""


def _start_slow_batch(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    script = _SCRIPT.format(tests=str(Path(__file__).parent), tmp=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(tmp_path.glob("k*.pids"))) < 2:
        time.sleep(0.2)
    pids = [int(x) for f in tmp_path.glob("k*.pids") for x in f.read_text().split()]
    assert len(pids) == 4, proc.communicate(timeout=5) if proc.poll() is not None else "kernels did not start"
    return proc, pids


def _all_gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(_gone(p) for p in pids):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_stops_the_batch_within_seconds(tmp_path, sig):
    proc, pids = _start_slow_batch(tmp_path)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)  # a hang guard, not a timing: the batch's sleeps last 120 s
    assert proc.returncode == 130 and out.strip() == f"interrupted ({sig.name}): 0 finished"
    assert "Traceback" not in err
    assert _all_gone(pids, 10), "no worker or kernel outlives the batch"
    assert not list(tmp_path.rglob("*.provenance.json")), "no entry for a briefing not written whole"


def test_no_worker_or_kernel_outlives_a_killed_parent(tmp_path):
    proc, pids = _start_slow_batch(tmp_path)
    proc.kill()
    proc.communicate(timeout=10)
    assert _all_gone(pids, 15), "workers and kernels die with their parent"


def test_stale_temporaries_are_removed(tmp_path):
    keep = tmp_path / "2022" / "x" / "briefing.html"
    keep.parent.mkdir(parents=True)
    keep.write_text("ok", encoding="utf-8")
    dead = _dead_pid()
    stale = [keep.parent / f".briefing.cchc-{dead}-0a1b2c-k2j3.tmp.ipynb",
             tmp_path / "trend" / f".x.cchc-{dead}-ff-9f.tmp.html"]
    stale[1].parent.mkdir()
    for p in stale:
        p.write_text("partial", encoding="utf-8")
    assert sorted(state.remove_stale_temporaries(tmp_path)) == sorted(stale)
    assert keep.exists() and not any(p.exists() for p in stale)
    assert os.listdir(tmp_path / "trend") == []
