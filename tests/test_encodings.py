"""TCVN3 and VNI: the legacy Vietnamese encodings, converted by the mapping tables kept as data."""

from __future__ import annotations

import unicodedata

import pytest

from cchc_tools.errors import AppendixError
from cchc_tools.ingest.loader import load_appendix
from cchc_tools.ingest.readers.encoding import TCVN3, VNI, detect, font_encoding, mapping, to_unicode
from tests.office_fixtures import build_legacy_docx, legacy_bytes

# every letter of Vietnamese: a, ă, â, e, ê, i, o, ô, ơ, u, ư, y with each of the five tones, and đ
_BASES = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
LETTERS = sorted({unicodedata.normalize("NFC", b + t) for b in _BASES for t in _TONES if b + t not in "aeiouy"}
                 | {"đ"})


def test_tables_cover_every_letter_once():
    assert len(LETTERS) == 67
    vni = mapping(VNI)
    assert sorted(vni.values()) == sorted(LETTERS + [x.upper() for x in LETTERS])  # VNI: small and capital
    tcvn = mapping(TCVN3)
    capitals = {"Ă", "Â", "Ê", "Ô", "Ơ", "Ư", "Đ"}  # the only capitals TCVN3 has bytes for
    assert sorted(tcvn.values()) == sorted(LETTERS + list(capitals))
    assert all(len(k) == 1 and 0xA1 <= ord(k) <= 0xFE for k in tcvn)
    for enc in (TCVN3, VNI):
        assert len(set(mapping(enc))) == len(mapping(enc))


def test_known_words():
    assert to_unicode("Tû lÖ hå s¬", TCVN3) == "Tỷ lệ hồ sơ"
    assert to_unicode("Céng hßa x· héi chñ nghÜa ViÖt Nam", TCVN3) == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert to_unicode("Tyû leä hoà sô", VNI) == "Tỷ lệ hồ sơ"
    assert to_unicode("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", VNI) == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert to_unicode("§¬n vÞ tÝnh", TCVN3, upper=True) == "ĐƠN VỊ TÍNH"  # a .VnTimeH run
    assert font_encoding(".VnTimeH") == (TCVN3, True) and font_encoding(".VnTime") == (TCVN3, False)
    assert font_encoding("VNI-Times") == (VNI, False) and font_encoding("Times New Roman") == (None, False)


def test_detection(seed_text):
    assert detect(seed_text).encoding is None and not detect(seed_text).mixed
    assert detect(legacy_bytes(seed_text, TCVN3)).encoding == TCVN3
    assert detect(legacy_bytes(seed_text, VNI)).encoding == VNI
    for text in ("Ghi chú: «trích dẫn» và 1·2 § 3", "Điều 5 ©, ®, ±2 ×3", "« Tỷ lệ » ½ ¼"):
        found = detect(text)  # a few look-alike signs in a Unicode text
        assert found.encoding is None and not found.mixed and not found.unknown
    half = len(seed_text) // 2
    mixed = detect(seed_text[:half] + legacy_bytes(seed_text[half:], TCVN3))
    assert mixed.mixed


@pytest.mark.parametrize("encoding", [TCVN3, VNI])
def test_word_file_in_legacy_fonts_loads_the_same(tmp_path, seed_df, encoding, monkeypatch):
    path = build_legacy_docx(_seed(), tmp_path / "cu.docx", encoding)
    df = load_appendix(path)
    assert df["label"].tolist() == seed_df["label"].tolist()
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].equals(seed_df["value"]) and df["raw_value"].tolist() == seed_df["raw_value"].tolist()
    assert df["note"].tolist() == seed_df["note"].tolist()
    assert df["unit_name"].iloc[0] == seed_df["unit_name"].iloc[0]
    monkeypatch.setenv("CCHC_LANG", "vi")
    assert set(load_appendix(path)["reading"]) == {f"đã chuyển mã {encoding} sang Unicode"}


def test_word_file_mixing_fonts_converts_each_run_by_its_font(tmp_path, seed_df):
    row = "Số nhiệm vụ đề ra trong kế hoạch"
    path = build_legacy_docx(_seed(), tmp_path / "tron.docx", TCVN3, mixed_row=row)
    df = load_appendix(path)
    assert df["label"].tolist() == seed_df["label"].tolist()
    assert df["value"].equals(seed_df["value"])


def test_vni_text_file_loads_the_same(tmp_path, seed_text, seed_df):
    path = tmp_path / "vni.txt"
    path.write_bytes(legacy_bytes(seed_text, VNI).encode("cp1252"))
    df = load_appendix(path)
    assert df["label"].tolist() == seed_df["label"].tolist()
    assert df["value"].equals(seed_df["value"]) and df["raw_value"].tolist() == seed_df["raw_value"].tolist()
    assert set(df["reading"]) == {"converted from VNI to Unicode"}


def test_tcvn3_text_file_loads_the_same_values(tmp_path, seed_text, seed_df):
    # a text file has no font: TCVN3's capitals with a tone come out small, as a .VnTimeH run's bytes are
    path = tmp_path / "tcvn3.txt"
    path.write_bytes(legacy_bytes(seed_text, TCVN3).encode("cp1252"))
    df = load_appendix(path)
    assert [x.lower() for x in df["label"]] == [x.lower() for x in seed_df["label"]]
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].equals(seed_df["value"])
    assert set(df["reading"]) == {"converted from TCVN3 to Unicode"}


def test_text_mixing_encodings_is_refused(tmp_path, seed_text, monkeypatch):
    lines = seed_text.split("\n")
    half = len(lines) // 2
    mixed = "\n".join(lines[:half] + [legacy_bytes(x, TCVN3) for x in lines[half:]])
    path = tmp_path / "tron.txt"
    path.write_text(mixed, encoding="utf-8")
    monkeypatch.setenv("CCHC_LANG", "vi")
    with pytest.raises(AppendixError, match="không đọc để tránh đoán sai") as info:
        load_appendix(path)
    assert str(path) in str(info.value)


def test_unicode_appendix_is_untouched(seed_df):
    assert set(seed_df["reading"]) == {""}


def _seed():
    from tests.conftest import SEED

    return SEED
