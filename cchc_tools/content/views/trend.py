"""One unit over time, its legacy predecessors beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.computed import computed
from cchc_tools.analysis.selection import _listing, check_slug, reports
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.content import charts
from cchc_tools.content.document import (
    Cell,
    Document,
    Group,
    Heading,
    Paragraph,
    Table,
)
from cchc_tools.content.narrative import period_phrase
from cchc_tools.content.views.common import (
    HEADLINE_IDS,
    Stamped,
    _formats,
    _head,
    _office,
    _value_text,
    definition,
    project_of,
)
from cchc_tools.errors import UnknownUnitError
from cchc_tools.i18n import _ as tr
from cchc_tools.render.html import register_notebook_display

if TYPE_CHECKING:
    from cchc_tools.project import Project


def legacy_reports(reps: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """Reports of the legacy units (before 1/7/2025) that a current unit was formed from."""
    from cchc_tools.units import is_legacy, predecessors

    if "unit_code" not in reps or mine.empty:
        return reps.iloc[0:0]
    codes = {c for c in mine["unit_code"] if c}
    current = [c for c, y, p in zip(mine["unit_code"], mine["year"], mine["period"], strict=True)
               if c and not is_legacy(c, None if pd.isna(y) else int(y), p)]
    olds = {old for c in set(current) for lv in ("commune", "district") for old, _ in predecessors(c, lv)} - codes
    legacy = [is_legacy(c, None if pd.isna(y) else int(y), p) if c else False
              for c, y, p in zip(reps["unit_code"], reps["year"], reps["period"], strict=True)]
    return reps[reps["unit_code"].isin(olds) & pd.Series(legacy, index=reps.index)]

@dataclass
class UnitTrend(Stamped):
    KIND = "trend"
    unit: str
    reps: pd.DataFrame
    ind: pd.DataFrame
    predecessors: pd.DataFrame = field(default_factory=pd.DataFrame)  # indicators of the legacy units it replaced

    @classmethod
    def load(cls, unit: str, data_dir: str | Path | None = None, *, project: Project | str | Path | None = None):
        """The trend of ``unit`` over every period of the project's data (or ``data_dir``)."""
        check_slug(unit)
        register_notebook_display()
        project = project_of(project)
        data = computed(project, data_dir)
        reps = reports(data.table)
        mine = reps[reps["unit"] == unit]
        if mine.empty:
            raise UnknownUnitError(tr("no appendices for unit {unit!r}; {listing}").format(
                unit=unit, listing=_listing(reps, unit)))
        before = legacy_reports(reps, mine)
        view = cls(unit, mine, data.ind[data.ind["source"].isin(mine["source"])],
                   data.ind[data.ind["source"].isin(before["source"])])
        view.project = project
        return view

    @property
    def name(self) -> str:
        return self.reps["unit_name"].iloc[0] or self.unit

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    def _label(self, year, period) -> str:
        return str(int(year)) if period == "annual" else period_phrase(period, year)

    def header(self) -> Group:
        periods = ", ".join(self._label(y, p) for y, p in zip(self.reps["year"], self.reps["period"], strict=True))
        return Group(_head(self.synthetic) + [Heading("Diễn biến kết quả CCHC – " + self.name, 1),
                                              Paragraph.of(f"Các kỳ có số liệu: {periods}.", "meta")])

    def _head_ind(self) -> pd.DataFrame:
        return self.ind[self.ind["indicator"].isin(HEADLINE_IDS)].sort_values(["year", "period"], kind="stable")

    def table(self) -> Table:
        head = self._head_ind().copy()
        head["kỳ"] = [self._label(y, p) for y, p in zip(head["year"], head["period"], strict=True)]
        order = list(dict.fromkeys(head["kỳ"]))
        ids = [i for i in HEADLINE_IDS if i in set(head["indicator"])]
        wide = head.pivot(index="indicator", columns="kỳ", values="value").reindex(ids)[order]
        asked = head.assign(x=1).pivot(index="indicator", columns="kỳ", values="x").reindex(ids)[order].notna()
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        rows = [[Cell(names[ident])] + [Cell(_value_text(v), v, "percent") if asked.loc[ident, k] else Cell("—")
                                        for k, v in r.items()] for ident, r in wide.iterrows()]
        notes = [f"{names[i]}: {definition(i)}." for i in ids]
        if not asked.to_numpy().all():
            notes.append("—: chỉ tiêu không có trong mẫu phụ lục của kỳ đó (từ năm 2023, dịch vụ công trực tuyến "
                         "tính theo toàn trình, một phần theo Nghị định 42/2022/NĐ-CP, không cộng với mức độ 3, 4).")
        return Table(["Chỉ số"] + order, rows, notes)

    def predecessors_table(self) -> Group:
        """The legacy units this unit was formed from, each on its own row: shown beside, never summed."""
        if self.predecessors.empty:
            return Group([])
        head = self.predecessors[self.predecessors["indicator"].isin(HEADLINE_IDS)].copy()
        head["kỳ"] = [self._label(y, p) for y, p in zip(head["year"], head["period"], strict=True)]
        rows = [[Cell(f"{r.unit_name} (trước sắp xếp)"), Cell(r.kỳ), Cell(r.name_vi),
                 Cell(_value_text(r.value), r.value, "percent")] for r in head.itertuples(index=False)]
        note = ("Số liệu của các đơn vị hành chính trước ngày 01/7/2025 đã sắp xếp thành đơn vị này; mỗi đơn vị một "
                "dòng, không cộng dồn và không so sánh trực tiếp với số liệu của đơn vị mới.")
        return Group([Heading("Đơn vị trước sắp xếp", 2),
                      Table(["Đơn vị", "Kỳ", "Chỉ số", "Giá trị"], rows, [note])])

    def summary(self) -> str:
        """Headline indicators per period as plain text (the golden output nbval checks)."""
        lines = [f"{self.name}: {len(self.reps)} kỳ báo cáo"]
        for name, g in self._head_ind().groupby("name_vi", sort=False):
            pts = "; ".join(f"{self._label(y, p)} {_value_text(v)}"
                            for y, p, v in zip(g["year"], g["period"], g["value"], strict=True))
            lines.append(f"{name}: {pts}")
        return "\n".join(lines)

    def chart(self):
        series = {n: [(self._label(y, p), v) for y, p, v in zip(g["year"], g["period"], g["value"], strict=True)]
                  for n, g in self._head_ind().groupby("name_vi", sort=False)}
        return charts.trend_chart(series, f"Diễn biến các chỉ số chính – {self.name}",
                                  f"Phụ lục CCHC các kỳ của {self.name}", self.synthetic)

    def document(self) -> Document:
        return Document(f"Diễn biến CCHC – {self.name}",
                        self._with_stamp([self.header(), self.table(), self.chart(), self.predecessors_table()]),
                        self.synthetic)

    def save(self, out_dir: str | Path, formats: str = "html,docx,xlsx,pdf", stem: str = "") -> list[Path]:
        """The trend's Word and Excel files (``<unit>.docx``, ``<unit>.xlsx``) when asked."""
        if not out_dir or not _office(formats):
            return []
        return _formats(self.document(), Path(out_dir), stem or self.unit, formats, project=self.project)
