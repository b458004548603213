"""Word and Excel appendices give the same table as the text dump; the fill-in template; bad files."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from cchc_tools import AppendixError, load_appendices, load_appendix
from cchc_tools.cli import main
from tests.office_fixtures import add_cached_formula, build_docx, build_xlsx


def _same_codes_and_values(a, b):
    assert a["code"].tolist() == b["code"].tolist()
    assert a["value"].fillna(-1).tolist() == pytest.approx(b["value"].fillna(-1).tolist())
    assert a["uom"].tolist() == b["uom"].tolist() and a["note"].tolist() == b["note"].tolist()


def test_docx_xlsx_and_text_give_the_same_table(tmp_path, seed_path, seed_df):
    d = load_appendix(build_docx(seed_path, tmp_path / "a.docx"))
    x = load_appendix(build_xlsx(seed_path, tmp_path / "a.xlsx"))
    _same_codes_and_values(d, seed_df)
    _same_codes_and_values(x, seed_df)
    for df in (d, x):
        row = df.iloc[0]
        assert (row["unit"], row["year"], row["report_date"]) == ("vinh-chau", 2022, "2022-12-16")


def test_docx_lines_are_table_rows_and_merged_sections_are_not_values(tmp_path, seed_path):
    from cchc_tools.ingest.readers.docx import read_docx

    raw = read_docx(build_docx(seed_path, tmp_path / "a.docx", split_at=100))
    first = raw.rows[0]
    assert (first.line, first.stt, first.label, first.value) == (2, "I", "Công tác chỉ đạo điều hành CCHC", "")
    # the second table repeats its header, which is counted but not read
    assert raw.rows[100].line == 103
    assert all(r.uom == "" and r.value == "" for r in raw.rows if r.stt in ("II", "VII"))


def test_xlsx_says_which_sheet_and_keeps_sheet_rows(tmp_path, seed_path):
    from cchc_tools.ingest.readers.xlsx import read_xlsx

    path = build_xlsx(seed_path, tmp_path / "a.xlsx")
    raw = read_xlsx(path)
    assert raw.sheet == "PL CCHC 2022" and "other sheets: Hướng dẫn" in raw.warnings[0]
    assert raw.header_line == 6 and raw.rows[0].line == 7
    df = load_appendix(path)
    assert set(df["sheet"]) == {"PL CCHC 2022"} and df["line"].iloc[0] == 8  # row 7 is section I


def test_xlsx_formulas_cached_and_not(tmp_path, seed_path):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    ws = openpyxl.load_workbook(path).active
    target = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    r_tasks = target["Số nhiệm vụ đã hoàn thành"]
    r_docs = target["Số văn bản chỉ đạo CCHC đã ban hành"]
    add_cached_formula(path, f"D{r_tasks}", "20+5", "25")
    add_cached_formula(path, f"D{r_docs}", "SUM(D1:D2)", None)
    df = load_appendix(path).set_index("code")
    assert df.loc["I.plan_tasks_done", "value"] == 25
    docs = df.loc["I.directive_docs"]
    assert docs["raw_value"] == "=SUM(D1:D2)" and docs["value"] != docs["value"]  # NaN, reported
    from cchc_tools import validate

    f = validate(load_appendix(path))
    assert "=SUM(D1:D2)" in " ".join(f[f["rule"] == "value_not_number"]["message_vi"])


def test_template_fill_in_and_load_back(tmp_path, capsys):
    out = tmp_path / "phu-luc-2023.xlsx"
    assert main(["template", "--year", "2023", "--level", "district", "--out", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws.protection.sheet and ws.column_dimensions["F"].hidden
    rows = {ws.cell(r, 6).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 6).value}
    assert ws.cell(rows["I.plan_tasks"], 2).protection.locked and not ws.cell(rows["I.plan_tasks"], 4).protection.locked
    kinds = {tuple(dv.sqref.ranges)[0].coord if dv.sqref else "": dv.type for dv in ws.data_validations.dataValidation}
    assert "whole" in kinds.values() and "decimal" in kinds.values() and "list" in kinds.values()
    ws.cell(3, 1).value = ("(Kèm theo Báo cáo số 15/BC-UBND ngày 20 tháng 12 năm 2023 của Ủy ban nhân dân "
                           "huyện Cù Lao Dung)")
    fill = {"I.plan_tasks": 30, "I.plan_tasks_done": 27, "I.plan_completion_pct": 90,
            "III.dossiers_district_received": 1000, "I.awards": 1, "II.check_unlawful": 2}
    for code, v in fill.items():
        ws.cell(rows[code], 4).value = v
    # a unit rewords a label and deletes another: the hidden codes still decide
    ws.cell(rows["II.check_unlawful"], 2).value = "Số văn bản sai"
    wb.save(out)
    df = load_appendix(out).set_index("code")
    assert df.loc["I.plan_tasks_done", "value"] == 27 and df.loc["II.check_unlawful", "value"] == 2
    assert df["value"].notna().sum() == len(fill)
    assert (df.iloc[0]["unit"], df.iloc[0]["level"], df.iloc[0]["year"]) == ("cu-lao-dung", "district", 2023)


def test_mixed_folder(tmp_path, seed_path, seed_text):
    build_docx(seed_path, tmp_path / "a.docx")
    build_xlsx(seed_path, tmp_path / "b.xlsx")
    (tmp_path / "c.txt").write_text(seed_text, encoding="utf-8")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    table, errors, _ = load_appendices(tmp_path)
    assert table["source"].nunique() == 3 and len(table) == 3 * 204
    assert len(errors) == 1 and "save as .docx" in str(errors[0])


@pytest.mark.parametrize(("name", "data", "words"), [
    ("enc.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected"),
    ("enc.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected"),
    ("bad.xlsx", b"PK\x03\x04 this is not really a zip", "corrupt"),
    ("pdf.docx", b"%PDF-1.7 ...", "not a .docx"),
])
def test_bad_office_files(tmp_path, name, data, words):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(AppendixError, match=words) as info:
        load_appendix(p)
    assert str(p) in str(info.value)


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    with pytest.raises(AppendixError, match="zip bomb"):
        load_appendix(p)


def test_workbook_without_appendix(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Tổng hợp"
    wb.active["A1"] = "Bảng lương"
    p = tmp_path / "x.xlsx"
    wb.save(p)
    with pytest.raises(AppendixError, match="no sheet has an appendix header row .*'Tổng hợp'"):
        load_appendix(p)


def test_docx_without_appendix(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Công văn")
    p = tmp_path / "x.docx"
    d.save(p)
    with pytest.raises(AppendixError, match="no appendix table"):
        load_appendix(p)


def test_reading_never_writes(tmp_path, seed_path):
    p = build_xlsx(seed_path, tmp_path / "a.xlsx")
    before = (p.read_bytes(), p.stat().st_mtime_ns)
    load_appendix(p)
    assert (p.read_bytes(), p.stat().st_mtime_ns) == before


def test_commune_template_leaves_out_district_rows(tmp_path):
    from cchc_tools.forms import get_form

    out = tmp_path / "xa.xlsx"
    assert main(["template", "--year", "2026", "--level", "commune", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    codes = {ws.cell(r, 6).value for r in range(1, ws.max_row + 1)} - {None, "MÃ CHỈ TIÊU"}
    assert "III.dossiers_commune_received" in codes and "III.dossiers_district_received" not in codes
    assert codes == set(get_form("commune-2025").codes)
    df = load_appendix(out)
    assert set(df["code"]) == codes


def test_xlsx_header_repeated_mid_sheet_is_not_a_row(tmp_path, seed_path, seed_df):
    from tests.office_fixtures import HEADER

    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.insert_rows(120)
    for c, h in enumerate(HEADER, start=1):
        ws.cell(120, c).value = h.upper()
    wb.save(path)
    df = load_appendix(path)
    _same_codes_and_values(df, seed_df)


def test_docx_title_rows_inside_the_table(tmp_path, seed_path, seed_df):
    """Some units put the title in a merged first row of the table itself."""
    import docx

    path = build_docx(seed_path, tmp_path / "a.docx")
    d = docx.Document(str(path))
    body = d.element.body
    for p in [p for p in d.paragraphs if p.text.strip() and p.text != "Người lập biểu"]:
        body.remove(p._p)  # the title paragraphs move into the table
    appendix = d.tables[1]
    first = appendix.rows[0]._tr
    new_row = appendix.add_row()
    first.addprevious(new_row._tr)
    merged = new_row.cells[0].merge(new_row.cells[4])
    merged.text = ("PHỤ LỤC THỐNG KÊ SỐ LIỆU ... NĂM 2022 (Kèm theo Báo cáo số /BC-UBND ngày 16 tháng 12 "
                   "năm 2022 của Ủy ban nhân dân thị xã Vĩnh Châu)")
    d.save(path)
    df = load_appendix(path)
    _same_codes_and_values(df, seed_df)
    row = df.iloc[0]
    assert (row["unit"], row["year"], row["report_date"], row["line"]) == ("vinh-chau", 2022, "2022-12-16", 4)
