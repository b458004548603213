"""The analyst's workspace: one object over a data folder that answers the quarterly questions in one line.

``cchc_tools.open()`` loads the folder once (from its snapshot) through the same computation the
briefings use (:func:`cchc_tools.pipeline.computed`: indicators, findings, assessment with
targets and ranks), and every method selects from it: nothing here computes an indicator, a rank or a
total of its own. Each method returns a :class:`~cchc_tools.workbench.accessor.KitFrame`, a DataFrame
whose columns keep the kit's English names (for code) and whose display is a Vietnamese table (the
``.cchc`` accessor: Vietnamese number format, questioned figures marked with their finding).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from cchc_tools.analysis.assess import consolidate, doubts, finding_refs, reported_sources
from cchc_tools.analysis.selection import applicable, headline_ids, kept_reports, unit_from_name
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.catalog import by_code
from cchc_tools.errors import CchcError, UnknownUnitError
from cchc_tools.periods import (
    PERIODS,
    date_vi,
    period_in_sentence,
    period_name,
    period_order,
    period_phrase,
    previous_period,
)
from cchc_tools.pipeline import Computed, computed, resolve_data_dir
from cchc_tools.project import PROJECT_FILE, Project, load_project
from cchc_tools.vocabulary import LEVEL_VI
from cchc_tools.workbench.accessor import KitFrame, kit_frame
from cchc_tools.workbench.names import name_key

SPECS = {s["id"]: s for s in indicator_specs()}


class UnknownIndicatorError(CchcError, KeyError):
    """An indicator or catalog code that the kit does not know; the message lists close ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _source_of(project_or_folder: Any) -> tuple[Project, str | Path | None]:
    """The project and the data folder to open: a :class:`Project` and its data; a project's folder (holding
    ``cchc.toml``) or its ``cchc.toml``; any other folder: the data folder, read with the project found from
    the working directory upward; ``None``: that project and its data."""
    if isinstance(project_or_folder, Project):
        return project_or_folder, None
    if project_or_folder is None or (isinstance(project_or_folder, str) and not project_or_folder.strip()):
        return load_project(None), None
    if not isinstance(project_or_folder, str | Path):
        raise TypeError(f"open() takes a project or a data folder, not {type(project_or_folder).__name__}")
    p = Path(project_or_folder)
    if p.name == PROJECT_FILE or (p / PROJECT_FILE).is_file():
        return load_project(p), None
    return load_project(None), p


def _own_cache(project: Project, folder: Path) -> Project:
    """A data folder outside the project it is read with keeps its snapshot out of that project (never in the
    kit's own folder): beside the folder (``.cchc-cache/``) when its parent is writable, else in the user's cache
    (``~/.cache/cchc-kit``). A cache the project sets itself (``CCHC_CACHE_DIR``) is kept."""
    import dataclasses
    import hashlib
    import os

    folder = folder.resolve()
    if "CCHC_CACHE_DIR" in project.overrides or folder.is_relative_to(project.root):
        return project
    if os.access(folder.parent, os.W_OK):
        cache = folder.parent / ".cchc-cache" / folder.name
    else:
        digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
        cache = Path.home() / ".cache" / "cchc-kit" / f"{folder.name}-{digest}"
    return dataclasses.replace(project, cache=cache)


@dataclass
class Workspace:
    """A province's appendices, computed once, with one method per question an analyst is asked."""

    data_dir: Path
    data: Computed
    project: Project
    _frames: dict = field(default_factory=dict, init=False, repr=False)

    # -- the computation, selected ------------------------------------------------------------
    @cached_property
    def reports(self) -> pd.DataFrame:
        """One row per report the pages count (``analysis.selection.kept_reports``: no unit outside the province,
        no report superseded by a later one): unit, name, level, year, period, coverage."""
        return kept_reports(self.data.reports)

    @cached_property
    def _coverage(self) -> pd.Series:
        return self.reports.set_index("source")["coverage"]

    @cached_property
    def assessed(self) -> pd.DataFrame:
        """``computed(...).assessed`` with each report's coverage (the period it is compared in), holding only the
        indicators each report's level and form have (``analysis.selection.applicable``)."""
        a = applicable(self.data.assessed, self.reports)
        return a.assign(coverage=a["source"].map(self._coverage).fillna(a["period"]))

    @cached_property
    def _findings(self) -> pd.DataFrame:
        f = self.data.findings
        return f.assign(ref=finding_refs(f))

    @cached_property
    def _own_rates(self) -> dict[str, tuple[str, str]]:
        """Indicator -> where a unit writes its own rate (assess's reading of the project's rules)."""
        return reported_sources(self.data.rules)

    @cached_property
    def _messages(self) -> dict[tuple[str, str], str]:
        """``(source, ref) -> "L1: title – message"`` for the tooltips of marked figures."""
        f = self._findings
        return {(s, r): f"{r}: {t} – {m}" for s, r, t, m in
                zip(f["source"], f["ref"], f["title_vi"], f["message_vi"], strict=True)}

    def _doubt_text(self, sources: pd.Series, refs: pd.Series) -> list[str]:
        out = []
        for src, text in zip(sources, refs, strict=True):
            parts = [p for p in str(text or "").split("; ") if p]
            out.append("\n".join(self._messages.get((src, p), p) for p in parts))
        return out

    @cached_property
    def _units(self) -> pd.DataFrame:
        """One row per unit: slug, official code, latest name, level."""
        r = self.reports.sort_values(["year"], kind="stable").drop_duplicates("unit", keep="last")
        cols = ["unit", "unit_name", "level"] + (["unit_code"] if "unit_code" in r else [])
        return r[cols].reset_index(drop=True)

    # -- names the analyst types ----------------------------------------------------------------
    def unit(self, name: str) -> str:
        """The slug of a unit given by slug, official code or Vietnamese name (``Vĩnh Châu``, ``950``)."""
        text = str(name).strip()
        u = self._units
        if text in set(u["unit"]):
            return text
        if "unit_code" in u and text in set(u["unit_code"].dropna()):
            return u.loc[u["unit_code"] == text, "unit"].iloc[0]
        folded = text.casefold()
        named = u[u["unit_name"].str.casefold() == folded]
        if len(named):
            return named["unit"].iloc[0]
        slug = unit_from_name(text)
        if slug in set(u["unit"]):
            return slug
        names = list(u["unit_name"]) + list(u["unit"])
        close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
        hint = f"; gần giống: {', '.join(close)}" if close else ""
        raise UnknownUnitError(f"không có đơn vị {text!r} trong dữ liệu {self.data_dir}{hint} "
                               f"(có {len(u)} đơn vị; xem ws.units())")

    def indicator(self, name: str) -> str:
        """An indicator id given by id or Vietnamese name (``Tỷ lệ hồ sơ cấp xã giải quyết đúng hạn``)."""
        text = str(name).strip()
        if text in SPECS:
            return text
        by_name = {s["name_vi"].casefold(): i for i, s in SPECS.items()}
        if text.casefold() in by_name:
            return by_name[text.casefold()]
        close = difflib.get_close_matches(text, list(SPECS) + [s["name_vi"] for s in SPECS.values()], n=3,
                                          cutoff=0.5)
        raise UnknownIndicatorError(f"không có chỉ số {text!r}" + (f"; gần giống: {', '.join(close)}" if close
                                                                   else "; xem data/indicators.yaml"))

    @staticmethod
    def _period(period: str) -> str:
        if period not in PERIODS:
            raise CchcError(f"kỳ {period!r} không có; các kỳ: {', '.join(PERIODS)}")
        return period

    def _report(self, unit: str, year=None, period: str | None = None) -> pd.Series:
        """The unit's report for year and period (coverage), by default its latest."""
        r = self.reports[self.reports["unit"] == unit]
        if year is not None:
            r = r[r["year"] == int(year)]
        if period is not None:
            r = r[r["coverage"] == self._period(period)]
        if r.empty:
            have = self.reports[self.reports["unit"] == unit]
            listing = ", ".join(f"{int(y)} {p}" for y, p in zip(have["year"], have["coverage"], strict=True))
            raise UnknownUnitError(f"không có phụ lục của {unit} cho {year or ''} {period or ''}".strip()
                                   + f"; có: {listing or 'không có'}")
        return r.iloc[-1]

    def _frame(self, df: pd.DataFrame, kind: str, **attrs) -> KitFrame:
        return kit_frame(df.reset_index(drop=True), kind, data=self.data_dir.name, **attrs)

    def latest(self, period: str | None = None) -> tuple[int, str]:
        """The latest year of the data and, in it, the latest period present (calendar order: ``annual`` after
        ``Q4``); with ``period``, the latest year holding that period. Notebooks open on it, never on a year
        named in code."""
        reps = self.reports
        if period is not None:
            reps = reps[reps["coverage"] == self._period(period)]
        if reps.empty:
            raise UnknownUnitError(f"không có phụ lục nào trong {self.data_dir}"
                                   + (f" cho {period_name(period).lower()}" if period else ""))
        year = int(reps["year"].max())
        return year, max(set(reps.loc[reps["year"] == year, "coverage"]), key=period_order)

    def scope(self, year=None, period: str | None = None) -> tuple[int, str]:
        """Year and period as given (a year may be text: a notebook's parameter), the latest present where not
        given: ``ws.scope()`` is the latest year and its latest period, ``ws.scope(2025)`` that year's latest."""
        year = int(year) if year not in (None, "") else None
        period = period or None
        if year is None:
            return self.latest(period)
        if period is None:
            reps = self.reports[self.reports["year"] == int(year)]
            if reps.empty:
                raise UnknownUnitError(f"không có phụ lục nào năm {int(year)} trong dữ liệu")
            return int(year), max(set(reps["coverage"]), key=period_order)
        return int(year), self._period(period)

    # -- the questions --------------------------------------------------------------------------
    def units(self, year=None, period: str | None = None, level: str | None = None) -> KitFrame:
        """Every unit of the data; with a year (and period), whether it reported, its errors, warnings and
        the indicators in doubt or not reported. Units that have not reported come first."""
        u = self._units.copy()
        if level:
            u = u[u["level"] == level]
        reps = self.reports
        if year is not None:
            reps = reps[reps["year"] == int(year)]
        if period is not None:
            reps = reps[reps["coverage"] == self._period(period)]
        latest = reps.drop_duplicates("unit", keep="last").set_index("unit")
        u["reported"] = u["unit"].isin(latest.index)
        u["source"] = u["unit"].map(latest["source"]).fillna("")
        f = self._findings[self._findings["source"].isin(latest["source"])]
        for sev, col in (("error", "errors"), ("warning", "warnings")):
            n = f[f["severity"] == sev].groupby("source").size()
            u[col] = u["source"].map(n).fillna(0).astype(int).where(u["reported"])
        a = self.assessed[self.assessed["source"].isin(latest["source"])]
        for status, col in (("doubtful", "doubtful"), ("not_reported", "not_reported")):
            n = a[a["status"] == status].groupby("source").size()
            u[col] = u["source"].map(n).fillna(0).astype(int).where(u["reported"])
        u = u.sort_values(["reported", "level", "unit_name"], kind="stable")
        return self._frame(u, "units", year=year, period=period)

    def status(self, year=None, period: str | None = None, level: str | None = None) -> KitFrame:
        """Who must report and who has: the project's roster (its province's official units and its
        departments, ``cycle.roster``) against the reports of the period (``cycle.status``): received, late
        (after the ``[reporting] deadlines``), unreadable, missing, or in the data but not in the roster."""
        from cchc_tools.cycle.roster import deadline, roster
        from cchc_tools.cycle.status import STATE_VI, reporting_status

        year, period = self.scope(year, period)
        if not self.project.province:
            raise CchcError("chưa có danh sách đơn vị phải báo cáo: dự án chưa đặt tỉnh ([project] province "
                            "trong cchc.toml); ws.units() liệt kê các đơn vị có trong dữ liệu")
        due = deadline(int(year), period, self.project.reporting.deadlines)
        units = roster(self.project.province, int(year), period, self.project.reporting.departments)
        st = reporting_status(self.data.table, self.data.errors, self.data.findings, units, int(year), period, due,
                              province=self.project.province, root=self.project.root)
        rows = st.rows if level is None else st.rows[st.rows["level"] == level]
        order = {s: k for k, s in enumerate(("missing", "unreadable", "late", "extra", "received"))}
        rows = rows.assign(state_vi=rows["state"].map(STATE_VI), _o=rows["state"].map(order))
        rows = rows.sort_values(["_o", "level", "name"], kind="stable").drop(columns="_o")
        due_vi = date_vi(due) if hasattr(due, "strftime") else str(due or "")  # 15/07/2026
        return self._frame(rows, "status", year=int(year), period=period, due=due_vi)

    def league(self, indicator: str, year=None, period: str | None = None, level: str | None = None) -> KitFrame:
        """The units ranked on an indicator (``assess``'s ranks: within a level, highest first).

        A unit whose inputs an error-level finding questions keeps its row, unranked, with the finding;
        ``attrs["excluded"]`` names those units. ``since_previous`` is the change against the period
        before (last quarter for a quarter), ``change`` against the same period of the year before.
        """
        ident = self.indicator(indicator)
        year, period = self.scope(year, period)
        a = self._scoped(year, period)
        a = a[a["indicator"] == ident]
        if level:
            a = a[a["level"] == level]
        if a.empty:
            raise UnknownUnitError(self.empty_message(ident, year, period, level))
        prev = self._previous_values(ident, int(year), period)
        out = a.assign(previous=a["unit"].map(prev), doubt=self._doubt_text(a["source"], a["findings"]))
        out["since_previous"] = out["value"] - out["previous"]
        doubtful = out["status"] == "doubtful"  # a questioned figure has no change to speak of
        out.loc[doubtful, ["since_previous", "change"]] = math.nan
        if previous_period(period, int(year)) in (None, (period, int(year) - 1)):  # no "kỳ trước" of its own
            out = out.drop(columns="since_previous")
        out = out.sort_values(["level", "rank", "value"], ascending=[True, True, False], na_position="last",
                              kind="stable")
        excluded = [(n, f) for n, f, s in zip(out["unit_name"], out["findings"], out["status"], strict=True)
                    if s == "doubtful"]
        return self._frame(out, "league", indicator=ident, name_vi=SPECS[ident]["name_vi"], year=year,
                           period=period, level=level, excluded=excluded)

    def empty_message(self, ident: str, year: int, period: str, level: str | None = None) -> str:
        """Why a view is empty, in the reader's words (never the kit's ids): no report of the period, of the
        level, or none with the indicator; and which indicators the period has instead."""
        when = period_in_sentence(period, year)
        lvl = f" {LEVEL_VI.get(level, level)}" if level else ""
        a = self._scoped(year, period)
        if level:
            a = a[a["level"] == level]
        if a.empty:
            return f"Không có phụ lục nào{lvl} {when}."
        return (f"Không có phụ lục nào{lvl} {when} có chỉ số «{SPECS[ident]['name_vi']}»; "
                f"kỳ này có {a['indicator'].nunique()} chỉ số khác.")

    def _scoped(self, year: int, period: str) -> pd.DataFrame:
        """The assessment of one year and period (cached: the explorer asks for it on every change)."""
        key = ("scope", int(year), period)
        if key not in self._frames:
            a = self.assessed
            self._frames[key] = a[(a["year"] == int(year)) & (a["coverage"] == period)]
        return self._frames[key]

    def indicators(self, year=None, period: str | None = None, level: str | None = None) -> list[str]:
        """The indicators the reports of a year, period (and level) have, in the catalog's order."""
        year, period = self.scope(year, period)
        a = self._scoped(year, period)
        if level:
            a = a[a["level"] == level]
        have = set(a.loc[a["value"].notna() | a["reported_text"].fillna("").ne(""), "indicator"])
        return [i for i in SPECS if i in have]

    def doubts(self, year=None, period: str | None = None, level: str | None = None) -> KitFrame:
        """Every figure in doubt in a year and period (and level), one row each, with its reasons (the findings'
        titles and messages): what to ask the units about."""
        year, period = self.scope(year, period)
        a = self._scoped(year, period)
        if level:
            a = a[a["level"] == level]
        a = a[a["findings"].fillna("").ne("")]
        a = a.assign(doubt=self._doubt_text(a["source"], a["findings"]), name_vi=a["indicator"].map(
            lambda i: SPECS[i]["name_vi"]), _k=a["unit_name"].map(name_key))
        order = {i: k for k, i in enumerate(SPECS)}
        a = a.assign(_i=a["indicator"].map(order)).sort_values(["_k", "_i"], kind="stable")
        return self._frame(a.drop(columns=["_k", "_i"]), "doubts", year=year, period=period, level=level)

    def grid(self, indicator: str, level: str | None = None) -> KitFrame:
        """One indicator for every unit (rows, by name) over every period present (columns, in calendar order):
        the figure every page prints, a doubt marked with its finding."""
        ident = self.indicator(indicator)
        a = self.assessed[self.assessed["indicator"] == ident]
        if level:
            a = a[a["level"] == level]
        a = a.assign(doubt=self._doubt_text(a["source"], a["findings"]))
        keys = sorted(set(zip(a["year"].astype(int), a["coverage"], strict=True)),
                      key=lambda k: (k[0], period_order(k[1])))
        units = a.drop_duplicates("unit", keep="last")[["unit", "unit_name", "level"]]
        units = units.assign(_k=units["unit_name"].map(name_key)).sort_values("_k", kind="stable").drop(columns="_k")
        out = units.set_index("unit")
        for k, (y, p) in enumerate(keys):
            cell = a[(a["year"] == y) & (a["coverage"] == p)].drop_duplicates("unit", keep="last").set_index("unit")
            for col, src in ((f"v{k}", "shown"), (f"findings{k}", "findings"), (f"doubt{k}", "doubt"),
                             (f"status{k}", "status")):
                out[col] = cell[src].reindex(out.index)
        return self._frame(out.reset_index(), "grid", indicator=ident, name_vi=SPECS[ident]["name_vi"], level=level,
                           columns=[period_phrase(p, y) for y, p in keys], periods=keys)

    def choose_unit(self, name: str | None = None, year=None, period: str | None = None,
                    level: str | None = None) -> str:
        """The unit named (slug, code or name), else the first by name that reported in the year and period (and
        level): what a notebook opens on when no unit is given."""
        if name:
            return self.unit(name)
        year, period = self.scope(year, period)
        r = self.reports[(self.reports["year"] == year) & (self.reports["coverage"] == period)]
        if level:
            r = r[r["level"] == level]
        if r.empty:
            raise UnknownUnitError(self.empty_message(next(iter(SPECS)), year, period, level))
        return min(zip(r["unit_name"], r["unit"], strict=True), key=lambda t: name_key(t[0]))[1]

    def measure(self, year=None, period: str | None = None, level: str | None = None) -> str:
        """The indicator a level's league is ranked by (``data/levels.yaml`` ``rank_by``), among those the period
        has: what a notebook asks "who is lowest" about."""
        from cchc_tools.analysis.selection import rank_by

        year, period = self.scope(year, period)
        have = self.indicators(year, period, level)
        scoped = self._scoped(year, period)
        levels = sorted(set(scoped["level"].dropna())) if not level else [level]
        for lv in levels:
            m = rank_by(lv, scoped)
            if m in have:
                return m
        if not have:
            raise UnknownUnitError(self.empty_message(next(iter(SPECS)), year, period, level))
        return have[0]

    def _previous_values(self, ident: str, year: int, period: str) -> pd.Series:
        # the period before, as the trend says it (periods.previous_period: quý I năm 2026 after quý IV năm 2025)
        p, y = previous_period(period, year) or (period, year - 1)
        a = self.assessed
        a = a[(a["indicator"] == ident) & (a["year"] == y) & (a["coverage"] == p)]
        a = a[a["status"] != "doubtful"]  # a questioned figure is no base for a change
        return a.drop_duplicates("unit", keep="last").set_index("unit")["value"]

    def trend(self, unit: str, indicators: list[str] | None = None) -> KitFrame:
        """A unit's indicators over every year and period it reported, in calendar order; by default those its
        level leads with (``data/levels.yaml``) and every one with a target in force."""
        slug = self.unit(unit)
        a = self.assessed
        if indicators:
            idents = [self.indicator(i) for i in indicators]
        else:
            mine = a[a["unit"] == slug]
            level = mine["level"].iloc[-1] if len(mine) else ""
            idents = headline_ids(level, mine)
        a = a[(a["unit"] == slug) & a["indicator"].isin(idents)]
        order = {i: k for k, i in enumerate(idents)}
        a = a.assign(_i=a["indicator"].map(order), _p=a["period"].map(period_order),
                     doubt=self._doubt_text(a["source"], a["findings"]))
        a = a.sort_values(["_i", "year", "_p"], kind="stable").drop(columns=["_i", "_p"])
        return self._frame(a, "trend", unit=slug, unit_name=self._name(slug))

    def _name(self, slug: str) -> str:
        u = self._units
        return u.loc[u["unit"] == slug, "unit_name"].iloc[0] or slug

    def findings(self, unit: str | None = None, severity: str | None = None, year=None,
                 period: str | None = None) -> KitFrame:
        """The findings (reference, severity, title, message, lines), for a unit, severity, year, period."""
        f = self._findings
        if unit is not None:
            f = f[f["unit"] == self.unit(unit)]
        if severity is not None:
            if severity not in ("error", "warning", "info"):
                raise CchcError(f"mức độ {severity!r} không có; dùng error, warning hoặc info")
            f = f[f["severity"] == severity]
        if year is not None:
            f = f[f["year"] == int(year)]
        if period is not None:
            f = f[f["source"].map(self._coverage) == self._period(period)]
        names = self.reports.drop_duplicates("source").set_index("source")["unit_name"]
        f = f.assign(unit_name=f["source"].map(names))
        return self._frame(f, "findings")

    def totals(self, year, period: str = "annual", level: str | None = None) -> KitFrame:
        """Totals per level (``consolidate``): ratios of the summed counts, with the median and quartiles.

        Units whose inputs of an indicator an error-level finding questions are left out of that
        indicator's total; ``excluded`` names them.
        """
        period = self._period(period)
        sel = self.reports[(self.reports["year"] == int(year)) & (self.reports["coverage"] == period)]
        if level:
            sel = sel[sel["level"] == level]
        if sel.empty:
            raise UnknownUnitError(f"không có phụ lục {period} năm {year}" + (f" cấp {level}" if level else ""))
        table = self.data.table[self.data.table["source"].isin(sel["source"])]
        ind = self.data.ind[self.data.ind["source"].isin(sel["source"])]
        findings = self.data.findings[self.data.findings["source"].isin(sel["source"])]
        # the one consolidation of the kit: units an error questions are left out and named there
        ratios = consolidate(table, ind=ind, findings=findings, rules=self.data.rules).ratios
        ratios = ratios.assign(findings="", status="")
        ratios["period"] = period  # a cumulative Q3 counts with the 9-month reports
        order = {i: k for k, i in enumerate(SPECS)}
        ratios = ratios.sort_values(["level", "indicator"], key=lambda s: s.map(order) if s.name == "indicator"
                                    else s, kind="stable")
        return self._frame(ratios, "totals", year=int(year), period=period, level=level)

    def counts(self, year, period: str = "annual", level: str | None = None) -> KitFrame:
        """Count totals per level (``consolidate``), without the figures an error-level finding questions."""
        period = self._period(period)
        sel = self.reports[(self.reports["year"] == int(year)) & (self.reports["coverage"] == period)]
        if level:
            sel = sel[sel["level"] == level]
        table = self.data.table[self.data.table["source"].isin(sel["source"])]
        findings = self.data.findings[self.data.findings["source"].isin(sel["source"])]
        totals = consolidate(table, ind=self.data.ind.iloc[:0], findings=findings, rules=self.data.rules).totals
        return self._frame(totals.assign(findings="", status=""), "counts", year=int(year), period=period)

    def compare(self, unit_a: str, unit_b: str, year=None, period: str = "annual",
                indicators: list[str] | None = None) -> KitFrame:
        """Two units side by side on the indicators, with the total of unit A's level.

        ``year``: by default the latest year both reported for the period.
        """
        a_slug, b_slug = self.unit(unit_a), self.unit(unit_b)
        period = self._period(period)
        if year is None:
            reps = self.reports[self.reports["coverage"] == period]
            both = set(reps.loc[reps["unit"] == a_slug, "year"]) & set(reps.loc[reps["unit"] == b_slug, "year"])
            if not both:
                raise UnknownUnitError(f"{a_slug} và {b_slug} không có phụ lục {period} cùng năm")
            year = max(both)
        ra, rb = self._report(a_slug, year, period), self._report(b_slug, year, period)
        idents = [self.indicator(i) for i in indicators] if indicators else list(SPECS)
        a = self.assessed

        def side(src: str, suffix: str) -> pd.DataFrame:
            s = a[(a["source"] == src) & a["indicator"].isin(idents)].set_index("indicator")
            s = s.assign(doubt=self._doubt_text(s["source"], s["findings"]))
            return s[["value", "status", "findings", "doubt", "rank", "peers"]].add_suffix(suffix)

        out = side(ra["source"], "_a").join(side(rb["source"], "_b"), how="outer")
        tot = self.totals(year, period, ra["level"])
        out["total"] = out.index.map(tot.set_index("indicator")["value"])
        out["diff"] = out["value_a"].where(out["status_a"] != "doubtful") - out["value_b"].where(
            out["status_b"] != "doubtful")
        out.insert(0, "name_vi", out.index.map(lambda i: SPECS[i]["name_vi"]))
        order = {i: k for k, i in enumerate(idents)}
        out = out.loc[sorted(out.index, key=order.get)]
        out = out[out[["value_a", "value_b"]].notna().any(axis=1)].rename_axis("indicator").reset_index()
        return self._frame(out, "compare", year=int(year), period=period, unit_a=ra["unit_name"],
                           unit_b=rb["unit_name"], level=ra["level"])

    def trace(self, unit: str, code_or_indicator: str, year=None, period: str | None = None) -> KitFrame:
        """Where a figure comes from: the file, each line, the row as written, the unit's note.

        An indicator gives the rows of its inputs (numerator, denominator) and of the rate the unit
        wrote itself; a catalog code gives its row. By default the unit's latest report.
        """
        slug = self.unit(unit)
        rep = self._report(slug, year, period)
        cat = by_code()
        what = str(code_or_indicator).strip()
        roles: dict[str, str] = {}
        ident = None
        if what in cat:
            roles[what] = "chỉ tiêu"
        else:
            ident = self.indicator(what)
            spec = SPECS[ident]
            if "reported" in spec:
                roles[spec["reported"]] = "tỷ lệ đơn vị báo cáo"
            for c in spec.get("numerator", []):
                roles.setdefault(c, "tử số")
            for c in spec.get("denominator", []):
                roles.setdefault(c, "mẫu số")
            own = self._own_rates.get(ident)
            if own and own[0] == "row":
                roles.setdefault(own[1], "tỷ lệ đơn vị báo cáo")
        rows = self.data.table[(self.data.table["source"] == rep["source"]) & self.data.table["code"].isin(roles)]
        rows = rows.drop_duplicates("code")
        doubt = doubts(self.data.findings[self.data.findings["source"] == rep["source"]], rules=self.data.rules)
        refs = ["; ".join(r for r, _ in doubt.get((rep["source"], c), [])) for c in rows["code"]]
        out = rows.assign(role=rows["code"].map(roles), findings=refs, status="")
        out = out.assign(doubt=self._doubt_text(out["source"], out["findings"]))
        # a value read from a PDF: the page it is printed on, next to its row of the table
        paged = "page" in out.columns and bool((pd.to_numeric(out["page"], errors="coerce").fillna(0) > 0).any())
        out = out[["source", *(["page"] if paged else []), "line", "stt", "code", "role", "label", "uom",
                   "raw_value", "value", "note", "findings", "doubt", "status", "unit", "unit_name", "year", "period"]]
        attrs: dict[str, Any] = {"unit_name": rep["unit_name"], "year": int(rep["year"]), "period": rep["period"],
                                 "source": rep["source"]}
        if ident is not None:
            row = self.assessed[(self.assessed["source"] == rep["source"]) & (self.assessed["indicator"] == ident)]
            if len(row):
                r = row.iloc[0]
                attrs.update(indicator=ident, name_vi=SPECS[ident]["name_vi"], value=float(r["value"]),
                             reported_text=r["reported_text"], numerator=float(r["numerator"]),
                             denominator=float(r["denominator"]), status=r["status"], refs=r["findings"])
        return self._frame(out, "trace", **attrs)

    def brief(self, unit: str, year=None, period: str = "annual"):
        """The unit's briefing (the same blocks as its page), shown inline in the notebook."""
        from cchc_tools.workbench.inline import InlineBriefing

        slug = self.unit(unit)
        rep = self._report(slug, year, period)
        return InlineBriefing.load(int(rep["year"]), slug, self.data_dir, rep["period"], self.project)

    def explorer(self, **initial):
        """The explorer widget over this workspace (year, period, level, unit, indicator)."""
        from cchc_tools.workbench.explorer import Explorer

        return Explorer(self, **initial)

    def _repr_html_(self) -> str:
        import html

        r = self.reports
        years = ", ".join(str(int(y)) for y in sorted(r["year"].dropna().unique()))
        return (f"<p lang=\"vi\">Dữ liệu <code>{html.escape(str(self.data_dir))}</code>: {r['unit'].nunique()} đơn vị, "
                f"{len(r)} phụ lục ({years}), {len(self.data.findings)} phát hiện về số liệu.</p>")

    def __repr__(self) -> str:
        r = self.reports
        years = ", ".join(str(int(y)) for y in sorted(r["year"].dropna().unique()))
        return (f"<Workspace {self.data_dir}: {r['unit'].nunique()} đơn vị, {len(r)} phụ lục ({years}), "
                f"{len(self.data.findings)} phát hiện>")


def open(project_or_folder: Any = None) -> Workspace:  # noqa: A001 - the package's verb, never imported by *
    """A workspace over a project's data: a :class:`~cchc_tools.project.Project`, a project's folder or
    ``cchc.toml``, or a data folder (read with the project found from the working directory upward);
    by default the project found from the working directory (the kit's own: the bundled appendix).

    Loaded once from the folder's snapshot, with the same computation the briefings use (the project's
    rules and targets included).
    """
    project, data_dir = _source_of(project_or_folder)
    folder = resolve_data_dir(project, data_dir)
    if not folder.exists():
        raise UnknownUnitError(f"thư mục dữ liệu {folder} không tồn tại")
    project = _own_cache(project, folder)
    return Workspace(folder, computed(project, data_dir), project)
