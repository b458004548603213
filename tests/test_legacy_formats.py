"""Legacy .xls, .ods and .doc appendices (written by LibreOffice) read as the text file."""

from __future__ import annotations

import hashlib

import pytest

from cchc_tools.errors import AppendixError
from cchc_tools.ingest.loader import load_appendices, load_appendix
from cchc_tools.ingest.readers import legacy, read_raw
from tests.office_fixtures import libreoffice_files


@pytest.fixture(scope="session")
def lo(seed_path, tmp_path_factory):
    return libreoffice_files(seed_path, tmp_path_factory.getbasetemp() / "libreoffice")


def _same_values(df, seed_df):
    assert df["code"].tolist() == seed_df["code"].tolist()
    assert df["value"].equals(seed_df["value"])  # NaN where blank
    assert df["value"].notna().sum() == 150


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_xls_and_ods_read_like_xlsx(lo, seed_df, kind):
    df = load_appendix(lo[kind])
    _same_values(df, seed_df)
    xlsx = load_appendix(lo["xlsx"])
    assert df["line"].tolist() == xlsx["line"].tolist() and set(df["sheet"]) == {"PL CCHC 2022"}
    # the percent cell (0.9259 shown as 92,59%) is 92.59, a number stored as text is read as written
    plan = df[df["label"].str.startswith("Tỷ lệ hoàn thành Kế hoạch")].iloc[0]
    assert plan["value"] == 92.59
    assert df["raw_value"].tolist() == xlsx["raw_value"].tolist()
    assert read_raw(lo[kind]).format == kind


def test_doc_through_libreoffice(lo, seed_df):
    before = hashlib.sha256(lo["doc"].read_bytes()).hexdigest()
    df = load_appendix(lo["doc"])
    _same_values(df, seed_df)
    assert df["raw_value"].tolist() == seed_df["raw_value"].tolist()
    assert df["line"].tolist() == load_appendix(lo["docx"])["line"].tolist()
    assert df["source"].iloc[0].endswith(".doc") and read_raw(lo["doc"]).format == "doc"
    assert hashlib.sha256(lo["doc"].read_bytes()).hexdigest() == before


def test_doc_without_libreoffice_names_the_package(lo, monkeypatch):
    monkeypatch.setattr(legacy, "soffice_path", lambda: None)
    monkeypatch.setenv("CCHC_LANG", "vi")
    with pytest.raises(AppendixError) as info:
        load_appendix(lo["doc"])
    assert "apt-get install libreoffice-writer" in str(info.value) and "chưa cài LibreOffice" in str(info.value)


@pytest.mark.parametrize(("name", "data", "words"), [
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "corrupt"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "corrupt"),
    ("zip.doc", b"PK\x03\x04 whatever", "renamed to .docx"),
    ("zip.xls", b"PK\x03\x04 whatever", "renamed to .xlsx"),
    ("text.doc", b"just text", "not a Word 97-2003"),
    ("bad.ods", b"PK\x03\x04 not a zip", "corrupt"),
])
def test_broken_legacy_files(tmp_path, name, data, words):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(AppendixError, match=words) as info:
        load_appendix(p)
    assert str(p) in str(info.value)


def test_doc_that_libreoffice_cannot_convert(lo, tmp_path):
    # a valid OLE container holding a spreadsheet, named .doc: no WordDocument stream
    p = tmp_path / "sheet.doc"
    p.write_bytes(lo["xls"].read_bytes())
    with pytest.raises(AppendixError, match="WordDocument"):
        load_appendix(p)


def test_folder_of_legacy_files(lo, tmp_path, seed_text):
    import shutil

    for kind in ("xls", "ods", "doc", "pdf"):
        shutil.copy(lo[kind], tmp_path / f"a.{kind}")
    (tmp_path / "b.txt").write_text(seed_text, encoding="utf-8")
    table, errors, skipped = load_appendices(tmp_path)
    assert not errors and not skipped and table["source"].nunique() == 5
    by_file = table.groupby("source")["value"].apply(lambda s: s.notna().sum())
    assert set(by_file) == {150}


def test_xls_fuzz_run():
    """Mutated workbooks saved as .xls by LibreOffice, with byte hazards (``make fuzz``: 100)."""
    import shutil

    from tests import fuzz_appendix as fuzz

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    summary = fuzz.run_converted("xls", 12, seed=17, hazards=1 / 3)
    assert summary.files == 12 and summary.loaded >= 6 and summary.refused > 0 and summary.rows > 6 * 150
    assert summary.errors == [] and summary.wrong_values == [] and summary.wrong_lines == [], summary.report()
