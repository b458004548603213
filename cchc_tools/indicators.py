"""Derived indicators, computed from the declarations in ``data/indicators.yaml``."""

from __future__ import annotations

import math

import pandas as pd

from .registry import indicator_specs

REPORT_KEYS = ["source", "unit", "unit_name", "level", "year", "period"]
OUT_COLUMNS = REPORT_KEYS + ["indicator", "section", "name_vi", "name_en", "value", "uom", "numerator",
                             "denominator", "inputs", "lines", "reason", "reason_vi", "headline"]


def wide(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per report (one row per source): values, source lines and report keys, by catalog code.

    A code reported twice in one report keeps its first row (``validate`` reports the duplicate).
    """
    rows = df[df["code"] != ""].drop_duplicates(["source", "code"])
    values = rows.pivot(index="source", columns="code", values="value")
    lines = rows.pivot(index="source", columns="code", values="line")
    keys = df.drop_duplicates("source").set_index("source")[REPORT_KEYS[1:]]
    return values, lines, keys


def _sum(values: pd.Series, codes: list[str]) -> tuple[float, list[str]]:
    missing = [c for c in codes if c not in values.index or pd.isna(values[c])]
    if missing:
        return math.nan, missing
    return float(sum(values[c] for c in codes)), []


def _fmt_inputs(values: pd.Series, codes: list[str]) -> str:
    out = []
    for c in codes:
        v = values.get(c, math.nan)
        out.append(f"{c}={'' if pd.isna(v) else f'{v:g}'}")
    return "; ".join(out)


def indicators(df: pd.DataFrame) -> pd.DataFrame:
    """One row per report and derived indicator, with the inputs and lines it came from.

    ``value`` is NaN when an input is blank or the denominator is zero; ``reason``
    (English) and ``reason_vi`` say which.
    """
    if df.empty:
        return pd.DataFrame(columns=OUT_COLUMNS)
    values, lines, keys = wide(df)
    records = []
    for source in keys.index:
        vals = values.loc[source] if source in values.index else pd.Series(dtype=float)
        lns = lines.loc[source] if source in lines.index else pd.Series(dtype=float)
        key = [source, *keys.loc[source].tolist()]
        for spec in indicator_specs():
            reason = reason_vi = ""
            if "reported" in spec:
                codes = [spec["reported"]]
                value, missing = _sum(vals, codes)
                num = den = math.nan
            else:
                codes = list(spec["numerator"]) + list(spec["denominator"])
                num, miss_n = _sum(vals, list(spec["numerator"]))
                den, miss_d = _sum(vals, list(spec["denominator"]))
                missing = miss_n + miss_d
                value = math.nan
                if not missing:
                    if den == 0:
                        reason, reason_vi = "denominator is 0", "mẫu số bằng 0"
                    else:
                        value = num / den * spec.get("scale", 100)
            if missing:
                reason = "not reported: " + ", ".join(missing)
                reason_vi = "không có số liệu: " + ", ".join(missing)
            used = [str(int(lns[c])) for c in codes if c in lns.index and pd.notna(lns[c])]
            records.append(key + [spec["id"], spec["section"], spec["name_vi"], spec["name_en"], value,
                                  spec.get("uom", "%"), num, den, _fmt_inputs(vals, codes),
                                  "; ".join(used), reason, reason_vi, bool(spec.get("headline"))])
    out = pd.DataFrame.from_records(records, columns=OUT_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    return out
