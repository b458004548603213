"""The loader on the bundled appendix and on variants of it built here."""

from __future__ import annotations

import hashlib
import math
import unicodedata

import pandas as pd
import pytest

from cchc_tools import AppendixError, load_appendices, load_appendix
from cchc_tools.catalog import entries
from cchc_tools.ingest.loader import COLUMNS
from tests.conftest import GOLDEN

SEED_SHA256 = "b1b32a091432540fd98ff5b6915baf400965440b74aa93e00e50430438090197"


def test_bundled_appendix_is_byte_identical_to_the_seed(seed_path):
    digest = hashlib.sha256(seed_path.read_bytes()).hexdigest()
    assert digest == SEED_SHA256


def test_golden_table_every_row(seed_df):
    golden = pd.read_csv(GOLDEN, dtype={"raw_value": str}, keep_default_na=False)
    got = seed_df[["line", "code", "raw_value", "value"]].reset_index(drop=True)
    assert len(got) == len(golden) == 204
    assert got["line"].tolist() == golden["line"].tolist()
    assert got["code"].tolist() == golden["code"].tolist()
    assert got["raw_value"].tolist() == golden["raw_value"].tolist()
    for line, v, g in zip(got["line"], got["value"], golden["value"], strict=True):
        g = float(g) if g != "" else math.nan
        assert (math.isnan(v) and math.isnan(g)) or v == g, f"line {line}: {v} != {g}"


def test_every_catalog_entry_found_once_in_template_order(seed_df):
    assert seed_df["code"].tolist() == [e.code for e in entries() if "district-2022" in e.forms]


def test_columns_and_metadata(seed_df):
    assert list(seed_df.columns) == COLUMNS
    row = seed_df.iloc[0]
    assert row["source"] == "data/raw/2022/vinh-chau/phu-luc-cchc-2022-vinh-chau.txt"
    assert (row["unit"], row["unit_name"], row["level"]) == ("vinh-chau", "thị xã Vĩnh Châu", "district")
    assert (row["year"], row["period"]) == (2022, "annual")
    assert (row["report_no"], row["report_date"]) == ("/BC-UBND", "2022-12-16")


@pytest.mark.parametrize(("line", "value"), [(85, 24407.0), (147, 1070.0), (10, 92.59), (88, 100580.0),
                                             (207, 1707.0), (202, 7927.0)])
def test_vietnamese_numbers(seed_df, line, value):
    assert seed_df.set_index("line").loc[line, "value"] == value


def test_blank_is_not_zero(seed_df):
    row = seed_df.set_index("code").loc["IV.sncl_staff_streamlined_pct"]
    assert row["raw_value"] == "" and math.isnan(row["value"])
    zero = seed_df.set_index("code").loc["IV.civil_streamlined_pct"]
    assert zero["value"] == 0.0


def test_page_break_rows_with_four_fields(seed_df):
    row = seed_df.set_index("line").loc[196]
    assert row["code"] == "VII.dvc3_with_dossiers" and row["uom"] == "TTHC" and row["value"] == 2


def test_same_label_in_two_places_gets_two_codes(seed_df):
    by_line = seed_df.set_index("line")["code"]
    assert by_line[17] == "I.inspection_communes" and by_line[121] == "IV.decentralisation_communes"
    assert by_line[48] == "II.self_check_unlawful" and by_line[51] == "II.check_unlawful"
    assert by_line[108] == "IV.sncl_staff_present" and by_line[113] == "IV.autonomous_staff_present"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = ["line", "code", "raw_value", "label", "uom", "note"]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))
    assert a["value"].fillna(-1).tolist() == b["value"].fillna(-1).tolist()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_encodings_give_the_same_table(seed_text, seed_df, write_variant, encoding):
    if encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + seed_text.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + seed_text.encode("utf-16-be")
    else:
        data = seed_text.encode(encoding)
    _same(load_appendix(write_variant(data)), seed_df)


def test_crlf_nfd_and_odd_spaces_give_the_same_table(seed_text, seed_df, write_variant):
    text = seed_text.replace("Số hồ sơ TTHC", "Số\u00a0hồ  sơ  TTHC ")
    assert text.count("\u00a0") == 6
    text = unicodedata.normalize("NFD", text).replace("\n", "\r\n")
    _same(load_appendix(write_variant(text.encode("utf-8"))), seed_df)


def test_reworded_labels_land_on_the_same_codes(seed_text, seed_df, write_variant):
    text = (seed_text
            .replace("Tỷ lệ hoàn thành Kế hoạch CCHC năm (Lũy kế đến thời điểm báo cáo)",
                     "Tỷ lệ hoàn thành kế hoạch CCHC năm")
            .replace("Số hồ sơ TTHC do UBND cấp huyện giải quyết và trả kết quả",
                     "Số hồ sơ do UBND cấp huyện đã giải quyết, trả kết quả")
            .replace("Tổng số biên chế có mặt tại thời điểm báo cáo", "Số biên chế có mặt"))
    df = load_appendix(write_variant(text))
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].fillna(-1).tolist() == seed_df["value"].fillna(-1).tolist()


def test_removed_and_extra_rows(seed_text, seed_df, write_variant):
    lines = seed_text.split("\n")
    # drop line 49 (II.self_check_unlawful_handled) and 113 (IV.autonomous_staff_present)
    drop = {49, 113}
    kept = [ln for i, ln in enumerate(lines, 1) if i not in drop]
    kept.insert(95, "\tSố cuộc họp giao ban trực tuyến về chuyển đổi số\tCuộc\t12\t")
    df = load_appendix(write_variant("\n".join(kept)))
    want = seed_df[~seed_df["line"].isin(drop)].set_index("label")["code"]
    got = df[df["code"] != ""].set_index("label")["code"]
    assert got.tolist() == want.tolist()
    extra = df[df["code"] == ""]
    assert extra["label"].tolist() == ["Số cuộc họp giao ban trực tuyến về chuyển đổi số"]
    assert extra["value"].tolist() == [12.0]


def test_rows_that_lost_their_first_cell_anywhere(seed_text, seed_df, write_variant):
    lines = seed_text.split("\n")
    for i in (11, 86, 101, 152, 185):  # turn five fields into four, as at a page break
        assert lines[i - 1].startswith("\t")
        lines[i - 1] = lines[i - 1][1:]
    _same(load_appendix(write_variant("\n".join(lines))), seed_df)


def test_misnumbered_stt_is_ignored(seed_text, seed_df, write_variant):
    lines = seed_text.split("\n")
    lines = [("9" + ln) if ln.startswith("\t") else ln for ln in lines]
    df = load_appendix(write_variant("\n".join(lines)))
    assert df["code"].tolist() == seed_df["code"].tolist()


def test_overrides(seed_path):
    df = load_appendix(seed_path, unit="vc", year=2021, period="Q4")
    assert set(df["unit"]) == {"vc"} and set(df["year"]) == {2021} and set(df["period"]) == {"Q4"}


# --- bad input -------------------------------------------------------------------------------

def _error(path) -> AppendixError:
    with pytest.raises(AppendixError) as info:
        load_appendix(path)
    assert str(path) in str(info.value)
    return info.value


def test_empty_file(write_variant):
    err = _error(write_variant(b"  \n\n"))
    assert "empty" in str(err)


def test_text_that_is_not_an_appendix(write_variant):
    err = _error(write_variant("Kính gửi Sở Nội vụ,\nđây là một công văn.\n"))
    assert err.line == 1 and "THỨ TỰ" in str(err)


def test_truncated_table(seed_text, write_variant):
    lines = seed_text.split("\n")[:100]
    err = _error(write_variant("\n".join(lines)))
    assert "truncated" in str(err) and err.line == 100 and "V, VI, VII" in str(err)


def test_header_only(seed_text, write_variant):
    err = _error(write_variant("\n".join(seed_text.split("\n")[:8])))
    assert "no rows" in str(err)


def test_binary_garbage(write_variant):
    err = _error(write_variant(bytes(range(256)) * 10))
    assert "binary" in str(err)


def test_legacy_encoding_names_the_line(seed_text, write_variant):
    # "Tuyên" in a one-byte legacy code page: 0xEA for "ê"
    data = seed_text.encode("utf-8").replace("Tuyên truyền CCHC".encode(), b"Tuy\xean truyen CCHC")
    err = _error(write_variant(data))
    assert err.line == 21 and "UTF-8" in str(err)


@pytest.mark.parametrize(("name", "advice"), [("a.doc", ".docx"), ("a.xls", ".xlsx"), ("a.pdf", "Word or Excel file"),
                                              ("a.rtf", ".txt, .docx, .xlsx, .pdf")])
def test_broken_files_of_each_format_say_what_to_send(write_variant, name, advice):
    err = _error(write_variant(b"%PDF-1.4 whatever", name))
    assert advice in str(err)


def test_folder_with_bad_files_returns_good_ones_and_failures(tmp_path, seed_text):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "good.txt").write_text(seed_text, encoding="utf-8")
    (tmp_path / "a" / "empty.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_text(seed_text.replace("thị xã Vĩnh Châu", "huyện Trần Đề"), encoding="utf-8")
    (tmp_path / "notes.md").write_text("# notes", encoding="utf-8")
    table, errors, skipped = load_appendices(tmp_path)
    assert sorted(table["unit"].unique()) == ["tran-de", "vinh-chau"]
    assert len(table) == 2 * 204
    assert [e.path for e in errors] == [str(tmp_path / "a" / "empty.txt")]
    assert skipped == [str(tmp_path / "notes.md")]


def test_folder_with_only_bad_files_gives_an_empty_typed_table(tmp_path):
    (tmp_path / "x.txt").write_text("nothing", encoding="utf-8")
    table, errors, _ = load_appendices(tmp_path)
    assert table.empty and list(table.columns) == COLUMNS and len(errors) == 1


def test_utf16_without_bom(seed_text, seed_df, write_variant):
    _same(load_appendix(write_variant(seed_text.encode("utf-16-le"))), seed_df)


@pytest.mark.parametrize("lost", [[91], [129, 162], [171], [41, 61]])
def test_lost_section_heading_rows(seed_text, seed_df, write_variant, lost):
    """A section heading row lost (page break, deleted line): its rows still find their codes."""
    lines = seed_text.split("\n")
    for n in lost:
        assert lines[n - 1].split("\t")[0] in ("II", "III", "IV", "V", "VI", "VII")
    text = "\n".join(ln for i, ln in enumerate(lines, 1) if i not in lost)
    df = load_appendix(write_variant(text))
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].fillna(-1).tolist() == seed_df["value"].fillna(-1).tolist()
