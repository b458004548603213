"""The explorer: pick a year, period, level, unit and indicator; see the league table, a chart, the
unit's findings and where its figure comes from. ipywidgets, in JupyterLab or served by Voilà.

Everything it shows comes from the :class:`~cchc_tools.workbench.workspace.Workspace` (``league``,
``findings``, ``trace``): the widget only selects and draws.
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from typing import Any

import ipywidgets as w
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.content.charts import COLORS, _vn_axis
from cchc_tools.errors import CchcError
from cchc_tools.periods import period_name, period_order
from cchc_tools.vocabulary import LEVEL_VI, SYNTHETIC_BANNER
from cchc_tools.workbench.accessor import pct

ALL = ""  # the level dropdown's "every level"
DEFAULT_INDICATOR = ""  # the measure the level ranks by (data/levels.yaml rank_by)
SCROLL = "max-height: 420px; overflow: auto; border: 1px solid #ddd"


_KIND = re.compile(r"^(?:thành phố|thị xã|thị trấn|huyện|quận|xã|phường|đặc khu|sở|ban)\s+", re.IGNORECASE)


def _short(name: str) -> str:
    """A unit's name without its kind, for a chart's axis: ``thành phố Minh Họa 08`` -> ``Minh Họa 08``."""
    return _KIND.sub("", str(name))


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return base64.b64encode(buf.getvalue()).decode("ascii")


class Explorer:
    """The explorer widget over a workspace. Display it (last expression of a cell) or use ``.widget``.

    ``redraw()`` rebuilds what depends on the choices and returns the seconds it took (``make bench``
    measures it at 170 units).
    """

    def __init__(self, ws, year: int | None = None, period: str | None = None, level: str | None = None,
                 unit: str | None = None, indicator: str = DEFAULT_INDICATOR) -> None:
        self.ws = ws
        reps = ws.reports
        if reps.empty:
            raise CchcError(f"không có phụ lục nào trong {ws.data_dir}")
        self._busy = False
        years = sorted(int(y) for y in reps["year"].dropna().unique())
        self.year = w.Dropdown(description="Năm", options=years, value=int(year) if year else years[-1])
        self.period = w.Dropdown(description="Kỳ")
        self.level = w.Dropdown(description="Cấp")
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        present = list(dict.fromkeys(ws.assessed["indicator"]))
        self.indicator = w.Dropdown(description="Chỉ số", options=[(names[i], i) for i in present],
                                    layout=w.Layout(width="520px"))
        if not indicator:  # the measure the chosen level (else the latest year's first level) is ranked by
            from cchc_tools.analysis.selection import rank_by

            latest = reps[reps["year"] == self.year.value]
            lv = level or (sorted(set(latest["level"].fillna("")))[:1] or [""])[0]
            indicator = rank_by(lv, ws.assessed[ws.assessed["source"].isin(latest["source"])])
        self.indicator.value = ws.indicator(indicator) if ws.indicator(indicator) in present else present[0]
        self.unit = w.Dropdown(description="Đơn vị", layout=w.Layout(width="360px"))
        self.status = w.HTML()
        self.table = w.HTML()
        self.chart = w.HTML()
        self.findings = w.HTML()
        self.trace = w.HTML()
        self.last_ms = 0.0
        self._options(period=period, level=level, unit=ws.unit(unit) if unit else None)
        for dd in (self.year, self.period, self.level):
            dd.observe(self._on_scope, names="value")
        for dd in (self.unit, self.indicator):
            dd.observe(self._on_pick, names="value")
        banner = (f'<p style="background:#fde2e1;padding:4px 8px"><b>{SYNTHETIC_BANNER}</b></p>'
                  if bool(reps["synthetic"].any()) else "")
        self.widget = w.VBox([
            w.HTML(banner + "<b>Khám phá số liệu cải cách hành chính</b>"),
            w.HBox([self.year, self.period, self.level]), w.HBox([self.indicator, self.unit]),
            self.status,
            w.HBox([w.VBox([w.HTML("<b>Bảng xếp hạng</b>"), self.table], layout=w.Layout(width="58%")),
                    w.VBox([w.HTML("<b>Biểu đồ</b>"), self.chart], layout=w.Layout(width="42%"))]),
            w.HTML("<b>Nguồn của số liệu đơn vị đã chọn</b>"), self.trace,
            w.HTML("<b>Phát hiện về số liệu của đơn vị đã chọn</b>"), self.findings,
        ])
        self.widget.add_class("cchc-explorer")
        self.redraw()

    # -- choices -------------------------------------------------------------------------------
    def _options(self, period: str | None = None, level: str | None = None, unit: str | None = None) -> None:
        """Fill the period, level and unit lists for the chosen year (keeping choices that still exist)."""
        self._busy = True
        try:
            reps = self.ws.reports[self.ws.reports["year"] == self.year.value]
            periods = sorted(set(reps["coverage"]), key=period_order)
            self.period.options = [(period_name(p), p) for p in periods]
            keep = period or self.period.value
            self.period.value = keep if keep in periods else ("annual" if "annual" in periods else periods[-1])
            reps = reps[reps["coverage"] == self.period.value]
            levels = sorted(set(reps["level"]))
            self.level.options = [("Tất cả", ALL)] + [(LEVEL_VI.get(x, x), x) for x in levels]
            keep = level if level is not None else self.level.value
            self.level.value = keep if keep in levels or keep == ALL else ALL
            if self.level.value:
                reps = reps[reps["level"] == self.level.value]
            units = reps.drop_duplicates("unit").sort_values("unit_name")
            self.unit.options = list(zip(units["unit_name"], units["unit"], strict=True))
            keep = unit or self.unit.value
            self.unit.value = keep if keep in set(units["unit"]) else (units["unit"].iloc[0] if len(units) else None)
        finally:
            self._busy = False

    def _on_scope(self, change: dict) -> None:
        if self._busy:
            return
        self._options()
        self.redraw()

    def _on_pick(self, change: dict) -> None:
        if not self._busy:
            self.redraw()

    def choose(self, **values: Any) -> float:
        """Set choices (``year``, ``period``, ``level``, ``unit``, ``indicator``) as a user would; the
        redraw time in seconds of the last change."""
        for name in ("year", "period", "level", "indicator", "unit"):
            if name in values:
                value = values[name]
                value = self.ws.unit(value) if name == "unit" else self.ws.indicator(value) if (
                    name == "indicator") else value
                getattr(self, name).value = value
        return self.last_ms / 1000

    # -- drawing -------------------------------------------------------------------------------
    def redraw(self) -> float:
        t = time.perf_counter()
        ws, ident, unit = self.ws, self.indicator.value, self.unit.value
        year, period, level = self.year.value, self.period.value, self.level.value or None
        try:
            league = ws.league(ident, year, period, level)
        except CchcError as e:
            self.table.value = self.chart.value = self.trace.value = self.findings.value = ""
            self.status.value = f"<i>{html.escape(str(e))}</i>"
            self.last_ms = (time.perf_counter() - t) * 1000
            return self.last_ms / 1000
        name = ws._name(unit) if unit else ""
        styler = league.cchc.style()
        n = len(styler.data.columns)
        picked = list(league["unit"] == unit)
        styler = styler.apply(lambda _: pd.DataFrame([["font-weight: bold; background-color: #dbe8f5"] * n
                                                      if p else [""] * n for p in picked],
                                                     index=styler.data.index, columns=styler.data.columns), axis=None)
        self.table.value = f'<div style="{SCROLL}">{styler.to_html()}</div>'
        self.chart.value = self._chart(league, unit, name)
        if unit in set(league["unit"]):
            self.trace.value = ws.trace(unit, ident, year, period)._repr_html_()
            found = ws.findings(unit, year=year, period=period)
            self.findings.value = (found._repr_html_() if len(found) else
                                   "<i>Không có phát hiện nào về số liệu của đơn vị trong kỳ này.</i>")
        else:
            self.trace.value = self.findings.value = "<i>Đơn vị chưa có số liệu của chỉ số này trong kỳ.</i>"
        ranked = int(league["rank"].notna().sum())
        self.last_ms = (time.perf_counter() - t) * 1000
        self.status.value = f"{len(league)} đơn vị, {ranked} được xếp hạng."
        return self.last_ms / 1000

    def _chart(self, league: pd.DataFrame, unit: str, name: str) -> str:
        """Bars of the ranked units, highest first; the chosen unit in another colour, the target as a line."""
        ranked = league[league["rank"].notna()].sort_values("value", ascending=False, kind="stable")
        title = league.attrs.get("name_vi", "")
        if ranked.empty:
            return "<i>Không có đơn vị nào để vẽ.</i>"
        fig = Figure(figsize=(5.2, 3.4))
        ax = fig.add_subplot()
        colors = [COLORS[3] if u == unit else COLORS[0] for u in ranked["unit"]]
        x = range(len(ranked))
        # one collection of lines, not one patch per unit: a year of 170 units draws in a few ms
        ax.vlines(list(x), 0, ranked["value"].to_numpy(), colors=colors,
                  linewidth=max(1.0, min(14.0, 300 / len(ranked))))
        ax.set_xlim(-1, len(ranked))
        if len(ranked) <= 15:
            ax.set_xticks(list(x), [_short(n) for n in ranked["unit_name"]], rotation=60, ha="right", fontsize=7)
        else:
            ax.set_xticks([])
            ax.set_xlabel(f"{len(ranked)} đơn vị, từ cao xuống thấp")
        target = ranked["target"].dropna()
        if len(target):
            ax.axhline(float(target.iloc[0]), color="#b22222", linestyle="--", linewidth=1)
        low = float(ranked["value"].min())
        ax.set_ylim(max(0.0, low - (100 - low) * 0.5 - 1), max(100.0, float(ranked["value"].max())) + 0.5)
        ax.set_ylabel("Tỷ lệ (%)")
        _vn_axis(ax, "y", percent=True)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # whole percents: labels never rounded
        ax.spines[["top", "right"]].set_visible(False)  # the title is the figure's caption: laid out by the page
        fig.subplots_adjust(left=0.14, right=0.98, top=0.9, bottom=0.3 if len(ranked) <= 15 else 0.12)
        pos = ranked["unit"].tolist().index(unit) + 1 if unit in set(ranked["unit"]) else None
        mine = ranked.loc[ranked["unit"] == unit, "value"]
        alt = (f"Biểu đồ {title}: {len(ranked)} đơn vị được xếp hạng"
               + (f"; {name} (tô màu cam) đứng thứ {pos} với {pct(float(mine.iloc[0]))}" if pos else
                  f"; {name} không được xếp hạng" if name else ""))
        return (f'<figure class="cchc-chart" style="margin:0"><img alt="{html.escape(alt, quote=True)}" '
                f'src="data:image/png;base64,{_png(fig)}"/><figcaption style="font-size:0.85em">'
                f"{html.escape(alt)}</figcaption></figure>")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
