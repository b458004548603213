"""Choosing a report from a loaded table: by unit slug, year and period, with a clear error otherwise."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cchc_tools.errors import UnknownUnitError
from cchc_tools.i18n import _

if TYPE_CHECKING:
    from cchc_tools.forms import Forms

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


def check_slug(unit: str) -> str:
    """A unit slug is lower-case ASCII letters, digits and dashes: it can never name a path."""
    unit = str(unit)
    if not SLUG.match(unit):
        raise UnknownUnitError(_("invalid unit {unit!r}: use the unit's slug, lower-case letters, digits and '-' "
                                 "(for example vinh-chau), or its name").format(unit=unit))
    return unit


_NAME = re.compile(r"[^\W_][\w \-]{0,199}")


def unit_from_name(text: str) -> str:
    """The slug of a unit given by its Vietnamese name: ``Vĩnh Châu`` or ``thị xã Vĩnh Châu`` -> ``vinh-chau``.

    Only names made of letters, digits, spaces and dashes are converted; anything else (``../x``)
    is returned unchanged for :func:`check_slug` to refuse.
    """
    text = str(text).strip()
    if SLUG.match(text) or not _NAME.fullmatch(text):
        return text
    from cchc_tools.ingest.header import unit_slug

    return unit_slug(text) or text


# why a report is left out of every page, total and rank (``left_out``), and how a reader is told so
LEFT_OUT_VI = {"outside": "Ngoài địa bàn", "superseded": "Đã có báo cáo sau thay thế"}
MARKS = ["kept", "left_out", "replaced_by"]


def reports(table: pd.DataFrame, province: str = "") -> pd.DataFrame:
    """One row per report: source, unit, unit_name, level, year, period, synthetic and report details
    (and form, unit_code, province when the table has them), sorted by unit, then in calendar order:
    year, then period (Q1 < Q2 < 6-month < Q3 < 9-month < Q4 < H2 < annual, see ``periods.PERIODS``).

    ``coverage`` is the stretch of the year the report's figures cover: its period, or for a report
    whose title says its figures are cumulative ("lũy kế"), January to the period's end. Reports are
    compared only with reports of the same coverage.

    Every report is marked, once for every page: ``kept`` (True for a report the pages, totals and ranks
    count), else ``left_out`` says why (``LEFT_OUT``; in Vietnamese ``LEFT_OUT_VI``): ``outside``, a unit
    outside ``province`` (the project's, ``Project.province``; not told without it, see
    ``units.outside_province``), or ``superseded``, an earlier report of the same unit, year and period
    than another (by report date, then by file name), whose source is ``replaced_by``. Select with
    :func:`kept_reports`."""
    from cchc_tools.periods import coverage, period_order

    cols = ["source", "unit", "unit_name", "level", "year", "period", "report_no", "report_date", "synthetic"]
    cols += [c for c in ("form", "unit_code", "province") if c in table.columns]
    if table.empty:
        return pd.DataFrame(columns=cols + ["coverage"] + MARKS)
    reps = table.drop_duplicates("source")[cols]
    whole = (table.groupby("source", sort=False)["cumulative"].all() if "cumulative" in table.columns
             else pd.Series(False, index=reps["source"]))
    reps = reps.assign(coverage=[coverage(p, bool(whole.get(s, False)))
                                 for p, s in zip(reps["period"], reps["source"], strict=True)])
    order = reps["period"].map(period_order)
    reps = (reps.assign(_p=order).sort_values(["unit", "year", "_p", "source"], kind="stable")
            .drop(columns="_p").reset_index(drop=True))
    return _mark(reps, province)


def unit_key(rep) -> str:
    """What makes two reports one unit's: its official code, else its folded name (a department), else its slug."""
    from cchc_tools.units import name_key

    def text(key: str) -> str:
        value = rep.get(key)
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    code = text("unit_code")
    if code:
        return code
    name = text("unit_name")
    return name_key(name) if name else f"slug:{text('unit')}"


def _mark(reps: pd.DataFrame, province: str) -> pd.DataFrame:
    """``reps`` with ``kept``, ``left_out`` and ``replaced_by`` (see :func:`reports`)."""
    from cchc_tools.units import outside_province

    codes = reps["unit_code"] if "unit_code" in reps else pd.Series("", index=reps.index)
    far = pd.Series([outside_province(str(c or ""), province, None if pd.isna(y) else int(y), str(p or ""))
                     for c, y, p in zip(codes.fillna(""), reps["year"], reps["period"], strict=True)],
                    index=reps.index, dtype=bool)
    left = pd.Series("", index=reps.index, dtype=object)
    left[far] = "outside"
    replaced = pd.Series("", index=reps.index, dtype=object)
    # a report without a year or period (its title gives none) is never said to supersede, or be superseded by,
    # another: it is briefed by no page anyway, and the batch names it (``batch.tasks.plan_all``)
    dated = reps["year"].notna() & reps["period"].fillna("").astype(str).ne("")
    inside = reps[~far & dated]
    if len(inside):
        keys = pd.Series([unit_key(r) for r in inside[["unit_code", "unit_name", "unit"]
                                                      if "unit_code" in inside else ["unit_name", "unit"]]
                          .to_dict("records")], index=inside.index)
        when = inside["report_date"].fillna("").astype(str)  # ISO dates (ingest.header): ordered as text
        order = pd.DataFrame({"_k": keys, "_y": inside["year"].astype(str), "_p": inside["period"].astype(str),
                              "_d": when, "_s": inside["source"].astype(str)}).sort_values(
            ["_k", "_y", "_p", "_d", "_s"], kind="stable")
        latest = order.groupby(["_k", "_y", "_p"], sort=False, dropna=False)["_s"].transform("last")
        earlier = latest.index[latest.ne(order["_s"])]
        left[earlier] = "superseded"
        replaced[earlier] = latest[earlier]
    return reps.assign(kept=left.eq(""), left_out=left, replaced_by=replaced)


def kept_reports(reps: pd.DataFrame) -> pd.DataFrame:
    """The reports of :func:`reports` that the pages, totals and ranks count (``kept``)."""
    return reps[reps["kept"].astype(bool)] if "kept" in reps else reps


def report_listing(reps: pd.DataFrame, asked: str = "", limit: int = 12) -> str:
    """What exists, for an error message: close matches first, at most ``limit`` units."""
    import difflib

    if reps.empty:
        return _("no appendices were found")
    units = sorted(reps["unit"].unique())
    close = difflib.get_close_matches(asked, units, n=3, cutoff=0.6) if asked else []
    shown = close + [u for u in units if u not in close][: max(0, limit - len(close))]
    parts = []
    for u in shown:
        g = reps[reps["unit"] == u]
        periods = sorted({f"{int(y)} {p}" for y, p in zip(g["year"], g["period"], strict=True)})
        parts.append(f"{u}: {', '.join(periods)}")
    more = _("; and {n} more units").format(n=len(units) - len(shown)) if len(units) > len(shown) else ""
    hint = _("did you mean {names}? ").format(names=" / ".join(close)) if close and asked not in close else ""
    return hint + _("available: {listing}").format(listing="; ".join(parts)) + more


def pick_report(table: pd.DataFrame, year, unit: str, period: str = "annual",
                reps: pd.DataFrame | None = None) -> pd.Series:
    """The report of a unit for a year and period that the pages count (``kept``, see :func:`reports`; ``reps``:
    the marked reports of ``table``, as ``Computed.reports`` keeps them with the project's province); a clear
    error listing what exists otherwise, or saying why the unit's report is left out (a unit outside the
    province gets no briefing)."""
    check_slug(unit)
    reps = reports(table) if reps is None else reps
    hit = reps[(reps["unit"] == unit) & (reps["year"] == int(year)) & (reps["period"] == period)]
    kept = kept_reports(hit)
    if kept.empty:
        why = (f"{LEFT_OUT_VI.get(str(hit['left_out'].iloc[-1]), '')} ({hit['source'].iloc[-1]})" if len(hit)
               else report_listing(kept_reports(reps), unit))
        raise UnknownUnitError(_("no {period} appendix for unit {unit!r} in {year}; {listing}").format(
            period=period, unit=unit, year=year, listing=why))
    return kept.iloc[-1]


# --- what a level's pages show ------------------------------------------------------------------

def _form_codes(name: str, known: Forms | None) -> frozenset[str] | None:
    from cchc_tools.forms import form_codes

    try:
        return form_codes(name, known) if name else None
    except Exception:  # noqa: BLE001 - a form the kit no longer knows: judge by the level alone
        return None


def applicable(frame: pd.DataFrame, forms: pd.DataFrame | None = None, known: Forms | None = None) -> pd.DataFrame:
    """The rows of an indicator frame (``indicators``, ``assess``: ``source``, ``level``, ``indicator``) that
    their report can have: the indicator declares the report's level (``levels`` in ``indicators.yaml``) and,
    where the report's form is known, the form asks every one of its inputs.

    ``forms``: any frame with ``source`` and ``form`` columns (the tidy table, or :func:`reports`); without
    it only the level decides; ``known``: the set of forms those names are looked up in (a project's,
    ``Project.forms``; default: the kit's). Every view selects its indicators through this, so that a commune's page
    never shows a district's indicator as "chưa đủ số liệu". A report of an unknown level keeps them all.
    """
    from cchc_tools.analysis.specs import indicator_applies, indicator_inputs, indicator_specs

    if frame.empty:
        return frame
    specs = {s["id"]: s for s in indicator_specs()}
    form_of: dict[str, str] = {}
    if forms is not None and "form" in forms.columns and len(forms):
        firsts = forms.drop_duplicates("source")
        form_of = {s: str(f or "") for s, f in zip(firsts["source"], firsts["form"].fillna(""), strict=True)}

    def keep(level: str, form: str, ident: str) -> bool:
        ok = ident in specs and indicator_applies(ident, level)
        codes = _form_codes(form, known) if ok else None
        if ok and codes is not None:
            ok = set(indicator_inputs(specs[ident])) <= codes
        return ok

    # decided once per (level, form, indicator), not per row: a few hundred combinations for thousands of rows
    levels = frame["level"].astype(object).where(frame["level"].notna(), "").astype(str)
    form = frame["source"].map(form_of).astype(object).fillna("") if form_of else ""
    keys = pd.DataFrame({"level": levels, "form": form,
                         "indicator": frame["indicator"].astype(object)}, index=frame.index)
    group = keys.groupby(["level", "form", "indicator"], sort=False, dropna=False).ngroup().to_numpy()
    combos = keys.drop_duplicates()  # in the order of the groups' numbers (first seen, first numbered)
    decided = np.array([keep(lv, fm, i) for lv, fm, i in zip(combos["level"], combos["form"], combos["indicator"],
                                                               strict=True)], dtype=bool)
    return frame[decided[group]]


def headline_ids(level: str, assessed: pd.DataFrame | None = None) -> list[str]:
    """The indicators a page of ``level`` leads with: ``headline`` of ``data/levels.yaml``, then every indicator
    of the level that has a target in force (a target reaches a view through ``assess``'s ``target`` column:
    the project's targets and the shipped ones), in the order of ``indicators.yaml``.

    ``assessed``: the assessment the page shows (its rows of ``level`` are read); without it only the
    levels file speaks. With it, only indicators it holds are named. An unknown level (``""``) leads with every
    level's headline indicators, in the order of ``indicators.yaml``."""
    from cchc_tools.analysis.specs import indicator_applies, indicator_specs, level_specs

    levels = level_specs()
    if level in levels:
        ids = list(levels[level]["headline"])
    else:
        every = {i for spec in levels.values() for i in spec["headline"]}
        ids = [s["id"] for s in indicator_specs() if s["id"] in every]
    if assessed is None:
        return ids
    a = assessed[assessed["level"] == level] if level in levels and "level" in assessed else assessed
    if "target" in a:
        targeted = set(a.loc[a["target"].notna(), "indicator"])
        ids += [s["id"] for s in indicator_specs()
                if s["id"] in targeted and s["id"] not in ids and indicator_applies(s["id"], level)]
    present = set(a["indicator"])
    return [i for i in ids if i in present]


def rank_by(level: str, assessed: pd.DataFrame | None = None) -> str:
    """The indicator a league table of ``level`` is ranked by (``rank_by`` of ``data/levels.yaml``). An unknown
    level: the first level's measure that ``assessed`` has a value of (else the first level's)."""
    from cchc_tools.analysis.specs import level_specs

    levels = level_specs()
    if level in levels:
        return levels[level]["rank_by"]
    measures = [spec["rank_by"] for spec in levels.values()]
    if assessed is not None and len(assessed):
        have = set(assessed.loc[assessed["value"].notna(), "indicator"])
        return next((m for m in measures if m in have), measures[0])
    return measures[0]


def weakest(assessed: pd.DataFrame, indicator: str, n: int = 3) -> pd.DataFrame:
    """The units that did worst on ``indicator`` among their peers (same year, coverage and level), lowest first.

    A unit is named only when its figure means something low: below the indicator's target when one is in
    force (``target``; and not above the peers' median), else below the peers' median; never the best
    figure (all tied: nobody is lowest), never a figure an error questions (``doubtful``), never a blank,
    never a level such as staffing (``direction: neither``), never a unit without peers. Of those, the ``n``
    lowest, and every unit tied with the last of them. Figures are compared as a page shows them (two
    decimals). :func:`weakest_each` answers for several indicators at once."""
    return weakest_each(assessed, [indicator], n)[indicator]


def weakest_each(assessed: pd.DataFrame, indicators, n: int = 3) -> dict[str, pd.DataFrame]:
    """:func:`weakest` of every one of ``indicators`` (indicator -> its frame, the same rows in the same order
    as ``weakest(assessed, indicator, n)``), found in one pass over ``assessed``: each (indicator, year,
    coverage, level) group is ranked once, whatever the number of indicators asked."""
    import numpy as np

    from cchc_tools.analysis.specs import indicator_specs

    wanted = list(dict.fromkeys(indicators))
    directions: dict[str, object] = {}
    for s in indicator_specs():  # the first spec of an id, as ``weakest`` always read it
        directions.setdefault(s["id"], s.get("direction"))
    mask = assessed["indicator"].isin(wanted) & assessed["value"].notna()
    if "status" in assessed:
        mask &= assessed["status"] != "doubtful"
    if "direction" in assessed:
        mask &= assessed["direction"] != "neither"
    ranked = [i for i in wanted if directions.get(i) != "neither"]  # a level such as staffing is never "lowest"
    mask &= assessed["indicator"].isin(ranked)
    sub = assessed[mask]
    none = assessed.iloc[0:0]
    out = dict.fromkeys(wanted, none)
    if sub.empty:
        return out
    ident = sub["indicator"]
    sign = np.where(ident.map(lambda i: directions.get(i) == "lower").to_numpy(dtype=bool), -1.0, 1.0)
    good = sub["value"].astype(float).round(2) * sign  # higher is better
    keys = [c for c in ("year", "coverage", "level") if c in sub]
    groups = [sub[k].astype(str) for k in keys]
    grouped = good.groupby([ident, *groups], dropna=False)
    best, median, size = grouped.transform("max"), grouped.transform("median"), grouped.transform("size")
    targeted = sub["target"].notna() if "target" in sub else pd.Series(False, index=sub.index)
    missed = sub["status"].eq("below_target") if "status" in sub else pd.Series(False, index=sub.index)
    weak = ((size >= 2) & (good < best) & pd.Series(np.where(targeted, missed & (good <= median), good < median),
                                                    index=sub.index)).to_numpy(dtype=bool, copy=True)
    # a group whose key is blank is ranked (above) but never named, as a ``groupby`` that drops blank keys does
    for g in groups:
        weak &= g.notna().to_numpy(dtype=bool)
    at = np.flatnonzero(weak)
    if not len(at) or n <= 0:
        return out
    gid = grouped.ngroup().to_numpy()[at]
    low = good.to_numpy()[at]
    by_group = pd.Series(low).groupby(gid)
    # the groups in the order their first weak figure comes
    first = pd.Series(np.arange(len(at))).groupby(gid).transform("min").to_numpy()
    # of each group's weak figures the n lowest and every one tied with the last: fewer than n are strictly lower
    keep = by_group.rank(method="min").to_numpy() <= n
    at, first, low = at[keep], first[keep], low[keep]
    # lowest first; a tie keeps the order of the groups, then of the rows
    at = at[np.lexsort((at, first, low))]
    names = ident.to_numpy()[at]
    for i in ranked:
        pos = at[names == i]
        if len(pos):
            out[i] = sub.iloc[pos]
    return out


def legacy_mask(reps: pd.DataFrame) -> pd.Series:
    """Which of ``reports``' rows are a legacy unit's (before 1/7/2025: a district, or a commune since merged), by
    their official code, year and period; a row without a code is not."""
    from cchc_tools.units import is_legacy

    return pd.Series([is_legacy(c, None if pd.isna(y) else int(y), p) if c else False
                      for c, y, p in zip(reps["unit_code"], reps["year"], reps["period"], strict=True)],
                     index=reps.index, dtype=bool)


def legacy_reports(reps: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """Reports of the legacy units (before 1/7/2025) that a current unit was formed from."""
    from cchc_tools.units import predecessors

    if "unit_code" not in reps or mine.empty:
        return reps.iloc[0:0]
    codes = {c for c in mine["unit_code"] if c}
    current = [c for c, old in zip(mine["unit_code"], legacy_mask(mine), strict=True) if c and not old]
    olds = {old for c in set(current) for lv in ("commune", "district") for old, _ in predecessors(c, lv)} - codes
    return reps[reps["unit_code"].isin(olds) & legacy_mask(reps)]


def current_era(mine: pd.DataFrame) -> pd.DataFrame:
    """A slug's reports of one unit: when the short name is shared by a legacy unit and a current one (thị xã
    Vĩnh Châu until 30/6/2025, phường Vĩnh Châu since), the current unit's reports; the legacy unit's are then
    its predecessors' (:func:`legacy_reports`), shown beside, never joined into one series."""
    if "unit_code" not in mine or mine.empty:
        return mine
    legacy = legacy_mask(mine)
    current = mine["unit_code"].astype(str).ne("") & ~legacy
    # a commune that kept its code through the reform (xã Vĩnh Hải, 31795) is one unit in both eras
    other = legacy & ~mine["unit_code"].isin(set(mine.loc[current, "unit_code"]))
    return mine[~other] if current.any() and other.any() else mine
