"""Build the bundled appendix as Word and Excel files, the way units send them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from cchc_tools.ingest.readers.text import read_text
from cchc_tools.numbers import parse_number

HEADER = ["THỨ TỰ", "TÊN CHỈ TIÊU", "ĐƠN VỊ TÍNH", "Số lượng/ tỷ lệ", "Ghi chú"]


def seed_rows(seed_path: Path):
    raw = read_text(seed_path)
    return raw.title, raw.rows


def build_docx(seed_path: Path, out: Path, split_at: int = 100) -> Path:
    """The seed as a Word document: an unrelated table first, the appendix split in two tables at a page
    break with its header repeated, and section rows merged across the last four columns."""
    import docx

    title, rows = seed_rows(seed_path)
    doc = docx.Document()
    other = doc.add_table(rows=2, cols=2)
    other.cell(0, 0).text, other.cell(0, 1).text = "Nơi nhận", "Ghi chú"
    other.cell(1, 0).text = "Sở Nội vụ"
    for line in title:
        doc.add_paragraph(line)
    chunks = [rows[:split_at], rows[split_at:]]
    for k, chunk in enumerate(chunks):
        if k:
            doc.add_page_break()
        t = doc.add_table(rows=1 + len(chunk), cols=5)
        rows_ = list(t.rows)
        for cell, h in zip(rows_[0].cells, HEADER, strict=True):
            cell.text = h
        for row, r in zip(rows_[1:], chunk, strict=True):
            cells = row.cells
            if r.stt in ("I", "II", "III", "IV", "V", "VI", "VII") and not r.uom and not r.value:
                cells[0].text = r.stt
                merged = cells[1].merge(cells[4])
                merged.text = r.label
                continue
            for cell, text in zip(cells, [r.stt, r.label, r.uom, str(r.value or ""), r.note], strict=True):
                cell.text = text
    doc.add_paragraph("Người lập biểu")
    doc.save(out)
    return out


def build_xlsx(seed_path: Path, out: Path, *, extra_sheet: bool = True) -> Path:
    """The seed as an Excel sheet: merged title rows, values as numbers on even rows and as Vietnamese text
    on odd ones, percentages stored as fractions with a % format on one row."""
    from openpyxl import Workbook

    title, rows = seed_rows(seed_path)
    wb = Workbook()
    if extra_sheet:
        wb.active.title = "Hướng dẫn"
        wb.active["A1"] = "Hướng dẫn điền phụ lục"
        ws = wb.create_sheet("PL CCHC 2022")
    else:
        ws = wb.active
    for line in title:
        ws.append([line])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
    ws.append([])
    ws.append(HEADER)
    for i, r in enumerate(rows):
        value = r.value or None
        num = parse_number(value) if value else None
        if num is not None and i % 2 == 0:
            value = int(num) if num.is_integer() else num
        ws.append([r.stt or None, r.label, r.uom or None, value, r.note or None])
        if r.label.startswith("Tỷ lệ hoàn thành Kế hoạch"):
            cell = ws.cell(ws.max_row, 4)
            cell.value, cell.number_format = 0.9259, "0.00%"
    wb.save(out)
    return out


def add_cached_formula(path: Path, cell: str, formula: str, cached: str | None) -> None:
    """Turn a cell into a formula, with or without a cached value, by editing the sheet XML."""
    with zipfile.ZipFile(path) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    for name, data in items.items():
        if not name.startswith("xl/worksheets/sheet"):
            continue
        text = data.decode()
        pat = re.compile(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)
        if pat.search(text):
            v = f"<v>{cached}</v>" if cached is not None else ""
            text = pat.sub(f'<c r="{cell}"><f>{formula}</f>{v}</c>', text, count=1)
            items[name] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items.items():
            zf.writestr(name, data)


NARRATIVE = ("Thực hiện Kế hoạch cải cách hành chính năm 2022, Ủy ban nhân dân thị xã báo cáo kết quả "
             "thực hiện công tác cải cách hành chính như sau. ")


def build_report_docx(seed_path: Path, out: Path, *, rows_split: bool = False, note_lines: int = 0) -> Path:
    """The seed as a unit's report is signed and sent: a narrative page, then the appendix in a ruled table
    (Word's "Table Grid") whose header repeats on every page, page numbers in the header and a footer line,
    and a stamp-like signature block after the table.

    ``rows_split`` lets a row break across pages (Word's default); otherwise every row is kept whole
    (``cantSplit``). ``note_lines`` > 0 puts that many soft line breaks into the note of the first row of
    section III, so that row is tall enough to break across a page."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    title, rows = seed_rows(seed_path)
    doc = docx.Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin = Cm(3), Cm(1.5), Cm(2), Cm(2)
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(12)
    sec.header.paragraphs[0].text = "UBND THỊ XÃ VĨNH CHÂU - Báo cáo CCHC năm 2022"
    sec.footer.paragraphs[0].text = "Tài liệu được ký số"
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph("Kết quả thực hiện công tác cải cách hành chính năm 2022")
    for _ in range(12):
        doc.add_paragraph(NARRATIVE * 3)
    doc.add_page_break()
    for line in title:
        doc.add_paragraph(line)
    t = doc.add_table(rows=1 + len(rows), cols=5)
    t.style = doc.styles["Table Grid"]
    widths = [Cm(1.4), Cm(7.0), Cm(2.6), Cm(2.4), Cm(3.1)]
    trs = list(t.rows)
    for cell, h in zip(trs[0].cells, HEADER, strict=True):
        cell.text = h
    trpr = trs[0]._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))
    tall = next(i for i, r in enumerate(rows) if r.stt == "III") + 1 if note_lines else -1
    for i, (row, r) in enumerate(zip(trs[1:], rows, strict=True)):
        if not rows_split:
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        cells = row.cells
        for cell, text in zip(cells, [r.stt, r.label, r.uom, str(r.value or ""), r.note], strict=True):
            cell.text = text
        if i == tall:
            run = cells[4].paragraphs[0].add_run()
            for _ in range(note_lines):
                run.add_break()
    for row in trs:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w
    tbl_pr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    doc.add_paragraph("")
    doc.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    doc.add_paragraph("CHỦ TỊCH")
    doc.add_paragraph("(Đã ký)")
    doc.save(out)
    return out


def soffice_convert(srcs: list[Path], fmt: str, out_dir: Path, profile: Path) -> list[Path]:
    """``srcs`` converted by LibreOffice to ``fmt`` (pdf, xls, doc, ods; with export options after a colon) in
    ``out_dir``, in one run of LibreOffice."""
    import subprocess

    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", fmt, "--outdir", str(out_dir), *map(str, srcs)],
                   check=True, capture_output=True, timeout=300)
    outs = [out_dir / f"{src.stem}.{fmt.split(':')[0]}" for src in srcs]
    for out in outs:
        if not out.is_file():
            raise RuntimeError(f"LibreOffice wrote no {out}")
    return outs


def pdf_of_pages(n: int) -> bytes:
    """A valid PDF of ``n`` empty A4 pages, written directly (no library)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (3 + i) for i in range(n)) + b"] /Count %d >>" % n]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * n
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def scanned_pdf(out: Path, pages: int = 2) -> Path:
    """A PDF of page images and no text, as a scanner makes it."""
    from PIL import Image, ImageDraw

    images = []
    for k in range(pages):
        im = Image.new("L", (827, 1169), 255)
        draw = ImageDraw.Draw(im)
        for y in range(100, 1100, 40):
            draw.line((80, y, 747, y), fill=0)
        draw.text((100, 60), f"PHU LUC trang {k + 1}", fill=0)
        images.append(im.convert("RGB"))
    images[0].save(out, save_all=True, append_images=images[1:], resolution=100)
    return out


def with_signature(pdf: bytes) -> bytes:
    """``pdf`` with a signature dictionary appended after its end, as a signing tool's incremental update
    carries one (the dictionary only: enough for the presence the kit reports, which it never validates)."""
    return pdf + (b"\n9999 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
                  b"/ByteRange [0 10 20 30] /Contents <3082> /M (D:20221216090000+07'00') >>\nendobj\n")


def legacy_bytes(text: str, encoding: str) -> str:
    """``text`` written in a legacy encoding (TCVN3, VNI) by the kit's own mapping tables, as Windows-1252
    characters; a capital with a tone that TCVN3 lacks is written as its small letter (what a ".VnTimeH" run
    draws as a capital)."""
    from cchc_tools.ingest.readers.encoding import mapping

    inverse = {u: k for k, u in mapping(encoding).items()}
    return "".join(inverse.get(ch) or inverse.get(ch.lower()) or ch for ch in text)


def _legacy_runs(paragraph, text: str, encoding: str) -> None:
    """``text`` as runs in legacy fonts: TCVN3 in ".VnTime", its toned capitals in ".VnTimeH"; VNI in "VNI-Times"."""
    from cchc_tools.ingest.readers.encoding import TCVN3, mapping

    if encoding != TCVN3:
        paragraph.add_run(legacy_bytes(text, encoding)).font.name = "VNI-Times"
        return
    known = set(mapping(TCVN3).values())
    pieces: list[tuple[str, str]] = []
    for ch in text:
        font = ".VnTimeH" if ch not in known and ch.lower() in known and ch != ch.lower() else ".VnTime"
        if pieces and pieces[-1][0] == font:
            pieces[-1] = (font, pieces[-1][1] + ch)
        else:
            pieces.append((font, ch))
    for font, piece in pieces:
        paragraph.add_run(legacy_bytes(piece, TCVN3)).font.name = font


def build_legacy_docx(seed_path: Path, out: Path, encoding: str, *, mixed_row: str = "") -> Path:
    """The seed as an old template writes it: every text in runs of TCVN3 (".VnTime", ".VnTimeH") or VNI
    ("VNI-Times") fonts. ``mixed_row``: the label of a row left in Unicode (Times New Roman) among them."""
    import docx

    title, rows = seed_rows(seed_path)
    doc = docx.Document()
    for line in title:
        _legacy_runs(doc.add_paragraph(), line, encoding)
    t = doc.add_table(rows=1 + len(rows), cols=5)
    trs = list(t.rows)
    for cell, h in zip(trs[0].cells, HEADER, strict=True):
        _legacy_runs(cell.paragraphs[0], h, encoding)
    for row, r in zip(trs[1:], rows, strict=True):
        for cell, text in zip(row.cells, [r.stt, r.label, r.uom, str(r.value or ""), r.note], strict=True):
            if r.label == mixed_row:
                cell.paragraphs[0].add_run(text).font.name = "Times New Roman"
            else:
                _legacy_runs(cell.paragraphs[0], text, encoding)
    doc.save(out)
    return out


_LIBREOFFICE: dict[str, dict[str, Path]] = {}


def libreoffice_files(seed_path: Path, base: Path) -> dict[str, Path]:
    """The seed as LibreOffice writes it, made once per test session (each conversion takes seconds):
    ``pdf`` (a report printed to PDF from Word, rows kept whole), ``pdf_split`` (rows breaking across pages),
    ``pdf_encrypted`` (needing a password), ``xls``, ``ods`` and ``doc``; and the ``docx`` files they came from."""
    import shutil

    import pytest

    key = str(base)
    if key in _LIBREOFFICE:
        return _LIBREOFFICE[key]
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer libreoffice-calc")
    base.mkdir(parents=True, exist_ok=True)
    profile = base / "lo-profile"
    report = build_report_docx(seed_path, base / "report.docx")
    split = build_report_docx(seed_path, base / "report-split.docx", rows_split=True)
    word = build_docx(seed_path, base / "appendix.docx")
    sheet = build_xlsx(seed_path, base / "appendix.xlsx")
    pdf, pdf_split = soffice_convert([report, split], "pdf", base / "pdf", profile)
    options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"matkhau"}}')
    (encrypted,) = soffice_convert([report], options, base / "encrypted", profile)
    (xls,) = soffice_convert([sheet], "xls", base / "xls", profile)
    (ods,) = soffice_convert([sheet], "ods", base / "ods", profile)
    (doc,) = soffice_convert([word], "doc", base / "doc", profile)
    files = {"pdf": pdf, "pdf_split": pdf_split, "pdf_encrypted": encrypted, "xls": xls, "ods": ods, "doc": doc,
             "report_docx": report, "split_docx": split, "xlsx": sheet, "docx": word}
    _LIBREOFFICE[key] = files
    return files
