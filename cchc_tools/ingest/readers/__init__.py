"""Readers: one per file format, each yielding a :class:`RawTable` of raw rows."""

from __future__ import annotations

from pathlib import Path

from cchc_tools.ingest.readers.base import RawRow, RawTable
from cchc_tools.ingest.readers.text import read_text

__all__ = ["RawRow", "RawTable", "read_raw", "read_text"]


def read_raw(path: str | Path) -> RawTable:
    """Dispatch on the file's suffix (and its first bytes) to the right reader; a table whose texts are in
    a legacy Vietnamese encoding (TCVN3, VNI) is converted to Unicode, or refused when that is not certain."""
    from cchc_tools.ingest.readers.encoding import convert_table

    table = _read_format(Path(path))
    convert_table(table)
    return table


def _read_format(path: Path) -> RawTable:
    suffix = path.suffix.lower()
    if suffix in (".docx", ".docm"):
        from cchc_tools.ingest.readers.docx import read_docx

        return read_docx(path)
    if suffix in (".xlsx", ".xlsm"):
        from cchc_tools.ingest.readers.xlsx import read_xlsx

        return read_xlsx(path)
    if suffix == ".pdf":
        from cchc_tools.ingest.readers.pdf import read_pdf

        return read_pdf(path)
    if suffix in (".xls", ".ods"):
        from cchc_tools.ingest.readers.legacy import read_sheet_legacy

        return read_sheet_legacy(path)
    if suffix == ".doc":
        from cchc_tools.ingest.readers.legacy import read_doc

        return read_doc(path)
    return read_text(path)
