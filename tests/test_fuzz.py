"""A seeded fuzz run in every ``make test``: mutated copies of the bundled appendix against an independent
strict number reader (``tests/fuzz_appendix.py``; ``make fuzz`` runs 10,000)."""

from __future__ import annotations

import pytest

from tests import fuzz_appendix as fuzz


@pytest.mark.parametrize(("cell", "value"), [("24.407", 24407.0), ("92,59", 92.59), ("1\u00a0070", 1070.0),
                                             ("-3", -3.0), ("99,87 %", 99.87), ("7,6e3", None), ("١٢", None),
                                             (",83", None), ("5,", None), ("+5", None), ("1.5", None),
                                             ("4\u200b86", None), ("1" * 16, None), ("", None)])
def test_the_oracle(cell, value):
    assert fuzz.oracle(cell) == value


def test_fuzz_run():
    summary = fuzz.run(200, seed=13)
    assert summary.loaded > 150 and summary.refused > 0 and summary.rows > 150 * 200
    assert summary.errors == [] and summary.wrong_values == [] and summary.wrong_lines == [], summary.report()


def test_the_fuzz_run_catches_drifting_lines_and_guessed_numbers(monkeypatch):
    """The checks can fail: with ``str.splitlines`` and babel's lenient parser the run finds both bugs."""
    from babel.numbers import parse_decimal

    import cchc_tools.ingest.loader as loader
    import cchc_tools.ingest.readers.text as text_reader

    def lenient(text):
        try:
            return float(parse_decimal(text.strip().rstrip("%"), locale="vi_VN"))
        except Exception:  # noqa: BLE001
            return None

    monkeypatch.setattr(text_reader, "split_lines", str.splitlines)
    monkeypatch.setattr(loader, "parse_number", lenient)
    summary = fuzz.run(30, seed=5)
    assert summary.wrong_lines and summary.wrong_values


def test_the_fuzz_run_catches_a_batch_that_differs_from_its_files_alone(monkeypatch):
    """Files cut together (a batch) that shift a row against the same files read one by one: found."""
    import cchc_tools.ingest.readers.text as text_reader

    original = text_reader.cut_together

    def drifting(heads):
        result = original(heads)
        if len(heads) > 1 and len(result.line):
            result.line[-1] += 1
        return result

    monkeypatch.setattr(text_reader, "cut_together", drifting)
    summary = fuzz.run(12, seed=5, batch_size=6)
    assert summary.wrong_lines == [] and any("batch of" in e for e in summary.errors), summary.report()


def test_office_fuzz_run():
    """Word and Excel copies with mutated cells, and one in six with a structural hazard (``make fuzz``: 600)."""
    summary = fuzz.run_office(24, seed=11)
    assert summary.loaded > 12 and summary.refused > 0 and summary.rows > 12 * 150
    assert summary.errors == [] and summary.wrong_values == [] and summary.wrong_lines == [], summary.report()


def test_the_office_fuzz_run_catches_glued_line_breaks_drifting_lines_and_guessed_numbers(monkeypatch):
    """The checks can fail: a Word reader that glues the texts around a soft line break ("1", Shift+Enter,
    "070" read as 1070, as the kit once did), rows put one line down, and babel's lenient parser."""
    import cchc_tools.ingest.readers.docx as docx_reader
    import cchc_tools.ingest.readers.xlsx as xlsx_reader
    from cchc_tools.ingest.readers.base import RawRow

    monkeypatch.setattr(docx_reader, "_para_text", lambda p: "".join(t.text or "" for t in p.iter(f"{docx_reader.W}t")))
    glued = fuzz.run_office(2, seed=1, hazards=0)
    assert glued.wrong_values and glued.errors == [] and glued.wrong_lines == [], glued.report()
    monkeypatch.undo()
    monkeypatch.setattr(xlsx_reader, "RawRow", lambda line, **cells: RawRow(line + 1, **cells))
    drifted = fuzz.run_office(2, seed=3, hazards=0)
    assert drifted.wrong_lines and drifted.errors == [], drifted.report()
