"""Derived indicators, computed from the declarations in ``data/indicators.yaml``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.catalog import entries

REPORT_KEYS = ["source", "unit", "unit_name", "level", "year", "period"]
OUT_COLUMNS = REPORT_KEYS + ["indicator", "section", "name_vi", "name_en", "value", "uom", "numerator",
                             "denominator", "inputs", "lines", "reason", "reason_vi", "headline"]


@dataclass
class Wide:
    """Per report (one row per source) and catalog code: values ``V`` and source lines ``L``.

    ``L`` is NaN where the report has no row for the code; ``V`` is NaN there and where the
    cell was blank. A code reported twice in one report keeps its first row (``validate``
    reports the duplicate). ``keys`` holds each report's unit, name, level, year and period.
    """

    sources: list[str]
    codes: list[str]
    V: np.ndarray
    L: np.ndarray
    keys: pd.DataFrame
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    code_idx: np.ndarray | None = None  # per tidy row: its column in V, or -1
    row: dict[str, int] = field(init=False)
    col: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.row = {s: i for i, s in enumerate(self.sources)}
        self.col = {c: i for i, c in enumerate(self.codes)}

    def sum(self, codes: list[str]) -> np.ndarray:
        """Per report, the sum of the codes; NaN where any of them is blank."""
        return self.V[:, [self.col[c] for c in codes]].sum(axis=1)


def wide(df: pd.DataFrame) -> Wide:
    codes = [e.code for e in entries()]
    col = {c: i for i, c in enumerate(codes)}
    src_idx, sources = pd.factorize(df["source"], sort=False)
    codes_f, uniques = pd.factorize(df["code"], sort=False)
    code_idx = np.array([col.get(c, -1) for c in uniques] + [-1], dtype=np.int64)[codes_f]
    known = code_idx >= 0
    flat = src_idx[known] * len(codes) + code_idx[known]
    uniq, first, counts = np.unique(flat, return_index=True, return_counts=True)  # first row of each pair
    V = np.full((len(sources), len(codes)), np.nan)
    L = np.full((len(sources), len(codes)), np.nan)
    V.flat[uniq] = df["value"].to_numpy(dtype=float)[known][first]
    L.flat[uniq] = df["line"].to_numpy(dtype=float)[known][first]
    _, first_rows = np.unique(src_idx, return_index=True)
    keys = df.iloc[first_rows].set_index("source")[REPORT_KEYS[1:]]
    dups = [(sources[f // len(codes)], codes[f % len(codes)]) for f in uniq[counts > 1]]
    return Wide(list(sources), codes, V, L, keys.loc[list(sources)], dups, code_idx)


def _fmt(v: float) -> str:
    return "" if math.isnan(v) else f"{v:g}"


def _report_forms(df: pd.DataFrame, sources: list[str]) -> list[frozenset[str] | None]:
    """Per report, the codes its form asks for (None when the form is not known)."""
    from cchc_tools.forms import form_codes

    if "form" not in df.columns:
        return [None] * len(sources)
    first = df.drop_duplicates("source")
    by_source = dict(zip(first["source"], first["form"], strict=True))
    known = {name: form_codes(name) for name in set(by_source.values())}
    return [known.get(by_source.get(s, "")) for s in sources]


def indicators(df: pd.DataFrame) -> pd.DataFrame:
    """One row per report and derived indicator, with the inputs and lines it came from.

    ``value`` is NaN when an input is blank or the denominator is zero; ``reason``
    (English) and ``reason_vi`` say which.
    """
    if df.empty:
        return pd.DataFrame(columns=OUT_COLUMNS)
    w = wide(df)
    keys = w.keys
    records = []
    forms = _report_forms(df, w.sources)
    for spec in indicator_specs():
        if "reported" in spec:
            num_codes, den_codes = [spec["reported"]], []
        else:
            num_codes, den_codes = list(spec["numerator"]), list(spec["denominator"])
        codes = num_codes + den_codes
        cols = [w.col[c] for c in codes]
        for r, source in enumerate(w.sources):
            if forms[r] is not None and forms[r].isdisjoint(codes):  # its form asks none of the inputs
                continue
            vals = w.V[r, cols]
            missing = [c for c, v in zip(codes, vals, strict=True) if math.isnan(v)]
            num = float(vals[: len(num_codes)].sum())
            den = float(vals[len(num_codes):].sum()) if den_codes else math.nan
            reason = reason_vi = ""
            value = math.nan
            if missing:
                reason = "not reported: " + ", ".join(missing)
                reason_vi = "không có số liệu: " + ", ".join(missing)
                num = den = math.nan
            elif not den_codes:
                value, num = num, math.nan
            elif den == 0:
                reason, reason_vi = "denominator is 0", "mẫu số bằng 0"
            else:
                value = num / den * spec.get("scale", 100)
            lines = "; ".join(str(int(x)) for x in w.L[r, cols] if not math.isnan(x))
            inputs = "; ".join(f"{c}={_fmt(v)}" for c, v in zip(codes, vals, strict=True))
            k = keys.iloc[r]
            records.append([source, k["unit"], k["unit_name"], k["level"], k["year"], k["period"], spec["id"],
                            spec["section"], spec["name_vi"], spec["name_en"], value, spec.get("uom", "%"), num,
                            den, inputs, lines, reason, reason_vi, bool(spec.get("headline"))])
    out = pd.DataFrame.from_records(records, columns=OUT_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    order = {s: i for i, s in enumerate(w.sources)}
    out = out.sort_values("source", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return out
