"""``brief --all`` runs each period's reporting cycle beside the briefings' pool, not after it: the cycle starts
once the briefings are stamped, a stop begins no further period, and the index waits for both."""

from __future__ import annotations

import signal
import threading

import pytest

import cchc_tools.cycle.run as cycle_run
import cchc_tools.site as site
from cchc_tools.batch import runner
from cchc_tools.batch.pool import Interrupted, KernelPool
from cchc_tools.batch.priority import BACKGROUND_NICENESS
from cchc_tools.batch.tasks import Outcome
from cchc_tools.cycle.run import CycleResult

WAIT = 120  # seconds a fake waits for the other side before the test fails (never a timing assertion)


@pytest.fixture(scope="module")
def two_periods(tmp_path_factory):
    from cchc_tools.demo import generate

    data = tmp_path_factory.mktemp("beside") / "data"
    generate(data, units=2, years=[2021, 2022])
    return data


@pytest.fixture
def no_workers(monkeypatch):
    monkeypatch.setattr(runner, "start_workers", lambda pool, planned, force: None)


def test_the_cycles_run_while_the_pool_runs_and_the_index_waits_for_both(two_periods, tmp_path, monkeypatch, kit,
                                                                          no_workers):
    started, calls, seen = threading.Event(), [], {}

    def fake_cycle(project, year, period, **kwargs):
        calls.append((year, period, threading.current_thread().name))
        started.set()
        return CycleResult()

    def fake_run(self, tasks, on_outcome=lambda o: None, most=None):
        tasks = list(tasks)
        seen["stamped"] = all(t.stamp for t in tasks)
        seen["cycle_during_pool"] = started.wait(WAIT)  # after the batch, the cycle would never start meanwhile
        return [Outcome(t, True, 0.0) for t in tasks]

    monkeypatch.setattr(cycle_run, "run_cycle", fake_cycle)
    monkeypatch.setattr(KernelPool, "run", fake_run)
    result = site.brief_all(kit, two_periods, tmp_path / "out", progress=False, formats="html")
    assert seen == {"stamped": True, "cycle_during_pool": True}
    assert [(y, p) for y, p, _ in calls] == [(2021, "annual"), (2022, "annual")]
    assert {name for _, _, name in calls} == {"cchc-cycles"}  # a thread of its own, not the caller's
    assert [made for _, made, _ in result.cycles] == [True, True] and not result.interrupted
    assert (tmp_path / "out" / "index.html").exists()
    assert "reporting cycles: 2 made, 0 unchanged, 0 failed" in result.summary()


def test_a_stopped_batch_begins_no_further_period_and_lists_the_one_finished(two_periods, tmp_path, monkeypatch,
                                                                              kit, no_workers):
    started, calls, made = threading.Event(), [], []
    real_init = site._Cycles.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    def fake_cycle(project, year, period, **kwargs):
        calls.append((year, period))
        started.set()
        assert made[0].stop.wait(WAIT)  # the period under way is finished after the stop, not abandoned
        return CycleResult()

    def fake_run(self, tasks, on_outcome=lambda o: None, most=None):
        assert started.wait(WAIT)
        raise Interrupted(signal.SIGINT, [])

    monkeypatch.setattr(site._Cycles, "__init__", init)
    monkeypatch.setattr(cycle_run, "run_cycle", fake_cycle)
    monkeypatch.setattr(KernelPool, "run", fake_run)
    result = site.brief_all(kit, two_periods, tmp_path / "out", progress=False, formats="html")
    assert calls == [(2021, "annual")]
    assert result.interrupted == "SIGINT" and [made for _, made, _ in result.cycles] == [True]
    assert not made[0].thread.is_alive()  # waited for before the lock is released
    assert result.summary().startswith("interrupted (SIGINT): ")
    assert (tmp_path / "out" / "index.html").exists()


def test_one_failing_period_never_stops_the_other_beside_the_pool(two_periods, tmp_path, monkeypatch, kit,
                                                                   no_workers):
    def fake_cycle(project, year, period, **kwargs):
        if year == 2021:
            raise ValueError("hỏng")
        return CycleResult()

    monkeypatch.setattr(cycle_run, "run_cycle", fake_cycle)
    monkeypatch.setattr(KernelPool, "run", lambda self, tasks, on_outcome=None, most=None: [])
    result = site.brief_all(kit, two_periods, tmp_path / "out", progress=False, formats="html")
    assert [(made, error) for _, made, error in result.cycles] == [(False, "ValueError: hỏng"), (True, "")]
    assert result.problems == 1


def test_an_error_outside_every_period_is_raised_in_the_caller_after_the_pool(two_periods, tmp_path, monkeypatch,
                                                                              kit, no_workers):
    ran = []

    def broken(table, *args, **kwargs):
        raise RuntimeError("bảng hỏng")

    monkeypatch.setattr(site, "reports", broken)
    monkeypatch.setattr(KernelPool, "run", lambda self, tasks, on_outcome=None, most=None: ran.append(1) or [])
    with pytest.raises(RuntimeError, match="bảng hỏng"):
        site.brief_all(kit, two_periods, tmp_path / "out", progress=False, formats="html")
    assert ran == [1]


def test_without_the_cycle_no_thread_is_started(two_periods, tmp_path, monkeypatch, kit, no_workers):
    monkeypatch.setattr(cycle_run, "run_cycle", lambda *a, **k: pytest.fail("no cycle was asked for"))
    monkeypatch.setattr(KernelPool, "run", lambda self, tasks, on_outcome=None, most=None: [])
    before = threading.active_count()
    result = site.brief_all(kit, two_periods, tmp_path / "out", progress=False, formats="html", cycle=False)
    assert result.cycles == [] and threading.active_count() == before


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="a thread's own niceness is Linux's")
def test_the_cycles_thread_gives_way_and_leaves_the_callers_priority_alone(monkeypatch):
    """The cycles' thread runs at ``BACKGROUND_NICENESS`` more than the caller; the caller's own niceness is
    unchanged."""
    import os

    seen = {}

    def fake_run_cycles(*args, stop=None, done=None):
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return []

    monkeypatch.setattr(site, "run_cycles", fake_run_cycles)
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    cycles = site._Cycles(None, None, None, "html", False)
    cycles.start(type("P", (), {"result": object()})())
    assert cycles.wait() == []
    assert seen["thread"] == min(19, mine + BACKGROUND_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
