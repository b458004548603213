"""PDF appendices with a text layer: the bundled appendix printed to PDF by LibreOffice reads as the text file."""

from __future__ import annotations

import hashlib

import pdfplumber
import pytest

from cchc_tools.errors import AppendixError, LimitError
from cchc_tools.ingest.loader import load_appendices, load_appendix
from cchc_tools.ingest.readers.pdf import read_pdf
from tests.office_fixtures import libreoffice_files, pdf_of_pages, scanned_pdf, with_signature


@pytest.fixture(scope="session")
def lo(seed_path, tmp_path_factory):
    return libreoffice_files(seed_path, tmp_path_factory.getbasetemp() / "libreoffice")


def _same_values(df, seed_df):
    assert len(df) == len(seed_df)
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["raw_value"].tolist() == seed_df["raw_value"].tolist()
    assert df["value"].equals(seed_df["value"])  # NaN where blank: blanks stay blank, never 0
    assert df["value"].notna().sum() == seed_df["value"].notna().sum() == 150
    assert df["unit_name"].iloc[0] == seed_df["unit_name"].iloc[0] and df["year"].iloc[0] == 2022


def test_pdf_printed_from_word_reads_as_the_text_file(lo, seed_df):
    df = load_appendix(lo["pdf"])
    _same_values(df, seed_df)
    # every row keeps its place: the table's row as the Word file numbers it, and the page it stands on
    word = load_appendix(lo["report_docx"])
    assert df["line"].tolist() == word["line"].tolist()
    assert (df["page"] >= 3).all()  # pages 1-2 are the report's narrative
    assert df["page"].is_monotonic_increasing and df["page"].nunique() > 10
    with pdfplumber.open(lo["pdf"]) as pdf:  # a value's page is the page that prints it, in its row
        for _, row in df[df["raw_value"] != ""].sample(12, random_state=1).iterrows():
            text = pdf.pages[int(row["page"]) - 1].extract_text()
            assert row["raw_value"] in text
    assert set(df["reading"]) == {""}  # not signed, nothing converted
    assert (seed_df["page"] == 0).all()


def test_row_broken_across_a_page_is_one_row(lo, seed_df):
    # the fixture really breaks rows: a page whose table starts with the rest of a row (no THỨ TỰ, no value)
    with pdfplumber.open(lo["pdf_split"]) as pdf:
        firsts = [t.extract()[1] for p in pdf.pages for t in p.find_tables() if len(t.extract()) > 1]
    assert sum(1 for r in firsts[1:] if not r[0] and not r[3]) >= 5
    df = load_appendix(lo["pdf_split"])
    _same_values(df, seed_df)
    assert df["line"].tolist() == load_appendix(lo["split_docx"])["line"].tolist()
    long_note = df[df["label"] == "Thực hiện nhiệm vụ UBND tỉnh giao"].iloc[0]
    assert long_note["note"].endswith("do UBND tỉnh giao.") and long_note["raw_value"] == "0"


def test_signature_is_noticed_and_the_file_never_written(lo, tmp_path, monkeypatch):
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(with_signature(lo["pdf"].read_bytes()))
    before = hashlib.sha256(signed.read_bytes()).hexdigest()
    mtime = signed.stat().st_mtime_ns
    monkeypatch.setenv("CCHC_LANG", "vi")
    df = load_appendix(signed)
    assert set(df["reading"]) == {"tệp PDF có chữ ký số (chỉ ghi nhận có chữ ký, chưa kiểm tra tính hợp lệ)"}
    assert hashlib.sha256(signed.read_bytes()).hexdigest() == before and signed.stat().st_mtime_ns == mtime
    assert read_pdf(signed).signed and not read_pdf(lo["pdf"]).signed


def test_scanned_pdf_is_refused_in_vietnamese(tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_LANG", "vi")
    path = scanned_pdf(tmp_path / "scan.pdf", pages=3)
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    msg = str(info.value)
    assert str(path) in msg and "không có lớp chữ" in msg and "bản scan" in msg


def test_encrypted_pdf_is_refused_in_vietnamese(lo, monkeypatch):
    monkeypatch.setenv("CCHC_LANG", "vi")
    with pytest.raises(AppendixError, match="mật khẩu") as info:
        load_appendix(lo["pdf_encrypted"])
    assert str(lo["pdf_encrypted"]) in str(info.value)


def test_pdf_of_5000_pages_is_refused_before_reading_them(tmp_path, monkeypatch):
    monkeypatch.setenv("CCHC_LANG", "vi")
    path = tmp_path / "huge.pdf"
    path.write_bytes(pdf_of_pages(5000))
    with pytest.raises(LimitError) as info:
        load_appendix(path)
    assert info.value.limit_name == "MAX_PDF_PAGES" and "trang" in str(info.value)
    small = tmp_path / "empty.pdf"
    small.write_bytes(pdf_of_pages(3))
    with pytest.raises(AppendixError, match="không có lớp chữ"):
        load_appendix(small)


@pytest.mark.parametrize(("data", "words"), [
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
    (b"PK\x03\x04 a zip named .pdf", "no %PDF header"),
])
def test_broken_pdf_files(tmp_path, data, words):
    p = tmp_path / "bad.pdf"
    p.write_bytes(data)
    with pytest.raises(AppendixError, match=words):
        load_appendix(p)


def test_truncated_pdf_is_refused_and_batch_goes_on(lo, tmp_path, seed_text):
    data = lo["pdf"].read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    (tmp_path / "good.txt").write_text(seed_text, encoding="utf-8")
    table, errors, _ = load_appendices(tmp_path)
    assert table["source"].nunique() == 1 and len(errors) == 1 and errors[0].path.endswith("cut.pdf")


def test_pdf_without_a_ruled_appendix_table(lo, tmp_path):
    import shutil
    import subprocess

    # the narrative pages alone: text, but no appendix table
    out = tmp_path / "narrative.pdf"
    if not shutil.which("pdfseparate") or not shutil.which("pdfunite"):
        pytest.skip("poppler-utils (pdfseparate, pdfunite) is not installed")
    subprocess.run(["pdfseparate", "-f", "1", "-l", "1", str(lo["pdf"]), str(tmp_path / "p%d.pdf")], check=True)
    subprocess.run(["pdfunite", str(tmp_path / "p1.pdf"), str(out)], check=True)
    with pytest.raises(AppendixError, match="no appendix table"):
        load_appendix(out)
    # a text cover page, then the appendix scanned: the pages that are images are named
    mixed = tmp_path / "cover-and-scan.pdf"
    subprocess.run(["pdfunite", str(tmp_path / "p1.pdf"), str(scanned_pdf(tmp_path / "scan.pdf", pages=2)), str(mixed)],
                   check=True)
    with pytest.raises(AppendixError, match="pages 2, 3 are scanned images"):
        load_appendix(mixed)


@pytest.mark.parametrize(("cells", "joined"), [
    ({"stt": "", "label": "giảm trong năm", "uom": "", "value": "", "note": ""}, True),
    ({"stt": "", "label": "UBND cấp huyện được bổ nhiệm mới", "uom": "", "value": "", "note": ""}, True),
    ({"stt": "", "label": "", "uom": "", "value": "", "note": "tự: 28"}, True),
    ({"stt": "", "label": "", "uom": "0", "value": "", "note": ""}, True),
    # rows of their own at the top of a page
    ({"stt": "", "label": "Dịch vụ công trực tuyến mức độ 3", "uom": "", "value": "", "note": ""}, False),
    ({"stt": "", "label": "- Số lượng văn bản đến", "uom": "", "value": "", "note": ""}, False),
    ({"stt": "2", "label": "kiểm tra", "uom": "", "value": "", "note": ""}, False),
    ({"stt": "", "label": "TTHC", "uom": "Có = 1", "value": "", "note": ""}, True),
    ({"stt": "", "label": "(Sử dụng chữ ký số)", "uom": "", "value": "", "note": ""}, True),
    ({"stt": "", "label": "UBND cấp xã", "uom": "Cơ quan", "value": "3", "note": ""}, False),
    ({"stt": "", "label": "", "uom": "", "value": "", "note": ""}, False),  # an empty row is a row
    ({"stt": "", "label": "Giảm", "uom": "", "value": "5", "note": ""}, False),  # a capitalised label with a value
    ({"stt": "", "label": "", "uom": "", "value": "914,28", "note": ""}, True),  # a figure broken across pages
])
def test_which_first_row_of_a_page_continues_the_row_before(cells, joined):
    from cchc_tools.ingest.readers.base import RawRow
    from cchc_tools.ingest.readers.pdf import _is_continuation

    prev = RawRow(line=40, stt="", label="Số lượng phòng ban", uom="Cơ quan", value="7", note="", page=4)
    assert _is_continuation(prev, True, cells) is joined
    assert not _is_continuation(prev, False, cells)  # the page before was not full: never a broken row


def test_a_capitalised_rest_after_a_label_that_cannot_end():
    from cchc_tools.ingest.readers.base import RawRow
    from cchc_tools.ingest.readers.pdf import _is_continuation

    rest = {"stt": "", "label": "Quản lý nhân sự, Quản lý tài chính", "uom": "", "value": "", "note": ""}
    for label, joined in (("Triển khai các ứng dụng số khác như:", True), ("Số lãnh đạo cấp phòng thuộc", True),
                          ("Số lượng phần mềm", False)):
        prev = RawRow(line=9, stt="", label=label, uom="Phần mềm", value="3", note="", page=2)
        assert _is_continuation(prev, True, rest) is joined
    prev = RawRow(line=9, stt="", label="Triển khai như:", uom="", value="", note="", page=2)
    assert not _is_continuation(prev, True, {**rest, "value": "5"})


@pytest.mark.slow
def test_pdf_fuzz_run(tmp_path):
    """Mutated reports printed as PDF by LibreOffice, with byte hazards (``make fuzz``: 100)."""
    import shutil

    from tests import fuzz_appendix as fuzz

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer")
    summary = fuzz.run_converted("pdf", 6, seed=21, hazards=1 / 3)
    assert summary.files == 6 and summary.loaded >= 3 and summary.rows > 3 * 150
    assert summary.errors == [] and summary.wrong_values == [] and summary.wrong_lines == [], summary.report()
