"""The bulk paths of text ingest: one decode of a UTF-8 file, columns built per file and joined once, findings'
numbers formatted without Decimal. Each is held equal to the path it replaced."""

from __future__ import annotations

import decimal
import random

import pandas as pd
import pytest

from cchc_tools.errors import AppendixError
from cchc_tools.ingest.loader import load_appendices, load_appendix
from cchc_tools.ingest.readers.encoding import TCVN3, decode_text
from cchc_tools.numbers import _format_vi, fmt_number
from cchc_tools.text import decode
from tests.office_fixtures import legacy_bytes


def test_a_legacy_text_with_a_control_byte_is_still_converted(seed_text):
    """The strict decoder refuses the control byte first; the legacy reading is tried all the same."""
    data = (legacy_bytes(seed_text, TCVN3) + "\x07").encode("cp1252")
    with pytest.raises(AppendixError):
        decode(data, "x.txt")
    text, legacy = decode_text(data, "x.txt", decode)
    assert legacy == TCVN3 and "THỨ TỰ" in text.upper()


def test_valid_utf8_refused_for_a_control_byte_is_not_read_as_legacy(seed_text):
    data = ("\x07" + seed_text).encode("utf-8")
    with pytest.raises(AppendixError) as info:
        decode_text(data, "x.txt", decode)
    with pytest.raises(AppendixError) as strict:
        decode(data, "x.txt")
    assert str(info.value) == str(strict.value)


def test_broken_utf8_of_vietnamese_keeps_the_decoders_error_and_line(seed_text):
    data = seed_text.encode("utf-8")
    cut = data.index(b"\n", len(data) // 2) + 1
    data = data[:cut] + b"\xff" + data[cut:]  # a byte no UTF-8 holds, in a file of Unicode Vietnamese
    with pytest.raises(AppendixError) as info:
        decode_text(data, "x.txt", decode)
    with pytest.raises(AppendixError) as strict:
        decode(data, "x.txt")
    assert str(info.value) == str(strict.value) and info.value.line == strict.value.line > 1


def test_a_batch_equals_its_files_read_one_by_one(tmp_path, seed_text):
    """Columns joined once for the batch hold each file's rows, values and lines as reading it alone does."""
    paths = []
    for i, change in enumerate(("", "\t1.070\t", "\t\t")):
        p = tmp_path / f"f{i}.txt"
        p.write_text(seed_text.replace("\t0\t", change, 1) if change else seed_text, encoding="utf-8")
        paths.append(p)
    batch = load_appendices(paths).table
    alone = pd.concat([load_appendix(p) for p in paths], ignore_index=True)
    keep = [c for c in batch.columns if c not in ("unit",)]  # distinct_slugs renames the units of a batch
    pd.testing.assert_frame_equal(batch[keep], alone[keep], check_exact=True)
    assert (batch.dtypes == alone.dtypes).all()
    assert batch["raw_value"].map(type).eq(str).all() and batch["value"].dtype == "float64"


def test_fast_number_formatting_equals_the_decimal_path():
    rng = random.Random(3)
    values = [0.0, -0.0, -0.004, 0.005, 2.5, 0.125, 99.995, 999_999_999.995, -999_999_999.5, 24407.0]
    for _ in range(20000):
        k = rng.random()
        if k < 0.4:
            values.append(rng.randint(-10**9, 10**9) / rng.choice([1, 2, 8, 100, 1000, 2000, 10**6]))
        else:
            values.append(rng.uniform(-1, 1) * 10 ** rng.randint(-8, 9))
    for v in values:
        for d in (0, 1, 2, 3, 6):
            for trim in (False, True):
                with decimal.localcontext() as ctx:
                    ctx.prec = 400
                    assert fmt_number(v, d, trim) == _format_vi(round(v, d), d, trim), (v, d, trim)


def test_source_names_of_a_batch_equal_source_name(tmp_path, monkeypatch):
    """Each folder resolved once, from its parent's: the same names as ``source_name``, through symbolic links to
    folders and files, ``..`` and relative paths, inside and outside the root."""
    import os

    from cchc_tools.ingest.loader import _Sources, source_name

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f.txt").write_text("x")
    (tmp_path / "a" / "b" / "g.txt").write_text("x")
    os.symlink(tmp_path / "real", tmp_path / "a" / "link")
    os.symlink(tmp_path / "real" / "f.txt", tmp_path / "a" / "b" / "lf.txt")
    monkeypatch.chdir(tmp_path / "a")
    paths = [str(tmp_path / "a" / "b" / "g.txt"), str(tmp_path / "a" / "link" / "f.txt"), "b/g.txt", "link/f.txt",
             "b/lf.txt", str(tmp_path / "a" / "b" / ".." / "b" / "g.txt"), "../real/f.txt", "b/../link/f.txt"]
    for root in (None, tmp_path, tmp_path / "a", tmp_path / "real", tmp_path / "a" / "link"):
        names = _Sources(root)
        assert [names(p) for p in paths] == [source_name(p, root) for p in paths], root
    assert _Sources(tmp_path)("link/f.txt") == "real/f.txt"
