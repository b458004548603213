"""The explorer: pick a year, period, level, indicator and unit; see the league table, a chart, the unit over
time, where its figure comes from, its findings, the indicator unit by period, and every figure in doubt.
ipywidgets, in JupyterLab or served by Voilà (``make explore``).

Everything it shows comes from the :class:`~cchc_tools.workbench.workspace.Workspace` (``league``, ``trace``,
``findings``, ``grid``, ``doubts``): the widget only selects and draws.

**Choices are kept.** The explorer holds the analyst's choices (``wish``): a change of year, period or level
refills the other lists and each of them keeps its choice when the new list still has it, else takes the
latest period, every level, the level's own measure or the first unit, and says so in words above the table
(``notice``). A choice that could not be kept comes back as soon as it is valid again (2026 Q1 -> 2025, where
there is no Q1, -> 2026: Q1 again). Each list's options and value are set together (one message to the page):
ipywidgets 8 resets a list whose options are reassigned to its first entry.
"""

from __future__ import annotations

import base64
import html
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from cchc_tools.analysis.selection import rank_by
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.content.palette import COLORS
from cchc_tools.errors import CchcError
from cchc_tools.periods import period_name, period_order, period_phrase
from cchc_tools.vocabulary import LEVEL_VI, SYNTHETIC_BANNER
from cchc_tools.workbench.accessor import pct
from cchc_tools.workbench.names import name_key, unit_label

ALL = ""  # the level dropdown's "every level"
DEFAULT_INDICATOR = ""  # the measure the level ranks by (data/levels.yaml rank_by)
SCROLL = "max-height: 420px; overflow: auto; border: 1px solid #ddd"
PICKED = "font-weight: bold; background-color: #dbe8f5"
NAMES = {s["id"]: s["name_vi"] for s in indicator_specs()}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_KIND = re.compile(r"^(?:thành phố|thị xã|thị trấn|huyện|quận|xã|phường|đặc khu|sở|ban)\s+", re.IGNORECASE)


def _short(name: str) -> str:
    """A unit's name without its kind, for a chart's axis: ``thành phố Minh Họa 08`` -> ``Minh Họa 08``."""
    return _KIND.sub("", str(name))


def _nice_step(span: float) -> float:
    """A tick step of whole percents giving about five ticks over ``span``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if span / step <= 6:
            return float(step)
    return float(10 ** len(str(int(span))))


def bar_chart(values: list[float], colors: list[str], labels: list[str] | None = None, *,
              target: float | None = None, hatched: list[bool] | None = None, note: str = "",
              floor: float | None = None, width: int = 520, height: int = 300) -> str:
    """A bar chart of percentages as SVG, drawn directly (a year of 170 units in a millisecond, where a
    matplotlib figure takes a tenth of a second on every change): Vietnamese tick labels (``95%``), the target as
    a dashed red line, hatched bars for figures in doubt, the labels slanted under the bars."""
    low, high = min(values), max(values)
    lo = floor if floor is not None else max(0.0, low - (100 - low) * 0.5 - 1)
    hi = max(100.0, high) + 0.5
    step = _nice_step(hi - lo)
    lo = step * int(lo // step)
    left, right, top = 48, 8, 8
    bottom = 96 if labels else 24
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
           '<defs><pattern id="doubt" width="6" height="6" patternUnits="userSpaceOnUse" '
           f'patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/>'
           f'<line x1="0" y1="0" x2="0" y2="6" stroke="{COLORS[3]}" stroke-width="3"/></pattern></defs>']
    tick = lo
    while tick <= hi + 1e-9:
        ty = y(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#e5e5e5"/>'
                   f'<text x="{left - 4}" y="{ty + 3:.1f}" text-anchor="end">{html.escape(pct(tick))}</text>')
        tick += step
    slot = plot_w / max(len(values), 1)
    bar = max(1.0, min(slot * 0.7, 48.0))
    for k, (v, c) in enumerate(zip(values, colors, strict=True)):
        x = left + slot * k + (slot - bar) / 2
        fill = "url(#doubt)" if hatched and hatched[k] else c
        edge = f' stroke="{COLORS[3]}"' if hatched and hatched[k] else ""
        out.append(f'<rect x="{x:.1f}" y="{y(max(v, lo)):.1f}" width="{bar:.1f}" '
                   f'height="{max(0.0, y(lo) - y(max(v, lo))):.1f}" fill="{fill}"{edge}/>')
        if labels:
            lx, ly = left + slot * (k + 0.5), top + plot_h + 10
            out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" '
                       f'transform="rotate(-40 {lx:.1f} {ly:.1f})">{html.escape(labels[k])}</text>')
    if target is not None and lo <= target <= hi:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                   'stroke="#b22222" stroke-dasharray="5 3"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#555"/>'
               f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#555"/>')
    if note:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                   f"{html.escape(note)}</text>")
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">Tỷ lệ (%)</text></svg>')
    return "".join(out)


def _figure(css: str, svg: str, alt: str, more: str) -> str:
    src = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<figure class="{css}" style="margin:0"><img alt="{html.escape(alt, quote=True)}" '
            f'src="data:image/svg+xml;base64,{src}"/><figcaption style="font-size:0.85em">'
            f"{html.escape(alt)}{more}</figcaption></figure>")


def _message(text: str) -> str:
    return f'<p class="cchc-empty"><i>{html.escape(text)}</i></p>'


class Explorer:
    """The explorer widget over a workspace. Display it (last expression of a cell) or use ``.widget``.

    ``choose(...)`` sets choices as a user would; ``redraw()`` rebuilds what depends on the choices and
    returns the seconds it took (``make bench`` measures it at 170 units, every pane included).
    """

    CHOICES = ("year", "period", "level", "indicator", "unit")

    def __init__(self, ws, year: int | None = None, period: str | None = None, level: str | None = None,
                 unit: str | None = None, indicator: str = DEFAULT_INDICATOR) -> None:
        self.ws = ws
        reps = ws.reports
        if reps.empty:
            raise CchcError(f"không có phụ lục nào trong thư mục dữ liệu {ws.data_dir.name}")
        self._busy = False
        self._cache: dict[tuple, Any] = {}
        self._scopes(reps)
        self.year = w.Dropdown(description="Năm")
        self.period = w.Dropdown(description="Kỳ")
        self.level = w.Dropdown(description="Cấp")
        self.indicator = w.Dropdown(description="Chỉ số", layout=w.Layout(width="520px"))
        self.unit = w.Dropdown(description="Đơn vị", layout=w.Layout(width="360px"))
        # what the analyst asked for; kept while a list lacks it, taken again when the list has it
        self.wish: dict[str, Any] = {
            "year": int(year) if year not in (None, "") else None, "period": period or None,
            "level": level if level is not None else None,
            "indicator": ws.indicator(indicator) if indicator else None,
            "unit": ws.unit(unit) if unit else None}
        self.notice = w.HTML()
        self.status = w.HTML()
        self.table = w.HTML()
        self.chart = w.HTML()
        self.over_time = w.HTML()
        self.trace = w.HTML()
        self.findings = w.HTML()
        self.grid = w.HTML()
        self.doubts = w.HTML()
        self.download = w.HTML()
        self.copy_text = w.Textarea(layout=w.Layout(width="100%", height="8em", display="none"))
        self.export_button = w.Button(description="Tải bảng về (Excel)", icon="", layout=w.Layout(width="auto"))
        self.copy_button = w.Button(description="Sao chép bảng (văn bản)", icon="", layout=w.Layout(width="auto"))
        self.export_button.on_click(lambda _: self.export())
        self.copy_button.on_click(lambda _: self.copy())
        self.last_ms = 0.0
        self.redraws = 0  # how many times the view was drawn (the page carries it: a browser test waits on it)
        self.timings: dict[str, float] = {}
        self._fill(None)
        for name in self.CHOICES:
            getattr(self, name).observe(self._on_change, names="value")
        banner = (f'<p style="background:#fde2e1;padding:4px 8px"><b>{SYNTHETIC_BANNER}</b></p>'
                  if bool(reps["synthetic"].any()) else "")
        tabs = w.Tab(children=[w.VBox([w.HTML("<b>Nguồn của số liệu đơn vị đã chọn</b>"), self.trace,
                                       w.HTML("<b>Phát hiện về số liệu của đơn vị đã chọn</b>"), self.findings]),
                               self.grid, self.doubts])
        tabs.titles = ("Nguồn, phát hiện", "Đơn vị × kỳ", "Cần xem lại")
        self.widget = w.VBox([
            w.HTML(banner + "<b>Khám phá số liệu cải cách hành chính</b>"),
            w.HBox([self.year, self.period, self.level]), w.HBox([self.indicator, self.unit]),
            self.notice, self.status,
            w.HBox([w.VBox([w.HTML("<b>Bảng xếp hạng</b>"), self.table,
                            w.HBox([self.export_button, self.copy_button]), self.download, self.copy_text],
                           layout=w.Layout(width="58%")),
                    w.VBox([w.HTML("<b>Biểu đồ</b>"), self.chart, w.HTML("<b>Đơn vị đã chọn qua các kỳ</b>"),
                            self.over_time], layout=w.Layout(width="42%"))]),
            tabs,
        ])
        self.widget.add_class("cchc-explorer")
        self.redraw()

    # -- what the lists can hold ------------------------------------------------------------------
    def _scopes(self, reps: pd.DataFrame) -> None:
        """Every year's periods, every period's levels and every level's units, computed once."""
        self._years = sorted(int(y) for y in reps["year"].dropna().unique())
        self._periods: dict[int, list[str]] = {}
        self._levels: dict[tuple[int, str], list[str]] = {}
        self._unit_lists: dict[tuple[int, str, str], list[tuple[str, str]]] = {}
        for (y, p), r in reps.groupby([reps["year"].astype(int), "coverage"]):
            self._periods.setdefault(int(y), []).append(p)
            self._levels[(int(y), p)] = sorted(set(r["level"].fillna("")) - {""})
            for lv, rr in [(ALL, r), *((lv, r[r["level"] == lv]) for lv in self._levels[(int(y), p)])]:
                units = rr.drop_duplicates("unit", keep="last")
                pairs = sorted(zip(units["unit_name"], units["unit"], strict=True), key=lambda t: name_key(t[0]))
                self._unit_lists[(int(y), p, lv)] = [(unit_label(n), u) for n, u in pairs]
        for y in self._periods:
            self._periods[y].sort(key=period_order)

    def _indicators(self, year: int, period: str, level: str) -> list[str]:
        key = ("indicators", year, period, level)
        if key not in self._cache:
            self._cache[key] = self.ws.indicators(year, period, level or None)
        return self._cache[key]

    # -- choices -----------------------------------------------------------------------------------
    def _put(self, dd: w.Dropdown, options: list, value: Any) -> None:
        """Options and value together: one message to the page, no reset to the first entry between them."""
        with dd.hold_sync():
            if list(dd.options) != list(options):
                dd.options = options
            dd.value = value

    def _fill(self, changed: str | None) -> None:
        """Refill the lists below ``changed`` (all when None), keeping every choice still valid; the notice says
        which choice could not be kept and what is shown instead."""
        wish, notes = self.wish, []
        self._busy = True
        try:
            year = wish["year"] if wish["year"] in self._years else self._years[-1]
            if wish["year"] is not None and wish["year"] != year:
                notes.append(f"Không có số liệu năm {wish['year']}; đang xem năm {year}.")
            self._put(self.year, self._years, year)

            periods = self._periods[year]
            period = wish["period"] if wish["period"] in periods else periods[-1]
            if wish["period"] is not None and wish["period"] != period:
                notes.append(f"Năm {year} không có kỳ «{period_name(wish['period'])}»; "
                             f"đang xem «{period_name(period)}».")
            self._put(self.period, [(period_name(p), p) for p in periods], period)

            levels = self._levels[(year, period)]
            level = wish["level"] if wish["level"] in levels or wish["level"] == ALL else ALL
            if wish["level"] not in (None, ALL, level):
                notes.append(f"{period_phrase(period, year)} không có phụ lục {LEVEL_VI.get(wish['level'], '')}; "
                             "đang xem tất cả các cấp.")
            self._put(self.level, [("Tất cả", ALL)] + [(LEVEL_VI.get(x, x), x) for x in levels], level)

            idents = self._indicators(year, period, level)
            ident = wish["indicator"]
            if ident not in idents:
                scoped = self.ws._scoped(year, period)
                own = rank_by(level, scoped) if level else rank_by(levels[0] if len(levels) == 1 else "", scoped)
                fallback = own if own in idents else (idents[0] if idents else None)
                if ident is not None and idents:
                    notes.append(f"{period_phrase(period, year)} không có chỉ số «{NAMES.get(ident, ident)}»; "
                                 f"đang xem «{NAMES.get(fallback, fallback)}».")
                ident = fallback
            self._put(self.indicator, [(NAMES.get(i, i), i) for i in idents], ident)

            units = self._unit_lists[(year, period, level)]
            slugs = [u for _, u in units]
            unit = wish["unit"] if wish["unit"] in slugs else (slugs[0] if slugs else None)
            if wish["unit"] is not None and wish["unit"] != unit:
                lv = f" {LEVEL_VI.get(level, '')}" if level else ""
                notes.append(f"{self.ws._name(wish['unit'])} không có phụ lục{lv} "
                             f"{period_phrase(period, year).lower()}; đang xem {self.ws._name(unit)}."
                             if unit else f"Không có đơn vị nào{lv} trong kỳ này.")
            self._put(self.unit, units, unit)
        finally:
            self._busy = False
        self.notice.value = ("".join(f'<p class="cchc-notice" style="color:#8a1c14;margin:2px 0">{html.escape(n)}</p>'
                                     for n in notes))

    def _on_change(self, change: dict) -> None:
        if self._busy:
            return
        name = next(n for n in self.CHOICES if getattr(self, n) is change["owner"])
        self._change(name, change["new"])

    def _change(self, name: str, value: Any) -> None:
        """One choice changed: the lists refilled, then the view redrawn; ``last_ms`` and ``timings`` are the
        whole change's (the lists' refill included), what the analyst waits for."""
        t = time.perf_counter()
        self.wish[name] = value
        self._fill(name)
        lists = time.perf_counter() - t
        self.redraw()
        self.last_ms = (time.perf_counter() - t) * 1000
        self.timings = {"lists": lists * 1000, **self.timings}

    def choose(self, **values: Any) -> float:
        """Set choices (``year``, ``period``, ``level``, ``indicator``, ``unit``) as a user would, one after the
        other; the seconds the view took to follow (every change's refill and redraw), 0.0 when every value
        given was already chosen (nothing is redrawn: ``redraws`` counts the draws)."""
        took = 0.0
        for name in self.CHOICES:
            if name in values:
                value = values[name]
                value = self.ws.unit(value) if name == "unit" else self.ws.indicator(value) if (
                    name == "indicator") else value
                dd = getattr(self, name)
                if dd.value == value:
                    continue
                drawn = self.redraws
                if value not in [o[1] if isinstance(o, tuple) else o for o in dd.options]:
                    self._change(name, value)  # as if typed: the notice says it cannot be kept
                else:
                    dd.value = value
                if self.redraws > drawn:
                    took += self.last_ms / 1000
        return took

    # -- drawing -----------------------------------------------------------------------------------
    def _league(self, ident: str, year: int, period: str, level: str):
        key = ("league", ident, year, period, level)
        if key not in self._cache:
            try:
                lg = self.ws.league(ident, year, period, level or None)
                self._cache[key] = (lg, lg.cchc.to_html())
            except CchcError as e:
                self._cache[key] = (None, str(e))
        return self._cache[key]

    def _cached(self, key: tuple, make) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def redraw(self) -> float:
        t = time.perf_counter()
        self.redraws += 1
        ws, ident, unit = self.ws, self.indicator.value, self.unit.value
        year, period, level = self.year.value, self.period.value, self.level.value or ALL
        self.download.value, self.copy_text.layout.display = "", "none"
        if ident is None:
            league, text = None, ws.empty_message(next(iter(NAMES)), year, period, level or None)
        else:
            league, text = self._league(ident, year, period, level)
        mark = time.perf_counter()
        times = {"league": mark - t}
        if league is None:
            for pane in (self.table, self.chart, self.over_time, self.trace, self.findings, self.grid, self.doubts):
                pane.value = _message(text)
            self.status.value = self._drawn()
            self.export_button.disabled = self.copy_button.disabled = True
            self.last_ms = (time.perf_counter() - t) * 1000
            self.timings = {"league": times["league"] * 1000, "table": (time.perf_counter() - mark) * 1000}
            return self.last_ms / 1000
        self.export_button.disabled = self.copy_button.disabled = False
        name = ws._name(unit) if unit else ""
        units = league["unit"].tolist()
        style = ""
        if unit in units:  # the chosen unit's row, by its place: the table's HTML is drawn once per league
            uid = re.search(r'id="T_(cchc\d+)"', text)
            if uid:
                style = (f"<style>#T_{uid.group(1)} tbody tr:nth-child({units.index(unit) + 1}) td "
                         f"{{{PICKED}}}</style>")
        self.table.value = f'{style}<div style="{SCROLL}">{text}</div>'
        times["table"] = time.perf_counter() - mark
        mark = time.perf_counter()
        self.chart.value = self._chart(league, unit, name)
        times["chart"], mark = time.perf_counter() - mark, time.perf_counter()
        self.over_time.value = self._cached(("over", unit, ident), lambda: self._over_time(unit, ident, name))
        times["over_time"], mark = time.perf_counter() - mark, time.perf_counter()
        if unit in set(units):
            self.trace.value = self._cached(("trace", unit, ident, year, period),
                                            lambda: ws.trace(unit, ident, year, period)._repr_html_())
            self.findings.value = self._cached(("findings", unit, year, period), lambda: self._findings(
                unit, year, period))
        else:
            self.trace.value = self.findings.value = _message(
                f"{name or 'Đơn vị'} chưa có số liệu chỉ số này {period_phrase(period, year).lower()}.")
        times["trace"], mark = time.perf_counter() - mark, time.perf_counter()
        self.grid.value = self._cached(("grid", ident, level), lambda: (
            f'<div style="{SCROLL}">{ws.grid(ident, level or None).cchc.to_html()}</div>'))
        self.doubts.value = self._cached(("doubts", year, period, level), lambda: self._doubts(year, period, level))
        times["tabs"] = time.perf_counter() - mark
        ranked = int(league["rank"].notna().sum())
        self.status.value = f"{len(league)} đơn vị, {ranked} được xếp hạng.{self._drawn()}"
        self.last_ms = (time.perf_counter() - t) * 1000
        self.timings = {k: v * 1000 for k, v in times.items()}
        return self.last_ms / 1000

    def _drawn(self) -> str:
        return f'<span class="cchc-drawn" data-n="{self.redraws}" hidden></span>'

    def _findings(self, unit: str, year: int, period: str) -> str:
        found = self.ws.findings(unit, year=year, period=period)
        return found._repr_html_() if len(found) else _message("Không có phát hiện nào về số liệu của đơn vị "
                                                               "trong kỳ này.")

    def _doubts(self, year: int, period: str, level: str) -> str:
        d = self.ws.doubts(year, period, level or None)
        if d.empty:
            return _message(f"Không có số liệu nào cần xem lại {period_phrase(period, year).lower()}.")
        return f'<div style="{SCROLL}">{d.cchc.to_html()}</div>'

    def _chart(self, league: pd.DataFrame, unit: str, name: str) -> str:
        """Bars of the ranked units, highest first; the chosen unit in another colour, the target as a line; one
        unit alone is drawn as one bar with its figure."""
        ranked = league[league["rank"].notna()].sort_values("value", ascending=False, kind="stable")
        if ranked.empty:  # a unit alone has no rank: its figure is still drawn
            ranked = league[league["value"].notna() & (league["status"] != "doubtful")]
        title = league.attrs.get("name_vi", "")
        if ranked.empty:
            return _message("Không có đơn vị nào có số liệu đáng tin cậy để vẽ.")
        values = (ranked["shown"] if "shown" in ranked else ranked["value"]).astype(float).tolist()
        units = ranked["unit"].tolist()
        few = len(ranked) <= 15
        target = ranked["target"].dropna()
        svg = bar_chart(values, [COLORS[3] if u == unit else COLORS[0] for u in units],
                        [_short(n) for n in ranked["unit_name"]] if few else None,
                        target=float(target.iloc[0]) if len(target) else None,
                        note="" if few else f"{len(ranked)} đơn vị, từ cao xuống thấp")
        rank = ranked.loc[ranked["unit"] == unit, "rank"]
        mine = [v for u, v in zip(units, values, strict=True) if u == unit]
        if len(rank) and pd.notna(rank.iloc[0]):
            about = f"; {name} (tô màu cam) đứng thứ {units.index(unit) + 1} với {pct(mine[0])}"
        elif mine:
            about = f"; {name} (tô màu cam): {pct(mine[0])}, chưa có đơn vị khác để xếp hạng"
        else:
            about = f"; {name} không được xếp hạng" if name else ""
        n = int(ranked["rank"].notna().sum())
        alt = f"Biểu đồ {title}: {n} đơn vị được xếp hạng{about}"
        return _figure("cchc-chart", svg, alt, "")

    def _over_time(self, unit: str | None, ident: str, name: str) -> str:
        """The chosen unit's figure of the indicator in every period present, in calendar order; a figure in
        doubt drawn hatched and named in the caption."""
        if not unit:
            return _message("Chưa chọn đơn vị.")
        a = self.ws.assessed
        a = a[(a["unit"] == unit) & (a["indicator"] == ident) & a["shown"].notna()]
        if a.empty:
            return _message(f"{name} chưa có số liệu chỉ số này ở kỳ nào.")
        a = a.assign(_p=a["coverage"].map(period_order)).sort_values(["year", "_p"], kind="stable")
        a = a.drop_duplicates(["year", "coverage"], keep="last")
        labels = [period_phrase(p, y) for y, p in zip(a["year"], a["coverage"], strict=True)]
        doubt = ((a["status"] == "doubtful") | a["findings"].fillna("").ne("")).tolist()
        values = a["shown"].astype(float).tolist()
        svg = bar_chart(values, [COLORS[0]] * len(values), labels, hatched=doubt, floor=0.0, height=220)
        parts = [f"{lab}: {pct(v)}" + (" (cần xem lại)" if d else "")
                 for lab, v, d in zip(labels, values, doubt, strict=True)]
        alt = f"{NAMES.get(ident, ident)} của {name} qua các kỳ: " + "; ".join(parts) + "."
        return _figure("cchc-chart-time", svg, alt, " Cột gạch chéo: số liệu cần xem lại." if any(doubt) else "")

    # -- taking the view away ----------------------------------------------------------------------
    def current(self):
        """The league table shown now (a KitFrame), or None when the view is empty."""
        return self._league(self.indicator.value, self.year.value, self.period.value, self.level.value or ALL)[0] \
            if self.indicator.value else None

    def export(self) -> bytes:
        """The table shown, as an .xlsx workbook (``KitFrame.to_excel``), offered as a download link on the page."""
        league = self.current()
        if league is None:
            return b""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bang.xlsx"
            league.to_excel(path)
            data = path.read_bytes()
        lv = f"-{self.level.value}" if self.level.value else ""
        fname = f"xep-hang-{league.attrs['indicator']}-{self.year.value}-{self.period.value}{lv}.xlsx"
        self.download.value = (f'<a download="{html.escape(fname, quote=True)}" href="data:{XLSX};base64,'
                               f'{base64.b64encode(data).decode("ascii")}">Bấm vào đây để lưu tệp {fname}</a>')
        return data

    def copy(self) -> str:
        """The table shown as tab-separated text, in a box to select and copy (Ctrl+A, Ctrl+C) into Excel."""
        league = self.current()
        tsv = league.cchc.to_tsv() if league is not None else ""
        self.copy_text.value = tsv
        self.copy_text.layout.display = "" if tsv else "none"
        self.download.value = ("<i>Bấm vào ô dưới đây, chọn tất cả (Ctrl+A) rồi sao chép (Ctrl+C) để dán vào "
                               "Excel hoặc Word.</i>") if tsv else ""
        return tsv

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
