"""The text reader's bulk cut of rows against its row-by-row reference (``read_text_strict``), on the fuzz
corpus of ``tests/fuzz_appendix.py`` and on files made to reach each limit: the same title, header line,
rows (line, cells, blank values) and the same error at the same line; and, loaded and validated, the same
tidy table and the same findings. The same for the cut of many files together (``cut_together``, what
``load_appendices`` does with text files), on batches mixing plain files, files with odd characters, files at
the limits and files that cannot be read; and the byte scan that tells a plain UTF-8 text (``_plain_utf8``)
against the character tests it stands for."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

import cchc_tools.ingest.loader as loader
import cchc_tools.ingest.readers as readers
import cchc_tools.ingest.readers.text as text_reader
from cchc_tools import load_appendices, validate
from cchc_tools.errors import CchcError
from cchc_tools.ingest.readers.encoding import legacy_letters
from cchc_tools.ingest.readers.text import _plain_utf8, cut_together, read_head, read_text, read_text_strict
from cchc_tools.limits import MAX_CELL_CHARS, MAX_CELLS_PER_ROW, MAX_ROWS, MAX_SHORT_CELL_CHARS
from cchc_tools.text import INVISIBLE, ODD_SPACES, decode, has_invisible, has_odd_spaces, line_count, split_lines
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


def _load_one_by_one(files, monkeypatch):
    """``load_appendices`` with every text file read alone by the reference reader (no cut across files)."""
    with monkeypatch.context() as m:
        m.setitem(readers.READERS, ".txt", read_text_strict)
        return load_appendices(files)


def test_loaded_and_validated_the_same(corpus, monkeypatch):
    """Values, blanks, lines, errors and findings of a batch loaded with either cut."""
    files = [p for p, _ in corpus[:80]]
    fast = load_appendices(files)
    strict = _load_one_by_one(files, monkeypatch)
    assert [str(e) for e in fast.errors] == [str(e) for e in strict.errors]
    assert len(fast.table) > 50 * 150
    pd.testing.assert_frame_equal(fast.table, strict.table)
    pd.testing.assert_frame_equal(validate(fast.table), validate(strict.table))


# --- many files cut together --------------------------------------------------------------------------------

PLAIN_VALUES = ["", "0", "1.070", "24.407", "92,59", "99,87%", "1.5", "85.27", "abc", "-3", "1 070", "  12  ", "x"]


def _plain_mutant(lines: list[str], header_at: int, rng: random.Random) -> bytes:
    """The bundled appendix with plain edits only (the cut across files takes such files): values changed, rows that
    lost their first cell or gained a cell, blank lines, a title line more, CRLF or CR line ends, a BOM."""
    lines = list(lines)
    rows = [i for i in range(header_at + 1, len(lines)) if fuzz._value_index(lines[i].split("\t")) is not None]
    for i in rng.sample(rows, k=rng.randint(0, 15)):
        fields = lines[i].split("\t")
        fields[fuzz._value_index(fields)] = rng.choice(PLAIN_VALUES)
        lines[i] = "\t".join(fields)
    for i in rng.sample(rows, k=rng.randint(0, 4)):
        fields = lines[i].split("\t")
        if len(fields) == 5 and not fields[0]:
            lines[i] = "\t".join(fields[1:])  # lost its first (empty) cell at a page break
        elif len(fields) == 5:
            lines[i] = lines[i] + "\tghi chú thêm\t"  # a note cut by tabs
    for _ in range(rng.randint(0, 3)):
        lines.insert(rng.randint(header_at + 1, len(lines)), rng.choice(["", "\t\t\t\t", "   ", "\t\t"]))
    if rng.random() < 0.3:
        lines.insert(0, "Phụ lục")
    text = rng.choice(["\n", "\n", "\r\n", "\r"]).join(lines)
    return (b"\xef\xbb\xbf" if rng.random() < 0.2 else b"") + text.encode("utf-8")


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory, corpus) -> list[Path]:
    """Plain files, the fuzz corpus (odd characters, other encodings, errors) and files at each limit, interleaved."""
    folder = tmp_path_factory.mktemp("mixed")
    lines = fuzz._seed_lines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("THỨ TỰ"))
    rng = random.Random(2028)
    plain = []
    for n in range(150):
        path = folder / f"plain-{n:03d}.txt"
        path.write_bytes(_plain_mutant(lines, header_at, rng))
        plain.append(path)
    limits = []
    for edit in (_long_cell, _long_line_short_cells, _many_cells, _many_rows, _long_stt, _odd_spaces_and_invisible,
                 _short_rows):
        path, _ = _seed_with(folder, edit.__name__, edit)
        limits.append(path)
    fuzzed = [p for p, _ in corpus[:120]]
    batch = []
    for k in range(150):
        batch.append(plain[k])
        if k < len(fuzzed):
            batch.append(fuzzed[k])
        if k % 20 == 0 and limits:
            batch.append(limits.pop())
    return batch


def test_a_batch_cut_together_loads_as_its_files_read_one_by_one(mixed_batch, monkeypatch):
    """Every value with its file and line, every blank, every error (its file, line and words) and every finding of a
    batch mixing plain and irregular files equal those of the same files read alone by the reference reader."""
    cut = []
    original = text_reader.cut_together

    def spying(heads):
        result = original(heads)
        cut.append((len(heads), len(result.alone)))
        return result

    monkeypatch.setattr(text_reader, "cut_together", spying)
    together = load_appendices(mixed_batch)
    monkeypatch.undo()
    alone = _load_one_by_one(mixed_batch, monkeypatch)
    heads, left = (sum(c) for c in zip(*cut, strict=True))
    assert heads > 250 and 0 < left < 10  # most files cut together, those at a limit left to the reference
    assert len(cut) == -(-len(mixed_batch) // loader.CHUNK_FILES)  # a chunk of files at a time
    assert [str(e) for e in together.errors] == [str(e) for e in alone.errors]
    assert len(together.errors) > 5 and len(together.table) > 200 * 150
    assert together.table["source"].nunique() > 200
    pd.testing.assert_frame_equal(together.table, alone.table, check_exact=True)
    pd.testing.assert_frame_equal(validate(together.table), validate(alone.table))


def test_the_table_does_not_depend_on_the_chunks(mixed_batch, monkeypatch):
    files = mixed_batch[:60]
    whole = load_appendices(files)
    monkeypatch.setattr(loader, "CHUNK_FILES", 7)
    chunked = load_appendices(files)
    assert [str(e) for e in chunked.errors] == [str(e) for e in whole.errors]
    pd.testing.assert_frame_equal(chunked.table, whole.table, check_exact=True)


def test_the_batch_comparison_catches_a_cut_that_drifts_or_guesses(mixed_batch, monkeypatch):
    files = mixed_batch[:40]
    alone = _load_one_by_one(files, monkeypatch).table
    original = text_reader.cut_together

    def drifting(heads):
        result = original(heads)
        result.line[len(result.line) // 2] += 1
        return result

    monkeypatch.setattr(text_reader, "cut_together", drifting)
    assert not load_appendices(files).table.equals(alone)

    def guessing(heads):
        result = original(heads)
        result.value[:] = [v or "0" for v in result.value]  # a blank read as 0
        return result

    monkeypatch.setattr(text_reader, "cut_together", guessing)
    assert not load_appendices(files).table.equals(alone)


def test_the_cut_together_equals_each_file_cut_alone(mixed_batch):
    """The cut itself: each file's rows (line and cells) as the reference cuts them; the files it leaves are those the
    reference refuses or reads row by row."""
    heads, strict = [], []
    for path in mixed_batch:
        try:
            strict.append(read_text_strict(path))
        except CchcError:
            continue
        heads.append(read_head(path))
    result = cut_together(heads)
    for k, table in enumerate(strict):
        if k in result.alone:
            continue
        a, b = result.start[k], result.stop[k]
        got = list(zip(result.line[a:b], result.stt[a:b], result.label[a:b], result.uom[a:b], result.value[a:b],
                       result.note[a:b], strict=True))
        assert got == [(r.line, r.stt, r.label, r.uom, r.value, r.note) for r in table.rows], table.path
    assert len(result.alone) < 5


# --- the byte scan of a plain UTF-8 text ---------------------------------------------------------------------

SPECIAL = sorted({ch for space in ODD_SPACES if space != "  " for ch in space} | set(INVISIBLE) | set(legacy_letters())
                 | {"\u0301", "\u0323"})  # and combining marks (a text that may not be NFC)


def _plain_by_characters(data: bytes) -> tuple[int, int] | None:
    """What ``_plain_utf8`` stands for, by the character tests: the line count of a UTF-8 text with none of the
    special characters and the characters of its longest line, else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    try:
        text = decode(data, "x.txt")
    except CchcError:
        return None
    if has_odd_spaces(text) or has_invisible(text) or any(ch in text for ch in SPECIAL):
        return None
    return line_count(text), max(map(len, split_lines(text)))


def test_the_byte_scan_finds_every_special_character_wherever_it_stands(seed_text):
    base = seed_text.encode("utf-8")
    plain = _plain_utf8(base)  # the bundled appendix is plain: the fast path is taken
    assert plain.lines == line_count(seed_text) and plain.longest == max(len(line.encode()) for line in
                                                                          seed_text.split("\n"))
    assert _plain_utf8(b"\xef\xbb\xbf" + base) == plain
    cut = base.index("Số".encode()) - 1
    for ch in [*SPECIAL, "  "]:
        for data in (ch.encode() + base, base[:cut] + ch.encode() + base[cut:], base + ch.encode(),
                     b"\xef\xbb\xbf" + ch.encode() + base):
            if data.startswith(b"\xef\xbb\xbf" + base[:5]):  # U+FEFF first is the BOM, dropped: plain
                assert _plain_utf8(data) == plain
                continue
            assert _plain_utf8(data) is None, repr(ch)


def test_the_byte_scan_agrees_with_the_character_tests(corpus, mixed_batch, seed_text):
    """On the fuzz corpus, the mixed batch and random texts of Vietnamese letters, punctuation, spaces and line
    ends: a text the scan calls plain is plain by the character tests, with the same number of lines."""
    rng = random.Random(7)
    alphabet = list("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựíìỉĩịýỳỷỹỵ0123456789.,;:%()/-")
    alphabet += ["–", "—", "…", "“", "”", "‘", "’", "•", "€", " ", "\t", "\n", "\r", "\r\n"]
    texts = []
    for _ in range(3000):
        chars = [rng.choice(alphabet) for _ in range(rng.randint(1, 400))]
        if rng.random() < 0.5:  # one special character somewhere
            chars.insert(rng.randint(0, len(chars)), rng.choice(SPECIAL))
        texts.append("".join(chars).encode())
    datas = [d for _, d in corpus] + [p.read_bytes() for p in mixed_batch] + texts
    plain = 0
    for data in datas:
        got = _plain_utf8(data)
        if got is not None:
            plain += 1
            lines, longest = _plain_by_characters(data)
            assert got.lines == lines and got.longest >= longest, data[:80]
        elif _plain_by_characters(data) is not None:  # declined a plain text: allowed, not often
            assert b"\xc2" in data or b"\xe3" in data or b"\xef" in data, data[:80]
    assert plain > 1000
