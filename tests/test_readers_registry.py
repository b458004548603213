"""Input formats are a registry: one ``register`` line makes the loader find and read a new format."""

from __future__ import annotations

import shutil

import pytest

from cchc_tools import load_appendices
from cchc_tools.ingest import readers
from cchc_tools.ingest.loader import find_files


@pytest.fixture
def registry():
    kept = dict(readers.READERS)
    yield readers.READERS
    readers.READERS.clear()
    readers.READERS.update(kept)


def test_every_format_the_loader_takes_has_one_registered_reader():
    assert {".txt", ".tsv", ".docx", ".xlsx", ".xlsm", ".pdf", ".xls", ".ods", ".doc"} == set(readers.READERS)
    assert ".docm" not in readers.READERS  # refused by the loader with advice, never read


def test_a_registered_format_is_found_and_read(tmp_path, seed_path, registry):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(seed_path, folder / "phu-luc.bang")
    assert find_files([folder]) == ([], [str(folder / "phu-luc.bang")])  # not a format: passed over

    seen = []

    def read_bang(path):
        seen.append(path.name)
        return readers.read_text(path)

    readers.register(".BANG", read_bang)
    files, skipped = find_files([folder])
    assert [f.name for f in files] == ["phu-luc.bang"] and not skipped
    result = load_appendices(files)
    assert seen == ["phu-luc.bang"] and not result.errors
    assert result.table["value"].notna().sum() == 150  # the bundled appendix's values, read through it
