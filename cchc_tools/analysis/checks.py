"""Consistency checks: the rules declared in ``data/rules.yaml``, one function per family.

``validate(df)`` returns one row per finding with the rule, its severity, a
message in Vietnamese and in English, and the codes, values, source and lines
of every value involved. It never raises on bad data: bad data is what it is for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from cchc_tools.analysis.indicators import wide
from cchc_tools.analysis.specs import rule_specs
from cchc_tools.catalog import by_code, entries, parse_codelist
from cchc_tools.forms import form_codes
from cchc_tools.numbers import fmt_number, fmt_percent, parse_number
from cchc_tools.text import clean

FINDING_COLUMNS = ["source", "unit", "year", "period", "rule", "severity", "message_vi", "message_en",
                   "codes", "values", "lines"]
SEVERITIES = ("error", "warning", "info")

_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_RATIO = re.compile(r"(?<![\d/.,])(\d{1,3}(?:\.\d{3})+|\d+)\s*/\s*(\d{1,3}(?:\.\d{3})+|\d+)(?![\d/])")


def _decimals(x: float) -> int:
    for d in range(5):
        if abs(round(x, d) - x) < 1e-9:
            return d
    return 4


def agrees(reported: float, computed: float) -> bool:
    """True when ``reported`` is ``computed`` rounded or truncated to the reported decimals."""
    d = _decimals(reported)
    scale = 10**d
    if abs(round(computed, d) - reported) < 1e-9:
        return True
    if abs(math.floor(computed * scale + 1e-9) / scale - reported) < 1e-9:
        return True
    return abs(computed - reported) <= 0.5 / scale + 1e-9


def note_percent(note: str) -> float | None:
    m = _PERCENT.search(note or "")
    return parse_number(m.group(1)) if m else None


def note_ratio(note: str) -> tuple[float, float] | None:
    m = _RATIO.search(note or "")
    if not m:
        return None
    a, b = parse_number(m.group(1)), parse_number(m.group(2))
    return (a, b) if a is not None and b is not None else None


class Context:
    """What every family needs: the tidy rows, the per-report values as a matrix, the catalog."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.catalog = by_code()
        known = df["code"].isin(self.catalog)
        if not (known | (df["code"] == "")).all():  # codes of another catalog version: unmatched here
            df = df.assign(code=df["code"].where(known, ""))
        self.df = df
        w = wide(df)
        self.keys, self.sources, self.row, self.col, self.V, self.L = w.keys, w.sources, w.row, w.col, w.V, w.L
        self.duplicates = w.duplicates
        self.code_idx = w.code_idx
        kinds = ["count", "percent", "flag", "category", "text", "group", ""]
        of_entry = np.array([kinds.index(e.kind) for e in entries()] + [len(kinds) - 1])
        self.kind = pd.Series(pd.Categorical.from_codes(of_entry[w.code_idx], kinds), index=df.index)

        def filled(column: str) -> pd.Series:
            return pd.Series(df[column].to_numpy(dtype=object) != "", index=df.index)

        self.coded, self.has_raw, self.has_uom, self.has_note = (filled(c) for c in ("code", "raw_value", "uom",
                                                                                     "note"))

    def key(self, source: str) -> list:
        k = self.keys.iloc[self.row[source]]
        return [source, k["unit"], k["year"], k["period"]]

    def label(self, code: str) -> str:
        return self.catalog[code].label_vi

    def col_of(self, code: str) -> np.ndarray:
        return self.V[:, self.col[code]]

    def sum(self, codes: list[str]) -> np.ndarray:
        """Per report, the sum of the codes; NaN where any of them is blank."""
        return self.V[:, [self.col[c] for c in codes]].sum(axis=1)

    def value(self, source: str, code: str) -> float:
        return float(self.V[self.row[source], self.col[code]])

    def lines_of(self, source: str, codes: list[str]) -> str:
        r = self.row[source]
        return "; ".join(str(int(self.L[r, self.col[c]])) for c in codes if not np.isnan(self.L[r, self.col[c]]))

    def values_of(self, source: str, codes: list[str]) -> str:
        return "; ".join(fmt_number(self.value(source, c)) for c in codes)

    def firing(self, mask: np.ndarray) -> list[str]:
        return [self.sources[i] for i in np.flatnonzero(mask)]


Finding = list
Family = Callable[[dict, Context], Iterator[Finding]]
FAMILIES: dict[str, Family] = {}


def family(name: str) -> Callable[[Family], Family]:
    def register(fn: Family) -> Family:
        FAMILIES[name] = fn
        return fn

    return register


def _finding(ctx: Context, rule: dict, source: str, vi: str, en: str, codes: list[str],
             values: str | None = None, lines: str | None = None) -> Finding:
    return ctx.key(source) + [rule["id"], rule["severity"], vi, en, "; ".join(codes),
                              ctx.values_of(source, codes) if values is None else values,
                              ctx.lines_of(source, codes) if lines is None else lines]


def _row_finding(rule: dict, row, vi: str, en: str, codes: str | None = None) -> Finding:
    return [row.source, row.unit, row.year, row.period, rule["id"], rule["severity"], vi, en,
            row.code if codes is None else codes, row.raw_value, str(row.line)]


def _name(ctx: Context, codes: list[str]) -> str:
    return " + ".join(f"«{ctx.label(c)}»" for c in codes)


def _plus(ctx: Context, source: str, codes: list[str]) -> str:
    return " + ".join(fmt_number(ctx.value(source, c)) for c in codes)


# --- families with parameters ----------------------------------------------------------------

@family("part_le_whole")
def _part_le_whole(rule: dict, ctx: Context) -> Iterator[Finding]:
    part, whole = list(rule["part"]), list(rule["whole"])
    p, w = ctx.sum(part), ctx.sum(whole)
    with np.errstate(invalid="ignore"):
        mask = p > w
    for source in ctx.firing(mask):
        i = ctx.row[source]
        pv, wv = fmt_number(p[i]), fmt_number(w[i])
        ps = f"{_plus(ctx, source, part)} = {pv}" if len(part) > 1 else pv
        ws = f"{_plus(ctx, source, whole)} = {wv}" if len(whole) > 1 else wv
        yield _finding(ctx, rule, source,
                       f"{_name(ctx, part)} ({ps}) lớn hơn {_name(ctx, whole)} ({ws}).",
                       f"{' + '.join(part)} ({p[i]:g}) exceeds {' + '.join(whole)} ({w[i]:g}).",
                       part + whole)


@family("sum_equals")
def _sum_equals(rule: dict, ctx: Context) -> Iterator[Finding]:
    total, parts = rule["total"], list(rule["parts"])
    t = ctx.col_of(total)
    block = ctx.V[:, [ctx.col[c] for c in parts]]
    reported = ~np.isnan(block)
    s = np.where(reported.any(axis=1), np.nansum(block, axis=1), np.nan)
    complete = reported.all(axis=1)
    with np.errstate(invalid="ignore"):
        fire = ~np.isnan(t) & ~np.isnan(s) & ((complete & (np.abs(s - t) > 1e-9)) | (~complete & (s > t + 1e-9)))
    for source in ctx.firing(fire):
        i = ctx.row[source]
        given = [c for c in parts if not np.isnan(ctx.value(source, c))]
        tv, sv = fmt_number(t[i]), fmt_number(s[i])
        if complete[i]:
            vi = (f"Tổng số «{ctx.label(total)}» là {tv}, nhưng cộng các dòng thành phần "
                  f"({_plus(ctx, source, given)}) được {sv}.")
            en = f"{total} is {t[i]:g} but its parts add up to {s[i]:g}."
        else:
            vi = (f"Các dòng thành phần đã báo cáo ({_plus(ctx, source, given)} = {sv}) "
                  f"đã vượt tổng số «{ctx.label(total)}» ({tv}).")
            en = f"The reported parts of {total} add up to {s[i]:g}, more than its {t[i]:g}."
        yield _finding(ctx, rule, source, vi, en, [total] + given)


def _rate_finding(ctx: Context, rule: dict, source: str, reported: float, computed: float,
                  num: list[str], den: list[str], where_vi: str, where_en: str, codes: list[str]) -> Finding:
    i = ctx.row[source]
    n, d = ctx.sum(num)[i], ctx.sum(den)[i]
    vi = (f"{where_vi} ghi {fmt_percent(reported, _decimals(reported))}, nhưng "
          f"{fmt_number(n)}/{fmt_number(d)} = {fmt_percent(computed)}.")
    en = f"{where_en} says {reported:g}% but {n:g}/{d:g} = {computed:.2f}%."
    return _finding(ctx, rule, source, vi, en, codes)


@family("rate_matches")
def _rate_matches(rule: dict, ctx: Context) -> Iterator[Finding]:
    rate, num, den = rule["rate"], list(rule["num"]), list(rule["den"])
    r, n, d = ctx.col_of(rate), ctx.sum(num), ctx.sum(den)
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(r) & ~np.isnan(n) & (d > 0)
    for source in ctx.firing(ok):
        i = ctx.row[source]
        computed = n[i] / d[i] * 100
        if not agrees(r[i], computed):
            yield _rate_finding(ctx, rule, source, r[i], computed, num, den,
                                f"Dòng «{ctx.label(rate)}»", rate, [rate] + num + den)


@family("note_rate")
def _note_rate(rule: dict, ctx: Context) -> Iterator[Finding]:
    code, num, den = rule["code"], list(rule["num"]), list(rule["den"])
    n, d = ctx.sum(num), ctx.sum(den)
    rows = ctx.df[ctx.has_note & (ctx.code_idx == ctx.col[code])].drop_duplicates("source")
    for src, note in zip(rows["source"], rows["note"], strict=True):
        reported = note_percent(note)
        i = ctx.row[src]
        if reported is None or np.isnan(n[i]) or not d[i] > 0:
            continue
        computed = n[i] / d[i] * 100
        if not agrees(reported, computed):
            codes = list(dict.fromkeys(num + den))
            yield _rate_finding(ctx, rule, src, reported, computed, num, den,
                                f"Ghi chú của dòng «{ctx.label(code)}»", f"The note of {code}", codes)


# --- generic families: over every row --------------------------------------------------------

def _rows(ctx: Context, mask) -> Iterator:
    yield from ctx.df[mask].itertuples(index=False)


@family("unmatched_row")
def _unmatched(rule: dict, ctx: Context) -> Iterator[Finding]:
    for row in _rows(ctx, ~ctx.coded):
        yield _row_finding(rule, row, f"Dòng «{row.label}» không khớp với chỉ tiêu nào trong danh mục.",
                           f"Row '{row.label}' matches no catalog entry.")


@family("value_not_number")
def _not_number(rule: dict, ctx: Context) -> Iterator[Finding]:
    mask = ctx.has_raw & ctx.df["value"].isna() & (ctx.kind != "text")
    for row in _rows(ctx, mask):
        yield _row_finding(rule, row, f"Giá trị «{row.raw_value}» của dòng «{row.label}» không phải là số "
                           "viết theo kiểu Việt Nam (ví dụ 24.407 hoặc 92,59); không đọc giá trị này.",
                           f"Value '{row.raw_value}' is not a Vietnamese number; left blank.")


@family("percent_range")
def _percent_range(rule: dict, ctx: Context) -> Iterator[Finding]:
    v = ctx.df["value"]
    for row in _rows(ctx, (ctx.kind == "percent") & ((v < 0) | (v > 100))):
        yield _row_finding(rule, row, f"Tỷ lệ «{row.label}» bằng {fmt_number(row.value)}%, ngoài khoảng 0–100%.",
                           f"Percentage {row.value:g} is outside 0-100.")


@family("count_negative")
def _negative(rule: dict, ctx: Context) -> Iterator[Finding]:
    for row in _rows(ctx, (ctx.kind == "count") & (ctx.df["value"] < 0)):
        yield _row_finding(rule, row, f"Số lượng «{row.label}» là số âm ({fmt_number(row.value)}).",
                           f"Negative count {row.value:g}.")


@family("count_fractional")
def _fractional(rule: dict, ctx: Context) -> Iterator[Finding]:
    v = ctx.df["value"]
    for row in _rows(ctx, (ctx.kind == "count") & v.notna() & (v != np.floor(v))):
        yield _row_finding(rule, row, f"Số lượng «{row.label}» có phần lẻ ({fmt_number(row.value)}); "
                           "có thể đây là tỷ lệ ghi nhầm dòng.", f"Count {row.value:g} has a fractional part.")


def _flag_pairs(ctx: Context, mask: pd.Series, column: str, bad) -> pd.Series:
    """Rows under ``mask`` whose (code, column) pair fails ``bad(code, value)``; decided once per distinct pair."""
    sub = ctx.df.loc[mask, ["code", column]]
    pairs = sub.drop_duplicates()
    failing = {(c, v) for c, v in zip(pairs["code"], pairs[column], strict=True) if bad(c, v)}
    if not failing:
        return pd.Series(False, index=ctx.df.index)
    keys = pd.MultiIndex.from_frame(sub)
    hit = pd.Series(False, index=ctx.df.index)
    hit.loc[sub.index] = keys.isin(list(failing))
    return hit


@family("codelist_value")
def _codelist(rule: dict, ctx: Context) -> Iterator[Finding]:
    allowed = {e.code: e.allowed_codes() for e in entries() if e.kind in ("flag", "category")}
    mask = ctx.kind.isin(["flag", "category"]) & ctx.df["value"].notna()
    for row in _rows(ctx, _flag_pairs(ctx, mask, "value", lambda c, v: v not in allowed[c])):
        listing = ", ".join(f"{name} = {int(k)}" for k, name in allowed[row.code].items())
        yield _row_finding(rule, row, f"Dòng «{row.label}» chỉ nhận các giá trị {listing}, "
                           f"nhưng ghi {row.raw_value}.", f"Value {row.value:g} is not in the code list.")


def _uom_key(text: str) -> str:
    return re.sub(r"[\s.,;:]+", " ", clean(text).lower()).strip()


@family("uom_mismatch")
def _uom_mismatch(rule: dict, ctx: Context) -> Iterator[Finding]:
    groups = {}
    for i, names in enumerate(rule.get("synonyms", [])):
        for name in names:
            groups[_uom_key(name)] = i

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
def _uom_missing(rule: dict, ctx: Context) -> Iterator[Finding]:
    wants = {e.code for e in entries() if e.uom and e.kind != "group"}
    mask = ~ctx.has_uom & ctx.has_raw
    mask &= pd.Series([c in wants for c in ctx.df["code"]], index=ctx.df.index)
    for row in _rows(ctx, mask):
        want = ctx.catalog[row.code].uom
        yield _row_finding(rule, row, f"Dòng «{row.label}» có số liệu nhưng không ghi đơn vị tính "
                           f"(mẫu: «{want}»).", f"Value without a unit of measure (catalog: '{want}').")


def _form_codes(ctx: Context) -> list[frozenset[str] | None]:
    """Per report, the codes of the form it was read against (None: not known, every code applies)."""
    names = _report_column(ctx, "form", "")
    known = {name: form_codes(name) for name in set(names)}
    return [known[name] for name in names]


def _in_form(forms: list[frozenset[str] | None], code: str) -> np.ndarray:
    return np.array([f is None or code in f for f in forms], dtype=bool)


@family("required_blank")
def _required(rule: dict, ctx: Context) -> Iterator[Finding]:
    levels = ctx.keys["level"].fillna("").to_numpy()
    forms = _form_codes(ctx)
    for e in [e for e in entries() if e.required]:
        applies = np.array([e.applies_to(lv) for lv in levels], dtype=bool) & _in_form(forms, e.code)
        code = e.code
        for source in ctx.firing(np.isnan(ctx.col_of(code)) & applies):
            yield _finding(ctx, rule, source, f"Chỉ tiêu bắt buộc «{ctx.label(code)}» bị bỏ trống hoặc thiếu.",
                           f"Required row {code} is blank or missing.", [code], values="")


@family("missing_rows")
def _missing_rows(rule: dict, ctx: Context) -> Iterator[Finding]:
    wanted_entries = [e for e in entries() if e.kind != "group"]
    wanted = [e.code for e in wanted_entries]
    absent = np.isnan(ctx.L[:, [ctx.col[c] for c in wanted]])
    levels = ctx.keys["level"].fillna("").to_numpy()
    forms = _form_codes(ctx)
    for j, e in enumerate(wanted_entries):  # rows a report of its level or form does not have are not missing
        if e.levels:
            absent[:, j] &= np.array([e.applies_to(lv) for lv in levels], dtype=bool)
        absent[:, j] &= _in_form(forms, e.code)
    present_any = ~np.isnan(ctx.L).all(axis=1)  # a report with no coded row at all says nothing here
    for r in np.flatnonzero(absent.any(axis=1) & present_any):
        missing = [c for c, gone in zip(wanted, absent[r], strict=True) if gone]
        shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        yield _finding(ctx, rule, ctx.sources[r], f"Thiếu {len(missing)} dòng so với mẫu phụ lục: {shown}.",
                       f"{len(missing)} template rows are missing: {shown}.", missing, values="", lines="")


@family("duplicate_code")
def _duplicate_code(rule: dict, ctx: Context) -> Iterator[Finding]:
    for source, code in ctx.duplicates:
        grp = ctx.df[(ctx.df["source"] == source) & (ctx.df["code"] == code)]
        lines = "; ".join(str(x) for x in grp["line"])
        vals = "; ".join(grp["raw_value"])
        yield _finding(ctx, rule, source, f"Chỉ tiêu «{ctx.label(code)}» xuất hiện {len(grp)} lần "
                       f"(dòng {lines}); chỉ dùng lần đầu.", f"{code} appears {len(grp)} times.",
                       [code], values=vals, lines=lines)


@family("duplicate_report")
def _duplicate_report(rule: dict, ctx: Context) -> Iterator[Finding]:
    keys = ctx.keys.reset_index()
    keys = keys[keys["unit"] != ""]
    for (unit, year, period), grp in keys.groupby(["unit", "year", "period"], dropna=False):
        if len(grp) > 1:
            others = ", ".join(grp["source"].iloc[1:])
            for source in grp["source"]:
                yield _finding(ctx, rule, source, f"Đơn vị {unit}, kỳ {period} năm {year} có {len(grp)} báo cáo "
                               f"trong cùng bảng ({', '.join(grp['source'])}).",
                               f"{len(grp)} reports for {unit} {period} {year}: also {others}.", [],
                               values="", lines="")


@family("metadata_missing")
def _metadata(rule: dict, ctx: Context) -> Iterator[Finding]:
    no_name = (ctx.keys["unit_name"].fillna("") == "").to_numpy()
    no_year = ctx.keys["year"].isna().to_numpy()
    for r in np.flatnonzero(no_name | no_year):
        source = ctx.sources[r]
        missing = [name for name, gone in (("đơn vị", no_name[r]), ("năm", no_year[r])) if gone]
        if missing:
            yield _finding(ctx, rule, source, f"Tiêu đề phụ lục không ghi {' và '.join(missing)} báo cáo.",
                           "The title lines give no " + " or ".join(missing) + ".", [], values="", lines="")


def _report_column(ctx: Context, column: str, default) -> list:
    if column not in ctx.df.columns:
        return [default] * len(ctx.sources)
    first = ctx.df.drop_duplicates("source")
    by_source = dict(zip(first["source"], first[column], strict=True))
    return [by_source.get(s, default) for s in ctx.sources]


@family("form_poor_fit")
def _form_poor_fit(rule: dict, ctx: Context) -> Iterator[Finding]:
    floor = float(rule.get("min_score", 85))
    for source, form, score in zip(ctx.sources, _report_column(ctx, "form", ""),
                                   _report_column(ctx, "form_score", np.nan), strict=True):
        if form and score < floor:
            yield _finding(ctx, rule, source, *_poor_fit_text(form, score), [], values="", lines="")


def _poor_fit_text(form: str, score: float) -> tuple[str, str]:
    return (f"Phụ lục không khớp rõ với mẫu nào đã biết; đã đọc theo mẫu gần nhất «{form}» "
            f"(mức khớp {fmt_number(score, 1)}/100).",
            f"The file fits no known form well; read against the closest, {form} (score {score:.1f}/100).")


@family("unit_unresolved")
def _unit_unresolved(rule: dict, ctx: Context) -> Iterator[Finding]:
    from cchc_tools.units import close_names, era_is_legacy, province_setting

    codes = _report_column(ctx, "unit_code", None)
    synthetic = _report_column(ctx, "synthetic", False)
    for r, source in enumerate(ctx.sources):
        if codes[r] is None or codes[r] or synthetic[r]:  # fictional units of the demo data are never official
            continue
        k = ctx.keys.iloc[r]
        if not k["unit_name"] or k["level"] == "department":
            continue
        year = None if pd.isna(k["year"]) else int(k["year"])
        legacy = era_is_legacy(year, k["period"])
        near = "; ".join(close_names(k["unit_name"], legacy is not False, province_setting(), limit=4))
        yield _finding(ctx, rule, source, f"Không xác định được mã đơn vị hành chính của «{k['unit_name']}»; giữ "
                       f"tên rút gọn «{k['unit']}». Tên chính thức gần nhất: {near}.", f"No single official unit "
                       f"named {k['unit_name']!r}; kept as {k['unit']!r}. Close official names: {near}.", [],
                       values="", lines="")


@family("note_ratio")
def _note_ratio(rule: dict, ctx: Context) -> Iterator[Finding]:
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


# --- entry point -----------------------------------------------------------------------------

def validate(df: pd.DataFrame, rules: list[str] | None = None) -> pd.DataFrame:
    """All findings on a tidy table (one or many reports), errors first, then by file and line."""
    if df.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    ctx = Context(df)
    out: list[Finding] = []
    for rule in rule_specs():
        if rules is not None and rule["id"] not in rules:
            continue
        out.extend(FAMILIES[rule["family"]](rule, ctx))
    findings = pd.DataFrame.from_records(out, columns=FINDING_COLUMNS)
    if findings.empty:
        return findings
    findings["year"] = findings["year"].astype("Int64")
    first_line = pd.to_numeric(findings["lines"].str.split(";").str[0], errors="coerce")
    order = findings.assign(_s=findings["severity"].map({s: i for i, s in enumerate(SEVERITIES)}),
                            _l=first_line).sort_values(["source", "_s", "_l"], kind="stable")
    return order.drop(columns=["_s", "_l"]).reset_index(drop=True)
