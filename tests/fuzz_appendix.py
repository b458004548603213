"""Fuzzing the text reader: mutated copies of the bundled appendix, checked row by row against an
independent strict reader of Vietnamese numbers (the oracle below, written without the kit's code).

Each mutated file gets hostile value cells (other scripts' digits, exponents, invisible characters,
bare commas, huge numbers, ...), characters that Python's ``str.splitlines`` takes for line ends
inside labels and notes, blank lines that shift the rows below, CRLF or CR line ends, UTF-16 or a
BOM, and now and then a control character, an overlong cell or a cut-off file. For every file:

- the kit either loads it or raises its own :class:`~cchc_tools.errors.CchcError`, never anything else;
- every row's ``line`` holds, in the file, that row's label and value cell;
- every row's ``value`` is what the oracle reads in that cell (NaN where the oracle reads no number);
- ``validate`` runs on the table without raising.

``python -m tests.fuzz_appendix --files 10000`` is ``make fuzz``; ``tests/test_fuzz.py`` runs a few
hundred files in ``make test``.
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
from dataclasses import dataclass, field
from decimal import Decimal
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
        out.refused = type(exc).__name__
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
        for n in range(files):
            mutant = mutate(lines, header_at, rng)
            path = base / f"fuzz-{n:05d}.txt"
            path.write_bytes(mutant.data)
            out, df = check_file(path, mutant.data)
            summary.files += 1
            summary.slowest = max(summary.slowest, out.seconds)
            tag = f"{path.name} ({', '.join(mutant.notes) or 'values'})"
            if out.error:
                summary.errors.append(f"{tag}: {out.error}")
            elif out.refused:
                summary.refused += 1
            else:
                summary.loaded += 1
                summary.rows += out.rows
                batch.append((tag, df))
            if out.seconds > limit_seconds:
                summary.slow.append(f"{tag}: {out.seconds:.1f} s")
            summary.wrong_values += [f"{tag}: {w}" for w in out.wrong_values]
            summary.wrong_lines += [f"{tag}: {w}" for w in out.wrong_lines]
            if not folder:
                path.unlink()
            if len(batch) >= batch_size or n == files - 1:
                summary.errors += validate_batch(batch)
                batch = []
    summary.seconds = time.perf_counter() - start
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args(argv)
    summary = run(args.files, args.seed)
    print(summary.report())
    for kind in ("errors", "slow", "wrong_values", "wrong_lines"):
        for item in getattr(summary, kind)[:10]:
            print(f"  {kind}: {item}")
    return 0 if summary.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
