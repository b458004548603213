"""More changes a reopen makes from what was kept (issue 28, fourth round): a figure made blank (not reported, never
0), a report that moves to another level, figures changed in two reports of one peer group, then put back. Each
reopens updated, not computed whole, equal to a cold computation table for table."""

from __future__ import annotations

import re

import pytest

from tests.demo2026 import copied_project
from tests.test_reopen import _equal_to_cold, _reopen

TITLE = "của Ủy ban nhân dân xã Hòa An, thành phố Cần Thơ"


@pytest.fixture
def root(tmp_path_factory):
    return copied_project(tmp_path_factory, "reopen-more", ("2025-Q4", "2026-Q1"))


def _value_line(text: str, nth: int = 0) -> re.Match:
    """The ``nth`` row whose value is a plain whole number."""
    return list(re.finditer(r"^([^\t\n]*\t[^\t\n]+\t[^\t\n]*\t)(\d+)(\t)", text, re.MULTILINE))[nth]


def test_a_figure_made_blank_reopens_as_not_reported(root, whole):
    before = _reopen(root).table  # read now: a computation reads its table when first asked
    f = sorted((root / "data/raw/2026").rglob("*.txt"))[0]
    text = f.read_text(encoding="utf-8")
    m = _value_line(text, 3)
    f.write_text(text[:m.start(2)] + text[m.end(2):], encoding="utf-8")
    again = _reopen(root)
    assert len(whole) == 1
    line = text[:m.start()].count("\n") + 1
    row = again.table[again.table["source"].str.endswith(f.name) & (again.table["line"] == line)]
    was = before[before["source"].str.endswith(f.name) & (before["line"] == line)]
    assert len(row) == 1 and row["value"].isna().all() and was["value"].notna().all()
    _equal_to_cold(again, root)


def test_a_report_moving_to_another_level_reopens_equal_to_a_cold_computation(root, whole):
    first = _reopen(root)
    f = next(p for p in (root / "data/raw/2026").rglob("*.txt") if TITLE in p.read_text(encoding="utf-8"))
    f.write_text(f.read_text(encoding="utf-8").replace(TITLE, "của Sở Tư pháp"), encoding="utf-8")
    again = _reopen(root)
    assert len(whole) == 1
    src = next(s for s in again.reports["source"] if s.endswith(f.name))
    before = first.reports.set_index("source").loc[src, "level"]
    after = again.reports.set_index("source").loc[src, "level"]
    assert (before, after) == ("commune", "department")
    _equal_to_cold(again, root)
    f.write_text(f.read_text(encoding="utf-8").replace("của Sở Tư pháp", TITLE), encoding="utf-8")  # and back
    _equal_to_cold(_reopen(root), root)
    assert len(whole) == 1


def test_two_reports_of_one_peer_group_changed_then_put_back(root, whole):
    first = _reopen(root)
    files = sorted((root / "data/raw/2025").rglob("*.txt"))[:2]
    texts = [f.read_text(encoding="utf-8") for f in files]
    for f, text in zip(files, texts, strict=True):
        m = _value_line(text, 1)
        f.write_text(text[:m.start(2)] + str(int(m.group(2)) * 3 + 7) + text[m.end(2):], encoding="utf-8")
    again = _reopen(root)
    assert not again.totals.totals.equals(first.totals.totals)
    _equal_to_cold(again, root)
    for f, text in zip(files, texts, strict=True):
        f.write_text(text, encoding="utf-8")
    _equal_to_cold(_reopen(root), root)
    assert len(whole) == 1
