"""Who has reported: each unit of the period's roster received (on time or late), overdue, not yet due,
missing or unreadable.

``reporting_status(table, errors, findings, units, year, period, due)`` compares the roster
(:mod:`cchc_tools.cycle.roster`) with the reports of the period in a loaded table. A report is "received on"
the date the Sở received it when the caller gives it (``received``: the date recorded in the register the
first time the kit saw the file, editable there: :func:`cchc_tools.cycle.register.record_receipts`), else its
own date (the ``report_date`` of its title), else the file's modification time; the table says which. A report
received after the deadline is late. A unit with no report is overdue (quá hạn, with the days past the
deadline) when ``today`` is after the deadline, not yet due before it, and "missing" when no deadline or no
date is known. A file of the period that cannot be read makes its unit "unreadable" (when its folder names a
unit of the roster); a unit present in the data but not in the roster is listed too. A legacy unit (before
1/7/2025) is named with its successors ("nay là phường …, xã …").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from cchc_tools.analysis.selection import reports
from cchc_tools.cycle.roster import RosterUnit, name_key
from cchc_tools.errors import AppendixError
from cchc_tools.text import lower_first

STATES = ("received", "late", "unreadable", "missing", "overdue", "not_due")
NOT_RECEIVED = ("missing", "overdue", "not_due")  # counted together as "missing" by ``totals``
STATE_VI = {"received": "Đã nhận đúng hạn", "late": "Nộp muộn", "unreadable": "Tệp không đọc được",
            "missing": "Chưa nộp", "overdue": "Quá hạn", "not_due": "Chưa đến hạn", "extra": "Ngoài danh sách"}
FROM_VI = {"register": "sổ nhận báo cáo", "report_date": "ngày của báo cáo", "file_time": "thời gian sửa tệp", "": ""}
STATUS_COLUMNS = ["code", "name", "level", "state", "received_on", "received_from", "source", "errors",
                  "warnings", "points", "in_roster", "reason", "days_late", "successors", "legacy"]


@dataclass
class ReportingStatus:
    """The status of a period: one row per unit (``rows``, columns ``STATUS_COLUMNS``), the deadline."""

    year: int
    period: str
    province: str
    due: date | None
    rows: pd.DataFrame
    today: date | None = None
    min_coverage: int = 0  # percent of the roster below which the period is too thin to report upward

    def totals(self) -> dict[str, int]:
        """How many units of the roster are in each state (``missing``: every unit not received, overdue and
        not yet due included; ``overdue`` and ``not_due`` also on their own), and how many reports came from
        outside the roster."""
        roster = self.rows[self.rows["in_roster"]]
        out = {s: int((roster["state"] == s).sum()) for s in STATES}
        out["missing"] = int(roster["state"].isin(NOT_RECEIVED).sum())
        out["roster"] = len(roster)
        out["extra"] = int((~self.rows["in_roster"]).sum())
        return out

    def coverage(self) -> float | None:
        """The share of the roster received (on time or late), in percent; None for an empty roster."""
        t = self.totals()
        return (t["received"] + t["late"]) / t["roster"] * 100 if t["roster"] else None

    def coverage_low(self) -> bool:
        """Fewer units received than ``min_coverage`` percent of the roster: too few to report upward."""
        c = self.coverage()
        return bool(self.min_coverage) and c is not None and c < self.min_coverage

    def state_of(self) -> dict[str, str]:
        """Source file -> state, for the reports received."""
        return {s: st for s, st in zip(self.rows["source"], self.rows["state"], strict=True) if s}


def _file_path(source: str, roots: list[Path]) -> Path | None:
    p = Path(source)
    for cand in ([p] if p.is_absolute() else [r / p for r in roots]):
        if cand.exists():
            return cand
    return None


def received_on(rep: pd.Series, root: str | Path | None = None) -> tuple[date | None, str]:
    """When a report was received: its own date (``report_date``), else its file's modification time
    (``source`` read relative to ``root``, the project's root, when not absolute)."""
    d = str(rep.get("report_date") or "")
    if len(d) == 10:
        try:
            return date.fromisoformat(d), "report_date"
        except ValueError:
            pass
    from cchc_tools.paths import KIT_ROOT

    p = _file_path(str(rep["source"]), [Path(root)] if root else [KIT_ROOT])
    if p is not None:
        return datetime.fromtimestamp(p.stat().st_mtime).date(), "file_time"
    return None, ""


def _report_key(rep: pd.Series) -> str:
    code = str(rep.get("unit_code") or "")
    if code:
        return code
    return name_key(str(rep.get("unit_name") or rep.get("unit") or ""))


def _counts(findings: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    """Source -> (errors, warnings, points to explain or correct)."""
    if findings.empty:
        return {}
    out = {}
    for src, g in findings.groupby("source", sort=False):
        sev = g["severity"]
        out[src] = (int((sev == "error").sum()), int((sev == "warning").sum()), int((sev != "info").sum()))
    return out


def _unreadable(errors: Iterable[AppendixError], year: int, province: str, period: str) -> dict[str, str]:
    """Roster key -> the reason, for files of the year's folder that could not be read (by their folder)."""
    from cchc_tools.units import CchcError, resolve_unit

    out: dict[str, str] = {}
    for e in errors:
        parts = Path(e.path).parts
        if str(year) not in parts[:-1]:
            continue
        folder = parts[-2] if len(parts) >= 2 else ""
        try:
            unit = resolve_unit(folder.replace("-", " "), year, province, period=period)
            key = unit.code
        except CchcError:
            key = name_key(folder.replace("-", " "))
        out.setdefault(key, f"{e.path}: {e.reason}")
    return out


def _successors_text(u: RosterUnit) -> str:
    if not (u.legacy and u.code):
        return ""
    from cchc_tools.units import successor_names

    names = successor_names(u.code)
    return ", ".join(names)


def reporting_status(table: pd.DataFrame, errors: Iterable[AppendixError], findings: pd.DataFrame,
                     units: list[RosterUnit], year: int, period: str, due: date | None = None, *,
                     province: str = "", root: str | Path | None = None, today: date | None = None,
                     received: Mapping[str, date] | None = None, min_coverage: int = 0) -> ReportingStatus:
    """Each unit of ``units`` with its state for ``year`` and ``period`` (see the module's text); ``root``:
    the project's root, which the table's ``source`` paths are relative to; ``today``: the date the status is
    taken (what is overdue); ``received``: source -> the date the Sở received it (the register's);
    ``min_coverage``: ``[reporting] min_coverage``."""
    received = received or {}
    reps = reports(table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    counts = _counts(findings)
    by_key: dict[str, pd.Series] = {}
    for _, rep in reps.iterrows():  # the latest file of a unit wins (sorted by source within a period)
        by_key[_report_key(rep)] = rep
    dept_keys = {u.key: u for u in units if u.level == "department"}

    def find(u: RosterUnit) -> pd.Series | None:
        if u.key in by_key:
            return by_key.pop(u.key)
        if u.level == "department":  # "Sở Tài chính thành phố Cần Thơ" is "Sở Tài chính"
            hit = next((k for k in by_key if k.startswith(u.key + " ") and k not in dept_keys), None)
            if hit:
                return by_key.pop(hit)
        return None

    bad = _unreadable(errors, year, province, period)

    def when(rep: pd.Series) -> tuple[date | None, str]:
        if rep["source"] in received and received[rep["source"]] is not None:
            return received[rep["source"]], "register"
        return received_on(rep, root)

    rows = []
    for u in units:
        rep = find(u)
        after = _successors_text(u)
        if rep is None:
            reason = bad.get(u.key, "")
            state, days = ("unreadable" if reason else "missing"), 0
            if state == "missing" and due and today:
                state = "overdue" if today > due else "not_due"
                days = max(0, (today - due).days)
            rows.append([u.code, u.name, u.level, state, None, "", "", 0, 0, 0, True, reason, days, after, u.legacy])
            continue
        on, how = when(rep)
        state = "late" if due and on and on > due else "received"
        e, w, p = counts.get(rep["source"], (0, 0, 0))
        days = (on - due).days if state == "late" else 0
        rows.append([u.code, u.name, u.level, state, on, how, rep["source"], e, w, p, True, "", days, after,
                     u.legacy])
    for rep in by_key.values():
        on, how = when(rep)
        e, w, p = counts.get(rep["source"], (0, 0, 0))
        name = str(rep["unit_name"] or rep["unit"])
        rows.append([str(rep.get("unit_code") or ""), name, rep["level"], "extra", on, how, rep["source"], e, w, p,
                     False, "đơn vị không có trong danh sách phải báo cáo của kỳ", 0, "", False])
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    return ReportingStatus(int(year), period, province, due, out, today, int(min_coverage or 0))


# -- what a reader sees -----------------------------------------------------------------------------


def _date_vi(d) -> str:
    if d is None or (isinstance(d, float) and math.isnan(d)) or d is pd.NaT:
        return ""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def summary_line(status: ReportingStatus) -> str:
    """``103 đơn vị phải báo cáo: 3 đã nhận (1 nộp muộn), 100 chưa nộp (100 quá hạn), 0 tệp không đọc được``."""
    t = status.totals()
    text = (f"{t['roster']} đơn vị phải báo cáo: {t['received'] + t['late']} đã nhận"
            + (f" ({t['late']} nộp muộn)" if t["late"] else "")
            + f", {t['missing']} chưa nộp")
    split = [f"{t[k]} {label}" for k, label in (("overdue", "quá hạn"), ("not_due", "chưa đến hạn")) if t[k]]
    if split:
        text += f" ({', '.join(split)})"
    text += f", {t['unreadable']} tệp không đọc được"
    if t["extra"]:
        text += f"; {t['extra']} báo cáo của đơn vị ngoài danh sách"
    return text


def coverage_line(status: ReportingStatus) -> str:
    """When too few units have reported to report upward: ``Mới nhận 5/103 đơn vị (4,85%), dưới ngưỡng 80%
    ...``; else empty."""
    if not status.coverage_low():
        return ""
    from cchc_tools.numbers import fmt_percent

    t = status.totals()
    return (f"Mới nhận báo cáo của {t['received'] + t['late']}/{t['roster']} đơn vị ({fmt_percent(status.coverage())}),"
            f" dưới ngưỡng {status.min_coverage}% dự án đặt ra: số liệu tổng hợp chưa đủ để báo cáo "
            "cấp trên.")


def state_text(r) -> str:
    """A row's state as a reader sees it: ``Quá hạn 236 ngày``, ``Nộp muộn 5 ngày``."""
    text = STATE_VI[r.state]
    days = int(getattr(r, "days_late", 0) or 0)
    if r.state in ("overdue", "late") and days:
        text += f" {days} ngày"
    return text


def unit_text(r) -> str:
    """A unit's name, with its successors when it is a legacy unit: ``Thị xã Vĩnh Châu (nay là phường …)``."""
    after = str(getattr(r, "successors", "") or "")
    return f"{r.name} (nay là {after})" if after else str(r.name)


def status_text(status: ReportingStatus) -> str:
    """The status as a terminal table (one line per unit, the totals last)."""
    from cchc_tools.periods import period_phrase

    head = f"Tình hình nộp báo cáo {lower_first(period_phrase(status.period, status.year))}"
    if status.due:
        head += f" (hạn nộp {_date_vi(status.due)})"
    if status.today:
        head += f", tính đến ngày {_date_vi(status.today)}"
    lines = [head, f"{'Mã':<6} {'Đơn vị':<34} {'Tình trạng':<22} {'Ngày nhận':<11} {'Lỗi':>3} {'CB':>3}  Tệp / lý do"]
    for r in status.rows.itertuples(index=False):
        when = _date_vi(r.received_on) + ("*" if r.received_from == "file_time" else "")
        e, w = (str(r.errors), str(r.warnings)) if r.source else ("", "")
        after = f" (đơn vị nay là {r.successors})" if r.successors else ""
        lines.append(f"{r.code:<6} {r.name[:34]:<34} {state_text(r):<22} {when:<11} {e:>3} {w:>3}  "
                     f"{r.source or r.reason}{after}")
    lines.append(summary_line(status) + ".")
    if coverage_line(status):
        lines.append(coverage_line(status))
    if (status.rows["received_from"] == "file_time").any():
        lines.append("* ngày nhận lấy theo thời gian sửa tệp (báo cáo không ghi ngày).")
    return "\n".join(lines)


def status_document(status: ReportingStatus, synthetic: bool = False):
    """The status as a document (a page, a workbook sheet)."""
    from cchc_tools.content.document import Cell, Document, Heading, Paragraph, Table
    from cchc_tools.content.views.common import _head
    from cchc_tools.periods import period_phrase

    when = period_phrase(status.period, status.year)
    # the units that reported first (what the Sở has in hand), then those it still waits for: never scattered
    groups: dict[bool, list] = {True: [], False: []}
    for r in status.rows.itertuples(index=False):
        how = FROM_VI[r.received_from]
        counts = ([Cell(str(n), n, "count") for n in (r.errors, r.warnings, r.points)] if r.source
                  else [Cell(""), Cell(""), Cell("")])  # no report: nothing checked, not zero
        groups[r.state not in NOT_RECEIVED].append(
            [Cell(r.code), Cell(unit_text(r)), Cell(state_text(r)), Cell(_date_vi(r.received_on)
                                                                      + (f" ({how})" if how else "")),
             *counts, Cell(r.source or r.reason)])
    meta = [summary_line(status) + "."]
    if coverage_line(status):
        meta.append(coverage_line(status))
    if status.due:
        meta.append(f"Hạn nộp báo cáo: {_date_vi(status.due)}; báo cáo Sở nhận sau hạn là nộp muộn"
                    + (f"; tình hình tính đến ngày {_date_vi(status.today)}." if status.today else "."))
    else:
        meta.append("Dự án chưa đặt hạn nộp cho loại kỳ này ([reporting.deadlines] trong cchc.toml).")
    if (status.rows["received_from"] == "register").any():
        meta.append("Ngày nhận là ngày Sở nhận phụ lục, ghi trong sổ nhận báo cáo (trang «Ngày nhận báo cáo» của "
                    "sổ theo dõi công văn) khi bộ công cụ thấy tệp lần đầu; sửa được ở đó.")
    else:
        meta.append("Ngày nhận là ngày ghi trên báo cáo; báo cáo không ghi ngày thì lấy thời gian sửa tệp.")
    heads = ["Mã ĐVHC", "Đơn vị", "Tình trạng", "Ngày nhận", "Lỗi", "Cảnh báo", "Điểm cần giải trình", "Tệp / lý do"]
    meta.append(f"Bảng xếp {len(groups[True])} đơn vị đã gửi phụ lục lên trước, rồi {len(groups[False])} đơn vị "
                "chưa gửi.")
    table = Table.of(heads, groups[True] + groups[False])
    title = f"Tình hình nộp báo cáo cải cách hành chính {lower_first(when)}"
    blocks = _head(synthetic) + [Heading(title, 1)] + [Paragraph.of(m, "meta") for m in meta] + [table]
    return Document(title, blocks, synthetic, landscape=True)


def write_status(status: ReportingStatus, out_dir: str | Path, formats: Iterable[str] = ("html", "xlsx"),
                 synthetic: bool = False) -> list[Path]:
    """``<out_dir>/status-<period>.html`` and ``.xlsx`` (those ``formats`` asks for), each whole or not at all."""
    from cchc_tools.atomic import write_text
    from cchc_tools.render.export import document_html, document_sheets
    from cchc_tools.render.workbook import write_workbook

    doc = status_document(status, synthetic)
    out, written = Path(out_dir), []
    stem = f"status-{status.period.lower()}"
    if "html" in formats:
        written.append(write_text(out / f"{stem}.html", document_html(doc)))
    if "xlsx" in formats:
        written.append(write_workbook(document_sheets(doc), out / f"{stem}.xlsx", doc.title))
    return written
