"""The text reader's bulk cut of rows against its row-by-row reference (``read_text_strict``), on the fuzz
corpus of ``tests/fuzz_appendix.py`` and on files made to reach each limit: the same title, header line,
rows (line, cells, blank values) and the same error at the same line; and, loaded and validated, the same
tidy table and the same findings."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

import cchc_tools.ingest.readers as readers
import cchc_tools.ingest.readers.text as text_reader
from cchc_tools import load_appendices, validate
from cchc_tools.errors import CchcError
from cchc_tools.ingest.readers.text import read_text, read_text_strict
from cchc_tools.limits import MAX_CELL_CHARS, MAX_CELLS_PER_ROW, MAX_ROWS, MAX_SHORT_CELL_CHARS
from tests import fuzz_appendix as fuzz


def _outcome(reader, path: Path, data: bytes):
    """The table a reader reads, or the kit's error it raises (its type, text and line)."""
    try:
        return reader(path, data)
    except CchcError as exc:
        return type(exc).__name__, str(exc), getattr(exc, "line", None)


def _fuzz_corpus(folder: Path, files: int, seed: int) -> list[tuple[Path, bytes]]:
    lines = fuzz._seed_lines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("THỨ TỰ"))
    rng = random.Random(seed)
    out = []
    for n in range(files):
        data = fuzz.mutate(lines, header_at, rng).data
        path = folder / f"fuzz-{n:04d}.txt"
        path.write_bytes(data)
        out.append((path, data))
    return out


def _differences(corpus: list[tuple[Path, bytes]]) -> list[str]:
    wrong = []
    for path, data in corpus:
        fast, strict = _outcome(read_text, path, data), _outcome(read_text_strict, path, data)
        if fast != strict:
            wrong.append(f"{path.name}: {str(fast)[:200]} != {str(strict)[:200]}")
    return wrong


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[Path, bytes]]:
    return _fuzz_corpus(tmp_path_factory.mktemp("fuzz"), 400, seed=28)


def test_the_bulk_cut_reads_the_fuzz_corpus_as_the_reference_does(corpus, monkeypatch):
    bulk = []
    original = text_reader._rows_bulk

    def counting(*args):
        rows = original(*args)
        bulk.append(rows is not None)
        return rows

    monkeypatch.setattr(text_reader, "_rows_bulk", counting)
    assert _differences(corpus) == []
    assert sum(bulk) > 300  # the bulk cut did read most files, not the reference alone
    assert not all(bulk)  # and some were left to the reference (a long cell, ...)
    refused = [o for o in (_outcome(read_text, p, d) for p, d in corpus) if isinstance(o, tuple)]
    assert refused  # the errors were compared too


def test_the_comparison_catches_a_bulk_cut_that_drifts_or_drops_blanks(corpus, monkeypatch):
    original = text_reader._rows_bulk

    def drifting(*args):
        rows = original(*args)
        if rows:
            rows[len(rows) // 2].line += 1
        return rows

    monkeypatch.setattr(text_reader, "_rows_bulk", drifting)
    assert _differences(corpus[:20])
    monkeypatch.setattr(text_reader, "_rows_bulk", original)

    def guessing(*args):
        rows = original(*args)
        for r in rows or []:
            r.value = r.value or "0"  # a blank read as 0
        return rows

    monkeypatch.setattr(text_reader, "_rows_bulk", guessing)
    assert _differences(corpus[:20])


def _seed_with(tmp_path: Path, name: str, edit) -> tuple[Path, bytes]:
    lines = fuzz._seed_lines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("THỨ TỰ"))
    lines = edit(lines, header_at)
    path = tmp_path / f"{name}.txt"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    return path, path.read_bytes()


def _long_cell(lines, h):
    lines[h + 9] += "\t" + "x" * (MAX_CELL_CHARS + 1)
    return lines


def _long_line_short_cells(lines, h):
    lines[h + 9] += "\t" + "\t".join(["y" * 500] * 6)
    return lines


def _many_cells(lines, h):
    lines[h + 12] += "\t" * MAX_CELLS_PER_ROW
    return lines


def _many_rows(lines, h):
    return lines + [f"\tDòng thêm {i}\tSố\t{i}\t" for i in range(MAX_ROWS)]


def _long_stt(lines, h):
    fields = lines[h + 20].split("\t")
    fields[0] = "1" * (MAX_SHORT_CELL_CHARS + 1)
    lines[h + 20] = "\t".join(fields)
    return lines


def _odd_spaces_and_invisible(lines, h):
    lines[h + 5] = lines[h + 5].replace(" ", "\u00a0", 2)
    lines[h + 7] = lines[h + 7].replace("\t", "\t\u200b", 2)
    return lines


def _short_rows(lines, h):
    return lines[: h + 1] + ["I\tCông tác chỉ đạo", "\tSố kế hoạch\tKế hoạch", "\tSố văn bản\tVăn bản\t12",
                             "1\tSố cuộc họp\tCuộc\t3", "   ", "\t\t\t\t", "a", ""] + lines[h + 1:]


@pytest.mark.parametrize("edit", [_long_cell, _long_line_short_cells, _many_cells, _many_rows, _long_stt,
                                  _odd_spaces_and_invisible, _short_rows])
def test_files_at_the_limits_read_as_the_reference_reads_them(tmp_path, edit):
    path, data = _seed_with(tmp_path, edit.__name__, edit)
    assert _outcome(read_text, path, data) == _outcome(read_text_strict, path, data)


def test_loaded_and_validated_the_same(corpus, monkeypatch):
    """Values, blanks, lines, errors and findings of a batch loaded with either cut."""
    files = [p for p, _ in corpus[:80]]
    fast = load_appendices(files)
    monkeypatch.setattr(readers, "read_text", read_text_strict)
    strict = load_appendices(files)
    assert [str(e) for e in fast.errors] == [str(e) for e in strict.errors]
    assert len(fast.table) > 50 * 150
    pd.testing.assert_frame_equal(fast.table, strict.table)
    pd.testing.assert_frame_equal(validate(fast.table), validate(strict.table))
