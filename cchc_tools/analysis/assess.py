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

from cchc_tools.analysis.checks import (
    agrees,
    agrees_array,
    note_percent,
    note_percent_text,
    note_percent_texts,
    shipped_rules,
    validate,
)
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.rules import Rule
from cchc_tools.analysis.specs import indicator_inputs, indicator_specs
from cchc_tools.analysis.targets import applies, load_targets, target_text
from cchc_tools.forms import KIT_FORMS, Forms
from cchc_tools.numbers import parse_number

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

def reported_sources(rules: Iterable[Rule]) -> dict[str, tuple[str, str]]:
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
    where = reported_sources(shipped_rules() if rules is None else tuple(rules))
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


def _doubt_frame(findings: pd.DataFrame, rules: tuple[Rule, ...]) -> pd.DataFrame:
    """One row per finding and code it questions (as :func:`doubts`): ``source``, ``code``, ``ref``, ``severity``,
    in the order of ``findings``."""
    cols = ["source", "code", "ref", "severity"]
    if findings.empty:
        return pd.DataFrame(columns=cols)
    family = {r.id: r.family for r in rules}
    keep = findings["severity"].isin(["error", "warning"]) & ~findings["rule"].map(family).isin(LABEL_FAMILIES)
    f = pd.DataFrame({"source": findings["source"], "ref": finding_refs(findings), "severity": findings["severity"],
                      "code": findings["codes"].astype(str).str.split("; ")})[keep.to_numpy()]
    f = f.explode("code")
    return f[f["code"].notna() & (f["code"] != "")][cols]


def _reported_frame(table: pd.DataFrame, rules: tuple[Rule, ...]) -> pd.DataFrame:
    """:func:`reported_figures` as a frame: ``source``, ``indicator``, ``reported``, ``reported_text``."""
    cols = ["source", "indicator", "reported", "reported_text"]
    where = reported_sources(rules)
    if not where or table.empty:
        return pd.DataFrame(columns=cols)
    spots = pd.DataFrame([(ident, kind, code) for ident, (kind, code) in where.items()],
                         columns=["indicator", "kind", "code"])
    rows = table[table["code"].isin(set(spots["code"]))].drop_duplicates(["source", "code"])
    rows = rows[["source", "code", "value", "raw_value", "note"]].merge(spots, on="code")
    written = note_percent_texts(rows["note"])
    parsed = {t: parse_number(t) for t in set(written) if t}
    from_note = written.map(lambda t: parsed.get(t)).astype(float)
    by_row = rows["kind"] == "row"
    figure = pd.to_numeric(rows["value"], errors="coerce").astype(float).where(by_row, from_note)
    text = rows["raw_value"].fillna("").astype(str).where(by_row, written)
    text = text.str.strip().str.rstrip("%").str.strip() + "%"
    out = pd.DataFrame({"source": rows["source"], "indicator": rows["indicator"], "reported": figure,
                        "reported_text": text})
    return out[out["reported"].notna()].drop_duplicates(["source", "indicator"])[cols]


def _targets_of(ind: pd.DataFrame, tlist: tuple[dict, ...], direction: pd.Series) -> pd.DataFrame:
    """Per row of ``ind``: the first target that applies (its value, op, citation, verified), decided once per
    distinct indicator, year and level; none for a ``neither`` indicator."""
    combos = ind[["indicator", "year", "level"]].drop_duplicates()
    chosen = []
    for ident, year, level in combos.itertuples(index=False, name=None):
        t = next((t for t in tlist if t["indicator"] == ident and applies(t, year, level)), None)
        chosen.append([ident, year, level, *((float(t["value"]), t["op"], target_text(t), bool(t.get("verified")))
                                             if t else (math.nan, "", "", False))])
    found = pd.DataFrame(chosen, columns=["indicator", "year", "level", "target", "target_op", "target_source",
                                          "target_verified"])
    out = ind[["indicator", "year", "level"]].merge(found, on=["indicator", "year", "level"], how="left")
    out.index = ind.index
    neither = (direction == "neither").to_numpy()  # a level (staffing): context, never judged
    out.loc[neither, ["target", "target_op", "target_source", "target_verified"]] = [math.nan, "", "", False]
    return out


def _refs_of(ind: pd.DataFrame, doubt: pd.DataFrame, codes_of: dict[str, list[str]]
             ) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Per row of ``ind``: the references of the findings on its inputs, errors first, each sorted, its
    warnings alone ("; "-joined), and whether an error is among them."""
    empty = pd.Series("", index=ind.index, dtype=object)
    if doubt.empty:
        return empty, empty.copy(), np.zeros(len(ind), dtype=bool)
    inputs = pd.DataFrame([(i, c) for i, cs in codes_of.items() for c in cs], columns=["indicator", "code"])
    rows = ind[["source", "indicator"]].assign(_row=np.arange(len(ind)))
    hits = rows.merge(inputs, on="indicator").merge(doubt, on=["source", "code"])
    hits = hits.drop_duplicates(["_row", "severity", "ref"]).sort_values(["_row", "severity", "ref"], kind="stable")
    # "error" sorts before "warning": each row's errors, then its warnings, each in the order of its references
    joined = hits.groupby("_row", sort=False)["ref"].agg("; ".join)
    warned = hits[hits["severity"] == "warning"].groupby("_row", sort=False)["ref"].agg("; ".join)
    pos = np.arange(len(ind))
    errored = np.zeros(len(ind), dtype=bool)
    errored[hits.loc[hits["severity"] == "error", "_row"].to_numpy()] = True
    return (pd.Series(joined.reindex(pos, fill_value="").to_numpy(dtype=object), index=ind.index),
            pd.Series(warned.reindex(pos, fill_value="").to_numpy(dtype=object), index=ind.index), errored)


def assess(table: pd.DataFrame, targets: Iterable[dict | str | Path] | None = None, *,
           ind: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
           rules: Iterable[Rule] | None = None, forms: Forms | None = None) -> pd.DataFrame:
    """One row per report and indicator: value, the unit's own figure, target, status, rank, change, findings.

    ``targets``: the targets to judge against, as loaded target records (a project's ``targets``), or
    targets files added to the shipped ones (default: the shipped targets only). ``rules``: the rules
    the findings come from (a project's ``rules``; default: the shipped ones). ``forms``: the forms the table was
    read against (a project's; default: the kit's), for ``ind`` and ``findings`` when they are not given.

    ``ind`` and ``findings`` may be passed when already computed (``indicators(table)``,
    ``validate(table)``), so that a briefing computes each once. ``rank`` is among the reports of
    the same year, coverage (a cumulative Q3 report ranks with 9-month ones, never with Q3 ones) and
    level in ``table`` (1 = best: the highest value, the lowest for an indicator whose ``direction`` is
    ``lower``; doubtful and blank values, levels such as staffing (``direction: neither``) and a unit
    with no peer are not ranked), ``peers`` how many were ranked. ``direction`` comes from the
    indicator's declaration; a ``neither`` indicator is never judged against a target.

    Two parts, each public: :func:`assess_reports`, what each report's rows are on their own (its findings, its
    target, its status), and :func:`rank_and_change`, what they are among the other reports (rank, peers, change
    against the year before). A computation kept between runs (``cchc_tools.pipeline``) recomputes the first for
    the changed reports only and the second over their peer groups.
    """
    from cchc_tools.analysis.selection import reports

    ind = indicators(table, forms) if ind is None else ind
    if ind.empty:
        return pd.DataFrame(columns=ASSESS_COLUMNS)
    own = assess_reports(table, targets, ind=ind, findings=findings, rules=rules, forms=forms)
    return rank_and_change(own, reports(table))


def assess_reports(table: pd.DataFrame, targets: Iterable[dict | str | Path] | None = None, *,
                   ind: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
                   rules: Iterable[Rule] | None = None, forms: Forms | None = None) -> pd.DataFrame:
    """The part of :func:`assess` each report's rows owe to that report alone (its figures, findings and target):
    every column of ``ASSESS_COLUMNS``, ``rank`` and ``peers`` blank and ``change`` NaN (:func:`rank_and_change`
    fills them). The rows of a report are the same whichever other reports ``table`` holds. Arguments as
    :func:`assess`'s.

    Whole columns at a time: the targets are chosen once per indicator, year and level, the findings on
    each indicator's inputs joined by source and code.
    """
    ind = indicators(table, forms) if ind is None else ind
    if ind.empty:
        return pd.DataFrame(columns=ASSESS_COLUMNS)
    rules = shipped_rules() if rules is None else tuple(rules)
    findings = validate(table, rules=rules, forms=forms) if findings is None else findings
    ind = ind.reset_index(drop=True)
    specs = {s["id"]: s for s in indicator_specs()}
    given = list(targets or ())
    tlist = tuple(given) if given and all(isinstance(t, dict) for t in given) else load_targets(given)
    codes_of = {i: [s["reported"]] if "reported" in s else list(s["numerator"]) + list(s["denominator"])
                for i, s in specs.items()}

    direction = ind["indicator"].map({i: s.get("direction", "higher") for i, s in specs.items()})
    refs, warned, errors = _refs_of(ind, _doubt_frame(findings, rules), codes_of)
    target = _targets_of(ind, tlist, direction)
    own = ind[["source", "indicator"]].merge(_reported_frame(table, rules), on=["source", "indicator"], how="left")
    reported = own["reported"].astype(float).to_numpy()
    value = ind["value"].astype(float).to_numpy()
    tv = target["target"].to_numpy(dtype=float)
    has_target = ~np.isnan(tv)
    with np.errstate(invalid="ignore"):
        ok = np.where(target["target_op"].to_numpy() == ">=", value >= tv, value <= tv)
    status = np.select([errors, np.isnan(value), ~has_target, ok],
                       ["doubtful", "not_reported", "no_target", "met"], default="below_target")
    return pd.DataFrame({
        "source": ind["source"], "unit": ind["unit"], "unit_name": ind["unit_name"], "level": ind["level"],
        "year": ind["year"].astype("Int64"), "period": ind["period"], "indicator": ind["indicator"],
        "section": ind["section"], "name_vi": ind["name_vi"], "value": value, "reported": reported,
        "reported_text": own["reported_text"].fillna("").to_numpy(dtype=object),
        "numerator": ind["numerator"], "denominator": ind["denominator"], "target": tv,
        "target_op": target["target_op"], "target_source": target["target_source"],
        "target_verified": target["target_verified"].astype(bool), "status": status,
        "rank": pd.array([pd.NA] * len(ind), dtype="Int64"), "peers": pd.array([pd.NA] * len(ind), dtype="Int64"),
        "change": math.nan, "findings": refs, "warnings": warned, "lines": ind["lines"], "reason": ind["reason"],
        "direction": direction, "shown": np.where(agrees_array(reported, value), reported, value)})


def rank_and_change(assessed: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """The part of :func:`assess` that is across reports, over the rows ``assessed`` (of :func:`assess_reports`,
    or of :func:`assess`: their ``rank``, ``peers`` and ``change`` are replaced): each row's ``rank`` among the
    rows of the same year, coverage, level and indicator, ``peers`` how many were ranked, and ``change``, its value
    minus the same unit's for the same coverage of the latest earlier year. ``reports``: ``source`` and
    ``coverage`` of the reports (``selection.reports``); a report not there is compared in its period.

    Ranks and changes are those of the reports ``assessed`` holds: all of a peer group's for its ranks, the
    earlier years of a unit for its change."""
    if assessed.empty:
        return pd.DataFrame(columns=ASSESS_COLUMNS)
    out = assessed.reset_index(drop=True)
    cover = reports.drop_duplicates("source").set_index("source")["coverage"]
    coverage = out["source"].map(cover).fillna(out["period"])
    rankable = out["value"].notna() & (out["status"] != "doubtful") & (out["direction"] != "neither")
    keyed = out["value"].where(out["direction"] != "lower", -out["value"])  # rank 1 = best either way
    grp = keyed[rankable].groupby([out["year"], coverage, out["level"], out["indicator"]], dropna=False)
    rank = grp.rank(ascending=False, method="min").reindex(out.index).astype("Int64")
    peers = grp.transform("size").reindex(out.index).astype("Int64")
    rank[peers < 2] = pd.NA  # a unit with no peer has no rank
    change = _change(out.assign(coverage=coverage))
    return out.assign(rank=rank, peers=peers, change=change, year=out["year"].astype("Int64"))[ASSESS_COLUMNS]


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
# the columns :func:`consolidate` reads of its indicators
RATIO_INPUTS = frozenset(GROUP + ["source", "indicator", "name_vi", "value", "numerator", "denominator", "unit",
                                  "unit_name"])


def _unit_names(frame: pd.DataFrame) -> list:
    """Each row's unit as a total names it: its name, else its slug."""
    return [n or u for n, u in zip(frame["unit_name"], frame["unit"], strict=True)]


def consolidate(table: pd.DataFrame, *, ind: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
                rules: Iterable[Rule] | None = None, forms: Forms | None = None) -> Consolidated:
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
    come from (default: the shipped ones); ``forms``: the forms the table was read against, whose draft rows add
    up as counts and yes/no rows too (a project's; default: the kit's).
    """
    forms = forms or KIT_FORMS
    ind = indicators(table, forms) if ind is None else ind
    rules = shipped_rules() if rules is None else tuple(rules)
    findings = validate(table, rules=rules, forms=forms) if findings is None else findings
    doubt = _doubt_frame(findings, rules)
    questioned = pd.MultiIndex.from_frame(doubt.loc[doubt["severity"] == "error", ["source", "code"]])
    cat = forms.by_code()
    # each row's report, code, year, period and level as a number (NA one number): the rows are told apart, kept
    # or left out and grouped by these numbers, whole columns at a time; the text is never copied row by row
    src_id, sources = pd.factorize(table["source"], use_na_sentinel=False)
    code_id, codes = pd.factorize(table["code"], use_na_sentinel=False)
    kinds = {c for c, e in cat.items() if e.kind in ("count", "flag")}
    counted = np.flatnonzero(table["code"].isin(kinds).to_numpy(dtype=bool))
    pair = src_id[counted].astype(np.int64) * (len(codes) + 1) + code_id[counted]
    once = ~pd.Series(pair).duplicated().to_numpy()  # a report's first row of a code
    rows, pair = counted[once], pair[once]
    src_at = {s: i for i, s in enumerate(sources.tolist())}
    code_at = {c: i for i, c in enumerate(codes.tolist())}
    asked = [src_at[s] * (len(codes) + 1) + code_at[c] for s, c in questioned if s in src_at and c in code_at]
    bad = np.isin(pair, np.array(asked, dtype=np.int64))
    first = np.unique(src_id, return_index=True)[1]  # each report's first row, in the table's order
    reports = table.iloc[first][GROUP + ["source"]]
    n_units = reports.groupby(GROUP, dropna=False)["source"].size().rename("units")
    keyed = [pd.factorize(table[c], use_na_sentinel=False) for c in GROUP]
    good = rows[~bad]
    value = np.asarray(table["value"], dtype=float)[good]
    numbered = pd.DataFrame({**{f"_{c}": k[good] for c, (k, _u) in zip(GROUP, keyed, strict=True)},
                             "_code": code_id[good], "value": value, "yes": (value > 0) & ~np.isnan(value)})
    g = numbered.groupby([f"_{c}" for c in GROUP] + ["_code"], sort=False)
    totals = pd.DataFrame({"sum": g["value"].sum(min_count=1), "units_reported": g["value"].count(),
                           "low": g["value"].min(), "high": g["value"].max(), "yes": g["yes"].sum()}).reset_index()
    # each key's values as a grouping by them gives them (an index of the distinct values: text as text)
    for c, (_k, uniques) in zip(GROUP, keyed, strict=True):
        totals[c] = pd.Index(uniques).infer_objects().take(totals.pop(f"_{c}").to_numpy())
    totals.insert(0, "code", pd.Index(codes).infer_objects().take(totals.pop("_code").to_numpy()))
    totals = totals[GROUP + ["code", "sum", "units_reported", "low", "high", "yes"]]
    rows = table.iloc[rows[bad]]
    # the left-out units of each row: counted and named per (year, period, level, code), whole columns at a time
    out_rows = rows[GROUP + ["code", "unit", "unit_name"]].astype(
        {c: object for c in ["period", "level", "code", "unit", "unit_name"]})
    out_rows = out_rows.assign(_name=_unit_names(out_rows))
    left_n = out_rows.groupby(GROUP + ["code"], dropna=False, sort=False).size().to_dict()
    left_names = (out_rows.drop_duplicates(GROUP + ["code", "_name"])
                  .groupby(GROUP + ["code"], dropna=False, sort=False)["_name"].agg("; ".join).to_dict())
    keys = list(zip(*(totals[c] for c in GROUP + ["code"]), strict=True))
    known = set(keys)
    missing = [k for k in left_n if k not in known]  # a row every unit's figure of is questioned
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
    totals["units_excluded"] = [left_n.get(k, 0) for k in keys]
    totals["excluded"] = [left_names.get(k, "") for k in keys]
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

    have = ind.loc[ind["value"].notna(), [c for c in ind.columns if c in RATIO_INPUTS]].copy()
    # a rate the unit reports adds up weighted by the count it is a share of (satisfaction by survey forms)
    weights = {s["weight"]: s["id"] for s in specs.values() if s.get("weight")}
    weighted = have["indicator"].isin(list(weights.values()))
    if weights and weighted.any():
        w = table[table["code"].isin(list(weights))].drop_duplicates(["source", "code"])
        weight_of = pd.DataFrame({"indicator": w["code"].map(weights), "source": w["source"], "_w": w["value"]})
        sub = have.loc[weighted, ["indicator", "source", "value"]]
        wv = sub[["indicator", "source"]].merge(weight_of, on=["indicator", "source"], how="left")["_w"]
        wv = wv.to_numpy(dtype=float)
        scale = sub["indicator"].map({i: float(s.get("scale", 100)) for i, s in specs.items()}).to_numpy(dtype=float)
        have.loc[weighted, "numerator"] = sub["value"].to_numpy(dtype=float) * wv / scale
        have.loc[weighted, "denominator"] = wv
    # a ratio is in doubt where a questioned figure is one of its inputs: the (source, indicator) pairs the few
    # questioned (source, code) pairs reach, matched against every row at once
    fed_by: dict[str, list[str]] = {}
    for i in specs:
        for c in inputs(i):
            fed_by.setdefault(c, []).append(i)
    reached = {(src, i) for src, code in questioned for i in fed_by.get(code, ())}
    doubtful = pd.Series(pd.MultiIndex.from_arrays([have["source"], have["indicator"]]).isin(list(reached))
                         if reached else np.zeros(len(have), dtype=bool), index=have.index, dtype=bool)
    # only what the totals below read, as plain objects: each group is sliced from these
    have = have[GROUP + ["indicator", "name_vi", "value", "numerator", "denominator", "unit", "unit_name"]]
    have = have.astype({c: object for c in ["period", "level", "indicator", "name_vi", "unit", "unit_name"]})
    # an indicator a level does not have (the district's dossiers on a commune's form): no row for that level
    pairs = have[["level", "indicator"]].drop_duplicates()
    absent = {(lv, i) for lv, i in zip(pairs["level"], pairs["indicator"], strict=True)
              if isinstance(lv, str) and lv and lv not in specs[i]["levels"]}
    if absent:
        keep = ~pd.MultiIndex.from_arrays([have["level"], have["indicator"]]).isin(list(absent))
        have, doubtful = have[keep], doubtful[keep]
    # each group's rows as positions into whole columns (each group's in their order), sliced, never a frame
    g = have.groupby(GROUP + ["indicator"], dropna=False, sort=False)
    number = g.ngroup().to_numpy()
    at = np.argsort(number, kind="stable")
    bounds = np.searchsorted(number[at], np.arange(g.ngroups + 1))
    value_a, num_a, den_a = (have[c].to_numpy(dtype=float) for c in ("value", "numerator", "denominator"))
    name_vi = have["name_vi"].to_numpy(dtype=object)
    unit_names = np.asarray(_unit_names(have), dtype=object)
    doubt_a = doubtful.to_numpy(dtype=bool)
    rows = []
    for n, (year, period, level, ident) in enumerate(g.size().index):
        idx = at[bounds[n]:bounds[n + 1]]
        out_idx, idx = idx[doubt_a[idx]], idx[~doubt_a[idx]]
        excluded = "; ".join(dict.fromkeys(unit_names[out_idx]))
        if not len(idx):
            rows.append([year, period, level, ident, name_vi[out_idx[0]], math.nan, math.nan, math.nan, 0,
                         math.nan, math.nan, math.nan, len(out_idx), excluded])
            continue
        value = num = den = math.nan
        if specs[ident]["aggregate"] == "rate":  # recomputed from the summed counts, never an average of rates
            both = idx[~np.isnan(num_a[idx]) & ~np.isnan(den_a[idx])]
            if len(both):
                num, den = float(num_a[both].sum()), float(den_a[both].sum())
            scale = specs[ident].get("scale", 100)
            value = num / den * scale if pd.notna(num) and pd.notna(den) and den > 0 else math.nan
        q1, med, q3 = np.percentile(value_a[idx], [25, 50, 75])
        rows.append([year, period, level, ident, name_vi[idx[0]], value, num, den, len(idx), med, q1, q3,
                     len(out_idx), excluded])
    ratios = pd.DataFrame(rows, columns=GROUP + ["indicator", "name_vi", "value", "numerator", "denominator",
                                                 "units", "median", "q1", "q3", "units_excluded", "excluded"])
    return Consolidated(totals, ratios)
