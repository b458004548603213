"""The formats officials use: Word, Excel, PDF, the reader's HTML page and the index."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest
from docx import Document as open_docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from cchc_tools import paths
from cchc_tools.content.charts import finish
from cchc_tools.content.document import (
    Banner,
    Bullets,
    Card,
    Cards,
    Cell,
    Document,
    Group,
    Heading,
    Paragraph,
    Span,
    Style,
    Table,
)
from cchc_tools.project import DocumentSettings as Settings
from cchc_tools.project import ProjectError, load_project
from cchc_tools.render.export import (
    IndexEntry,
    entry_files,
    notebook_to_html,
    render_index,
)
from cchc_tools.render.html import document_html, page_html, render_block, stylesheet
from cchc_tools.render.pdf import PdfError, chromium_available, pdf_skipped_message, print_pdf
from cchc_tools.render.word import build_docx, write_docx
from cchc_tools.render.workbook import (
    Sheet,
    XCell,
    finding_messages,
    findings_sheet,
    frame_sheet,
    indicators_sheet,
    table_sheet,
    write_workbook,
)

PRODUCED = date(2026, 11, 28)
NO_SETTINGS = Settings()

KIT = load_project(paths.KIT_ROOT)  # the kit's own repository as a project


def _chart(synthetic: bool = False):
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(["Cấp huyện", "Cấp xã"], [23856, 100564])
    return finish(fig, "Kết quả giải quyết hồ sơ TTHC – Năm 2022", "Phụ lục của UBND thị xã Vĩnh Châu", synthetic)


def _rows(n: int) -> list[list[Cell]]:
    return [[Cell(f"Hồ sơ cấp {i} giải quyết đúng hạn"), Cell(f"{90 + i / 10:.2f}%".replace(".", ","), 90 + i / 10,
                                                               "percent", "L1" if i == 2 else ""),
             Cell(f"{1000 + i}.{i:03d}", float(f"{1000 + i}{i:03d}"), "count")] for i in range(n)]


def make_document(synthetic: bool = False, landscape: bool = False, rows: int = 45) -> Document:
    """A briefing built by hand: every kind of block."""
    blocks = [Style(stylesheet())]
    if synthetic:
        blocks.append(Banner("DỮ LIỆU MẪU – KHÔNG PHẢI SỐ LIỆU THẬT", "số liệu mẫu"))
    blocks += [
        Heading("Kết quả cải cách hành chính năm 2022 – thị xã Vĩnh Châu", 1),
        Group([Paragraph([Span("Đơn vị: ", strong=True), Span("thị xã Vĩnh Châu (cấp huyện)")], "lead"),
               Cards([Card("92,59%", "Tỷ lệ hoàn thành Kế hoạch CCHC", "25/27"),
                      Card("99,87%", "Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn", "23.826/23.856", "L1")])]),
        Heading("III. Cải cách thủ tục hành chính", 2),
        Paragraph([Span("Cấp huyện giải quyết đúng hạn "), Span("23.826", "L1"), Span(" hồ sơ.")]),
        Bullets([[Span("Tiếp nhận 24.407 hồ sơ")], [Span("Quá hạn 30 hồ sơ")]], title="Tóm tắt"),
        Table(["Chỉ số", "Giá trị", "Số hồ sơ"], _rows(rows), notes=["Tỷ lệ = đúng hạn / đã giải quyết."],
              caption="Bảng 1. Hồ sơ TTHC"),
        _chart(synthetic),
        Paragraph.of("Ghi chú: số liệu do đơn vị tự báo cáo.", "note"),
        Heading("So sánh", 2),
        Table.of(["Đơn vị"] + [f"Tỷ lệ hồ sơ giải quyết đúng hạn loại {i}" for i in range(9)],
                 [["Vĩnh Châu"] + ["1.070"] * 9], wide=True),
        None,  # a chart with nothing to show
        Group([Group([Heading("Chất lượng số liệu", 2)])]),
        Table.of(["Mức độ", "Dòng", "Nội dung"], [["Lỗi", "183; 184", "Tổng các phần lớn hơn tổng số"]]),
    ]
    return Document("Kết quả cải cách hành chính năm 2022 – thị xã Vĩnh Châu", blocks, synthetic=synthetic,
                    subtitle="Phụ lục kèm theo Báo cáo ngày 16/12/2022", landscape=landscape)


def figure_texts(document: Document) -> list[str]:
    """Every figure the document shows in its cards and tables."""
    out = []
    for b in document.flat():
        if b is None or b.kind == "group":
            continue
        if b.kind == "cards":
            out += [c.value for c in b.cards]
        elif b.kind == "table":
            out += [c.text for r in b.rows for c in r]
    return out


def docx_text(path: Path) -> str:
    """The .docx as plain text: body paragraphs and every table cell."""
    d = open_docx(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


# -- Word -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docx_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("word") / "briefing.docx"
    write_docx(make_document(), path, NO_SETTINGS, PRODUCED)
    return path


def test_docx_page_margins_and_fonts_follow_nd30(docx_path):
    d = open_docx(str(docx_path))
    first = d.sections[0]
    assert first.orientation == WD_ORIENT.PORTRAIT
    assert abs(first.page_width - Mm(210)) < Mm(0.5) and abs(first.page_height - Mm(297)) < Mm(0.5)
    for s in d.sections:
        assert Mm(20) <= s.top_margin <= Mm(25) and Mm(20) <= s.bottom_margin <= Mm(25)
        assert Mm(30) <= s.left_margin <= Mm(35) and Mm(15) <= s.right_margin <= Mm(20)
    normal = d.styles["Normal"]
    assert normal.font.name == "Times New Roman" and 13 <= normal.font.size.pt <= 14
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {"Times New Roman"}
    for level in (1, 2):
        h = d.styles[f"Heading {level}"]
        assert h.font.name == "Times New Roman" and h.element.rPr.find(qn("w:rFonts")).get(qn("w:asciiTheme")) is None
    headings = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == ("Heading 1", "Kết quả cải cách hành chính năm 2022 – thị xã Vĩnh Châu")
    assert ("Heading 2", "III. Cải cách thủ tục hành chính") in headings
    assert sum(p.text == "Kết quả cải cách hành chính năm 2022 – thị xã Vĩnh Châu" for p in d.paragraphs) == 1


def test_docx_tables_figures_and_marks(docx_path):
    d = open_docx(str(docx_path))
    doc = make_document()
    n_tables = sum(b is not None and b.kind == "table" for b in doc.flat())
    assert len(d.tables) == n_tables + 1  # and the cards
    big = next(t for t in d.tables if t.rows[0].cells[0].text == "Chỉ số")
    assert len(big.rows) == 46
    assert big.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # the header row repeats
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in big.rows[1:])
    value = big.rows[1].cells[1].paragraphs[0]
    assert value.alignment == WD_ALIGN_PARAGRAPH.RIGHT and value.text == "90,00%"
    assert big.rows[1].cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    marked = big.rows[3].cells[1].paragraphs[0].runs
    assert marked[-1].text == "[L1]" and marked[-1].font.superscript and str(marked[-1].font.color.rgb) == "B00020"
    cards = d.tables[0]
    assert [r.cells[0].text for r in cards.rows] == ["92,59%", "99,87%[L1]"]
    assert len(d.inline_shapes) == 1
    assert abs(d.inline_shapes[0].width - (d.sections[0].page_width - Mm(45))) < Mm(1)
    alt = d.element.body.find(".//" + qn("wp:docPr")).get("descr")
    assert alt.startswith("Kết quả giải quyết hồ sơ TTHC") and "Nguồn" in alt
    text = docx_text(docx_path)
    assert "99,87%" in text
    assert "Nguồn: Phụ lục" not in text  # the chart carries its source line; no second one under it
    note = next(p for p in d.paragraphs if p.text.startswith("Ghi chú: số liệu"))
    assert note.runs[0].italic and note.runs[0].font.size.pt < 13


def test_docx_text_has_every_figure_of_cards_and_tables(docx_path):
    text = docx_text(docx_path)
    figures = figure_texts(make_document())
    assert len(figures) > 100
    missing = [f for f in figures if f not in text]
    assert not missing


def test_docx_page_numbers_from_page_two_and_landscape_for_wide_tables(docx_path):
    d = open_docx(str(docx_path))
    first = d.sections[0]
    assert first.different_first_page_header_footer
    field = first.header._element.xpath(".//w:instrText")
    assert [f.text.strip() for f in field] == ["PAGE"]
    assert first.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert not first.first_page_header._element.xpath(".//w:instrText")
    orients = [s.orientation for s in d.sections]
    assert orients == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    wide = d.sections[1]
    assert wide.page_width > wide.page_height and not wide.different_first_page_header_footer
    # the heading that introduces the wide table is on its landscape page
    body = list(d.element.body.iterchildren())
    so_sanh = next(i for i, el in enumerate(body)
                   if el.tag == qn("w:p") and "".join(el.xpath(".//w:t/text()")) == "So sánh")
    breaks = [i for i, el in enumerate(body) if el.tag == qn("w:p") and el.find(".//" + qn("w:sectPr")) is not None]
    assert breaks[0] < so_sanh < breaks[1]


def test_synthetic_banner_in_every_page_header(tmp_path):
    path = write_docx(make_document(synthetic=True, landscape=True), tmp_path / "demo.docx", NO_SETTINGS, PRODUCED)
    d = open_docx(str(path))
    assert all(s.orientation == WD_ORIENT.LANDSCAPE for s in d.sections)
    s = d.sections[0]
    for header in (s.header, s.first_page_header):
        assert "DỮ LIỆU MẪU – KHÔNG PHẢI SỐ LIỆU THẬT" in "\n".join(p.text for p in header.paragraphs)
    real = open_docx(str(write_docx(make_document(), tmp_path / "real.docx", NO_SETTINGS, PRODUCED)))
    assert "DỮ LIỆU MẪU" not in "".join(p.text for p in real.sections[0].header.paragraphs)


def test_heading_block_and_province_template(tmp_path):
    settings = Settings(parent_body="UBND tỉnh Sóc Trăng", issuing_body="Sở Nội vụ", place="Sóc Trăng")
    d = build_docx(make_document(), settings, PRODUCED)
    block = d.tables[0]
    assert [p.text for p in block.rows[0].cells[0].paragraphs if p.text] == ["UBND TỈNH SÓC TRĂNG", "SỞ NỘI VỤ"]
    assert "Độc lập - Tự do - Hạnh phúc" in block.rows[0].cells[1].text
    assert "Sóc Trăng, ngày 28 tháng 11 năm 2026" in [p.text for p in block.rows[0].cells[1].paragraphs]

    template = tmp_path / "so-noi-vu.docx"
    t = open_docx()
    t.add_paragraph("SỞ NỘI VỤ TỈNH MINH HỌA – MẪU BÁO CÁO")
    t.sections[0].header.paragraphs[0].text = "Tiêu đề trang của tỉnh"
    t.save(str(template))
    (tmp_path / "cchc.toml").write_text('[document]\nword_template = "so-noi-vu.docx"\n', encoding="utf-8")
    out = write_docx(make_document(), tmp_path / "b.docx", load_project(tmp_path, env={}).document, PRODUCED)
    d = open_docx(str(out))
    assert d.paragraphs[0].text == "SỞ NỘI VỤ TỈNH MINH HỌA – MẪU BÁO CÁO"
    assert d.sections[0].header.paragraphs[0].text == "Tiêu đề trang của tỉnh"
    assert "99,87%" in docx_text(out)


def test_document_settings_of_a_project(tmp_path):
    assert load_project(tmp_path, env={}).document == Settings()
    (tmp_path / "cchc.toml").write_text('[document]\nissuing_body = "SỞ NỘI VỤ"\nplace = "Sóc Trăng"\n',
                                        encoding="utf-8")
    assert load_project(tmp_path, env={}).document == Settings(issuing_body="SỞ NỘI VỤ", place="Sóc Trăng")
    (tmp_path / "cchc.toml").write_text('[document]\nword_template = "missing.docx"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="missing.docx"):
        load_project(tmp_path, env={})
    (tmp_path / "cchc.toml").write_text('[document]\nissuing_bdy = "x"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="issuing_bdy.*did you mean 'issuing_body'"):
        load_project(tmp_path, env={})


def test_docx_write_is_whole_or_nothing(tmp_path):
    class Broken(Table):
        kind = "table"

    bad = make_document()
    bad.blocks.append(Broken(["a", "b"], [[Cell("1")]]))  # a row shorter than its header
    target = tmp_path / "briefing.docx"
    with pytest.raises(ValueError):
        write_docx(bad, target, NO_SETTINGS, PRODUCED)
    assert list(tmp_path.iterdir()) == []


# -- Excel ----------------------------------------------------------------------------------------

def test_workbook_numbers_formats_header_filters_and_doubts(tmp_path):
    import openpyxl
    import pandas as pd

    table = next(b for b in make_document().flat() if isinstance(b, Table))
    ind = pd.DataFrame({"section": ["III", "IV"], "indicator": ["on_time", "staff"],
                        "name_vi": ["Tỷ lệ hồ sơ đúng hạn", "Số người"], "value": [99.87, 1070.0],
                        "uom": ["%", "Người"], "numerator": [23826.0, float("nan")], "denominator": [23856.0, None],
                        "year": [2022, 2022], "source": ["data/raw/2022/vc/a.txt"] * 2, "lines": ["101; 102", "150"],
                        "status": ["met", "no_target"], "rank": pd.array([2, None], dtype="Int64"),
                        "findings": ["L1, C4", ""]})
    fnd = pd.DataFrame({"ref": ["L1"], "severity": ["error"], "message_vi": ["=SUM(A1) lớn hơn tổng"],
                        "codes": ["VII.a"], "values": ["9.375"], "rule": ["r"], "unit": ["vc"], "year": [2022],
                        "source": ["data/raw/2022/vc/a.txt"], "lines": ["183; 184"]})
    messages = {**finding_messages(fnd), "C4": "Tổng các phần lớn hơn tổng số"}
    assert messages["L1"] == "=SUM(A1) lớn hơn tổng"
    path = write_workbook([indicators_sheet(ind, findings=messages, status_vi={"met": "Đạt mục tiêu"}),
                           findings_sheet(fnd), table_sheet(table, "Bảng 1: hồ sơ/TTHC", "data/raw/a.txt"),
                           table_sheet(table, "Bảng 1: hồ sơ/TTHC")], tmp_path / "briefing.xlsx", "Vĩnh Châu")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Chỉ số", "Kiểm tra số liệu", "Bảng 1- hồ sơ-TTHC", "Bảng 1- hồ sơ-TTHC (2)"]
    ws = wb["Chỉ số"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["Phần", "Chỉ số", "Giá trị"] and "Tệp nguồn" in head and "Dòng trong tệp" in head
    assert head[-1] == "Mã chỉ số"  # the English id only last, for machines
    assert ws.cell(2, head.index("Năm") + 1).comment is None  # the doubt sits on the value, never on its year
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    value = ws.cell(2, head.index("Giá trị") + 1)
    assert value.data_type == "n" and value.value == pytest.approx(0.9987) and value.number_format == "0.00%"
    count = ws.cell(3, head.index("Giá trị") + 1)
    assert count.value == 1070 and count.number_format == "#,##0.00"
    num = ws.cell(2, head.index("Tử số") + 1)
    assert num.value == 23826 and num.number_format == "#,##0"
    assert ws.cell(3, head.index("Tử số") + 1).value is None  # not reported stays blank, never 0
    assert ws.cell(2, head.index("Năm") + 1).number_format == "0"  # a year is never "2.022"
    assert ws.cell(2, head.index("Dòng trong tệp") + 1).value == "101; 102"
    assert value.fill.fgColor.rgb.endswith("FFF2CC") and "Tổng các phần lớn hơn tổng số" in value.comment.text
    assert "L1: =SUM(A1)" in value.comment.text
    assert ws.cell(2, head.index("Đánh giá") + 1).value == "Đạt mục tiêu"
    assert ws.cell(3, head.index("Đánh giá") + 1).value == "no_target"
    assert ws.cell(2, head.index("Hạng") + 1).value == 2 and ws.cell(3, head.index("Hạng") + 1).value is None
    assert ws.cell(3, head.index("Giá trị") + 1).comment is None
    for sheet in wb:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert all(sheet.column_dimensions[c].width >= 8 for c in "ABC")
    f = wb["Kiểm tra số liệu"]
    fhead = [c.value for c in f[1]]
    assert fhead[:3] == ["Mã", "Mức độ", "Nội dung"] and fhead[-1] == "Mã quy tắc" and "Đơn vị" in fhead
    msg = f.cell(2, fhead.index("Nội dung") + 1)
    assert [f.cell(2, 1).value, f.cell(2, 2).value] == ["L1", "Lỗi"]
    assert msg.value == "=SUM(A1) lớn hơn tổng" and msg.data_type == "s"
    t = wb["Bảng 1- hồ sơ-TTHC"]
    assert [c.value for c in t[1]] == ["Chỉ số", "Giá trị", "Số hồ sơ", "Tệp nguồn"]
    assert t["B2"].value == pytest.approx(0.9) and t["C2"].value == 1000000 and t["C2"].number_format == "#,##0"
    assert t["B4"].comment is not None and t["A4"].comment is None
    assert t.auto_filter.ref == "A1:D46"
    assert t.column_dimensions["A"].width > t.column_dimensions["B"].width


def test_numpy_numbers_and_long_sheet_names(tmp_path):
    import numpy as np
    import openpyxl

    table = Table(["Đơn vị", "Lỗi", "Tỷ lệ"], [[Cell("A"), Cell("1", np.int64(1), "count"),
                                                 Cell("99,87%", np.float64(99.87), "percent")]])
    sheet = table_sheet(table, "Chất lượng số liệu và nội dung đề nghị giải trình")
    path = write_workbook([sheet], tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.title == "Chất lượng số liệu và nội dung"
    assert ws["B2"].value == 1 and ws["B2"].data_type == "n" and ws["C2"].value == pytest.approx(0.9987)


def test_frame_sheet_columns_and_formats():
    import pandas as pd

    df = pd.DataFrame({"a": ["x", "y"], "b": [1.5, float("nan")]})
    sheet = frame_sheet(df, "S", {"b": "Số", "a": "Tên"}, {"b": "decimal"})
    assert sheet.headers == ["Số", "Tên"]
    assert sheet.rows[0][0] == XCell(1.5, "decimal") and sheet.rows[1][0] == XCell("") and sheet.rows[1][1].value == "y"
    with pytest.raises(ValueError):
        write_workbook([], "/nonexistent/x.xlsx")
    assert isinstance(sheet, Sheet)


# -- the reader's page, the index -----------------------------------------------------------------

def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    doc = make_document(synthetic=True)
    out = nbformat.v4.new_output("display_data", data={"text/html": "".join(render_block(b) for b in doc.blocks if b)})
    script = nbformat.v4.new_output("display_data", data={"text/html": "<script>alert(1)</script><p>ok</p>"})
    err = nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: noise")
    nb.cells = [nbformat.v4.new_code_cell("b = UnitBriefing.load(2022)", outputs=[out, script, err]),
                nbformat.v4.new_markdown_cell("## Phần II. Cải cách thể chế"),
                nbformat.v4.new_code_cell("print(b.key_figures())  # NBVAL_CHECK_OUTPUT", metadata={"tags": [
                    "hide-in-html"]}, outputs=[nbformat.v4.new_output("stream", name="stdout", text="GOLDEN")])]
    return nb


def test_notebook_page_is_vietnamese_small_and_printable():
    html = notebook_to_html(_notebook(), "Báo cáo tóm tắt CCHC – thị xã Vĩnh Châu – 2022", PRODUCED)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="vi">' in html
    assert "<title>Báo cáo tóm tắt CCHC – thị xã Vĩnh Châu – 2022</title>" in html
    assert "<script" not in html and "UnitBriefing.load" not in html and "GOLDEN" not in html
    assert "DeprecationWarning" not in html and "In&nbsp;[" not in html and "jp-" not in html
    assert re.search(r"<h2[^>]*>Phần II. Cải cách thể chế</h2>", html) and "¶" not in html
    assert "@page{size:A4" in html and "counter(page)" in html and '"Ngày lập: 28/11/2026"' in html
    assert "break-after:avoid" in html and "display:table-header-group" in html
    assert html.count(stylesheet().strip()) == 1  # the notebook's Style block is not repeated
    assert 'class="cchc-synthetic"' in html  # the banner prints on every page
    assert "99,87%" in html and "Vĩnh Châu" in html


def test_one_exporter_per_process_makes_the_pages_a_fresh_exporter_makes():
    """The reused exporter (validated once) gives, page after page, the bytes of a new exporter per page."""
    from nbconvert import HTMLExporter

    from cchc_tools.render import export

    def fresh(nb) -> str:
        exporter = HTMLExporter(extra_template_basedirs=[str(export.NBCONVERT_TEMPLATES)],
                                template_name=export.READER_TEMPLATE, filters=export.READER_FILTERS)
        exporter.exclude_input = exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
        return spelled(exporter.from_notebook_node(nb)[0])

    def spelled(body: str) -> str:  # a chart's image as the page has it
        return export._CHART_IMG.sub(r'<img alt="\2" src="\1"/>', body)

    plain = _notebook()
    other = _notebook()
    other.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>Xã Chỉ Một Lần</p>"})]
    other.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    pages = [plain, other, plain]
    shared = [spelled(export._exporter().from_notebook_node(nb)[0]) for nb in pages]
    assert export._exporter() is export._exporter()
    assert shared == [fresh(nb) for nb in pages]
    assert "Chỉ Một Lần" in shared[1] and "Chỉ Một Lần" not in shared[2]


def _nbconverts_own_page(nb, monkeypatch) -> str:
    """The page as nbconvert's own ``HTMLExporter`` makes it with the reader's template: its BeautifulSoup pass
    included."""
    from nbconvert import HTMLExporter

    from cchc_tools.render import export

    stock = HTMLExporter(extra_template_basedirs=[str(export.NBCONVERT_TEMPLATES)],
                         template_name=export.READER_TEMPLATE, filters=export.READER_FILTERS)
    stock.exclude_input = stock.exclude_input_prompt = stock.exclude_output_prompt = True
    with monkeypatch.context() as m:
        m.setattr(export, "_exporter", lambda: stock)
        return notebook_to_html(nb, "Báo cáo", PRODUCED)


def _page_notebook(text: str = "") -> nbformat.NotebookNode:
    """A page of every kind of output a briefing shows: the kit's blocks (a chart among them), a chart shown as a
    PNG with its alt, markdown with Vietnamese headings, code and a link, printed text."""
    nb = _notebook()
    chart = _chart(False)
    png = chart.data_uri().removeprefix("data:image/png;base64,")
    nb.cells += [
        nbformat.v4.new_markdown_cell(f"# Các chỉ số chính qua các kỳ\n\n*Ghi chú* `mã` [liên kết](a.html) {text}"),
        nbformat.v4.new_code_cell("b.chart()", outputs=[
            nbformat.v4.new_output("display_data", data={"image/png": png}, metadata={"alt": f"Biểu đồ {text}"}),
            nbformat.v4.new_output("display_data", data={"text/html": render_block(chart)}),
            nbformat.v4.new_output("stream", name="stdout", text=f"Đã lưu {text}")])]
    return nb


def test_the_reader_page_is_nbconverts_own_without_parsing_it_again(monkeypatch):
    """The reader's exporter skips nbconvert's second parse of the whole page (BeautifulSoup): the same bytes for
    what the kit writes (its blocks, its charts, markdown), in half the time."""
    from bs4 import BeautifulSoup

    nb = _page_notebook()
    ours = notebook_to_html(nb, "Báo cáo", PRODUCED)
    assert ours == _nbconverts_own_page(nb, monkeypatch)
    assert ours.count('<img alt="') == 3 and "Các chỉ số chính" in ours
    # an input's quotes, ampersands and angle brackets: spelled otherwise (``&#39;`` for ``'``), the same document
    tricky = _page_notebook("Xã \"Mới\" & 'Cũ' <b>đậm</b> 1 < 2")
    ours, theirs = notebook_to_html(tricky, "Báo cáo", PRODUCED), _nbconverts_own_page(tricky, monkeypatch)
    assert "<b>đậm</b>" not in ours.split("<body", 1)[1].split("<pre", 1)[1]  # printed text stays escaped
    assert str(BeautifulSoup(ours, "html.parser")) == str(BeautifulSoup(theirs, "html.parser"))
    assert BeautifulSoup(ours, "html.parser").get_text() == BeautifulSoup(theirs, "html.parser").get_text()


def test_landscape_page():
    assert "@page{size:A4 landscape;" in document_html(make_document(landscape=True), PRODUCED)
    assert "@page{size:A4;" in document_html(make_document(), PRODUCED)


def test_page_escapes_the_title():
    html = page_html("<p>x</p>", "Báo cáo <b>&", PRODUCED)
    assert "<title>Báo cáo &lt;b&gt;&amp;</title>" in html and "<p>x</p>" in html


def test_index_groups_by_year_and_period_with_every_format(tmp_path):
    unit = tmp_path / "2022" / "vinh-chau"
    unit.mkdir(parents=True)
    for ext in ("html", "docx", "xlsx"):
        (unit / f"briefing.{ext}").write_text("x")
    files = entry_files(unit, "briefing", tmp_path)
    assert files == {"html": "2022/vinh-chau/briefing.html", "docx": "2022/vinh-chau/briefing.docx",
                     "xlsx": "2022/vinh-chau/briefing.xlsx"}
    entries = [IndexEntry("unit", "thị xã Vĩnh Châu", files, slug="vinh-chau", year=2022),
               IndexEntry("unit", "huyện Minh Họa <1>", {"html": "2021/a/briefing.html"}, year=2021),
               IndexEntry("compare", "So sánh các đơn vị", {"html": "2022/compare.html",
                                                            "pdf": "2022/compare.pdf"}, year=2022),
               IndexEntry("unit", "thị xã Vĩnh Châu", {"html": "2022/vinh-chau/briefing-q3.html"}, year=2022,
                          period="Q3"),
               IndexEntry("trend", "thị xã Vĩnh Châu", {"html": "trend/vinh-chau.html"}, slug="vinh-chau")]
    html = render_index(entries, [("data/raw/2022/x/bad.txt", "dòng 5: không đọc được số")], True, PRODUCED,
                        not_briefed=[("xã A", "thiếu phụ lục")])
    assert '<html lang="vi">' in html and "Ngày lập: 28/11/2026" in html
    order = [html.index(s) for s in ("<h2>Năm 2022</h2>", "So sánh các đơn vị", "thị xã Vĩnh Châu</a>",
                                     "Quý III năm 2022", "<h2>Năm 2021</h2>", "Diễn biến theo đơn vị")]
    assert order == sorted(order)
    assert 'href="2022/vinh-chau/briefing.docx">Word</a>' in html and 'href="2022/compare.pdf">PDF</a>' in html
    assert "2022/vinh-chau/briefing.pdf" not in html
    assert "huyện Minh Họa &lt;1&gt;" in html and "vinh-chau</a>" not in html
    assert "DỮ LIỆU MẪU" in html and "bad.txt" in html and "không đọc được số" in html and "xã A" in html
    plain = render_index(entries[:1], (), False, PRODUCED)
    assert "DỮ LIỆU MẪU" not in plain and "Tệp không xử lý được" not in plain


# -- PDF ------------------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(not chromium_available(),
                                    reason="Chromium is not installed (apt-get install chromium): PDFs are skipped")


@needs_chromium
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdfinfo, pdftotext) not installed")
def test_pdf_is_a4_numbered_dated_and_searchable(tmp_path):
    page = tmp_path / "briefing.html"
    page.write_text(document_html(make_document(synthetic=True), PRODUCED), encoding="utf-8")
    assert print_pdf(page, tmp_path / "briefing.pdf")
    info = subprocess.run(["pdfinfo", str(tmp_path / "briefing.pdf")], capture_output=True, text=True).stdout
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "briefing.pdf"), "-"], capture_output=True,
                          text=True).stdout.split("\f")
    assert "Vĩnh Châu" in text[0] and "99,87%" in "".join(text)
    assert not re.search(r"^\s*1\s*$", text[0], re.M)  # no number on the first page
    for n in range(2, pages + 1):
        assert re.search(rf"^\s*{n}\s*$", text[n - 1], re.M), f"page {n} has no page number"
    assert all("Ngày lập: 28/11/2026" in t for t in text[:pages])
    assert all("DỮ LIỆU MẪU – KHÔNG PHẢI SỐ LIỆU THẬT" in t for t in text[:pages])
    fonts = subprocess.run(["pdffonts", str(tmp_path / "briefing.pdf")], capture_output=True, text=True).stdout
    rows = [r.split() for r in fonts.splitlines()[2:] if r.strip()]
    assert rows and all(r[-5] == "yes" for r in rows)  # every font embedded


def test_pdf_skipped_without_chromium_and_failures_reported(tmp_path, monkeypatch):
    page = tmp_path / "p.html"
    page.write_text(page_html("<p>x</p>", "t", PRODUCED), encoding="utf-8")
    monkeypatch.setenv("CCHC_CHROMIUM", "")
    assert not chromium_available() and print_pdf(page, tmp_path / "p.pdf") is False
    assert not (tmp_path / "p.pdf").exists()
    assert "Chromium" in pdf_skipped_message() and "apt-get install chromium" in pdf_skipped_message()
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CCHC_CHROMIUM", str(fake))
    with pytest.raises(PdfError, match="gave no PDF"):
        print_pdf(page, tmp_path / "p.pdf")
    fake.write_text("#!/bin/sh\nsleep 30\n")
    with pytest.raises(PdfError, match="did not finish"):
        print_pdf(page, tmp_path / "p.pdf", timeout=0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chromium", "p.html"]


# -- the bundled appendix ------------------------------------------------------------------------

def test_bundled_appendix_document_in_word(tmp_path):
    from cchc_tools.content.views import UnitBriefing

    b = UnitBriefing.load(2022, "vinh-chau")
    if not callable(getattr(b, "document", None)):
        pytest.skip("UnitBriefing.document() is not there yet")
    document = b.document()
    path = write_docx(document, tmp_path / "briefing.docx", NO_SETTINGS, PRODUCED)
    text = docx_text(path)
    assert "99,87%" in text and "Vĩnh Châu" in text
    assert not [f for f in figure_texts(document) if f not in text]
    d = open_docx(str(path))
    assert len(d.tables) >= 3 and len(d.inline_shapes) >= 1


def test_html_only_builds_no_document_and_the_office_files_reuse_what_the_notebook_showed(tmp_path, monkeypatch):
    """HTML only: the tables are written, no Word/Excel document is built (its charts would be drawn again).
    Word and Excel: the document holds the very section blocks (and rendered charts) the notebook displayed."""
    from cchc_tools.content.charts import Chart
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.render import save

    b = UnitBriefing.load(2022, "vinh-chau")
    shown = {s: b.section(s) for s in ("III", "IV", "VII")}
    with monkeypatch.context() as m:
        m.setattr(UnitBriefing, "document", lambda self: pytest.fail("a document was built for HTML only"))
        written = save(b, tmp_path / "html", "html")
    assert sorted(p.name for p in written) == ["findings.csv", "indicators.csv", "summary.html"]
    assert sorted(p.name for p in (tmp_path / "html").iterdir()) == ["findings.csv", "indicators.csv", "summary.html"]
    document = b.document()
    assert all(any(block is g for block in document.blocks) for g in shown.values())
    charts = [c for g in shown.values() for c in g.blocks if isinstance(c, Chart)]
    assert len(charts) == 3  # the Word file gets the charts already drawn for the page, not new ones
    assert [c for c in document.flat() if isinstance(c, Chart)] == charts
    written = save(b, tmp_path / "office", "docx,xlsx")
    assert {p.name for p in written} >= {"briefing.docx", "briefing.xlsx", "indicators.csv", "summary.docx"}
    fresh = UnitBriefing.load(2022, "vinh-chau").document()  # the same content as a view built afresh
    assert [type(x).__name__ for x in fresh.flat()] == [type(x).__name__ for x in document.flat()]
    assert [getattr(x, "text", None) for x in fresh.flat()] == [getattr(x, "text", None) for x in document.flat()]
    assert [x.png() for x in fresh.flat() if isinstance(x, Chart)] == [c.png() for c in document.flat()
                                                                      if isinstance(c, Chart)]


def test_bundled_appendix_reader_page_is_small(tmp_path):
    """The executed notebook of the bundled appendix through the kit's template: under 150 KB without images."""
    from cchc_tools.site import brief_unit

    brief_unit(KIT, 2022, "vinh-chau", out_root=tmp_path)
    nb = tmp_path / "2022" / "vinh-chau" / "briefing.ipynb"
    html = notebook_to_html(nb, "Báo cáo tóm tắt CCHC – thị xã Vĩnh Châu – Năm 2022", PRODUCED)
    without_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert len(without_images.encode("utf-8")) < 150_000
    assert '<html lang="vi">' in html and "<title>Báo cáo tóm tắt CCHC – thị xã Vĩnh Châu" in html
    assert "99,87%" in html and "Vĩnh Châu" in html and "<script" not in html and "jp-OutputArea" not in html
    assert "NBVAL_CHECK_OUTPUT" not in html and "UnitBriefing" not in html
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) >= 1


def test_formats_option_and_document_formats(tmp_path):
    from cchc_tools.errors import CchcError
    from cchc_tools.render.formats import names, parse_formats, write_document
    from cchc_tools.render.workbook import document_sheets

    assert names() == ("html", "docx", "pdf", "xlsx")
    assert parse_formats("xlsx, PDF,html") == ["html", "pdf", "xlsx"] and parse_formats(["docx"]) == ["docx"]
    with pytest.raises(CchcError, match="'odt'"):
        parse_formats("html,odt")
    doc = make_document()
    sheets = document_sheets(doc)
    assert [s.name for s in sheets] == ["Bảng 1. Hồ sơ TTHC", "So sánh", "Chất lượng số liệu"]
    written = write_document(doc, tmp_path, "briefing", "html,docx,xlsx", pages=False, settings=NO_SETTINGS)
    assert [p.name for p in written] == ["briefing.docx", "briefing.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["briefing.docx", "briefing.xlsx"]
    assert write_document(doc, tmp_path / "none", "briefing", "html,pdf", pages=False) == []
    assert [p.name for p in write_document(doc, tmp_path / "page", "summary", "html")] == ["summary.html"]
    assert (tmp_path / "page" / "summary.html").read_text(encoding="utf-8") == document_html(doc)


@pytest.fixture
def registry(monkeypatch):
    """The registry of output formats, as a copy this test may add to."""
    from cchc_tools.render import formats

    monkeypatch.setattr(formats, "_REGISTRY", dict(formats._REGISTRY))
    return formats


def test_a_new_format_is_a_writer_registered_once_and_every_view_writes_it(tmp_path, registry):
    """Adding a format: write its writer, register it. The formats option, every view's files and the index
    then know it; no other edit."""
    from cchc_tools.batch.tasks import check_formats
    from cchc_tools.content.document import plain_text
    from cchc_tools.content.views import UnitBriefing, UnitTrend
    from cchc_tools.errors import CchcError
    from cchc_tools.render import save

    def write_txt(document, path, options):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(plain_text(b) for b in document.blocks if b is not None), encoding="utf-8")
        return path

    with pytest.raises(CchcError, match="'txt'"):
        check_formats("html,txt")
    registry.register_format("txt", write_txt)
    assert check_formats("txt,html") == "html,txt"
    with pytest.raises(CchcError, match="already registered"):
        registry.register_format("docx", write_txt)
    trend = save(UnitTrend.load("vinh-chau"), tmp_path / "trend", "txt")
    assert [p.name for p in trend] == ["vinh-chau.txt"] and "Vĩnh Châu" in trend[0].read_text(encoding="utf-8")
    unit = save(UnitBriefing.load(2022, "vinh-chau"), tmp_path / "unit", "txt")
    assert sorted(p.name for p in unit) == ["briefing.txt", "findings.csv", "indicators.csv"]
    assert "99,87%" in (tmp_path / "unit" / "briefing.txt").read_text(encoding="utf-8")
    assert entry_files(tmp_path / "unit", "briefing", tmp_path) == {"txt": "unit/briefing.txt"}


def test_an_unknown_format_is_an_error_and_nothing_is_written(tmp_path):
    from cchc_tools.content.views import YearComparison
    from cchc_tools.errors import CchcError
    from cchc_tools.render import save

    view = YearComparison.load(2022)
    with pytest.raises(CchcError, match="unknown format.*'odt'.*html,docx,pdf,xlsx"):
        save(view, tmp_path, "docx,odt")
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    assert save(view, "", "docx") == []  # no folder (a notebook run by hand): nothing written


def test_tall_figure_fits_its_page(tmp_path):
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.barh([f"Đơn vị {i}" for i in range(14)], range(14))
    doc = Document("So sánh", [Heading("So sánh", 1), finish(fig, "Xếp hạng", "Phụ lục CCHC")], landscape=True)
    d = build_docx(doc, NO_SETTINGS, PRODUCED)
    s = d.sections[0]
    shape = d.inline_shapes[0]
    assert shape.height < s.page_height - s.top_margin - s.bottom_margin
    assert shape.width < s.page_width - s.left_margin - s.right_margin
    assert abs(shape.width / shape.height - 8 / 7) < 0.01


TBL_PR = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW", "jc",
          "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"]
TC_PR = ["cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar", "textDirection",
         "tcFitText", "vAlign", "hideMark"]
R_PR = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
        "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
        "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em",
        "lang", "eastAsianLayout", "specVanish", "oMath"]


def _in_schema_order(el, order: list[str]) -> bool:
    names = [c.tag.split("}")[1] for c in el]
    known = [order.index(n) for n in names if n in order]
    return known == sorted(known) and all(n in order for n in names)


def test_docx_elements_in_schema_order(docx_path):
    """Word refuses files whose property elements are out of the schema's order (LibreOffice does not)."""
    d = open_docx(str(docx_path))
    assert all(_in_schema_order(t._tbl.tblPr, TBL_PR) for t in d.tables)
    tcs = [c._tc.tcPr for t in d.tables for r in t.rows for c in r.cells if c._tc.tcPr is not None]
    assert tcs and all(_in_schema_order(tc, TC_PR) for tc in tcs)
    rprs = [s.element.rPr for s in d.styles if getattr(s.element, "rPr", None) is not None]
    rprs += d.element.body.xpath(".//w:rPr") + d.sections[0].header._element.xpath(".//w:rPr")
    assert len(rprs) > 50 and all(_in_schema_order(r, R_PR) for r in rprs)


def test_the_provenance_stamp_is_printed_on_one_page_when_it_fits():
    from cchc_tools.content.views import provenance_block
    from cchc_tools.render.html import render_block

    stamp = provenance_block("unit", {"year": "2022", "unit": "vinh-chau", "period": "annual"})
    html = render_block(stamp)
    assert stamp.keep and html.startswith('<div class="cchc-keep"><h2') and html.endswith("</div>")
    assert "Thông tin lập báo cáo" in html and "SHA-256" in html
    print_rules = page_html("<p>x</p>", "t", PRODUCED).split("@media print", 1)[1]
    assert re.search(r"\.cchc-keep[^{]*\{break-inside:avoid", print_rules)


def test_the_provenance_stamp_stays_on_one_page_in_word(tmp_path):
    from docx.text.paragraph import Paragraph as DocxParagraph

    from cchc_tools.content.document import Document as Doc
    from cchc_tools.content.document import Heading
    from cchc_tools.content.views import provenance_block

    doc = Doc("Báo cáo", [Heading("Báo cáo", 1), Paragraph.of("Nội dung."),
                          provenance_block("unit", {"year": "2022", "unit": "vinh-chau"})])
    d = open_docx(str(write_docx(doc, tmp_path / "b.docx", produced=PRODUCED)))
    body = list(d.element.body)
    start = next(i for i, el in enumerate(body)
                 if el.tag == qn("w:p") and DocxParagraph(el, d).text == "Thông tin lập báo cáo")
    kept = [p for el in body[start:] if el.tag in (qn("w:p"), qn("w:tbl"))
            for p in ([el] if el.tag == qn("w:p") else el.iter(qn("w:p")))]
    flags = [bool(DocxParagraph(p, d).paragraph_format.keep_with_next) for p in kept]
    assert len(flags) > 8 and all(flags[:-1]) and not flags[-1]  # the note closes the stamp
    before = DocxParagraph(body[start - 1], d)
    assert not before.paragraph_format.keep_with_next  # what comes before is not tied to it


def test_a_stamp_lists_only_the_formats_written(tmp_path, monkeypatch, capsys):
    import json

    from cchc_tools.site import brief_unit

    monkeypatch.setenv("CCHC_CHROMIUM", "")  # no browser: no PDF, and no stamp that claims one
    html = brief_unit(KIT, 2022, "vinh-chau", out_root=tmp_path, formats="html,pdf")
    assert "Chromium" in capsys.readouterr().err
    stamp = json.loads(html.with_name("briefing.provenance.json").read_text(encoding="utf-8"))
    assert stamp["parameters"]["formats"] == "html" and not html.with_name("briefing.pdf").exists()
    page = html.read_text(encoding="utf-8")
    assert "; tệp HTML<" in page and "html,pdf" not in page  # the page's own stamp, in words


def test_the_renderers_and_the_views_import_one_way():
    """Importing the Word renderer imports no check engine (no project, no analysis); importing the views imports
    no renderer: a view builds blocks, ``render`` writes them."""
    import sys

    code = ("import sys; import cchc_tools.{mod}; "
            "print(sorted(m for m in sys.modules if m.startswith(({banned}))))")
    for mod, banned in (("render.word", "'cchc_tools.project', 'cchc_tools.analysis'"),
                        ("render.formats", "'cchc_tools.project', 'cchc_tools.analysis'"),
                        ("content.views", "'cchc_tools.render',")):
        run = subprocess.run([sys.executable, "-c", code.format(mod=mod, banned=banned)], capture_output=True,
                             text=True, cwd=paths.KIT_ROOT, timeout=120)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "[]", (mod, run.stdout)


def test_write_index_lists_each_folder_once_and_says_synthetic_from_the_pages_records(tmp_path):
    """``site.write_index`` finds each page's formats from one listing of its folder (the same as a look at each
    format on disk: ``entry_files``), and shows the synthetic-data banner when a listed page's record says it was made
    from synthetic data, not otherwise."""
    import json

    from cchc_tools.render.export import SYNTHETIC_BANNER
    from cchc_tools.site import write_index

    def page(folder, stem, synthetic, formats=("html",)):
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            (folder / f"{stem}.{fmt}").write_text("x", encoding="utf-8")
        (folder / f"{stem}.provenance.json").write_text(json.dumps({"synthetic": synthetic, "name": folder.name,
                                                                    "parameters": {"period": "annual"}}))

    page(tmp_path / "2023" / "a", "briefing", False, ("html", "docx", "pdf"))
    page(tmp_path / "2023" / "a", "summary", False, ("html",))
    (tmp_path / "2023" / "a" / "briefing.xlsx").mkdir()  # a folder by a format's name is no file of it
    page(tmp_path / "2023", "compare", False, ("html", "xlsx"))
    page(tmp_path / "trend", "a", False)
    html = write_index(tmp_path).read_text(encoding="utf-8")
    assert SYNTHETIC_BANNER not in html
    for rel in ("2023/a/briefing.html", "2023/a/briefing.docx", "2023/a/briefing.pdf", "2023/compare.xlsx",
                "2023/a/summary.html", "trend/a.html"):
        assert f'href="{rel}"' in html, rel
    assert 'href="2023/a/briefing.xlsx"' not in html
    assert entry_files(tmp_path / "2023" / "a", "briefing", tmp_path) == {
        "html": "2023/a/briefing.html", "docx": "2023/a/briefing.docx", "pdf": "2023/a/briefing.pdf"}
    page(tmp_path / "2023" / "b", "briefing", True)
    assert SYNTHETIC_BANNER in write_index(tmp_path).read_text(encoding="utf-8")
