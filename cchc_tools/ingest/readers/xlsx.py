"""Reader for Excel appendices (.xlsx) with openpyxl.

Finds the header row on any sheet (the first sheet that has one is taken, and
the table says which), reads the title rows above it for the metadata, and
takes values stored as numbers or as Vietnamese-formatted text. Formula cells
give their cached values; a formula with no cached value (a workbook saved by
a program that does not compute) is reported, not read as 0 or as its text.
``line`` is the sheet row number. Nothing in the file is executed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from cchc_tools.errors import AppendixError
from cchc_tools.ingest.readers.base import RawRow, RawTable, header_columns, is_header
from cchc_tools.ingest.readers.safety import check_container
from cchc_tools.text import clean

HEADER_SEARCH_ROWS = 40


def _has_formulas(path: str | Path, sheet_xml: str) -> bool:
    with zipfile.ZipFile(path) as zf:
        try:
            data = zf.read(sheet_xml)
        except KeyError:
            return True  # be safe: look for formulas the slow way
    return re.search(rb"<(?:\w+:)?f[ >/]", data) is not None


def _sheet_xml_paths(path: str | Path) -> dict[str, str]:
    """Sheet title -> path of its XML part inside the zip."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sh in wb.iterfind("m:sheets/m:sheet", ns):
        target = targets.get(sh.get(f"{{{ns['r']}}}id"), "")
        target = target.lstrip("/")
        out[sh.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return clean(str(v))


def _value(cell) -> str | float | None:
    v = cell.value
    if v is None:
        return None
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        x = float(v)
        fmt = getattr(cell, "number_format", "") or ""
        if "%" in fmt:
            x *= 100
        return round(x, 10)
    return clean(str(v))


def read_xlsx(path: str | Path) -> RawTable:
    import openpyxl

    check_container(path, "xlsx")
    try:
        wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise AppendixError(path, f"not a readable Excel workbook ({type(exc).__name__}: {exc})",
                            expected="a .xlsx file saved by Excel or LibreOffice") from None
    try:
        return _read(path, wb)
    finally:
        wb.close()


def _read(path: str | Path, wb) -> RawTable:
    table = RawTable(path=str(path), format="xlsx")
    for ws in wb.worksheets:
        rows = ws.iter_rows()
        title: list[str] = []
        cols = None
        for r_idx, row in enumerate(rows, start=1):
            texts = [_text(c.value) for c in row]
            if is_header(texts):
                cols = header_columns(texts)
                table.header_line = r_idx
                break
            title.extend(t for t in texts if t)
            if r_idx >= HEADER_SEARCH_ROWS:
                break
        if cols is None:
            continue
        table.sheet = ws.title
        table.title = title
        others = [s.title for s in wb.worksheets if s.title != ws.title]
        if others:
            table.warnings.append(f"took sheet {ws.title!r}; other sheets: {', '.join(others)}")
        formulas: dict[tuple[int, int], str] = {}
        sheet_xml = _sheet_xml_paths(path).get(ws.title, "")
        if _has_formulas(path, sheet_xml):
            formulas = _formula_cells(path, ws.title)
        vi = cols.get("value")
        text_cols = {k: i for k, i in cols.items() if k != "value"}
        for r_idx, row in enumerate(rows, start=table.header_line + 1):
            n = len(row)
            if not n:
                continue
            # Only the mapped columns are converted: the value cell as a value, the others as text.
            t = {k: _text(row[i].value) if i < n else "" for k, i in text_cols.items()}
            value = _value(row[vi]) if vi is not None and vi < n else None
            if value is None and vi is not None and (r_idx, vi + 1) in formulas:
                value = formulas[(r_idx, vi + 1)]  # a formula nobody computed: kept as text, reported
            label = t.get("label", "")
            if not label and value in (None, ""):
                continue
            if "chỉ tiêu" in label.lower() and is_header([_text(c.value) for c in row]):
                continue  # a header repeated further down the sheet
            table.rows.append(RawRow(line=r_idx, stt=t.get("stt", ""), label=label, uom=t.get("uom", ""),
                                     value=value, note=t.get("note", ""), code=t.get("code", "")))
        return table
    names = ", ".join(repr(s.title) for s in wb.worksheets)
    raise AppendixError(path, f"no sheet has an appendix header row (sheets: {names})",
                        expected="a header row THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng / Ghi chú "
                        f"in the first {HEADER_SEARCH_ROWS} rows of a sheet")


def _formula_cells(path: str | Path, sheet: str) -> dict[tuple[int, int], str]:
    """Formula text by (row, column) for every formula cell, from a second, formula-preserving read."""
    import openpyxl

    wb = openpyxl.load_workbook(str(path), read_only=True, data_only=False)
    try:
        out = {}
        for row in wb[sheet].iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    out[(c.row, c.column)] = c.value
        return out
    finally:
        wb.close()
