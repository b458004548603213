"""Word (.docx) rendering of a document, laid out as Nghị định 30/2020/NĐ-CP asks.

Built from the document blocks (never converted from the HTML) with python-docx: A4, margins
20/20/30/15 mm (top/bottom/left/right), Times New Roman 13 pt body (also for East Asian and
complex scripts, so Vietnamese never falls back to another font), Word heading styles (the
navigation pane and a table of contents work), page numbers centred in the top margin from
page 2, every table a real Word table whose header row repeats, figures at full text width (their
source line drawn in the chart), and the synthetic-data banner in the header of every page.

A province's own template (``cchc.toml``: ``[document] word_template``) gives the styles, the
letterhead and the page setup; the briefing is appended after the template's body.

Other Word files of the kit (the letters to units) are built with the same pieces: :func:`style_document`,
:func:`page_setup`, :func:`page_headers`, :func:`text_width`, :func:`fix_widths`, :func:`line` and the NĐ 30/2020
heading block (:func:`heading_block`).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.image import Image as DocxImage
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

from cchc_tools.atomic import write_with
from cchc_tools.content.document import Block, Document, Span, Table
from cchc_tools.periods import date_vi
from cchc_tools.render.layout import header_chars, needs_landscape
from cchc_tools.text import short_title, visible
from cchc_tools.vocabulary import SYNTHETIC_BANNER

if TYPE_CHECKING:  # the project's [document]; importing the Word renderer never imports the check engine
    from cchc_tools.project import DocumentSettings as Settings

FONT = "Times New Roman"
BODY_PT = 13
TABLE_PT = 12
WIDE_TABLE_PT = 10.5  # tables of WIDE_COLUMNS columns or more
WIDE_COLUMNS = 9
NOTE_PT = 11
RED = RGBColor(0xB0, 0x00, 0x20)
# Nghị định 30/2020, Phụ lục I: A4; top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
PAGE = {"width": 210, "height": 297, "top": 20, "bottom": 20, "left": 30, "right": 15, "header": 10}
HEADING_PT = {1: 14, 2: 13, 3: 13, 4: 13}
HEADER_FILL = "E7ECF2"


@dataclass(frozen=True)
class _Plain:
    """No ``[document]``: no Word template, no letterhead (the fields of ``project.DocumentSettings`` read here)."""

    word_template: None = None
    parent_body: str = ""
    issuing_body: str = ""
    place: str = ""


NO_LETTERHEAD = _Plain()
# what follows w:szCs in a run's properties (ECMA-376 CT_RPr); w:sz comes just before w:szCs
_AFTER_SZ = ("w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl",
             "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
_NUMBERLIKE = re.compile(r"[\d.,%/+\-–—\s]*\d[\d.,%/+\-–—\s]*(\[[^\]]*\])?")


# -- styles and page ----------------------------------------------------------------------------

def _set_fonts(rpr_owner, size: float | None = None) -> None:
    """Times New Roman for every script of a style or run (ascii, hAnsi, eastAsia, cs), no theme fonts."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:  # second in the schema's order, after a character style
        fonts = OxmlElement("w:rFonts")
        rpr.insert(1 if rpr.find(qn("w:rStyle")) is not None else 0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)
    if size:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.insert_element_before(el, *_AFTER_SZ[tag != "w:sz":])
            el.set(qn("w:val"), str(int(size * 2)))


def style_document(doc) -> None:
    """The kit's styles on a python-docx Document (every Word file of the kit: briefings, letters, appendices):
    Normal in Times New Roman 13 pt for every script, Vietnamese, 6 pt after, single spacing; headings black
    Times New Roman, kept with the next line, the title centred in capitals."""
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    for attr in ("val", "eastAsia", "bidi"):
        lang.set(qn(f"w:{attr}"), "vi-VN")
    pf = normal.paragraph_format
    pf.space_after = Pt(6)
    pf.space_before = Pt(0)
    pf.line_spacing = 1.0
    for level, size in HEADING_PT.items():
        name = f"Heading {level}"
        if name not in [s.name for s in doc.styles]:
            continue
        st = doc.styles[name]
        st.font.name = FONT
        st.font.size = Pt(size)
        st.font.bold = True
        st.font.italic = level >= 3
        st.font.color.rgb = RGBColor(0, 0, 0)
        _set_fonts(st.element, size)
        st.paragraph_format.keep_with_next = True
        st.paragraph_format.space_before = Pt(12 if level <= 2 else 6)
        st.paragraph_format.space_after = Pt(6)
        if level == 1:
            st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            st.font.all_caps = True


def _mm(mm: float) -> Twips:
    """Millimetres as whole twips (Word's unit for page setup), never below the millimetres asked."""
    return Twips(math.ceil(mm * 1440 / 25.4))


def page_setup(section, landscape: bool) -> None:
    """A section's page as Nghị định 30/2020, Phụ lục I asks (``PAGE``): A4 portrait or ``landscape``, margins
    20/20/30/15 mm (top/bottom/left/right), header and footer 10 mm from the edge."""
    w, h = _mm(PAGE["width"]), _mm(PAGE["height"])
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (h, w) if landscape else (w, h)
    section.top_margin, section.bottom_margin = _mm(PAGE["top"]), _mm(PAGE["bottom"])
    section.left_margin, section.right_margin = _mm(PAGE["left"]), _mm(PAGE["right"])
    section.header_distance = section.footer_distance = _mm(PAGE["header"])


def text_width(section):
    """The width of a section's text (the page less its left and right margins), in EMU: what tables and
    figures are fitted to."""
    return section.page_width - section.left_margin - section.right_margin


def _add_field(paragraph, instruction: str) -> None:
    """A Word field (``PAGE``) as begin/instr/separate/result/end runs; Word fills in the result."""
    def run_with(tag: str, **attrs):
        run = paragraph.add_run()
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        if tag == "w:instrText":
            el.text = instruction
        run._r.append(el)
        _set_fonts(run._r, BODY_PT)
        return run

    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    run_with("w:instrText", **{"xml:space": "preserve"})
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    paragraph.add_run("1")
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def _banner_paragraph(paragraph, text: str) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run("⚠ " + text)
    run.bold = True
    run.font.size = Pt(NOTE_PT)
    run.font.color.rgb = RED


def page_headers(section, banner: str) -> None:
    """A section's headers as NĐ 30/2020 asks: the page number centred in the top margin from page 2 (none on
    page 1); ``banner`` (the synthetic-data warning; "" for none) on every page."""
    section.different_first_page_header_footer = True
    header = section.header
    header.is_linked_to_previous = False
    p = header.paragraphs[0]
    p.text = ""
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_field(p, "PAGE")
    first = section.first_page_header
    first.is_linked_to_previous = False
    if banner:
        _banner_paragraph(header.add_paragraph(), banner)
        _banner_paragraph(first.paragraphs[0], banner)


# -- text -----------------------------------------------------------------------------------------

def _doubt_mark(paragraph, doubt: str, size: float | None = None) -> None:
    run = paragraph.add_run(f"[{doubt}]")
    run.font.superscript = True
    run.font.color.rgb = RED
    if size:
        run.font.size = Pt(size)


def _spans(paragraph, spans: list[Span], size: float | None = None) -> None:
    for s in spans:
        run = paragraph.add_run(s.text)
        run.bold = s.strong or None
        if size:
            run.font.size = Pt(size)
        if s.doubt:
            _doubt_mark(paragraph, s.doubt, size)


def _note(doc_or_cell, text: str):
    p = doc_or_cell.add_paragraph()
    run = p.add_run(text)
    run.italic = True
    run.font.size = Pt(NOTE_PT)
    p.paragraph_format.space_after = Pt(3)
    return p


def _body_paragraph(p, lead: bool = False) -> None:
    pf = p.paragraph_format
    pf.first_line_indent = Mm(10)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if lead:
        pf.space_after = Pt(9)


def _list_item(doc, spans: list[Span]) -> None:
    try:
        p = doc.add_paragraph(style="List Bullet")
    except KeyError:  # a province template without the built-in list style
        p = doc.add_paragraph()
        p.paragraph_format.left_indent = Mm(10)
        p.paragraph_format.first_line_indent = Mm(-5)
        p.add_run("– ")
    p.paragraph_format.space_after = Pt(3)
    _spans(p, spans)


# -- tables ---------------------------------------------------------------------------------------

def _borders(table, size: int = 4, color: str = "808080") -> None:
    """Single-line borders on every edge, whatever table styles the template has."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:color"), color)
        borders.append(el)
    old = tbl_pr.find(qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    tbl_pr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                                 "w:tblDescription", "w:tblPrChange")


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().insert_element_before(shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                                                     "w:vAlign", "w:hideMark", "w:headers", "w:cellIns",
                                                     "w:cellDel", "w:cellMerge", "w:tcPrChange")


def _row_flags(row, header: bool = False) -> None:
    """Rows never split across pages; the header row repeats on every page."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _widths(headers: list[str], body: list[list[str]], total: int, size: float = TABLE_PT) -> list[int]:
    """Column widths summing to ``total`` (EMU). No word and no number is broken (a header wraps between
    its words, on at most three lines where the width allows); the rest of the width goes to the columns
    whose body texts are longest."""
    char, pad = Mm(2.4 * size / TABLE_PT), Mm(4.5)  # a wide Times New Roman character; cell padding and border

    def need(text: str, whole: bool) -> int:
        longest = len(text) if whole else max((len(w) for w in text.split()), default=0)
        return int(max(longest, 3) * char + pad)

    def head(text: str) -> int:  # a header on at most three lines
        return int(max(header_chars(text), 3) * char + pad)

    cols = [[r[i] for r in body if i < len(r)] for i in range(len(headers))]
    cap = int(total * 0.3)  # a single long token (a file path, a rule name) may wrap rather than squeeze the rest
    hard = [min(max([need(h, False)] + [need(t, _NUMBERLIKE.fullmatch(t) is not None) for t in col]), cap)
            for h, col in zip(headers, cols, strict=True)]
    soft = [max(min(head(h), cap), m) for h, m in zip(headers, hard, strict=True)]  # headers on three lines
    wanted = [max(max((need(t, True) for t in col), default=0), s) for col, s in zip(cols, soft, strict=True)]
    if sum(hard) >= total:
        return [int(m * total / sum(hard)) for m in hard]
    if sum(wanted) <= total:
        return [int(w * total / sum(wanted)) for w in wanted]
    low, high = (hard, soft) if sum(soft) > total else (soft, wanted)
    spare = total - sum(low)
    extra = [h - m for h, m in zip(high, low, strict=True)]
    return [m + int(spare * e / max(sum(extra), 1)) for m, e in zip(low, extra, strict=True)]


def _cell_text(cell, text: str, *, align=None, bold: bool = False, size: float = TABLE_PT, doubt: str = "") -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.first_line_indent = None
    if align is not None:
        p.alignment = align
    run = p.add_run(text)
    run.bold = bold or None
    run.font.size = Pt(size)
    if doubt:
        _doubt_mark(p, doubt, size)


def _grid(doc, nrows: int, widths: list[int]):
    table = doc.add_table(rows=nrows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borders(table)
    fix_widths(table, widths)
    return table


def fix_widths(table, widths: list[int]) -> None:
    """A table's column widths (EMU), fixed: in the grid (LibreOffice reads these) and in every cell (Word reads
    these), autofit off."""
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(w / 635)))  # EMU -> twentieths of a point
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w


def _table(doc, block: Table, width) -> None:
    if block.caption:
        cap = doc.add_paragraph()
        cap.add_run(block.caption).bold = True
        cap.paragraph_format.keep_with_next = True
        cap.paragraph_format.space_after = Pt(3)
    size = TABLE_PT if len(block.headers) < WIDE_COLUMNS else WIDE_TABLE_PT
    body = [[c.text + (f"[{c.doubt}]" if c.doubt else "") for c in r] for r in block.rows]
    table = _grid(doc, 1 + len(block.rows), _widths(block.headers, body, width, size))
    _row_flags(table.rows[0], header=True)
    for cell, h in zip(table.rows[0].cells, block.headers, strict=True):
        _cell_text(cell, h, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=size)
        _shade(cell, HEADER_FILL)
    for row, cells in zip(table.rows[1:], block.rows, strict=True):
        _row_flags(row)
        for cell, c in zip(row.cells, cells, strict=True):
            _cell_text(cell, c.text, align=WD_ALIGN_PARAGRAPH.RIGHT if c.numeric else None, doubt=c.doubt, size=size)
    for row in table.rows[: min(3, len(table.rows) - 1)]:  # the header row stays with the first two rows
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    for cell in table.rows[-1].cells:  # the notes stay on the page of the table's last row
        cell.paragraphs[0].paragraph_format.keep_with_next = bool(block.notes)
    for n in block.notes:
        _note(doc, n)
    if not block.notes:
        doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _cards(doc, cards, width) -> None:
    """Headline figures as a compact two-column table: the figure, then what it is and where it comes from."""
    if not cards:
        return
    longest = max(len(c.value) + (len(c.doubt) + 2 if c.doubt else 0) for c in cards)
    first = min(max(int(longest * Mm(2.6) + Mm(4.5)), int(width * 0.2)), int(width * 0.35))
    table = _grid(doc, len(cards), [first, width - first])
    for row, c in zip(table.rows, cards, strict=True):
        _row_flags(row)
        _cell_text(row.cells[0], c.value, align=WD_ALIGN_PARAGRAPH.RIGHT, bold=True, size=BODY_PT, doubt=c.doubt)
        _cell_text(row.cells[1], c.label, bold=True)
        if c.detail:
            p = row.cells[1].add_paragraph()
            p.paragraph_format.space_after = Pt(0)
            run = p.add_run(c.detail)
            run.font.size = Pt(NOTE_PT)
        if c.doubt:
            _shade(row.cells[0], "FDECEE")
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _figure(doc, fig, width) -> None:
    """The chart at full text width, or narrower when that would make it taller than the page allows."""
    png = fig.png()
    image = DocxImage.from_blob(png)
    section = doc.sections[-1]
    room = section.page_height - section.top_margin - section.bottom_margin - Mm(30)  # header and caption room
    if width * image.px_height / image.px_width > room:
        width = int(room * image.px_width / image.px_height)
    doc.add_picture(io.BytesIO(png), width=width)
    pic_par = doc.paragraphs[-1]
    pic_par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pic_par.paragraph_format.first_line_indent = None
    for doc_pr in pic_par._p.iter(qn("wp:docPr")):  # the source line is drawn in the chart itself
        doc_pr.set("descr", fig.alt)


# -- the document ---------------------------------------------------------------------------------

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
ISSUER_RULE_MM = 25  # the short rule under the issuing body (a third to a half of its name)
MOTTO_RULE_MM = 62  # the rule under the motto, as long as "Độc lập - Tự do - Hạnh phúc" in 13 pt bold
_PPR_AFTER_BDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                  "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                  "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                  "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def line(cell_or_doc, text: str, *, size: float = BODY_PT, bold: bool = False, italic: bool = False, align=None,
         first: bool = False, after: float = 0):
    """One line of a heading block or letter: a paragraph (the cell's first when ``first``) with one run."""
    p = cell_or_doc.paragraphs[0] if first else cell_or_doc.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.first_line_indent = None
    run = p.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    run.font.size = Pt(size)
    return p


def rule_under(cell, width_mm: float, cell_mm: float):
    """A short line (centred, ``width_mm`` long) under the last line of a cell, as under the issuing body and
    the motto: the bottom border of an empty paragraph of its own, narrowed by indents. Returns the paragraph."""
    paragraph = cell.add_paragraph()
    pf = paragraph.paragraph_format
    pf.space_after = Pt(0)
    pf.first_line_indent = None
    pf.line_spacing = Pt(2)
    side = max(0.0, (cell_mm - width_mm) / 2)
    pf.left_indent, pf.right_indent = Mm(side), Mm(side)
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(bdr, *_PPR_AFTER_BDR)
    return paragraph


def has_rule(paragraph) -> bool:
    """Whether ``paragraph`` draws a rule (a bottom border), as ``rule_under`` makes."""
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.find(qn("w:pBdr")) is not None and ppr.find(qn("w:pBdr")).find(
        qn("w:bottom")) is not None


def date_line(settings: Settings, produced: date | None) -> str:
    """"Cần Thơ, ngày 05 tháng 03 năm 2026" (place and date of the heading block); dotted blanks for a date not
    known, and without the place when the project sets none."""
    when = (f"ngày {produced.day:02d} tháng {produced.month:02d} năm {produced.year}" if produced
            else "ngày …… tháng …… năm ……")
    return f"{settings.place}, {when}" if settings.place else when[:1].upper() + when[1:]


def heading_block(doc, settings: Settings, *, produced: date | None = None, date_text: str | None = None,
                  number: str = "", subject: str = "", width=None, left_share: float = 0.42):
    """The heading block of Nghị định 30/2020, Phụ lục I, as a two-column table without borders; returns it.

    Left: the parent body (12 pt capitals), the issuing body (12 pt bold capitals) with a short rule under it,
    then ``number`` ("Số: …/SNV-CCHC", 13 pt) and ``subject`` ("V/v …", 12 pt) when given. Right: "CỘNG HÒA XÃ
    HỘI CHỦ NGHĨA VIỆT NAM" (12 pt bold), "Độc lập - Tự do - Hạnh phúc" (13 pt bold) with its rule, then the
    place and date in italics (``date_text``, or ``date_line(settings, produced)`` when the project names a
    place or ``produced`` is given). ``settings.issuing_body`` is the issuer (default "Sở Nội vụ").
    The one home of this block: the briefing, summary, comparison, appendix and letters all draw it here.
    """
    section = doc.sections[-1]
    width = text_width(section) if width is None else width
    text_mm = width / 36000  # EMU -> mm
    left_w = int(width * left_share)
    left_mm = text_mm * left_share
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    fix_widths(table, [left_w, width - left_w])
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    first = True
    if settings.parent_body:
        line(left, settings.parent_body.upper(), size=12, align=center, first=True)
        first = False
    line(left, (settings.issuing_body or "Sở Nội vụ").upper(), size=12, bold=True, align=center, first=first)
    rule_under(left, ISSUER_RULE_MM, left_mm)
    if number or subject:
        line(left, "", size=6, align=center)
    if number:
        line(left, number, size=13, align=center, after=6)
    if subject:
        line(left, subject, size=12, align=center)
    line(right, MOTTO[0], size=12, bold=True, align=center, first=True)
    line(right, MOTTO[1], size=13, bold=True, align=center)
    rule_under(right, MOTTO_RULE_MM, text_mm - left_mm)
    if date_text is None and (settings.place or produced is not None):
        date_text = date_line(settings, produced)
    if date_text:
        line(right, "", size=6, align=center)
        line(right, date_text, size=13, italic=True, align=center)
    for p in table._tbl.iter(qn("w:p")):  # the block never splits from what follows it
        p.get_or_add_pPr().keepNext_val = True
    return table


def _start_section(doc, landscape: bool):
    """A new page in the other orientation, with the page setup (margins, headers) of the one before."""
    short, long = sorted([doc.sections[-1].page_width, doc.sections[-1].page_height])
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.different_first_page_header_footer = False
    return section


def reading_order(blocks) -> list[Block]:
    """The blocks in reading order, groups opened at every depth, absent ones (None) left out."""
    out: list[Block] = []
    for b in blocks:
        if b is not None:
            out.extend(reading_order(b.blocks) if b.kind == "group" else [b])
    return out


def _kept_together(blocks) -> list[list[int]]:
    """For each group marked ``keep`` (at any depth), the ids of its blocks in reading order."""
    runs: list[list[int]] = []
    for b in blocks:
        if b is not None and b.kind == "group":
            if b.keep:
                runs.append([id(x) for x in reading_order(b.blocks)])
            else:
                runs.extend(_kept_together(b.blocks))
    return runs


def _keep_on_one_page(elements) -> None:
    """Word's way of keeping blocks on one page (their table rows never split already): every
    paragraph, those in table cells included, kept with the next, except the very last one."""
    paragraphs = [p for el in elements for p in ([el] if el.tag == qn("w:p") else el.iter(qn("w:p")))]
    for p in paragraphs[:-1]:
        p.get_or_add_pPr().keepNext_val = True


def _banner_text(document: Document) -> str:
    for b in reading_order(document.blocks):
        if b.kind == "banner":
            return b.text
    return SYNTHETIC_BANNER if document.synthetic else ""


def build_docx(document: Document, settings: Settings | None = None, produced: date | None = None):
    """The python-docx Document of ``document`` (see ``write_docx``)."""
    settings = settings if settings is not None else NO_LETTERHEAD
    produced = produced or date.today()
    templated = settings.word_template is not None
    doc = new_docx(str(settings.word_template)) if templated else new_docx()
    style_document(doc)
    banner = _banner_text(document) if document.synthetic else ""
    section = doc.sections[-1]
    if not templated:
        page_setup(section, document.landscape)
        page_headers(section, banner)
        if settings.issuing_body:
            heading_block(doc, settings, produced=produced if settings.place else None)
    elif banner:
        _banner_paragraph(section.header.add_paragraph(), banner)
    props = doc.core_properties
    props.title, props.language = short_title(document.title), "vi-VN"  # Word keeps 255 characters
    props.author = short_title(settings.issuing_body or "cchc-kit")

    blocks = reading_order(document.blocks)
    titles = [i for i, b in enumerate(blocks) if b.kind == "heading" and b.level == 1]
    if titles:  # the title first (a banner before it is on every page already), then what it names
        _block(doc, blocks.pop(titles[0]), text_width(section))
    else:
        doc.add_heading(document.title, level=1)
    if document.subtitle:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(document.subtitle).italic = True
    _note(doc, f"Ngày lập: {date_vi(produced)}").alignment = (
        WD_ALIGN_PARAGRAPH.CENTER)
    wants = [document.landscape or (isinstance(b, Table) and needs_landscape(b, WIDE_TABLE_PT)) for b in blocks]
    for i in range(len(blocks) - 2, -1, -1):  # a heading goes to the page of what it introduces
        if blocks[i].kind == "heading" and wants[i + 1]:
            wants[i] = True
    landscape = document.landscape
    first = {run[0]: run[-1] for run in _kept_together(document.blocks) if run}
    body, keep_from, keep_until = doc.element.body, None, None
    for block, want in zip(blocks, wants, strict=True):
        if want != landscape:
            _start_section(doc, want)
            landscape = want
        if id(block) in first:  # new blocks go before the body's closing sectPr
            keep_from, keep_until = len(body) - (body[-1].tag == qn("w:sectPr")), first[id(block)]
        _block(doc, block, text_width(doc.sections[-1]))
        if keep_from is not None and id(block) == keep_until:
            _keep_on_one_page([el for el in list(body)[keep_from:] if el.tag in (qn("w:p"), qn("w:tbl"))])
            keep_from = keep_until = None
    return doc


def _block(doc, b: Block, width) -> None:
    kind = b.kind
    if kind == "heading":
        doc.add_heading(b.text, level=min(max(b.level, 1), 4))
    elif kind == "paragraph":
        p = doc.add_paragraph()
        if b.style == "note":
            _spans(p, b.spans, NOTE_PT)
            for r in p.runs:
                r.italic = True
        else:
            _spans(p, b.spans)
            _body_paragraph(p, lead=b.style == "lead")
    elif kind == "bullets":
        if b.title:
            t = doc.add_paragraph()
            t.add_run(b.title).bold = True
            t.paragraph_format.keep_with_next = True
            t.paragraph_format.space_after = Pt(3)
        for item in b.items:
            _list_item(doc, item)
    elif kind == "cards":
        _cards(doc, b.cards, width)
        for n in b.notes:
            _note(doc, n)
    elif kind == "table":
        _table(doc, b, width)
    elif kind == "banner":
        p = doc.add_paragraph()
        _banner_paragraph(p, b.text + (f": {b.note}" if b.note else ""))
    elif kind == "figure":
        _figure(doc, b, width)
    # "style" blocks are for the notebook display only


def write_docx(document: Document, path: str | Path, settings: Settings | None = None,
               produced: date | None = None) -> Path:
    """Write ``document`` as a Word file at ``path``, whole or not at all; returns the path.

    ``settings``: the project's ``[document]`` (``Project.document``; default: no letterhead, no template);
    ``produced`` (default today) is the production date printed under the title.
    """
    doc = visible_text(build_docx(document, settings, produced))
    return write_with(path, lambda p: doc.save(str(p)))


def visible_text(doc):
    """Every text run of a Word document (body, tables, headers and footers) without bidi controls or other
    invisible format characters (:func:`cchc_tools.text.visible`); returns the document."""
    from docx.oxml.ns import qn

    parts = [doc.element.body] + [h._element for s in doc.sections for h in (s.header, s.footer, s.first_page_header,
                                                                           s.first_page_footer)
                                  if not h.is_linked_to_previous]  # a header it does not have is never added
    for part in parts:
        for t in part.iter(qn("w:t")):
            if t.text:
                t.text = visible(t.text)
    return doc
