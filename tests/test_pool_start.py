"""Workers started ahead of a batch's tasks (issue 28): they launch their kernels while the parent loads and stamps,
``run`` gives them the tasks, and a worker not needed (nothing changed, fewer tasks than workers) is stopped."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cchc_tools.batch.pool import KernelPool
from cchc_tools.batch.runner import execute
from cchc_tools.paths import notebooks_dir
from tests.test_batch import _gone, _notebook, _task


def _pid_notebook(tmp_path):
    return _notebook(tmp_path / "pid.ipynb", "pid_file = ''", """
        import os
        from pathlib import Path
        Path(pid_file).write_text(str(os.getppid()))  # the kernel's parent: the worker that ran it
        """)


def test_a_worker_started_ahead_runs_the_task_and_the_one_not_needed_stops(tmp_path):
    nb = _pid_notebook(tmp_path)
    pool = KernelPool(2, partial(execute, timeout=120), notebooks_dir())
    pool.start(2)
    ahead = [w.proc.pid for w in pool._started]
    assert len(ahead) == 2
    outcomes = pool.run([_task(nb, tmp_path / "out", pid_file=tmp_path / "ran-by.txt")])
    assert [o.ok for o in outcomes] == [True], [o.error for o in outcomes]
    assert int((tmp_path / "ran-by.txt").read_text()) in ahead  # no new worker was started for it
    assert not pool._started and all(_gone(pid) for pid in ahead)  # the one not needed too


def test_workers_started_ahead_stop_when_nothing_runs(tmp_path):
    pool = KernelPool(2, partial(execute, timeout=120), notebooks_dir())
    pool.start(5)  # never more than the pool's jobs
    ahead = [w.proc.pid for w in pool._started]
    assert len(ahead) == 2
    assert pool.run([]) == []
    assert all(_gone(pid) for pid in ahead)
    pool.start(1)
    one = pool._started[0].proc.pid
    pool.close()  # a caller that never runs (interrupted while loading)
    assert _gone(one) and not pool._started


def test_a_few_tasks_run_on_the_one_worker_started_ahead(tmp_path):
    nb = _pid_notebook(tmp_path)
    pool = KernelPool(2, partial(execute, timeout=120), notebooks_dir())
    pool.start(1)
    ahead = pool._started[0].proc.pid
    tasks = [_task(nb, tmp_path / f"out-{k}", pid_file=tmp_path / f"ran-by-{k}.txt") for k in range(2)]
    outcomes = pool.run(tasks, most=1)
    assert [o.ok for o in outcomes] == [True, True], [o.error for o in outcomes]
    assert {int((tmp_path / f"ran-by-{k}.txt").read_text()) for k in range(2)} == {ahead}


def test_a_stopped_kernel_is_reaped_and_its_connection_file_removed(tmp_path):
    """``WarmKernel.stop`` kills and reaps the kernel itself (jupyter_client's own wait polls every 0.1 s), then lets
    jupyter_client clean up: no process, no zombie, no connection file left behind, and the kernel object can start
    again."""
    import os

    from cchc_tools.batch.pool import WarmKernel

    kernel = WarmKernel(tmp_path)
    kernel.start()
    kernel._ready()
    pid, connection = kernel.pid, Path(kernel.km.connection_file)
    process = kernel.km.provisioner.process
    assert pid and connection.exists()
    kernel.stop()
    assert process.returncode is not None  # reaped: waited for, so never a zombie
    assert not os.path.exists(f"/proc/{pid}") or _gone(pid)
    assert not connection.exists() and kernel.km is None
    kernel.start()  # as ``ensure`` does after a lost kernel
    kernel._ready()
    assert kernel.alive()
    kernel.stop()
