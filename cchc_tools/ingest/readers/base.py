"""What every reader produces: the title lines above the table and its raw rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cchc_tools.errors import LimitError
from cchc_tools.i18n import tr
from cchc_tools.limits import MAX_SHORT_CELL_CHARS, MAX_TITLE_CHARS
from cchc_tools.text import ascii_fold, clean


@dataclass(slots=True)
class RawRow:
    """One row of the appendix table as written, before alignment to the catalog.

    ``line`` locates the row in its file: the text line, the Word table row
    or the Excel sheet row (1-based). ``value`` is the cell text, or a
    number when the file stored one (Excel). ``code`` is set only when the
    file itself carries catalog codes (the kit's own Excel template). ``page`` is the page a PDF
    row's value stands on (0 for the other formats).
    """

    line: int
    stt: str
    label: str
    uom: str
    value: str | float | None
    note: str
    code: str = ""
    page: int = 0


def check_short_cells(path: str, row: RawRow) -> RawRow:
    """``row`` if its THỨ TỰ and ĐƠN VỊ TÍNH cells are short, else a LimitError at its line."""
    for text in (row.stt, row.uom):
        if len(text) > MAX_SHORT_CELL_CHARS:
            raise LimitError(path, tr("a THỨ TỰ or ĐƠN VỊ TÍNH cell of {n} characters", n=len(text)),
                             "MAX_SHORT_CELL_CHARS", MAX_SHORT_CELL_CHARS, line=row.line,
                             page=row.page)
    return row


@dataclass(slots=True)
class RawTable:
    path: str
    format: str
    title: list[str] = field(default_factory=list)
    rows: list[RawRow] = field(default_factory=list)
    header_line: int = 0
    sheet: str = ""
    warnings: list[str] = field(default_factory=list)
    #: What the analyst is told about how the file was read, in their language: a legacy encoding
    #: converted, a digital signature present (cchc load prints them; the table keeps them as ``reading``).
    notes: list[str] = field(default_factory=list)
    #: The PDF carries a digital signature (presence only, never validated).
    signed: bool = False


def nearest_title(lines: list[str]) -> list[str]:
    """The title lines nearest the table within :data:`~cchc_tools.limits.MAX_TITLE_CHARS` (a long
    cover text above the table is not metadata, and the title's patterns stay cheap)."""
    kept: list[str] = []
    budget = MAX_TITLE_CHARS
    for line in reversed(lines):
        budget -= len(line) + 1
        if budget < 0:
            break
        kept.append(line)
    return kept[::-1]


def _fold(text: str) -> str:
    return ascii_fold(clean(text)).lower()


def is_header(cells: list[str]) -> bool:
    """True for the table's header row (THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng ...)."""
    folded = [_fold(c) for c in cells if c and c.strip()]
    joined = " | ".join(folded)
    if "ten chi tieu" in joined and ("don vi tinh" in joined or "so luong" in joined):
        return True
    if not joined.isascii():  # maybe a header in TCVN3 or VNI ("T£N CHØ TI£U"): the table is converted once read
        from cchc_tools.ingest.readers.encoding import header_in_legacy

        return header_in_legacy(cells, is_header)
    return False


COLUMN_KEYS = {"stt": ("thu tu", "stt", "tt"), "label": ("ten chi tieu", "chi tieu", "noi dung"),
               "uom": ("don vi tinh", "dvt"), "value": ("so luong", "ty le", "gia tri", "ket qua"),
               "note": ("ghi chu",), "code": ("ma chi tieu",)}


def header_columns(cells: list[str]) -> dict[str, int]:
    """Which column holds what, from the header row's texts (spelling and case do not matter)."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        f = _fold(cell or "")
        if not f:
            continue
        for key in ("code", "label", "uom", "note", "stt", "value"):
            if key not in found and any(f == k or f.startswith(k) for k in COLUMN_KEYS[key]):
                found[key] = i
                break
    return found


def pick(cells: list, cols: dict[str, int], key: str):
    i = cols.get(key)
    return cells[i] if i is not None and i < len(cells) else None


ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")
_STT = re.compile(r"^(?:[IVX]{1,4}|\d{1,3}(?:\.\d{1,3})*|[a-zđ])[.)]?$", re.IGNORECASE)


def looks_like_stt(text: str) -> bool:
    """A THỨ TỰ cell: empty, a Roman numeral, an arabic number or a letter."""
    t = clean(text)
    return t == "" or bool(_STT.match(t))


def roman_section(stt: str) -> str | None:
    t = clean(stt).rstrip(".").upper()
    return t if t in ROMAN else None
