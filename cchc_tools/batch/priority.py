"""Threads that give way: work that a batch needs later than what runs beside it.

On Linux a thread has its own niceness (``setpriority`` of its thread id), so one thread of a process can yield the
CPU to the others, and to the other processes of a batch, without lowering the rest of its process. Elsewhere a
thread's id is no process id (``setpriority`` could name another process): nothing changes there.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

#: How much more than its caller's niceness a thread that gives way runs at.
BACKGROUND_NICENESS = 10


def give_way(niceness: int = BACKGROUND_NICENESS) -> None:
    """The calling thread runs at ``niceness`` more than it did (at most 19): never less than its caller's, whatever
    that is, and the other threads of the process keep theirs."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(AttributeError, OSError):
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + niceness))
