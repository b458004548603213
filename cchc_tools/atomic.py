"""Writing outputs whole or not at all: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
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


def write_table(df: pd.DataFrame, target: str | Path) -> Path:
    """Write a DataFrame as .parquet or .csv (UTF-8 with BOM, so Excel shows Vietnamese)."""
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        return write_with(target, lambda p: df.to_parquet(p, index=False, engine="pyarrow"))
    if suffix == ".csv":
        return write_with(target, lambda p: df.to_csv(p, index=False, encoding="utf-8-sig"))
    raise ValueError(f"{target}: unknown table format {suffix!r}; use .parquet or .csv")
