"""One unit over time, its legacy predecessors beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.selection import (
    applicable,
    check_slug,
    current_era,
    headline_ids,
    kept_reports,
    legacy_reports,
    report_listing,
)
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.content import charts
from cchc_tools.content.document import (
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
from cchc_tools.content.narrative import change_phrase, period_in_sentence, period_phrase
from cchc_tools.content.views.common import (
    Stamped,
    definition,
    project_of,
    value_text,
)
from cchc_tools.errors import UnknownUnitError
from cchc_tools.i18n import _ as tr
from cchc_tools.numbers import fmt_percent
from cchc_tools.periods import period_order, previous_period, year_earlier
from cchc_tools.pipeline import computed
from cchc_tools.text import lower_first

CUMULATIVE = {s["id"]: bool(s.get("cumulative")) for s in indicator_specs()}

if TYPE_CHECKING:
    from cchc_tools.project import Project


def _errors(*marks: str) -> bool:
    """Whether any of the findings' references (``L1, C2``) is an error's: such a figure is no base for a change."""
    return any(r.startswith("L") and not r.startswith("LY") for m in marks for r in str(m or "").split(", ") if r)


@dataclass
class UnitTrend(Stamped):
    """One unit over time: a sentence per headline indicator, one table of its periods, small charts.

    Each period is compared twice, in two columns of the table and in the sentences:

    - **So với kỳ trước**: with the period before it (``periods.previous_period``): a quarter with the
      quarter before (quý I năm 2026 with quý IV năm 2025), the second half with the first; a cumulative
      ("lũy kế", from January) report with the cumulative report before it in the same year (9 tháng with
      6 tháng, the year with 9 tháng, 6 tháng with quý I; a province reporting by halves: 6 tháng with the
      second half of the year before).
    - **So với cùng kỳ năm trước**: with the same coverage a year earlier (a cumulative quý III, which
      covers nine months, with the 9 tháng of the year before, never with a quý III).

    Reports are placed and compared by their coverage (``periods.coverage``), never a cumulative figure
    with a quarter's. The change is in percentage points, and is not computed when an error questions
    either figure. A unit with one period gets its table and no chart (a chart of one point says nothing);
    an indicator with one point has no chart either.

    A legacy unit (before 1/7/2025) names every unit it was arranged into (``units.successors``); a current
    unit shows its legacy predecessors' reports beside its own, never summed.
    """

    KIND = "trend"
    unit: str
    reps: pd.DataFrame
    ind: pd.DataFrame
    predecessors: pd.DataFrame = field(default_factory=pd.DataFrame)  # indicators of the legacy units it replaced
    assessed: pd.DataFrame = field(default_factory=pd.DataFrame)  # the unit's assessment: findings on each figure
    predecessor_reports: pd.DataFrame = field(default_factory=pd.DataFrame)  # those units' reports (their codes)

    @classmethod
    def load(cls, unit: str, data_dir: str | Path | None = None, *, project: Project | str | Path | None = None):
        """The trend of ``unit`` over every period of the project's data (or ``data_dir``)."""
        check_slug(unit)
        project = project_of(project)
        data = computed(project, data_dir)
        reps = kept_reports(data.reports)  # never a unit outside the province, never a superseded report
        mine = reps[reps["unit"] == unit]
        if mine.empty:
            raise UnknownUnitError(tr("no appendices for unit {unit!r}; {listing}").format(
                unit=unit, listing=report_listing(reps, unit)))
        mine = current_era(mine)
        before = legacy_reports(reps, mine)
        view = cls(unit, mine, data.ind[data.ind["source"].isin(mine["source"])],
                   data.ind[data.ind["source"].isin(before["source"])],
                   data.assessed[data.assessed["source"].isin(set(mine["source"]) | set(before["source"]))], before)
        view.project = project
        return view

    @property
    def name(self) -> str:
        return self.reps["unit_name"].iloc[0] or self.unit

    @property
    def stem(self) -> str:
        """The trend's file name without its format: the unit's slug (``vinh-chau``)."""
        return self.unit

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    # -- periods ----------------------------------------------------------------------------
    @staticmethod
    def _label(year, period) -> str:
        """A period as a column names it: ``2022`` for a year, ``Quý I năm 2026``."""
        if period == "annual" and not pd.isna(year):
            return str(int(year))
        return period_phrase(period, year)

    @staticmethod
    def _phrase(year, period) -> str:
        """``năm 2022``, ``quý III năm 2022``: a period inside a sentence."""
        return period_in_sentence(period, year)

    @property
    def _coverage(self) -> dict[str, str]:
        """Each report's coverage (a cumulative quý III covers 9 months), by source."""
        cover = self.reps["coverage"] if "coverage" in self.reps else self.reps["period"]
        return dict(zip(self.reps["source"], cover, strict=True))

    @property
    def _have(self) -> set[tuple[str, int]]:
        """The ``(coverage, year)`` the unit reported."""
        cover = self._coverage
        return {(cover[s], int(y)) for s, y in zip(self.reps["source"], self.reps["year"], strict=True)
                if not pd.isna(y)}

    def header(self) -> Group:
        cover = self._coverage
        periods = ", ".join(dict.fromkeys(self._label(y, cover[s]) for s, y in
                                          zip(self.reps["source"], self.reps["year"], strict=True)))
        blocks = [Heading("Diễn biến kết quả CCHC – " + self.name, 1),
                  Paragraph.of(f"Các kỳ có số liệu: {periods}.", "meta")]
        arranged = self.arranged_into()
        if arranged:
            blocks.append(Paragraph.of(arranged, "meta"))
        return Group(page_head(self.synthetic) + blocks)

    def arranged_into(self) -> str:
        """For a legacy unit: every unit it was arranged into (``units.successors``), in one sentence; empty for
        a current unit (its predecessors are shown in their own table)."""
        from cchc_tools.units import is_legacy, successor_names

        if "unit_code" not in self.reps:
            return ""
        codes = [(c, y, p) for c, y, p in zip(self.reps["unit_code"], self.reps["year"], self.reps["period"],
                                               strict=True) if c]
        legacy = [c for c, y, p in codes if is_legacy(c, None if pd.isna(y) else int(y), p)]
        if not codes or len(legacy) < len(codes):
            return ""
        names = successor_names(legacy[-1])
        if not names:
            return ""
        who = self.name[:1].upper() + self.name[1:]
        return (f"{who} đã sắp xếp thành {', '.join(names)} (từ ngày 01/7/2025). Số liệu của trang này là của "
                f"{self.name} trước sắp xếp, không cộng vào số liệu của các đơn vị mới.")

    @property
    def headline(self) -> list[str]:
        """The indicators the trend follows: those its level leads with (``data/levels.yaml``) and every one with a
        target in force, of the unit's latest report's level."""
        level = str(self.reps["level"].iloc[-1]) if len(self.reps) and "level" in self.reps else ""
        return headline_ids(level, self.assessed[self.assessed["source"].isin(self.reps["source"])])

    # -- figures ----------------------------------------------------------------------------
    def _head_ind(self) -> pd.DataFrame:
        """The headline indicators of every report, in calendar order of their coverage, with the references of
        the findings on each (``doubt``)."""
        cover = self._coverage
        head = self.ind[self.ind["indicator"].isin(self.headline)]
        head = head.assign(coverage=head["source"].map(cover).fillna(head["period"]))
        head = head.assign(_p=head["coverage"].map(period_order)).sort_values(["year", "_p"], kind="stable")
        head = head.drop(columns="_p")
        if self.assessed.empty:
            return head.assign(doubt="")
        refs = {(s, i): f.replace("; ", ", ") for s, i, f in
                zip(self.assessed["source"], self.assessed["indicator"], self.assessed["findings"], strict=True)}
        return head.assign(doubt=[refs.get((s, i), "") for s, i in zip(head["source"], head["indicator"], strict=True)],
                           value=self._shown(head))

    def _shown(self, frame: pd.DataFrame) -> pd.Series:
        """The value each page prints (``analysis.assess.shown_value``: the unit's own figure when it agrees with
        its counts), for the rows of an indicator frame."""
        if "shown" not in self.assessed:
            return frame["value"]
        shown = {(s, i): v for s, i, v in
                 zip(self.assessed["source"], self.assessed["indicator"], self.assessed["shown"], strict=True)}
        return pd.Series([shown.get((s, i), v) for s, i, v in
                          zip(frame["source"], frame["indicator"], frame["value"], strict=True)],
                         index=frame.index, dtype=float)

    @staticmethod
    def _point(head: pd.DataFrame, ident: str, key: tuple[str, int] | None) -> tuple[float, str] | None:
        """An indicator's value and doubts in the report of ``(coverage, year)``; None when not there."""
        if key is None:
            return None
        hit = head[(head["indicator"] == ident) & (head["coverage"] == key[0]) & (head["year"] == key[1])]
        if hit.empty:
            return None
        last = hit.iloc[-1]
        return float(last["value"]), str(last["doubt"] or "")

    def bases(self, year, coverage: str) -> dict[str, tuple[str, int] | None]:
        """The two periods a report of ``(coverage, year)`` is compared with, when the unit reported them:
        ``previous`` (kỳ trước) and ``year_before`` (cùng kỳ năm trước)."""
        have = self._have
        earlier = year_earlier(coverage, year)
        return {"previous": previous_period(coverage, year, have),
                "year_before": earlier if earlier in have else None}

    def bases_of(self, ident: str, year, coverage: str) -> dict[str, tuple[str, int] | None]:
        """:meth:`bases` for one indicator: a figure cumulative by nature (``cumulative: true`` in
        indicators.yaml: plan completion counts from January whatever the period) is never compared with a
        period of another year as its "kỳ trước" (quý I năm 2026 with quý IV năm 2025 would read as a fall)."""
        out = self.bases(year, coverage)
        prev = out["previous"]
        if prev is not None and prev[1] != year and CUMULATIVE.get(ident):
            out["previous"] = None
        return out

    def _change_cell(self, now: tuple[float, str] | None, before: tuple[float, str] | None) -> Cell:
        if now is None or before is None or pd.isna(now[0]) or pd.isna(before[0]):
            return Cell("—")
        if _errors(now[1], before[1]):
            return Cell("chưa tính (số liệu cần xem lại)")
        return Cell(change_phrase(now[0], before[0], "") or "—", round(now[0] - before[0], 2), "decimal")

    def table(self) -> Table:
        """One row per headline indicator, one column per period; the last period compared with the one before
        it and with the same period a year earlier (when the unit has more than one period)."""
        head = self._head_ind().copy()
        head["kỳ"] = [self._label(y, c) for y, c in zip(head["year"], head["coverage"], strict=True)]
        head = head.drop_duplicates(["indicator", "kỳ"], keep="last")  # one figure per period (the latest file)
        order = list(dict.fromkeys(head["kỳ"]))
        ids = [i for i in self.headline if i in set(head["indicator"])]
        wide = head.pivot(index="indicator", columns="kỳ", values="value").reindex(ids)[order]
        marks = head.pivot(index="indicator", columns="kỳ", values="doubt").reindex(ids)[order]
        asked = head.assign(x=1).pivot(index="indicator", columns="kỳ", values="x").reindex(ids)[order].notna()
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        last = head.iloc[-1] if len(head) else None
        compared = len(order) >= 2 and last is not None and not pd.isna(last["year"])  # a report without a year: none
        bases = self.bases(int(last["year"]), last["coverage"]) if compared else {}
        key = (last["coverage"], int(last["year"])) if compared else None
        rows = []
        for ident, r in wide.iterrows():
            if compared:
                bases = self.bases_of(ident, int(last["year"]), last["coverage"])
            cells = [Cell(names[ident])]
            for k, v in r.items():
                d = marks.loc[ident, k] if isinstance(marks.loc[ident, k], str) else ""
                cells.append(Cell(value_text(v), v, "percent", d) if asked.loc[ident, k] else Cell("—"))
            if compared:
                now = self._point(head, ident, key)
                cells += [self._change_cell(now, self._point(head, ident, bases["previous"])),
                          self._change_cell(now, self._point(head, ident, bases["year_before"]))]
            rows.append(cells)
        notes = [f"{names[i]}: {definition(i)}." for i in ids]
        if compared:
            notes.append(self._comparison_note(last))
            prev = self.bases(int(last["year"]), last["coverage"])["previous"]
            across = [names[i] for i in ids if CUMULATIVE.get(i) and prev is not None and prev[1] != int(last["year"])]
            if across:
                notes.append(f"{', '.join(across)}: tính lũy kế từ đầu năm, nên không so sánh với kỳ trước thuộc năm "
                             "trước.")
        if not asked.to_numpy().all():
            notes.append("—: chỉ tiêu không có trong mẫu phụ lục của kỳ đó (từ năm 2023, dịch vụ công trực tuyến "
                         "tính theo toàn trình, một phần theo Nghị định 42/2022/NĐ-CP, không cộng với mức độ 3, 4).")
        extra = ["So với kỳ trước", "So với cùng kỳ năm trước"] if compared else []
        return Table(["Chỉ số"] + order + extra, rows, notes)

    def _comparison_note(self, last: pd.Series) -> str:
        """What the two change columns compare, and why one is empty."""
        year, cover = int(last["year"]), last["coverage"]
        now = self._phrase(year, cover)
        bases = self.bases(year, cover)
        said = []
        for what, key, expected in (("So với kỳ trước", bases["previous"], previous_period(cover, year)),
                                    ("So với cùng kỳ năm trước", bases["year_before"], year_earlier(cover, year))):
            if key is not None:
                said.append(f"{what}: {now} so với {self._phrase(key[1], key[0])}")
            elif expected is not None:
                said.append(f"{what}: chưa có phụ lục {self._phrase(expected[1], expected[0])} để so sánh")
        rule = ("kỳ trước của một quý là quý liền trước; của báo cáo lũy kế từ đầu năm (6 tháng, 9 tháng, năm) là "
                "báo cáo lũy kế liền trước trong cùng năm")
        return ("; ".join(said) + f" ({rule}). Thay đổi theo điểm phần trăm; không tính khi số liệu của một trong "
                "hai kỳ cần xem lại (lỗi).")

    def sentences(self) -> Bullets:
        """A sentence per headline indicator: its latest period, the change against the period before and the
        same period a year earlier, and the doubts on them (a sentence with a questioned figure is attributed
        to the unit's reports)."""
        head = self._head_ind()
        items: list[list[Span]] = []
        for name, g in head.groupby("name_vi", sort=False):
            g = g[g["value"].notna()]
            if g.empty:
                continue
            last = g.iloc[-1]
            ident, year, cover = last["indicator"], last["year"], last["coverage"]
            bits = [Span(f"{name} {self._phrase(year, cover)}: "), Span(fmt_percent(last["value"]), last["doubt"])]
            doubted, said = bool(last["doubt"]), 0
            keys = [] if pd.isna(year) else dict.fromkeys(self.bases_of(ident, int(year), cover).values())
            for key in keys:
                base = self._point(head, ident, key)
                if key is None or base is None or pd.isna(base[0]):
                    continue
                doubted |= bool(base[1])
                plabel = self._phrase(key[1], key[0])
                if _errors(last["doubt"], base[1]):
                    bits.append(Span(f" (chưa so sánh với {plabel} vì số liệu cần xem lại)"))
                else:
                    bits += [Span(" và " if said else ", "), Span(change_phrase(last["value"], base[0], "")),
                             Span(f" so với {plabel} ("), Span(fmt_percent(base[0]), base[1]), Span(")")]
                    said += 1
            if doubted:
                bits[0] = Span("Theo số liệu đơn vị báo cáo, " + lower_first(bits[0].text))
            items.append(bits + [Span(".")])
        return Bullets(items or [[Span("Chưa có số liệu các chỉ số chính.")]], "Các chỉ số chính, kỳ gần nhất:")

    def predecessors_table(self) -> Group:
        """The legacy units this unit was formed from, each on its own row: shown beside, never summed."""
        if self.predecessors.empty:
            return Group([])
        head = applicable(self.predecessors)
        head = head.assign(value=self._shown(head))
        head = head[[i in headline_ids(lv) for i, lv in zip(head["indicator"], head["level"], strict=True)]].copy()
        head["kỳ"] = [self._label(y, p) for y, p in zip(head["year"], head["period"], strict=True)]
        refs = {(s, i): f.replace("; ", ", ") for s, i, f in
                zip(self.assessed["source"], self.assessed["indicator"], self.assessed["findings"], strict=True)}
        # a predecessor's figure carries the references of the findings on it, as on its own pages
        rows = [[Cell(f"{r.unit_name} (trước sắp xếp)"), Cell(r.kỳ), Cell(r.name_vi),
                 Cell(value_text(r.value), r.value, "percent", refs.get((r.source, r.indicator), ""))]
                for r in head.itertuples(index=False)]
        note = ("Số liệu của các đơn vị hành chính trước ngày 01/7/2025 có toàn bộ hoặc một phần địa bàn nay thuộc "
                "đơn vị này" +
                "".join(f"; {w}" for w in self._predecessors_arranged()) +
                ". Mỗi đơn vị một dòng, không cộng dồn và không so sánh trực tiếp với số liệu của đơn vị mới.")
        return Group([Heading("Đơn vị trước sắp xếp", 2),
                      Table(["Đơn vị", "Kỳ", "Chỉ số", "Giá trị"], rows, [note])])

    def _predecessors_arranged(self) -> list[str]:
        """``thị xã Vĩnh Châu đã sắp xếp thành phường Vĩnh Châu, ..., xã Lai Hòa``: every unit each predecessor
        was arranged into (a district became several communes and wards, never this one alone)."""
        from cchc_tools.units import successor_names

        reps = self.predecessor_reports
        if reps.empty or "unit_code" not in reps:
            return []
        out = []
        for code, name in dict(zip(reps["unit_code"], reps["unit_name"], strict=True)).items():
            names = successor_names(code)
            if names:
                out.append(f"{name or code} đã sắp xếp thành {', '.join(names)}")
        return out

    def summary(self) -> str:
        """Headline indicators per period as plain text (the golden output nbval checks)."""
        lines = [f"{self.name}: {len(self.reps)} kỳ báo cáo"]
        for name, g in self._head_ind().groupby("name_vi", sort=False):
            pts = "; ".join(f"{self._label(y, c)} {value_text(v)}" + (f" [{d}]" if d else "")
                            for y, c, v, d in zip(g["year"], g["coverage"], g["value"], g["doubt"], strict=True))
            lines.append(f"{name}: {pts}")
        return "\n".join(lines)

    def chart(self):
        """One small chart per headline indicator with at least two periods; a questioned point is marked with its
        reference. None for a unit with one period: one point is no trend."""
        series = {}
        for n, g in self._head_ind().groupby("name_vi", sort=False):
            pts = [(self._label(y, c), v, d) for y, c, v, d in
                   zip(g["year"], g["coverage"], g["value"], g["doubt"], strict=True)]
            if sum(not pd.isna(v) for _, v, _ in pts) >= 2:
                series[n] = pts
        if not series:
            return None
        return charts.small_trends(series, f"Diễn biến các chỉ số chính – {self.name}",
                                   f"Phụ lục CCHC các kỳ của {self.name}", self.synthetic)

    def document(self) -> Document:
        blocks = [self.header(), self.sentences(), self.table(), self.chart(), self.predecessors_table()]
        return Document(f"Diễn biến CCHC – {self.name}", self._with_stamp([b for b in blocks if b is not None]),
                        self.synthetic)
