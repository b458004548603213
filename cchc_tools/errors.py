"""The kit's error types: every message names the file, the line and what was expected."""

from __future__ import annotations

from pathlib import Path

from cchc_tools.i18n import _, tr


class CchcError(Exception):
    """Base class of every error the kit raises on purpose."""


class AppendixError(CchcError):
    """An input file that cannot be read as an appendix.

    ``path`` and ``line`` (1-based, or None when the whole file is at fault)
    locate the problem; ``expected`` says what the reader wanted to find. In a PDF, ``line`` is the row of
    the appendix table and ``page`` the page it is printed on (None elsewhere).
    ``message`` and ``expected`` are already in the analyst's language (``_()`` at the raise).
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None,
                 expected: str | None = None, page: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.page = page or None
        self.expected = expected
        self.reason = message
        if self.page and line:
            where = _("{path}: page {page}, table row {line}").format(path=self.path, page=self.page, line=line)
        else:
            where = _("{path}:{line}").format(path=self.path, line=line) if line else self.path
        text = f"{where}: {message}"
        if expected:
            text += " " + _("(expected {expected})").format(expected=expected)
        super().__init__(text)

    def __reduce__(self):
        """Picklable (a process pool sends errors back): rebuilt from its text and attributes, not re-raised."""
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type, args: tuple, state: dict) -> AppendixError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class LimitError(AppendixError):
    """An input beyond one of the limits of :mod:`cchc_tools.limits`, refused before any more work."""

    def __init__(self, path: str | Path, what: str, limit_name: str, limit: int, *,
                 line: int | None = None, page: int | None = None) -> None:
        self.limit_name = limit_name
        super().__init__(path, tr("{what}: more than the limit {name} = {limit}",
                             what=what, name=limit_name, limit=limit),
                         line=line, expected=_("an ordinary appendix (see Limits in the README)"), page=page)


class UnknownUnitError(CchcError):
    """A unit or year asked for that has no data; the message lists what exists."""


class FormFileError(CchcError, ValueError):
    """A file of a forms folder that is not a readable form: ``path``, ``line`` (1-based, or None) and the
    ``reason``, in the analyst's words. A ``ValueError`` too, as a form whose columns are missing always was."""

    def __init__(self, path: str | Path, reason: str, *, line: int | None = None) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        where = _("{path}:{line}").format(path=self.path, line=line) if line else self.path
        super().__init__(f"{where}: {reason}")
