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


def soffice_convert(src: Path, fmt: str, out_dir: Path, profile: Path) -> Path:
    """``src`` converted by LibreOffice to ``fmt`` (pdf, xls, doc, ods) in ``out_dir``."""
    import subprocess

    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", fmt, "--outdir", str(out_dir), str(src)],
                   check=True, capture_output=True, timeout=180)
    out = out_dir / f"{src.stem}.{fmt.split(':')[0]}"
    if not out.is_file():
        raise RuntimeError(f"LibreOffice wrote no {out}")
    return out


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
