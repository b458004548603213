"""Readers: one per file format, each yielding a :class:`RawTable` of raw rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.ingest.readers.base import RawRow, RawTable
from cchc_tools.ingest.readers.text import read_text

if TYPE_CHECKING:
    from cchc_tools.forms import Forms

__all__ = ["READERS", "RawRow", "RawTable", "read_raw", "read_text", "register"]


def read_raw(path: str | Path, forms: Forms | None = None) -> RawTable:
    """Dispatch on the file's suffix (and its first bytes) to the right reader; a table whose texts are in
    a legacy Vietnamese encoding (TCVN3, VNI) is converted to Unicode, or refused when that is not certain.
    ``forms``: the forms the file may be written in (a project's, ``Project.forms``; default: the kit's), for a
    reader that asks them (the PDF reader, whether a line at the top of a page ends the label above)."""
    from cchc_tools.ingest.readers.encoding import convert_table

    table = _read_format(Path(path), forms)
    convert_table(table)
    return table


def _docx(path: Path) -> RawTable:
    from cchc_tools.ingest.readers.docx import read_docx

    return read_docx(path)


def _xlsx(path: Path) -> RawTable:
    from cchc_tools.ingest.readers.xlsx import read_xlsx

    return read_xlsx(path)


def _pdf(path: Path, forms: Forms | None = None) -> RawTable:
    from cchc_tools.ingest.readers.pdf import read_pdf

    return read_pdf(path, forms)


def _sheet_legacy(path: Path) -> RawTable:
    from cchc_tools.ingest.readers.legacy import read_sheet_legacy

    return read_sheet_legacy(path)


def _doc(path: Path) -> RawTable:
    from cchc_tools.ingest.readers.legacy import read_doc

    return read_doc(path)


Reader = Callable[[Path], RawTable]

# The registry of input formats: a file's suffix (lower case) -> the reader of that format. Each reader
# module is imported only when a file of its format is read. A new format: a reader module in this
# folder, and one line here (``register(".ext", reader)``); the loader takes its files from then on.
READERS: dict[str, Reader] = {}


def register(suffixes: str | tuple[str, ...], reader: Reader) -> None:
    """Read files of these suffixes with ``reader`` (a function of a path giving a RawTable)."""
    for suffix in (suffixes,) if isinstance(suffixes, str) else suffixes:
        READERS[suffix.lower()] = reader


register((".txt", ".tsv"), read_text)
register(".docx", _docx)
register((".xlsx", ".xlsm"), _xlsx)
register(".pdf", _pdf)
register((".xls", ".ods"), _sheet_legacy)
register(".doc", _doc)


#: Readers that are given the forms (``forms=``) when the caller has them.
WITH_FORMS: set[Reader] = {_pdf}


def _read_format(path: Path, forms: Forms | None = None) -> RawTable:
    reader = READERS.get(path.suffix.lower(), read_text)
    if forms is not None and reader in WITH_FORMS:
        return reader(path, forms=forms)
    return reader(path)
