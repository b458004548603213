"""How wide a table must be to print well: column widths and whether it needs a landscape page.

One estimate for the printed page (HTML printed by Chromium) and the Word file, from the texts alone:
a column is at least as wide as its longest word (a number, kept whole) and, where the page allows,
wide enough for its header to wrap to at most ``HEADER_LINES`` lines (never one word a line). A table
needs a landscape page only when those least widths do not fit the portrait page's text width.
"""

from __future__ import annotations

import math
import re

from cchc_tools.content.document import Table

# A4 with the margins of Nghị định 30/2020 (left 30 mm, right 15 mm): the text width in each orientation
PORTRAIT_TEXT_MM = 210 - 30 - 15
LANDSCAPE_TEXT_MM = 297 - 30 - 15
HEADER_LINES = 3
CHAR_EM = 0.5  # an average Times New Roman character (Vietnamese, with its diacritics), in em
PAD_EM = 0.9  # a cell's padding and border, in em
PT_MM = 25.4 / 72
_NUMBERLIKE = re.compile(r"[\d.,%/+\-–—\s]*\d[\d.,%/+\-–—\s]*(\[[^\]]*\])?")


def _longest_word(text: str) -> int:
    return max((len(w) for w in str(text).split()), default=0)


def _body_texts(table: Table) -> list[list[str]]:
    return [[c.text + (f"[{c.doubt}]" if c.doubt else "") for c in r] for r in table.rows]


def header_chars(header: str) -> int:
    """Characters a header's column needs for the header to wrap to at most ``HEADER_LINES`` lines."""
    return max(_longest_word(header), math.ceil(len(str(header)) / HEADER_LINES))


def least_chars(headers: list[str], body: list[list[str]], header_lines: bool = True) -> list[int]:
    """Per column, the characters it cannot do without: its longest word, a number whole, the header
    wrapped to at most ``HEADER_LINES`` lines (only its longest word when ``header_lines`` is false)."""
    out = []
    for i, h in enumerate(headers):
        col = [r[i] for r in body if i < len(r)]
        body_need = max((len(t) if _NUMBERLIKE.fullmatch(t) else _longest_word(t) for t in col), default=0)
        out.append(max(header_chars(h) if header_lines else _longest_word(h), body_need, 2))
    return out


def least_width_mm(table: Table, size_pt: float) -> float:
    """The least width the table prints at in ``size_pt`` (its headers wrapped to at most three lines)."""
    em = size_pt * PT_MM
    return sum((n * CHAR_EM + PAD_EM) * em for n in least_chars(table.headers, _body_texts(table)))


def needs_landscape(table: Table, size_pt: float = 9) -> bool:
    """Whether ``table`` (marked wide by its view) needs a landscape page: it does not fit the portrait text
    width at ``size_pt`` (the print size of wide tables) even with every header on three lines."""
    return bool(table.wide) and least_width_mm(table, size_pt) > PORTRAIT_TEXT_MM


def header_min_em(table: Table, budget_em: float) -> list[float]:
    """Each header's least width in em (so that it wraps to at most three lines), scaled down to fit
    ``budget_em`` together with the body's own least widths; 0 where the header needs no more than its body."""
    body = _body_texts(table)
    plain = least_chars(table.headers, body, header_lines=False)
    wanted = least_chars(table.headers, body)
    room = budget_em - len(wanted) * PAD_EM - sum(p * CHAR_EM for w, p in zip(wanted, plain, strict=True) if w <= p)
    extra = sum(w * CHAR_EM for w, p in zip(wanted, plain, strict=True) if w > p)
    scale = min(1.0, max(room, 0) / extra) if extra else 1.0
    return [round(max(w * scale, p) * CHAR_EM, 1) if w > p else 0.0 for w, p in zip(wanted, plain, strict=True)]
