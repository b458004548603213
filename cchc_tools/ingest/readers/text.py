"""Reader for text dumps of the appendix: tab-separated, five columns.

Real dumps lose the first (empty) cell of a row at Word page breaks, leaving
four fields; they also carry blank lines and title lines above the header.
``line`` is the line of the file, counted by ``\n``, ``\r\n`` and ``\r`` only: a cell may hold
Word's soft line break (``\x0b``), a form feed, NEL, U+2028 or U+2029.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import chain, compress, repeat
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cchc_tools.errors import AppendixError, LimitError
from cchc_tools.i18n import _, tr
from cchc_tools.ingest.readers.base import (
    RawRow,
    RawTable,
    check_short_cells,
    is_header,
    looks_like_stt,
    nearest_title,
)
from cchc_tools.ingest.readers.encoding import converted_note, decode_text, legacy_letters
from cchc_tools.limits import MAX_CELL_CHARS, MAX_CELLS_PER_ROW, MAX_ROWS, MAX_SHORT_CELL_CHARS, MAX_TEXT_LINES
from cchc_tools.text import (
    INVISIBLE,
    ODD_SPACES,
    clean,
    decode,
    drop_invisible,
    has_invisible,
    has_odd_spaces,
    line_count,
    normalize_nfc,
    split_lines,
)


def split_fields(fields: list[str]) -> tuple[str, str, str, str, str]:
    """(stt, label, uom, value, note) from a row's tab-separated fields."""
    n = len(fields)
    if n >= 5:
        stt, label, uom, value = fields[:4]
        note = " ".join(f for f in fields[4:] if f.strip())
        return stt, label, uom, value, note
    if n == 4:
        # A row that lost its first (empty) cell: label, uom, value, note.
        # A row that kept its number but lost its trailing note: stt, label, uom, value.
        if looks_like_stt(fields[0]) and clean(fields[0]):
            return fields[0], fields[1], fields[2], fields[3], ""
        return "", fields[0], fields[1], fields[2], fields[3]
    if n == 3:
        return "", fields[0], fields[1], fields[2], ""
    if n == 2:
        if looks_like_stt(fields[0]):
            return fields[0], fields[1], "", "", ""
        return "", fields[0], fields[1], "", ""
    return "", fields[0] if fields else "", "", "", ""


def _bounded(fields: list[str], path: str | Path, line: int) -> list[str]:
    """``fields`` if the row is within the limits of cells and cell length, else a LimitError."""
    if len(fields) > MAX_CELLS_PER_ROW:
        raise LimitError(path, _("a row of {n} cells").format(n=len(fields)), "MAX_CELLS_PER_ROW",
                         MAX_CELLS_PER_ROW, line=line)
    longest = max(fields, key=len)
    if len(longest) > MAX_CELL_CHARS:
        raise LimitError(path, tr("a cell of {n} characters", n=len(longest)), "MAX_CELL_CHARS",
                         MAX_CELL_CHARS, line=line)
    return fields


class TextHead(NamedTuple):
    """A text file read down to its header line: the table with its title and header line but no rows yet, the
    file's lines, the index of the header line, and whether the text holds odd spaces or invisible characters."""

    table: RawTable
    lines: list[str]
    header_at: int
    odd: bool
    invisible: bool
    #: At least the characters of the longest line (its bytes in UTF-8), or -1 when not known.
    longest: int = -1


def read_head(path: str | Path, data: bytes | None = None) -> TextHead:
    """The file read down to its header line (:class:`TextHead`); its rows are cut by :func:`rows_alone`, or with
    other files' by :func:`cut_together`."""
    return TextHead(*_table_head(path, data))


def rows_alone(head: TextHead) -> RawTable:
    """The table of ``head`` with its rows, cut as :func:`read_text` cuts them."""
    table, lines, header_at, odd, invisible, _ = head
    rows = _rows_bulk(table.path, lines, header_at, odd, invisible)
    if rows is None:
        _rows_strict(table, lines, header_at, table.path, odd, invisible)
    else:
        table.rows = rows
    return table


def read_text(path: str | Path, data: bytes | None = None) -> RawTable:
    """The appendix table of a text file: title lines, header line and raw rows.

    Rows are cut in bulk (:func:`_rows_bulk`: the limits checked once for the whole table, not on every
    row); when a limit may be reached, row by row (:func:`_rows_strict`, the reference the bulk cut is
    tested against), so that every error names the same line either way.
    """
    table, lines, header_at, odd, invisible, _ = _table_head(path, data)
    rows = _rows_bulk(table.path, lines, header_at, odd, invisible)
    if rows is None:
        _rows_strict(table, lines, header_at, path, odd, invisible)
    else:
        table.rows = rows
    return table


def read_text_strict(path: str | Path, data: bytes | None = None) -> RawTable:
    """:func:`read_text` with every row cut one by one: the reference the bulk cut is tested against."""
    table, lines, header_at, odd, invisible, _ = _table_head(path, data)
    _rows_strict(table, lines, header_at, path, odd, invisible)
    return table


def _table_head(path: str | Path, data: bytes | None) -> tuple[RawTable, list[str], int, bool, bool, int]:
    """The table with its title and header line but no rows yet, the file's lines, the index of the
    header line, whether the text holds odd spaces or invisible characters, and at least the length of its
    longest line (-1: not known)."""
    if data is None:
        data = Path(path).read_bytes()
    plain = _plain_utf8(data)  # UTF-8 with no special character: decoded, and that is all
    if plain is not None:
        try:
            text, legacy = decode(data, path), None
        except AppendixError:  # a control character, bytes that are not UTF-8 (a legacy encoding?): as below
            plain = None
    if plain is None:
        text, legacy = decode_text(data, path, decode)  # a TCVN3 or VNI text converted (ingest/readers/encoding.py)
    n_lines = line_count(text) if plain is None else plain.lines
    if n_lines > MAX_TEXT_LINES:
        raise LimitError(path, tr("{n} lines", n=n_lines), "MAX_TEXT_LINES", MAX_TEXT_LINES)
    if plain is not None:
        invisible = odd = False
    else:
        # UTF-8 with no byte 0xCC or 0xCD holds no combining mark (U+0300-U+036F): already NFC.
        if (data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096] or b"\xcc" in data
                or b"\xcd" in data):
            text = normalize_nfc(text)
        text = text.removeprefix("\ufeff")
        # Zero-width spaces, BOMs and soft hyphens are dropped from every cell but the value: there
        # "4\u200b86" is not 486.
        invisible = has_invisible(text)
        odd = has_odd_spaces(text)  # rare: then every cell is normalised the slow way
    table = RawTable(path=str(path), format="text")
    if legacy:
        table.notes.append(converted_note(legacy))
    lines = split_lines(text)
    header_at = None
    for i, line in enumerate(lines):
        if "\t" in line and _header_cells(tuple(_bounded(line.split("\t"), path, i + 1))):
            header_at = i
            break
        if len(line) > MAX_CELL_CHARS:
            _bounded([line], path, i + 1)
        title = clean(line)
        if title:
            table.title.append(title)
        if i > 60:
            break
    if header_at is None:
        raise AppendixError(path, _("no appendix table header found in the first lines"),
                            line=1, expected=_("a header row THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / "
                                               "Số lượng/ tỷ lệ / Ghi chú, separated by tabs"))
    table.header_line = header_at + 1
    table.title = nearest_title(table.title)
    return table, lines, header_at, odd, invisible, -1 if plain is None else plain.longest


@lru_cache(maxsize=1024)
def _header_cells(cells: tuple[str, ...]) -> bool:
    """:func:`~cchc_tools.ingest.readers.base.is_header` of a line's cells, asked once per distinct line (files of one
    template share their header line)."""
    return is_header(list(cells))


#: First bytes of UTF-8 characters a Vietnamese text commonly holds (its letters, dashes, quotes and ellipses) that also
#: begin special characters (:func:`_plain_utf8`): after these the next byte is looked at, and the one after it where
#: a special character and a common one share their first two bytes.
_COMMON_LEADS = frozenset({0xC3, 0xE1, 0xE2})


class _Special(NamedTuple):
    """The UTF-8 of the characters that make a text special, as :func:`_plain_utf8` looks for them."""

    delete: bytes  # the bytes to delete to keep those any of which is enough
    pairs: tuple[tuple[int, np.ndarray], ...]  # a common first byte, and the second bytes after which to look on
    tails: frozenset[bytes]  # the second and third bytes of the special characters of three bytes


@lru_cache(maxsize=1)
def _special_utf8() -> _Special:
    """The special characters (odd spaces, invisible characters, letters of a legacy encoding, combining marks) by
    their bytes in UTF-8: a single byte, or a first byte a Vietnamese text seldom holds, is enough; after a common
    first byte, the next byte (a LUT of the 256 values) and, for characters of three bytes, the third."""
    chars = {ch for space in ODD_SPACES if space != "  " for ch in space} | set(INVISIBLE) | set(legacy_letters())
    enough = {0xCC, 0xCD}  # a combining mark U+0300-U+037F: the text may not be NFC
    second: dict[int, np.ndarray] = {}
    tails = set()
    for ch in chars:
        b = ch.encode("utf-8")
        if len(b) == 1 or b[0] not in _COMMON_LEADS:
            enough.add(b[0])
            continue
        second.setdefault(b[0], np.zeros(256, dtype=bool))[b[1]] = True
        if len(b) == 3:
            tails.add(b[1:])
    return _Special(bytes(b for b in range(256) if b not in enough), tuple(sorted(second.items())), frozenset(tails))


class _Plain(NamedTuple):
    lines: int  # as line_count counts them
    longest: int  # bytes of the longest line: at least its characters


def _plain_utf8(data: bytes) -> _Plain | None:
    """The number of lines of ``data`` (as :func:`~cchc_tools.text.line_count` counts them) and the length in bytes
    of its longest line, when it is UTF-8 (with or without a BOM) holding none of the characters that make a text
    special (odd spaces, invisible characters, letters of a legacy encoding, combining marks); else None, and the
    text is examined character by character (as it is when the bytes only may hold one: a rare first byte).

    Looked for in the bytes, several times faster than the character tests. Bytes that are not valid UTF-8 are
    left to the decoder's error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    special = _special_utf8()
    if body.translate(None, special.delete):
        return None
    arr = np.frombuffer(body + b"\n\n", dtype=np.uint8)  # two bytes more: every character's next two bytes exist
    space = arr == 32
    if (space[1:] & space[:-1]).any():  # two spaces
        return None
    for lead, second in special.pairs:
        follow = np.flatnonzero(second)
        if len(follow) <= 2:  # one or two second bytes: looked for beside the first, without listing the first
            near = arr[1:-1] == follow[0]
            if len(follow) == 2:
                near |= arr[1:-1] == follow[1]
            near &= arr[:-2] == lead
            at = np.flatnonzero(near) if near.any() else ()
        else:
            at = np.flatnonzero(arr[:-2] == lead)
            at = at[second[arr[at + 1]]].tolist()  # a special character may begin here
        for i in at:
            if arr[i] >= 0xE0 and body[i + 1:i + 3] not in special.tails:  # a common character of three bytes
                continue
            return None
    ends = np.flatnonzero(arr[:-2] == 10)
    lines = len(ends) + 1
    edges = np.concatenate(((-1,), ends, (len(arr) - 2,)))
    longest = int((edges[1:] - edges[:-1]).max()) - 1  # "\r" counted: at least the longest line
    if b"\r" in body:
        lines += int(np.count_nonzero(arr == 13)) - body.count(b"\r\n")
    return _Plain(lines, longest)


def _rows_bulk(path: str, lines: list[str], header_at: int, odd: bool = False,
               invisible: bool = False) -> list[RawRow] | None:
    """The rows below the header, or None when a limit may be reached (then :func:`_rows_strict` finds
    the first line at fault). ``odd`` and ``invisible``: the text holds odd spaces or invisible characters.

    The limits are checked once for the whole table (the longest line, the most cells, the number of
    lines) instead of on every row; the cells are cut as :func:`_rows_strict` cuts them.
    """
    body = lines[header_at + 1:]
    if not body:
        return []
    if len(body) > MAX_ROWS or max(map(len, body)) > MAX_CELL_CHARS:
        return None
    cut = [line.split("\t") for line in body]
    if max(map(len, cut)) > MAX_CELLS_PER_ROW:
        return None
    rows: list[RawRow] = []
    append_row = rows.append
    short = MAX_SHORT_CELL_CHARS
    for n, fields in enumerate(cut, header_at + 2):
        if len(fields) == 5:
            stt, label, uom, value, note = fields
        elif not body[n - header_at - 2].strip():
            continue
        else:
            stt, label, uom, value, note = split_fields(fields)
        if odd:  # the value is only stripped: "1\x0b070" is not 1070
            stt, label, uom, note = (" ".join(f.split()) for f in (stt, label, uom, note))
        if invisible:
            stt, label, uom, note = (drop_invisible(f) for f in (stt, label, uom, note))
        label, value = label.strip(), value.strip()
        if not label and not value:
            continue
        stt, uom = stt.strip(), uom.strip()
        if len(stt) > short or len(uom) > short:
            return None
        append_row(RawRow(n, stt, label, uom, value, note.strip()))
    return rows


def _rows_strict(table: RawTable, lines: list[str], header_at: int, path: str | Path, odd: bool,
                 invisible: bool) -> None:
    """The rows below the header, cut and checked one by one (the reference reading)."""
    rows = table.rows
    for i in range(header_at + 1, len(lines)):
        line = lines[i]
        fields = line.split("\t")
        if len(fields) > MAX_CELLS_PER_ROW or len(line) > MAX_CELL_CHARS:
            _bounded(fields, path, i + 1)
        if len(fields) == 5:
            stt, label, uom, value, note = fields
        elif not line.strip():
            continue
        else:
            stt, label, uom, value, note = split_fields(fields)
        if odd:  # the value is only stripped: "1\x0b070" is not 1070
            stt, label, uom, note = (" ".join(f.split()) for f in (stt, label, uom, note))
        if invisible:
            stt, label, uom, note = (drop_invisible(f) for f in (stt, label, uom, note))
        label, value = label.strip(), value.strip()
        if not label and not value:
            continue
        if len(rows) >= MAX_ROWS:
            raise LimitError(path, tr("a table of more than {n} rows", n=MAX_ROWS), "MAX_ROWS", MAX_ROWS,
                             line=i + 1)
        rows.append(check_short_cells(table.path, RawRow(i + 1, stt.strip(), label, uom.strip(), value, note.strip())))


class BodyCut(NamedTuple):
    """The rows of many files cut together, column by column (:func:`cut_together`). The rows of the ``k``-th file
    are ``[start[k]:stop[k]]`` of every column; ``alone`` lists the files left to :func:`rows_alone`."""

    line: np.ndarray  # int64
    stt: list[str]
    label: list[str]
    uom: list[str]
    value: list[str]
    note: list[str]
    start: list[int]
    stop: list[int]
    alone: list[int]


def cut_together(heads: Sequence[TextHead]) -> BodyCut:
    """The rows below the header of every file of ``heads``, cut in one pass over all their lines, as
    :func:`_rows_bulk` cuts one file's: the same line, cells and blanks for every row.

    A file the pass cannot prove regular is left to :func:`rows_alone` (listed in ``alone``, no rows here): one with
    more lines than rows allowed, a line or a row beyond the limits of cells, or a THỨ TỰ or ĐƠN VỊ TÍNH cell longer
    than allowed, so that its reading, or its error, is the reference's. The cells of a file with odd spaces or
    invisible characters are cleaned row by row, as :func:`_rows_bulk` cleans them.
    """
    alone: set[int] = set()
    bodies: list[list[str]] = []
    special: list[int] = []  # files with odd spaces or invisible characters
    unknown: list[int] = []  # files whose longest line is not known to be within the limit of a cell
    for k, (_table, lines, header_at, odd, invisible, longest) in enumerate(heads):
        body = lines[header_at + 1:]
        if len(body) > MAX_ROWS:
            alone.add(k)
            body = []
        elif odd or invisible:
            special.append(k)
        if not 0 <= longest <= MAX_CELL_CHARS:
            unknown.append(k)
        bodies.append(body)
    files = len(heads)
    counts = np.fromiter(map(len, bodies), np.int64, files)
    bounds = np.zeros(files + 1, np.int64)
    np.cumsum(counts, out=bounds[1:])
    lines = list(chain.from_iterable(bodies))
    n = len(lines)
    of_file = np.repeat(np.arange(files), counts)
    # the line of a row: the header's line + 1 + its place below the header
    line = np.repeat(np.array([h.header_at + 2 for h in heads], np.int64) - bounds[:-1], counts) + np.arange(n)
    width = np.fromiter(map(str.count, lines, repeat("\t")), np.int64, n) + 1
    alone.update(of_file[width > MAX_CELLS_PER_ROW].tolist())
    for k in unknown:
        if bounds[k + 1] > bounds[k] and max(map(len, lines[bounds[k]:bounds[k + 1]])) > MAX_CELL_CHARS:
            alone.add(k)
    # A line of other than five cells (one lost at a page break, a note cut by a tab) is written again with the five
    # cells it stands for, a blank line is dropped; then every cell of every line comes from one split (a list per
    # line would cost more than the cutting), and each column is every fifth cell.
    blank = []
    for i in np.flatnonzero(width != 5).tolist():
        text = lines[i]
        if text.strip():
            lines[i] = _five_cells(text)
        else:
            blank.append(i)
    if blank:
        keep = np.ones(n, bool)
        keep[blank] = False
        lines = list(compress(lines, keep.tolist()))
        line, of_file = line[keep], of_file[keep]
    cells = "\t".join(lines).split("\t") if lines else []
    del lines
    stt, label, uom, value, note = (cells[j::5] for j in range(5))
    del cells
    if special:
        starts = np.searchsorted(of_file, np.arange(files + 1))
        for k in special:
            _clean_cells((stt, label, uom, note), int(starts[k]), int(starts[k + 1]), heads[k].odd,
                         heads[k].invisible)
    label, value = list(map(str.strip, label)), list(map(str.strip, value))
    if "" in label:  # a row with neither a label nor a value is no row
        keep = np.fromiter(map(bool, label), bool, len(label)) | np.fromiter(map(bool, value), bool, len(value))
        if not keep.all():
            mask = keep.tolist()
            stt, label, uom, value, note = (list(compress(c, mask)) for c in (stt, label, uom, value, note))
            line, of_file = line[keep], of_file[keep]
    stt, uom = list(map(str.strip, stt)), list(map(str.strip, uom))
    if stt and max(max(map(len, stt)), max(map(len, uom))) > MAX_SHORT_CELL_CHARS:
        long = (np.fromiter(map(len, stt), np.int64, len(stt)) > MAX_SHORT_CELL_CHARS) | (
            np.fromiter(map(len, uom), np.int64, len(uom)) > MAX_SHORT_CELL_CHARS)
        alone.update(of_file[long].tolist())
    if alone:  # a limit reached: the file is read alone, so that its error names the line
        keep = ~np.isin(of_file, sorted(alone))
        if not keep.all():
            mask = keep.tolist()
            stt, label, uom, value, note = (list(compress(c, mask)) for c in (stt, label, uom, value, note))
            line, of_file = line[keep], of_file[keep]
    kept = np.zeros(files + 1, np.int64)
    np.cumsum(np.bincount(of_file, minlength=files), out=kept[1:])
    return BodyCut(line, stt, label, uom, value, list(map(str.strip, note)), kept[:-1].tolist(), kept[1:].tolist(),
                   sorted(alone))


@lru_cache(maxsize=4096)
def _five_cells(line: str) -> str:
    """A line of other than five cells written again with the five it stands for (:func:`split_fields`), joined by
    tabs (no cell holds one); asked once per distinct line (copies of a file, files of one template)."""
    return "\t".join(split_fields(line.split("\t")))


def _clean_cells(columns: tuple[list[str], ...], start: int, stop: int, odd: bool, invisible: bool) -> None:
    """The cells of rows ``start:stop`` of ``columns`` (THỨ TỰ, label, unit, note: the value is only stripped,
    "1\x0b070" is not 1070) cleaned as :func:`_rows_bulk` cleans a file's with odd spaces (every run of spaces one
    space) or invisible characters (dropped)."""
    for column in columns:
        part = column[start:stop]
        if odd:
            part = [" ".join(f.split()) for f in part]
        if invisible:
            part = list(map(drop_invisible, part))
        column[start:stop] = part
