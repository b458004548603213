"""The digest: a plain-text message of at most 2,000 characters (Zalo's limit) for the leaders' chat group.

What it says, in this order: the reporting state (received, late, missing), the province totals of the
headline indicators against their targets (recomputed from summed counts, figures an error questions left
out: :mod:`cchc_tools.cycle.appendix`), on each headline indicator of the level (``data/levels.yaml``, and every
indicator with a target in force) the at most five lowest units below the target or, without one, below the
median (ties named, a doubtful figure never ranked, nobody when all are tied), and the units whose figures
are in doubt (named with the findings' references, their figures not stated). Vietnamese numbers throughout;
wording in ``data/digest.yaml``.
When the message would be too long, the last parts are dropped first and a line says where to read more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from cchc_tools.analysis.aggregate import ratio_basis
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.cycle.appendix import ConsolidatedAppendix
from cchc_tools.cycle.status import ReportingStatus
from cchc_tools.numbers import fmt_percent
from cchc_tools.paths import PACKAGE_DATA
from cchc_tools.periods import date_vi
from cchc_tools.text import visible

DIGEST_YAML = PACKAGE_DATA / "digest.yaml"
LIMIT = 2000
LOWEST = 5
_TOTAL = frozenset({"name", "value", "basis", "target", "units"})
DIGEST_SCHEMA: dict[str, frozenset[str]] = {
    "title": frozenset({"when", "province"}), "synthetic": frozenset(),
    "reporting": frozenset({"received", "roster", "late", "missing", "unreadable"}),
    "coverage_low": frozenset({"received", "roster", "share", "threshold"}),
    "reporting_unknown": frozenset({"received"}), "due": frozenset({"due"}), "missing_list": frozenset({"list"}),
    "totals_heading": frozenset({"scope"}), "total_met": _TOTAL, "total_below": _TOTAL, "total_plain": _TOTAL,
    "lowest_heading": frozenset(), "lowest_line": frozenset({"indicator", "list"}), "doubt_heading": frozenset(),
    "doubt_line": frozenset({"unit", "refs"}), "more": frozenset()}


@dataclass
class Digest:
    text: str
    dropped: int  # parts left out to stay within the limit


def lowest_units(assessed: pd.DataFrame, indicator: str, n: int = LOWEST) -> list[tuple[float, list[str]]]:
    """The units that did worst on ``indicator`` as (value, [names]) from lowest up
    (:func:`cchc_tools.analysis.selection.weakest`): below the target in force, else below their level's
    median; never the best figure, never all units when all are tied, never a doubtful or blank figure, never
    a level such as staffing. At most ``n``, and every unit tied with the n-th."""
    from cchc_tools.analysis.selection import weakest

    low = weakest(assessed, indicator, n)
    if low.empty:
        return []
    shown = low["shown"] if "shown" in low else low["value"]  # the unit's own figure when it agrees with its counts
    low = low.assign(_v=shown.astype(float).round(2)).sort_values(["_v", "unit_name"], kind="stable")
    return [(float(v), [str(x) for x in g["unit_name"]]) for v, g in low.groupby("_v", sort=True)]


def _lowest_text(groups: list[tuple[float, list[str]]]) -> str:
    parts = []
    for v, names in groups:
        parts.append(f"{', '.join(names)} ({'cùng ' if len(names) > 1 else ''}{fmt_percent(v)})")
    return "; ".join(parts)


def _target(indicator: str, year: int, level: str, targets: Iterable[dict] | None):
    from cchc_tools.analysis.targets import applies, load_targets

    for t in (load_targets() if targets is None else targets):
        if t["indicator"] == indicator and applies(t, year, level):
            return t
    return None


def build_digest(status: ReportingStatus | None, app: ConsolidatedAppendix, assessed: pd.DataFrame,
                 findings: pd.DataFrame, *, province: str = "", targets: Iterable[dict] | None = None,
                 limit: int = LIMIT, ratios: pd.DataFrame | None = None) -> Digest:
    """The digest of a period. ``assessed`` and ``findings``: the period's (``Computed.assessed`` ...);
    ``ratios``: the province totals the pages show (``consolidate(...).ratios`` of the period and level), so
    that the digest and the comparison state one total; default: the consolidated appendix's."""
    from cchc_tools.analysis.selection import applicable, headline_ids
    from cchc_tools.cycle.appendix import province_title
    from cchc_tools.cycle.wording import wording
    from cchc_tools.periods import period_in_sentence
    from cchc_tools.units import era_is_legacy, province_scope

    w = wording(DIGEST_YAML, DIGEST_SCHEMA)
    who = province or province_title(app)
    who = who[:1].upper() + who[1:]
    head = [w["title"].format(when=period_in_sentence(app.period, app.year), province=who)]
    if app.synthetic:
        head.insert(0, w["synthetic"])
    parts: list[list[str]] = []  # in order of importance: the last are dropped first
    if status is not None:
        t = status.totals()
        rep = [w["reporting"].format(received=t["received"] + t["late"], roster=t["roster"], late=t["late"],
                                     missing=t["missing"], unreadable=t["unreadable"])]
        if status.due:
            rep.append(w["due"].format(due=date_vi(status.due)))
        if status.coverage_low():  # too few units to report upward: said before any total
            rep.append(w["coverage_low"].format(received=t["received"] + t["late"], roster=t["roster"],
                                                share=fmt_percent(status.coverage()), threshold=status.min_coverage))
        parts.append(rep)
    else:
        parts.append([w["reporting_unknown"].format(received=len(app.units))])
    scope = province_scope(province or app.province, era_is_legacy(app.year, app.period))
    totals = [w["totals_heading"].format(scope=scope)]
    ratios = (app.ratios if ratios is None else ratios).set_index("indicator")
    assessed = applicable(assessed)  # only indicators the level has
    # what the level leads with (data/levels.yaml) and every indicator of it with a target in force
    leads = headline_ids(app.level, assessed) if len(assessed) else headline_ids(app.level)
    heads = [i for i in leads if i in ratios.index and pd.notna(ratios.loc[i, "value"])]
    for ident in heads:
        r = ratios.loc[ident]
        basis = ratio_basis(next(s for s in indicator_specs() if s["id"] == ident), r["numerator"], r["denominator"])
        tg = _target(ident, app.year, app.level, targets)
        values = {"name": r["name_vi"], "value": fmt_percent(r["value"]), "basis": basis, "units": int(r["units"])}
        if tg is None:
            totals.append(w["total_plain"].format(target="", **values))
        else:  # a target is never stated without its source
            from cchc_tools.analysis.targets import cite_target

            op = tg["op"].replace(">=", "≥").replace("<=", "≤")
            ok = r["value"] >= tg["value"] if tg["op"] == ">=" else r["value"] <= tg["value"]
            cite = cite_target("theo " + str(tg["source"]), bool(tg.get("verified")), short=True)
            target = f"{op} {fmt_percent(tg['value'])} {cite}"
            totals.append(w["total_met" if ok else "total_below"].format(target=target, **values))
    if len(totals) > 1:
        parts.append(totals)
    lows = [w["lowest_heading"]]
    for ident in heads:  # only units below the target or the median; never a level such as staffing
        groups = lowest_units(assessed, ident)
        if groups:
            lows.append(w["lowest_line"].format(indicator=ratios.loc[ident, "name_vi"], list=_lowest_text(groups)))
    errs = findings[findings["severity"] == "error"]
    if len(errs):
        from cchc_tools.analysis.assess import finding_refs

        refs = finding_refs(findings)
        by_unit: dict[str, list[str]] = {}
        unit_names = dict(zip(assessed["source"], assessed["unit_name"], strict=True))
        for src, ref in zip(findings["source"], refs, strict=True):
            if ref.startswith("L") and not ref.startswith("LY"):
                by_unit.setdefault(unit_names.get(src, src), []).append(ref)
        parts.append([w["doubt_heading"]] + [w["doubt_line"].format(unit=u, refs=", ".join(r))
                                             for u, r in by_unit.items()])
    if len(lows) > 1:  # after the figures in doubt: the lowest list is cut first when the digest is long
        parts.append(lows)
    if status is not None:
        miss = status.rows[status.rows["in_roster"] & (status.rows["state"] == "missing")]["name"].tolist()
        if miss:
            shown = ", ".join(miss[:15]) + (f" và {len(miss) - 15} đơn vị khác" if len(miss) > 15 else "")
            parts.append([w["missing_list"].format(list=shown)])
    return _fit(head, parts, w["more"], limit)


def _fit(head: list[str], parts: list[list[str]], more: str, limit: int) -> Digest:
    """Join the parts, dropping lines from the end (then whole parts) until the text fits ``limit``."""
    dropped = 0
    while True:
        blocks = ["\n".join(head)] + ["\n".join(p) for p in parts if p]
        text = "\n\n".join(blocks) + ("\n\n" + more if dropped else "")
        if len(text) <= limit or not parts:
            break
        last = parts[-1]
        if len(last) > 2:
            last.pop()
        else:
            parts.pop()
        dropped += 1
    if len(text) > limit:  # a title alone too long: cut at the limit, never beyond
        text = text[: limit - 1] + "…"
    return Digest(visible(text), dropped)  # no bidi control or invisible character of a name in the message
