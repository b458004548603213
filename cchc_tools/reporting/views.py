"""What the notebooks show: one unit's briefing, a year's comparison, a unit's trend.

Notebooks call these and display the results; all arithmetic, wording and
charts live here (and in ``narrative``, ``charts``), where tests reach them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.analysis.selection import _listing, check_slug, pick_report, reports
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.errors import AppendixError, UnknownUnitError
from cchc_tools.ingest.snapshot import load_data
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.reporting import charts
from cchc_tools.reporting.narrative import (
    STYLE,
    Facts,
    change_phrase,
    html_table,
    level_phrase,
    paragraph,
    period_phrase,
    section_sentences,
)

SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Lưu ý"}


def source_line(rep: pd.Series) -> str:
    """``Phụ lục kèm theo Báo cáo số /BC-UBND ngày 16/12/2022 của UBND thị xã Vĩnh Châu (data/raw/...)``."""
    bits = ["Phụ lục"]
    if rep.get("report_no"):
        bits.append(f"kèm theo Báo cáo số {rep['report_no']}")
    if rep.get("report_date"):
        y, m, d = rep["report_date"].split("-")
        bits.append(f"ngày {int(d)}/{int(m)}/{y}")
    if rep.get("unit_name"):
        bits.append(f"của UBND {rep['unit_name']}")
    return " ".join(bits) + f" (tệp {rep['source']})"


def _banner(synthetic: bool) -> str:
    if not synthetic:
        return ""
    return (f'<div class="cchc-banner">⚠ {escape(charts.SYNTHETIC_BANNER)}: báo cáo này được tạo từ số liệu '
            "mẫu cho đơn vị hư cấu, chỉ dùng để minh họa và kiểm thử.</div>")


def _inputs_phrase(row: pd.Series) -> str:
    if pd.isna(row["numerator"]) or pd.isna(row["denominator"]):
        return ""
    return f"{fmt_number(row['numerator'])}/{fmt_number(row['denominator'])}"


def _value_text(v: float, reason: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "không phát sinh" if reason == "denominator is 0" else "chưa đủ số liệu"
    return fmt_percent(v)


@dataclass
class UnitBriefing:
    """Everything the unit briefing shows, for one unit, year and period."""

    report: pd.Series
    rows: pd.DataFrame
    ind: pd.DataFrame
    findings: pd.DataFrame
    previous: pd.DataFrame | None = None
    previous_label: str = ""
    load_errors: list[AppendixError] = field(default_factory=list)

    @classmethod
    def load(cls, year, unit: str, data_dir: str | Path | None = None, period: str = "annual") -> UnitBriefing:
        result = load_data(data_dir)
        rep = pick_report(result.table, year, unit, period)
        unit_rows = result.table[result.table["unit"] == rep["unit"]]
        rows = unit_rows[unit_rows["source"] == rep["source"]]
        ind = indicators(rows)
        prev_rep = reports(unit_rows)
        prev_rep = prev_rep[(prev_rep["period"] == period) & (prev_rep["year"] < int(year))]
        previous, label = None, ""
        if not prev_rep.empty:
            p = prev_rep.iloc[-1]
            previous = indicators(unit_rows[unit_rows["source"] == p["source"]])
            label = period_phrase(period, p["year"]).replace("Năm", "năm")
        mine = [e for e in result.errors if f"/{rep['unit']}/" in e.path.replace("\\", "/")]
        return cls(rep, rows, ind, validate(rows), previous, label, mine)

    # -- facts ------------------------------------------------------------------------------
    @property
    def when(self) -> str:
        return period_phrase(self.report["period"], self.report["year"])

    @property
    def who(self) -> str:
        return self.report["unit_name"] or self.report["unit"]

    @property
    def synthetic(self) -> bool:
        return bool(self.report["synthetic"])

    @property
    def source(self) -> str:
        return source_line(self.report)

    def facts(self) -> Facts:
        return Facts(self.rows)

    def _prev(self, ident: str) -> float | None:
        if self.previous is None:
            return None
        hit = self.previous[self.previous["indicator"] == ident]["value"]
        return None if hit.empty else float(hit.iloc[0])

    # -- blocks -----------------------------------------------------------------------------
    def header(self) -> HTML:
        r = self.report
        title = f"Kết quả cải cách hành chính {self.when.lower()} – {self.who}"
        lvl = level_phrase(r["level"])
        html = [STYLE, _banner(self.synthetic), '<div class="cchc-head">', f"<h1>{escape(title)}</h1>",
                f"<p><b>Đơn vị:</b> {escape(self.who)}{escape(f' ({lvl})' if lvl else '')}</p>",
                f"<p><b>Nguồn số liệu:</b> {escape(self.source)}</p>",
                f"<p><b>Số dòng chỉ tiêu:</b> {len(self.rows)}; có số liệu: {int(self.rows['value'].notna().sum())}; "
                f"bỏ trống (chưa báo cáo): {int((self.rows['raw_value'] == '').sum())}</p></div>"]
        return HTML("".join(html))

    def headline(self) -> HTML:
        cards = []
        for row in self.ind[self.ind["headline"]].itertuples(index=False):
            s = pd.Series(row._asdict())
            change = change_phrase(s["value"], self._prev(s["indicator"]), self.previous_label)
            cards.append(f'<div class="cchc-card"><div class="v">{escape(_value_text(s["value"], s["reason"]))}</div>'
                         f'<div class="l">{escape(s["name_vi"])}</div>'
                         f'<div class="d">{escape(" · ".join(p for p in (_inputs_phrase(s), change) if p))}</div>'
                         "</div>")
        return HTML('<div class="cchc-cards">' + "".join(cards) + "</div>")

    def key_figures(self) -> str:
        """The headline as plain text (the golden output nbval checks)."""
        lines = [f"{self.who} – {self.when}"]
        for row in self.ind[self.ind["headline"]].itertuples(index=False):
            lines.append(f"{row.name_vi}: {_value_text(row.value, row.reason)}")
        n = self.findings["severity"].value_counts() if len(self.findings) else {}
        lines.append(f"Kiểm tra số liệu: {n.get('error', 0)} lỗi, {n.get('warning', 0)} cảnh báo, "
                     f"{n.get('info', 0)} lưu ý")
        return "\n".join(lines)

    def section(self, section: str) -> HTML:
        sentences = section_sentences(section, self.facts(), self.who, self.when)
        parts = [paragraph(sentences)]
        sec = self.ind[self.ind["section"] == section]
        if len(sec):
            has_prev = self.previous is not None
            headers = ["Chỉ số", "Giá trị", "Tính từ"] + ([f"So với {self.previous_label}"] if has_prev else [])
            rows = []
            for row in sec.itertuples(index=False):
                s = pd.Series(row._asdict())
                basis = _inputs_phrase(s) or ("đơn vị tự báo cáo" if s["reason"] == "" else "chưa báo cáo đủ số liệu")
                cells = [s["name_vi"], _value_text(s["value"], s["reason"]), basis]
                if has_prev:
                    cells.append(change_phrase(s["value"], self._prev(s["indicator"]), "").replace(" so với ", "")
                                 or "—")
                rows.append(cells)
            parts.append(html_table(headers, rows))
        codes = self.findings["codes"].str.split("; ")
        mine = self.findings[codes.apply(lambda cs: any(c.split(".")[0] == section for c in cs if c))]
        if len(mine):
            n = mine["severity"].value_counts()
            parts.append(f"<p><em>Kiểm tra số liệu phần này: {n.get('error', 0)} lỗi, {n.get('warning', 0)} cảnh báo, "
                         f"{n.get('info', 0)} lưu ý (chi tiết ở mục Chất lượng số liệu).</em></p>")
        return HTML("".join(parts))

    def chart(self, section: str):
        f, when, src, syn = self.facts(), self.when, self.source, self.synthetic
        if section == "III":
            return charts.dossiers_chart(f, when, src, syn)
        if section == "IV":
            return charts.staff_chart(f, when, src, syn)
        if section == "VII":
            return charts.edocs_chart(f, when, src, syn)
        return None

    def quality(self) -> HTML:
        if self.findings.empty and not self.load_errors:
            return HTML("<p>Không phát hiện mâu thuẫn trong số liệu của phụ lục.</p>")
        n = self.findings["severity"].value_counts()
        intro = (f"<p>Phát hiện {n.get('error', 0)} lỗi (số liệu không thể cùng đúng), {n.get('warning', 0)} cảnh báo "
                 f"(cần đơn vị giải trình) và {n.get('info', 0)} lưu ý. Mỗi dòng ghi số dòng trong tệp nguồn "
                 f"để đối chiếu.</p>")
        rows = [[SEVERITY_VI.get(f.severity, f.severity), f.lines, f.message_vi, f.rule]
                for f in self.findings.itertuples(index=False)]
        rows += [["Lỗi đọc tệp", str(e.line or ""), str(e), "load_error"] for e in self.load_errors]
        return HTML(intro + html_table(["Mức độ", "Dòng", "Nội dung", "Quy tắc"], rows))


# --- comparison of units ---------------------------------------------------------------------

HEADLINE_IDS = [s["id"] for s in indicator_specs() if s.get("headline")]


@dataclass
class YearComparison:
    year: int
    period: str
    reps: pd.DataFrame
    ind: pd.DataFrame
    findings: pd.DataFrame

    @classmethod
    def load(cls, year, data_dir: str | Path | None = None, level: str = "", period: str = "annual"):
        table = load_data(data_dir).table
        reps = reports(table)
        sel = reps[(reps["year"] == int(year)) & (reps["period"] == period)]
        if level:
            sel = sel[sel["level"] == level]
        if sel.empty:
            raise UnknownUnitError(f"no {period} appendices for {year}{' at level ' + level if level else ''}; "
                                   f"{_listing(reps)}")
        rows = table[table["source"].isin(sel["source"])]
        return cls(int(year), period, sel, indicators(rows), validate(rows))

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    @property
    def when(self) -> str:
        return period_phrase(self.period, self.year)

    def header(self) -> HTML:
        title = f"So sánh kết quả cải cách hành chính giữa các đơn vị – {self.when}"
        return HTML(STYLE + _banner(self.synthetic) + f"<h1>{escape(title)}</h1><p>{len(self.reps)} đơn vị có phụ lục "
                    f"{escape(self.when.lower())}.</p>")

    def league(self) -> pd.DataFrame:
        """One row per unit: name, headline indicators, error and warning counts.

        Ranked by the on-time rate of dossiers (both levels); units with an error-level
        finding come last, unranked: their figures cannot all be true.
        """
        head = self.ind[self.ind["indicator"].isin(HEADLINE_IDS)]
        wide = head.pivot(index="unit", columns="indicator", values="value").reindex(columns=HEADLINE_IDS)
        counts = (self.findings.groupby(["unit", "severity"]).size().unstack(fill_value=0)
                  if len(self.findings) else pd.DataFrame())
        for sev in ("error", "warning"):
            col = counts[sev] if sev in counts else pd.Series(dtype=int)
            wide[sev] = col.reindex(wide.index).fillna(0).astype(int)
        on_time = self.ind[self.ind["indicator"] == "dossiers_on_time_all"].set_index("unit")["value"]
        wide["dossiers_on_time_all"] = on_time.reindex(wide.index)
        wide.insert(0, "unit_name", self.reps.set_index("unit")["unit_name"].reindex(wide.index))
        wide["rank"] = pd.array([pd.NA] * len(wide), dtype="Int64")
        wide = wide.sort_values(["error", "dossiers_on_time_all"], ascending=[True, False], na_position="last",
                                key=lambda c: c > 0 if c.name == "error" else c)
        ranked = (wide["error"] == 0).to_numpy()
        wide.loc[ranked, "rank"] = range(1, int(ranked.sum()) + 1)
        return wide

    def league_html(self) -> HTML:
        lg = self.league()
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        headers = ["Hạng", "Đơn vị"] + [names[i] for i in HEADLINE_IDS] + ["Lỗi", "Cảnh báo"]
        rows = []
        for _, r in lg.iterrows():
            rank = "—" if pd.isna(r["rank"]) else str(int(r["rank"]))
            name = r["unit_name"] + (" (số liệu có lỗi, không xếp hạng)" if r["error"] else "")
            rows.append([rank, name] + [_value_text(r[i]) for i in HEADLINE_IDS] + [str(r["error"]), str(r["warning"])])
        note = ("<p><em>Xếp hạng theo tỷ lệ hồ sơ giải quyết đúng hạn (cả hai cấp). Đơn vị có lỗi số liệu "
                "(số liệu không thể cùng đúng) được xếp cuối, không xếp hạng.</em></p>")
        return HTML(html_table(headers, rows) + note)

    def ranking_chart(self, indicator: str = "dossiers_on_time_all"):
        sub = self.ind[self.ind["indicator"] == indicator].sort_values("value", ascending=False)
        name = sub["name_vi"].iloc[0] if len(sub) else indicator
        return charts.rates_chart(sub["unit_name"].tolist(), sub["value"].tolist(),
                                  f"{name} – {self.when}", f"Phụ lục CCHC {self.when.lower()} của {len(self.reps)} "
                                  "đơn vị", self.synthetic)

    def quality(self) -> HTML:
        if self.findings.empty:
            return HTML("<p>Không đơn vị nào có số liệu mâu thuẫn.</p>")
        cnt = self.findings.pivot_table(index="unit", columns="severity", values="rule", aggfunc="count").fillna(0)
        names = self.reps.set_index("unit")["unit_name"]
        rows = [[names.get(u, u)] + [str(int(cnt.loc[u].get(s, 0))) for s in ("error", "warning", "info")]
                for u in cnt.sort_values(list(cnt.columns), ascending=False).index]
        return HTML("<p>Số phát hiện khi kiểm tra số liệu, theo đơn vị:</p>"
                    + html_table(["Đơn vị", "Lỗi", "Cảnh báo", "Lưu ý"], rows))


# --- one unit over time ----------------------------------------------------------------------

@dataclass
class UnitTrend:
    unit: str
    reps: pd.DataFrame
    ind: pd.DataFrame

    @classmethod
    def load(cls, unit: str, data_dir: str | Path | None = None):
        check_slug(unit)
        table = load_data(data_dir).table
        reps = reports(table)
        mine = reps[reps["unit"] == unit]
        if mine.empty:
            raise UnknownUnitError(f"no appendices for unit {unit!r}; {_listing(reps, unit)}")
        rows = table[table["source"].isin(mine["source"])]
        return cls(unit, mine, indicators(rows))

    @property
    def name(self) -> str:
        return self.reps["unit_name"].iloc[0] or self.unit

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    def _label(self, year, period) -> str:
        return str(int(year)) if period == "annual" else f"{period}/{int(year)}"

    def header(self) -> HTML:
        periods = ", ".join(self._label(y, p) for y, p in zip(self.reps["year"], self.reps["period"], strict=True))
        return HTML(STYLE + _banner(self.synthetic) + f"<h1>{escape('Diễn biến kết quả CCHC – ' + self.name)}</h1>"
                    f"<p>Các kỳ có số liệu: {escape(periods)}.</p>")

    def table(self) -> HTML:
        head = self.ind[self.ind["indicator"].isin(HEADLINE_IDS)].copy()
        head["kỳ"] = [self._label(y, p) for y, p in zip(head["year"], head["period"], strict=True)]
        order = list(dict.fromkeys(head.sort_values(["year", "period"])["kỳ"]))
        wide = head.pivot(index="indicator", columns="kỳ", values="value").reindex(HEADLINE_IDS)[order]
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        rows = [[names[ident]] + [_value_text(v) for v in r] for ident, r in wide.iterrows()]
        return HTML(html_table(["Chỉ số"] + order, rows))

    def summary(self) -> str:
        """Headline indicators per period as plain text (the golden output nbval checks)."""
        head = self.ind[self.ind["indicator"].isin(HEADLINE_IDS)].sort_values(["year", "period"])
        lines = [f"{self.name}: {len(self.reps)} kỳ báo cáo"]
        for name, g in head.groupby("name_vi", sort=False):
            pts = "; ".join(f"{self._label(y, p)} {_value_text(v)}"
                            for y, p, v in zip(g["year"], g["period"], g["value"], strict=True))
            lines.append(f"{name}: {pts}")
        return "\n".join(lines)

    def chart(self):
        head = self.ind[self.ind["indicator"].isin(HEADLINE_IDS)].sort_values(["year", "period"])
        series = {n: [(self._label(y, p), v) for y, p, v in zip(g["year"], g["period"], g["value"], strict=True)]
                  for n, g in head.groupby("name_vi", sort=False)}
        return charts.trend_chart(series, f"Diễn biến các chỉ số chính – {self.name}",
                                  f"Phụ lục CCHC các kỳ của {self.name}", self.synthetic)

