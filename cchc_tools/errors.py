"""The kit's error types: every message names the file, the line and what was expected."""

from __future__ import annotations

from pathlib import Path


class CchcError(Exception):
    """Base class of every error the kit raises on purpose."""


class AppendixError(CchcError):
    """An input file that cannot be read as an appendix.

    ``path`` and ``line`` (1-based, or None when the whole file is at fault)
    locate the problem; ``expected`` says what the reader wanted to find.
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None,
                 expected: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.expected = expected
        self.reason = message
        where = f"{self.path}:{line}" if line else self.path
        text = f"{where}: {message}"
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


class UnknownUnitError(CchcError):
    """A unit or year asked for that has no data; the message lists what exists."""
