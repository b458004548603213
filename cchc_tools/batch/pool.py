"""The only place that knows about processes: warm kernels, and a small pool of workers owning one each.

A worker process starts one Jupyter kernel with the kit imported and runs many briefings on
it, one after the other (the job resets the kernel's state before each). A kernel that dies
or hangs is replaced and its briefing retried once; a worker that dies is replaced and its
briefing retried once; anything else is the job's own outcome. Nothing outlives the parent:
workers die with it (``PR_SET_PDEATHSIG`` on Linux, and a watchdog thread everywhere) and
kernels die with their worker (ipykernel's own parent poller, ``JPY_PARENT_PID``). SIGINT and
SIGTERM stop a batch within seconds: :class:`Interrupted` carries what was finished.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from multiprocessing.connection import wait
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a worker imports this module first and launches its kernel before pandas
    from cchc_tools.batch.tasks import Outcome, Task

KERNEL = "python3"
# The kernel's own log (a transport notice at start, an interrupt notice at shutdown) is noise for
# readers of `cchc brief`; errors in cells still fail the run and are reported.
# History in memory, as nbclient starts kernels (no SQLite file shared and locked by concurrent kernels).
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]
STARTUP_TIMEOUT = 60
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PREPARE = "__import__('cchc_tools.batch.warm', fromlist=['prepare']).prepare()"
_RESET = "__import__('cchc_tools.batch.warm', fromlist=['reset']).reset(__import__('json').loads({!r}))"


class KernelLost(Exception):
    """The kernel died, hung past the timeout or would not start: replace it, retry the briefing once."""


class Interrupted(Exception):
    """SIGINT or SIGTERM stopped the batch; ``outcomes`` are the briefings finished before."""

    def __init__(self, signum: int, outcomes: list[Outcome]) -> None:
        self.signum, self.outcomes = signum, outcomes
        super().__init__(signal.Signals(signum).name)


class WarmKernel:
    """One kernel kept across briefings (started lazily; ``ensure`` replaces a dead one).

    ``env``: the environment every kernel it starts is given (default: this process's, as it is when the kernel
    object is made): a kernel started again after one was lost starts as the first did, whatever this process's
    own environment became meanwhile."""

    def __init__(self, cwd: str | Path, env: Mapping[str, str] | None = None) -> None:
        self.cwd = str(cwd)
        self.env = dict(os.environ if env is None else env)
        self.km = self.kc = self.control = None
        self._preparing: str | None = None

    def _sync(self, fn):
        from jupyter_core.utils import run_sync

        return run_sync(fn)

    def start(self) -> None:
        """Launch the kernel and ask it to import the kit, without waiting: the caller works meanwhile
        (the first ``reset`` waits for the kernel to be ready)."""
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=KERNEL)
        try:
            self._sync(km.start_kernel)(extra_arguments=KERNEL_ARGS, cwd=self.cwd, env=dict(self.env))
        except Exception as exc:
            raise KernelLost(f"the kernel did not start: {type(exc).__name__}: {exc}") from None
        self.km = km
        # Two clients: ``kc`` for nbclient to run notebooks, ``control`` for the runner's silent set-up and
        # resets, each getting its own replies (a blocking one: an asyncio client stops receiving its replies
        # once nbclient has run on the same event loop).
        self.kc, self.control = km.client(), km.blocking_client()
        self.kc.start_channels()
        self.kc.allow_stdin = False
        self.control.start_channels()
        self._preparing = self.control.execute(_PREPARE, silent=True, store_history=False, allow_stdin=False)

    def _ready(self) -> None:
        """Wait for the kit's import sent by ``start``; KernelLost if the kernel dies or fails meanwhile."""
        import queue

        msg_id, self._preparing = self._preparing, None
        if msg_id is None:
            return
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                try:
                    reply = self.control.get_shell_msg(timeout=0.5)
                except queue.Empty:
                    if not self.alive():
                        raise RuntimeError("the kernel died while starting") from None
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no answer within {STARTUP_TIMEOUT} s") from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            content = reply["content"]
            if content["status"] != "ok":
                raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
            self._sync(self.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
        except Exception as exc:
            self.stop()
            raise KernelLost(f"the kernel did not start: {type(exc).__name__}: {exc}") from None

    def alive(self) -> bool:
        return self.km is not None and self._sync(self.km.is_alive)()

    def ensure(self) -> None:
        if not self.alive():
            self.stop()
            self.start()

    def run_silent(self, code: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Run code without output, history or execution count; raises KernelLost if it fails."""
        try:
            reply = self.control.execute_interactive(code, silent=True, store_history=False, timeout=timeout,
                                                            output_hook=lambda msg: None, allow_stdin=False)
        except Exception as exc:
            raise KernelLost(f"the kernel did not answer: {type(exc).__name__}: {exc}") from None
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelLost(f"the kernel could not be reset: {content.get('ename')}: {content.get('evalue')}")

    def reset(self, stamp: dict | None = None) -> None:
        """A fresh briefing's state: clean namespace, figures, rcParams, warnings; the stamp to use."""
        self._ready()
        self.run_silent(_RESET.format(json.dumps(stamp)))

    @property
    def pid(self) -> int | None:
        prov = getattr(self.km, "provisioner", None)
        return getattr(prov, "pid", None)

    def kill_now(self) -> None:
        """Kill the kernel's process group at once (no event loop needed: safe in a signal handler)."""
        pid = self.pid
        if pid:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    def stop(self) -> None:
        for kc in (self.kc, self.control):
            if kc is not None:
                with contextlib.suppress(Exception):  # a dead kernel's channels may already be gone
                    kc.stop_channels()
        if self.km is not None:
            # Killed and reaped here, then shut down by jupyter_client, which finds it gone: its own wait for the
            # process polls every 0.1 s, the whole of a stop's time (every batch waits for its workers' stops).
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            self.kill_now()
            if process is not None:
                with contextlib.suppress(Exception):
                    process.wait(timeout=5)
            try:
                self._sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                self.kill_now()
        self.km = self.kc = self.control = None
        self._preparing = None


Job = Callable[["Task", WarmKernel], "Outcome"]


def run_with_retry(job: Job, task: Task, kernel: WarmKernel) -> Outcome:
    """Run one task on a warm kernel; a lost kernel is replaced and the task retried once."""
    from cchc_tools.batch.tasks import Outcome

    start = time.perf_counter()
    reason = ""
    for _ in range(2):
        try:
            kernel.ensure()
            return job(task, kernel)
        except KernelLost as exc:
            reason = str(exc)
            kernel.stop()
    return Outcome(task, False, time.perf_counter() - start, f"kernel lost twice: {reason}")


@contextmanager
def kernel_for_one(cwd: str | Path, env: Mapping[str, str] | None = None):
    """A kernel in this process for one briefing (``cchc brief --unit``), launched at once so that it
    starts while the caller loads the data (with ``env``, as :class:`WarmKernel`); stopped at the end."""
    kernel = WarmKernel(cwd, env)
    try:
        with contextlib.suppress(KernelLost):  # run_with_retry starts it again
            kernel.start()
        yield kernel
    finally:
        kernel.stop()


# --- worker processes -------------------------------------------------------------------------

_PDF: list = []  # in a worker, the module ``cchc_tools.render.pdf`` once imported (after its kernel is launched)


def _close_browser() -> None:
    """The worker's browser closed, if it ever imported the module that starts one (none before)."""
    for pdf in _PDF:
        pdf.close_session()


def _die_with_parent(parent_pid: int, kernel: WarmKernel) -> None:
    try:  # Linux: SIGTERM as soon as the parent is gone
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                kernel.kill_now()
                _close_browser()
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


# Optional modules a worker never uses, kept from being imported: jsonschema (under nbformat, which every worker
# imports) imports ``rfc3987_syntax`` whenever it is installed (an extra of jupyter-events, for JupyterLab) and builds
# its grammar on import: 1.5 s of a worker's start, before its first briefing. It serves only jsonschema's ``iri``
# format checks, which nothing in a worker asks for (nbformat validates notebooks without format checks).
# papermill's I/O module imports ``pyarrow.fs`` for its HDFS paths (and, through it, pyarrow and numpy): 0.1-0.2 s of
# a worker's start for paths a batch never uses (its notebooks and outputs are local files; papermill falls back to
# "pyarrow is missing" for ``hdfs://`` only). A worker imports no pandas, so nothing else in it needs pyarrow.
UNUSED_IN_WORKERS = ("rfc3987_syntax", "pyarrow.fs")


def _leave_out_unused_modules() -> None:
    """In a worker process (never the caller's): ``UNUSED_IN_WORKERS`` import as if not installed (a ``None`` in
    ``sys.modules`` makes ``import`` raise ModuleNotFoundError, which their importers expect of optional modules)."""
    for name in UNUSED_IN_WORKERS:
        sys.modules.setdefault(name, None)


def _worker(conn, work: bytes, cwd: str, parent_pid: int, env: dict[str, str]) -> None:
    """A worker's life. ``work``: the pickled ``(job, prepare)``, unpickled only once the kernel is launched: their
    modules (the runner, pandas) are imported while the kernel starts, not before it."""
    _leave_out_unused_modules()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl-C reaches the whole group
    kernel = WarmKernel(cwd, env)

    def on_term(signum, frame):
        # At once and quietly: the kernel's group killed, no unwinding through nbclient's event loop.
        # The briefing under way has no state entry (it was removed before it started); its temporary
        # files are removed by the next run.
        kernel.kill_now()
        _close_browser()
        with contextlib.suppress(Exception):
            kernel.km.cleanup_connection_file()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    _die_with_parent(parent_pid, kernel)
    with contextlib.suppress(KernelLost):  # launched now, ready by the first task (else started again by it)
        kernel.start()
    from cchc_tools.render import pdf

    _PDF.append(pdf)
    job, prepare = pickle.loads(work)
    if prepare is not None:
        with contextlib.suppress(Exception):  # what the first task would do first, done while the kernel starts
            prepare()
    try:
        with pdf.session():  # one browser per worker, started at its first PDF, for all its briefings
            while True:
                try:
                    task = conn.recv()
                except (EOFError, OSError):
                    break
                if task is None:
                    break
                conn.send(run_with_retry(job, task, kernel))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        kernel.stop()
    # Stopped cleanly (kernel shut down, browser closed): leave at once. The parent waits for this exit at the end
    # of every batch, and tearing the interpreter down (pandas, papermill, nbconvert...) took longer than the rest.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, if it is not running.

    It is otherwise started by the first ``Process.start`` of a spawn context, and on its way out it
    *unblocks* SIGINT and SIGTERM in the parent (``resource_tracker.ensure_running``): inside the window
    where a worker must be started with them blocked. A Ctrl-C during a batch's start-up then killed the
    worker mid-import, or printed its KeyboardInterrupt traceback. Once running, it is left alone."""
    with contextlib.suppress(ImportError, OSError, AttributeError):
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


class _Worker:
    def __init__(self, ctx, job: Job, cwd: str, env: Mapping[str, str] | None = None,
                 prepare: Callable[[], object] | None = None) -> None:
        self.conn, child = ctx.Pipe()
        env = dict(os.environ if env is None else env)  # the kernel's, passed (never the worker's own, later)
        work = pickle.dumps((job, prepare))  # unpickled by the worker once its kernel is launched
        self.proc = ctx.Process(target=_worker, args=(child, work, cwd, os.getpid(), env), daemon=True,
                                name="cchc-briefing-worker")
        # Started with SIGINT and SIGTERM blocked (the mask is inherited): a Ctrl-C of the whole terminal
        # group while a worker is still importing never prints a traceback; the worker unblocks them
        # once its own handlers are in place. Nothing may unblock them before the worker is started.
        _start_resource_tracker()
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            self.proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        child.close()
        self.task: Task | None = None
        self.retried = False
        self.since = 0.0

    def give(self, task: Task, retried: bool) -> None:
        self.task, self.retried, self.since = task, retried, time.perf_counter()
        self.conn.send(task)

    def ask_stop(self) -> None:
        """Tell the worker to stop (an idle one cleanly, a busy one at once), without waiting for it."""
        if self.proc.is_alive():
            if self.task is None:
                with contextlib.suppress(OSError):
                    self.conn.send(None)
            else:
                self.proc.terminate()

    def join(self, grace: float) -> None:
        """Wait ``grace`` seconds for the worker asked to stop, then kill it."""
        self.proc.join(grace)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1)
        self.conn.close()

    def stop(self, grace: float) -> None:
        self.ask_stop()
        self.join(grace)


def _stop_all(workers: list[_Worker], grace: float) -> None:
    """Stop every worker, all at once: each is asked first, then each is waited for (their kernels' shutdowns
    overlap rather than follow one another)."""
    for w in workers:
        w.ask_stop()
    for w in workers:
        w.join(grace)


class KernelPool:
    """``jobs`` workers with one warm kernel each; ``run`` hands them tasks until none is left. ``env``: the
    environment each kernel starts with (default: this process's when the pool is made), passed down to every
    worker, the first and any that replaces a lost one. ``prepare``: called in each worker once its kernel is
    launched (a picklable function: what the job would otherwise do first, done while the kernel starts)."""

    def __init__(self, jobs: int, job: Job, cwd: str | Path, env: Mapping[str, str] | None = None,
                 prepare: Callable[[], object] | None = None) -> None:
        self.jobs, self.job, self.cwd, self.prepare = max(1, jobs), job, str(cwd), prepare
        self.env = dict(os.environ if env is None else env)
        self._ctx = mp.get_context("spawn")
        self._stop: int | None = None
        self._started: list[_Worker] = []  # started ahead of ``run`` (``start``), idle until it gives them tasks

    def _worker(self) -> _Worker:
        return _Worker(self._ctx, self.job, self.cwd, self.env, self.prepare)

    def start(self, n: int) -> None:
        """Start up to ``n`` workers now (each launches its kernel at once), before the tasks are known, so that
        they start while the caller loads and stamps; ``run`` gives them tasks, and stops those it does not need.
        A caller that may not call ``run`` calls ``close``."""
        while len(self._started) < min(n, self.jobs):
            self._started.append(self._worker())

    def close(self) -> None:
        """Stop the workers started ahead and not used by ``run``."""
        started, self._started = self._started, []
        _stop_all(started, 10.0)

    def _on_signal(self, signum, frame) -> None:
        self._stop = signum

    def run(self, tasks: Iterable[Task], on_outcome: Callable[[Outcome], None] = lambda o: None,
            most: int | None = None) -> list[Outcome]:
        """Every task's outcome, in the order they finish; ``most``: at most that many workers (default ``jobs``)."""
        from cchc_tools.batch.tasks import Outcome

        queue = deque((t, False) for t in tasks)
        outcomes: list[Outcome] = []
        need = min(self.jobs, len(queue), most or self.jobs)
        started, self._started = self._started[:need], self._started[need:]
        self.close()  # started ahead but not needed (nothing to run, or fewer tasks than workers)
        if not queue:
            return outcomes
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, self._on_signal)
        workers = started + [self._worker() for _ in range(need - len(started))]
        for i, w in enumerate(workers):  # a worker started ahead that died meanwhile is replaced, nothing lost
            if not w.proc.is_alive():
                w.stop(0)
                workers[i] = self._worker()

        def finish(o: Outcome) -> None:
            outcomes.append(o)
            on_outcome(o)

        try:
            while queue or any(w.task for w in workers):
                if self._stop is not None:
                    raise Interrupted(self._stop, outcomes)
                for w in workers:
                    if w.task is None and queue:
                        w.give(*queue.popleft())
                busy = [w for w in workers if w.task is not None]
                wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=0.25)
                for i, w in enumerate(workers):
                    if w.task is None:
                        continue
                    result = None
                    try:
                        if w.conn.poll():
                            result = w.conn.recv()
                    except (EOFError, OSError):
                        result = None
                    if result is not None:
                        w.task = None
                        finish(result)
                    elif not w.proc.is_alive():  # the worker itself died: replace it, retry once
                        task, retried = w.task, w.retried
                        w.task = None
                        w.stop(0)
                        workers[i] = self._worker()
                        if retried:
                            finish(Outcome(task, False, time.perf_counter() - w.since,
                                           f"worker process died twice (exit code {w.proc.exitcode})"))
                        else:
                            queue.appendleft((task, True))
        finally:
            _stop_all(workers, 3.0 if self._stop is not None else 10.0)
            for sig, old in handlers.items():
                signal.signal(sig, old)
        return outcomes
