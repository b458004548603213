"""One run per outputs folder: a lock file, ``<outputs>/.cchc-run.lock``, held while a run writes there.

A second run on the same folder (another terminal, a colleague on a shared folder, a scheduled job) is refused
at once, naming the process that holds it, instead of writing the same files at the same time. The lock is an
advisory ``flock`` on the open file: the system releases it when the process ends, however it ends (kill -9
included), so a run never leaves a stale lock behind; a run that ends normally removes the file (while still
holding it; a run that then finds its locked file gone from the folder tries again). Within one process the
lock is re-entrant (``brief --all`` holds it and runs each period's cycle, which takes it again).

The run's identity (:func:`cchc_tools.atomic.run_id`, the process id and a random part) names its temporary files
(:mod:`cchc_tools.atomic`); holding the lock, a run removes the temporary files of earlier runs of the kit whose
process is gone (``batch.state.remove_stale_temporaries``), and never anything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cchc_tools.paths import FolderError

LOCK_NAME = ".cchc-run.lock"
_HELD: dict[Path, list] = {}  # resolved outputs folder -> [open file, depth]


class LockedError(FolderError):
    """The outputs folder is in use by another run (``pid``: its process, when known)."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


def holder(folder: str | Path) -> int | None:
    """The process id written in a folder's lock file (who holds it, or held it last), or None."""
    try:
        text = (Path(folder) / LOCK_NAME).read_text(encoding="utf-8").split()
        return int(text[0]) if text else None
    except (OSError, ValueError):
        return None


@contextmanager
def outputs_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the lock of the outputs ``folder`` (created when missing) for the ``with`` block, or raise
    :class:`LockedError` naming the process that holds it."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no advisory locks; runs are then the user's to keep apart
        yield Path(folder)
        return
    key = Path(os.path.realpath(folder))
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield Path(folder)
        finally:
            _HELD[key][1] -= 1
        return
    key.mkdir(parents=True, exist_ok=True)
    path = key / LOCK_NAME
    while True:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole block
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            pid = holder(key)
            who = f" (tiến trình PID {pid})" if pid else ""
            raise LockedError(f"thư mục kết quả {folder} đang được một lần chạy khác của bộ công cụ dùng{who}; chờ "
                              "lần chạy đó xong rồi chạy lại, hoặc chọn thư mục kết quả khác (--out)", pid) from None
        try:  # the file locked must still be the folder's lock file (a run ending removes it): else try again
            same = os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    _HELD[key] = [fh, 1]
    try:
        yield Path(folder)
    finally:
        _HELD.pop(key, None)
        try:
            path.unlink(missing_ok=True)  # removed while still held: the outputs keep no trace of the run
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()
