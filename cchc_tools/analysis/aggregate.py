"""How the units of one level add up, row by row, by what each row declares (``catalog.csv`` ``aggregate``).

One place decides what a province total of a row is, for every page that shows one (the comparison's
totals and the workbench through :func:`cchc_tools.analysis.assess.consolidate`, the consolidated
appendix of :mod:`cchc_tools.cycle.appendix`, the digest through both):

- ``sum``: the sum over the units that reported the row and whose figure can be trusted;
- ``same``: the row is one list for every unit of the level (procedures in force): never added up. The
  figure is the units' common value when they all give the same one, else none, with the range beside it;
- ``count_yes``: how many units answered yes (a flag of 1, or a count a unit gives about itself above 0),
  of how many answered: "n/N đơn vị";
- ``rate``: a percentage recomputed from summed counts (a ``rate_matches`` rule's numerator and
  denominator, or the unit's own rate weighted by a count: ``weight`` of the indicator);
- ``none``: not added up; the range of the units' values is given.

Which units' figures cannot be trusted is the caller's (``excluded``: ``(source, code) -> reason``), as
two rules of the kit differ there: a page's total leaves out only the questioned figure, the appendix
every input of the rates it feeds (:func:`cchc_tools.analysis.assess.questioned_inputs`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from cchc_tools.numbers import fmt_number, fmt_percent

KIND_VI = {"sum": "cộng", "same": "danh mục chung, không cộng", "count_yes": "đếm số đơn vị trả lời có",
           "rate": "tính lại từ số liệu tổng hợp", "none": "không cộng"}


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


@dataclass
class RowTotal:
    """What the units of one level add up to on one row (see the module's docstring)."""

    code: str
    aggregate: str
    value: float = math.nan  # the total; NaN when the row is not added up or nobody can be counted
    units_reported: int = 0  # units whose figure is counted (answered, for count_yes)
    units: int = 0  # units of the group
    roster: int = 0  # units that must report (the note's "n/N"); 0: the group's
    low: float = math.nan  # the range of the counted units' values (same, none)
    high: float = math.nan
    yes: int = 0  # count_yes: units that answered yes
    numerator: float = math.nan  # rate
    denominator: float = math.nan
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (unit name, why) of units an error questions

    @property
    def excluded(self) -> str:
        return "; ".join(dict.fromkeys(n for n, _ in self.left_out))

    def note(self, kind: str, percent: bool = False) -> str:
        """The Vietnamese "Ghi chú" of a consolidated cell: what the figure is over, what was left out."""
        fmt = fmt_percent if percent else fmt_number
        if self.aggregate in ("same", "none"):  # not added up: the units' common value, else their range
            opening = ("Danh mục chung của cấp, không cộng" if self.aggregate == "same" else
                       "Tỷ lệ do từng đơn vị tự báo cáo, không cộng" if percent else "Không cộng")
            where = " (số liệu từng đơn vị ở trang \"Số liệu từng đơn vị\")" if self.aggregate == "same" else ""
            if not self.units_reported:
                text = ""
            elif self.low == self.high:
                text = f"{opening}: {self.units_reported} đơn vị cùng báo cáo {fmt(self.low)}"
            else:
                text = (f"{opening}: từ {fmt(self.low)} đến {fmt(self.high)} tùy đơn vị ({self.units_reported} đơn "
                        f"vị){where}")
        elif self.aggregate == "count_yes":
            text = (f"{self.yes}/{self.units_reported} đơn vị trả lời có" if self.units_reported else "")
        elif self.aggregate == "rate":
            text = (f"Tính lại từ số liệu tổng hợp: {fmt_number(self.numerator)}/{fmt_number(self.denominator)} "
                    f"({self.units_reported}/{self.roster or self.units} đơn vị)" if not _blank(self.denominator)
                    else "")
        else:  # sum: the usual case (every unit counted) is said once, above the table
            text = (f"Tổng hợp từ {self.units_reported}/{self.roster or self.units} đơn vị"
                    if self.units_reported and (self.units_reported != self.units or self.left_out) else "")
        if self.left_out:
            text += ("; " if text else "") + "không tính: " + "; ".join(f"{n} ({why})" for n, why in self.left_out)
        if not text and not self.units_reported and self.units:
            text = "Chưa đơn vị nào báo cáo"
        return text


def total_row(code: str, aggregate: str, values: Mapping[str, float | None], names: Mapping[str, str],
              excluded: Mapping[str, str] | None = None, *, roster: int = 0,
              numerators: Mapping[str, float | None] | None = None,
              denominators: Mapping[str, float | None] | None = None) -> RowTotal:
    """The total of one row over the units of a level.

    ``values``: each unit's figure by source (blank: not reported); ``names``: each source's unit name;
    ``excluded``: ``source -> reason`` for the units whose figure for this row cannot be trusted (left out and
    named); ``roster``: how many units must report (the note's "n/N"; default: the units of ``names``). A
    ``rate`` row needs
    ``numerators`` and ``denominators`` by source (the counts it is recomputed from; a unit lacking either is
    not counted).
    """
    excluded = excluded or {}
    out = RowTotal(code, aggregate, units=len(names), roster=roster)
    counted: dict[str, float] = {}
    for src in names:
        if src in excluded:
            out.left_out.append((names[src], excluded[src]))
            continue
        if aggregate == "rate":
            n = (numerators or {}).get(src)
            d = (denominators or {}).get(src)
            if not _blank(n) and not _blank(d):
                counted[src] = float(n)
                out.denominator = (0.0 if _blank(out.denominator) else out.denominator) + float(d)
            continue
        v = values.get(src)
        if not _blank(v):
            counted[src] = float(v)
    out.units_reported = len(counted)
    if not counted:
        if aggregate == "rate":
            out.denominator = math.nan
        return out
    vals = list(counted.values())
    if aggregate == "sum":
        out.value = float(sum(vals))
    elif aggregate == "rate":
        out.numerator = float(sum(vals))
        out.value = out.numerator / out.denominator * 100 if out.denominator > 0 else math.nan
    elif aggregate == "count_yes":
        out.yes = sum(v > 0 for v in vals)
        out.value = float(out.yes)
    else:  # same, none
        out.low, out.high = min(vals), max(vals)
        if aggregate == "same" and out.low == out.high:
            out.value = out.low
    return out


def weighted_basis(weight_label: str, weight: float) -> str:
    """``bình quân theo số lượng phiếu khảo sát: 1.595``: a rate averaged over units by the count it is a share of
    (the label's first letter lowered only: "TTHC" stays upper case)."""
    return f"bình quân theo {weight_label[:1].lower()}{weight_label[1:]}: {fmt_number(weight)}"


def ratio_basis(spec: dict, numerator: float, denominator: float) -> str:
    """What a consolidated indicator is computed from, in words: ``100.167/100.564`` for a ratio of counts,
    "bình quân theo số lượng phiếu khảo sát: 1.300" for a rate weighted by a count, "tỷ lệ do từng đơn vị tự báo
    cáo, không cộng" for one that is never added up; "—" when nothing could be counted."""
    from cchc_tools.catalog import by_code

    if spec.get("aggregate") == "none":
        return "tỷ lệ do từng đơn vị tự báo cáo, không cộng"
    if _blank(numerator) or _blank(denominator):
        return "—"
    if spec.get("weight"):
        return weighted_basis(by_code()[spec["weight"]].label_vi, denominator)
    return f"{fmt_number(numerator)}/{fmt_number(denominator)}"
