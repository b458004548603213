"""The reference for ``cchc_tools.analysis.checks``: the checks as they were before issue 28, one Python
iteration per finding (and the ``wide``/``_prepared`` of ``analysis.indicators`` they ran on), kept unchanged
so that ``tests/test_checks_vectorised.py`` holds the column-wise checks equal to them.

Original module docstring:

Consistency checks: one function per rule family, run on the rules of ``data/rules.yaml``.

``validate(table)`` returns one row per :class:`Finding`: where (source, unit, year,
period), which rule (its id, severity and Vietnamese title), a message in Vietnamese and in
English, and the codes, values and source lines of every value involved. It takes any tidy
table (any index, any row order, several reports) and never raises on its contents: bad
data is what it is for. A new family is a function registered with ``@family(name, **params)``
(see :mod:`cchc_tools.analysis.rules`); a new rule is an entry in a rules file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd

# The scalar helpers (agreement, notes, places) did not change with issue 28: the reference uses the kit's own.
from cchc_tools.analysis.checks import (
    _decimals,
    agrees,
    line_list,
    note_percent,
    note_ratio,
    page_list,
    place_vi,
    select_rules,
)
from cchc_tools.analysis.rules import SEVERITIES, Family, Rule, family, registry
from cchc_tools.analysis.specs import Code, Codes, Number, TextGroups, optional
from cchc_tools.catalog import parse_codelist
from cchc_tools.forms import KIT_FORMS, Forms
from cchc_tools.numbers import fmt_number, fmt_percent
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

# --- the tidy table's per-report matrices, as analysis.indicators built them before issue 28 -----------------

REPORT_KEYS = ["source", "unit", "unit_name", "level", "year", "period"]
REPORT_ID = ["source", "unit", "year", "period"]
TEXT_COLUMNS = ["source", "unit", "unit_name", "level", "period", "code", "label", "uom", "raw_value", "note"]


def _text(column: pd.Series) -> pd.Series:
    text = isinstance(column.dtype, pd.StringDtype) or (
        column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"))
    if text:
        return column.fillna("") if column.isna().any() else column
    return pd.Series([x if isinstance(x, str) else "" if pd.isna(x) else str(x) for x in column],
                     index=column.index, dtype=object)


def _year(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.Int64Dtype):
        return column
    y = pd.to_numeric(column, errors="coerce")
    return y.where(y == y.round()).astype("Int64")


def _prepared(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    fixed = {c: _text(df[c]) for c in TEXT_COLUMNS if c in df}
    fixed = {c: col for c, col in fixed.items() if col is not df[c]}
    for c in ("value", "line"):
        if c in df and (df[c].dtype == bool or not pd.api.types.is_numeric_dtype(df[c])):
            fixed[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    if "year" in df and _year(df["year"]) is not df["year"]:
        fixed["year"] = _year(df["year"])
    out = df.assign(**fixed) if fixed else df
    report = out.groupby(REPORT_ID, sort=True, dropna=False).ngroup().to_numpy()
    order = np.lexsort((out["line"].to_numpy(dtype=float), report))
    if (order != np.arange(len(order))).any():
        out, report = out.iloc[order], report[order]
    return out.reset_index(drop=True), report


class Wide:
    def __init__(self, table, codes, V, L, keys, report, code_idx, duplicates) -> None:
        self.table, self.codes, self.V, self.L, self.keys = table, codes, V, L, keys
        self.report, self.code_idx, self.duplicates = report, code_idx, duplicates
        self.col = {c: i for i, c in enumerate(self.codes)}

    def column(self, name: str, default) -> list:
        if name not in self.table.columns:
            return [default] * len(self.keys)
        _, first = np.unique(self.report, return_index=True)
        return list(self.table[name].to_numpy(dtype=object)[first])


def wide(df: pd.DataFrame, catalog) -> Wide:
    df, report = _prepared(df)
    codes = [e.code for e in catalog]
    col = {c: i for i, c in enumerate(codes)}
    n = int(report.max()) + 1 if len(report) else 0
    codes_f, uniques = pd.factorize(df["code"], sort=False)
    code_idx = np.array([col.get(c, -1) for c in uniques] + [-1], dtype=np.int64)[codes_f]
    known = code_idx >= 0
    flat = report[known] * len(codes) + code_idx[known]
    uniq, first, counts = np.unique(flat, return_index=True, return_counts=True)
    V = np.full((n, len(codes)), np.nan)
    L = np.full((n, len(codes)), np.nan)
    V.flat[uniq] = df["value"].to_numpy(dtype=float)[known][first]
    L.flat[uniq] = df["line"].to_numpy(dtype=float)[known][first]
    _, first_rows = np.unique(report, return_index=True)
    keys = df.iloc[first_rows][REPORT_KEYS].reset_index(drop=True)
    dups = [(int(f // len(codes)), codes[f % len(codes)]) for f in uniq[counts > 1]]
    return Wide(df, codes, V, L, keys, report, code_idx, dups)




class Context:
    """What every family needs: the prepared tidy rows, the per-report matrices, the catalog.

    Reports are numbered 0..n-1 (``keys`` row ``r``); families name a report by that number. ``forms``: the forms
    the table was read against and the catalog as they extend it (a project's; default: the kit's).
    """

    def __init__(self, df: pd.DataFrame, province: str = "", forms: Forms | None = None) -> None:
        self.province = province  # the project's: close official names of an unresolved unit are sought there
        self.forms = forms or KIT_FORMS
        self.catalog = self.forms.by_code()
        self.entries = self.forms.entries()
        w = wide(df, self.entries)
        df = w.table
        known = df["code"].isin(self.catalog)
        if not (known | (df["code"] == "")).all():  # codes of another catalog version: unmatched here
            df = df.assign(code=df["code"].where(known, ""))
        self.df = df
        self.w = w
        self.keys, self.report, self.col, self.V, self.L = w.keys, w.report, w.col, w.V, w.L
        self.duplicates = w.duplicates
        self._keys = w.keys[["source", "unit", "year", "period"]].to_numpy(dtype=object)
        self._index = {tuple(k): r for r, k in enumerate(self._keys)}
        self.code_idx = w.code_idx
        kinds = ["count", "percent", "flag", "category", "text", "group", ""]
        of_entry = np.array([kinds.index(e.kind) for e in self.entries] + [len(kinds) - 1])
        self.kind = pd.Series(pd.Categorical.from_codes(of_entry[w.code_idx], kinds), index=df.index)

        def filled(column: str) -> pd.Series:
            return pd.Series(df[column].to_numpy(dtype=object) != "", index=df.index)

        self.coded, self.has_raw, self.has_uom, self.has_note = (filled(c) for c in ("code", "raw_value", "uom",
                                                                                     "note"))
        self.pages_by_line: dict[tuple[str, int], int] = {}  # (source, line) -> PDF page, rows read from a PDF
        if "page" in df.columns:
            paged = df[pd.to_numeric(df["page"], errors="coerce").fillna(0).to_numpy() > 0]
            self.pages_by_line = {(s, int(ln)): int(p) for s, ln, p in
                                  zip(paged["source"], paged["line"], paged["page"], strict=True)}

    def key(self, r: int) -> tuple:
        return tuple(self._keys[r])

    def label(self, code: str) -> str:
        return self.catalog[code].label_vi

    def col_of(self, code: str) -> np.ndarray:
        return self.V[:, self.col[code]]

    def sum(self, codes: list[str]) -> np.ndarray:
        """Per report, the sum of the codes; NaN where any of them is blank."""
        return self.V[:, [self.col[c] for c in codes]].sum(axis=1)

    def value(self, r: int, code: str) -> float:
        return float(self.V[r, self.col[code]])

    def lines_of(self, r: int, codes: list[str]) -> str:
        return line_list(self.L[r, self.col[c]] for c in codes)

    def values_of(self, r: int, codes: list[str]) -> str:
        return "; ".join(fmt_number(self.value(r, c)) for c in codes)

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


def firing(mask: np.ndarray) -> Iterator[int]:
    """The reports (by number) where ``mask`` holds."""
    return (int(r) for r in np.flatnonzero(mask))


def _finding(ctx: Context, rule: Rule, r: int, vi: str, en: str, codes: list[str],
             values: str | None = None, lines: str | None = None) -> Finding:
    return Finding(*ctx.key(r), rule.id, rule.severity, rule.title_vi, vi, en, "; ".join(codes),
                   ctx.values_of(r, codes) if values is None else values,
                   ctx.lines_of(r, codes) if lines is None else lines)


def _row_finding(rule: Rule, row, vi: str, en: str) -> Finding:
    return Finding(row.source, row.unit, row.year, row.period, rule.id, rule.severity, rule.title_vi, vi, en,
                   row.code, row.raw_value, line_list([row.line]))


def _name(ctx: Context, codes: list[str]) -> str:
    return " + ".join(f"«{ctx.label(c)}»" for c in codes)


def _plus(ctx: Context, r: int, codes: list[str]) -> str:
    return " + ".join(fmt_number(ctx.value(r, c)) for c in codes)


# --- families with parameters ----------------------------------------------------------------

COUNTS, COUNT = Codes("count"), Code("count")


@family("part_le_whole", part=COUNTS, whole=COUNTS)
def _part_le_whole(rule: Rule, ctx: Context, part: list[str], whole: list[str]) -> Iterator[Finding]:
    """sum(part) must not exceed sum(whole); a blank input skips the report."""
    p, w = ctx.sum(part), ctx.sum(whole)
    with np.errstate(invalid="ignore"):
        mask = p > w
    for r in firing(mask):
        pv, wv = fmt_number(p[r]), fmt_number(w[r])
        ps = f"{_plus(ctx, r, part)} = {pv}" if len(part) > 1 else pv
        ws = f"{_plus(ctx, r, whole)} = {wv}" if len(whole) > 1 else wv
        yield _finding(ctx, rule, r, f"{_name(ctx, part)} ({ps}) lớn hơn {_name(ctx, whole)} ({ws}).",
                       f"{' + '.join(part)} ({p[r]:g}) exceeds {' + '.join(whole)} ({w[r]:g}).", part + whole)


@family("sum_equals", total=COUNT, parts=COUNTS)
def _sum_equals(rule: Rule, ctx: Context, total: str, parts: list[str]) -> Iterator[Finding]:
    """The parts add up to the total; with blank parts, the reported ones must not exceed it."""
    t = ctx.col_of(total)
    block = ctx.V[:, [ctx.col[c] for c in parts]]
    reported = ~np.isnan(block)
    s = np.where(reported.any(axis=1), np.nansum(block, axis=1), np.nan)
    complete = reported.all(axis=1)
    with np.errstate(invalid="ignore"):
        fire = ~np.isnan(t) & ~np.isnan(s) & ((complete & (np.abs(s - t) > 1e-9)) | (~complete & (s > t + 1e-9)))
    for r in firing(fire):
        given = [c for c in parts if not np.isnan(ctx.value(r, c))]
        tv, sv = fmt_number(t[r]), fmt_number(s[r])
        if complete[r]:
            vi = (f"Tổng số «{ctx.label(total)}» là {tv}, nhưng cộng các dòng thành phần "
                  f"({_plus(ctx, r, given)}) được {sv}.")
            en = f"{total} is {t[r]:g} but its parts add up to {s[r]:g}."
        else:
            vi = (f"Các dòng thành phần đã báo cáo ({_plus(ctx, r, given)} = {sv}) "
                  f"đã vượt tổng số «{ctx.label(total)}» ({tv}).")
            en = f"The reported parts of {total} add up to {s[r]:g}, more than its {t[r]:g}."
        yield _finding(ctx, rule, r, vi, en, [total] + given)


def _rate_finding(ctx: Context, rule: Rule, r: int, reported: float, computed: float,
                  num: list[str], den: list[str], where_vi: str, where_en: str, codes: list[str]) -> Finding:
    n, d = ctx.sum(num)[r], ctx.sum(den)[r]
    vi = (f"{where_vi} ghi {fmt_percent(reported, _decimals(reported))}, nhưng "
          f"{fmt_number(n)}/{fmt_number(d)} = {fmt_percent(computed)}.")
    en = f"{where_en} says {reported:g}% but {n:g}/{d:g} = {computed:.2f}%."
    return _finding(ctx, rule, r, vi, en, codes)


@family("rate_matches", rate=Code("percent"), num=COUNTS, den=COUNTS)
def _rate_matches(rule: Rule, ctx: Context, rate: str, num: list[str], den: list[str]) -> Iterator[Finding]:
    """A reported percent equals num/den*100 within rounding or truncation."""
    rv, n, d = ctx.col_of(rate), ctx.sum(num), ctx.sum(den)
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(rv) & ~np.isnan(n) & (d > 0)
    for r in firing(ok):
        computed = n[r] / d[r] * 100
        if not agrees(rv[r], computed):
            yield _rate_finding(ctx, rule, r, rv[r], computed, num, den, f"Dòng «{ctx.label(rate)}»", rate,
                                [rate] + num + den)


@family("note_rate", code=COUNT, num=COUNTS, den=COUNTS)
def _note_rate(rule: Rule, ctx: Context, code: str, num: list[str], den: list[str]) -> Iterator[Finding]:
    """A percent written in the note of ``code`` equals num/den*100 within rounding."""
    n, d = ctx.sum(num), ctx.sum(den)
    rows = ctx.df[ctx.has_note & (ctx.code_idx == ctx.col[code])]
    seen: set[int] = set()
    for r, note in zip(ctx.report[rows.index], rows["note"], strict=True):  # the first row of the code only
        if r in seen:
            continue
        seen.add(r)
        reported = note_percent(note)
        if reported is None or np.isnan(n[r]) or not d[r] > 0:
            continue
        computed = n[r] / d[r] * 100
        if not agrees(reported, computed):
            yield _rate_finding(ctx, rule, int(r), reported, computed, num, den,
                                f"Ghi chú của dòng «{ctx.label(code)}»", f"The note of {code}",
                                list(dict.fromkeys(num + den)))


# --- generic families: over every row --------------------------------------------------------

def _rows(ctx: Context, mask) -> Iterator:
    yield from ctx.df[np.asarray(mask, dtype=bool)].itertuples(index=False)


@family("unmatched_row")
def _unmatched(rule: Rule, ctx: Context) -> Iterator[Finding]:
    for row in _rows(ctx, ~ctx.coded):
        yield _row_finding(rule, row, f"Dòng «{row.label}» không khớp với chỉ tiêu nào trong danh mục.",
                           f"Row '{row.label}' matches no catalog entry.")


@family("value_not_number")
def _not_number(rule: Rule, ctx: Context) -> Iterator[Finding]:
    mask = ctx.has_raw & ctx.df["value"].isna() & (ctx.kind != "text")
    for row in _rows(ctx, mask):
        yield _row_finding(rule, row, f"Giá trị «{row.raw_value}» của dòng «{row.label}» không phải là số "
                           "viết theo kiểu Việt Nam (ví dụ 24.407 hoặc 92,59); không đọc giá trị này.",
                           f"Value '{row.raw_value}' is not a Vietnamese number; left blank.")


@family("percent_range")
def _percent_range(rule: Rule, ctx: Context) -> Iterator[Finding]:
    v = ctx.df["value"]
    for row in _rows(ctx, (ctx.kind == "percent") & ((v < 0) | (v > 100))):
        yield _row_finding(rule, row, f"Tỷ lệ «{row.label}» bằng {fmt_number(row.value)}%, ngoài khoảng 0–100%.",
                           f"Percentage {row.value:g} is outside 0-100.")


@family("count_negative")
def _negative(rule: Rule, ctx: Context) -> Iterator[Finding]:
    for row in _rows(ctx, (ctx.kind == "count") & (ctx.df["value"] < 0)):
        yield _row_finding(rule, row, f"Số lượng «{row.label}» là số âm ({fmt_number(row.value)}).",
                           f"Negative count {row.value:g}.")


@family("count_fractional")
def _fractional(rule: Rule, ctx: Context) -> Iterator[Finding]:
    v = ctx.df["value"]
    for row in _rows(ctx, (ctx.kind == "count") & v.notna() & (v != np.floor(v))):
        yield _row_finding(rule, row, f"Số lượng «{row.label}» có phần lẻ ({fmt_number(row.value)}); "
                           "có thể đây là tỷ lệ ghi nhầm dòng.", f"Count {row.value:g} has a fractional part.")


def _flag_pairs(ctx: Context, mask: pd.Series, column: str, bad) -> np.ndarray:
    """Rows under ``mask`` whose (code, column) pair fails ``bad(code, value)``; decided once per distinct pair."""
    where = np.flatnonzero(np.asarray(mask, dtype=bool))
    sub = ctx.df.iloc[where][["code", column]]
    pairs = sub.drop_duplicates()
    failing = [(c, v) for c, v in zip(pairs["code"], pairs[column], strict=True) if bad(c, v)]
    hit = np.zeros(len(ctx.df), dtype=bool)
    if failing:
        hit[where] = pd.MultiIndex.from_frame(sub).isin(failing)
    return hit


@family("codelist_value")
def _codelist(rule: Rule, ctx: Context) -> Iterator[Finding]:
    allowed = {e.code: e.allowed_codes() for e in ctx.entries if e.kind in ("flag", "category")}
    mask = ctx.kind.isin(["flag", "category"]) & ctx.df["value"].notna()
    for row in _rows(ctx, _flag_pairs(ctx, mask, "value", lambda c, v: v not in allowed[c])):
        listing = ", ".join(f"{name} = {int(k)}" for k, name in allowed[row.code].items())
        yield _row_finding(rule, row, f"Dòng «{row.label}» chỉ nhận các giá trị {listing}, "
                           f"nhưng ghi {row.raw_value}.", f"Value {row.value:g} is not in the code list.")


def _uom_key(text: str) -> str:
    return re.sub(r"[\s.,;:]+", " ", clean(text).lower()).strip()


@family("uom_mismatch", synonyms=optional(TextGroups(), []))
def _uom_mismatch(rule: Rule, ctx: Context, synonyms: list[list[str]]) -> Iterator[Finding]:
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

    mask = ctx.coded & ctx.has_uom & (ctx.kind != "group")
    for row in _rows(ctx, _flag_pairs(ctx, mask, "uom", bad)):
        want = ctx.catalog[row.code]
        yield _row_finding(rule, row, f"Dòng «{row.label}» ghi đơn vị tính «{row.uom}», "
                           f"trong khi mẫu quy định «{want.uom}».",
                           f"Unit of measure '{row.uom}' where the catalog has '{want.uom}'.")


@family("uom_missing")
def _uom_missing(rule: Rule, ctx: Context) -> Iterator[Finding]:
    wants = {e.code for e in ctx.entries if e.uom and e.kind != "group"}
    mask = ~ctx.has_uom & ctx.has_raw & ctx.df["code"].isin(wants)
    for row in _rows(ctx, mask):
        want = ctx.catalog[row.code].uom
        yield _row_finding(rule, row, f"Dòng «{row.label}» có số liệu nhưng không ghi đơn vị tính "
                           f"(mẫu: «{want}»).", f"Value without a unit of measure (catalog: '{want}').")


def _form_codes(ctx: Context) -> list[frozenset[str] | None]:
    """Per report, the codes of the form it was read against (None: not known, every code applies)."""
    names = ctx.w.column("form", "")
    known = {name: ctx.forms.codes(name) for name in set(names)}
    return [known[name] for name in names]


def _in_form(forms: list[frozenset[str] | None], code: str) -> np.ndarray:
    return np.array([f is None or code in f for f in forms], dtype=bool)


@family("required_blank")
def _required(rule: Rule, ctx: Context) -> Iterator[Finding]:
    levels = ctx.levels()
    forms = _form_codes(ctx)
    for e in [e for e in ctx.entries if e.required]:
        applies = np.array([e.applies_to(lv) for lv in levels], dtype=bool) & _in_form(forms, e.code)
        for r in firing(np.isnan(ctx.col_of(e.code)) & applies):
            yield _finding(ctx, rule, r, f"Chỉ tiêu bắt buộc «{ctx.label(e.code)}» bị bỏ trống hoặc thiếu.",
                           f"Required row {e.code} is blank or missing.", [e.code], values="")


@family("missing_rows")
def _missing_rows(rule: Rule, ctx: Context) -> Iterator[Finding]:
    wanted_entries = [e for e in ctx.entries if e.kind != "group"]
    wanted = [e.code for e in wanted_entries]
    absent = np.isnan(ctx.L[:, [ctx.col[c] for c in wanted]])
    levels = ctx.levels()
    forms = _form_codes(ctx)
    for j, e in enumerate(wanted_entries):  # rows a report of its level or form does not have are not missing
        if e.levels:
            absent[:, j] &= np.array([e.applies_to(lv) for lv in levels], dtype=bool)
        absent[:, j] &= _in_form(forms, e.code)
    present_any = ~np.isnan(ctx.L).all(axis=1)  # a report with no coded row at all says nothing here
    for r in firing(absent.any(axis=1) & present_any):
        missing = [c for c, gone in zip(wanted, absent[r], strict=True) if gone]
        shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        yield _finding(ctx, rule, r, f"Thiếu {len(missing)} dòng so với mẫu phụ lục: {shown}.",
                       f"{len(missing)} template rows are missing: {shown}.", missing, values="", lines="")


@family("duplicate_code")
def _duplicate_code(rule: Rule, ctx: Context) -> Iterator[Finding]:
    for r, code in ctx.duplicates:
        grp = ctx.df[(ctx.report == r) & (ctx.df["code"] == code).to_numpy()]
        lines = line_list(grp["line"])
        place = place_vi(lines, page_list(ctx.key(r)[0], lines, ctx.pages_by_line))
        yield _finding(ctx, rule, r, f"Chỉ tiêu «{ctx.label(code)}» xuất hiện {len(grp)} lần "
                       f"({place}); chỉ dùng lần đầu.", f"{code} appears {len(grp)} times.",
                       [code], values="; ".join(grp["raw_value"]), lines=lines)


@family("duplicate_report")
def _duplicate_report(rule: Rule, ctx: Context) -> Iterator[Finding]:
    keys = ctx.keys.rename_axis("r").reset_index()
    keys = keys[keys["unit"] != ""]
    for (unit, year, period), grp in keys.groupby(["unit", "year", "period"], dropna=False):
        if len(grp) > 1:
            for r, source in zip(grp["r"], grp["source"], strict=True):
                others = ", ".join(s for s in grp["source"] if s != source) or source
                yield _finding(ctx, rule, int(r), f"Đơn vị {unit}, kỳ {period} năm {year} có {len(grp)} báo cáo "
                               f"trong cùng bảng ({', '.join(grp['source'])}).",
                               f"{len(grp)} reports for {unit} {period} {year}: also {others}.", [],
                               values="", lines="")


@family("metadata_missing")
def _metadata(rule: Rule, ctx: Context) -> Iterator[Finding]:
    no_name = (ctx.keys["unit_name"] == "").to_numpy()
    no_year = ctx.keys["year"].isna().to_numpy()
    for r in firing(no_name | no_year):
        missing = [name for name, gone in (("đơn vị", no_name[r]), ("năm", no_year[r])) if gone]
        yield _finding(ctx, rule, r, f"Tiêu đề phụ lục không ghi {' và '.join(missing)} báo cáo.",
                       "The title lines give no " + " or ".join(missing) + ".", [], values="", lines="")


@family("form_poor_fit", min_score=Number())
def _form_poor_fit(rule: Rule, ctx: Context, min_score: float) -> Iterator[Finding]:
    """The file fits no known form well: it was read against the closest one."""
    for r, (form, score) in enumerate(zip(ctx.w.column("form", ""), ctx.w.column("form_score", np.nan), strict=True)):
        if form and score < min_score:
            yield _finding(ctx, rule, r, *_poor_fit_text(form, score), [], values="", lines="")


def _poor_fit_text(form: str, score: float) -> tuple[str, str]:
    return (f"Phụ lục không khớp rõ với mẫu nào đã biết; đã đọc theo mẫu gần nhất «{form}» "
            f"(mức khớp {fmt_number(score, 1)}/100).",
            f"The file fits no known form well; read against the closest, {form} (score {score:.1f}/100).")


@family("unit_unresolved")
def _unit_unresolved(rule: Rule, ctx: Context) -> Iterator[Finding]:
    """The unit matches no single official unit of its time: kept under its slug, close names listed."""
    from cchc_tools.units import close_names, era_is_legacy

    codes, synthetic = ctx.w.column("unit_code", None), ctx.w.column("synthetic", False)
    for r in range(len(ctx.keys)):
        if codes[r] is None or codes[r] or synthetic[r]:  # fictional units of the demo data are never official
            continue
        k = ctx.keys.iloc[r]
        if not k["unit_name"] or k["level"] == "department":
            continue
        year = None if pd.isna(k["year"]) else int(k["year"])
        legacy = era_is_legacy(year, k["period"])
        near = "; ".join(close_names(k["unit_name"], legacy is not False, ctx.province, limit=4))
        yield _finding(ctx, rule, r, f"Không xác định được mã đơn vị hành chính của «{k['unit_name']}»; giữ "
                       f"tên rút gọn «{k['unit']}». Tên chính thức gần nhất: {near}.", f"No single official unit "
                       f"named {k['unit_name']!r}; kept as {k['unit']!r}. Close official names: {near}.", [],
                       values="", lines="")


@family("note_ratio")
def _note_ratio(rule: Rule, ctx: Context) -> Iterator[Finding]:
    mask = (ctx.kind == "percent") & ctx.df["value"].notna() & ctx.has_note
    for row in _rows(ctx, mask):
        ratio = note_ratio(row.note)
        if not ratio or ratio[1] <= 0 or ratio[0] > ratio[1]:
            continue
        computed = ratio[0] / ratio[1] * 100
        if not agrees(row.value, computed):
            a, b = (fmt_number(x) for x in ratio)
            shown = fmt_percent(row.value, _decimals(row.value))
            yield _row_finding(rule, row, f"Dòng «{row.label}» ghi {shown}, "
                               f"nhưng ghi chú nêu {a}/{b} = {fmt_percent(computed)}.",
                               f"Value {row.value:g}% but the note says {ratio[0]:g}/{ratio[1]:g} "
                               f"= {computed:.2f}%.")


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


# --- entry point -----------------------------------------------------------------------------

def validate_reference(df: pd.DataFrame, rules: Iterable[Rule | str] | None = None,
                       extra_rules=None, *, province: str = "",
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
    out: list[Finding] = []
    position: list[int] = []
    for i, rule in enumerate(selected):
        found = list(FAMILIES[rule.family].check(rule, ctx, **rule.params))
        if ctx.pages_by_line:
            found = [f._replace(pages=page_list(f.source, f.lines, ctx.pages_by_line)) for f in found]
        out.extend(found)
        position.extend([i] * len(found))
    findings = pd.DataFrame.from_records(out, columns=FINDING_COLUMNS)
    findings["year"] = findings["year"].astype("Int64")
    if findings.empty:
        return findings
    order = findings.assign(_s=findings["severity"].map({s: i for i, s in enumerate(SEVERITIES)}),
                            _l=[ctx.anchor(f) for f in out], _r=position)
    order = order.sort_values(["source", "unit", "year", "period", "_s", "_l", "_r"], kind="stable",
                              na_position="last")
    return order.drop(columns=["_s", "_l", "_r"]).reset_index(drop=True)
