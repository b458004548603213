"""What the three views share: statuses and labels, the source line, definitions, the provenance
stamp and the office renderings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.selection import headline_ids
from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.catalog import by_code
from cchc_tools.content import charts
from cchc_tools.content.document import (
    Banner,
    Block,
    Cell,
    Document,
    Group,
    Heading,
    Style,
    Table,
)
from cchc_tools.numbers import fmt_percent
from cchc_tools.render.html import stylesheet
from cchc_tools.vocabulary import SYNTHETIC_BANNER, SYNTHETIC_NOTE

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
        bits.append(f"ngày {_date(rep['report_date'])}")
    if rep.get("unit_name"):
        bits.append(f"của UBND {rep['unit_name']}")
    return " ".join(bits) + f" (tệp {rep['source']})"


def _date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d):02d}/{int(m):02d}/{y}"


def _head(synthetic: bool) -> list[Block]:
    return [Style(stylesheet())] + ([Banner(SYNTHETIC_BANNER, SYNTHETIC_NOTE)] if synthetic else [])


def _value_text(v: float, reason: str = "") -> str:
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


def _cite(source: str, verified: bool) -> str:
    """A target's short citation for a card: ``theo Quyết định số 766/QĐ-TTg*`` (* = not read in the original)."""
    return source.split(" ngày")[0] + ("" if verified else "*")


def cited(source: str, verified: bool) -> str:
    """A target's full citation: ``theo Quyết định ... (chưa đối chiếu văn bản gốc)`` when not verified."""
    return source + ("" if verified else " (chưa đối chiếu văn bản gốc)")


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


def _refs(text: str) -> list[str]:
    return [r for r in str(text or "").split("; ") if r]


def _office(formats: str) -> bool:
    """Whether ``formats`` asks for a Word or Excel file (else no document needs building)."""
    from cchc_tools.render.export import parse_formats

    return bool({"docx", "xlsx"} & set(parse_formats(formats)))


def _formats(document: Document, out: Path, stem: str, formats: str, sheets=None,
             project: Project | None = None) -> list[Path]:
    """The Word and Excel renderings of a document, as ``formats`` asks."""
    from cchc_tools.render.export import write_document_formats

    return write_document_formats(document, out, stem, formats, sheets=sheets,
                                  settings=project.document if project else None)
