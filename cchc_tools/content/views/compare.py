"""A year's comparison of units: totals, league tables per level, the lowest units."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.aggregate import ratio_basis
from cchc_tools.analysis.assess import consolidate
from cchc_tools.analysis.selection import applicable, headline_ids, kept_reports, rank_by, report_listing, weakest
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.content import charts
from cchc_tools.content.document import (
    Block,
    Bullets,
    Cell,
    Document,
    Group,
    Heading,
    Paragraph,
    Span,
    Table,
    page_head,
)
from cchc_tools.content.narrative import period_phrase
from cchc_tools.content.views.common import (
    SPECS,
    Stamped,
    definition,
    project_of,
    value_text,
)
from cchc_tools.errors import UnknownUnitError
from cchc_tools.i18n import _ as tr
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.periods import file_suffix, period_in_sentence
from cchc_tools.pipeline import computed
from cchc_tools.text import lower_first
from cchc_tools.vocabulary import level_phrase

# The legacy district level's measure (``data/levels.yaml``); a comparison ranks each level by its own
# (``analysis.selection.rank_by``): communes and wards by the commune on-time rate, departments by theirs.
RANK_BY = rank_by("district")
# The ranking chart shows every unit up to RANKING_ALL; a longer ranking, its RANKING_ENDS highest and lowest.
RANKING_ALL, RANKING_ENDS = 25, 10

if TYPE_CHECKING:
    from cchc_tools.project import Project


@dataclass
class YearComparison(Stamped):
    KIND = "compare"
    year: int
    period: str
    reps: pd.DataFrame
    ind: pd.DataFrame
    findings: pd.DataFrame
    assessed: pd.DataFrame
    previous: pd.DataFrame  # assessment of the previous year's reports, for rank changes
    rows: pd.DataFrame  # the tidy rows of the compared reports

    @classmethod
    def load(cls, year, data_dir: str | Path | None = None, level: str = "", period: str = "annual", *,
             project: Project | str | Path | None = None):
        """The comparison of the units of ``year`` and ``period`` (one ``level`` or all) in the project's data."""
        project = project_of(project)
        data = computed(project, data_dir)
        reps = kept_reports(data.reports)  # never a unit outside the province, never a superseded report
        sel = reps[(reps["year"] == int(year)) & (reps["coverage"] == period)]  # a cumulative Q3 is a 9-month
        if level:
            sel = sel[sel["level"] == level]
        if sel.empty:
            raise UnknownUnitError(tr("no {period} appendices for {year} {level}; {listing}").format(
                period=period, year=year, level=level, listing=report_listing(reps)))
        pick = data.ind["source"].isin(sel["source"])
        prev = data.assessed[(data.assessed["year"] == int(year) - 1) & (data.assessed["period"] == period)]
        # only the indicators each report's level and form can have (a commune is never shown a district's)
        view = cls(int(year), period, sel, applicable(data.ind[pick], sel),
                   data.findings[data.findings["source"].isin(sel["source"])],
                   applicable(data.assessed[data.assessed["source"].isin(sel["source"])], sel), prev,
                   data.table[data.table["source"].isin(sel["source"])])
        view.project = project
        return view

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    @property
    def when(self) -> str:
        return period_phrase(self.period, self.year)

    @property
    def stem(self) -> str:
        """The comparison's file name without its format, named by period as its page is (``compare``,
        ``compare-q1``): one period never overwrites another."""
        return "compare" + file_suffix(self.period)

    def named_findings(self) -> pd.DataFrame:
        """Every compared unit's findings with the unit's name (``unit_name``): its workbook's findings sheet."""
        return self.findings.assign(unit_name=self.findings["unit"].map(self.reps.set_index("unit")["unit_name"]))

    @property
    def in_sentence(self) -> str:
        return period_in_sentence(self.period, self.year)

    @cached_property
    def levels(self) -> list[str]:
        """The levels compared, in the order the league tables show them."""
        return sorted(dict.fromkeys(self.reps["level"].fillna("")))

    def measure(self, level: str) -> str:
        """What the league table of ``level`` is ranked by (``rank_by`` of ``data/levels.yaml``)."""
        return rank_by(level, self.assessed[self.assessed["level"] == level])

    def level_ids(self, level: str) -> list[str]:
        """The ranking measure of ``level``, then what the level leads with and every indicator of it with a
        target in force (``analysis.selection.headline_ids``)."""
        a = self.assessed[self.assessed["level"] == level]
        measure = self.measure(level)
        return [measure] + [i for i in headline_ids(level, a) if i != measure]

    @cached_property
    def headline_ids(self) -> list[str]:
        """Every compared level's measure and headline indicators (see :meth:`level_ids`), each once."""
        return list(dict.fromkeys(i for level in self.levels for i in self.level_ids(level)))

    def header(self) -> Group:
        title = f"So sánh kết quả cải cách hành chính giữa các đơn vị – {self.when}"
        return Group(page_head(self.synthetic) + [Heading(title, 1),
                                              Paragraph.of(f"{len(self.reps)} đơn vị có phụ lục "
                                                           f"{self.in_sentence}.", "meta")])

    def league(self, level: str | None = None) -> pd.DataFrame:
        """One row per unit: name, the ranking measure, headline indicators, ranks, error and warning counts.

        Each level is ranked by its own measure (:meth:`measure`: communes and wards by the commune on-time
        rate, departments by plan completion, legacy districts by the on-time rate of both levels), with its own
        columns (:meth:`level_ids`); ``level=None``: every level, one after the other. A unit is left unranked
        only when an error-level finding touches the inputs of its level's measure.
        """
        if level is None:
            parts = [self.league(lv) for lv in self.levels]
            return pd.concat(parts) if len(parts) > 1 else parts[0]
        measure, ids = self.measure(level), self.level_ids(level)
        a = self.assessed[self.assessed["level"] == level]
        units = self.reps.loc[self.reps["level"].fillna("") == level, "unit"]
        # the one value of each figure (the unit's own when it agrees with its counts: analysis.assess.shown_value)
        wide = a.pivot(index="unit", columns="indicator", values="shown").reindex(index=units, columns=ids)
        wide.columns.name = "indicator"
        mine = a[a["indicator"] == measure].set_index("unit")
        wide["doubtful"] = mine["status"].reindex(wide.index).eq("doubtful")
        counts = (self.findings.groupby(["unit", "severity"]).size().unstack(fill_value=0)
                  if len(self.findings) else pd.DataFrame())
        for sev in ("error", "warning"):
            col = counts[sev] if sev in counts else pd.Series(dtype=int)
            wide[sev] = col.reindex(wide.index).fillna(0).astype(int)
        wide.insert(0, "unit_name", self.reps.set_index("unit")["unit_name"].reindex(wide.index))
        wide.insert(1, "level", self.reps.set_index("unit")["level"].reindex(wide.index))
        wide.insert(2, "unit_code", self.reps.set_index("unit")["unit_code"].reindex(wide.index)
                    if "unit_code" in self.reps else "")
        wide["rank"] = mine["rank"].reindex(wide.index)
        prev = self.previous[self.previous["indicator"] == measure].set_index("unit")["rank"]
        wide["rank_before"] = prev.reindex(wide.index)
        return wide.sort_values(["rank", measure], ascending=[True, False], na_position="last")

    def league_html(self) -> Group:
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        out: list[Block] = [Heading("Bảng xếp hạng", 2)]
        for level in self.levels:  # units of different levels (and so of different eras) are never ranked together
            measure, cols = self.measure(level), self.level_ids(level)
            headers = ["Hạng", "Đơn vị", "So với năm trước"] + [names[i] for i in cols] + ["Lỗi", "Cảnh báo"]
            note = (f"Xếp hạng theo {lower_first(names[measure])} ({definition(measure)}), trong từng cấp. Đơn vị "
                    "có lỗi số liệu ở chính các số dùng để xếp hạng thì không xếp hạng (ghi «không xếp hạng»); lỗi ở "
                    "chỉ tiêu khác không ảnh hưởng thứ hạng. Số liệu có mã [L…] là số liệu không thể cùng đúng theo "
                    "kiểm tra, cần đơn vị giải trình.")
            if len(self.levels) > 1:
                out.append(Heading(f"Đơn vị {level_phrase(level) or 'chưa rõ cấp'}", 3))
            out.append(Table(headers, self._league_rows(self.league(level), cols), [note], wide=True))
        return Group(out)

    @cached_property
    def doubt(self) -> dict[tuple[str, str], str]:
        """``(unit, indicator) -> "L1"``: the findings (errors and warnings) that question each unit's figure,
        marked wherever it appears (tables, lists, charts)."""
        a = self.assessed[self.assessed["findings"] != ""]
        return {(u, i): f.replace("; ", ", ") for u, i, f in zip(a["unit"], a["indicator"], a["findings"], strict=True)}

    @cached_property
    def consolidated(self):
        """Province totals over the compared units, leaving out (and naming) units an error questions."""
        return consolidate(self.rows, ind=self.ind, findings=self.findings,
                           rules=self.project.rules if self.project else None)

    def _league_rows(self, lg: pd.DataFrame, cols: list[str]) -> list[list[Cell]]:
        rows = []
        for unit, r in lg.iterrows():
            rank = "—" if pd.isna(r["rank"]) else str(int(r["rank"]))
            move = "—"
            if pd.notna(r["rank"]) and pd.notna(r["rank_before"]):
                d = int(r["rank_before"]) - int(r["rank"])
                move = "không đổi" if d == 0 else (f"tăng {d} bậc" if d > 0 else f"giảm {-d} bậc")
            name = r["unit_name"] + (" (không xếp hạng)" if r["doubtful"] else "")
            rows.append([Cell(rank, None if pd.isna(r["rank"]) else int(r["rank"]), "integer"), Cell(name), Cell(move)]
                        + [Cell(value_text(r[i]), r[i], "percent", self.doubt.get((unit, i), "")) for i in cols]
                        + [Cell(str(r["error"]), r["error"], "count"), Cell(str(r["warning"]), r["warning"], "count")])
        return rows

    def totals(self) -> Group:
        """Totals of the units (counts summed, ratios from the summed counts) and the spread across units, per
        level, on the indicators the level's league shows.

        A unit whose inputs an error-level finding questions is left out of that total, and named."""
        rat = self.consolidated.ratios
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        rows, left = [], []
        for level in self.levels:
            ids = self.level_ids(level)
            mine = rat[(rat["level"].fillna("") == level) & rat["indicator"].isin(ids)]
            mine = mine.assign(_o=mine["indicator"].map({i: k for k, i in enumerate(ids)})).sort_values("_o")
            for r in mine.itertuples(index=False):
                spec = SPECS[r.indicator]
                own = spec["aggregate"] == "none"  # a rate each unit reports itself, with no count to add up
                counted = f"{r.units}" + (f" (không tính {r.units_excluded})" if r.units_excluded else "")
                name = self._named(names[r.indicator], level)
                basis = ratio_basis(spec, r.numerator, r.denominator)
                rows.append([Cell(name), Cell("—" if own else value_text(r.value), r.value, "percent"),
                             Cell(basis),
                             Cell(fmt_percent(r.q1), r.q1, "percent"), Cell(fmt_percent(r.median), r.median, "percent"),
                             Cell(fmt_percent(r.q3), r.q3, "percent"), Cell(counted, r.units, "count")])
                if r.units_excluded:
                    left.append(f"{names[r.indicator]}: không tính {r.units_excluded} đơn vị có số liệu cần xem "
                                f"lại: {r.excluded.replace('; ', ', ')}.")
        note = ("Tỷ lệ chung tính từ tổng tử số trên tổng mẫu số của các đơn vị báo cáo đủ số liệu (không lấy trung "
                "bình các tỷ lệ); tứ phân vị và trung vị là của tỷ lệ từng đơn vị. Đơn vị có số liệu đầu vào không "
                "thể cùng đúng (lỗi) không được tính vào tổng.")
        return Group([Heading("Tổng hợp chung", 2),
                      Table(["Chỉ số", "Tỷ lệ chung", "Tính từ", "Tứ phân vị dưới", "Trung vị", "Tứ phân vị trên",
                             "Số đơn vị tính"], rows, left + [note])])

    def _named(self, name: str, level: str) -> str:
        """An indicator's name with its level when the comparison has several (once: "(cấp xã)" never twice)."""
        phrase = level_phrase(level)
        return name + (f" ({phrase})" if len(self.levels) > 1 and phrase and f"({phrase})" not in name else "")

    def lowest_units(self, ident: str, n: int = 3, level: str | None = None) -> pd.DataFrame:
        """The units that did worst on ``ident`` among their level's (``analysis.selection.weakest``): below the
        target in force, else below the level's median; never the best, never all tied, never a figure an
        error questions; the ``n`` lowest and every unit tied with the last of them."""
        a = self.assessed if level is None else self.assessed[self.assessed["level"] == level]
        return weakest(a, ident, n)

    def lowest(self) -> Group:
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        items = []
        for level in self.levels:
            for ident in self.level_ids(level):
                low = self.lowest_units(ident, level=level)
                if low.empty:
                    continue
                label = self._named(names[ident], level)
                spans = [Span(f"{label}: ")]
                for k, (u, name, v) in enumerate(zip(low["unit"], low["unit_name"], low["shown"], strict=True)):
                    spans += [Span(("; " if k else "") + f"{name} ("),
                              Span(fmt_percent(v), self.doubt.get((u, ident), "")), Span(")")]
                items.append(spans + [Span(".")])
        if not items and not (self.reps["level"].fillna("").value_counts() > 1).any():
            return Group([])  # no level has two units: nobody to compare
        if not items:
            return Group([Heading("Đơn vị có kết quả thấp nhất", 2),
                          Paragraph.of("Không đơn vị nào thấp hơn mục tiêu hoặc thấp hơn trung vị của các đơn vị cùng "
                                       "cấp ở các chỉ số chính.", "note")])
        return Group([Heading("Đơn vị có kết quả thấp nhất", 2), Bullets(items),
                      Paragraph.of("Mỗi chỉ số nêu tối đa 3 đơn vị thấp nhất (và mọi đơn vị bằng đơn vị thứ ba) trong "
                                   "số các đơn vị chưa đạt mục tiêu, hoặc, khi chỉ số chưa có mục tiêu, thấp hơn trung "
                                   "vị của các đơn vị cùng cấp; không nêu đơn vị cao nhất, không nêu khi mọi đơn vị "
                                   "bằng nhau. Đơn vị có số liệu cần xem lại (lỗi) không được xếp hạng nên không nêu "
                                   "ở đây; các chỉ tiêu về mức biên chế không đánh giá cao hay thấp.", "note")])

    def summary(self) -> Paragraph:
        """The comparison in a few sentences: per level, the total of its measure, the best and the lowest units
        (only a unit that did worse than the target or the median is "thấp nhất"), then the units to review."""
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        spans: list[Span] = [Span(f"{self.when}: {len(self.reps)} đơn vị có phụ lục. ", strong=True)]
        rat = self.consolidated.ratios
        for level in self.levels:
            measure = self.measure(level)
            where = f"{level_phrase(level)}: " if len(self.levels) > 1 and level_phrase(level) else ""
            where = where[:1].upper() + where[1:]
            r = rat[(rat["level"].fillna("") == level) & (rat["indicator"] == measure)]
            said = False
            if len(r) and pd.notna(r["value"].iloc[0]):
                r = r.iloc[0]
                said_name = lower_first(names[measure]) if where else names[measure]
                spans.append(Span(f"{where}{said_name} chung {fmt_percent(r['value'])} (tính trên {r['units']} "
                                  "đơn vị" + (f", không tính {r['excluded'].replace('; ', ', ')} vì số liệu cần xem "
                                              "lại" if r["units_excluded"] else "") + "). "))
                said = True
            a = self.assessed[self.assessed["level"] == level]
            ranked = a[(a["indicator"] == measure) & a["rank"].notna()]
            if len(ranked) > 1:
                top = ranked[ranked["rank"] == 1]
                lead = "Cao nhất" if said or not where else f"{where}{lower_first(names[measure])} cao nhất"
                if len(top) == len(ranked):  # all tied: nobody is highest or lowest
                    spans.append(Span(f"{'Các' if said or not where else where + 'các'} đơn vị được xếp hạng cùng "
                                      f"đạt {fmt_percent(top['shown'].iloc[0])}. "))
                    continue
                # each unit's figure as every page prints it (its own when it agrees with its counts)
                spans.append(Span(f"{lead}: {', '.join(top['unit_name'])} ({fmt_percent(top['shown'].iloc[0])})"))
                low = self.lowest_units(measure, 1, level)
                if len(low):
                    spans.append(Span(f"; thấp nhất: {', '.join(low['unit_name'])} "
                                      f"({fmt_percent(low['shown'].iloc[0])})"))
                spans.append(Span(". "))
        errs = self.findings[self.findings["severity"] == "error"] if len(self.findings) else self.findings
        if len(errs):
            who = self.reps.set_index("unit")["unit_name"]
            units = [who.get(u, u) for u in dict.fromkeys(errs["unit"])]
            spans.append(Span(f"{len(units)} đơn vị có số liệu không thể cùng đúng, cần giải trình: "
                              f"{', '.join(units)}."))
        else:
            spans.append(Span("Không đơn vị nào có số liệu không thể cùng đúng."))
        return Paragraph(spans, "lead")

    def ranking_chart(self, indicator: str | None = None):
        """The units' values of ``indicator`` (default: the first level's measure), highest first; of a longer
        ranking than ``RANKING_ALL`` units, the ``RANKING_ENDS`` highest and lowest (the league table ranks them all):
        a bar for each of a province's 120 units would be a picture no page prints legibly."""
        indicator = indicator or self.measure(self.levels[0])
        sub = self.assessed[self.assessed["indicator"] == indicator]
        name = sub["name_vi"].iloc[0] if len(sub) else indicator
        # highest first; equal values in the order of the units' names, so that a cut between equals is not chance
        sub = sub[sub["shown"].notna()].sort_values(["value", "unit_name"], ascending=[False, True])
        gap = None
        if len(sub) > RANKING_ALL:
            gap = (RANKING_ENDS, f"… {fmt_number(len(sub) - 2 * RANKING_ENDS)} đơn vị khác …")
            sub = pd.concat([sub.head(RANKING_ENDS), sub.tail(RANKING_ENDS)])
        marks = [self.doubt.get((u, indicator), "") for u in sub["unit"]]
        return charts.rates_chart(sub["unit_name"].tolist(), sub["shown"].tolist(), f"{name} – {self.when}",
                                  f"Phụ lục CCHC {self.in_sentence} của {len(self.reps)} đơn vị", self.synthetic,
                                  doubts=marks, gap=gap)

    def quality(self) -> Group:
        out: list[Block] = [Heading("Chất lượng số liệu và nội dung đề nghị giải trình", 2)]
        if self.findings.empty:
            return Group(out + [Paragraph.of("Không đơn vị nào có số liệu mâu thuẫn.")])
        names = self.reps.set_index("unit")["unit_name"]
        rows = []
        for unit, g in self.findings.groupby("unit", sort=False):
            n = g["severity"].value_counts()
            asks = "; ".join(dict.fromkeys(g[g["severity"] != "info"].get("title_vi", g["rule"])))
            rows.append([Cell(names.get(unit, unit)), Cell(str(n.get("error", 0)), n.get("error", 0), "count"),
                         Cell(str(n.get("warning", 0)), n.get("warning", 0), "count"),
                         Cell(str(n.get("info", 0)), n.get("info", 0), "count"), Cell(asks or "—")])
        rows.sort(key=lambda r: (-r[1].value, -r[2].value))
        return Group(out + [Table.of(["Đơn vị", "Lỗi", "Cảnh báo", "Lưu ý", "Đề nghị giải trình"], rows)])

    def document(self) -> Document:
        blocks = [self.header(), self.summary(), self.totals(), self.league_html(), self.ranking_chart(),
                  self.lowest(), self.quality()]
        return Document(f"So sánh các đơn vị – {self.when}", self._with_stamp(blocks), self.synthetic, landscape=True)
