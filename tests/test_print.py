"""Printed as an official prints (issue 26): the structure that makes a page print well, not its looks.

Workbooks carry their print setup (the header row on every page, fitted to width, a page header with the
title and the unit or province); every Word file opens with the NĐ 30/2020 heading block from one function;
a printed PDF has no empty page and no table wider than the page; a table goes landscape only when it must.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document as open_docx

from cchc_tools.content.document import Cell, Document, Heading, Paragraph, Table
from cchc_tools.project import DocumentSettings as Settings
from cchc_tools.render import pdf
from cchc_tools.render.html import document_html
from cchc_tools.render.layout import LANDSCAPE_TEXT_MM, PORTRAIT_TEXT_MM, least_width_mm, needs_landscape
from cchc_tools.render.word import build_docx, has_rule, heading_block, write_docx
from cchc_tools.render.workbook import Sheet, XCell, fill_sheet, write_workbook

needs_chromium = pytest.mark.skipif(not pdf.chromium_available(), reason="Chromium is not installed")
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
PRODUCED = date(2026, 12, 7)
SETTINGS = Settings(parent_body="UBND thành phố Cần Thơ", issuing_body="Sở Nội vụ", place="Cần Thơ")
LEAGUE_HEADERS = ["Hạng", "Đơn vị", "So với năm trước", "Tỷ lệ hồ sơ giải quyết đúng hạn (cả hai cấp)",
                  "Tỷ lệ hài lòng của người dân, tổ chức", "Tỷ lệ hoàn thành Kế hoạch CCHC",
                  "Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn", "Tỷ lệ hồ sơ cấp xã giải quyết đúng hạn",
                  "Biên chế công chức có mặt so với biên chế được giao", "Tỷ lệ văn bản điện tử (cấp huyện)",
                  "Tỷ lệ hồ sơ tiếp nhận trực tuyến (dịch vụ công toàn trình, một phần)", "Lỗi", "Cảnh báo"]


def _league(n: int = 5) -> Table:
    rows = [[Cell(str(i), i, "integer"), Cell(f"huyện Minh Họa {i:02d}"), Cell("không đổi")]
            + [Cell("99,87%", 99.87, "percent") for _ in range(8)] + [Cell("0", 0, "count"), Cell("1", 1, "count")]
            for i in range(1, n + 1)]
    return Table(LEAGUE_HEADERS, rows, ["Xếp hạng theo tỷ lệ hồ sơ giải quyết đúng hạn."], caption="Bảng xếp hạng",
                 wide=True)


def _small(caption: str = "Tổng hợp chung") -> Table:
    rows = [[Cell("Tỷ lệ hoàn thành Kế hoạch CCHC"), Cell("92,59%", 92.59, "percent"), Cell("25/27")]
            for _ in range(5)]
    return Table(["Chỉ số", "Giá trị", "Tính từ"], rows, caption=caption, wide=True)


# -- which tables go landscape ---------------------------------------------------------------------

def test_a_table_goes_landscape_only_when_it_does_not_fit_the_portrait_page():
    league, small = _league(), _small()
    assert least_width_mm(small, 9) < PORTRAIT_TEXT_MM and not needs_landscape(small)  # five rows, three columns
    assert least_width_mm(league, 9) > PORTRAIT_TEXT_MM and needs_landscape(league)  # thirteen columns
    league.wide = False  # a view that did not mark it wide keeps it in the text
    assert not needs_landscape(league)


def test_word_landscape_section_only_for_the_wide_table():
    doc = Document("So sánh", [Heading("So sánh các đơn vị", 1), _small(), Heading("Bảng xếp hạng", 2), _league(),
                               Paragraph.of("Hết.")])
    d = build_docx(doc, Settings(), PRODUCED)
    sizes = [(s.page_width > s.page_height) for s in d.sections]
    assert sizes == [False, True, False]  # portrait, the league table landscape, portrait again


def test_league_headers_wrap_to_a_few_lines_in_word():
    d = build_docx(Document("So sánh", [_league()], landscape=True), Settings(), PRODUCED)
    table = d.tables[-1]
    widths = [c.width for c in table.rows[0].cells]
    for header, width in zip(LEAGUE_HEADERS, widths, strict=True):
        chars = width / 36000 / (2.4 * 10.5 / 12)  # mm / the width of a character at the wide tables' size
        assert len(header) / max(chars - 1.9, 1) <= 6, header  # never ten lines of one word each


# -- the heading block of NĐ 30/2020 ---------------------------------------------------------------

def _assert_heading_block(table, issuer: str = "SỞ NỘI VỤ") -> None:
    left, right = table.rows[0].cells
    lefts = left.paragraphs
    i = next(k for k, p in enumerate(lefts) if p.text == issuer)
    assert all(r.bold for r in lefts[i].runs)  # the issuing body in bold capitals
    assert has_rule(lefts[i + 1]) and not lefts[i + 1].text  # a short rule under it
    rights = right.paragraphs
    j = next(k for k, p in enumerate(rights) if p.text == "Độc lập - Tự do - Hạnh phúc")
    assert rights[j - 1].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and all(r.bold for r in rights[j - 1].runs)
    assert all(r.bold for r in rights[j].runs) and has_rule(rights[j + 1])  # the motto bold and ruled
    assert not any(has_rule(p) for p in lefts[:i] + rights[:j])  # nothing ruled above them


def test_heading_block_draws_issuer_and_motto_with_their_rules():
    d = open_docx()
    table = heading_block(d, SETTINGS, produced=PRODUCED, number="Số: ……/SNV-CCHC", subject="V/v giải trình")
    _assert_heading_block(table)
    texts = [p.text for p in table.rows[0].cells[0].paragraphs]
    assert texts[0] == "UBND THÀNH PHỐ CẦN THƠ" and "Số: ……/SNV-CCHC" in texts and "V/v giải trình" in texts
    assert "Cần Thơ, ngày 07 tháng 12 năm 2026" in [p.text for p in table.rows[0].cells[1].paragraphs]
    blank = heading_block(open_docx(), Settings(issuing_body="SỞ NỘI VỤ"))  # no place, no date: no date line
    assert not any("ngày" in p.text for p in blank.rows[0].cells[1].paragraphs)


def test_every_word_file_of_a_project_with_a_letterhead_opens_with_the_heading_block(tmp_path):
    from cchc_tools.content.views import UnitBriefing

    b = UnitBriefing.load(2022, "vinh-chau")
    docs = {"briefing": b.document(), "compare": Document("So sánh", [_small(), _league()], landscape=True)}
    if callable(getattr(b, "summary_document", None)):
        docs["summary"] = b.summary_document()
    for name, doc in docs.items():
        path = write_docx(doc, tmp_path / f"{name}.docx", SETTINGS, PRODUCED)
        _assert_heading_block(open_docx(str(path)).tables[0])


def test_the_consolidated_appendix_word_file_has_the_heading_block(tmp_path):
    from cchc_tools.cycle import appendix as ap

    if not callable(getattr(ap, "appendix_document", None)):
        pytest.skip("no consolidated appendix document")
    doc = Document("Phụ lục tổng hợp", [Heading("Phụ lục tổng hợp", 1), _small()])
    path = write_docx(doc, tmp_path / "phu-luc.docx", SETTINGS, PRODUCED)
    _assert_heading_block(open_docx(str(path)).tables[0])


# -- workbooks -------------------------------------------------------------------------------------

def _assert_printable(ws, title: str, name: str = "") -> None:
    assert ws.print_title_rows.replace("$", "") == "1:1"  # the header row on every page
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert title in ws.oddHeader.center.text.replace("&&", "&")
    if name:
        assert ws.oddHeader.left.text == name
    assert "&P" in ws.oddHeader.right.text
    assert ws["A1"].font.bold and ws["A1"].value  # a header row, printed


def test_every_sheet_of_a_written_workbook_prints_with_titles_fitted_to_width(tmp_path):
    narrow = Sheet("Chỉ số", ["Chỉ số", "Giá trị"], [[XCell("Tỷ lệ hồ sơ đúng hạn"), XCell(99.87, "percent")]])
    wide = Sheet("Bảng xếp hạng", LEAGUE_HEADERS, [[XCell(1, "integer"), XCell("huyện Minh Họa 01")]
                                                     + [XCell("") for _ in LEAGUE_HEADERS[2:]]])
    path = write_workbook([narrow, wide], tmp_path / "b.xlsx", "Kết quả CCHC năm 2022 – thị xã Vĩnh Châu",
                          name="UBND thành phố Cần Thơ")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        _assert_printable(ws, "Kết quả CCHC năm 2022 – thị xã Vĩnh Châu", "UBND thành phố Cần Thơ")
    assert wb["Chỉ số"].page_setup.orientation == "portrait"
    assert wb["Bảng xếp hạng"].page_setup.orientation == "landscape"
    heads = wb["Bảng xếp hạng"][1]
    for cell in heads:  # wide enough for the header to wrap on a few lines, not one word a line
        width = wb["Bảng xếp hạng"].column_dimensions[cell.column_letter].width
        assert len(cell.value) / width <= 3.5, cell.value


def test_fill_sheet_gives_a_workbook_of_its_own_the_same_print_setup(tmp_path):
    wb = openpyxl.Workbook()
    fill_sheet(wb.active, Sheet("Số liệu từng đơn vị", ["Mã", "Đơn vị"], [[XCell("a"), XCell("b")]]),
               title="Phụ lục tổng hợp", name="Thành phố Cần Thơ")
    wb.save(tmp_path / "a.xlsx")
    _assert_printable(openpyxl.load_workbook(tmp_path / "a.xlsx").active, "Phụ lục tổng hợp", "Thành phố Cần Thơ")


def test_the_workbooks_of_a_briefing_and_of_the_letters_print_with_their_titles(tmp_path):
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.cycle.letters import Letter
    from cchc_tools.cycle.register import record_letters
    from cchc_tools.render import save

    written = save(UnitBriefing.load(2022, "vinh-chau"), tmp_path, "xlsx")
    books = [p for p in written if p.suffix == ".xlsx"]
    assert books
    for path in books:
        for ws in openpyxl.load_workbook(path).worksheets:
            _assert_printable(ws, "Vĩnh Châu")
    letter = Letter("a.txt", "vinh-chau", "94", "Ủy ban nhân dân thị xã Vĩnh Châu", "district", 2022, "annual",
                    "Báo cáo số 15/BC-UBND", False, [], [])
    def write(lt, path, numbers):
        path.write_bytes(b"letter")  # the register records the file's hash
        return path

    (tmp_path / "letters").mkdir()
    written = record_letters(tmp_path / "letters", [letter], write).written
    register = [p for p in written if p.suffix == ".xlsx"]
    _assert_printable(openpyxl.load_workbook(register[0]).active, "Sổ theo dõi công văn")


# -- printed pages ---------------------------------------------------------------------------------

def _pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _print(document: Document, tmp_path: Path, name: str) -> Path:
    html = tmp_path / f"{name}.html"
    html.write_text(document_html(document, PRODUCED), encoding="utf-8")
    out = tmp_path / f"{name}.pdf"
    assert pdf.print_pdf(html, out)
    return out


def _body_words(page: str) -> list[str]:
    """The words of a page besides its number, its production date and the synthetic-data line."""
    lines = [ln for ln in page.splitlines() if ln.strip() and not ln.strip().isdigit()
             and "Ngày lập" not in ln and "DỮ LIỆU MẪU" not in ln]
    return " ".join(lines).split()


@needs_chromium
@needs_poppler
def test_a_comparison_prints_without_empty_pages_and_its_caption_with_its_table(tmp_path):
    blocks = [Heading("So sánh các đơn vị – năm 2023", 1), Paragraph.of("Năm 2023: 5 đơn vị có phụ lục.", "lead"),
              Heading("Tổng hợp chung", 2), _small("Tổng hợp chung"), Paragraph.of("Ghi chú: tỷ lệ chung.", "note"),
              Heading("Bảng xếp hạng", 2), _league(), Heading("Thông tin lập báo cáo", 2),
              _small("Thông tin lập báo cáo")]
    for landscape in (True, False):
        path = _print(Document("So sánh các đơn vị", blocks, landscape=landscape), tmp_path, f"compare-{landscape}")
        pages = _pages(path)
        assert all(len(_body_words(p)) >= 20 for p in pages), [len(_body_words(p)) for p in pages]
        assert len(pages) <= (2 if landscape else 3)
        league = next(p for p in pages if "Bảng xếp hạng" in p)
        assert "Minh Họa" in league and "99,87%" in league  # the caption on the page of the table's first rows


@needs_chromium
@needs_poppler
def test_the_bundled_briefing_prints_without_an_empty_page_or_a_stranded_heading(tmp_path):
    from cchc_tools.content.views import UnitBriefing

    doc = UnitBriefing.load(2022, "vinh-chau").document()
    pages = _pages(_print(doc, tmp_path, "briefing"))
    assert len(pages) > 3
    assert all(len(_body_words(p)) >= 20 for p in pages)
    headings = [b.text for b in doc.flat() if b.kind == "heading" and b.level >= 2]
    for page in pages:
        last = [ln.strip() for ln in page.splitlines() if ln.strip() and "Ngày lập" not in ln
                and "DỮ LIỆU MẪU" not in ln]
        assert last and last[-1] not in headings, last[-1]  # no heading alone at a page's foot


@needs_chromium
def test_every_table_lies_inside_the_printed_page(tmp_path):
    """Chromium lays the page out for print at the text width; every table's right edge, its outer border
    included, lies inside it (a wide one inside the landscape width)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    from cchc_tools.content.views import UnitBriefing

    px = 96 / 25.4
    doc = UnitBriefing.load(2022, "vinh-chau").document()
    doc.blocks = list(doc.blocks) + [_league(), _small()]
    html = tmp_path / "b.html"
    html.write_text(document_html(doc, PRODUCED), encoding="utf-8")
    js = """() => [...document.querySelectorAll('table.cchc')].map(t => {
      const r = t.getBoundingClientRect(), b = parseFloat(getComputedStyle(t.rows[0].cells[0]).borderRightWidth);
      return {right: r.right + b / 2, landscape: t.classList.contains('cchc-landscape')}; })"""
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=pdf.chromium_path())
        except Exception as e:  # noqa: BLE001 - a browser playwright cannot drive
            pytest.skip(f"playwright cannot start Chromium: {e}")
        try:
            seen = {}
            for landscape, mm in ((False, PORTRAIT_TEXT_MM), (True, LANDSCAPE_TEXT_MM)):
                width = math.floor(mm * px)
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.emulate_media(media="print")
                page.goto(html.as_uri())
                tables = [t for t in page.evaluate(js) if t["landscape"] == landscape]
                seen[landscape] = len(tables)
                assert all(t["right"] <= width for t in tables), (landscape, width, tables)
        finally:
            browser.close()
    assert seen[False] >= 5 and seen[True] == 1


def test_the_letters_heading_is_the_one_heading_block(tmp_path):
    """The letters draw their heading with ``heading_block``: bold issuing body and motto, each with its rule,
    the clerk's number and the V/v line under the issuer, place and date under the motto."""
    from cchc_tools.cycle.letters import Letter, Point, build_letter

    point = Point("sum:III.x", "error", "sum", "sum_equals", "Tổng các phần lớn hơn tổng số", "Mục III, STT 6",
                  "9.375 + 1.535 = 10.910")
    letter = Letter("a.txt", "vinh-chau", "94", "Ủy ban nhân dân thị xã Vĩnh Châu", "district", 2022, "annual",
                    "Báo cáo số 15/BC-UBND", False, [point], [])
    letter_doc = build_letter(letter, parent_body="UBND THÀNH PHỐ CẦN THƠ", issuing_body="SỞ NỘI VỤ",
                              place="Cần Thơ", produced=PRODUCED)
    theirs = letter_doc.tables[0].rows[0].cells
    left_texts = [p.text for p in theirs[0].paragraphs]
    number, subject = left_texts[-2], left_texts[-1]
    date_text = theirs[1].paragraphs[-1].text
    assert number.startswith("Số:") and subject.startswith("V/v") and date_text.startswith("Cần Thơ, ngày")
    ours = heading_block(open_docx(), Settings(parent_body="UBND THÀNH PHỐ CẦN THƠ", issuing_body="SỞ NỘI VỤ",
                                               place="Cần Thơ"),
                         date_text=date_text, number=number, subject=subject).rows[0].cells

    def shape(cell):
        return [(p.text, tuple(bool(r.bold) for r in p.runs), has_rule(p), p.alignment) for p in cell.paragraphs]

    issuer = next(k for k, p in enumerate(theirs[0].paragraphs) if p.text == "SỞ NỘI VỤ")
    assert all(r.bold for r in theirs[0].paragraphs[issuer].runs) and has_rule(theirs[0].paragraphs[issuer + 1])
    motto = next(k for k, p in enumerate(theirs[1].paragraphs) if p.text == "Độc lập - Tự do - Hạnh phúc")
    assert all(r.bold for r in theirs[1].paragraphs[motto].runs) and has_rule(theirs[1].paragraphs[motto + 1])
    assert shape(ours[0]) == shape(theirs[0]) and shape(ours[1]) == shape(theirs[1])
