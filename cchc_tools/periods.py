"""Reporting periods, in one place: their order, what stretch of the year they cover, how a Vietnamese
page names them, how an output file is named for them, and when their report is due.

A period is one of ``Q1``..``Q4`` (a quarter), ``6-month`` (6 tháng đầu năm), ``9-month`` (9 tháng),
``H2`` (6 tháng cuối năm) and ``annual`` (năm). In calendar order, by the month they end and then
the longer span after the shorter one: Q1 < Q2 < 6-month < Q3 < 9-month < Q4 < H2 < annual.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    id: str
    end_month: int  # the month the period ends
    months: int  # how many months it spans
    name_vi: str  # how a page names it before the year: "Quý I", "6 tháng đầu năm"
    deadline_kind: str  # the key of [reporting.deadlines] in cchc.toml


PERIODS: dict[str, Period] = {p.id: p for p in (
    Period("Q1", 3, 3, "Quý I", "quarter"),
    Period("Q2", 6, 3, "Quý II", "quarter"),
    Period("6-month", 6, 6, "6 tháng đầu năm", "6-month"),
    Period("Q3", 9, 3, "Quý III", "quarter"),
    Period("9-month", 9, 9, "9 tháng", "9-month"),
    Period("Q4", 12, 3, "Quý IV", "quarter"),
    Period("H2", 12, 6, "6 tháng cuối năm", "6-month"),
    Period("annual", 12, 12, "Năm", "annual"),
)}
DEADLINE_KINDS = ("quarter", "6-month", "9-month", "annual")
_FROM_JANUARY = {3: "Q1", 6: "6-month", 9: "9-month", 12: "annual"}


def period_order(period: str) -> int:
    """Rank of a period within its year in calendar order; unknown periods last."""
    return list(PERIODS).index(period) if period in PERIODS else len(PERIODS)


def coverage(period: str, cumulative: bool) -> str:
    """The stretch of the year a figure covers: its period, or, for a cumulative ("lũy kế") figure,
    January to the period's end (Q3 lũy kế covers what a 9-month report covers). Figures are
    compared only with figures of the same coverage: a cumulative figure never with a period one."""
    if not cumulative or period not in PERIODS:
        return period
    return _FROM_JANUARY[PERIODS[period].end_month]


def _year_text(year) -> str:
    if year is None or (isinstance(year, float) and math.isnan(year)):
        return ""
    try:
        return str(int(year))
    except (TypeError, ValueError):
        return ""


def period_phrase(period: str, year) -> str:
    """How a page names a report's period: ``Năm 2022``, ``Quý III năm 2022``, ``6 tháng cuối năm 2023``,
    ``9 tháng năm 2023``; an unknown period is named as written (``Kỳ X năm 2023``)."""
    y = _year_text(year)
    p = PERIODS.get(period)
    if p is None:
        return f"Kỳ {period} năm {y}".strip()
    if p.id == "annual":
        return f"Năm {y}".strip()
    if p.name_vi.endswith("năm"):  # "6 tháng đầu năm 2023", "6 tháng cuối năm 2023"
        return f"{p.name_vi} {y}".strip()
    return f"{p.name_vi} năm {y}".strip()


def period_in_sentence(period: str, year) -> str:
    """The period inside a sentence: ``năm 2022``, ``quý I năm 2026``, ``6 tháng đầu năm 2023``. Only the
    first letter is lowered: a Roman numeral stays upper case ("quý I", never "quý i")."""
    phrase = period_phrase(period, year)
    return phrase[:1].lower() + phrase[1:]


def period_name(period: str) -> str:
    """The period alone, for a column or a list: ``Năm``, ``Quý I``, ``6 tháng cuối năm``."""
    p = PERIODS.get(period)
    return p.name_vi if p else period


def file_suffix(period: str) -> str:
    """The part of an output file's name that says its period: ``""`` for the year, ``-q1``, ``-6-month``, ``-h2``."""
    return "" if period == "annual" else "-" + period.lower()


def from_file_suffix(stem: str) -> str:
    """The period a file name says (``briefing-q1`` -> ``Q1``, ``compare`` -> ``annual``); the inverse of
    :func:`file_suffix` for names made by the kit."""
    tail = stem.split("-", 1)[1] if "-" in stem else ""
    for p in PERIODS:
        if tail == p.lower():
            return p
    return tail or "annual"


def newest_first(period: str) -> int:
    """Sort key for a list of pages of one year, newest stretch first: the year, 9 months, H2, Q4, ..."""
    order = ["annual", "H2", "Q4", "9-month", "Q3", "6-month", "Q2", "Q1"]
    return order.index(period) if period in order else len(order)


def period_end(period: str, year: int) -> dt.date:
    """The last day of a period."""
    month = PERIODS[period].end_month
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def due_date(period: str, year: int, deadlines: dict[str, int]) -> dt.date | None:
    """When a period's report is due: the day ``deadlines[kind]`` of the month after the period ends
    (``kind`` as in ``[reporting.deadlines]``: quarter, 6-month, 9-month, annual); None when not set."""
    if period not in PERIODS:
        return None
    day = deadlines.get(PERIODS[period].deadline_kind)
    if not day:
        return None
    end = period_end(period, year)
    y, m = (end.year + 1, 1) if end.month == 12 else (end.year, end.month + 1)
    return dt.date(y, m, min(day, calendar.monthrange(y, m)[1]))
