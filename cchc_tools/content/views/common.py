"""What the three views share: statuses and labels, the source line, definitions, citations and the
provenance stamp. A view builds blocks and tables; ``cchc_tools.render`` writes them (``render.save``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.selection import headline_ids
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.catalog import by_code
from cchc_tools.content import charts
from cchc_tools.content.document import (
    Cell,
    Group,
    Heading,
    Table,
)
from cchc_tools.numbers import fmt_percent
from cchc_tools.periods import date_vi

if TYPE_CHECKING:
    from cchc_tools.project import Project

STATUS_VI = {"met": "Đạt mục tiêu", "below_target": "Chưa đạt mục tiêu", "doubtful": "Số liệu cần xem lại",
             "not_reported": "Chưa đủ số liệu", "no_target": ""}
CHARTS = {"III": charts.dossiers_chart, "IV": charts.staff_chart, "VII": charts.edocs_chart}
# Every level's headline indicators (``data/levels.yaml``), for a page that is not about one level. A view of a
# level asks ``analysis.selection.headline_ids(level, assessed)`` (its own headline and every indicator with a
# target in force) and ``rank_by(level)``; it shows only what ``applicable`` keeps.
HEADLINE_IDS = headline_ids("")
SPECS = {s["id"]: s for s in indicator_specs()}


def source_line(rep: pd.Series) -> str:
    """``Phụ lục kèm theo Báo cáo số /BC-UBND ngày 16/12/2022 của UBND thị xã Vĩnh Châu (tệp data/raw/...)``."""
    bits = ["Phụ lục"]
    if rep.get("report_no"):
        bits.append(f"kèm theo Báo cáo số {rep['report_no']}")
    if rep.get("report_date"):
        bits.append(f"ngày {date_vi(rep['report_date'])}")
    if rep.get("unit_name"):
        bits.append(f"của UBND {rep['unit_name']}")
    return " ".join(bits) + f" (tệp {rep['source']})"


def value_text(v: float, reason: str = "") -> str:
    """A rate as a cell or a sentence shows it: ``99,87%``; no value: ``không phát sinh`` when nothing was to be
    counted (the denominator is 0), else ``chưa đủ số liệu``."""
    if v is None or pd.isna(v):
        return "không phát sinh" if reason == "denominator is 0" else "chưa đủ số liệu"
    return fmt_percent(v)


def definition(ident: str) -> str:
    """What an indicator counts over what, in words: its declared definition, else its inputs' labels."""
    spec = SPECS[ident]
    if spec.get("definition_vi"):
        return spec["definition_vi"]
    cat = by_code()
    if "reported" in spec:
        return f"tỷ lệ do đơn vị tự báo cáo (dòng «{cat[spec['reported']].label_vi}»)"
    num = " + ".join(f"«{cat[c].label_vi}»" for c in spec["numerator"])
    den = " + ".join(f"«{cat[c].label_vi}»" for c in spec["denominator"])
    return f"{num} trên {den}"


def stamp_block(stamp) -> Group:
    """The stamp at the foot of every page, from the provenance record passed in (a
    :class:`cchc_tools.provenance.Stamp`, or anything with its ``page_lines()``): kit, time, project files,
    reference data and input files with their hashes."""
    rows = [[Cell(label), Cell(text)] for label, text in stamp.page_lines()]
    return Group([Heading("Thông tin lập báo cáo", 2), Table.of(["Mục", "Nội dung"], rows,
                  notes=["Mã SHA-256 (12 ký tự đầu) cho biết chính xác tệp và phiên bản bộ công cụ đã dùng; "
                         "mã đầy đủ ở tệp .provenance.json bên cạnh báo cáo."])], keep=True)


def provenance_block(kind: str, parameters: dict, project: Project | None = None) -> Group:
    """The stamp of the briefing running in this kernel (:func:`cchc_tools.provenance.for_notebook`) as a block."""
    from cchc_tools.provenance import for_notebook

    return stamp_block(for_notebook(kind, parameters, project_of(project or parameters.get("project"))))


def project_of(project) -> Project:
    """The project a view reads: a :class:`Project` as given, else loaded from its folder (a notebook's
    ``project`` parameter; empty: found from the working directory, the kit's own repository)."""
    from cchc_tools.project import Project, load_project

    return project if isinstance(project, Project) else load_project(project or None)


class Stamped:
    """A view whose pages end with the provenance stamp, once the notebook has asked for it."""

    KIND = ""
    _stamp: Group | None = None
    project: Project | None = None  # set by ``load``

    def provenance(self, **parameters) -> Group:
        """The stamp of this run (the notebook passes its parameters, as papermill injected them)."""
        given = {k: v for k, v in parameters.items() if k != "out_dir" and v != ""}  # as the runner passes them
        self._stamp = provenance_block(self.KIND, given, self.project)
        return self._stamp

    def _with_stamp(self, blocks: list) -> list:
        return blocks + ([self._stamp] if self._stamp is not None else [])


def split_refs(text: str) -> list[str]:
    """The findings' references of an assessment's ``findings`` cell: ``"L1; C2"`` -> ``["L1", "C2"]``."""
    return [r for r in str(text or "").split("; ") if r]
