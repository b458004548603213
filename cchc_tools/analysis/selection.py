"""Choosing a report from a loaded table: by unit slug, year and period, with a clear error otherwise."""

from __future__ import annotations

import re

import pandas as pd

from cchc_tools.errors import UnknownUnitError
from cchc_tools.i18n import _

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


def reports(table: pd.DataFrame) -> pd.DataFrame:
    """One row per report: source, unit, unit_name, level, year, period, synthetic and report details
    (and form, unit_code, province when the table has them), sorted by unit, then in calendar order:
    year, then period (Q1 < Q2 < 6-month < Q3 < 9-month < Q4 < H2 < annual, see ``periods.PERIODS``).

    ``coverage`` is the stretch of the year the report's figures cover: its period, or for a report
    whose title says its figures are cumulative ("lũy kế"), January to the period's end. Reports are
    compared only with reports of the same coverage."""
    from cchc_tools.periods import coverage, period_order

    cols = ["source", "unit", "unit_name", "level", "year", "period", "report_no", "report_date", "synthetic"]
    cols += [c for c in ("form", "unit_code", "province") if c in table.columns]
    if table.empty:
        return pd.DataFrame(columns=cols + ["coverage"])
    reps = table.drop_duplicates("source")[cols]
    whole = (table.groupby("source", sort=False)["cumulative"].all() if "cumulative" in table.columns
             else pd.Series(False, index=reps["source"]))
    reps = reps.assign(coverage=[coverage(p, bool(whole.get(s, False)))
                                 for p, s in zip(reps["period"], reps["source"], strict=True)])
    order = reps["period"].map(period_order)
    return (reps.assign(_p=order).sort_values(["unit", "year", "_p", "source"], kind="stable")
            .drop(columns="_p").reset_index(drop=True))


def _listing(reps: pd.DataFrame, asked: str = "", limit: int = 12) -> str:
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


def pick_report(table: pd.DataFrame, year, unit: str, period: str = "annual") -> pd.Series:
    """The report of a unit for a year and period; a clear error listing what exists otherwise."""
    check_slug(unit)
    reps = reports(table)
    hit = reps[(reps["unit"] == unit) & (reps["year"] == int(year)) & (reps["period"] == period)]
    if hit.empty:
        raise UnknownUnitError(_("no {period} appendix for unit {unit!r} in {year}; {listing}").format(
            period=period, unit=unit, year=year, listing=_listing(reps, unit)))
    return hit.iloc[-1]
