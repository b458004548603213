"""The units that must report in a period, and the period's deadline.

The roster of a period is the province's official units at that date: its communes, wards and special
zones from 1 July 2025, its districts (huyện, thị xã, thành phố thuộc tỉnh) before (a current province
also covers the legacy provinces merged into it), plus the departments (sở, ban, ngành) the project
lists (``[reporting] departments`` in ``cchc.toml``). Departments have no official code: they are
matched by name.

The deadline of a report is a day of the month after its period ends, one per kind of period
(``[reporting.deadlines]``: ``quarter = 15``, ``6-month = 15``, ``9-month = 15``, ``annual = 15``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from cchc_tools.errors import CchcError
from cchc_tools.periods import PERIODS
from cchc_tools.text import clean
from cchc_tools.units import era_is_legacy, name_key, province_units

__all__ = ["RosterError", "RosterUnit", "deadline", "name_key", "period_end", "roster"]


class RosterError(CchcError):
    """A roster that cannot be made: no province, an unknown province or period."""


@dataclass(frozen=True)
class RosterUnit:
    """A unit that must report: official ``code`` ("" for a department), official ``name``, ``level``
    (commune, district or department) and whether it is a ``legacy`` unit (before 1/7/2025)."""

    code: str
    name: str
    level: str
    legacy: bool = False

    @property
    def key(self) -> str:
        """What identifies it in a table of reports: its code, or its folded name for a department."""
        return self.code or name_key(self.name)


def period_end(year: int, period: str) -> date:
    """The last day of a period: Q1 -> 31/3, 6-month -> 30/6, annual -> 31/12."""
    from cchc_tools.periods import period_end as end

    if period not in PERIODS:
        raise RosterError(f"kỳ báo cáo {period!r} không có; các kỳ hợp lệ: {', '.join(PERIODS)}")
    return end(period, year)


def deadline(year: int, period: str, deadlines: Mapping[str, int] | None) -> date | None:
    """The day a report of the period is due: day N of the month after the period ends, N from
    ``deadlines`` by kind of period (``project.reporting.deadlines``; None when none is set for this kind)."""
    from cchc_tools.periods import due_date

    return due_date(period, year, dict(deadlines or {}))


def roster(province: str, year: int, period: str, departments: Iterable[str] = ()) -> list[RosterUnit]:
    """The units that must report for ``year`` and ``period``: the official communes and wards of
    ``province`` at the period's end (legacy districts before 1/7/2025), sorted by official code, then
    the ``departments`` in the order given."""
    if not province:
        raise RosterError("cần tỉnh, thành phố của dự án để lập danh sách đơn vị phải báo cáo ([project] province "
                          "trong cchc.toml, hoặc biến môi trường CCHC_PROVINCE)")
    legacy = bool(era_is_legacy(year, period, period_end(year, period).isoformat()))
    level = "district" if legacy else "commune"
    official = province_units(province, level, legacy)
    if official is None:
        raise RosterError(f"không có tỉnh, thành phố nào tên {province!r}")
    units = [RosterUnit(code, name, level, legacy) for code, name in official]
    seen: set[str] = set()
    for d in departments:
        d = clean(d)
        if d and name_key(d) not in seen:
            seen.add(name_key(d))
            units.append(RosterUnit("", d, "department", legacy))
    return units
