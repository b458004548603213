"""Excel (.xlsx) workbooks for people: numbers as numbers, shown the Vietnamese way, every value traced.

Number formats. An .xlsx file stores number-format codes in one invariant syntax, where ``,``
groups thousands and ``.`` marks decimals (ECMA-376 §18.8.31); Excel and LibreOffice then show
them with the separators of the reader's locale. So the kit writes ``#,##0`` and ``0.00%``: an
Excel set to Vietnamese shows ``24.407`` and ``99,87%`` and lists the codes as ``#.##0`` and
``0,00%`` in its Format Cells dialog. Writing ``#.##0`` into the file would mean "decimal point,
then digits", and a literal-separator code (``#\\.##0``) breaks for numbers under 1.000 or over
999.999, and stops the numbers from summing in the reader's locale. A reader whose Excel is set to
English sees ``24,407`` and ``99.87%``: the same numbers, in the notation they read every day.

Percentages are stored as fractions (``0.9987``) with a percent format, so formulas work on them.
Text that starts with ``=`` is stored as text, never as a formula.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cchc_tools.atomic import write_with
from cchc_tools.content.document import Document, Table
from cchc_tools.text import visible

FORMATS = {"integer": "0", "count": "#,##0", "decimal": "#,##0.00", "percent": "0.00%", "text": "@"}
DOUBT_FILL = "FFF2CC"
HEADER_FILL = "DDE4EE"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass
class XCell:
    """One cell: a text or a number; ``fmt`` is text, integer (a year: no grouping), count, decimal or percent
    (``value`` in percent points).

    ``doubt`` (finding references such as ``"L1"``) highlights the cell and adds a comment.
    """

    value: str | float | int | None
    fmt: str = "text"
    doubt: str = ""


@dataclass
class Sheet:
    """A sheet: a header row and rows of cells; ``findings`` maps a finding reference to its message."""

    name: str
    headers: list[str]
    rows: list[list[XCell]]
    findings: dict[str, str] = field(default_factory=dict)  # finding reference -> its message, for comments


def _number(v) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def table_sheet(table: Table, name: str, source: str = "", findings: dict[str, str] | None = None) -> Sheet:
    """A document Table as a sheet: numeric cells become numbers; ``source`` adds a "Tệp nguồn" column."""
    headers = list(table.headers) + (["Tệp nguồn"] if source else [])
    rows = []
    for r in table.rows:
        cells = [XCell(c.value if c.numeric else c.text, c.fmt if c.numeric else "text", c.doubt) for c in r]
        rows.append(cells + ([XCell(source)] if source else []))
    return Sheet(name, headers, rows, dict(findings or {}))


FormatSpec = str | Callable[[pd.Series], str]


def frame_sheet(df: pd.DataFrame, name: str, columns: dict[str, str] | None = None,
                formats: dict[str, FormatSpec] | None = None, doubt: str | None = None,
                findings: dict[str, str] | None = None, doubt_columns: Iterable[str] | None = None) -> Sheet:
    """A DataFrame as a sheet.

    ``columns`` maps the frame's columns to their Vietnamese headers, in order (default: every
    column, named as in the frame). ``formats`` gives a column's format (text, count, decimal,
    percent; a percent column holds percent points), or a function of the row returning one.
    ``doubt`` names a column of finding references: the numeric cells of those rows are highlighted,
    only those of ``doubt_columns`` when given (the questioned value's own cells, never its year).
    """
    columns = columns or {c: str(c) for c in df.columns}
    marked = set(doubt_columns) if doubt_columns is not None else None
    formats = formats or {}
    rows = []
    for _, r in df.iterrows():
        refs = str(r[doubt]) if doubt and doubt in r and isinstance(r[doubt], str) else ""
        cells = []
        for col in columns:
            spec = formats.get(col, "text")
            fmt = spec(r) if callable(spec) else spec
            v = r[col]
            num = _number(v) if fmt != "text" else None
            if num is None:
                text = "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
                cells.append(XCell(text))
            else:
                cells.append(XCell(num, fmt, refs if marked is None or col in marked else ""))
        rows.append(cells)
    return Sheet(name, list(columns.values()), rows, dict(findings or {}))


# Vietnamese names first; the kit's English ids only in the last columns, for machines and analysts.
INDICATOR_COLUMNS = {"section": "Phần", "name_vi": "Chỉ số", "shown": "Giá trị", "value": "Tính lại từ số liệu",
                     "uom": "Đơn vị tính", "numerator": "Tử số", "denominator": "Mẫu số",
                     "reported": "Đơn vị tự báo cáo", "target_op": "So với mục tiêu", "target": "Mục tiêu",
                     "target_source": "Căn cứ mục tiêu", "status": "Đánh giá", "rank": "Hạng", "peers": "Số đơn vị",
                     "change": "Thay đổi (điểm phần trăm)", "findings": "Phát hiện", "reason_vi": "Ghi chú",
                     "unit_name": "Đơn vị", "year": "Năm", "period": "Kỳ", "source": "Tệp nguồn",
                     "lines": "Dòng trong tệp", "indicator": "Mã chỉ số"}
FINDING_COLUMNS = {"ref": "Mã", "severity": "Mức độ", "title_vi": "Vấn đề", "message_vi": "Nội dung",
                   "values": "Giá trị liên quan", "unit_name": "Đơn vị", "year": "Năm", "period": "Kỳ",
                   "source": "Tệp nguồn", "lines": "Dòng trong tệp", "codes": "Mã chỉ tiêu", "rule": "Mã quy tắc"}


def period_vi(period: str) -> str:
    """A period's Vietnamese name: ``annual`` -> ``Cả năm``, ``Q3`` -> ``Quý III``, ``6-month`` ->
    ``6 tháng đầu năm``."""
    from cchc_tools.content.narrative import period_phrase

    if not isinstance(period, str) or not period:
        return ""
    text = period_phrase(period, None).strip()
    if period == "annual":
        return "Cả năm"
    return text if text.endswith("đầu năm") else text.removesuffix(" năm").strip()


def _readable(df: pd.DataFrame) -> pd.DataFrame:
    """Periods in Vietnamese; the unit's name where only its slug is known."""
    out = df.copy()
    if "period" in out.columns:
        out["period"] = out["period"].map(period_vi)
    if "unit_name" not in out.columns and "unit" in out.columns:
        out["unit_name"] = out["unit"]
    return out


def _is_percent(r: pd.Series) -> str:
    return "percent" if r.get("uom", "%") == "%" else "decimal"


def indicators_sheet(ind: pd.DataFrame, name: str = "Chỉ số", findings: dict[str, str] | None = None,
                     status_vi: dict[str, str] | None = None) -> Sheet:
    """The indicators table (``analysis.indicators``, with the assessment's columns when present).

    Values, reported values and targets of % indicators are percentages, counts are numbers;
    ``status_vi`` translates the status codes; the ``findings`` (or ``doubt``) column's references
    highlight the row's figures, with ``findings`` (reference -> message) in their comments.
    """
    ind = _readable(ind)
    if status_vi and "status" in ind.columns:
        ind = ind.assign(status=ind["status"].map(lambda s: status_vi.get(s, s)))
    if "reason" in ind.columns:  # 0/0 reads as on every other page: nothing arose
        none = ind["reason"].eq("denominator is 0") & ind["value"].isna()
        if "status" in ind.columns:
            ind.loc[none, "status"] = "Không phát sinh"
        if "reason_vi" in ind.columns:
            ind.loc[none, "reason_vi"] = "không phát sinh (mẫu số bằng 0)"
    cols = {c: h for c, h in INDICATOR_COLUMNS.items() if c in ind.columns}
    if "shown" not in ind.columns and "value" in cols:  # a frame with one value: it is the value
        cols["value"] = INDICATOR_COLUMNS["shown"]
    fmts: dict[str, FormatSpec] = {"shown": _is_percent, "value": _is_percent, "reported": _is_percent,
                                   "target": _is_percent,
                                   "numerator": "count", "denominator": "count", "change": "decimal",
                                   "rank": "integer", "peers": "integer", "year": "integer"}
    doubt = next((c for c in ("doubt", "findings") if c in ind.columns), None)
    return frame_sheet(ind, name, cols, fmts, doubt=doubt, findings=findings,
                       doubt_columns=("shown", "value", "reported", "numerator", "denominator"))


def findings_sheet(findings: pd.DataFrame, name: str = "Kiểm tra số liệu") -> Sheet:
    """The findings table (``analysis.checks.validate``), severities in Vietnamese."""
    from cchc_tools.analysis.checks import place_cell
    from cchc_tools.vocabulary import SEVERITY_VI

    df = _readable(findings.assign(severity=findings["severity"].map(lambda s: SEVERITY_VI.get(s, s))))
    if "pages" in df.columns and "lines" in df.columns:  # a value read from a PDF: its page and table row
        paged = df["pages"].fillna("").astype(str) != ""
        if paged.any():
            df = df.assign(lines=df["lines"].astype(object))
            df.loc[paged, "lines"] = [place_cell(str(ln), str(pg)) for ln, pg in
                                      zip(df.loc[paged, "lines"], df.loc[paged, "pages"], strict=True)]
    cols = {c: h for c, h in FINDING_COLUMNS.items() if c in df.columns}
    return frame_sheet(df, name, cols, {"year": "integer"})


def finding_messages(findings: pd.DataFrame) -> dict[str, str]:
    """``{reference: message}`` of a findings table with a ``ref`` column, for the comments of flagged cells."""
    if "ref" not in findings.columns:
        return {}
    return dict(zip(findings["ref"].astype(str), findings["message_vi"].astype(str), strict=True))


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("-", " ".join(name.split())).strip("'")[:31].strip() or "Sheet"
    out, n = base, 2
    while out.lower() in taken:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(out.lower())
    return out


def _shown(c: XCell) -> str:
    """Roughly what the cell shows, for column widths."""
    num = _number(c.value) if c.fmt != "text" else None
    if num is not None:
        return f"{num:,.2f}%" if c.fmt == "percent" else f"{num:,.2f}"
    return "" if c.value is None else str(c.value)


LANDSCAPE_COLUMNS = 7  # a sheet of this many columns or more prints landscape
LANDSCAPE_WIDTH = 110  # ... or whose columns are this many characters wide together (A4 portrait fits ~95)
_HEADER_CODES = re.compile(r"&")


def _header_text(text: str, limit: int = 120) -> str:
    """Text for a printed page header: ``&`` doubled (Excel's header codes start with it), kept short."""
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return _HEADER_CODES.sub("&&", text)


def print_setup(ws, *, header_rows: tuple[int, int] = (1, 1), title: str = "", name: str = "", subtitle: str = "",
                landscape: bool | None = None, columns: int | None = None) -> None:
    """Print a sheet as an official prints it: A4, landscape when ``landscape`` (default: when the sheet is wide),
    fitted to one page's width (as many pages down as needed), the rows ``header_rows`` (first, last) repeated
    at the top of every page, and a page header: ``name`` (the unit or province) at the left, ``title`` in bold
    in the centre (``subtitle``, e.g. the sheet's name, on a line under it), "Trang n/m" at the right;
    NĐ 30/2020 margins (left 30 mm, right 15 mm, top 25 mm under the header, bottom 20 mm).

    The one print setup of every workbook the kit writes (``write_workbook``, the consolidated appendix)."""
    from openpyxl.utils import get_column_letter

    ncols = columns or max(ws.max_column, 1)
    if landscape is None:
        total = sum((ws.column_dimensions[get_column_letter(j)].width or 8.43) for j in range(1, ncols + 1)
                    if not ws.column_dimensions[get_column_letter(j)].hidden)
        landscape = ncols >= LANDSCAPE_COLUMNS or total > LANDSCAPE_WIDTH
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    mm = 1 / 25.4
    ws.page_margins.left, ws.page_margins.right = 30 * mm, 15 * mm
    ws.page_margins.top, ws.page_margins.bottom = 25 * mm, 20 * mm
    ws.page_margins.header, ws.page_margins.footer = 10 * mm, 10 * mm
    first, last = header_rows
    ws.print_title_rows = f"{first}:{last}"  # the header rows on every printed page
    head = ws.oddHeader
    if name:
        head.left.text, head.left.size, head.left.font = _header_text(name, 60), 9, "Times New Roman,Regular"
    if title:
        head.center.text = _header_text(title) + (f"\n{_header_text(subtitle, 60)}" if subtitle else "")
        head.center.size, head.center.font = 10, "Times New Roman,Bold"
    head.right.text, head.right.size, head.right.font = "Trang &P/&N", 9, "Times New Roman,Regular"


def fill_sheet(ws, sheet: Sheet, *, title: str = "", name: str = "") -> None:
    """Fill ``ws`` with ``sheet``: the header row (row 1, bold, shaded, frozen, filtered), the cells (numbers as
    numbers in the Vietnamese formats, text never a formula, questioned figures highlighted with their finding
    in a comment), column widths from the contents, and the print setup (``print_setup``: the header row on
    every page, ``title`` and ``name``, the unit or province, in the page header)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    doubt_fill = PatternFill("solid", fgColor=DOUBT_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append(sheet.headers)
    for cell in ws[1]:
        cell.font, cell.fill = bold, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    widths = [0] * len(sheet.headers)
    for i, row in enumerate(sheet.rows, start=2):
        for j, c in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j)
            num = _number(c.value) if c.fmt != "text" and not isinstance(c.value, str) else None
            if num is not None:  # numpy numbers too; a whole number stays whole
                num = int(num) if num.is_integer() and c.fmt in ("integer", "count") else num
                cell.value = num / 100 if c.fmt == "percent" else num
                cell.number_format = FORMATS.get(c.fmt, "General")
            else:
                cell.value = "" if c.value is None else visible(str(c.value))  # no bidi control shown
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cell.alignment = wrap
            if c.doubt:
                cell.fill = doubt_fill
                notes = [f"{ref}: {sheet.findings[ref]}" if ref in sheet.findings else ref
                         for ref in re.split(r"[,;]\s*", c.doubt) if ref]
                cell.comment = Comment("Số liệu cần xem lại – " + "; ".join(notes), "cchc-kit")
            if j <= len(widths):
                widths[j - 1] = max(widths[j - 1], len(_shown(c)))
    for j, (h, w) in enumerate(zip(sheet.headers, widths, strict=True), start=1):
        # a header wraps between its words (at most three lines), never the body's numbers
        longest_word = max((len(x) for x in str(h).split()), default=0)
        head = max(longest_word, math.ceil(len(str(h)) / 3))
        ws.column_dimensions[get_column_letter(j)].width = min(max(w, head, 6) + 2, 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(sheet.headers), 1))}{max(len(sheet.rows) + 1, 1)}"
    subtitle = sheet.name if title and sheet.name.lower() not in title.lower() else ""
    print_setup(ws, title=title or sheet.name, name=name, subtitle=subtitle, columns=len(sheet.headers))


def write_workbook(sheets: Iterable[Sheet], path: str | Path, title: str = "", name: str = "") -> Path:
    """Write the sheets as one .xlsx workbook, whole or not at all; returns the path. Every sheet prints with
    ``title`` (default: the sheet's name) and ``name`` (the unit or province) in its page header."""
    from openpyxl import Workbook

    sheets = list(sheets)
    if not sheets:
        raise ValueError(f"{path}: a workbook needs at least one sheet")
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for sheet in sheets:
        fill_sheet(wb.create_sheet(_sheet_name(sheet.name, taken)), sheet, title=title, name=name)
    wb.properties.title = title or sheets[0].name
    wb.properties.language = "vi-VN"
    wb.properties.creator = "cchc-kit"
    return write_with(path, lambda p: wb.save(str(p)))


def document_sheets(document: Document) -> list:
    """Every table of a document as a workbook sheet, named by its caption or the heading above it."""
    from cchc_tools.render.word import reading_order

    sheets, heading = [], document.title
    for b in reading_order(document.blocks):
        if b.kind == "heading":
            heading = b.text
        elif isinstance(b, Table) and b.rows:
            sheets.append(table_sheet(b, b.caption or heading))
    return sheets
