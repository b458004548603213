"""A worker launches its kernel before it imports the kit, and leaves out the optional modules it never uses
(``pool.UNUSED_IN_WORKERS``: ``rfc3987_syntax``, 1.5 s of grammar building under nbformat's jsonschema)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from cchc_tools.batch.pool import UNUSED_IN_WORKERS, KernelPool
from cchc_tools.batch.tasks import Outcome
from cchc_tools.paths import notebooks_dir


def _report_modules(task, kernel) -> Outcome:
    """A job (run in the worker): which modules the worker holds, and whether nbformat still validates."""
    import nbformat as nbf

    nb = nbf.v4.new_notebook(cells=[nbf.v4.new_code_cell("1 + 1")])
    nbf.validate(nb)
    bad = nbf.v4.new_notebook()
    bad["cells"] = [{"cell_type": "code"}]  # no source, no outputs: invalid
    try:
        nbf.validate(bad)
        caught = False
    except nbf.ValidationError:
        caught = True
    held = {name: sys.modules.get(name, "absent") is None for name in UNUSED_IN_WORKERS}
    return Outcome(task, caught, 0.0, repr(held))


def test_a_worker_leaves_out_unused_modules_and_still_validates_notebooks(tmp_path):
    from tests.test_batch import _notebook, _task

    nb = _notebook(tmp_path / "x.ipynb", "x = ''", "x")
    pool = KernelPool(1, _report_modules, notebooks_dir())
    [outcome] = pool.run([_task(nb, tmp_path / "out")])
    assert outcome.ok, outcome.error  # an invalid notebook is still refused by nbformat's validation
    assert outcome.error == repr({name: True for name in UNUSED_IN_WORKERS})


def test_the_caller_keeps_every_module_importable():
    """Only worker processes leave modules out: importing the pool (in the caller) changes nothing."""
    code = ("import sys, cchc_tools.batch.pool, cchc_tools.batch.runner\n"
            "print(all(sys.modules.get(n, 0) is not None for n in cchc_tools.batch.pool.UNUSED_IN_WORKERS))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["True"], run.stderr


def test_importing_the_pool_imports_neither_pandas_nor_the_task_module():
    """A worker imports pool.py first and launches its kernel before anything heavy is imported."""
    code = "import sys, cchc_tools.batch.pool\nprint('pandas' in sys.modules, 'cchc_tools.batch.tasks' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["False", "False"], run.stderr


def test_a_workers_job_and_warm_up_import_no_pandas():
    """What a worker unpickles (the runner's ``execute``) and warms (papermill, the HTML exporter) needs no pandas:
    a worker starts with half a second less to import, while its kernel and the parent's stamps take the cores."""
    code = ("import sys, pickle\nfrom cchc_tools.batch import runner\n"
            "pickle.loads(pickle.dumps(runner.make_pool(1).job))\nrunner.warm_worker()\n"
            "print('pandas' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["False"], run.stderr


def test_a_workers_papermill_runs_without_pyarrow():
    """Left out in a worker (``UNUSED_IN_WORKERS``), ``pyarrow.fs`` takes pyarrow and numpy with it: papermill's I/O
    still reads and writes local notebooks, and only an ``hdfs://`` path would find pyarrow missing."""
    code = ("import sys\nfrom cchc_tools.batch import pool, runner\npool._leave_out_unused_modules()\n"
            "runner.warm_worker()\nfrom papermill.iorw import load_notebook_node, write_ipynb\n"
            "import nbformat\nnb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
            "nbformat.write(nb, sys.argv[1])\nwrite_ipynb(load_notebook_node(sys.argv[1]), sys.argv[1] + '.out')\n"
            "print(sorted(m for m in ('pyarrow', 'numpy', 'pandas') if m in sys.modules))\n"
            "from papermill.iorw import HadoopFileSystem\n"
            "try:\n    HadoopFileSystem()\nexcept Exception as e:\n    print(type(e).__name__)")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "nb.ipynb")
        run = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert nbformat.read(path + ".out", as_version=4).cells[0].source == "1"
    assert run.stdout.split() == ["[]", "PapermillOptionalDependencyException"], run.stdout + run.stderr


def test_a_workers_exporter_is_built_in_a_thread_and_its_first_page_waits_for_it():
    """``warm_worker`` leaves the reader's exporter to a thread (built while the first notebook runs); a page asked
    for meanwhile waits for it, and is the page a process without the warm-up makes."""
    import threading

    import nbformat

    from cchc_tools.batch import runner
    from cchc_tools.render import export

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiêu đề\n\nTỷ lệ 99,87%")])
    export._exporter.cache_clear()
    runner.warm_worker()
    page = export.notebook_to_html(nb, "x")  # at once: the lock holds it until the thread's exporter is built
    for t in threading.enumerate():
        if t.name == "cchc-warm-export":
            t.join(60)
    assert export._exporter.cache_info().currsize == 1
    export._exporter.cache_clear()
    assert page == export.notebook_to_html(nb, "x")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own niceness is Linux's")
def test_a_workers_exporter_thread_gives_way_and_leaves_the_worker_alone(monkeypatch):
    """The exporter's warm-up is needed by the first page only: its thread runs at ``BACKGROUND_NICENESS`` more than
    the worker, whose own niceness (its notebooks, its next kernel) is unchanged."""
    import os
    import threading

    from cchc_tools.batch import runner
    from cchc_tools.batch.priority import BACKGROUND_NICENESS
    from cchc_tools.render import export

    seen = {}

    def fake_export(nb, title, **kwargs):
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return ""

    monkeypatch.setattr(export, "notebook_to_html", fake_export)
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    runner.warm_worker()
    for t in threading.enumerate():
        if t.name == "cchc-warm-export":
            t.join(60)
    assert seen["thread"] == min(19, mine + BACKGROUND_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
