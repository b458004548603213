"""The quick scan of a sheet's XML finds exactly what the reference pass finds, or leaves it to it."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from cchc_tools.demo import generate
from cchc_tools.ingest.readers import xlsx as X
from tests.office_fixtures import add_cached_formula, build_xlsx


def _sheets(path: Path):
    with zipfile.ZipFile(path) as zf:
        book = X._workbook(path, zf)
        for title, part in book.sheets:
            if part in zf.NameToInfo:
                yield book, title, zf.read(part)


def _quick(book, xml):
    return X._scan_quick(xml, book, xml.count(b"<row"), xml.count(b"<c"))


def _percent_book(book):
    """The same workbook with more formats counted as percent (so the percent marks are exercised)."""
    return X.Workbook(book.sheets, book.percent_styles | {0, 1, 3, 7}, book.shared_lengths)


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory, seed_path):
    tmp = tmp_path_factory.mktemp("scan")
    files = [build_xlsx(seed_path, tmp / "seed.xlsx"), build_xlsx(seed_path, tmp / "plain.xlsx", extra_sheet=False)]
    add_cached_formula(files[1], "D12", "20+5", "25")
    add_cached_formula(files[1], "D13", "SUM(D1:D2)", None)
    files += generate(tmp / "gen", units=2, years=[2022, 2023], formats=("xlsx",))
    return files


def _variants(xml: bytes):
    """The sheet as other writers (or a hostile one) could write it."""
    yield "as is", xml
    yield "style before position", re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', xml)
    yield "style after type", re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)" t="([a-zA-Z]+)"',
                                     rb'<c r="\1" t="\3"  s = "\2"', xml)
    yield "no position on one cell", xml.replace(b'<c r="B9"', b"<c", 1)
    yield "prefixed", xml.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>")
    yield "single quotes", xml.replace(b'<c r="D10"', b"<c r='D10'", 1)
    yield "row far below", xml.replace(b"</sheetData>", b'<row r="20000"/></sheetData>', 1)
    yield "cell far right", xml.replace(b"</sheetData>", b'<row r="300"><c r="ZZ300"><v>1</v></c></row></sheetData>', 1)
    yield "formula without value", xml.replace(b'<c r="D9" t="n"><v>', b'<c r="D9"><f>1+1</f><v>', 1) \
        .replace(b"<f>1+1</f><v>", b"<f>1+1</f><v></v><!--", 1)
    yield "data validation formula", xml.replace(b"</worksheet>", b"<x><formula1>1</formula1></x></worksheet>")


def test_quick_scan_is_the_reference_scan(workbooks):
    quick_taken = 0
    for path in workbooks:
        for book, title, xml in _sheets(path):
            for name, variant in _variants(xml):
                for b in (book, _percent_book(book)):
                    try:
                        ref = X._scan_reference(path, variant, b, title)
                    except Exception as exc:  # refused: the quick scan must not accept it
                        assert _quick(b, variant) is None, (path, name)
                        with pytest.raises(type(exc)):
                            X._scan(path, variant, b, title)
                        continue
                    q = _quick(b, variant)
                    if q is not None:
                        quick_taken += 1
                        assert q == ref, (path, name)
                    assert X._scan(path, variant, b, title) == ref, (path, name)
    assert quick_taken >= len(workbooks) * 4  # the usual files take the quick path


def test_quick_scan_finds_percent_cells_and_uncomputed_formulas(workbooks):
    path = workbooks[1]
    (book, _title, xml), = _sheets(path)
    scan = _quick(book, xml)
    assert scan is not None and (13, 4) in scan.formulas and (12, 4) not in scan.formulas
    assert scan.percent  # the seed's plan-completion rate is stored as 0.9259 with a % format
