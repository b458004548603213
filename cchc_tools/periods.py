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
from collections.abc import Collection
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
DEADLINE_KINDS = tuple(dict.fromkeys(p.deadline_kind for p in PERIODS.values()))  # quarter, 6-month, 9-month, annual
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


def date_vi(when) -> str:
    """A date as a Vietnamese page writes it: ``16/12/2022`` (day and month on two digits).

    ``when`` is a ``date``/``datetime`` (a pandas ``Timestamp`` too) or an ISO text (``2022-12-16``, as the tidy
    table keeps a report's date); nothing (None, "", NaN, NaT) is "": a date not known is never made up.
    The one formatter of the kit's pages, Word files, letters, status and digest."""
    if when is None or isinstance(when, str) and not when.strip():
        return ""
    if isinstance(when, str):
        y, m, d = when.strip()[:10].split("-")
        return f"{int(d):02d}/{int(m):02d}/{y}"
    if when != when:  # NaN, NaT
        return ""
    return f"{when.day:02d}/{when.month:02d}/{when.year}"


def newest_first(period: str) -> int:
    """Sort key for a list of pages of one year, newest stretch first: the year, 9 months, H2, Q4, ..."""
    order = ["annual", "H2", "Q4", "9-month", "Q3", "6-month", "Q2", "Q1"]
    return order.index(period) if period in order else len(order)


def period_end(period: str, year: int) -> dt.date:
    """The last day of a period."""
    month = PERIODS[period].end_month
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# The period a figure is compared with as "kỳ trước", by coverage (``coverage``): candidates in order of
# preference, as (years back, coverage). Quarters follow the quarter before (Q1 the Q4 of the year before), the
# second half its first half. The from-January ("lũy kế") coverages are a series that starts again each January:
# 9 months follow the 6 months of the same year, the year its 9 months, and the 6 months the first quarter (a
# province reporting by halves: the second half of the year before).
_BEFORE: dict[str, tuple[tuple[int, str], ...]] = {
    "Q1": ((1, "Q4"),), "Q2": ((0, "Q1"),), "Q3": ((0, "Q2"),), "Q4": ((0, "Q3"),),
    "6-month": ((0, "Q1"), (1, "H2")), "H2": ((0, "6-month"),),
    "9-month": ((0, "6-month"),), "annual": ((0, "9-month"),),
}


def previous_period(period: str, year, have: Collection[tuple[str, int]] | None = None) -> tuple[str, int] | None:
    """The period before ``period`` of ``year`` that a figure is compared with as "kỳ trước", as
    ``(coverage, year)``; None for an unknown period or year.

    ``period`` is a coverage (:func:`coverage`: a cumulative figure is compared by the stretch it covers).
    Quarters: the quarter before (Q1 2026 against Q4 2025); the second half against the first half. A
    from-January ("lũy kế") coverage against the from-January report before it in the same year: 9 months
    against 6 months, the year against 9 months, 6 months against the first quarter. A cumulative coverage is
    also compared with the same coverage a year earlier (:func:`year_earlier`), never with a quarter: its
    "kỳ trước" is never last year's, so the two comparisons never coincide.

    ``have``: the ``(coverage, year)`` the unit reported; the first candidate among them is given (6 months
    against the second half of the year before, for a province reporting by halves), None when none is.
    """
    y = _year_text(year)
    if period not in _BEFORE or not y:
        return None
    candidates = [(p, int(y) - back) for back, p in _BEFORE[period]]
    if have is None:
        return candidates[0]
    have = set(have)
    return next((c for c in candidates if c in have), None)


def year_earlier(period: str, year) -> tuple[str, int] | None:
    """The same coverage a year earlier (``cùng kỳ năm trước``): ``(period, year - 1)``; None without a year."""
    y = _year_text(year)
    return (period, int(y) - 1) if y else None


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
