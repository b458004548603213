"""Judgement: each indicator against its target, its peers and its last period, and never a doubtful one as fact.

``assess(table)`` returns one row per report and indicator with a ``status``:

- ``doubtful``: an error-level finding involves one of its inputs (the figures cannot all be true);
- ``not_reported``: an input is blank (or the denominator is 0);
- ``met`` / ``below_target``: judged against a target of ``data/targets.yaml`` (or a province's file);
- ``no_target``: a value, and no target applies.

``consolidate(table)`` adds up the units of each year, period and level: counts summed, ratios
recomputed from the summed counts (never an average of ratios), with the median and quartiles
of the units' ratios beside them; a unit whose figure an error-level finding questions is left
out of that total and named.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from cchc_tools.analysis.checks import agrees, note_percent, note_percent_text, shipped_rules, validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.analysis.specs import indicator_inputs, indicator_specs
from cchc_tools.analysis.targets import applies, load_targets, target_text
from cchc_tools.catalog import by_code

STATUSES = ("met", "below_target", "doubtful", "not_reported", "no_target")
REF_PREFIX = {"error": "L", "warning": "C", "info": "LY"}  # Lỗi, Cảnh báo, Lưu ý
ASSESS_COLUMNS = ["source", "unit", "unit_name", "level", "year", "period", "indicator", "section", "name_vi",
                  "value", "reported", "reported_text", "numerator", "denominator", "target", "target_op",
                  "target_source", "target_verified", "status", "rank", "peers", "change", "findings", "warnings",
                  "lines", "reason", "direction", "shown"]


# --- findings as references a reader can follow -----------------------------------------------

def finding_refs(findings: pd.DataFrame) -> pd.Series:
    """A short reference per finding, numbered within its report: ``L1`` (lỗi), ``C2`` (cảnh báo), ``LY1``."""
    if findings.empty:
        return pd.Series([], dtype=object, index=findings.index)
    n = findings.groupby(["source", "severity"], sort=False).cumcount() + 1
    return findings["severity"].map(REF_PREFIX).fillna("?") + n.astype(str)


# Families whose findings are about a row's wording or unit of measure, not about its figure.
LABEL_FAMILIES = {"uom_mismatch", "uom_missing", "unmatched_row", "missing_rows", "metadata_missing"}


def doubts(findings: pd.DataFrame, severities: tuple[str, ...] = ("error", "warning"),
           rules: Iterable[Rule] | None = None) -> dict[tuple[str, str], list]:
    """``(source, code) -> [(ref, severity), ...]``: the findings that question each reported figure.

    Findings about a row's unit of measure or wording (``LABEL_FAMILIES``) do not question its figure.
    ``rules``: the rules that produced ``findings`` (default: the shipped ones), to know each one's family.
    """
    out: dict[tuple[str, str], list] = {}
    if findings.empty:
        return out
    refs = finding_refs(findings)
    family = {r.id: r.family for r in (shipped_rules() if rules is None else rules)}
    for src, sev, codes, ref, rule in zip(findings["source"], findings["severity"], findings["codes"], refs,
                                          findings["rule"], strict=True):
        if sev not in severities or family.get(rule) in LABEL_FAMILIES:
            continue
        for code in filter(None, str(codes).split("; ")):
            out.setdefault((src, code), []).append((ref, sev))
    return out


# --- the unit's own figure for an indicator -------------------------------------------------

def _reported_sources(rules: Iterable[Rule]) -> dict[str, tuple[str, str]]:
    """Indicator id -> (``row`` or ``note``, code): where a unit writes its own figure for it.

    Read off the rules that compare a reported rate with its counts (``rate_matches``: a percent row;
    ``note_rate``: a percent in a row's note) when they use the indicator's numerator and denominator.
    """
    out: dict[str, tuple[str, str]] = {}
    for spec in indicator_specs():
        if "reported" in spec:
            continue
        num, den = list(spec["numerator"]), list(spec["denominator"])
        for rule in (r.as_dict() for r in rules):
            if list(rule.get("num", [])) == num and list(rule.get("den", [])) == den:
                if rule["family"] == "rate_matches":
                    out[spec["id"]] = ("row", rule["rate"])
                    break
                if rule["family"] == "note_rate":
                    out.setdefault(spec["id"], ("note", rule["code"]))
    return out


def reported_figures(table: pd.DataFrame, rules: Iterable[Rule] | None = None
                     ) -> dict[tuple[str, str], tuple[float, str]]:
    """``(source, indicator) -> (the rate the unit itself wrote, as written)`` (its percent row, else its note)."""
    where = _reported_sources(shipped_rules() if rules is None else tuple(rules))
    codes = {code for _, code in where.values()}
    rows = table[table["code"].isin(codes)].drop_duplicates(["source", "code"])
    by = {(s, c): (v, raw, n) for s, c, v, raw, n in
          zip(rows["source"], rows["code"], rows["value"], rows["raw_value"], rows["note"], strict=True)}
    out: dict[tuple[str, str], tuple[float, str]] = {}
    for (src, code), (value, raw, note) in by.items():
        for ident, (kind, c) in where.items():
            if c != code:
                continue
            figure, text = (value, raw) if kind == "row" else (note_percent(note), note_percent_text(note))
            if figure is not None and not (isinstance(figure, float) and math.isnan(figure)):
                out[(src, ident)] = (float(figure), text.strip().rstrip("%").strip() + "%")
    return out


# --- assessment -----------------------------------------------------------------------------

def _change(ind: pd.DataFrame) -> pd.Series:
    """Each value minus the same unit's value for the same coverage of the latest earlier year."""
    keyed = ind[["unit", "coverage", "indicator", "year", "value"]].copy()
    keyed["_i"] = np.arange(len(keyed))
    keyed = keyed.sort_values(["unit", "coverage", "indicator", "year"], kind="stable")
    same = (keyed[["unit", "coverage", "indicator"]] == keyed[["unit", "coverage", "indicator"]].shift()).all(axis=1)
    year = pd.to_numeric(keyed["year"], errors="coerce").astype("float")  # a report without a year: no change
    earlier = year > year.shift()
    prev = keyed["value"].shift().where(same & earlier & (keyed["unit"] != ""))
    diff = (keyed["value"] - prev).to_numpy()
    out = np.full(len(ind), np.nan)
    out[keyed["_i"].to_numpy()] = diff
    return pd.Series(out, index=ind.index)


def shown_value(value: float, reported: float) -> float:
    """The one value every page prints for an indicator a unit also states itself: the unit's own figure when it
    agrees with its counts (rounded or truncated: 100.167/100.564 reported as 99,60%), else the computed one. The
    briefing, the summary, the comparison, the digest, the trend and the workbench all print ``shown``; ranks and
    totals are computed from the counts (``value``)."""
    if reported is None or value is None or not (isinstance(reported, float | int) and isinstance(value, float | int)):
        return value
    return float(reported) if agrees(float(reported), float(value)) else value


def assess(table: pd.DataFrame, targets: Iterable[dict | str | Path] | None = None, *,
           ind: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
           rules: Iterable[Rule] | None = None) -> pd.DataFrame:
    """One row per report and indicator: value, the unit's own figure, target, status, rank, change, findings.

    ``targets``: the targets to judge against, as loaded target records (a project's ``targets``), or
    targets files added to the shipped ones (default: the shipped targets only). ``rules``: the rules
    the findings come from (a project's ``rules``; default: the shipped ones).

    ``ind`` and ``findings`` may be passed when already computed (``indicators(table)``,
    ``validate(table)``), so that a briefing computes each once. ``rank`` is among the reports of
    the same year, coverage (a cumulative Q3 report ranks with 9-month ones, never with Q3 ones) and
    level in ``table`` (1 = best: the highest value, the lowest for an indicator whose ``direction`` is
    ``lower``; doubtful and blank values, levels such as staffing (``direction: neither``) and a unit
    with no peer are not ranked), ``peers`` how many were ranked. ``direction`` comes from the
    indicator's declaration; a ``neither`` indicator is never judged against a target.
    """
    ind = indicators(table) if ind is None else ind
    if ind.empty:
        return pd.DataFrame(columns=ASSESS_COLUMNS)
    rules = shipped_rules() if rules is None else tuple(rules)
    findings = validate(table, rules=rules) if findings is None else findings
    ind = ind.reset_index(drop=True)
    doubt = doubts(findings, rules=rules)
    reported = reported_figures(table, rules)
    specs = {s["id"]: s for s in indicator_specs()}
    given = list(targets or ())
    tlist = tuple(given) if given and all(isinstance(t, dict) for t in given) else load_targets(given)

    def codes_of(ident: str) -> list[str]:
        s = specs[ident]
        return [s["reported"]] if "reported" in s else list(s["numerator"]) + list(s["denominator"])

    rows = []
    for r in ind.itertuples(index=False):
        hits = [h for c in codes_of(r.indicator) for h in doubt.get((r.source, c), [])]
        errors = sorted({ref for ref, sev in hits if sev == "error"})
        warnings = sorted({ref for ref, sev in hits if sev == "warning"})
        direction = specs[r.indicator].get("direction", "higher")
        target = next((t for t in tlist if t["indicator"] == r.indicator and applies(t, r.year, r.level)), None)
        if direction == "neither":
            target = None  # a level (staffing): context, never judged
        value = r.value
        if errors:
            status = "doubtful"
        elif value is None or math.isnan(value):
            status = "not_reported"
        elif target is None:
            status = "no_target"
        else:
            ok = value >= target["value"] if target["op"] == ">=" else value <= target["value"]
            status = "met" if ok else "below_target"
        rows.append([r.source, r.unit, r.unit_name, r.level, r.year, r.period, r.indicator, r.section, r.name_vi,
                     value, *reported.get((r.source, r.indicator), (math.nan, "")), r.numerator, r.denominator,
                     target["value"] if target else math.nan, target["op"] if target else "",
                     target_text(target) if target else "", bool(target.get("verified")) if target else False,
                     status, None, None, math.nan, "; ".join(errors + warnings), "; ".join(warnings), r.lines,
                     r.reason, direction, shown_value(value, reported.get((r.source, r.indicator), (math.nan,))[0])])
    out = pd.DataFrame(rows, columns=ASSESS_COLUMNS)
    from cchc_tools.analysis.selection import reports

    cover = reports(table).set_index("source")["coverage"]
    out["coverage"] = out["source"].map(cover).fillna(out["period"])
    rankable = out["value"].notna() & (out["status"] != "doubtful") & (out["direction"] != "neither")
    keyed = out["value"].where(out["direction"] != "lower", -out["value"])  # rank 1 = best either way
    grp = keyed[rankable].groupby([out["year"], out["coverage"], out["level"], out["indicator"]], dropna=False)
    out["rank"] = grp.rank(ascending=False, method="min").reindex(out.index).astype("Int64")
    out["peers"] = grp.transform("size").reindex(out.index).astype("Int64")
    out.loc[out["peers"] < 2, "rank"] = pd.NA  # a unit with no peer has no rank
    out["change"] = _change(out)
    out["year"] = out["year"].astype("Int64")
    return out.drop(columns="coverage")


# --- consolidation --------------------------------------------------------------------------

def questioned_inputs(findings: pd.DataFrame, rules: Iterable | None = None) -> dict[tuple[str, str], str]:
    """``(source, code) -> finding references``: the figures a province total leaves out.

    A figure is left out when an error-level finding questions it (the figures cannot all be true), and so
    is every other input of an indicator it feeds (``data/indicators.yaml``, and the rates of
    ``rate_matches`` rules): when on-time and resolved cannot both be true, the unit's received dossiers
    are not counted either, so that every rate of the appendix comes from the same units above and below
    the line. Findings about a row's wording or unit of measure, and warnings, leave nothing out.

    Beside :func:`consolidate`, which leaves out only the questioned figures themselves (a page's totals:
    each total is over the units whose figures for it can be trusted), the consolidated appendix
    (``cycle.appendix``) follows this stricter rule: it is one table whose counts and rates must all
    come from the same units.
    """
    rules = tuple(shipped_rules() if rules is None else rules)
    hit: dict[tuple[str, str], set[str]] = {}
    for key, refs in doubts(findings, severities=("error",), rules=rules).items():
        hit.setdefault(key, set()).update(r for r, _ in refs)
    groups = [list(s["numerator"]) + list(s["denominator"]) for s in indicator_specs() if "numerator" in s]
    groups += [list(r.get("num", [])) + list(r.get("den", [])) for r in (x.as_dict() for x in rules)
               if r["family"] == "rate_matches"]
    out = {k: set(v) for k, v in hit.items()}
    for (src, code), refs in hit.items():
        for group in groups:
            if code in group:
                for c in group:
                    out.setdefault((src, c), set()).update(refs)
    return {k: ", ".join(sorted(v, key=lambda r: (r.rstrip("0123456789"), int(r.lstrip("LYC") or 0))))
            for k, v in out.items()}


class Consolidated(NamedTuple):
    totals: pd.DataFrame  # year, period, level, code, label_vi, aggregate, value, units_reported, units, low, high,
    #                       yes, units_excluded, excluded
    ratios: pd.DataFrame  # year, period, level, indicator, name_vi, value, numerator, denominator, units,
    #                       median, q1, q3, units_excluded, excluded


GROUP = ["year", "period", "level"]


def _names(frame: pd.DataFrame) -> str:
    """``huyện Minh Họa 03; huyện Minh Họa 07``: the units of some rows, each once, in order."""
    names = [n or u for n, u in zip(frame["unit_name"], frame["unit"], strict=True)]
    return "; ".join(dict.fromkeys(names))


def consolidate(table: pd.DataFrame, *, ind: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
                rules: Iterable[Rule] | None = None) -> Consolidated:
    """Totals per year, period and level over the units of ``table``, leaving out what cannot be trusted.

    Each count or yes/no row adds up as the catalog declares for the level (``aggregate``, see
    :mod:`cchc_tools.analysis.aggregate`): ``sum`` is the sum over the units that reported it (blank only
    when every unit left it blank); ``count_yes`` the number of units that answered yes; ``same`` (a list
    the same for every unit) the units' common value, or blank with ``low`` and ``high``; ``none`` blank
    with the range. ``units_reported`` says how many units are behind it. An indicator declared
    ``aggregate: rate`` is the sum of the numerators over the sum of the denominators of the units that
    reported all its inputs (a reported rate weighted by its ``weight`` count); one declared ``none`` has
    no total. The median and quartiles of the units' own values stand beside it; ``units`` says how many
    units it is over. An indicator a level does not have (``levels``) has no row for that level.

    A unit whose figure an error-level finding questions (a count, or an input of a ratio: the
    figures cannot all be true) is left out of that total and named in ``excluded`` ("; "-joined
    unit names), counted in ``units_excluded``: a page says "không tính 1 đơn vị có số liệu cần xem
    lại: ...". ``findings``: ``validate(table)`` when already computed; ``rules``: the rules they
    come from (default: the shipped ones).
    """
    ind = indicators(table) if ind is None else ind
    rules = shipped_rules() if rules is None else tuple(rules)
    findings = validate(table, rules=rules) if findings is None else findings
    questioned = {key for key, hits in doubts(findings, ("error",), rules=rules).items() if hits}
    cat = by_code()
    rows = table[table["code"].map(lambda c: c in cat and cat[c].kind in ("count", "flag"))]
    rows = rows.drop_duplicates(["source", "code"])
    bad = pd.Series([(s, c) in questioned for s, c in zip(rows["source"], rows["code"], strict=True)],
                    index=rows.index, dtype=bool)
    reports = table.drop_duplicates("source")
    n_units = reports.groupby(GROUP, dropna=False)["source"].size().rename("units")
    good = rows[~bad].assign(yes=lambda d: (d["value"] > 0) & d["value"].notna())
    g = good.groupby(GROUP + ["code"], dropna=False, sort=False)
    totals = pd.DataFrame({"sum": g["value"].sum(min_count=1), "units_reported": g["value"].count(),
                           "low": g["value"].min(), "high": g["value"].max(), "yes": g["yes"].sum()})
    left = {k: grp for k, grp in rows[bad].groupby(GROUP + ["code"], dropna=False, sort=False)}
    totals = totals.reset_index()
    keys = list(zip(*(totals[c] for c in GROUP + ["code"]), strict=True))
    missing = [k for k in left if k not in set(keys)]  # a row every unit's figure of is questioned
    if missing:
        totals = pd.concat([totals, pd.DataFrame([[*k, math.nan, 0, math.nan, math.nan, 0] for k in missing],
                                                 columns=GROUP + ["code", "sum", "units_reported", "low", "high",
                                                                  "yes"])], ignore_index=True)
        keys += missing
    # each row adds up as it declares for the level (analysis.aggregate): only a "sum" row is a sum
    totals["aggregate"] = [cat[c].aggregates(lv if isinstance(lv, str) else "")
                           for c, lv in zip(totals["code"], totals["level"], strict=True)]
    totals["yes"] = totals["yes"].fillna(0).astype(int)
    totals["value"] = np.select(
        [totals["aggregate"] == "sum", totals["aggregate"] == "count_yes",
         (totals["aggregate"] == "same") & (totals["low"] == totals["high"])],
        [totals["sum"], totals["yes"].where(totals["units_reported"] > 0), totals["low"]], default=math.nan)
    totals["units_excluded"] = [len(left[k]) if k in left else 0 for k in keys]
    totals["excluded"] = [_names(left[k]) if k in left else "" for k in keys]
    totals["units_reported"] = totals["units_reported"].fillna(0).astype(int)
    totals = totals.join(n_units, on=GROUP)
    order = {c: i for i, c in enumerate(cat)}
    totals["label_vi"] = totals["code"].map(lambda c: cat[c].label_vi)
    totals = totals.sort_values(GROUP + ["code"], key=lambda s: s.map(order) if s.name == "code" else s,
                                kind="stable").reset_index(drop=True)
    totals = totals[GROUP + ["code", "label_vi", "aggregate", "value", "units_reported", "units", "low", "high",
                             "yes", "units_excluded", "excluded"]]

    specs = {s["id"]: s for s in indicator_specs()}

    def inputs(ident: str) -> list[str]:
        s = specs[ident]
        return indicator_inputs(s) + ([s["weight"]] if s.get("weight") else [])

    have = ind[ind["value"].notna()].copy()
    # a rate the unit reports adds up weighted by the count it is a share of (satisfaction by survey forms)
    weights = {s["weight"]: s["id"] for s in specs.values() if s.get("weight")}
    if weights:
        w = table[table["code"].isin(list(weights))].drop_duplicates(["source", "code"])
        weight_of = {(weights[c], src): v for src, c, v in zip(w["source"], w["code"], w["value"], strict=True)}
        weighted = have["indicator"].isin(list(weights.values()))
        wv = pd.Series([weight_of.get((i, s), math.nan) for i, s in
                        zip(have["indicator"], have["source"], strict=True)], index=have.index, dtype=float)
        scale = pd.Series([specs[i].get("scale", 100) for i in have["indicator"]], index=have.index, dtype=float)
        have.loc[weighted, "numerator"] = (have["value"] * wv / scale)[weighted]
        have.loc[weighted, "denominator"] = wv[weighted]
    doubtful = pd.Series([any((s, c) in questioned for c in inputs(i))
                          for s, i in zip(have["source"], have["indicator"], strict=True)],
                         index=have.index, dtype=bool)
    rows = []
    for (year, period, level, ident), grp in have.groupby(GROUP + ["indicator"], dropna=False, sort=False):
        if isinstance(level, str) and level and level not in specs[ident]["levels"]:
            continue  # an indicator the level does not have (the district's dossiers on a commune's form)
        out, grp = grp[doubtful.loc[grp.index]], grp[~doubtful.loc[grp.index]]
        if grp.empty:
            rows.append([year, period, level, ident, out["name_vi"].iloc[0], math.nan, math.nan, math.nan, 0,
                         math.nan, math.nan, math.nan, len(out), _names(out)])
            continue
        value = num = den = math.nan
        if specs[ident]["aggregate"] == "rate":  # recomputed from the summed counts, never an average of rates
            both = grp[grp["numerator"].notna() & grp["denominator"].notna()]
            num, den = both["numerator"].sum(min_count=1), both["denominator"].sum(min_count=1)
            scale = specs[ident].get("scale", 100)
            value = num / den * scale if pd.notna(num) and pd.notna(den) and den > 0 else math.nan
        q1, med, q3 = np.percentile(grp["value"].to_numpy(dtype=float), [25, 50, 75])
        rows.append([year, period, level, ident, grp["name_vi"].iloc[0], value, num, den, len(grp), med, q1, q3,
                     len(out), _names(out)])
    ratios = pd.DataFrame(rows, columns=GROUP + ["indicator", "name_vi", "value", "numerator", "denominator",
                                                 "units", "median", "q1", "q3", "units_excluded", "excluded"])
    return Consolidated(totals, ratios)
