"""A value read from a PDF keeps its place as "trang N, dòng M của bảng" in findings, traces and briefings."""

from __future__ import annotations

import html as html_lib
import re
import shutil

import pdfplumber
import pytest

import cchc_tools as cc
from cchc_tools.analysis.checks import place_cell, place_vi, validate
from cchc_tools.ingest.loader import load_appendix
from tests.office_fixtures import build_report_docx, libreoffice_files, soffice_convert, with_signature

FOUND, FIXED = "I.inspection_issues_found", "I.inspection_issues_fixed"
PLANTED = "45"  # issues resolved: more than the 42 found, which rule inspection_fixed_le_found questions


@pytest.fixture(scope="session")
def lo(seed_path, tmp_path_factory):
    return libreoffice_files(seed_path, tmp_path_factory.getbasetemp() / "libreoffice")


@pytest.fixture(scope="module")
def planted(seed_path, seed_df, tmp_path_factory):
    """The bundled appendix with more issues resolved than found, as a signed-off report printed to PDF
    by LibreOffice, in a data folder of the unit (``data/2022/vinh-chau``)."""
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("pdf-places")
    lines = seed_path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = int(seed_df.loc[seed_df["code"] == FIXED, "line"].iloc[0]) - 1
    cells = lines[at].split("\t")
    assert cells[3] == "42"
    cells[3] = PLANTED
    lines[at] = "\t".join(cells)
    seed = base / "seed.txt"
    seed.write_text("".join(lines), encoding="utf-8")
    docx = build_report_docx(seed, base / "report.docx")
    (pdf,) = soffice_convert([docx], "pdf", base / "pdf", base / "lo-profile")
    folder = base / "data" / "2022" / "vinh-chau"
    folder.mkdir(parents=True)
    target = folder / "phu-luc-cchc-2022-vinh-chau.pdf"
    shutil.copyfile(pdf, target)
    return target


def _expected_place(rows) -> str:
    """The place the reader's output gives the two planted rows, written out by hand."""
    (p1, l1), (p2, l2) = ((int(rows.loc[c, "page"]), int(rows.loc[c, "line"])) for c in (FOUND, FIXED))
    if p1 == p2:
        return f"trang {p1}, dòng {l1}, {l2} của bảng"
    return f"trang {p1}, dòng {l1} của bảng; trang {p2}, dòng {l2} của bảng"


def _text(block) -> str:
    """A briefing's document or block as the reader sees it: its HTML without tags."""
    from cchc_tools.content.document import Document
    from cchc_tools.render.html import document_html, render_block

    html = document_html(block) if isinstance(block, Document) else render_block(block)
    return html_lib.unescape(re.sub(r"<style.*?</style>|<[^>]+>", "", html, flags=re.S))


def test_place_wording_names_the_line_or_the_page_and_row():
    assert place_vi("40") == "dòng 40" and place_vi("40; 41", "") == "dòng 40; 41"
    assert place_vi("12", "3") == "trang 3, dòng 12 của bảng"
    assert place_vi("12; 14; 20", "3; 3; 4") == "trang 3, dòng 12, 14 của bảng; trang 4, dòng 20 của bảng"
    assert place_vi("", "3") == "" and place_vi("7", float("nan")) == "dòng 7"
    assert place_cell("40; 41", "") == "40; 41" and place_cell("12", "5") == "trang 5, dòng 12 của bảng"


def test_a_finding_on_a_pdf_names_the_page_and_table_row(planted):
    df = load_appendix(planted)
    rows = df.set_index("code")
    assert rows.loc[FIXED, "raw_value"] == PLANTED and rows.loc[FOUND, "raw_value"] == "42"
    pages = [int(rows.loc[c, "page"]) for c in (FOUND, FIXED)]
    lines = [int(rows.loc[c, "line"]) for c in (FOUND, FIXED)]
    assert min(pages) >= 3 and lines[1] == lines[0] + 1  # the narrative comes first; adjacent rows
    with pdfplumber.open(planted) as pdf:  # the page the reader names really prints the row and its figure
        printed = [[" ".join((c or "").split()) for c in r] for t in pdf.pages[pages[1] - 1].find_tables()
                   for r in t.extract()]
        assert ["", "Số vấn đề phát hiện đã xử lý xong", "Vấn đề", PLANTED] in [r[:4] for r in printed]
    findings = validate(df)
    f = findings[findings["rule"] == "inspection_fixed_le_found"]
    assert len(f) == 1
    f = f.iloc[0]
    assert f["lines"] == f"{lines[0]}; {lines[1]}" and f["pages"] == f"{pages[0]}; {pages[1]}"
    assert place_vi(f["lines"], f["pages"]) == _expected_place(rows)
    # a file that is not a PDF keeps its lines as before
    plain = validate(load_appendix(planted.parent.parent.parent.parent / "seed.txt"))
    p = plain[plain["rule"] == "inspection_fixed_le_found"].iloc[0]
    assert p["pages"] == "" and place_vi(p["lines"], p["pages"]).startswith("dòng ")


def test_briefing_trace_and_workbook_show_the_page(planted, tmp_path, monkeypatch):
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.render.workbook import findings_sheet

    monkeypatch.setenv("CCHC_LANG", "vi")
    rows = load_appendix(planted).set_index("code")
    page, second = int(rows.loc[FIXED, "page"]), int(rows.loc[FIXED, "line"])
    place = _expected_place(rows)
    b = UnitBriefing.load(2022, "vinh-chau", planted.parent.parent.parent)
    asked = [s.text for item in b.asks() for s in item]
    assert any(t.endswith(f"({place}).") for t in asked), asked
    assert f"({place})." in _text(b.summary_document())
    header = _text(b.header())
    assert "Nguồn số liệu:" in header and "(đọc từ tệp PDF)" in header and "chữ ký" not in header
    sheet = findings_sheet(b.findings)
    assert place in str(sheet)

    ws = cc.open(planted.parent.parent.parent)
    tr = ws.trace("vinh-chau", "I.inspection_issues_fixed")
    assert tr["page"].tolist() == [page] and tr["line"].tolist() == [second]
    shown = tr._repr_html_()
    assert "Trang" in shown and f">{page}<" in shown


def test_briefing_header_says_a_signature_is_present_never_valid(lo, tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_LANG", "vi")
    from cchc_tools.content.views import UnitBriefing

    folder = tmp_path / "data" / "2022" / "vinh-chau"
    folder.mkdir(parents=True)
    (folder / "signed.pdf").write_bytes(with_signature(lo["pdf"].read_bytes()))
    header = _text(UnitBriefing.load(2022, "vinh-chau", tmp_path / "data").header())
    assert "(tệp PDF có chữ ký số, chưa kiểm tra chữ ký)" in header
    assert "hợp lệ" not in header and "đã xác thực" not in header


def test_header_of_a_plain_text_file_says_nothing_more(seed_text, tmp_path):
    from cchc_tools.content.views import UnitBriefing

    folder = tmp_path / "data" / "2022" / "vinh-chau"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(seed_text, encoding="utf-8")
    header = _text(UnitBriefing.load(2022, "vinh-chau", tmp_path / "data").header())
    assert "Nguồn số liệu:" in header and "PDF" not in header and "chuyển mã" not in header


def test_cchc_load_names_the_page_of_a_pdf_error(seed_path, seed_df, tmp_path, capsys, monkeypatch):
    """A PDF whose table stops in section V: the error line says on which page and row it stops."""
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    from cchc_tools.cli import main
    from cchc_tools.ingest.readers.pdf import read_pdf

    monkeypatch.setenv("CCHC_LANG", "vi")
    lines = seed_path.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = int(seed_df.loc[seed_df["section"] == "VI", "line"].min()) - 1  # sections VI and VII left out
    seed = tmp_path / "seed.txt"
    seed.write_text("".join(lines[:cut]), encoding="utf-8")
    (pdf,) = soffice_convert([build_report_docx(seed, tmp_path / "cut.docx")], "pdf", tmp_path / "pdf",
                             tmp_path / "lo-profile")
    last = read_pdf(pdf).rows[-1]
    assert last.page >= 3 and last.line > 100
    assert main(["load", str(pdf), str(seed_path)]) == 1  # the good file still loads
    err = capsys.readouterr().err
    assert f"cut.pdf, trang {last.page}, dòng {last.line} của bảng: " in err and "VI, VII" in err
    monkeypatch.setenv("CCHC_LANG", "en")
    assert main(["load", str(pdf)]) == 1
    assert f"cut.pdf: page {last.page}, table row {last.line}: " in capsys.readouterr().err


def test_cchc_check_names_the_page_of_a_pdf_finding(planted, capsys, monkeypatch):
    from cchc_tools.cli import main

    monkeypatch.setenv("CCHC_LANG", "vi")
    rows = load_appendix(planted).set_index("code")
    main(["check", str(planted)])
    out = capsys.readouterr().out
    (p1, l1), (p2, l2) = ((int(rows.loc[c, "page"]), int(rows.loc[c, "line"])) for c in (FOUND, FIXED))
    assert f"trang {p1}, dòng {l1} của bảng; trang {p2}, dòng {l2} của bảng" in out, out


def test_a_letter_drops_the_pdf_place_as_it_drops_a_line():
    """Letters to a unit name indicators, never file places: the PDF wording is taken out as "dòng N" is."""
    import pandas as pd

    from cchc_tools.cycle.letters import point_text

    said = f"Chỉ tiêu «A» xuất hiện 2 lần ({place_vi('12; 40', '3; 5')}); chỉ dùng lần đầu."
    assert "trang 3" in said
    for message in (said, "Chỉ tiêu «A» xuất hiện 2 lần (dòng 12; 40); chỉ dùng lần đầu."):
        assert point_text(message, "duplicate_code", None, pd.DataFrame(), []) == \
            "Chỉ tiêu «A» xuất hiện 2 lần; chỉ dùng lần đầu."
