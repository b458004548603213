"""Fuzzing the readers: mutated copies of the bundled appendix, checked row by row against an
independent strict reader of Vietnamese numbers (the oracle below, written without the kit's code).

Each mutated file gets hostile value cells (other scripts' digits, exponents, invisible characters,
bare commas, huge numbers, ...), characters that Python's ``str.splitlines`` takes for line ends
inside labels and notes, blank lines that shift the rows below, CRLF or CR line ends, UTF-16 or a
BOM, and now and then a control character, an overlong cell or a cut-off file. For every file:

- the kit either loads it or raises its own :class:`~cchc_tools.errors.CchcError`, never anything else;
- every row's ``line`` holds, in the file, that row's label and value cell;
- every row's ``value`` is what the oracle reads in that cell (NaN where the oracle reads no number);
- ``validate`` runs on the table without raising;
- the files loaded together in batches (``load_appendices``, which cuts text files together) give the same
  errors and the same table as each file loaded alone.

The same is checked on Word and Excel copies (``run_office``, see "Word and Excel" below), against what
the generator wrote on each line, and on reports printed as PDF and workbooks saved as .xls by LibreOffice
(``run_converted``, see "PDF and .xls" below).

``python -m tests.fuzz_appendix --files 10000 --office 600`` is ``make fuzz`` (``--office`` defaults to 600,
``--pdf`` and ``--xls`` to 100 each);
``tests/test_fuzz.py`` runs a few hundred text files and a few dozen Office files in ``make test``.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import re
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "data" / "raw" / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt"

# --- the oracle: a strict reader of Vietnamese numbers, independent of cchc_tools.numbers -----------

_GROUP_DOT = r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+"
_GROUP_SPACE = r"[1-9][0-9]{0,2}(?:[ \u00a0\u202f][0-9]{3})+"
_ORACLE = re.compile(rf"(-?)({_GROUP_DOT}|{_GROUP_SPACE}|[0-9]+)(?:,([0-9]+))?", re.ASCII)
_EDGE = " \t\u00a0\u202f"


def oracle(cell: str) -> float | None:
    """The value of a cell written in Vietnamese number format, or None.

    ASCII digits; thousands grouped in threes by dots (or by spaces: a plain, no-break or narrow
    no-break space); a decimal comma with digits after it; an optional leading minus and trailing
    percent sign. At most 15 digits before the comma and 10 after it (the kit's documented limits).
    """
    s = cell.strip(_EDGE)
    if s.endswith("%"):
        s = s[:-1].rstrip(_EDGE)
    m = _ORACLE.fullmatch(s)
    if not m:
        return None
    whole = re.sub(r"[^0-9]", "", m.group(2))
    decimals = m.group(3) or ""
    if len(whole) > 15 or len(decimals) > 10:
        return None
    value = Decimal(whole + ("." + decimals if decimals else ""))
    return float(-value if m.group(1) else value) + 0.0


# --- mutations ------------------------------------------------------------------------------------------

LINE_LIKE = ["\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e"]
HOSTILE_VALUES = ["𝟔𝟎𝟎𝟗𝟖", "١٢", "۱۲۳", "２４.４０７", "7,6e3", "5E5", "1e3", "4\u200b86", "24\u200b407", "1\u2060000",
                  "1_000", ",83", "5,", "+5", "+1.070", "inf", "Infinity", "-inf", "nan", "NaN", "1" * 16,
                  "9" * 40, "1.000.000.000.000.000", "0," + "5" * 12, "1e308", "1.5", "85.27", "07.283", "1 5",
                  "12  345", "1\x0b070", "1\u2028070", "--1", "- 1", "1-", "0x10", "½", "Ⅻ", "%", "1,2,3", "1.2.3",
                  "1.000,", " ,5", "١٬٢٣٤", "፩", "𝟙.𝟘𝟘𝟘"]
VALID_VALUES = ["0", "7", "92,59", "24.407", "1.070", "100.580", "99,87%", "99,87 %", "1 070", "24\u00a0407",
                "1\u202f234,5", "-3", "-1.070,25", "999.999.999.999.999", "0,0000000001", "123456789012345",
                "0,5", "000", "1.234.567,891"]
VALUE_CHARS = "0123456789.,-+ %e_\u00a0\u200b١𝟔"


def _random_value(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        return rng.choice(HOSTILE_VALUES)
    if kind < 0.65:
        return rng.choice(VALID_VALUES)
    if kind < 0.8:  # a random number written the Vietnamese way, or almost
        n = rng.randint(0, 10 ** rng.randint(1, 16))
        text = f"{n:,}".replace(",", ".")
        if rng.random() < 0.5:
            text += "," + str(rng.randint(0, 10 ** rng.randint(1, 11)))
        return text
    return "".join(rng.choice(VALUE_CHARS) for _ in range(rng.randint(1, 9)))


@dataclass
class Mutant:
    data: bytes
    notes: list[str] = field(default_factory=list)
    value_field: dict[int, int] = field(default_factory=dict)  # line -> index of the value field


def _seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def _value_index(fields: list[str]) -> int | None:
    """Which field of a seed row holds the value, by the seed's shapes (five fields, or four after a page break)."""
    if len(fields) == 5:
        return 3
    if len(fields) == 4:
        return 3 if re.fullmatch(r"[0-9IVX]+\.?", fields[0].strip()) else 2
    if len(fields) == 3:
        return 2
    return None


def mutate(lines: list[str], header_at: int, rng: random.Random) -> Mutant:
    lines = list(lines)
    notes: list[str] = []
    table = range(header_at + 1, len(lines))
    rows = [i for i in table if _value_index(lines[i].split("\t")) is not None]
    for i in rng.sample(rows, k=min(len(rows), rng.randint(1, 12))):
        fields = lines[i].split("\t")
        fields[_value_index(fields)] = _random_value(rng)
        lines[i] = "\t".join(fields)
    for i in rng.sample(rows, k=rng.randint(0, 8)):  # a line separator inside a label or note
        fields = lines[i].split("\t")
        k = rng.choice([1, len(fields) - 1])
        pos = rng.randint(0, len(fields[k]))
        fields[k] = fields[k][:pos] + rng.choice(LINE_LIKE[:5]) + fields[k][pos:]
        lines[i] = "\t".join(fields)
    for _ in range(rng.randint(0, 3)):  # blank lines shift every row below
        lines.insert(rng.randint(header_at + 1, len(lines)), rng.choice(["", "\t\t\t\t", "   "]))
    hazard = rng.random()
    if hazard < 0.03:
        i = rng.choice(rows)
        lines[i] = lines[i].replace("\t", "\t" + rng.choice("\x00\x01\x1b\x7f"), 1)
        notes.append("control")
    elif hazard < 0.05:
        i = rng.choice(rows)
        lines[i] = lines[i] + "\t" + "x" * rng.randint(2_001, 60_000)
        notes.append("long cell")
    elif hazard < 0.07:
        lines = lines[: rng.randint(header_at - 2, len(lines))]
        notes.append("cut")
    eol = rng.choice(["\n", "\n", "\r\n", "\r"])
    text = eol.join(lines)
    enc = rng.random()
    if enc < 0.1:
        data = ("\ufeff" + text).encode(rng.choice(["utf-16-le", "utf-16-be"]))
        notes.append("utf-16")
    elif enc < 0.15:
        data = text.encode("utf-16-le")
        notes.append("utf-16 no bom")
    elif enc < 0.25:
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    else:
        data = text.encode("utf-8")
    return Mutant(data, notes)


# --- checking one file ------------------------------------------------------------------------------------


def file_lines(data: bytes) -> list[str]:
    """The file's lines, independently of the kit: universal newlines (``\\n``, ``\\r\\n``, ``\\r`` only)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif data[:200].count(0) > 50:
        text = data.decode("utf-16-le")
    else:
        text = data.decode("utf-8-sig")
    return io.StringIO(text.lstrip("\ufeff"), newline=None).read().split("\n")


_INVISIBLE = str.maketrans("", "", "\u200b\ufeff\u00ad")


def _squash(text: str) -> str:
    return "".join(text.translate(_INVISIBLE).split())


@dataclass
class Outcome:
    error: str = ""  # an exception that is not the kit's own
    refused: str = ""  # the kit's own error: a refusal, fine
    message: str = ""  # the refusal's words
    seconds: float = 0.0
    rows: int = 0
    wrong_values: list[str] = field(default_factory=list)
    wrong_lines: list[str] = field(default_factory=list)


def check_file(path: Path, data: bytes) -> tuple[Outcome, object]:
    """The outcome of loading one file, and its table (None when it was refused or failed)."""
    from cchc_tools import load_appendix
    from cchc_tools.errors import CchcError

    out = Outcome()
    start = time.perf_counter()
    df = None
    try:
        df = load_appendix(path)
    except CchcError as exc:
        out.refused, out.message = type(exc).__name__, str(exc)
        out.seconds = time.perf_counter() - start
        return out, None
    except Exception as exc:  # noqa: BLE001 - anything else is a finding of the fuzz run
        out.error = f"{type(exc).__name__}: {exc}"[:300]
        out.seconds = time.perf_counter() - start
        return out, None
    out.seconds = time.perf_counter() - start
    lines = file_lines(data)
    out.rows = len(df)
    squashed: dict[int, set[str]] = {}
    for line, label, raw, value in zip(df["line"], df["label"], df["raw_value"], df["value"], strict=True):
        fields = lines[line - 1].split("\t") if 0 < line <= len(lines) else []
        if line not in squashed:
            squashed[line] = {_squash(f) for f in fields}
        if not fields or _squash(label) not in squashed[line]:
            out.wrong_lines.append(f"line {line}: label {label[:40]!r} is not on that line")
            continue
        cells = [f for f in fields if f.strip(_EDGE + "\r\n\x0b\x0c\x85\u2028\u2029") == raw.strip()] if raw else []
        if raw and not cells:
            out.wrong_lines.append(f"line {line}: value {raw!r} is not on that line")
            continue
        want = oracle(cells[0]) if cells else None
        got = None if math.isnan(value) else value
        if want != got:
            out.wrong_values.append(f"line {line}: {raw!r} read as {got!r}, the oracle reads {want!r}")
    return out, df


def batch_differences(files: list[tuple[Path, object]]) -> list[str]:
    """The files of a batch loaded together (``load_appendices``, whose text files are cut together) against each
    file loaded alone (``files``: each path with its table, or its refusal's words): the same errors in the same
    order, and the same table. Returns one line per difference."""
    import pandas as pd

    from cchc_tools import load_appendices

    try:
        result = load_appendices([path for path, _ in files])
    except Exception as exc:  # noqa: BLE001 - a finding of the fuzz run
        return [f"batch of {files[0][0].name}...: {type(exc).__name__}: {exc}"[:300]]
    out = []
    want = [o for _, o in files if isinstance(o, str)]
    got = [str(e) for e in result.errors]
    if got != want:
        wrong = next((g, w) for g, w in zip([*got, ""], [*want, ""], strict=False) if g != w)
        out.append(f"batch of {files[0][0].name}...: error {wrong[0][:150]!r}, alone {wrong[1][:150]!r}")
    tables = [o for _, o in files if not isinstance(o, str)]
    if tables:
        alone = pd.concat(tables, ignore_index=True).drop(columns="unit")  # slugs are made distinct per batch
        try:
            pd.testing.assert_frame_equal(result.table.drop(columns="unit"), alone, check_exact=True)
        except AssertionError as exc:
            out.append(f"batch of {files[0][0].name}...: table differs: {str(exc)[:300]}")
    return out


def validate_batch(tables: list[tuple[str, object]]) -> list[str]:
    """``validate`` on the tables of a batch at once (it is vectorised over reports); when it raises,
    on each table alone, to name the files at fault. Returns one line per failing file."""
    import pandas as pd

    from cchc_tools import validate

    if not tables:
        return []
    try:
        validate(pd.concat([df for _, df in tables], ignore_index=True))
        return []
    except Exception:  # noqa: BLE001 - find the file at fault
        failures = []
        for tag, df in tables:
            try:
                validate(df)
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{tag}: validate: {type(exc).__name__}: {exc}"[:300])
        return failures or ["validate failed on a batch and on none of its files alone"]


@dataclass
class Summary:
    files: int = 0
    loaded: int = 0
    refused: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)
    wrong_values: list[str] = field(default_factory=list)
    wrong_lines: list[str] = field(default_factory=list)
    slowest: float = 0.0
    seconds: float = 0.0

    def add(self, tag: str, out: Outcome, df, batch: list[tuple[str, object]], limit_seconds: float = 5.0) -> None:
        """Count one file's outcome; a loaded table joins ``batch`` for ``validate``."""
        self.files += 1
        self.slowest = max(self.slowest, out.seconds)
        if out.error:
            self.errors.append(f"{tag}: {out.error}")
        elif out.refused:
            self.refused += 1
        else:
            self.loaded += 1
            self.rows += out.rows
            batch.append((tag, df))
        if out.seconds > limit_seconds:
            self.slow.append(f"{tag}: {out.seconds:.1f} s")
        self.wrong_values += [f"{tag}: {w}" for w in out.wrong_values]
        self.wrong_lines += [f"{tag}: {w}" for w in out.wrong_lines]

    def ok(self) -> bool:
        return not (self.errors or self.slow or self.wrong_values or self.wrong_lines)

    def report(self) -> str:
        return (f"{self.files} mutated appendices: {self.loaded} loaded ({self.rows} rows checked), "
                f"{self.refused} refused by the kit's own errors; exceptions other than the kit's own: "
                f"{len(self.errors)}; runs over 5 s: {len(self.slow)} (slowest {self.slowest:.2f} s); "
                f"values the oracle would not give: {len(self.wrong_values)}; wrong line numbers: "
                f"{len(self.wrong_lines)}; {self.seconds:.0f} s in all")


def run(files: int, seed: int = 2022, folder: Path | None = None, limit_seconds: float = 5.0,
        batch_size: int = 100) -> Summary:
    """Fuzz ``files`` mutated appendices; a run over ``limit_seconds`` is loading one file (``validate``
    runs on batches of ``batch_size`` tables: it is vectorised over reports)."""
    lines = _seed_lines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("THỨ TỰ"))
    rng = random.Random(seed)
    summary = Summary()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cchc-fuzz-") as tmp:
        base = Path(folder or tmp)
        batch: list[tuple[str, object]] = []
        together: list[tuple[Path, object]] = []  # the files since the last batch, loaded together after
        for n in range(files):
            mutant = mutate(lines, header_at, rng)
            path = base / f"fuzz-{n:05d}.txt"
            path.write_bytes(mutant.data)
            out, df = check_file(path, mutant.data)
            summary.add(f"{path.name} ({', '.join(mutant.notes) or 'values'})", out, df, batch, limit_seconds)
            if not out.error:
                together.append((path, df if df is not None else out.message))
            if len(batch) >= batch_size or n == files - 1:
                summary.errors += validate_batch(batch)
                batch = []
            if len(together) >= batch_size or n == files - 1:
                summary.errors += batch_differences(together) if together else []
                if not folder:
                    for p, _ in together:
                        p.unlink()
                together = []
    summary.seconds = time.perf_counter() - start
    return summary


# --- Word and Excel ---------------------------------------------------------------------------------------
#
# The bundled appendix rebuilt as a .docx (python-docx) or .xlsx (openpyxl) with mutated cells: hostile and
# valid values (in Excel also numbers stored as numbers, some with a percent format), soft line breaks in
# labels and values, blank rows, the table split across pages with its header repeated, cells merged,
# data away from A1. The generator records what it wrote on each line (a Word table row, an Excel sheet
# row): that record, not the kit, says where each label and value is. One file in six instead gets a
# structural hazard (a cut or damaged zip, a DTD, nesting past the XML reader's depth, an invalid character
# reference, a huge span or reach, a part missing): for those only "the kit's own error or a table" is checked.

OFFICE_LINE_LIKE = ["\n", "\x85", "\u2028", "\u2029"]  # line ends a cell may hold that XML allows
_LINE_ENDS = "\r\n\x0b\x0c\x85\u2028\u2029"
SECTIONS = {"I", "II", "III", "IV", "V", "VI", "VII"}
HEADER = ["THỨ TỰ", "TÊN CHỈ TIÊU", "ĐƠN VỊ TÍNH", "Số lượng/ tỷ lệ", "Ghi chú"]
STORED_NUMBERS = [0, 7, 24407, -3, 92.59, 0.9987, 1e15, 1e15 - 1, -1e15, 1e300, -1e300, 1e-300, 0.1 + 0.2,
                  123456789.987654321, float("inf"), float("-inf"), float("nan")]


@dataclass
class Written:
    label: str
    text: str | None = None  # the value cell as written (Word, or text in Excel)
    number: float | None = None  # a number Excel stores as a number
    percent: bool = False  # ... shown with a percent format


@dataclass
class OfficeMutant:
    data: bytes
    suffix: str
    written: dict[int, Written] | None  # line -> what was written there; None after a structural hazard
    notes: list[str] = field(default_factory=list)


def _xml_safe(text: str) -> bool:
    return all(c in "\t\n\r" or (c >= "\x20" and not "\ud800" <= c <= "\udfff" and c not in "\ufffe\uffff")
               for c in text)


def _office_value(rng: random.Random) -> str:
    while True:
        text = _random_value(rng)
        if _xml_safe(text):
            if rng.random() < 0.05:  # a soft line break inside the figure
                pos = rng.randint(0, len(text))
                text = text[:pos] + "\n" + text[pos:]
            return text


def _office_label(label: str, rng: random.Random) -> str:
    if rng.random() < 0.08 and label:
        pos = rng.randint(0, len(label))
        return label[:pos] + rng.choice(OFFICE_LINE_LIKE) + label[pos:]
    return label


@lru_cache(maxsize=1)
def _seed_table() -> tuple[list[str], list]:
    """The title lines and rows of the bundled appendix (read once, as the generator's material)."""
    from cchc_tools.ingest.readers.text import read_text

    raw = read_text(SEED)
    return raw.title, raw.rows


def _mutated_rows(rng: random.Random, value=_office_value, label=_office_label
                  ) -> list[tuple[str, str, str, str, str, bool]]:
    """(stt, label, uom, value, note, is_section) per row, some values and labels mutated, blank rows added."""
    _, rows = _seed_table()
    out = []
    mutate_at = set(rng.sample(range(len(rows)), k=rng.randint(1, 14)))
    for i, r in enumerate(rows):
        section = r.stt in SECTIONS and not r.uom and not r.value
        text = value(rng) if i in mutate_at and not section else str(r.value or "")
        out.append((r.stt, label(r.label, rng), r.uom, text, r.note, section))
        if rng.random() < 0.01:
            out.append(("", "", "", "", "", False))  # a blank row: every row below moves one line down
    return out


def mutate_docx(rng: random.Random) -> OfficeMutant:
    import docx

    title, _ = _seed_table()
    rows = _mutated_rows(rng)
    document = docx.Document()
    other = document.add_table(rows=2, cols=2)  # an unrelated table before the appendix
    other.cell(0, 0).text, other.cell(0, 1).text = "Nơi nhận", "Ghi chú"
    for line in title:
        document.add_paragraph(line)
    cuts = sorted(rng.sample(range(1, len(rows)), k=rng.randint(0, 2)))
    chunks = [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]
    written: dict[int, Written] = {}
    line = 0
    for k, chunk in enumerate(chunks):
        if k:
            document.add_page_break()
        table = document.add_table(rows=1 + len(chunk), cols=5)
        cells_of = [r.cells for r in table.rows]
        for cell, h in zip(cells_of[0], HEADER, strict=True):
            cell.text = h
        line += 1  # the header, repeated on each page
        for cells, (stt, label, uom, value, note, section) in zip(cells_of[1:], chunk, strict=True):
            line += 1
            cells[0].text = stt
            if section:
                cells[1].merge(cells[4]).text = label
            else:
                for cell, text in zip(cells[1:], (label, uom, value, note), strict=True):
                    cell.text = text
            if label or value:
                written[line] = Written(label, text=value)
        for i in rng.sample(range(1, len(cells_of) - 1), k=min(2, len(cells_of) - 2)):
            if not chunk[i - 1][5] and not chunk[i][5]:  # THỨ TỰ merged down two ordinary rows
                cells_of[i][0].merge(cells_of[i + 1][0])
    document.add_paragraph("Người lập biểu")
    buf = io.BytesIO()
    document.save(buf)
    return OfficeMutant(buf.getvalue(), ".docx", written)


def mutate_xlsx(rng: random.Random) -> OfficeMutant:
    from openpyxl import Workbook

    title, _ = _seed_table()
    rows = _mutated_rows(rng)
    wb = Workbook()
    ws = wb.active
    top, left = rng.randint(1, 3), rng.randint(1, 3)  # data away from A1
    r = top
    for line in title:
        ws.cell(r, left, line)
        ws.merge_cells(start_row=r, start_column=left, end_row=r, end_column=left + 4)
        r += 1
    r += 1
    for c, h in enumerate(HEADER):
        ws.cell(r, left + c, h)
    written: dict[int, Written] = {}
    for stt, label, uom, value, note, section in rows:
        r += 1
        cell = Written(label)
        stored: object = value or None
        kind = rng.random()
        if not section and kind < 0.04:
            stored = cell.number = rng.choice(STORED_NUMBERS)
        elif not section and kind < 0.5 and value and (n := oracle(value)) is not None:
            stored = cell.number = int(n) if n.is_integer() and abs(n) < 1e15 else n
        else:
            cell.text = value
        for c, v in enumerate((stt or None, label or None, uom or None, stored, note or None)):
            if v is not None:
                ws.cell(r, left + c, v)
        if cell.number is not None and rng.random() < 0.15:
            ws.cell(r, left + 3).number_format = "0.00%"
            cell.percent = True
        if section and rng.random() < 0.5:
            ws.merge_cells(start_row=r, start_column=left + 1, end_row=r, end_column=left + 4)
        if label or value or cell.number is not None:
            written[r] = cell
    buf = io.BytesIO()
    wb.save(buf)
    return OfficeMutant(buf.getvalue(), ".xlsx", written)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zipped(items: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _hazard(mutant: OfficeMutant, rng: random.Random) -> OfficeMutant:
    """A structural hazard in place of the content: the file is now something a library might choke on."""
    main = "word/document.xml" if mutant.suffix == ".docx" else "xl/worksheets/sheet1.xml"
    items = _members(mutant.data)
    kind = rng.choice(["cut", "flip", "dtd", "deep", "char-ref", "huge-span", "missing", "empty-part", "junk"])
    if kind == "cut":
        data = mutant.data[: rng.randint(0, len(mutant.data) - 1)]
    elif kind == "flip":
        data = bytearray(mutant.data)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        data = bytes(data)
    else:
        xml = items[main]
        if kind == "dtd":
            xml = xml.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>', 1)
        elif kind == "deep":
            end = b"</w:body>" if mutant.suffix == ".docx" else b"</sheetData>"
            depth = rng.choice([100, 255, 257, 3000])
            tag = b"w:p" if mutant.suffix == ".docx" else b"x"
            xml = xml.replace(end, b"<%s>" % tag * depth + b"</%s>" % tag * depth + end, 1)
        elif kind == "char-ref":
            xml = xml.replace(b"<w:t>" if mutant.suffix == ".docx" else b"<v>", b"<w:t>&#1;" if mutant.suffix == ".docx"
                              else b"<v>&#1;", 1)
        elif kind == "huge-span":
            xml = (xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="99999999999"/>', 1) if mutant.suffix == ".docx"
                   else xml.replace(b'<c r="', b'<c r="XFD1048576" x="', 1))
        elif kind == "missing":
            items.pop(rng.choice([n for n in items if n != main]))
        elif kind == "empty-part":
            xml = b""
        else:
            pos = rng.randrange(len(xml))
            xml = xml[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))) + xml[pos:]
        if main in items:
            items[main] = xml
        data = _zipped(items)
    return OfficeMutant(data, mutant.suffix, None, [kind])


def check_office(path: Path, mutant: OfficeMutant) -> tuple[Outcome, object]:
    """The outcome of loading one Word or Excel file, every row checked against what was written on its line."""
    from cchc_tools import load_appendix
    from cchc_tools.errors import CchcError

    out = Outcome()
    start = time.perf_counter()
    try:
        df = load_appendix(path)
    except CchcError as exc:
        out.refused, out.seconds = type(exc).__name__, time.perf_counter() - start
        return out, None
    except Exception as exc:  # noqa: BLE001 - anything else is a finding of the fuzz run
        out.error, out.seconds = f"{type(exc).__name__}: {exc}"[:300], time.perf_counter() - start
        return out, None
    out.seconds = time.perf_counter() - start
    out.rows = len(df)
    if mutant.written is None:
        return out, df
    for line, label, raw, value in zip(df["line"], df["label"], df["raw_value"], df["value"], strict=True):
        cell = mutant.written.get(line)
        if cell is None or _squash(label) != _squash(cell.label):
            out.wrong_lines.append(f"line {line}: label {label[:40]!r} was not written on that line")
            continue
        if cell.number is not None:
            want = cell.number * 100 if cell.percent else cell.number
            want = round(want, 10) if math.isfinite(want) and abs(want) < 1e15 else None
        else:
            if _squash(raw) != _squash(cell.text or ""):
                if path.suffix == ".pdf" and oracle(cell.text or "") is None and math.isnan(value):
                    continue  # glyphs of another script, which a font's text map may give otherwise: no number
                out.wrong_lines.append(f"line {line}: value {raw!r} was not written on that line")
                continue
            want = oracle((cell.text or "").strip(_LINE_ENDS))  # a cell is stripped at its ends, line ends too
            if path.suffix == ".pdf" and "\n" in raw.strip() and "\n" not in (cell.text or "").strip(_LINE_ENDS):
                want = None  # a figure too wide for its column wraps on the page: two lines are never one number
        got = None if math.isnan(value) else value
        if (want is None) != (got is None) or (want is not None and not math.isclose(want, got, rel_tol=1e-12)):
            out.wrong_values.append(f"line {line}: {raw!r} read as {got!r}, written as {cell.text or cell.number!r} "
                                    f"({want!r})")
    return out, df


def run_office(files: int, seed: int = 2022, folder: Path | None = None, limit_seconds: float = 5.0,
               batch_size: int = 50, hazards: float = 1 / 6) -> Summary:
    """Fuzz ``files`` mutated Word and Excel appendices (alternately), as :func:`run` does text ones."""
    rng = random.Random(seed)
    summary = Summary()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cchc-fuzz-office-") as tmp:
        base = Path(folder or tmp)
        batch: list[tuple[str, object]] = []
        for n in range(files):
            mutant = (mutate_docx if n % 2 == 0 else mutate_xlsx)(rng)
            if rng.random() < hazards:
                mutant = _hazard(mutant, rng)
            path = base / f"fuzz-{n:05d}{mutant.suffix}"
            path.write_bytes(mutant.data)
            out, df = check_office(path, mutant)
            summary.add(f"{path.name} ({', '.join(mutant.notes) or 'cells'})", out, df, batch, limit_seconds)
            if not folder:
                path.unlink()
            if len(batch) >= batch_size or n == files - 1:
                summary.errors += validate_batch(batch)
                batch = []
    summary.seconds = time.perf_counter() - start
    return summary


# --- PDF and .xls: printed and saved by LibreOffice ----------------------------------------------------------
#
# A PDF shows what a page shows: an invisible character or a run of spaces inside a figure is not on the page,
# so the PDF cases write values without them (the text and Word cases have them). Each batch of mutants is
# printed (or saved as .xls) by one run of LibreOffice; hazards are then made on the bytes of the result.

_UNSHOWN = set("\u200b\u2060\ufeff\u00ad\x0b\x0c\x85\u2028\u2029")


def _shown_value(rng: random.Random) -> str:
    while True:
        text = _office_value(rng)
        if not (set(text) & _UNSHOWN) and "  " not in text and text == text.strip():
            return text


def _shown_label(label: str, rng: random.Random) -> str:
    if rng.random() < 0.08 and label:  # a soft line break (Shift+Enter) inside the label
        pos = rng.randint(0, len(label))
        return label[:pos] + "\n" + label[pos:]
    return label


def mutate_report(rng: random.Random) -> OfficeMutant:
    """A report to print as PDF: a narrative paragraph, the appendix in one ruled table (its header repeated on each
    page, rows kept whole or broken across pages, section rows merged now and then), a signature block."""
    import docx
    from docx.oxml import OxmlElement
    from docx.shared import Cm

    title, _ = _seed_table()
    rows = _mutated_rows(rng, _shown_value, _shown_label)
    document = docx.Document()
    document.add_paragraph("Báo cáo kết quả thực hiện công tác cải cách hành chính. " * rng.randint(0, 40))
    for line in title:
        document.add_paragraph(line)
    table = document.add_table(rows=1 + len(rows), cols=5)
    table.style = document.styles["Table Grid"]
    trs = list(table.rows)
    for cell, h in zip(trs[0].cells, HEADER, strict=True):
        cell.text = h
    if rng.random() < 0.7:
        trs[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    whole = rng.random() < 0.5
    merge_sections = rng.random() < 0.5
    written: dict[int, Written] = {}
    for line, (tr, (stt, label, uom, value, note, section)) in enumerate(zip(trs[1:], rows, strict=True), start=2):
        if whole:
            tr._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        cells = tr.cells
        cells[0].text = stt
        if section and merge_sections:
            cells[1].merge(cells[4]).text = label
        else:
            for cell, text in zip(cells[1:], (label, uom, value, note), strict=True):
                cell.text = text
        if label or value:
            written[line] = Written(label, text=value)
    for tr in trs:
        for cell, w in zip(tr.cells, (1.4, 7.0, 2.6, 2.4, 3.1), strict=True):
            cell.width = Cm(w)
    document.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    buf = io.BytesIO()
    document.save(buf)
    return OfficeMutant(buf.getvalue(), ".docx", written, ["rows whole" if whole else "rows broken"])


def _finite_only(mutant: OfficeMutant) -> OfficeMutant:
    """An Excel mutant whose stored numbers all survive a save as .xls (not infinite, not NaN)."""
    if mutant.written and any(w.number is not None and not math.isfinite(w.number) for w in mutant.written.values()):
        return OfficeMutant(mutant.data, mutant.suffix, None, ["non-finite"])
    return mutant


def _pdf_hazard(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["cut", "flip", "rotate", "pages", "no-text"])
    if kind == "cut":
        return data[: rng.randint(0, len(data) - 1)], kind
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out), kind
    if kind == "rotate":  # every page turned (its dictionary edited: offsets then off, as in a careless edit)
        turned = data.replace(b"/Type/Page\n", b"/Type/Page/Rotate 90\n")
        return turned.replace(b"/Type/Page/", b"/Type/Page/Rotate 90/"), kind
    if kind == "pages":
        from tests.office_fixtures import pdf_of_pages

        return pdf_of_pages(rng.choice([600, 5000])), kind
    from tests.office_fixtures import pdf_of_pages

    return pdf_of_pages(rng.randint(1, 5)), kind


def _xls_hazard(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["cut", "flip", "junk"])
    out = bytearray(data)
    if kind == "cut":
        return data[: rng.randint(0, len(data) - 1)], kind
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    else:
        pos = rng.randrange(len(out))
        out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return bytes(out), kind


#: Files one run of LibreOffice converts: a hundred on a loaded machine outlast its time limit.
CONVERT_CHUNK = 20


def run_converted(kind: str, files: int, seed: int = 2022, folder: Path | None = None, limit_seconds: float = 5.0,
                  hazards: float = 1 / 6) -> Summary:
    """Fuzz ``files`` PDF (``kind="pdf"``: reports printed by LibreOffice) or .xls (saved by LibreOffice) appendices.
    Needs LibreOffice; without it the summary counts no file."""
    import shutil

    from tests.office_fixtures import soffice_convert

    rng = random.Random(seed)
    summary = Summary()
    start = time.perf_counter()
    if not shutil.which("soffice"):
        return summary
    with tempfile.TemporaryDirectory(prefix=f"cchc-fuzz-{kind}-") as tmp:
        base = Path(folder or tmp)
        sources, mutants = [], []
        for n in range(files):
            mutant = mutate_report(rng) if kind == "pdf" else _finite_only(mutate_xlsx(rng))
            src = base / "src" / f"fuzz-{n:05d}{mutant.suffix}"
            src.parent.mkdir(parents=True, exist_ok=True)
            src.write_bytes(mutant.data)
            sources.append(src)
            mutants.append(mutant)
        outs = []  # converted in runs of a few files, each run within LibreOffice's time limit on a busy machine
        for at in range(0, len(sources), CONVERT_CHUNK):
            outs += soffice_convert(sources[at:at + CONVERT_CHUNK], kind, base / kind, base / "lo-profile")
        batch: list[tuple[str, object]] = []
        for n, (path, mutant) in enumerate(zip(outs, mutants, strict=True)):
            if rng.random() < hazards:
                data, what = (_pdf_hazard if kind == "pdf" else _xls_hazard)(path.read_bytes(), rng)
                path.write_bytes(data)
                mutant = OfficeMutant(data, f".{kind}", None, [what])
            out, df = check_office(path, mutant)
            summary.add(f"{path.name} ({', '.join(mutant.notes) or 'cells'})", out, df, batch, limit_seconds)
            if len(batch) >= 50 or n == files - 1:
                summary.errors += validate_batch(batch)
                batch = []
    summary.seconds = time.perf_counter() - start
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="mutated text appendices")
    parser.add_argument("--office", type=int, default=600, help="mutated Word and Excel appendices (half each)")
    parser.add_argument("--pdf", type=int, default=100, help="mutated reports printed as PDF by LibreOffice")
    parser.add_argument("--xls", type=int, default=100, help="mutated Excel appendices saved as .xls by LibreOffice")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args(argv)
    ok = True
    for kind, summary in (("text", run(args.files, args.seed) if args.files else None),
                          ("Word/Excel", run_office(args.office, args.seed) if args.office else None),
                          ("PDF", run_converted("pdf", args.pdf, args.seed) if args.pdf else None),
                          (".xls", run_converted("xls", args.xls, args.seed) if args.xls else None)):
        if summary is None:
            continue
        print(f"{kind}: {summary.report()}")
        for what in ("errors", "slow", "wrong_values", "wrong_lines"):
            for item in getattr(summary, what)[:10]:
                print(f"  {what}: {item}")
        ok = ok and summary.ok()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
