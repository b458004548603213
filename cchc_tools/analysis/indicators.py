"""Derived indicators, computed from the declarations in ``data/indicators.yaml``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cchc_tools.analysis.specs import indicator_specs, level_specs
from cchc_tools.catalog import Entry, by_code, entries
from cchc_tools.forms import KIT_FORMS, Forms

REPORT_KEYS = ["source", "unit", "unit_name", "level", "year", "period"]
REPORT_ID = ["source", "unit", "year", "period"]  # what tells two reports in one table apart
OUT_COLUMNS = REPORT_KEYS + ["indicator", "section", "name_vi", "name_en", "value", "uom", "numerator",
                             "denominator", "inputs", "lines", "reason", "reason_vi", "headline"]
TEXT_COLUMNS = ["source", "unit", "unit_name", "level", "period", "code", "label", "uom", "raw_value", "note"]


def _text(column: pd.Series) -> pd.Series:
    """A text column with "" for a missing cell (values that are not text become text)."""
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return column  # only text, nothing missing: the loader's columns (one pass instead of two)
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


def _prepared(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The table with its text, number and year columns cleaned (rows as given), each row's report in report and
    line order, and that order (positions in the table; None when the rows are in it already)."""
    fixed = {c: _text(df[c]) for c in TEXT_COLUMNS if c in df}
    fixed = {c: col for c, col in fixed.items() if col is not df[c]}
    for c in ("value", "line"):
        if c in df and (df[c].dtype == bool or not pd.api.types.is_numeric_dtype(df[c])):
            fixed[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    if "year" in df and _year(df["year"]) is not df["year"]:
        fixed["year"] = _year(df["year"])
    out = df.assign(**fixed) if fixed else df
    report = _report_numbers(out)
    line = out["line"].to_numpy(dtype=float)
    if _in_order(report, line):
        return out, report, None
    order = np.lexsort((line, report))
    return out, report[order], order


def _report_numbers(df: pd.DataFrame) -> np.ndarray:
    """Each row's report: the number of its (source, unit, year, period) in their sorted order (a missing year
    last), as ``groupby(REPORT_ID, sort=True, dropna=False).ngroup()`` gives it. The rows of a report usually
    follow one another: the groups are formed on the first row of each run of equal keys only."""
    n = len(df)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.zeros(n, dtype=bool)
    starts[0] = True
    for c in REPORT_ID:
        column = df[c]
        if isinstance(column.dtype, pd.Int64Dtype):
            a = column.to_numpy(dtype=float, na_value=np.nan)
            starts[1:] |= ~((a[1:] == a[:-1]) | (np.isnan(a[1:]) & np.isnan(a[:-1])))
        else:
            a = column.to_numpy(dtype=object)
            starts[1:] |= (a[1:] != a[:-1]).astype(bool)
    first = np.flatnonzero(starts)
    runs = df.iloc[first, [df.columns.get_loc(c) for c in REPORT_ID]]
    runs = runs.groupby(REPORT_ID, sort=True, dropna=False).ngroup().to_numpy()
    return np.repeat(runs.astype(np.int64), np.diff(np.append(first, n)))


def _in_order(report: np.ndarray, line: np.ndarray) -> bool:
    """Whether the rows are already in the order ``np.lexsort((line, report))`` (stable) would give them."""
    if len(report) < 2:
        return True
    step = np.diff(report)
    same = step == 0
    with np.errstate(invalid="ignore"):
        up = (line[1:] >= line[:-1]) | np.isnan(line[1:])
    return bool(((step > 0) | (same & up)).all())


@dataclass
class Wide:
    """Per report and catalog code: values ``V`` and source lines ``L`` (one row per report).

    ``L`` is NaN where the report has no row for the code; ``V`` is NaN there and where the
    cell was blank. A code reported twice in one report keeps its first line (``validate``
    reports the duplicate). ``keys`` holds each report's source, unit, name, level, year and
    period (index 0..n-1); ``report`` and ``code_idx`` give each row of ``table`` (the
    prepared tidy table: its rows report by report, by line) its report and its column in ``V``
    (-1 when it has no catalog code). ``first_rows``: the row of ``table`` where each report starts.
    ``table`` is put in that order only when asked for; :meth:`array` gives one column of it.
    """

    prepared: pd.DataFrame  # the cleaned table, rows as given
    order: np.ndarray | None  # the rows of ``prepared`` in the order of ``table`` (None: the same)
    codes: list[str]
    V: np.ndarray
    L: np.ndarray
    keys: pd.DataFrame
    report: np.ndarray
    code_idx: np.ndarray
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    first_rows: np.ndarray | None = None
    col: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.col = {c: i for i, c in enumerate(self.codes)}
        if self.first_rows is None:
            _, self.first_rows = np.unique(self.report, return_index=True)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The prepared tidy table, report by report and by line, indexed 0..n-1."""
        out = self.prepared if self.order is None else self.prepared.iloc[self.order]
        if isinstance(out.index, pd.RangeIndex) and out.index.start == 0 and out.index.step == 1:
            return out
        return out.reset_index(drop=True)

    def array(self, name: str, dtype=None) -> np.ndarray:
        """One column of :attr:`table` as an array."""
        values = self.prepared[name].to_numpy(dtype=dtype)
        return values if self.order is None else values[self.order]

    def sum(self, codes: list[str]) -> np.ndarray:
        """Per report, the sum of the codes; NaN where any of them is blank."""
        return self.V[:, [self.col[c] for c in codes]].sum(axis=1)

    def column(self, name: str, default) -> list:
        """Per report, a column of the tidy table (its first row's value), or ``default`` without it."""
        if name not in self.prepared.columns:
            return [default] * len(self.keys)
        rows = self.first_rows if self.order is None else self.order[self.first_rows]
        return list(self.prepared[name].array.take(rows).to_numpy(dtype=object))


def wide(df: pd.DataFrame, catalog: Sequence[Entry] | None = None) -> Wide:
    """The per-report matrices of any tidy table (see :func:`prepare`), one column per entry of ``catalog`` (a
    project's, :meth:`Forms.entries <cchc_tools.forms.Forms.entries>`; default: the kit's catalog)."""
    prepared, report, order = _prepared(df)
    codes = [e.code for e in (entries() if catalog is None else catalog)]
    col = {c: i for i, c in enumerate(codes)}
    n = int(report.max()) + 1 if len(report) else 0
    codes_f, uniques = pd.factorize(prepared["code"], sort=False)
    if order is not None:
        codes_f = codes_f[order]
    code_idx = np.array([col.get(c, -1) for c in uniques] + [-1], dtype=np.int64)[codes_f]
    known = np.flatnonzero(code_idx >= 0)
    flat = report[known] * len(codes) + code_idx[known]
    again = pd.Series(flat, copy=False).duplicated().to_numpy()  # a (report, code) pair after its first row
    first = known[~again]
    first_in = first if order is None else order[first]  # the same rows, as positions in ``prepared``
    V = np.full((n, len(codes)), np.nan)
    L = np.full((n, len(codes)), np.nan)
    V.flat[flat[~again]] = prepared["value"].to_numpy(dtype=float)[first_in]
    L.flat[flat[~again]] = prepared["line"].to_numpy(dtype=float)[first_in]
    first_rows = np.flatnonzero(np.r_[True, report[1:] != report[:-1]]) if n else np.zeros(0, dtype=np.int64)
    rows = first_rows if order is None else order[first_rows]
    keys = prepared.iloc[rows, [prepared.columns.get_loc(c) for c in REPORT_KEYS]].reset_index(drop=True)
    dups = [(int(f // len(codes)), codes[f % len(codes)]) for f in np.unique(flat[again])]
    return Wide(prepared, order, codes, V, L, keys, report, code_idx, dups, first_rows)


def _fmt(v: float) -> str:
    return "" if math.isnan(v) else f"{v:g}"


def _inputs(spec: dict) -> list[str]:
    return [spec["reported"]] if "reported" in spec else list(spec["numerator"]) + list(spec["denominator"])


def _report_forms(w: Wide, forms: Forms) -> list[frozenset[str] | None]:
    """Per report, the codes its form asks for (None when the form is not known)."""
    names = w.column("form", "")
    known = {name: forms.codes(name) for name in set(names)}
    return [known[name] for name in names]


def indicators(df: pd.DataFrame, forms: Forms | None = None) -> pd.DataFrame:
    """One row per report and derived indicator, with the inputs and lines it came from.

    Any tidy table (any index, any row order, several reports) gives the same rows, ordered
    by report (``source``, ``unit``, ``year``, ``period``) and then as ``indicators.yaml``
    declares them. ``value`` is NaN when an input is blank or the denominator is zero;
    ``reason`` (English) and ``reason_vi`` say which. ``inputs`` and ``lines`` give the
    inputs' codes, values and source lines, numerator first. ``forms``: the forms the table was read against (a
    project's; default: the kit's): a report whose form asks none of an indicator's inputs has no row for it.
    """
    if df.empty:
        return pd.DataFrame(columns=OUT_COLUMNS)
    w = wide(df)
    keys = w.keys[REPORT_KEYS].to_numpy(dtype=object)
    records = []
    forms = _report_forms(w, forms or KIT_FORMS)
    for r in range(len(keys)):
        for spec in indicator_specs():
            if forms[r] is not None and forms[r].isdisjoint(_inputs(spec)):  # its form asks none of the inputs
                continue
            records.append(list(keys[r]) + _indicator(spec, w, r))
    out = pd.DataFrame.from_records(records, columns=OUT_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    heads = {level: set(spec["headline"]) for level, spec in level_specs().items()}  # what each level leads with
    out["headline"] = [i in heads.get(lv, ()) for i, lv in zip(out["indicator"], out["level"], strict=True)]
    return out


def _indicator(spec: dict, w: Wide, r: int) -> list:
    """The columns after the report keys of one indicator of report ``r``."""
    if "reported" in spec:
        num_codes, den_codes = [spec["reported"]], []
    else:
        num_codes, den_codes = list(spec["numerator"]), list(spec["denominator"])
    codes = num_codes + den_codes
    cols = [w.col[c] for c in codes]
    vals = w.V[r, cols]
    missing = [c for c, v in zip(codes, vals, strict=True) if math.isnan(v)]
    num = float(vals[: len(num_codes)].sum())
    den = float(vals[len(num_codes):].sum()) if den_codes else math.nan
    reason = reason_vi = ""
    value = math.nan
    if missing:
        reason = "not reported: " + ", ".join(missing)
        cat = by_code()  # the reader's words: the rows' labels, never their codes
        reason_vi = "không có số liệu: " + "; ".join(f"«{cat[c].label_vi}»" if c in cat else c for c in missing)
        num = den = math.nan
    elif not den_codes:
        value, num = num, math.nan
    elif den == 0:
        reason, reason_vi = "denominator is 0", "mẫu số bằng 0"
    else:
        value = num / den * spec.get("scale", 100)
    lines = "; ".join(str(int(x)) for x in w.L[r, cols] if not math.isnan(x))  # in the order of inputs
    inputs = "; ".join(f"{c}={_fmt(v)}" for c, v in zip(codes, vals, strict=True))
    return [spec["id"], spec["section"], spec["name_vi"], spec["name_en"], value, spec.get("uom", "%"), num,
            den, inputs, lines, reason, reason_vi, False]

