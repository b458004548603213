"""Reader for Excel appendices (.xlsx) with python-calamine (Rust).

Finds the header row on any sheet (the first sheet that has one is taken, and
the table says which), reads the title rows above it for the metadata, and
takes values stored as numbers or as Vietnamese-formatted text. A number in a
cell formatted as a percentage is read on the 0–100 scale (``0.9259`` shown as
``92,59%`` is 92.59). Formula cells give their cached values; a formula with no
cached value (a workbook saved by a program that does not compute) is reported,
not read as 0 or as its text. ``line`` is the sheet row number. Nothing in the
file is executed.

Before calamine builds a sheet, one cheap pass over the sheet's XML (already
measured by :mod:`.safety`) finds what calamine does not say: the last row and
column the sheet reaches (checked against the limits, since calamine holds a
sheet as a dense grid), the cells formatted as percentages, and the formulas
without a cached value.
"""

from __future__ import annotations

import re
import zipfile
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import unescape
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from cchc_tools.errors import AppendixError, LimitError
from cchc_tools.i18n import _, tr
from cchc_tools.ingest.readers.base import RawRow, RawTable, check_short_cells, header_columns, is_header, nearest_title
from cchc_tools.ingest.readers.safety import check_container, xml_part
from cchc_tools.limits import (
    MAX_CELL_CHARS,
    MAX_ROWS,
    MAX_SHEET_CELLS,
    MAX_SHEET_CHARS,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    MAX_SHEETS,
)
from cchc_tools.text import clean, clean_value, without_controls

HEADER_SEARCH_ROWS = 40

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_REL_ID = f"{{{_NS['r']}}}id"
# The XML is scanned with patterns that never run past one element, and with bounded repeats, so
# that the scan stays linear on any input, malformed or hostile (an unclosed tag, a run of "<c").
_CELL_START = re.compile(rb"<(?:\w+:)?c\b")
_SI_START = re.compile(rb"<(?:\w+:)?si\b")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]{0,500})>")
_ROW_NUMBER = re.compile(rb"""(?<![\w:])r\s{0,9}=\s{0,9}["']([0-9]{1,7})["']""")
_ROW_OPEN = re.compile(rb"<(?:\w+:)?row\b")
_STYLE = re.compile(rb"""(?<![\w:])s\s{0,9}=\s{0,9}["']([0-9]{1,9})["']""")
_SHARED_TYPE = re.compile(rb"""(?<![\w:])t\s{0,9}=\s{0,9}["']s["']""")
_REF = re.compile(rb"""(?<![\w:])r\s{0,9}=\s{0,9}["']([A-Z]{1,3})([0-9]{1,7})["']""")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]{0,500}>([^<]*)")
_CACHED = re.compile(rb"<(?:\w+:)?v\b[^>]{0,200}>[^<]")
_SHARED_INDEX = re.compile(rb"<(?:\w+:)?v\b[^>]{0,200}>\s{0,9}([0-9]{1,9})\s{0,9}<")
_T = re.compile(rb"<(?:\w+:)?t\b[^>]{0,200}>([^<]*)")
_PERCENT_BUILTIN = {9, 10}


def _elements(xml: bytes, spans: list[tuple[int, int]]) -> Iterator[tuple[bytes, bytes]]:
    """(attributes, content) of the elements whose start tags are at ``spans``, in one linear pass: an
    element is taken to run to the next one's start (or the end), so no pattern looks further."""
    for k, (_start, after) in enumerate(spans):
        chunk = xml[after:spans[k + 1][0] if k + 1 < len(spans) else len(xml)]
        gt = chunk.find(b">")
        if gt < 0:
            yield chunk[:500], b""
            continue
        attrs = chunk[:gt]
        yield attrs, (b"" if attrs.endswith(b"/") else chunk[gt + 1:])


def _spans(xml: bytes, start: re.Pattern) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in start.finditer(xml)]


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


@dataclass
class SheetScan:
    """What one pass over a sheet's XML tells: its reach, percent cells, uncomputed formulas."""

    rows: int = 0
    columns: int = 0
    percent: set[tuple[int, int]] = field(default_factory=set)  # (row, column), 1-based
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class Workbook:
    sheets: list[tuple[str, str]]  # (title, path of its XML part), workbook order
    percent_styles: set[int]
    shared_lengths: list[int]


def _part(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return str(PurePosixPath("xl") / target)


def _parse(path: str | Path, name: str, xml: bytes) -> ET.Element:
    """An XML part parsed, or an AppendixError naming the part and its line in the kit's own words."""
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise AppendixError(path, tr("the part {part} is not well-formed XML", part=xml_part(name, line)),
                            expected=_("a .xlsx file saved by Excel or LibreOffice")) from None


def _workbook(path: str | Path, zf: zipfile.ZipFile) -> Workbook:
    wb = _parse(path, "xl/workbook.xml", zf.read("xl/workbook.xml"))
    try:
        rels = _parse(path, "xl/_rels/workbook.xml.rels", zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        rels = ET.fromstring(b"<Relationships/>")
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    types = {r.get("Type", "").rsplit("/", 1)[-1]: r.get("Target", "") for r in rels}
    sheets = [(sh.get("name", ""), _part(targets.get(sh.get(_REL_ID), "")))
              for sh in wb.iterfind("m:sheets/m:sheet", _NS)]
    if len(sheets) > MAX_SHEETS:
        raise LimitError(path, _("a workbook of {n} sheets").format(n=len(sheets)), "MAX_SHEETS", MAX_SHEETS)
    names = set(zf.namelist())
    styles_part = _part(types.get("styles", "styles.xml"))
    shared_part = _part(types.get("sharedStrings", "sharedStrings.xml"))
    percent = _percent_styles(_parse(path, styles_part, zf.read(styles_part))) if styles_part in names else set()
    shared = _shared_lengths(path, zf.read(shared_part)) if shared_part in names else []
    return Workbook(sheets, percent, shared)


def _percent_styles(root: ET.Element) -> set[int]:
    """Indexes of the cell formats (``s`` of a cell) that show a percentage, from the parsed styles part."""
    percent_fmts = set(_PERCENT_BUILTIN)
    for nf in root.iterfind("m:numFmts/m:numFmt", _NS):
        code = re.sub(r'"[^"]*"|\\.', "", nf.get("formatCode", ""))
        if "%" in code:
            percent_fmts.add(int(nf.get("numFmtId", "-1")))
    return {i for i, xf in enumerate(root.iterfind("m:cellXfs/m:xf", _NS))
            if int(xf.get("numFmtId", "0")) in percent_fmts}


def _shared_lengths(path: str | Path, xml: bytes) -> list[int]:
    """Characters of each shared string (an upper bound from its bytes when it is short)."""
    if xml.count(b"<si") + xml.count(b":si") > 2 * MAX_SHEET_CELLS:  # more texts than cells may hold
        raise LimitError(path, tr("more than {n} shared strings", n=MAX_SHEET_CELLS), "MAX_SHEET_CELLS",
                         MAX_SHEET_CELLS)
    out = []
    for _attrs, body in _elements(xml, _spans(xml, _SI_START)):
        n = len(body)
        if n > MAX_CELL_CHARS:  # long in bytes: count its characters
            n = sum(len(unescape(t.decode("utf-8", "replace"))) for t in _T.findall(body))
            if n > MAX_CELL_CHARS:
                raise LimitError(path, tr("a text of {n} characters in the shared strings", n=n),
                                 "MAX_CELL_CHARS", MAX_CELL_CHARS)
        out.append(n)
    return out


def _scan(path: str | Path, xml: bytes, book: Workbook, sheet: str) -> SheetScan:
    """What :func:`_scan_reference` finds, by the quick path when the sheet is written the usual way."""
    # Counted first at C speed (an upper bound: a prefixed tag counts twice).
    row_starts, cell_starts = xml.count(b"<row"), xml.count(b"<c")
    if row_starts + xml.count(b":row") > 2 * MAX_SHEET_ROWS:
        raise LimitError(path, tr("sheet {sheet!r} has more than {n} rows", sheet=sheet, n=MAX_SHEET_ROWS),
                         "MAX_SHEET_ROWS", MAX_SHEET_ROWS)
    if cell_starts + xml.count(b":c") > 3 * MAX_SHEET_CELLS:
        raise LimitError(path, tr("sheet {sheet!r} has more than {n} cells", sheet=sheet, n=MAX_SHEET_CELLS),
                         "MAX_SHEET_CELLS", MAX_SHEET_CELLS)
    scan = _scan_quick(xml, book, row_starts, cell_starts)
    return scan if scan is not None else _scan_reference(path, xml, book, sheet)


# The usual way, as Excel, LibreOffice and openpyxl write a sheet: every cell `<c r="B7"`, every row
# `<row r="7"`, no namespace prefix on them. Found by patterns with a literal start, which the regular
# expression engine skips to at C speed.
_QUICK_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_QUICK_ROW = re.compile(rb"""<row r="([0-9]{1,7})"[^<>]{0,500}>""")
_C_WORD = re.compile(rb"<c\w")  # <col, <cols, <cfRule, ...: not cells
_ROW_WORD = re.compile(rb"<row\w")  # <rowBreaks
_PREFIXED = re.compile(rb":(?:c|row)(?!\w)")  # <x:c, <x:row: a namespace prefix (the reference pass reads them)
_FORMULA_MARKS = (re.compile(rb"<f\b"), re.compile(rb":f\b"))  # <f, <x:f (and more: each is then read exactly)


def _scan_quick(xml: bytes, book: Workbook, row_starts: int, cell_starts: int) -> SheetScan | None:
    """The reference pass's result for a sheet written the usual way, or None when it is not (or when a
    limit may be passed: the reference pass then decides, and says why).

    Exact, not a guess: every cell start of the sheet is a `<c r="..."` (counted), so each cell's position is
    the one the reference pass reads; the percent cells and the formulas are found from their own marks
    (a style number, an `<f`) and each is then read by the reference pass's rules for its one cell.
    """
    if _PREFIXED.search(xml):
        return None
    cells = _QUICK_CELL.findall(xml)
    if len(cells) != cell_starts - len(_C_WORD.findall(xml)):
        return None  # a cell without its position, or written otherwise
    rows = _QUICK_ROW.findall(xml)
    if len(rows) != row_starts - len(_ROW_WORD.findall(xml)):
        return None
    shared = book.shared_lengths
    if len(xml) + len(cells) * max(shared, default=0) > MAX_SHEET_CHARS:  # an upper bound of the text
        return None
    scan = SheetScan()
    if cells:
        scan.columns = max(_col_number(letters) for letters in {c for c, _ in cells})
        scan.rows = max(map(int, {r for _, r in cells}))
    scan.rows = max(scan.rows, len(rows), *map(int, set(rows))) if rows else scan.rows
    if scan.rows > MAX_SHEET_ROWS or scan.columns > MAX_SHEET_COLUMNS:
        return None
    percent = book.percent_styles
    has_formula = any(p.search(xml) for p in _FORMULA_MARKS)  # <formula1> of a data validation is not one
    if percent or has_formula:
        _quick_marks(xml, percent, has_formula, scan)
    return scan


def _quick_marks(xml: bytes, percent: set[int], has_formula: bool, scan: SheetScan) -> None:
    """Percent cells and formulas without a cached value. Each style attribute naming a percent format
    and each `<f` marks the cell it lies in, which is then read by the reference pass's rules for that
    cell (its first style attribute; its body's formula and cached value)."""
    firsts = [m.start() for m in _QUICK_CELL.finditer(xml)]  # every cell start, on this path
    spans = [(s, s + 2) for s in firsts]
    marks: list[int] = []
    if percent:
        ids = b"|".join(str(i).encode() for i in sorted(percent))
        mark = re.compile(rb"""(?<![\w:])s\s{0,9}=\s{0,9}["']0{0,9}(?:""" + ids + rb""")["']""")
        marks += [m.start() for m in mark.finditer(xml)]
    if has_formula:
        marks += [m.start() for p in _FORMULA_MARKS for m in p.finditer(xml)]
    for k in sorted({bisect_right(firsts, pos) - 1 for pos in marks} - {-1}):
        after = spans[k][1]
        chunk = xml[after:spans[k + 1][0] if k + 1 < len(spans) else len(xml)]
        gt = chunk.find(b">")
        attrs = chunk[:500] if gt < 0 else chunk[:gt]
        body = b"" if gt < 0 or attrs.endswith(b"/") else chunk[gt + 1:]
        ref = _REF.search(attrs)
        if ref is None:  # cannot be: every cell has its position on this path
            continue
        at = (int(ref.group(2)), _col_number(ref.group(1)))
        style = _STYLE.search(attrs) if percent else None
        if style and int(style.group(1)) in percent:
            scan.percent.add(at)
        if has_formula and b"f" in body and not _CACHED.search(body):
            f = _FORMULA.search(body)
            if f:
                scan.formulas[at] = "=" + unescape(f.group(1).decode("utf-8", "replace"))


def _scan_reference(path: str | Path, xml: bytes, book: Workbook, sheet: str) -> SheetScan:
    """One pass over a sheet's XML: its reach (refused beyond the limits), percent cells, uncomputed formulas."""
    scan = SheetScan()
    row_tags = _ROW_TAG.findall(xml)
    if len(row_tags) > MAX_SHEET_ROWS:
        raise LimitError(path, tr("sheet {sheet!r} has {n} rows", sheet=sheet, n=len(row_tags)),
                         "MAX_SHEET_ROWS", MAX_SHEET_ROWS)
    cells = _spans(xml, _CELL_START)
    if len(cells) > MAX_SHEET_CELLS:
        raise LimitError(path, tr("sheet {sheet!r} has {n} cells", sheet=sheet, n=len(cells)),
                         "MAX_SHEET_CELLS", MAX_SHEET_CELLS)
    scan.rows = max([len(row_tags), *(int(m.group(1)) for a in row_tags if (m := _ROW_NUMBER.search(a)))])
    text_chars = 0
    row, col = 0, 0
    has_formula = b"<f" in xml or b":f" in xml
    shared, percent = book.shared_lengths, book.percent_styles
    for attr_text, body in _elements(xml, cells):
        ref = _REF.search(attr_text)
        if ref:
            col, row = _col_number(ref.group(1)), int(ref.group(2))
        else:  # position implied: the next column of the current row
            col, row = col + 1, max(row, 1)
        scan.columns = max(scan.columns, col)
        scan.rows = max(scan.rows, row)
        idx = _SHARED_INDEX.search(body) if shared and _SHARED_TYPE.search(attr_text) else None
        if idx and int(idx.group(1)) < len(shared):
            text_chars += shared[int(idx.group(1))]
        else:
            text_chars += len(body)
        style = _STYLE.search(attr_text) if percent else None
        if style and int(style.group(1)) in percent:
            scan.percent.add((row, col))
        if has_formula and b"f" in body and not _CACHED.search(body):
            f = _FORMULA.search(body)
            if f:
                scan.formulas[(row, col)] = "=" + unescape(f.group(1).decode("utf-8", "replace"))
        if b"row" in body and _ROW_OPEN.search(body):  # the next cell opens a new row
            col, row = 0, row + (0 if ref else 1)
    if scan.rows > MAX_SHEET_ROWS:
        raise LimitError(path, tr("sheet {sheet!r} reaches row {n}", sheet=sheet, n=scan.rows),
                         "MAX_SHEET_ROWS", MAX_SHEET_ROWS)
    if scan.columns > MAX_SHEET_COLUMNS:
        raise LimitError(path, tr("sheet {sheet!r} reaches column {n}", sheet=sheet, n=scan.columns),
                         "MAX_SHEET_COLUMNS", MAX_SHEET_COLUMNS)
    if text_chars > MAX_SHEET_CHARS:
        raise LimitError(path, tr("sheet {sheet!r} holds {n} characters of text", sheet=sheet, n=text_chars),
                         "MAX_SHEET_CHARS", MAX_SHEET_CHARS)
    return scan


# A cell's text depends on the cell alone: the labels of files made from one template are cleaned once.
_TEXTS: dict[str, str] = {}
_TEXTS_MAX = 50_000


def _text(v) -> str:
    if v.__class__ is str:
        t = _TEXTS.get(v)
        if t is None:
            if len(_TEXTS) >= _TEXTS_MAX:
                _TEXTS.clear()
            t = _TEXTS[v] = clean(without_controls(v)) if v else ""
        return t
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return clean(without_controls(str(v)))


def _value(v, is_percent: bool) -> str | float | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        x = float(v)
        if is_percent:
            x *= 100
        return round(x, 10)
    if isinstance(v, (datetime, date, time, timedelta)):
        return str(v)
    return clean_value(str(v))


def read_xlsx(path: str | Path) -> RawTable:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    check_container(path, "xlsx")
    try:
        with zipfile.ZipFile(path) as zf:
            book = _workbook(path, zf)
            scans = {}
            for title, part in book.sheets:
                if part in zf.NameToInfo:
                    scans[title] = _scan(path, zf.read(part), book, title)
        wb = CalamineWorkbook.from_path(str(path))
    except (ET.ParseError, KeyError, ValueError, CalamineError) as exc:
        raise AppendixError(path, _("not a readable Excel workbook ({reason})").format(
                                reason=f"{type(exc).__name__}: {exc}"),
                            expected=_("a .xlsx file saved by Excel or LibreOffice")) from None
    try:
        worksheets = [m.name for m in wb.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet and m.name in scans]
        for name in worksheets:
            table = _read_sheet(path, wb, name, scans[name])
            if table is not None:
                return _noting_other_sheets(table, wb, name)
    except CalamineError as exc:
        raise AppendixError(path, _("not a readable Excel workbook ({reason})").format(
                                reason=f"{type(exc).__name__}: {exc}"),
                            expected=_("a .xlsx file saved by Excel or LibreOffice")) from None
    finally:
        wb.close()
    names = ", ".join(repr(s) for s in wb.sheet_names)
    raise AppendixError(path, _("no sheet has an appendix header row (sheets: {names})").format(names=names),
                        expected=_("a header row THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng / Ghi chú "
                                   "in the first {n} rows of a sheet").format(n=HEADER_SEARCH_ROWS))


def _noting_other_sheets(table: RawTable, wb, name: str) -> RawTable:
    """The appendix read from sheet ``name``, with a warning naming the workbook's other sheets, if any."""
    others = [s for s in wb.sheet_names if s != name]
    if others:
        table.warnings.append(f"took sheet {name!r}; other sheets: {', '.join(others)}")
    return table


def read_calamine_book(path: str | Path, percent: dict[str, set[tuple[int, int]]], kind: str) -> RawTable:
    """A workbook calamine reads that is not .xlsx (.xls, .ods), by the same sheet rules as :func:`read_xlsx`.

    ``percent`` gives, per sheet, the cells (row, column; 1-based) formatted as percentages, which the
    format's own reader found (calamine does not say). Each sheet's reach is checked against the limits
    before its grid is built.
    """
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    expected = _("an .{kind} file saved by Excel or LibreOffice").format(kind=kind)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, ValueError, OSError) as exc:
        raise AppendixError(path, _("not a readable Excel workbook ({reason})").format(
                                reason=f"{type(exc).__name__}: {exc}"), expected=expected) from None
    try:
        worksheets = [m.name for m in wb.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        if len(worksheets) > MAX_SHEETS:
            raise LimitError(path, _("a workbook of {n} sheets").format(n=len(worksheets)), "MAX_SHEETS", MAX_SHEETS)
        for name in worksheets:
            sheet = wb.get_sheet_by_name(name)
            rows, columns = sheet.height, sheet.width
            if rows > MAX_SHEET_ROWS:
                raise LimitError(path, tr("sheet {sheet!r} reaches row {n}", sheet=name, n=rows),
                                 "MAX_SHEET_ROWS", MAX_SHEET_ROWS)
            if columns > MAX_SHEET_COLUMNS:
                raise LimitError(path, tr("sheet {sheet!r} reaches column {n}", sheet=name, n=columns),
                                 "MAX_SHEET_COLUMNS", MAX_SHEET_COLUMNS)
            if rows * columns > MAX_SHEET_CELLS * 4:
                raise LimitError(path, tr("sheet {sheet!r} has more than {n} cells", sheet=name, n=MAX_SHEET_CELLS),
                                 "MAX_SHEET_CELLS", MAX_SHEET_CELLS)
            table = _read_sheet(path, wb, name, SheetScan(rows, columns, percent.get(name, set())))
            if table is not None:
                return _noting_other_sheets(table, wb, name)
    except CalamineError as exc:
        raise AppendixError(path, _("not a readable Excel workbook ({reason})").format(
                                reason=f"{type(exc).__name__}: {exc}"), expected=expected) from None
    finally:
        wb.close()
    names = ", ".join(repr(s) for s in wb.sheet_names)
    raise AppendixError(path, _("no sheet has an appendix header row (sheets: {names})").format(names=names),
                        expected=_("a header row THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng / Ghi chú "
                                   "in the first {n} rows of a sheet").format(n=HEADER_SEARCH_ROWS))


def _bounded(path: str | Path, cells: list, line: int) -> None:
    for v in cells:
        if v.__class__ is str and len(v) > MAX_CELL_CHARS:
            raise LimitError(path, tr("a cell of {n} characters", n=len(v)), "MAX_CELL_CHARS",
                             MAX_CELL_CHARS, line=line)


def _read_sheet(path: str | Path, wb, name: str, scan: SheetScan) -> RawTable | None:
    grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    title: list[str] = []
    cols = None
    header_line = 0
    for r_idx, row in enumerate(grid[:HEADER_SEARCH_ROWS], start=1):
        _bounded(path, row, r_idx)
        texts = [_text(v) for v in row]
        if is_header(texts):
            cols = header_columns(texts)
            header_line = r_idx
            break
        title.extend(t for t in texts if t)
    if cols is None:
        return None
    table = RawTable(path=str(path), format="xlsx", sheet=name, header_line=header_line, title=nearest_title(title))
    vi = cols.get("value", -1)
    si, li, ui, ni, ci = (cols.get(k, -1) for k in ("stt", "label", "uom", "note", "code"))
    wide = max(si, li, ui, ni, ci, vi) + 1  # a row at least this long has every mapped cell
    percent, formulas = scan.percent, scan.formulas
    rows, spath = table.rows, table.path
    for r_idx in range(header_line + 1, len(grid) + 1):
        row = grid[r_idx - 1]
        n = len(row)
        if not n:
            continue
        for v in row:
            if v.__class__ is str and len(v) > MAX_CELL_CHARS:
                _bounded(path, row, r_idx)
        if n < wide:
            row = row + [None] * (wide - n)
        # Only the mapped columns are converted: the value cell as a value, the others as text.
        label = _text(row[li]) if li >= 0 else ""
        value = _value(row[vi], (r_idx, vi + 1) in percent) if vi >= 0 else None
        if value is None and vi >= 0 and formulas and (r_idx, vi + 1) in formulas:
            value = formulas[(r_idx, vi + 1)]  # a formula nobody computed: kept as text, reported
        if not label and value in (None, ""):
            continue
        if "chỉ tiêu" in label.lower() and is_header([_text(c) for c in grid[r_idx - 1]]):
            continue  # a header repeated further down the sheet
        if len(rows) >= MAX_ROWS:
            raise LimitError(path, tr("a table of more than {n} rows", n=MAX_ROWS), "MAX_ROWS", MAX_ROWS,
                             line=r_idx)
        rows.append(check_short_cells(spath, RawRow(
            line=r_idx, stt=_text(row[si]) if si >= 0 else "", label=label,
            uom=_text(row[ui]) if ui >= 0 else "", value=value,
            note=_text(row[ni]) if ni >= 0 else "", code=_text(row[ci]) if ci >= 0 else "")))
    return table
