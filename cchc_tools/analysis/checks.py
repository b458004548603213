"""Consistency checks: one function per rule family, run on the rules of ``data/rules.yaml``.

``validate(table)`` returns one row per :class:`Finding`: where (source, unit, year,
period), which rule (its id, severity and Vietnamese title), a message in Vietnamese and in
English, and the codes, values and source lines of every value involved. It takes any tidy
table (any index, any row order, several reports) and never raises on its contents: bad
data is what it is for. A new family is a function registered with ``@family(name, **params)``
(see :mod:`cchc_tools.analysis.rules`); a new rule is an entry in a rules file.

Each family works on whole columns of every report at once (numpy masks over the rows, or over the per-report
matrices of :func:`~cchc_tools.analysis.indicators.wide`) and returns its findings as columns (:class:`Found`);
a message depends on a few numbers or texts and is written once per distinct combination of them. A family may
also yield :class:`Finding` records one by one. ``tests/checks_reference.py`` keeps the checks as they were,
one finding at a time: the findings are the same, column by column and in the same order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from cchc_tools.analysis.indicators import wide
from cchc_tools.analysis.rules import SEVERITIES, Family, Rule, family, merge_rules, read_rules, registry
from cchc_tools.analysis.specs import Code, Codes, Number, TextGroups, optional
from cchc_tools.catalog import Entry, parse_codelist
from cchc_tools.forms import KIT_FORMS, Forms
from cchc_tools.numbers import fmt_number, fmt_percent, parse_number
from cchc_tools.paths import RULES_YAML
from cchc_tools.text import clean


class Finding(NamedTuple):
    """One finding: one rule that fails on one report (or one row of it)."""

    source: str
    unit: str
    year: object  # int, or <NA> when the title gives none
    period: str
    rule: str
    severity: str
    title_vi: str
    message_vi: str
    message_en: str
    codes: str  # "; "-separated catalog codes involved
    values: str  # "; "-separated values, in the order of codes
    lines: str  # "; "-separated source lines, ascending
    pages: str = ""  # "; "-separated PDF pages of those lines, in their order ("0": not on a page); "" if no PDF


FINDING_COLUMNS = list(Finding._fields)

_PERCENT = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*%")
_RATIO = re.compile(r"(?<![\d/.,])(\d{1,3}(?:\.\d{3})+|\d+)\s*/\s*(\d{1,3}(?:\.\d{3})+|\d+)(?![\d/])")


def _decimals(x: float) -> int:
    for d in range(5):
        if abs(round(x, d) - x) < 1e-9:
            return d
    return 4


def agrees(reported: float, computed: float) -> bool:
    """True when ``reported`` is ``computed`` rounded or truncated to the reported decimals."""
    if not (math.isfinite(reported) and math.isfinite(computed)):
        return False
    d = _decimals(reported)
    scale = 10**d
    if abs(round(computed, d) - reported) < 1e-9:
        return True
    if abs(math.floor(computed * scale + 1e-9) / scale - reported) < 1e-9:
        return True
    return abs(computed - reported) <= 0.5 / scale + 1e-9


def agrees_array(reported: np.ndarray, computed: np.ndarray) -> np.ndarray:
    """:func:`agrees` of each pair, whole arrays at once (False where either is NaN or infinite)."""
    reported, computed = np.asarray(reported, dtype=float), np.asarray(computed, dtype=float)
    finite = np.isfinite(reported) & np.isfinite(computed)
    r = np.where(finite, reported, 0.0)
    c = np.where(finite, computed, 0.0)
    d = np.full(r.shape, 4)
    for k in range(4, -1, -1):  # the fewest decimals that write ``reported`` (as _decimals)
        d = np.where(np.abs(np.round(r, k) - r) < 1e-9, k, d)
    scale = 10.0 ** d
    rounded = np.zeros(r.shape, dtype=bool)
    for k in range(5):
        rounded |= (d == k) & (np.abs(np.round(c, k) - r) < 1e-9)
    truncated = np.abs(np.floor(c * scale + 1e-9) / scale - r) < 1e-9
    near = np.abs(c - r) <= 0.5 / scale + 1e-9
    return finite & (rounded | truncated | near)


def note_percent(note: str) -> float | None:
    m = _PERCENT.search(note or "")
    return parse_number(m.group(1)) if m else None


def note_percent_text(note: str) -> str:
    """The percentage of a note as written (``99,60``), or empty."""
    m = _PERCENT.search(note or "")
    return m.group(1) if m else ""


def note_percent_texts(notes: pd.Series) -> pd.Series:
    """:func:`note_percent_text` of each note of a column ("" where none)."""
    text = pd.Series(notes.to_numpy(dtype=object), index=notes.index, dtype=object).fillna("").astype(object)
    return text.str.extract(_PERCENT, expand=False).fillna("").astype(object)


def note_ratio(note: str) -> tuple[float, float] | None:
    m = _RATIO.search(note or "")
    if not m:
        return None
    a, b = parse_number(m.group(1)), parse_number(m.group(2))
    return (a, b) if a is not None and b is not None else None


def line_list(lines: Iterable) -> str:
    """Source lines as text, ascending and once each: ``[184, 182, nan, 183]`` -> ``"182; 183; 184"``."""
    return "; ".join(str(int(x)) for x in sorted({float(x) for x in lines if not math.isnan(float(x))}))


#: How a reader is told where a finding's values stand (the one place this wording is built): a line of a
#: text, Word or Excel file, or the page of a PDF and the row of its appendix table (the row as printed,
#: the header being row 1). ``{lines}``: ", "-joined rows of one page, or "; "-joined lines.
PLACE_VI = {"lines": "dòng {lines}", "page": "trang {page}, dòng {lines} của bảng"}


def page_list(source: str, lines: str, pages_by_line: dict[tuple[str, int], int]) -> str:
    """The pages of ``lines`` (a :func:`line_list`) of ``source``, in their order: ``"3; 3; 4"``; "" when
    none of them is on a PDF page (``pages_by_line`` holds only rows read from a PDF)."""
    if not lines or not pages_by_line:
        return ""
    pages = [pages_by_line.get((source, int(x)), 0) for x in lines.split("; ")]
    return "; ".join(map(str, pages)) if any(pages) else ""


def place_vi(lines: str, pages: str = "") -> str:
    """Where a finding's values stand, in Vietnamese: ``"dòng 40; 41"``, or for values read from a PDF
    ``"trang 3, dòng 12, 14 của bảng; trang 4, dòng 20 của bảng"``; "" when it names no line."""
    pages = pages if isinstance(pages, str) else ""  # a table read back may hold NaN for "no page"
    if not isinstance(lines, str) or not lines:
        return ""
    if not pages:
        return PLACE_VI["lines"].format(lines=lines)
    parts: list[tuple[int, list[str]]] = []
    for line, page in zip(lines.split("; "), pages.split("; "), strict=False):
        p = int(page) if page.isdigit() else 0
        if parts and parts[-1][0] == p:
            parts[-1][1].append(line)
        else:
            parts.append((p, [line]))
    return "; ".join(PLACE_VI["page"].format(page=p, lines=", ".join(ls)) if p
                     else PLACE_VI["lines"].format(lines="; ".join(ls)) for p, ls in parts)


def place_cell(lines: str, pages: str = "") -> str:
    """The place of a finding in a table column headed "Dòng": its lines as they are for a text, Word or
    Excel file, the page and table row (:func:`place_vi`) for a PDF."""
    return place_vi(lines, pages) if isinstance(pages, str) and pages else lines


KINDS = ("count", "percent", "flag", "category", "text", "group", "")  # a catalog entry's kind ("": no code)


class Context:
    """What every family needs: the prepared tidy rows, the per-report matrices, the catalog.

    Reports are numbered 0..n-1 (``keys`` row ``r``) in the order of their (source, unit, year, period); families
    name a report by that number. The rows of ``df`` follow one another report by report, by line. ``forms``: the
    forms the table was read against and the catalog as they extend it (a project's; default: the kit's).
    """

    def __init__(self, df: pd.DataFrame, province: str = "", forms: Forms | None = None) -> None:
        self.province = province  # the project's: close official names of an unresolved unit are sought there
        self.forms = forms or KIT_FORMS
        self.catalog = self.forms.by_code()
        self.entries = self.forms.entries()
        w = wide(df, self.entries)
        known = w.code_idx >= 0  # the catalog's codes are its entries' codes
        self._arrays: dict[str, np.ndarray] = {}
        self._blanked = False
        if not known.all():
            codes = w.array("code", object)
            if (codes[~known] != "").any():  # codes of another catalog version: unmatched here
                self._arrays["code"] = np.where(known, codes, "").astype(object)
                self._blanked = True
        self.w = w
        self.keys, self.report, self.col, self.V, self.L = w.keys, w.report, w.col, w.V, w.L
        self.duplicates = w.duplicates
        self._keys = w.keys[["source", "unit", "year", "period"]].to_numpy(dtype=object)
        self._index = {tuple(k): r for r, k in enumerate(self._keys)}
        self.code_idx = w.code_idx
        of_entry = np.array([KINDS.index(e.kind) for e in self.entries] + [len(KINDS) - 1], dtype=np.int8)
        self.kind_code = of_entry[w.code_idx]  # each row's KINDS index
        self.coded = known
        self.has_raw, self.has_uom, self.has_note = (self.text(c) != "" for c in ("raw_value", "uom", "note"))
        self.value = w.array("value", float)
        self.line = w.array("line", float)
        self.pages_by_line: dict[tuple[str, int], int] = {}  # (source, line) -> PDF page, rows read from a PDF
        if "page" in w.prepared.columns:
            page = pd.to_numeric(w.prepared["page"], errors="coerce").fillna(0).to_numpy()
            paged = np.flatnonzero((page if w.order is None else page[w.order]) > 0)
            if len(paged):
                pages = w.array("page")[paged]
                self.pages_by_line = {(s, int(ln)): int(p) for s, ln, p in
                                      zip(self.text("source")[paged], self.line[paged], pages, strict=True)}
        self._levels: tuple[np.ndarray, list] | None = None
        self._forms: tuple[np.ndarray, list[frozenset[str] | None]] | None = None

    @cached_property
    def df(self) -> pd.DataFrame:
        """The prepared tidy rows (``wide``'s table), report by report and by line; codes not in the catalog
        blanked."""
        table = self.w.table
        return table.assign(code=self._arrays["code"]) if self._blanked else table

    # --- columns and masks over every row

    def text(self, column: str) -> np.ndarray:
        """A text column of the rows as an array ("" where a cell is empty)."""
        if column not in self._arrays:
            self._arrays[column] = self.w.array(column, object)
        return self._arrays[column]

    def is_kind(self, *kinds: str) -> np.ndarray:
        """Per row, whether its catalog entry is of one of ``kinds``."""
        table = np.zeros(len(KINDS), dtype=bool)
        table[[KINDS.index(k) for k in kinds]] = True
        return table[self.kind_code]

    @property
    def kind(self) -> pd.Series:
        """Each row's kind of catalog entry ("" without a code), as a categorical column."""
        return pd.Series(pd.Categorical.from_codes(self.kind_code, list(KINDS)))

    # --- per report

    def key(self, r: int) -> tuple:
        return tuple(self._keys[r])

    def label(self, code: str) -> str:
        return self.catalog[code].label_vi

    def cols(self, codes: Iterable[str]) -> list[int]:
        return [self.col[c] for c in codes]

    def col_of(self, code: str) -> np.ndarray:
        return self.V[:, self.col[code]]

    def sum(self, codes: list[str]) -> np.ndarray:
        """Per report, the sum of the codes; NaN where any of them is blank."""
        return self.V[:, self.cols(codes)].sum(axis=1)

    def value_of(self, r: int, code: str) -> float:
        return float(self.V[r, self.col[code]])

    def lines_of(self, r: int, codes: list[str]) -> str:
        return line_list(self.L[r, self.col[c]] for c in codes)

    def values_of(self, r: int, codes: list[str]) -> str:
        return "; ".join(fmt_number(self.value_of(r, c)) for c in codes)

    def anchor(self, f: Finding) -> float:
        """The line a finding is about: that of its first code with a line in the report (for a rule
        comparing figures, the figure it checks), else its first line; NaN when it names none."""
        lines = f.lines.split("; ") if f.lines else []
        r = self._index.get((f.source, f.unit, f.year, f.period))
        if len(lines) > 1 and r is not None:
            for code in f.codes.split("; "):
                j = self.col.get(code)
                if j is not None and not np.isnan(self.L[r, j]):
                    return float(self.L[r, j])
        return float(lines[0]) if lines else math.nan

    def levels(self) -> np.ndarray:
        return self.keys["level"].to_numpy(dtype=object)

    def applies(self, entry: Entry) -> np.ndarray:
        """Per report, whether a report of its level has the entry's row (decided once per level)."""
        if self._levels is None:
            codes, names = pd.factorize(self.levels(), use_na_sentinel=False)
            self._levels = (codes, list(names))
        codes, names = self._levels
        return np.array([entry.applies_to(lv) for lv in names], dtype=bool)[codes]

    def in_form(self, code: str) -> np.ndarray:
        """Per report, whether the form it was read against asks for ``code`` (every code, for an unknown form)."""
        if self._forms is None:
            codes, names = pd.factorize(np.array(self.w.column("form", ""), dtype=object), use_na_sentinel=False)
            self._forms = (codes, [self.forms.codes(name) for name in names])
        codes, asked = self._forms
        return np.array([f is None or code in f for f in asked], dtype=bool)[codes]


# --- findings as columns -------------------------------------------------------------------------------------

def _strings(x, n: int) -> np.ndarray:
    """A column of ``n`` texts: ``x`` itself (an array or list of them), or one text repeated."""
    if isinstance(x, str):
        return np.full(n, x, dtype=object)
    out = np.empty(n, dtype=object)
    out[:] = x
    return out


class Found:
    """The findings of one rule, as columns: ``report`` (each finding's report number), the messages, codes,
    values and lines (arrays of texts, or one text for all), and ``anchor``, the line each finding is about
    (:meth:`Context.anchor`; NaN when it names none). Iterating gives :class:`Finding` records."""

    def __init__(self, ctx: Context, rule: Rule, report, message_vi, message_en, codes, values, lines,
                 anchor) -> None:
        self.ctx, self.rule = ctx, rule
        self.report = np.asarray(report, dtype=np.int64)
        n = len(self.report)
        self.message_vi, self.message_en = _strings(message_vi, n), _strings(message_en, n)
        self.codes, self.values, self.lines = _strings(codes, n), _strings(values, n), _strings(lines, n)
        self.anchor = np.broadcast_to(np.asarray(anchor, dtype=float), (n,))

    def __len__(self) -> int:
        return len(self.report)

    def __iter__(self) -> Iterator[Finding]:
        rule, keys = self.rule, self.ctx._keys
        for i, r in enumerate(self.report):
            yield Finding(*keys[r], rule.id, rule.severity, rule.title_vi, self.message_vi[i], self.message_en[i],
                          self.codes[i], self.values[i], self.lines[i])

    @classmethod
    def concat(cls, ctx: Context, rule: Rule, parts: list[Found]) -> Found:
        """The findings of ``parts`` one after the other."""
        def joined(name: str) -> np.ndarray:
            arrays = [getattr(p, name) for p in parts]
            return np.concatenate(arrays) if arrays else np.zeros(0, dtype=float if name == "anchor" else object)

        return cls(ctx, rule, joined("report") if parts else np.zeros(0, dtype=np.int64), joined("message_vi"),
                   joined("message_en"), joined("codes"), joined("values"), joined("lines"), joined("anchor"))

    @classmethod
    def of_records(cls, ctx: Context, rule: Rule, found: Iterable[Finding]) -> Found:
        """A family's findings given as :class:`Finding` records (their report found by its keys)."""
        found = list(found)
        report = [ctx._index[(f.source, f.unit, f.year, f.period)] for f in found]
        return cls(ctx, rule, report, [f.message_vi for f in found], [f.message_en for f in found],
                   [f.codes for f in found], [f.values for f in found], [f.lines for f in found],
                   [ctx.anchor(f) for f in found])


def _distinct(*columns) -> tuple[np.ndarray, np.ndarray]:
    """For rows made of ``columns`` (numeric arrays of one length, or matrices with that many rows): the first
    position of each distinct row, and each position's distinct row. Rows are compared bit for bit (two NaNs
    of the same bits are alike, ``-0.0`` is not ``0.0``), so what depends only on them is computed once."""
    n = len(columns[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    m = np.ascontiguousarray(np.column_stack([np.asarray(c, dtype=float).reshape(n, -1) for c in columns]))
    if n > _SORT_BELOW:  # many rows, few columns: hash each column's bits, then the pairs of codes
        codes = np.zeros(n, dtype=np.int64)
        for bits in m.view(np.int64).T:
            column, uniques = pd.factorize(bits)
            codes, _ = pd.factorize(codes * len(uniques) + column)
        _, first = np.unique(codes, return_index=True)  # codes are 0..k-1, numbered as they first appear
        return first, codes
    rows = m.view(np.dtype((np.void, m.dtype.itemsize * m.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return first, inverse.ravel()


_SORT_BELOW = 4096  # rows up to which _distinct sorts whole rows (few findings, maybe many columns)


def _each(keys: list, make: Callable[[int], tuple], width: int) -> list[np.ndarray]:
    """``make(i)`` (a tuple of ``width`` texts or flags) for the first position ``i`` of each distinct row of
    ``keys`` (see :func:`_distinct`), spread to every position: one column per item of the tuple."""
    first, inverse = _distinct(*keys)
    made = [make(int(i)) for i in first]
    out = []
    for k in range(width):
        column = np.empty(len(made), dtype=object)
        column[:] = [m[k] for m in made]
        out.append(column[inverse])
    return out


def _memo(fn: Callable[..., object], *columns) -> list:
    """``fn(*items)`` for each position of ``columns``, computed once per distinct tuple of items."""
    cache: dict = {}
    out = []
    for key in zip(*columns, strict=True):
        if key not in cache:
            cache[key] = fn(*key)
        out.append(cache[key])
    return out


def _line_texts(lines: np.ndarray) -> np.ndarray:
    """The lines of rows as :func:`line_list` writes one: ``"12"``, "" for none."""
    return _each([lines], lambda i: (line_list([lines[i]]),), 1)[0]


def _first_line(block: np.ndarray) -> np.ndarray:
    """Per row of a matrix of lines, its first line (NaN when it has none)."""
    if block.shape[1] == 0:
        return np.full(len(block), math.nan)
    has = ~np.isnan(block)
    return np.where(has.any(axis=1), block[np.arange(len(block)), has.argmax(axis=1)], math.nan)


def _report_found(ctx: Context, rule: Rule, r: np.ndarray, codes: list[str], vi, en, *,
                  named: np.ndarray | None = None, values: str | None = None, lines: str | None = None) -> Found:
    """Findings on reports ``r`` about ``codes``: by default their values and lines as the reports give them
    (formatted once per distinct row); ``named`` (one flag a code and finding) keeps only some codes per finding."""
    if not len(r):
        return _none(ctx, rule)
    cols = ctx.cols(codes)
    vb, lb = ctx.V[np.ix_(r, cols)], ctx.L[np.ix_(r, cols)]
    if named is None:
        code_text: str | np.ndarray = "; ".join(codes)
    else:
        lb = np.where(named, lb, math.nan)
        code_text = _each([named], lambda i: ("; ".join(c for c, k in zip(codes, named[i], strict=True) if k),),
                          1)[0]
    keep = np.ones(vb.shape, dtype=bool) if named is None else named
    if values is None:
        values = _each([vb, keep], lambda i: ("; ".join(fmt_number(v) for v, k in zip(vb[i], keep[i], strict=True)
                                                        if k),), 1)[0]
    if lines is None:
        lines, anchor = _each([lb], lambda i: (line_list(lb[i]),), 1)[0], _first_line(lb)
    else:
        anchor = math.nan if not lines else float(lines.split("; ")[0])
    return Found(ctx, rule, r, vi, en, code_text, values, lines, anchor)


def _row_found(ctx: Context, rule: Rule, rows: np.ndarray, vi, en) -> Found:
    """Findings on single rows (positions in ``ctx.df``): the row's code, value as written and line."""
    line = ctx.line[rows]
    return Found(ctx, rule, ctx.report[rows], vi, en, ctx.text("code")[rows], ctx.text("raw_value")[rows],
                 _line_texts(line), line)


def _none(ctx: Context, rule: Rule) -> Found:
    return Found(ctx, rule, np.zeros(0, dtype=np.int64), "", "", "", "", "", math.nan)


def _name(ctx: Context, codes: list[str]) -> str:
    return " + ".join(f"«{ctx.label(c)}»" for c in codes)


def _plus(values: Iterable[float]) -> str:
    return " + ".join(fmt_number(v) for v in values)


# --- families with parameters ----------------------------------------------------------------

COUNTS, COUNT = Codes("count"), Code("count")


@family("part_le_whole", part=COUNTS, whole=COUNTS)
def _part_le_whole(rule: Rule, ctx: Context, part: list[str], whole: list[str]) -> Found:
    """sum(part) must not exceed sum(whole); a blank input skips the report."""
    p, w = ctx.sum(part), ctx.sum(whole)
    with np.errstate(invalid="ignore"):
        r = np.flatnonzero(p > w)
    if not len(r):
        return _none(ctx, rule)
    block, pr, wr = ctx.V[np.ix_(r, ctx.cols(part + whole))], p[r], w[r]
    part_vi, whole_vi = _name(ctx, part), _name(ctx, whole)
    part_en, whole_en = " + ".join(part), " + ".join(whole)

    def text(i: int) -> tuple[str, str]:
        pv, wv = fmt_number(pr[i]), fmt_number(wr[i])
        ps = f"{_plus(block[i, :len(part)])} = {pv}" if len(part) > 1 else pv
        ws = f"{_plus(block[i, len(part):])} = {wv}" if len(whole) > 1 else wv
        return (f"{part_vi} ({ps}) lớn hơn {whole_vi} ({ws}).",
                f"{part_en} ({pr[i]:g}) exceeds {whole_en} ({wr[i]:g}).")

    vi, en = _each([block, pr, wr], text, 2)
    return _report_found(ctx, rule, r, part + whole, vi, en)


@family("sum_equals", total=COUNT, parts=COUNTS)
def _sum_equals(rule: Rule, ctx: Context, total: str, parts: list[str]) -> Found:
    """The parts add up to the total; with blank parts, the reported ones must not exceed it."""
    t = ctx.col_of(total)
    block = ctx.V[:, ctx.cols(parts)]
    reported = ~np.isnan(block)
    s = np.where(reported.any(axis=1), np.nansum(block, axis=1), np.nan)
    complete = reported.all(axis=1)
    with np.errstate(invalid="ignore"):
        fire = ~np.isnan(t) & ~np.isnan(s) & ((complete & (np.abs(s - t) > 1e-9)) | (~complete & (s > t + 1e-9)))
    r = np.flatnonzero(fire)
    if not len(r):
        return _none(ctx, rule)
    block, given, tr, sr, whole = block[r], reported[r], t[r], s[r], complete[r]
    label = ctx.label(total)

    def text(i: int) -> tuple[str, str]:
        tv, sv, plus = fmt_number(tr[i]), fmt_number(sr[i]), _plus(block[i][given[i]])
        if whole[i]:
            return (f"Tổng số «{label}» là {tv}, nhưng cộng các dòng thành phần ({plus}) được {sv}.",
                    f"{total} is {tr[i]:g} but its parts add up to {sr[i]:g}.")
        return (f"Các dòng thành phần đã báo cáo ({plus} = {sv}) đã vượt tổng số «{label}» ({tv}).",
                f"The reported parts of {total} add up to {sr[i]:g}, more than its {tr[i]:g}.")

    vi, en = _each([block, tr, sr], text, 2)
    named = np.column_stack([np.ones(len(r), dtype=bool), given])
    return _report_found(ctx, rule, r, [total] + parts, vi, en, named=named)


def _rate_found(ctx: Context, rule: Rule, r: np.ndarray, reported: list, computed: np.ndarray,
                num: list[str], den: list[str], where_vi: str, where_en: str, codes: list[str]) -> Found:
    """Findings of a percent (``reported``, as the reference computed it: numpy or Python floats) that
    disagrees with num/den*100 (``computed``)."""
    n, d = ctx.sum(num)[r], ctx.sum(den)[r]

    def text(i: int) -> tuple[str, str]:
        rep, com = reported[i], computed[i]
        return (f"{where_vi} ghi {fmt_percent(rep, _decimals(rep))}, nhưng "
                f"{fmt_number(n[i])}/{fmt_number(d[i])} = {fmt_percent(com)}.",
                f"{where_en} says {rep:g}% but {n[i]:g}/{d[i]:g} = {com:.2f}%.")

    vi, en = _each([np.asarray(reported, dtype=float), computed, n, d], text, 2)
    return _report_found(ctx, rule, r, codes, vi, en)


def _disagree(reported: list, computed: np.ndarray) -> np.ndarray:
    """Per pair, ``not agrees(reported, computed)``, decided once per distinct pair."""
    return _each([np.asarray(reported, dtype=float), computed],
                 lambda i: (not agrees(reported[i], computed[i]),), 1)[0].astype(bool)


@family("rate_matches", rate=Code("percent"), num=COUNTS, den=COUNTS)
def _rate_matches(rule: Rule, ctx: Context, rate: str, num: list[str], den: list[str]) -> Found:
    """A reported percent equals num/den*100 within rounding or truncation."""
    rv, n, d = ctx.col_of(rate), ctx.sum(num), ctx.sum(den)
    with np.errstate(invalid="ignore"):
        r = np.flatnonzero(~np.isnan(rv) & ~np.isnan(n) & (d > 0))
    computed = n[r] / d[r] * 100
    reported = list(rv[r])  # numpy floats, as the per-report check had them
    bad = _disagree(reported, computed)
    r, computed = r[bad], computed[bad]
    return _rate_found(ctx, rule, r, [x for x, b in zip(reported, bad, strict=True) if b], computed, num, den,
                       f"Dòng «{ctx.label(rate)}»", rate, [rate] + num + den)


@family("note_rate", code=COUNT, num=COUNTS, den=COUNTS)
def _note_rate(rule: Rule, ctx: Context, code: str, num: list[str], den: list[str]) -> Found:
    """A percent written in the note of ``code`` equals num/den*100 within rounding."""
    n, d = ctx.sum(num), ctx.sum(den)
    rows = np.flatnonzero(ctx.has_note & (ctx.code_idx == ctx.col[code]))
    of = ctx.report[rows]
    rows = rows[np.r_[True, of[1:] != of[:-1]]] if len(rows) else rows  # the first row of the code only
    r = ctx.report[rows]
    reported = _memo(note_percent, ctx.text("note")[rows])
    with np.errstate(invalid="ignore"):
        ok = np.array([x is not None for x in reported], dtype=bool) & ~np.isnan(n[r]) & (d[r] > 0)
    r, reported = r[ok], [x for x, k in zip(reported, ok, strict=True) if k]
    computed = n[r] / d[r] * 100
    bad = _disagree(reported, computed)
    return _rate_found(ctx, rule, r[bad], [x for x, b in zip(reported, bad, strict=True) if b], computed[bad],
                       num, den, f"Ghi chú của dòng «{ctx.label(code)}»", f"The note of {code}",
                       list(dict.fromkeys(num + den)))


# --- generic families: over every row --------------------------------------------------------

def _labels(ctx: Context, rows: np.ndarray) -> np.ndarray:
    return ctx.text("label")[rows]


@family("unmatched_row")
def _unmatched(rule: Rule, ctx: Context) -> Found:
    rows = np.flatnonzero(~ctx.coded)
    labels = _labels(ctx, rows)
    return _row_found(ctx, rule, rows, _memo(lambda x: f"Dòng «{x}» không khớp với chỉ tiêu nào trong danh mục.",
                                             labels),
                      _memo(lambda x: f"Row '{x}' matches no catalog entry.", labels))


@family("value_not_number")
def _not_number(rule: Rule, ctx: Context) -> Found:
    rows = np.flatnonzero(ctx.has_raw & np.isnan(ctx.value) & ~ctx.is_kind("text"))
    raw, labels = ctx.text("raw_value")[rows], _labels(ctx, rows)
    return _row_found(ctx, rule, rows,
                      _memo(lambda v, x: f"Giá trị «{v}» của dòng «{x}» không phải là số viết theo kiểu Việt Nam "
                            "(ví dụ 24.407 hoặc 92,59); không đọc giá trị này.", raw, labels),
                      _memo(lambda v: f"Value '{v}' is not a Vietnamese number; left blank.", raw))


def _value_found(ctx: Context, rule: Rule, mask: np.ndarray, vi: Callable[[str, str], str],
                 en: Callable[[float], str]) -> Found:
    """Findings on the rows under ``mask`` about their value: ``vi(label, formatted value)``, ``en(value)``."""
    rows = np.flatnonzero(mask)
    value = ctx.value[rows]
    shown = _each([value], lambda i: (fmt_number(value[i]),), 1)[0]
    return _row_found(ctx, rule, rows, _memo(vi, _labels(ctx, rows), shown), _memo(en, value))


@family("percent_range")
def _percent_range(rule: Rule, ctx: Context) -> Found:
    v = ctx.value
    with np.errstate(invalid="ignore"):
        mask = ctx.is_kind("percent") & ((v < 0) | (v > 100))
    return _value_found(ctx, rule, mask, lambda x, s: f"Tỷ lệ «{x}» bằng {s}%, ngoài khoảng 0–100%.",
                        lambda v: f"Percentage {v:g} is outside 0-100.")


@family("count_negative")
def _negative(rule: Rule, ctx: Context) -> Found:
    with np.errstate(invalid="ignore"):
        mask = ctx.is_kind("count") & (ctx.value < 0)
    return _value_found(ctx, rule, mask, lambda x, s: f"Số lượng «{x}» là số âm ({s}).",
                        lambda v: f"Negative count {v:g}.")


@family("count_fractional")
def _fractional(rule: Rule, ctx: Context) -> Found:
    v = ctx.value
    with np.errstate(invalid="ignore"):
        mask = ctx.is_kind("count") & ~np.isnan(v) & (v != np.floor(v))
    return _value_found(ctx, rule, mask, lambda x, s: f"Số lượng «{x}» có phần lẻ ({s}); "
                        "có thể đây là tỷ lệ ghi nhầm dòng.", lambda v: f"Count {v:g} has a fractional part.")


def _failing(rows: np.ndarray, pair: np.ndarray, bad: Callable[[int], bool]) -> np.ndarray:
    """The rows (of ``rows``) whose pair fails: ``bad(position)`` decided once per distinct ``pair`` (a matrix
    of numbers, one row a row)."""
    return rows[_each([pair], lambda i: (bad(i),), 1)[0].astype(bool)]


@family("codelist_value")
def _codelist(rule: Rule, ctx: Context) -> Found:
    allowed = {e.code: e.allowed_codes() for e in ctx.entries if e.kind in ("flag", "category")}
    rows = np.flatnonzero(ctx.is_kind("flag", "category") & ~np.isnan(ctx.value))
    codes, value = ctx.text("code")[rows], ctx.value[rows]
    rows = _failing(rows, np.column_stack([ctx.code_idx[rows], value]),
                    lambda i: float(value[i]) not in allowed[codes[i]])
    codes, value, raw = ctx.text("code")[rows], ctx.value[rows], ctx.text("raw_value")[rows]

    def listing(code: str) -> str:
        return ", ".join(f"{name} = {int(k)}" for k, name in allowed[code].items())

    return _row_found(ctx, rule, rows,
                      _memo(lambda x, c, v: f"Dòng «{x}» chỉ nhận các giá trị {listing(c)}, nhưng ghi {v}.",
                            _labels(ctx, rows), codes, raw),
                      _memo(lambda v: f"Value {v:g} is not in the code list.", value))


@lru_cache(maxsize=4096)
def _uom_key(text: str) -> str:
    return re.sub(r"[\s.,;:]+", " ", clean(text).lower()).strip()


@family("uom_mismatch", synonyms=optional(TextGroups(), []))
def _uom_mismatch(rule: Rule, ctx: Context, synonyms: list[list[str]]) -> Found:
    """The unit of measure written differs from the catalog's; names in one synonym group agree."""
    groups = {_uom_key(name): i for i, names in enumerate(synonyms) for name in names}

    def bad(code: str, uom: str) -> bool:
        want = ctx.catalog[code]
        if not want.uom:
            return False
        if want.kind in ("flag", "category") and parse_codelist(uom) == want.allowed_codes():
            return False
        a, b = _uom_key(uom), _uom_key(want.uom)
        return not (a == b or (a in groups and groups.get(a) == groups.get(b)))

    rows = np.flatnonzero(ctx.coded & ctx.has_uom & ~ctx.is_kind("group"))
    as_catalog = np.array([ctx.catalog[c].uom for c in ctx.w.codes] + [""], dtype=object)
    rows = rows[ctx.text("uom")[rows] != as_catalog[ctx.code_idx[rows]]]  # written as the catalog has it: agrees
    codes, uoms = ctx.text("code")[rows], ctx.text("uom")[rows]
    written, _ = pd.factorize(uoms)
    rows = _failing(rows, np.column_stack([ctx.code_idx[rows], written]), lambda i: bad(codes[i], uoms[i]))
    codes, uoms = ctx.text("code")[rows], ctx.text("uom")[rows]
    return _row_found(ctx, rule, rows,
                      _memo(lambda x, u, c: f"Dòng «{x}» ghi đơn vị tính «{u}», trong khi mẫu quy định "
                            f"«{ctx.catalog[c].uom}».", _labels(ctx, rows), uoms, codes),
                      _memo(lambda u, c: f"Unit of measure '{u}' where the catalog has '{ctx.catalog[c].uom}'.",
                            uoms, codes))


@family("uom_missing")
def _uom_missing(rule: Rule, ctx: Context) -> Found:
    wants = {e.code for e in ctx.entries if e.uom and e.kind != "group"}
    wanted = np.array([c in wants for c in ctx.w.codes] + [False], dtype=bool)  # by column; -1: no code
    rows = np.flatnonzero(~ctx.has_uom & ctx.has_raw & wanted[ctx.code_idx])
    codes = ctx.text("code")[rows]
    return _row_found(ctx, rule, rows,
                      _memo(lambda x, c: f"Dòng «{x}» có số liệu nhưng không ghi đơn vị tính "
                            f"(mẫu: «{ctx.catalog[c].uom}»).", _labels(ctx, rows), codes),
                      _memo(lambda c: f"Value without a unit of measure (catalog: '{ctx.catalog[c].uom}').", codes))


@family("required_blank")
def _required(rule: Rule, ctx: Context) -> Found:
    parts = []
    for e in [e for e in ctx.entries if e.required]:
        r = np.flatnonzero(np.isnan(ctx.col_of(e.code)) & ctx.applies(e) & ctx.in_form(e.code))
        parts.append(_report_found(ctx, rule, r, [e.code],
                                   f"Chỉ tiêu bắt buộc «{ctx.label(e.code)}» bị bỏ trống hoặc thiếu.",
                                   f"Required row {e.code} is blank or missing.", values=""))
    return Found.concat(ctx, rule, parts)


@family("missing_rows")
def _missing_rows(rule: Rule, ctx: Context) -> Found:
    wanted_entries = [e for e in ctx.entries if e.kind != "group"]
    wanted = [e.code for e in wanted_entries]
    absent = np.isnan(ctx.L[:, ctx.cols(wanted)])
    for j, e in enumerate(wanted_entries):  # rows a report of its level or form does not have are not missing
        if e.levels:
            absent[:, j] &= ctx.applies(e)
        absent[:, j] &= ctx.in_form(e.code)
    present_any = ~np.isnan(ctx.L).all(axis=1)  # a report with no coded row at all says nothing here
    r = np.flatnonzero(absent.any(axis=1) & present_any)
    absent = absent[r]

    def text(i: int) -> tuple[str, str, str]:
        missing = [c for c, gone in zip(wanted, absent[i], strict=True) if gone]
        shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        return (f"Thiếu {len(missing)} dòng so với mẫu phụ lục: {shown}.",
                f"{len(missing)} template rows are missing: {shown}.", "; ".join(missing))

    vi, en, codes = _each([absent], text, 3)
    return Found(ctx, rule, r, vi, en, codes, "", "", math.nan)


@family("duplicate_code")
def _duplicate_code(rule: Rule, ctx: Context) -> Found:
    if not ctx.duplicates:
        return _none(ctx, rule)
    width = len(ctx.w.codes)
    flat = np.where(ctx.code_idx >= 0, ctx.report * width + ctx.code_idx, -1)
    pairs = np.array([r * width + ctx.col[code] for r, code in ctx.duplicates], dtype=np.int64)
    rows = np.flatnonzero(np.isin(flat, pairs))
    rows = rows[np.argsort(flat[rows], kind="stable")]  # by pair, each pair's rows in table order
    starts = np.searchsorted(flat[rows], pairs)
    ends = np.append(starts[1:], len(rows))
    raw, line, source = ctx.text("raw_value"), ctx.line, ctx.keys["source"].to_numpy(dtype=object)
    report, vi, en, values, lines = [], [], [], [], []
    for (r, code), a, b in zip(ctx.duplicates, starts, ends, strict=True):
        grp = rows[a:b]
        where = line_list(line[grp])
        place = place_vi(where, page_list(source[r], where, ctx.pages_by_line))
        report.append(r)
        vi.append(f"Chỉ tiêu «{ctx.label(code)}» xuất hiện {len(grp)} lần ({place}); chỉ dùng lần đầu.")
        en.append(f"{code} appears {len(grp)} times.")
        values.append("; ".join(raw[grp]))
        lines.append(where)
    anchor = [float(x.split("; ")[0]) if x else math.nan for x in lines]
    return Found(ctx, rule, report, vi, en, [code for _, code in ctx.duplicates], values, lines, anchor)


@family("duplicate_report")
def _duplicate_report(rule: Rule, ctx: Context) -> Found:
    keys = ctx.keys.rename_axis("r").reset_index()
    keys = keys[keys["unit"] != ""]
    group = keys.groupby(["unit", "year", "period"], sort=True, dropna=False).ngroup().to_numpy()
    size = np.bincount(group) if len(group) else np.zeros(0, dtype=np.int64)
    many = size[group] > 1 if len(group) else np.zeros(0, dtype=bool)
    keys, group = keys[many], group[many]
    order = np.argsort(group, kind="stable")  # groups in order, each group's reports in order
    rs, sources = keys["r"].to_numpy()[order], keys["source"].to_numpy(dtype=object)[order]
    units, years, periods = (keys[c].to_numpy(dtype=object)[order] for c in ("unit", "year", "period"))
    group = group[order]
    report, vi, en = [], [], []
    for a, b in zip(*_runs(group), strict=True):
        names = list(sources[a:b])
        listed = ", ".join(names)
        said = f"Đơn vị {units[a]}, kỳ {periods[a]} năm {years[a]} có {b - a} báo cáo trong cùng bảng ({listed})."
        at = np.cumsum([0] + [len(s) + 2 for s in names])  # where each source starts in ``listed``
        for k in range(b - a):
            before, after = listed[:max(at[k] - 2, 0)], listed[at[k + 1]:]
            others = before + ", " + after if 0 < k < b - a - 1 else before if k else after
            report.append(rs[a + k])
            vi.append(said)
            en.append(f"{b - a} reports for {units[a]} {periods[a]} {years[a]}: also {others or names[k]}.")
    return Found(ctx, rule, report, vi, en, "", "", "", math.nan)


def _runs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values of ``group`` starts and ends."""
    if not len(group):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return starts, np.append(starts[1:], len(group))


@family("metadata_missing")
def _metadata(rule: Rule, ctx: Context) -> Found:
    no_name = (ctx.keys["unit_name"] == "").to_numpy()
    no_year = ctx.keys["year"].isna().to_numpy()
    r = np.flatnonzero(no_name | no_year)

    def text(i: int) -> tuple[str, str]:
        missing = [name for name, gone in (("đơn vị", no_name[r[i]]), ("năm", no_year[r[i]])) if gone]
        return (f"Tiêu đề phụ lục không ghi {' và '.join(missing)} báo cáo.",
                "The title lines give no " + " or ".join(missing) + ".")

    vi, en = _each([no_name[r], no_year[r]], text, 2)
    return Found(ctx, rule, r, vi, en, "", "", "", math.nan)


@family("form_poor_fit", min_score=Number())
def _form_poor_fit(rule: Rule, ctx: Context, min_score: float) -> Found:
    """The file fits no known form well: it was read against the closest one."""
    fits = [(r, form, score) for r, (form, score) in enumerate(zip(ctx.w.column("form", ""),
                                                                   ctx.w.column("form_score", np.nan), strict=True))
            if form and score < min_score]
    texts = _memo(_poor_fit_text, [f for _, f, _ in fits], [s for _, _, s in fits])
    return Found(ctx, rule, [r for r, _, _ in fits], [t[0] for t in texts], [t[1] for t in texts], "", "", "",
                 math.nan)


def _poor_fit_text(form: str, score: float) -> tuple[str, str]:
    return (f"Phụ lục không khớp rõ với mẫu nào đã biết; đã đọc theo mẫu gần nhất «{form}» "
            f"(mức khớp {fmt_number(score, 1)}/100).",
            f"The file fits no known form well; read against the closest, {form} (score {score:.1f}/100).")


@family("unit_unresolved")
def _unit_unresolved(rule: Rule, ctx: Context) -> Found:
    """The unit matches no single official unit of its time: kept under its slug, close names listed."""
    from cchc_tools.units import close_names, era_is_legacy

    codes, synthetic = ctx.w.column("unit_code", None), ctx.w.column("synthetic", False)
    names, levels, units, years, periods = (ctx.keys[c].to_numpy(dtype=object)
                                            for c in ("unit_name", "level", "unit", "year", "period"))
    near_of: dict = {}
    report, vi, en = [], [], []
    for r in range(len(ctx.keys)):
        if codes[r] is None or codes[r] or synthetic[r]:  # fictional units of the demo data are never official
            continue
        if not names[r] or levels[r] == "department":
            continue
        year = None if pd.isna(years[r]) else int(years[r])
        legacy = era_is_legacy(year, periods[r])
        key = (names[r], legacy is not False)
        if key not in near_of:
            near_of[key] = "; ".join(close_names(names[r], legacy is not False, ctx.province, limit=4))
        near = near_of[key]
        report.append(r)
        vi.append(f"Không xác định được mã đơn vị hành chính của «{names[r]}»; giữ tên rút gọn «{units[r]}». "
                  f"Tên chính thức gần nhất: {near}.")
        en.append(f"No single official unit named {names[r]!r}; kept as {units[r]!r}. Close official names: {near}.")
    return Found(ctx, rule, report, vi, en, "", "", "", math.nan)


@family("note_ratio")
def _note_ratio(rule: Rule, ctx: Context) -> Found:
    rows = np.flatnonzero(ctx.is_kind("percent") & ~np.isnan(ctx.value) & ctx.has_note)
    notes, values = ctx.text("note")[rows], ctx.value[rows].tolist()  # Python floats, as itertuples gave them

    def check(note: str, value: float) -> tuple[str, str] | None:
        ratio = note_ratio(note)
        if not ratio or ratio[1] <= 0 or ratio[0] > ratio[1]:
            return None
        computed = ratio[0] / ratio[1] * 100
        if agrees(value, computed):
            return None
        a, b = (fmt_number(x) for x in ratio)
        return (f"ghi {fmt_percent(value, _decimals(value))}, nhưng ghi chú nêu {a}/{b} = {fmt_percent(computed)}.",
                f"Value {value:g}% but the note says {ratio[0]:g}/{ratio[1]:g} = {computed:.2f}%.")

    said = _memo(check, notes, values)
    hit = np.array([s is not None for s in said], dtype=bool)
    labels = _labels(ctx, rows[hit])
    said = [s for s in said if s is not None]
    return _row_found(ctx, rule, rows[hit], [f"Dòng «{x}» {s[0]}" for x, s in zip(labels, said, strict=True)],
                      [s[1] for s in said])


# --- the families, registered explicitly, and the rule sets they run -------------------------------

FAMILIES: dict[str, Family] = registry(
    _part_le_whole,
    _sum_equals,
    _rate_matches,
    _note_rate,
    _unmatched,
    _not_number,
    _percent_range,
    _negative,
    _fractional,
    _codelist,
    _uom_mismatch,
    _uom_missing,
    _required,
    _missing_rows,
    _duplicate_code,
    _duplicate_report,
    _metadata,
    _form_poor_fit,
    _unit_unresolved,
    _note_ratio,
)


@lru_cache(maxsize=1)
def shipped_rules() -> tuple[Rule, ...]:
    """The rules shipped in ``data/rules.yaml``."""
    return read_rules(RULES_YAML, FAMILIES)


def load_rules(*paths: str | Path, shipped: bool = True) -> tuple[Rule, ...]:
    """The shipped rules (unless ``shipped=False``) with each file's rules added in turn.

    A duplicate id overrides the rule loaded before it (with a :class:`RuleOverride` warning);
    a rule that does not fit its family's schema raises :class:`RuleError`.
    """
    rules: tuple[Rule, ...] = shipped_rules() if shipped else ()
    for path in paths:
        rules = merge_rules(rules, read_rules(path, FAMILIES))
    return rules


def select_rules(rules: Iterable[Rule | str] | None = None,
                 extra_rules: str | Path | Iterable[str | Path] | None = None) -> tuple[Rule, ...]:
    """The rules ``validate`` runs: ``rules`` (Rule records, or ids picked from the shipped rules;
    default: all shipped), with the rule files ``extra_rules`` added (overriding by id)."""
    extra = [extra_rules] if isinstance(extra_rules, str | Path) else list(extra_rules or ())
    if rules is None:
        return load_rules(*extra)
    rules = list(rules)
    if all(isinstance(r, Rule) for r in rules):
        return merge_rules(rules, (r for path in extra for r in read_rules(path, FAMILIES)))
    if not all(isinstance(r, str) for r in rules):
        raise TypeError("rules: give Rule records (from load_rules) or rule ids, not both")
    loaded = load_rules(*extra)
    unknown = sorted(set(rules) - {r.id for r in loaded})
    if unknown:
        raise ValueError(f"unknown rule ids: {', '.join(unknown)}")
    return tuple(r for r in loaded if r.id in set(rules))


# --- entry point -----------------------------------------------------------------------------

def validate(df: pd.DataFrame, rules: Iterable[Rule | str] | None = None,
             extra_rules: str | Path | Iterable[str | Path] | None = None, *, province: str = "",
             forms: Forms | None = None) -> pd.DataFrame:
    """All findings on a tidy table (one or many reports), one row per :class:`Finding`.

    ``rules``: the rules to run, as records from :func:`~cchc_tools.analysis.rules.load_rules`
    or as ids of shipped rules (default: every shipped rule). ``extra_rules``: rule files added
    to them, such as a province's own (a duplicate id overrides, with a ``RuleOverride`` warning).
    A project passes its own: ``validate(table, rules=project.rules, province=project.province,
    forms=project.forms)`` (``forms``: the forms the table was read against, and the catalog's new rows their
    drafts propose; default: the kit's).

    Rows are sorted by report (``source``, then ``unit``, ``year``, ``period``), then severity
    (error, warning, info), then the line the finding is about (:meth:`Context.anchor`: the line
    of its first code, i.e. of the figure a rule checks; findings about the whole report, with
    no line, last), then the order of the rules; a rule's findings that tie keep the order it
    gives them. ``lines`` lists every line involved, ascending. Any index, any row order and
    several years and periods give the same findings; contents never make it raise.
    """
    selected = select_rules(rules, extra_rules)
    if df.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    ctx = Context(df, province, forms)
    blocks = []
    for rule in selected:
        found = rule.run(ctx)
        blocks.append(found if isinstance(found, Found) else Found.of_records(ctx, rule, found))
    return _findings(ctx, [b for b in blocks if len(b)])


def _findings(ctx: Context, blocks: list[Found]) -> pd.DataFrame:
    """The findings of every rule as one table, in :func:`validate`'s order."""
    if not blocks:
        findings = pd.DataFrame.from_records([], columns=FINDING_COLUMNS)
        findings["year"] = findings["year"].astype("Int64")
        return findings
    report = np.concatenate([b.report for b in blocks])
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    severity = np.repeat([rank.get(b.rule.severity, len(SEVERITIES)) for b in blocks], [len(b) for b in blocks])
    anchor = np.concatenate([b.anchor for b in blocks])
    # Reports are numbered in the order of (source, unit, year, period); the sort is stable, so findings that
    # tie keep the order of the rules and each rule's own order.
    order = np.lexsort((anchor, severity, report))
    report = report[order]

    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in blocks])[order]

    def repeated(name: str) -> np.ndarray:
        return np.repeat(np.array([getattr(b.rule, name) for b in blocks], dtype=object),
                         [len(b) for b in blocks])[order]

    keys = ctx.keys
    columns = {"source": keys["source"].to_numpy(dtype=object)[report],
               "unit": keys["unit"].to_numpy(dtype=object)[report],
               "year": keys["year"].array.take(report),
               "period": keys["period"].to_numpy(dtype=object)[report],
               "rule": repeated("id"), "severity": repeated("severity"), "title_vi": repeated("title_vi"),
               "message_vi": joined("message_vi"), "message_en": joined("message_en"), "codes": joined("codes"),
               "values": joined("values"), "lines": joined("lines")}
    if ctx.pages_by_line:
        columns["pages"] = np.array(_memo(lambda s, ln: page_list(s, ln, ctx.pages_by_line), columns["source"],
                                          columns["lines"]), dtype=object)
    else:
        columns["pages"] = np.full(len(report), "", dtype=object)
    findings = pd.DataFrame(columns)
    findings["year"] = findings["year"].astype("Int64")
    return findings
