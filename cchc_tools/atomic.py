"""Writing outputs whole or not at all: a temporary file in the same folder, then a rename.

A temporary file is named by the run that writes it (:func:`run_id`: the process id and a random part),
``.<stem>.cchc-<run id>-<random>.tmp<suffix>``, and removed by that run when the write fails; a run killed
half-way leaves it, and a later run removes only such files whose process is gone (:func:`stale_temporary`),
never a file of a person or of another program that happens to end in ``.tmp``.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by the tables' functions: a batch's workers write files, never tables
    import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)
_RUN: dict[int, str] = {}
TEMPORARY = re.compile(r"^\..*\.cchc-(?P<pid>[0-9]+)-[0-9a-f]+-[^/]*\.tmp[^/]*$")


def run_id() -> str:
    """This process's run id, ``<pid>-<6 hex digits>`` (a forked worker gets its own)."""
    pid = os.getpid()
    if pid not in _RUN:
        _RUN[pid] = f"{pid}-{secrets.token_hex(3)}"
    return _RUN[pid]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or a number no process can have: left alone
    return True


def stale_temporary(path: str | Path) -> bool:
    """A temporary file of this module (by its name) whose run's process is gone: safe to remove."""
    m = TEMPORARY.match(Path(path).name)
    return bool(m) and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"]))


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem[:100]}.cchc-{run_id()}-", suffix=f".tmp{target.suffix}",
                               dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_with(target: str | Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_text(target: str | Path, text: str) -> Path:
    return write_with(target, lambda p: p.write_text(text, encoding="utf-8"))


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralize_csv(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``, which Excel and LibreOffice show as text. Real labels start with "- " too (27
    rows of the bundled appendix): they get the quote as well. The CSVs are a machine format
    (README, "CSV files"); the .parquet outputs and the notebooks keep every text as written.
    Numbers stay numbers (``-3`` in a number column is written as a number).
    """
    import pandas as pd

    out = df.copy()
    for name in out.columns:
        col = out[name]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            out[name] = col.map(_neutral, na_action="ignore")
    return out


def write_table(df: pd.DataFrame, target: str | Path) -> Path:
    """Write a DataFrame as .parquet or .csv (UTF-8 with BOM, so Excel shows Vietnamese; neutralised
    against formulas, see :func:`neutralize_csv`)."""
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        return write_with(target, lambda p: df.to_parquet(p, index=False, engine="pyarrow"))
    if suffix == ".csv":
        safe = neutralize_csv(df)
        return write_with(target, lambda p: safe.to_csv(p, index=False, encoding="utf-8-sig"))
    raise ValueError(f"{target}: unknown table format {suffix!r}; use .parquet or .csv")
