"""Rows at a page break of a PDF appendix: a label broken before a capitalised word is one row; a sub-heading
row at the top of a page stays a row of its own. Each value keeps its place (page and table row)."""

from __future__ import annotations

import math
import shutil
from itertools import pairwise

import pdfplumber
import pytest

from cchc_tools.forms import all_forms
from cchc_tools.ingest.loader import load_appendix
from cchc_tools.ingest.readers.base import RawRow
from cchc_tools.ingest.readers.pdf import _is_continuation, read_pdf
from tests.office_fixtures import HEADER, seed_rows, soffice_convert

# Geometry in twentieths of a point, exact wherever the page break depends on it, so that the break falls
# where the test says whatever the fonts installed.
PAGE_H, MARGIN = 16838, 1134  # A4; 2 cm above and below
LINE = 280  # every line of the appendix tables: exactly 14 pt
HEAD = 560  # the header row: exactly 28 pt
WIDTHS = (794, 5103, 1474, 1361, 1361)  # 1.4, 9, 2.6, 2.4 and 2.4 cm

BROKEN = "Số TTHC cung cấp trực tuyến mức độ 3 và mức độ 4 đã tích hợp, công khai trên Cổng Dịch vụ công Quốc gia"
BROKEN_LINES = ["Số TTHC cung cấp trực tuyến mức độ 3", "và mức độ 4 đã tích hợp, công khai", "trên Cổng",
                "Dịch vụ công Quốc gia"]  # a page break before the last line: three lines fit on the page
ABOVE = "- Số TTHC đang cung cấp trực tuyến mức độ 4 có phát sinh hồ sơ nộp trực tuyến"  # the row before, whole
ABOVE_LINES = ["- Số TTHC đang cung cấp trực tuyến mức độ 4", "có phát sinh hồ sơ nộp trực tuyến"]
COLON = "Thực hiện kết nối, liên thông các Hệ thống quản lý văn bản điều hành:"
COLON_LINES = ["Thực hiện kết nối, liên thông các Hệ thống", "quản lý văn bản điều hành:"]
BLANKED = "- UBND cấp huyện đã kết nối, liên thông với UBND tỉnh"  # not reported: its value cell left blank
SCALES = "Dịch vụ công trực tuyến mức độ 3, 4"
SCALE_3 = "Dịch vụ công trực tuyến mức độ 3"


def _exact(paragraph, line: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    widows = OxmlElement("w:widowControl")
    widows.set(qn("w:val"), "0")
    paragraph._p.get_or_add_pPr().append(widows)
    spacing = OxmlElement("w:spacing")
    for key, value in (("before", "0"), ("after", "0"), ("line", str(line)), ("lineRule", "exact")):
        spacing.set(qn(f"w:{key}"), value)
    paragraph._p.get_or_add_pPr().append(spacing)


def _table(doc, rows: list[list[str]], split: str = ""):
    """A ruled table of the appendix's columns: its header (repeated on each page), then ``rows``, each kept on
    one page except the row whose label is ``split``; a label given as lines is written with line breaks."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Twips

    t = doc.add_table(rows=1 + len(rows), cols=5)
    t.style = doc.styles["Table Grid"]
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)
    for col, width in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), WIDTHS, strict=True):
        col.set(qn("w:w"), str(width))
    trs = list(t.rows)
    for i, (tr, texts) in enumerate(zip(trs, [HEADER, *rows], strict=True)):
        pr = tr._tr.get_or_add_trPr()
        if i == 0:
            pr.append(OxmlElement("w:tblHeader"))
            height = OxmlElement("w:trHeight")
            height.set(qn("w:val"), str(HEAD))
            height.set(qn("w:hRule"), "exact")
            pr.append(height)
        if " ".join(texts[1].split("\n")) != split:
            pr.append(OxmlElement("w:cantSplit"))
        for cell, text, width in zip(tr.cells, texts, WIDTHS, strict=True):
            cell.width = Twips(width)
            paragraph = cell.paragraphs[0]
            _exact(paragraph, LINE)
            run = paragraph.add_run()
            for k, part in enumerate(text.split("\n")):
                if k:
                    run.add_break()
                run.add_text(part)
    return t


def _page_top(doc, room: int) -> None:
    """A paragraph that begins a new page and leaves ``room`` of it (from the page's foot) to what follows."""
    paragraph = doc.add_paragraph("Phụ lục (tiếp theo)")
    paragraph.paragraph_format.page_break_before = True
    _exact(paragraph, PAGE_H - 2 * MARGIN - room)


def build(seed_path, out, cuts: list[tuple[str, int]], blank: frozenset[str] = frozenset(),
          lines: dict[str, list[str]] | None = None, split: str = ""):
    """The bundled appendix in a Word report: its table cut before each row labelled ``label`` of ``cuts``; that row
    starts a new page with ``room`` left on it. Rows whose label is in ``blank`` lose their value."""
    import docx
    from docx.shared import Pt, Twips

    title, rows = seed_rows(seed_path)
    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Twips(11906), Twips(PAGE_H)
    sec.left_margin, sec.right_margin = Twips(1134), Twips(851)
    sec.top_margin, sec.bottom_margin = Twips(MARGIN), Twips(MARGIN)
    sec.header_distance = sec.footer_distance = Twips(400)
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(11)
    for line in title:
        doc.add_paragraph(line)
    lines = lines or {}
    chunk: list[list[str]] = []
    cut_at = dict(cuts)
    for r in rows:
        if r.label in cut_at and chunk:
            _table(doc, chunk, split)
            _page_top(doc, cut_at[r.label])
            chunk = []
        label = "\n".join(lines[r.label]) if r.label in lines else r.label
        value = "" if r.label in blank else str(r.value or "")
        chunk.append([r.stt, label, r.uom, value, r.note])
    _table(doc, chunk, split)
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    doc.save(out)
    return out


@pytest.fixture(scope="module")
def pdfs(seed_path, tmp_path_factory):
    """Two reports printed to PDF by LibreOffice: ``broken``, whose row 6.3 breaks across a page before "Dịch vụ
    công Quốc gia"; ``headings``, with a sub-heading row last on a page before a row first on the next (a heading
    that ends with a colon, its first row not reported; and the two scales of online services)."""
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("pdf-breaks")
    broken = build(seed_path, base / "broken.docx", [(ABOVE, HEAD + 5 * LINE + LINE // 2)],
                   lines={ABOVE: ABOVE_LINES, BROKEN: BROKEN_LINES}, split=BROKEN)
    headings = build(seed_path, base / "headings.docx",
                     [(COLON, HEAD + 2 * LINE + LINE // 2), (SCALES, HEAD + LINE + LINE // 2)],
                     blank=frozenset([BLANKED]), lines={COLON: COLON_LINES})
    pdf_broken, pdf_headings = soffice_convert([broken, headings], "pdf", base / "pdf", base / "lo-profile")
    return {"broken": pdf_broken, "headings": pdf_headings, "broken_docx": broken, "headings_docx": headings}


def _first_rows(pdf_path) -> list[tuple[int, list[str]]]:
    """The first row under the header of each page's table: (page, cells)."""
    out = []
    with pdfplumber.open(pdf_path) as pdf:
        for page_no, page in enumerate(pdf.pages, start=1):
            for t in page.find_tables():
                rows = t.extract()
                if len(rows) > 1:
                    out.append((page_no, [" ".join((c or "").split()) for c in rows[1]]))
    return out


def _same_as_word(df, word, seed_path, seed_df):
    """The PDF reads as the Word file it was printed from: every value as written, every row on its line (the
    table's row: its header is row 1, each seed row is written on the next row, a header repeated on a new page
    is no row)."""
    _, rows = seed_rows(seed_path)
    table_line = {r.line: i for i, r in enumerate(rows, start=2)}
    assert df["line"].tolist() == [table_line[line] for line in seed_df["line"]]
    assert df["code"].tolist() == word["code"].tolist() == seed_df["code"].tolist()
    assert df["label"].tolist() == word["label"].tolist()
    assert df["raw_value"].tolist() == word["raw_value"].tolist()
    assert df["value"].equals(word["value"])


def test_label_broken_before_a_capitalised_word_is_one_row(pdfs, seed_path, seed_df):
    firsts = _first_rows(pdfs["broken"])
    # the fixture breaks the row where it says: the next page starts with the rest of its label, nothing else
    (page, cells), = [(p, c) for p, c in firsts if c[1] == "Dịch vụ công Quốc gia"]
    assert cells == ["", "Dịch vụ công Quốc gia", "", "", ""]
    df = load_appendix(pdfs["broken"])
    _same_as_word(df, load_appendix(pdfs["broken_docx"]), seed_path, seed_df)
    assert df["raw_value"].tolist() == seed_df["raw_value"].tolist()
    assert df["value"].equals(seed_df["value"])  # NaN where blank: blanks stay blank, never 0
    assert df["value"].notna().sum() == 150
    row = df[df["code"] == "VII.dvc_on_national_portal"].iloc[0]
    assert row["label"] == BROKEN and row["raw_value"] == "221" and row["value"] == 221
    assert row["page"] == page - 1  # its value stands on the page where the row begins
    after = df.iloc[df.index.get_loc(row.name) + 1]  # the row below: its own line, on the next page
    assert after["line"] == row["line"] + 1 and after["page"] == page
    assert read_pdf(pdfs["broken"]).rows[-1].line == int(df["line"].max())


def test_sub_heading_rows_at_the_top_of_a_page_stay_rows(pdfs, seed_path, seed_df):
    firsts = _first_rows(pdfs["headings"])
    tops = {c[1]: p for p, c in firsts}
    # both rows really open a page, after their sub-heading at the foot of the page before
    assert [c for _, c in firsts if c[1] in (BLANKED, SCALE_3)] == [["", BLANKED, "Có = 1 Không = 0", "", ""],
                                                                   ["", SCALE_3, "", "", ""]]
    df = load_appendix(pdfs["headings"])
    _same_as_word(df, load_appendix(pdfs["headings_docx"]), seed_path, seed_df)
    blank = df[df["code"] == "VII.edocs_district_connected"].iloc[0]
    assert blank["label"] == BLANKED and blank["raw_value"] == "" and math.isnan(blank["value"])
    assert blank["page"] == tops[BLANKED]
    assert df["value"].notna().sum() == 149  # the one left blank is not reported, never 0
    raw = read_pdf(pdfs["headings"])
    by_label = {r.label: r for r in raw.rows}
    for above, below in ((COLON, BLANKED), (SCALES, SCALE_3)):
        assert by_label[below].line == by_label[above].line + 1
        assert by_label[below].page == by_label[above].page + 1


def _splits(label: str):
    """``label`` cut before each of its capitalised words (but the first)."""
    words = label.split()
    for i in range(1, len(words)):
        if words[i][0].isupper():
            yield " ".join(words[:i]), " ".join(words[i:])


def test_every_form_label_broken_before_a_capitalised_word_is_joined_again():
    # the first line of a page, with no THỨ TỰ and no value, after a page filled to its foot
    tried = 0
    for form in all_forms().values():
        for r in form.rows:
            for head, rest in _splits(r.label):
                prev = RawRow(line=9, stt="", label=head, uom=r.uom, value="3", note="", page=2)
                assert _is_continuation(prev, True, {"stt": "", "label": rest, "uom": "", "value": "", "note": ""}), \
                    (form.name, head, rest)
                tried += 1
    assert tried > 300


def test_no_two_rows_of_a_form_are_joined_when_the_lower_is_not_reported():
    tried = 0
    for form in all_forms().values():
        for above, below in pairwise(form.rows):
            if not below.label or not (below.label[0].isupper() or below.label[0] in "-–+•*"):
                continue
            prev = RawRow(line=9, stt="", label=above.label, uom=above.uom, value="", note="", page=2)
            cells = {"stt": "", "label": below.label, "uom": below.uom, "value": "", "note": ""}
            assert not _is_continuation(prev, True, cells), (form.name, above.label, below.label)
            tried += 1
    assert tried > 300
