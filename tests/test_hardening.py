"""Regression tests of the hardening issue: guessed numbers, drifting lines, limits, hostile Office files,
stale snapshots, formulas in CSVs, and the analyst's language."""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cchc_tools import AppendixError, load_appendix, paths, validate
from cchc_tools.errors import LimitError
from cchc_tools.limits import MAX_CELL_CHARS, MAX_LABEL_KEY_CHARS, MAX_ROWS
from cchc_tools.numbers import fmt_count, fmt_number, fmt_percent, parse_number
from cchc_tools.project import load_project
from tests.office_fixtures import build_docx, build_xlsx

# The line of the bundled appendix holding "Tổng số hồ sơ đã tiếp nhận" at district level: 24.407.
COUNT_LINE = 85

KIT = load_project(paths.KIT_ROOT)  # the kit's own repository as a project


def _replace_value(seed_text: str, line: int, new: str) -> str:
    lines = seed_text.split("\n")
    fields = lines[line - 1].split("\t")
    fields[3] = new
    lines[line - 1] = "\t".join(fields)
    return "\n".join(lines)


# --- 1. a number is what Vietnamese number format says -------------------------------------------

NOT_NUMBERS = ["𝟔𝟎𝟎𝟗𝟖", "١٢", "２４.４０７", "7,6e3", "5E5", "1e5", "4\u200b86", "24\u200b407", "1\u2060000", "1_000",
               ",83", "5,", "+5", "+1.000", "inf", "Infinity", "-inf", "nan", "NaN", "1.5", "85.27", "0x1F",
               "1" * 16, "0," + "1" * 11, "1.000.000.000.000.000", "--5", "- 5", "5-", "1 ,5", "1, 5", "١٬٢"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_shapes_that_are_not_vietnamese_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(("text", "value"), [("-1.070", -1070.0), ("1 070,5", 1070.5),
                                             ("999.999.999.999.999", 1e15 - 1), ("0,0000000001", 1e-10),
                                             ("-0", 0.0), ("12,5 %", 12.5)])
def test_shapes_that_are(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["7,6e3", "4\u200b86", ",83", "5,", "+5", "inf", "𝟔𝟎𝟎𝟗𝟖", "1_000"])
def test_a_non_number_in_a_file_is_reported_with_its_line(write_variant, seed_text, text):
    df = load_appendix(write_variant(_replace_value(seed_text, COUNT_LINE, text)))
    row = df.set_index("line").loc[COUNT_LINE]
    assert row["raw_value"] == text and math.isnan(row["value"])
    f = validate(df)
    hit = f[f["rule"] == "value_not_number"]
    assert str(COUNT_LINE) in hit["lines"].tolist()


@pytest.mark.parametrize("value", [1e300, -1e300, 1e28, 1.7976931348623157e308, 5e-324, 123456789.987654321])
def test_formatting_never_raises_on_a_finite_float(value):
    for text in (fmt_number(value), fmt_number(value, 2), fmt_percent(value), fmt_count(value, "hồ sơ")):
        assert text and "E" not in text and "e" not in text.replace("hồ sơ", "")
    assert fmt_number(1e28) == "10.000.000.000.000.000.000.000.000.000"


def test_huge_written_numbers_stay_finite_and_validate_runs(write_variant, seed_text):
    text = _replace_value(seed_text, COUNT_LINE, "999.999.999.999.999")
    df = load_appendix(write_variant(text))
    assert df.set_index("line").loc[COUNT_LINE, "value"] == 1e15 - 1
    validate(df)  # rate checks on the largest readable count: no OverflowError


def test_excel_numbers_beyond_the_limits_are_not_read(tmp_path, seed_path):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    ws.cell(rows["Số nhiệm vụ đã hoàn thành"], 4).value = 1e300
    ws.cell(rows["Số văn bản chỉ đạo CCHC đã ban hành"], 4).value = 1e-300
    wb.save(path)
    df = load_appendix(path).set_index("code")
    assert math.isnan(df.loc["I.plan_tasks_done", "value"]) and df.loc["I.plan_tasks_done", "raw_value"] == "1e+300"
    assert df.loc["I.directive_docs", "value"] == 0.0
    f = validate(df.reset_index())
    assert (f["rule"] == "value_not_number").any()


# --- 2. lines counted as the file counts them ---------------------------------------------------------

@pytest.mark.parametrize("sep", ["\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_line_separators_inside_a_cell_do_not_shift_lines(write_variant, seed_text, seed_df, sep):
    lines = seed_text.split("\n")
    rows = [i for i, line in enumerate(lines, start=1) if line.count("\t") == 4 and " " in line.split("\t")[1]]
    for i in (rows[20], rows[60], rows[120]):  # label cells of three rows get a soft line break
        fields = lines[i - 1].split("\t")
        fields[1] = fields[1].replace(" ", sep, 1)
        lines[i - 1] = "\t".join(fields)
    df = load_appendix(write_variant("\n".join(lines)))
    assert df["line"].tolist() == seed_df["line"].tolist()
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].fillna(-1).tolist() == seed_df["value"].fillna(-1).tolist()


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_crlf_and_cr_files_count_lines_the_same(write_variant, seed_text, seed_df, eol):
    df = load_appendix(write_variant(seed_text.replace("\n", eol).encode("utf-8")))
    assert df["line"].tolist() == seed_df["line"].tolist()


@pytest.mark.parametrize("bom", [True, False])
def test_a_nul_in_utf16_text_is_refused_with_its_line(write_variant, seed_text, bom):
    text = _replace_value(seed_text, 40, "1\x002")
    data = ("\ufeff" + text).encode("utf-16-le") if bom else text.encode("utf-16-le")
    with pytest.raises(AppendixError, match="control character") as info:
        load_appendix(write_variant(data))
    assert info.value.line == 40


def test_a_control_byte_far_into_a_utf8_file_is_refused(write_variant, seed_text):
    padded = seed_text + "\n" * 5 + ("\tx\t\t\t\n" * 3000) + "\tbad\x01\t\t\t\n"
    with pytest.raises(AppendixError, match="control character") as info:
        load_appendix(write_variant(padded))
    assert info.value.line == seed_text.count("\n") + 1 + 5 + 3000


# --- 3. limits ---------------------------------------------------------------------------------------

def _rewrite(path: Path, name: str, edit) -> None:
    with zipfile.ZipFile(path) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    items[name] = edit(items[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in items.items():
            zf.writestr(n, data)


def test_docx_with_a_huge_grid_span_is_refused(tmp_path, seed_path):
    path = build_docx(seed_path, tmp_path / "a.docx")
    _rewrite(path, "word/document.xml", lambda x: re.sub(
        rb"<w:tc>", b'<w:tc><w:tcPr><w:gridSpan w:val="300000000"/></w:tcPr>', x, count=3))
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitError, match="MAX_SPAN") as info:
        load_appendix(path)
    assert info.value.path == str(path)


def test_xlsx_claiming_a_million_rows_is_refused(tmp_path, seed_path):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace(
        b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row></sheetData>'))
    with pytest.raises(LimitError, match="MAX_SHEET_ROWS"):
        load_appendix(path)


def test_xlsx_reaching_column_xfd_is_refused(tmp_path, seed_path):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda x: x.replace(
        b"</row>", b'<c r="XFD1" t="n"><v>1</v></c></row>', 1))
    with pytest.raises(LimitError, match="MAX_SHEET_COLUMNS"):
        load_appendix(path)


def _forge_size(path: Path, member: str, declared: int) -> None:
    """Write ``declared`` as the uncompressed size of ``member`` in both of the zip's headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = 0
        while (i := data.find(sig, i)) >= 0:
            name_at = i + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                data[i + at:i + at + 4] = struct.pack("<I", declared)
            i += 4
    path.write_bytes(bytes(data))


def test_forged_zip_sizes_are_measured_not_trusted(tmp_path):
    path = tmp_path / "forged.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<x>" + b" " * (40 * 1024 * 1024) + b"</x>")
    _forge_size(path, "xl/worksheets/sheet1.xml", 1000)
    tracemalloc.start()
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "MAX_XML_PART_BYTES" in str(info.value) or "zip bomb" in str(info.value)
    assert peak < 50 * 1024 * 1024


def test_forged_smaller_size_of_an_honest_member_is_refused(tmp_path, seed_path):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    _forge_size(path, "xl/worksheets/sheet1.xml", 100)
    with pytest.raises(AppendixError, match="not the 100"):
        load_appendix(path)


def _xlsx_with(tmp_path, seed_path, cells: dict[tuple[int, int], str]) -> Path:
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(path)
    for (r, c), v in cells.items():
        wb.active.cell(r, c).value = v
    wb.save(path)
    return path


def test_xlsx_cell_beyond_the_cell_limit_is_refused(tmp_path, seed_path):
    with pytest.raises(LimitError, match="MAX_CELL_CHARS"):
        load_appendix(_xlsx_with(tmp_path, seed_path, {(30, 5): "9" * 100_000}))


def test_xlsx_one_string_used_by_many_cells_is_counted_at_each(tmp_path, seed_path):
    same = {(r, c): "x" * (MAX_CELL_CHARS - 1) for r in range(250, 471) for c in range(1, 6)}  # one shared string
    with pytest.raises(LimitError, match="MAX_SHEET_CHARS"):
        load_appendix(_xlsx_with(tmp_path, seed_path, same))


def test_text_cell_beyond_the_cell_limit_is_refused_with_its_line(write_variant, seed_text):
    with pytest.raises(LimitError, match="MAX_CELL_CHARS") as info:
        load_appendix(write_variant(_replace_value(seed_text, 100, "8" * 80_000)))
    assert info.value.line == 100


def test_text_of_100000_rows_is_refused_early_and_small(write_variant, seed_text):
    body = "".join(f"\tSố hồ sơ {i}\tHồ sơ\t{i}\t\n" for i in range(100_000))
    path = write_variant(seed_text + body)
    assert path.stat().st_size > 1_800_000
    tracemalloc.start()
    with pytest.raises(LimitError, match="MAX_TEXT_LINES"):
        load_appendix(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * path.stat().st_size


def test_text_with_too_many_rows_is_refused_at_the_row(write_variant, seed_text):
    body = "".join(f"\tSố hồ sơ {i}\tHồ sơ\t{i}\t\n" for i in range(MAX_ROWS))
    with pytest.raises(LimitError, match="MAX_ROWS") as info:
        load_appendix(write_variant(seed_text + body))
    first_added = seed_text.count("\n") + 1
    assert first_added < info.value.line < first_added + MAX_ROWS


def test_file_beyond_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # sparse: nothing is written
    with pytest.raises(LimitError, match="MAX_FILE_BYTES"):
        load_appendix(path)


def test_long_title_keeps_only_the_lines_nearest_the_table(write_variant, seed_text):
    from cchc_tools.ingest.readers.text import read_text

    cover = "".join(f"Lời mở đầu {i} của văn bản " + "chữ " * 300 + "\n" for i in range(50))
    path = write_variant(cover + seed_text)
    assert sum(len(t) for t in read_text(path).title) <= 2000
    row = load_appendix(path).iloc[0]
    assert (row["unit"], row["year"]) == ("vinh-chau", 2022)


# --- 4. Excel: calamine keeps the old guarantees --------------------------------------------------------

def test_xlsx_data_away_from_a1_keeps_sheet_rows(tmp_path, seed_path, seed_df):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.insert_rows(1, 3)
    ws.insert_cols(1, 2)
    wb.save(path)
    df = load_appendix(path)
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["line"].iloc[0] == 8 + 3
    assert df.set_index("code").loc["I.plan_completion_pct", "value"] == pytest.approx(92.59)


def test_xlsx_formula_with_an_empty_cached_value_is_reported(tmp_path, seed_path):
    from tests.office_fixtures import add_cached_formula

    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    ws = openpyxl.load_workbook(path).active
    r = {ws.cell(i, 2).value: i for i in range(1, ws.max_row + 1)}["Số nhiệm vụ đã hoàn thành"]
    add_cached_formula(path, f"D{r}", "A1&amp;B1", "")
    row = load_appendix(path).set_index("code").loc["I.plan_tasks_done"]
    assert row["raw_value"] == "=A1&B1" and math.isnan(row["value"])


# --- 5. the snapshot follows the content ------------------------------------------------------------

def test_snapshot_sees_a_corrected_file_with_the_same_size_and_time(tmp_path, seed_text):
    from cchc_tools.pipeline import load_data

    folder = tmp_path / "data"
    path = folder / "2022" / "vinh-chau" / "a.txt"
    path.parent.mkdir(parents=True)
    path.write_text(seed_text, encoding="utf-8")
    before = path.stat()
    first = load_data(KIT, folder).table.set_index("line").loc[COUNT_LINE, "value"]
    path.write_text(_replace_value(seed_text, COUNT_LINE, "14.407"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    second = load_data(KIT, folder).table.set_index("line").loc[COUNT_LINE, "value"]
    assert (first, second) == (24407.0, 14407.0)


# --- 7. CSVs neutralised -------------------------------------------------------------------------------

def test_csv_cells_cannot_run_as_formulas(tmp_path, seed_df):
    from cchc_tools.atomic import write_table

    df = seed_df.copy()
    df.loc[0, "note"] = '=HYPERLINK("http://x","y")'
    df.loc[1, "note"] = "-2+3+cmd|' /C calc'!A0"
    df.loc[2, "note"] = "@SUM(A1)"
    write_table(df, tmp_path / "t.csv")
    write_table(df, tmp_path / "t.parquet")
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back["note"].iloc[:3].tolist() == ["'" + v for v in df["note"].iloc[:3]]
    dashes = seed_df["label"].str.startswith("- ")
    assert dashes.sum() == 27 and back["label"][dashes].str.startswith("'- ").all()
    numbers = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")["value"]
    assert numbers.dtype == float and numbers.fillna(-1).tolist() == seed_df["value"].fillna(-1).tolist()
    assert pd.read_parquet(tmp_path / "t.parquet")["note"].iloc[0] == df["note"].iloc[0]
    text_cells = back.select_dtypes(exclude="number").to_numpy().ravel()
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in text_cells)


# --- 6. messages in the analyst's language --------------------------------------------------------------

def test_messages_are_vietnamese_by_default_and_english_on_request(write_variant, monkeypatch):
    path = write_variant(b"")
    monkeypatch.delenv("CCHC_LANG", raising=False)
    with pytest.raises(AppendixError) as vi:
        load_appendix(path)
    monkeypatch.setenv("CCHC_LANG", "en")
    with pytest.raises(AppendixError) as en:
        load_appendix(path)
    assert "tệp trống" in str(vi.value) and "the file is empty" in str(en.value)


def test_limit_messages_are_translated(write_variant, seed_text, monkeypatch):
    monkeypatch.setenv("CCHC_LANG", "vi")
    with pytest.raises(LimitError) as info:
        load_appendix(write_variant(_replace_value(seed_text, 100, "8" * 80_000)))
    assert "dòng 100" in str(info.value) and "MAX_CELL_CHARS" in str(info.value) and "ký tự" in str(info.value)


def test_check_summary_counts_in_words(seed_path, capsys, monkeypatch):
    from cchc_tools.cli import main

    monkeypatch.setenv("CCHC_LANG", "vi")
    main(["check", str(seed_path)])
    vi = capsys.readouterr().err
    monkeypatch.setenv("CCHC_LANG", "en")
    main(["check", str(seed_path)])
    en = capsys.readouterr().err
    assert "1 lỗi" in vi and "1 error," in en and "1 errors" not in en and "7 warnings" in en


def test_compiled_catalog_matches_its_po_file():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    from cchc_tools.i18n import LOCALE_DIR

    folder = LOCALE_DIR / "vi" / "LC_MESSAGES"
    with open(folder / "cchc.po", "rb") as fh:
        po = read_po(fh)
    with open(folder / "cchc.mo", "rb") as fh:
        mo = read_mo(fh)
    def table(catalog):
        return {m.id if isinstance(m.id, str) else tuple(m.id): m.string if isinstance(m.string, str)
                else tuple(m.string) for m in catalog if m.id and not m.fuzzy}

    assert table(po) == table(mo) and len(table(po)) > 80
    assert all(all(m.string) if isinstance(m.string, (list, tuple)) else m.string for m in po if m.id), \
        "every message has its Vietnamese translation"


def test_unit_given_by_its_vietnamese_name():
    from cchc_tools.cli import build_parser

    args = build_parser().parse_args(["brief", "--year", "2022", "--unit", "Vĩnh Châu"])
    assert args.unit == "vinh-chau"
    args = build_parser().parse_args(["brief", "--year", "2022", "--unit", "../x"])
    assert args.unit == "../x"  # left for check_slug to refuse


def test_a_long_unit_cell_is_refused_before_it_is_parsed_as_a_code_list(write_variant, seed_text):
    lines = seed_text.split("\n")
    i = next(n for n, line in enumerate(lines, start=1) if "Có = 1" in line)
    fields = lines[i - 1].split("\t")
    fields[2] = "Có " * 30_000  # 90 KB: the code-list pattern would take minutes on it
    lines[i - 1] = "\t".join(fields)
    with pytest.raises(LimitError, match="MAX_SHORT_CELL_CHARS|MAX_CELL_CHARS") as info:
        load_appendix(write_variant("\n".join(lines)))
    assert info.value.line == i
    fields[2] = "Có = 1 Không = 0 " + "." * 250
    lines[i - 1] = "\t".join(fields)
    with pytest.raises(LimitError, match="MAX_SHORT_CELL_CHARS"):
        load_appendix(write_variant("\n".join(lines)))


def test_label_key_is_linear_on_long_punctuation_runs():
    from cchc_tools.text import label_key

    assert label_key("- Số hồ sơ: ") == "số hồ sơ"
    long_label = "a" + ".," * 50_000 + "b"  # once quadratic: minutes
    assert label_key(long_label) == long_label[:MAX_LABEL_KEY_CHARS]
    assert label_key(long_label + " :") == long_label[:MAX_LABEL_KEY_CHARS]


def test_every_message_in_the_code_is_in_the_catalog():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from cchc_tools.i18n import LOCALE_DIR

    root = LOCALE_DIR.parent
    keywords = {"_": None, "tr": None, "ngettext": (1, 2)}
    in_code = {m[2] if isinstance(m[2], str) else m[2][0]
               for m in extract_from_dir(root, method_map=[("**.py", "python")], keywords=keywords)}
    with open(LOCALE_DIR / "vi" / "LC_MESSAGES" / "cchc.po", "rb") as fh:
        in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert in_code and in_code <= in_po, sorted(in_code - in_po)


def test_control_characters_in_office_cells_never_reach_the_table(tmp_path, seed_path):
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.cell(30, 5).value = "ghi chú _x0000_ x"  # Excel's escape of a NUL: calamine gives "\x00"
    ws.cell(31, 4).value = "1_x0001_2"
    wb.save(path)
    df = load_appendix(path).set_index("line")
    assert df.loc[30, "note"] == "ghi chú \ufffd x"
    assert df.loc[31, "raw_value"] == "1\ufffd2" and math.isnan(df.loc[31, "value"])


@pytest.mark.parametrize(("member", "junk"), [("xl/worksheets/sheet1.xml", b'<c r="A1"><f>1+'),
                                              ("xl/worksheets/sheet1.xml", b"<row <c <v "),
                                              ("xl/sharedStrings.xml", b"<si><t>x")])
def test_malformed_xml_is_scanned_in_linear_time(tmp_path, seed_path, member, junk):
    """Unclosed tags by the hundred thousand: a pattern that looks for the closing tag from every
    start would run for hours; the scan splits at element starts instead."""
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    with zipfile.ZipFile(path) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    flood = junk * (3 * 2**20 // len(junk))
    if member in items:
        items[member] = items[member].replace(b"</sheetData>", flood + b"</sheetData>")
    else:
        items[member] = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + flood
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:  # stored: not refused as a zip bomb
        for n, data in items.items():
            zf.writestr(n, data)
    with contextlib.suppress(AppendixError):  # refused, or read as far as calamine can: never hours
        load_appendix(path)


def test_xlsx_without_cell_references_is_read_by_position(tmp_path, seed_path, seed_df):
    """Some generators omit ``r`` on rows and cells: positions are implied, and the reach is counted by row."""
    path = build_xlsx(seed_path, tmp_path / "a.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=5):
        for cell in row:
            if cell.value is None:
                cell.value = " "  # every cell written, so that position alone places it
    wb.save(path)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda x: re.sub(rb'<dimension[^>]*/>', b"",
                                                                re.sub(rb' r="[A-Z]*[0-9]+"', b"", x)))
    assert b' r="' not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    df = load_appendix(path)
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].fillna(-1).tolist() == pytest.approx(seed_df["value"].fillna(-1).tolist())


def test_reader_errors_survive_a_process_pool(write_variant, seed_text):
    import pickle

    with pytest.raises(LimitError) as info:
        load_appendix(write_variant(_replace_value(seed_text, 100, "8" * 80_000)))
    back = pickle.loads(pickle.dumps(info.value))
    assert type(back) is LimitError and str(back) == str(info.value)
    assert (back.path, back.line, back.limit_name) == (info.value.path, 100, "MAX_CELL_CHARS")


# --- 7. leftovers of a hostile run ------------------------------------------------------------------------

LONG_NAME = "xã " + " ".join(["Vĩnh Hải Thạnh Phú Đông"] * 5)  # a slug of 115 characters


def test_a_long_unit_name_gives_a_bounded_unique_readable_slug():
    from cchc_tools.analysis.selection import SLUG, unit_from_name
    from cchc_tools.ingest.header import MAX_SLUG_CHARS, unit_slug

    slug = unit_slug(LONG_NAME)
    assert len(slug) <= MAX_SLUG_CHARS and SLUG.match(slug), slug
    assert slug.startswith("vinh-hai-thanh-phu-dong-vinh-hai-") and re.search(r"-[0-9a-f]{8}$", slug)
    head = slug.rsplit("-", 1)[0]
    assert ("vinh-hai-thanh-phu-dong-" * 5).startswith(head + "-"), "cut at a word boundary"
    assert unit_slug(LONG_NAME + " A") != unit_slug(LONG_NAME + " B") != slug
    assert unit_slug(LONG_NAME) == slug and unit_from_name(LONG_NAME) == slug  # the analyst may type the name
    assert unit_slug("thị xã Vĩnh Châu") == "vinh-chau" and unit_slug("") == ""
    for name in ("xã " + "a" * 300, "phường " + "ab " * 60, "xã ١٢", "xã 中文", "-"):
        assert SLUG.match(unit_slug(name)), name


def _folder_with(tmp_path: Path, seed_text: str, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / "data" / "2022" / name).mkdir(parents=True)
        (tmp_path / "data" / "2022" / name / f"{name}.txt").write_text(text, encoding="utf-8")
    return tmp_path / "data"


def test_a_unit_with_a_long_name_is_briefed_and_no_data_gets_cli_advice(tmp_path, seed_text, kit):
    from cchc_tools.batch.tasks import plan_all
    from cchc_tools.ingest.header import unit_slug

    data = _folder_with(tmp_path, seed_text,
                        long=seed_text.replace("thị xã Vĩnh Châu", LONG_NAME),
                        noyear=seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", "CẢI CÁCH HÀNH CHÍNH")
                                        .replace("ngày 16 tháng 12 năm 2022", "ngày 16"))
    plan = plan_all(kit, data, tmp_path / "out", "html")
    units = {t.parameters["unit"] for t in plan.tasks if t.kind == "unit"}
    assert units == {unit_slug(LONG_NAME)}
    assert [t.out_dir.name for t in plan.tasks if t.kind == "trend"] == ["trend"]
    (who, why), = plan.unbriefable
    assert "noyear.txt" in who and "NĂM 2022" in why, why
    assert "--unit" not in why and "slug" not in why and "four digits" not in why


def _rewrite_member(path: Path, member: str, change, rename: str | None = None) -> Path:
    with zipfile.ZipFile(path) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    items[rename or member] = change(items.pop(member))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in items.items():
            zf.writestr(n, data)
    return path


_LAUGHS = (b'<!DOCTYPE w:document [<!ENTITY a "' + b"a" * 40 + b'">'
           + b"".join(f'<!ENTITY {n} "{f"&{p};" * 10}">'.encode() for p, n in zip("abcde", "bcdef", strict=True))
           + b"]>")


def _with_laughs(xml: bytes) -> bytes:
    """The part with a "billion laughs" DTD, and the last entity used in its first text or attribute value."""
    end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    body = xml[end:]
    for mark in (b"<w:t>", b'w:val="', b'name="'):
        if mark in body:
            body = body.replace(mark, mark + b"&f;", 1)
            break
    return xml[:end] + _LAUGHS + body


INTERNALS = ("XML_PARSE_HUGE", "xmlCtxtSetMaxAmplification", "XMLSyntaxError", "libxml", "lxml")


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_docx_nested_too_deep_is_refused_in_the_kits_words(tmp_path, seed_path, monkeypatch, lang):
    monkeypatch.setenv("CCHC_LANG", lang)
    path = _rewrite_member(build_docx(seed_path, tmp_path / "a.docx"), "word/document.xml",
                           lambda x: x.replace(b"</w:body>", b"<w:p>" + b"<w:r>" * 300 + b"</w:r>" * 300
                                               + b"</w:p></w:body>"))
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    text = str(info.value)
    assert not any(word in text for word in INTERNALS), text
    assert "word/document.xml" in text and "256" in text and "a.docx" in text
    assert ("nests its elements more than 256 deep" in text) if lang == "en" else ("lồng" in text and "Word" in text)


@pytest.mark.parametrize(("kind", "member"), [("docx", "word/document.xml"), ("docx", "word/styles.xml"),
                                              ("xlsx", "xl/workbook.xml"), ("xlsx", "xl/worksheets/sheet2.xml")])
def test_entity_bombs_are_refused_before_parsing_naming_the_part(tmp_path, seed_path, kind, member):
    path = (build_docx if kind == "docx" else build_xlsx)(seed_path, tmp_path / f"a.{kind}")
    _rewrite_member(path, member, _with_laughs)
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    text = str(info.value)
    assert not any(word in text for word in INTERNALS), text
    assert member in text and "DTD" in text


def test_an_entity_bomb_in_an_oddly_named_part_is_refused_in_the_kits_words(tmp_path, seed_path):
    """A part may be named anything: past the DTD scan of .xml parts, the parser's own refusal
    ("xmlCtxtSetMaxAmplification") is still said in the kit's words, naming the part."""
    path = build_docx(seed_path, tmp_path / "a.docx")
    _rewrite_member(path, "word/styles.xml", _with_laughs, rename="word/styles.bin")
    _rewrite_member(path, "word/_rels/document.xml.rels", lambda x: x.replace(b'"styles.xml"', b'"styles.bin"'))
    _rewrite_member(path, "[Content_Types].xml", lambda x: x.replace(b"/word/styles.xml", b"/word/styles.bin"))
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    text = str(info.value)
    assert not any(word in text for word in INTERNALS), text
    assert "word/styles.bin" in text and "XML bomb" in text


def test_malformed_xlsx_parts_are_named_with_their_line(tmp_path, seed_path):
    path = _rewrite_member(build_xlsx(seed_path, tmp_path / "a.xlsx"), "xl/styles.xml",
                           lambda x: x.replace(b">", b">\n<<", 3))
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    assert "xl/styles.xml (line 2) is not well-formed XML" in str(info.value)
    assert "ParseError" not in str(info.value) and "column" not in str(info.value)


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", True), ("utf-16-be", True), ("utf-16-le", False)])
def test_broken_utf16_is_reported_with_its_line(write_variant, seed_text, encoding, bom):
    bom_text = "\ufeff" if bom else ""
    data = (bom_text + seed_text).encode(encoding)
    line_40 = len((bom_text + "\n".join(seed_text.split("\n")[:39]) + "\n").encode(encoding))  # its first byte
    surrogate = "\ud800".encode(encoding, "surrogatepass")  # half of a pair, alone
    broken = data[:line_40 + 4] + surrogate + data[line_40 + 4:]
    with pytest.raises(AppendixError) as info:
        load_appendix(write_variant(broken))
    assert info.value.line == 40 and "UTF-16" in str(info.value), str(info.value)
    assert f"byte {line_40 + 4:,}" in str(info.value)  # the offset too, for a hex editor
    with pytest.raises(AppendixError) as info:
        load_appendix(write_variant(data[:line_40 + 5]))  # cut off inside line 40's third character
    assert info.value.line == 40 and "ends inside a character" in str(info.value), str(info.value)


_STARTUP_SCRIPT = """
import multiprocessing as mp, os, signal, sys, time
from cchc_tools.batch.pool import _Worker
from cchc_tools.batch.runner import execute
signal.signal(signal.SIGINT, lambda *a: None)  # the parent's own handler, as KernelPool.run installs it
w = _Worker(mp.get_context("spawn"), execute, ".")  # this process's first child: multiprocessing starts its tracker
until = time.monotonic() + 3
while time.monotonic() < until and w.proc.is_alive():  # Ctrl-C, again and again, while the worker imports
    os.kill(w.proc.pid, signal.SIGINT)
    time.sleep(0.005)
alive = w.proc.is_alive()
w.stop(20)
print(alive, w.proc.exitcode, flush=True)
"""


def test_ctrl_c_while_a_worker_starts_prints_no_traceback_and_kills_no_worker():
    """Workers start with SIGINT and SIGTERM blocked until their own handlers are in place; multiprocessing's
    resource tracker, started with the first process, unblocked them in the middle of that window."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _STARTUP_SCRIPT], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1])
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr, proc.stderr
    assert proc.stdout.split() == ["True", "0"], (proc.stdout, proc.stderr)  # alive, then stopped cleanly


@pytest.mark.parametrize("where", ["plan_all", "run_tasks"])
def test_ctrl_c_before_the_pool_takes_the_signals_stops_the_batch_with_its_usual_message(tmp_path, monkeypatch,
                                                                                         where, kit):
    """Loading the folder and stamping the tasks come before the pool's own signal handlers: a Ctrl-C there
    ends the batch like one during the run, never with a traceback."""
    import cchc_tools.batch.runner as runner
    from cchc_tools.site import brief_all

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, where, interrupted)
    batch = brief_all(kit, kit.data, tmp_path / "out", progress=False, formats="html")
    assert batch.interrupted == "SIGINT" and batch.outcomes == []
    assert batch.summary().startswith("interrupted (SIGINT): 0 of ")
    assert (tmp_path / "out" / "index.html").exists()


def test_a_soft_line_break_in_a_word_value_cell_is_not_glued_into_a_number(tmp_path, seed_path):
    """Found by the Word fuzz run: "1", Shift+Enter, "070" was read as 1070."""
    import docx

    path = build_docx(seed_path, tmp_path / "a.docx")
    document = docx.Document(str(path))
    row = next(r for t in document.tables for r in t.rows if r.cells[1].text == "Số văn bản chỉ đạo CCHC đã ban hành")
    row.cells[3].text = "1\n070"  # python-docx writes <w:t>1</w:t><w:br/><w:t>070</w:t>
    row.cells[1].text = "Số văn bản chỉ đạo\nCCHC đã ban hành"
    document.save(str(path))
    df = load_appendix(path).set_index("code")
    assert df.loc["I.directive_docs", "raw_value"] == "1\n070" and math.isnan(df.loc["I.directive_docs", "value"])
    assert df.loc["I.directive_docs", "label"] == "Số văn bản chỉ đạo CCHC đã ban hành"
