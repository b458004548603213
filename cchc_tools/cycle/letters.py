"""Draft letters (công văn) asking each unit to explain or correct its figures, and their register.

For each report of a period with findings that question its figures (errors and warnings, as the
briefing's "Đề nghị đơn vị giải trình") or ask for a correction (a row's unit of measure or wording:
``LABEL_FAMILIES``), ``letters_for`` gives a :class:`Letter`; ``write_letters`` writes one ``.docx``
per unit in the layout of Nghị định 30/2020/NĐ-CP (Phụ lục I: the two-column heading with the issuing
body and the national motto, "Số: …" and the date left for the clerk, "V/v …", "Kính gửi: …", the
points numbered with the unit's own lines and figures, the reply date left blank, "Nơi nhận" and the
signature block), and one register (``.xlsx``) of all letters. The wording is
``data/letters.yaml``; a point says what its finding says and nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from cchc_tools.analysis.assess import LABEL_FAMILIES, finding_refs
from cchc_tools.analysis.checks import shipped_rules
from cchc_tools.analysis.selection import reports
from cchc_tools.paths import PACKAGE_DATA

LETTERS_YAML = PACKAGE_DATA / "letters.yaml"
_FINDING = frozenset({"ref", "title", "lines", "message"})
_COMMON = frozenset({"issuing_body", "unit", "when", "report", "year"})
LETTER_SCHEMA: dict[str, frozenset[str]] = {
    "number": frozenset(), "subject": _COMMON, "date_line": _COMMON, "recipient": _COMMON, "opening": _COMMON,
    "explain_heading": _COMMON, "correct_heading": _COMMON, "point": _FINDING, "point_no_lines": _FINDING,
    "request": _COMMON, "closing": _COMMON, "recipients_title": frozenset(), "recipients": frozenset(),
    "signer": frozenset(), "signer_name": frozenset()}
DEFAULT_ISSUER = "Sở Nội vụ"


@dataclass(frozen=True)
class Point:
    """One point of a letter: a finding's reference, title, lines and message (as the checks wrote it)."""

    ref: str
    severity: str
    rule: str
    title: str
    lines: str
    message: str


@dataclass
class Letter:
    """The letter to one unit about one report."""

    source: str
    unit: str  # slug
    unit_code: str
    addressee: str  # "Ủy ban nhân dân xã Vĩnh Hải"
    level: str
    year: int
    period: str
    report: str  # "Báo cáo số 12/BC-UBND ngày 16/12/2022"
    synthetic: bool = False
    explain: list[Point] = field(default_factory=list)
    correct: list[Point] = field(default_factory=list)

    @property
    def refs(self) -> list[str]:
        return [p.ref for p in self.explain + self.correct]


def sentence_case_body(name: str) -> str:
    """An issuing body as written inside a sentence: ``SỞ NỘI VỤ`` -> ``Sở Nội vụ`` (a name written in
    mixed case is kept)."""
    name = " ".join(name.split())
    if not name or not name.isupper():
        return name or DEFAULT_ISSUER
    words = name.split()
    return " ".join([w.capitalize() for w in words[:2]] + [w.lower() for w in words[2:]])


def addressee(name: str, level: str) -> str:
    """``Xã Vĩnh Hải`` -> ``Ủy ban nhân dân xã Vĩnh Hải``; a department is addressed by its name."""
    name = " ".join(str(name).split())
    if level == "department" or not name:
        return name
    if name.lower().startswith(("ủy ban", "uỷ ban", "ubnd")):
        return name
    return f"Ủy ban nhân dân {name[:1].lower()}{name[1:]}"


def official_name(code: str, year: int, period: str, fallback: str) -> str:
    """The official name of a unit's code in the era of the report, else ``fallback``."""
    if not code:
        return fallback
    from cchc_tools.units import _data, is_legacy

    data = _data()
    era = data.legacy if is_legacy(code, year, period) else data.current
    unit = era.units.get(code)
    return unit.name if unit else fallback


def _report_text(rep: pd.Series) -> str:
    from cchc_tools.content.views.common import _date

    no = str(rep.get("report_no") or "")
    d = str(rep.get("report_date") or "")
    text = f"Báo cáo số {no}" if any(ch.isdigit() for ch in no.split("/")[0]) else "báo cáo"
    return text + (f" ngày {_date(d)}" if d else "")


def letter_points(findings: pd.DataFrame, rules: Iterable | None = None) -> tuple[list[Point], list[Point]]:
    """The points of one report's findings: (to explain, to correct). Info-level findings are left out;
    the references are the briefing's (``finding_refs``)."""
    if findings.empty:
        return [], []
    family = {r.id: r.family for r in (shipped_rules() if rules is None else rules)}
    refs = finding_refs(findings)
    explain, correct = [], []
    for ref, f in zip(refs, findings.itertuples(index=False), strict=True):
        if f.severity == "info":
            continue
        title = getattr(f, "title_vi", "") or f.rule
        p = Point(ref, f.severity, f.rule, title, str(f.lines or ""), str(f.message_vi))
        (correct if family.get(f.rule) in LABEL_FAMILIES else explain).append(p)
    order = {"error": 0, "warning": 1}
    explain.sort(key=lambda p: (order.get(p.severity, 2), int(p.ref.lstrip("LYC") or 0)))
    correct.sort(key=lambda p: (order.get(p.severity, 2), int(p.ref.lstrip("LYC") or 0)))
    return explain, correct


def letters_for(table: pd.DataFrame, findings: pd.DataFrame, year: int, period: str, unit: str = "",
                rules: Iterable | None = None) -> list[Letter]:
    """A letter for each report of ``year`` and ``period`` (of ``unit``, a slug, when given) with points."""
    reps = reports(table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    if unit:
        reps = reps[reps["unit"] == unit]
    rules = tuple(shipped_rules() if rules is None else rules)
    out = []
    for _, rep in reps.iterrows():
        explain, correct = letter_points(findings[findings["source"] == rep["source"]], rules)
        if not (explain or correct):
            continue
        code = str(rep.get("unit_code") or "")
        name = official_name(code, int(year), period, str(rep["unit_name"] or rep["unit"]))
        out.append(Letter(rep["source"], rep["unit"], code, addressee(name, rep["level"]), rep["level"], int(year),
                          period, _report_text(rep), bool(rep["synthetic"]), explain, correct))
    return out


# -- the Word file --------------------------------------------------------------------------------

def _rule_under(cell, width_mm: float, cell_mm: float) -> None:
    """A short line (centred, ``width_mm`` long) under the last line of a cell, as under the issuing body and
    the motto: the bottom border of an empty paragraph of its own, narrowed by indents."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    paragraph = cell.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.first_line_indent = None
    paragraph.paragraph_format.line_spacing = Pt(2)
    side = max(0.0, (cell_mm - width_mm) / 2)
    pf = paragraph.paragraph_format
    pf.left_indent, pf.right_indent = Mm(side), Mm(side)
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.insert_element_before(bdr, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                              "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                              "w:pPrChange")


def _line(cell_or_doc, text: str, *, size: float = 13, bold: bool = False, italic: bool = False, align=None,
          first: bool = False, after: float = 0):
    from docx.shared import Pt

    p = cell_or_doc.paragraphs[0] if first else cell_or_doc.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.first_line_indent = None
    run = p.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    run.font.size = Pt(size)
    return p


def build_letter(letter: Letter, *, parent_body: str = "", issuing_body: str = "", place: str = "",
                 signer_title: str = "", signer_name: str = "", produced: date | None = None,
                 wording: dict | None = None):
    """The python-docx Document of one letter (A4, NĐ 30/2020 margins, Times New Roman). ``signer_title``
    (lines split at ``\\n`` or ``/``, e.g. "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC") and ``signer_name`` replace the
    wording's blanks when the project sets them (``[document]``)."""
    from docx import Document as new_docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from cchc_tools.cycle.wording import wording as load
    from cchc_tools.periods import period_phrase
    from cchc_tools.render.word import PAGE, _fix_widths, _headers, _page_setup, _style_document, _text_width
    from cchc_tools.vocabulary import SYNTHETIC_BANNER

    w = wording or load(LETTERS_YAML, LETTER_SCHEMA)
    produced = produced or date.today()
    issuer = sentence_case_body(issuing_body)
    when = period_phrase(letter.period, letter.year)
    values = {"issuing_body": issuer, "unit": letter.addressee, "when": when[:1].lower() + when[1:],
              "report": letter.report, "year": produced.year}
    doc = new_docx()
    _style_document(doc)
    section = doc.sections[-1]
    _page_setup(section, False)
    _headers(section, SYNTHETIC_BANNER if letter.synthetic else "")
    width = _text_width(section)
    text_mm = PAGE["width"] - PAGE["left"] - PAGE["right"]
    left_mm = round(text_mm * 0.42)

    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fix_widths(head, [int(width * 0.42), width - int(width * 0.42)])
    left, right = head.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    first = True
    if parent_body:
        _line(left, parent_body.upper(), size=12, align=center, first=True)
        first = False
    _line(left, (issuing_body or DEFAULT_ISSUER).upper(), size=12, bold=True, align=center, first=first)
    _rule_under(left, 25, left_mm)
    _line(left, "", size=6, align=center)
    _line(left, w["number"], size=13, align=center, after=6)
    _line(left, w["subject"].format(**values), size=12, align=center)
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=center, first=True)
    _line(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align=center)
    _rule_under(right, 62, text_mm - left_mm)
    _line(right, "", size=6, align=center)
    date_line = w["date_line"].format(**values)
    _line(right, f"{place}, {date_line}" if place else date_line[:1].upper() + date_line[1:], size=13, italic=True,
          align=center)

    p = _line(doc, "", size=13)
    p.paragraph_format.space_after = Pt(6)
    p = _line(doc, w["recipient"].format(**values), size=14, align=center, after=12)

    def body(text: str, bold: bool = False):
        par = doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        par.paragraph_format.first_line_indent = Cm(1.27)
        par.paragraph_format.space_after = Pt(6)
        par.paragraph_format.line_spacing = 1.15
        run = par.add_run(text)
        run.bold = bold or None
        run.font.size = Pt(14)
        return par

    body(w["opening"].format(**values))
    number = 0
    for heading_id, points in (("explain_heading", letter.explain), ("correct_heading", letter.correct)):
        if not points:
            continue
        number += 1
        body(f"{number}. " + w[heading_id].format(**values), bold=True)
        for k, pt in enumerate(points, start=1):
            tmpl = w["point"] if pt.lines else w["point_no_lines"]
            body(f"{number}.{k}. " + tmpl.format(ref=pt.ref, title=pt.title, lines=pt.lines, message=pt.message))
    body(w["request"].format(**values))
    body(w["closing"].format(**values))

    sign = doc.add_table(rows=1, cols=2)
    _fix_widths(sign, [int(width * 0.5), width - int(width * 0.5)])
    for row in sign.rows:  # the signature block never starts a page alone
        row._tr.get_or_add_trPr()
    left, right = sign.rows[0].cells
    _line(left, w["recipients_title"], size=12, bold=True, italic=True, first=True)
    for item in w["recipients"]:
        _line(left, item, size=11)
    firsts = True
    signer = ([x.strip() for x in re.split(r"\n|/", signer_title) if x.strip()] if signer_title
              else w["signer"])
    for item in signer:
        _line(right, item, size=14, bold=True, align=center, first=firsts)
        firsts = False
    for _ in range(4):
        _line(right, "", size=14)
    _line(right, signer_name or w["signer_name"], size=14, bold=True, align=center)
    props = doc.core_properties
    props.title = w["subject"].format(**values)
    props.language, props.author = "vi-VN", issuing_body or "cchc-kit"
    return doc


def letter_stem(letter: Letter) -> str:
    return f"cong-van-{letter.unit or letter.unit_code}"


def register_sheet(letters: list[Letter], files: dict[str, str]):
    """The register of letters: one row per letter, with blanks for the clerk (number, date sent, reply)."""
    from cchc_tools.render.workbook import Sheet, XCell

    rows = []
    for i, lt in enumerate(letters, start=1):
        rows.append([XCell(i, "integer"), XCell(lt.unit_code), XCell(lt.addressee), XCell(lt.report),
                     XCell(len(lt.explain), "count"), XCell(len(lt.correct), "count"),
                     XCell(", ".join(p.ref for p in lt.explain)), XCell(", ".join(p.ref for p in lt.correct)),
                     XCell(files.get(lt.source, "")), XCell(lt.source), XCell(""), XCell(""), XCell(""), XCell("")])
    return Sheet("Sổ theo dõi công văn", ["STT", "Mã ĐVHC", "Kính gửi", "Báo cáo của đơn vị", "Số điểm giải trình",
                                           "Số điểm chỉnh sửa", "Giải trình", "Chỉnh sửa", "Tệp công văn",
                                           "Tệp phụ lục", "Số công văn", "Ngày gửi", "Hạn trả lời",
                                           "Ngày đơn vị trả lời"], rows)


def write_letters(letters: list[Letter], out_dir: str | Path, *, parent_body: str = "", issuing_body: str = "",
                  place: str = "", signer_title: str = "", signer_name: str = "", produced: date | None = None,
                  register: bool = True) -> list[Path]:
    """``<out_dir>/cong-van-<unit>.docx`` for each letter and ``<out_dir>/register.xlsx``, each whole or not at all
    (the letterhead and signer: the project's ``[document]``)."""
    from cchc_tools.atomic import write_with
    from cchc_tools.render.workbook import write_workbook

    out = Path(out_dir)
    written, files = [], {}
    for lt in letters:
        doc = build_letter(lt, parent_body=parent_body, issuing_body=issuing_body, place=place,
                           signer_title=signer_title, signer_name=signer_name, produced=produced)
        path = write_with(out / f"{letter_stem(lt)}.docx", lambda p, d=doc: d.save(str(p)))
        files[lt.source] = path.name
        written.append(path)
    if register and letters:
        written.append(write_workbook([register_sheet(letters, files)], out / "register.xlsx",
                                      "Sổ theo dõi công văn đề nghị giải trình"))
    return written
