"""Who has reported: each unit of the period's roster received (on time or late), overdue, not yet due,
missing or unreadable, and the reports the period's outputs leave out.

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

Which reports of the period count (:func:`period_reports`, the one choice status, letters, the consolidated
appendix and the digest share): a report from a unit outside the project's province is "ngoài địa bàn" (listed,
never summed, never written to); of two reports of one unit (one official code, or one department) the later by
its report date supersedes the earlier, which is named beside it and never summed. A file whose own title names
another year or period than its folder or file name says is listed (``misfiled``), never silently dropped, and an
unreadable file counts for the period its folder or name says (every period of its year when they say none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from cchc_tools.analysis.selection import reports, unit_key
from cchc_tools.cycle.roster import RosterUnit, name_key
from cchc_tools.errors import AppendixError
from cchc_tools.periods import date_vi
from cchc_tools.text import lower_first, visible

STATES = ("received", "late", "unreadable", "missing", "overdue", "not_due")
NOT_RECEIVED = ("missing", "overdue", "not_due")  # counted together as "missing" by ``totals``
STATE_VI = {"received": "Đã nhận đúng hạn", "late": "Nộp muộn", "unreadable": "Tệp không đọc được",
            "missing": "Chưa nộp", "overdue": "Quá hạn", "not_due": "Chưa đến hạn", "extra": "Ngoài danh sách",
            "outside": "Ngoài địa bàn", "misfiled": "Ghi kỳ khác thư mục"}
FROM_VI = {"register": "sổ nhận báo cáo", "report_date": "ngày của báo cáo", "file_time": "thời gian sửa tệp", "": ""}
STATUS_COLUMNS = ["code", "name", "level", "state", "received_on", "received_from", "source", "errors",
                  "warnings", "points", "in_roster", "reason", "days_late", "successors", "legacy", "replaces"]


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
    unreadable: list[str] = field(default_factory=list)  # the period's files that could not be read
    superseded: dict[str, str] = field(default_factory=dict)  # earlier report's source -> the later one's
    misfiled: list[tuple[str, str]] = field(default_factory=list)  # (source, what its title and place say)

    def totals(self) -> dict[str, int]:
        """How many units of the roster are in each state (``missing``: every unit not received, overdue and
        not yet due included; ``overdue`` and ``not_due`` also on their own), how many reports came from units
        outside the roster (``extra``) and outside the province (``outside``), how many were superseded by a later
        one and filed under another period (``misfiled``); ``unreadable`` counts the period's unreadable files (as
        ``cchc load`` does), ``unreadable_units`` the units of the roster that sent only such files."""
        roster = self.rows[self.rows["in_roster"]]
        out = {s: int((roster["state"] == s).sum()) for s in STATES}
        out["unreadable_units"] = out["unreadable"]
        out["unreadable"] = max(len(self.unreadable), out["unreadable"])
        out["missing"] = int(roster["state"].isin(NOT_RECEIVED).sum())
        out["roster"] = len(roster)
        out["extra"] = int((self.rows["state"] == "extra").sum())
        out["outside"] = int((self.rows["state"] == "outside").sum())
        out["superseded"] = len(self.superseded)
        out["misfiled"] = len(self.misfiled)
        return out

    def coverage(self) -> float | None:
        """The share of the roster received (on time or late), in percent; None for an empty roster."""
        t = self.totals()
        return (t["received"] + t["late"]) / t["roster"] * 100 if t["roster"] else None

    def coverage_low(self) -> bool:
        """Fewer units received than ``min_coverage`` percent of the roster: too few to report upward."""
        c = self.coverage()
        return bool(self.min_coverage) and c is not None and c < self.min_coverage


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


_report_key = unit_key  # what makes two reports one unit's (``selection.unit_key``)


_YEAR_DIR = re.compile(r"^(19|20)\d\d$")
_ROMAN = {"i": "Q1", "ii": "Q2", "iii": "Q3", "iv": "Q4", "1": "Q1", "2": "Q2", "3": "Q3", "4": "Q4"}


def period_of_name(text: str) -> str:
    """The period a folder or file name says (``phu-luc-cchc-2026-q1-hoa-an`` -> ``Q1``, ``bao-cao-quy-ii`` ->
    ``Q2``, ``6-thang-dau-nam`` -> ``6-month``, ``9-thang`` -> ``9-month``, ``6-thang-cuoi-nam`` or ``h2`` -> ``H2``),
    or "" when it says none (a year's appendix is often named without its period)."""
    from cchc_tools.text import slugify

    words = slugify(text).split("-")
    for k, w in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if len(w) == 2 and w[0] == "q" and w[1] in "1234":
            return f"Q{w[1]}"
        if w == "quy" and nxt in _ROMAN:
            return _ROMAN[nxt]
        if w == "h2":
            return "H2"
        if w in ("6", "9") and nxt in ("thang", "month"):
            after = words[k + 2] if k + 2 < len(words) else ""
            return "H2" if w == "6" and after == "cuoi" else f"{w}-month"
    return ""


def folder_period(source: str) -> tuple[int | None, str]:
    """(year, period) the place of a file says: the year of its ``<year>/`` folder (None when it has none) and the
    period its folders or its name say ("" when none)."""
    parts = Path(str(source)).parts
    year = next((int(p) for p in reversed(parts[:-1]) if _YEAR_DIR.match(p)), None)
    period = ""
    for part in [*parts[:-1], Path(parts[-1]).stem if parts else ""]:
        period = period_of_name(part) or period
    return year, period


def _covers(period: str, asked: str) -> bool:
    """A folder's period matches the period asked (none said: any period of its year)."""
    return not period or period == asked


@dataclass
class PeriodReports:
    """The reports of a period as the cycle uses them (:func:`period_reports`)."""

    reports: pd.DataFrame  # one per unit, inside the province: what status, letters, totals and digest use
    outside: pd.DataFrame  # reports of units outside the project's province: listed, never summed or written to
    superseded: dict[str, str] = field(default_factory=dict)  # earlier report's source -> the later one's
    misfiled: list[tuple[str, str]] = field(default_factory=list)  # (source, what its title and place say)

    @property
    def sources(self) -> set[str]:
        return set(self.reports["source"])


def _when(rep) -> str:
    y, p = rep["year"], str(rep["period"])
    from cchc_tools.periods import period_in_sentence

    return period_in_sentence(p, int(y)) if pd.notna(y) else f"kỳ {p}"


def period_reports(table: pd.DataFrame, year: int, period: str, province: str = "") -> PeriodReports:
    """The reports of ``year`` and ``period`` the cycle counts: units outside ``province`` set apart; of two
    reports of one unit, the later by its report date (then by file name) kept and the earlier named as
    superseded; and the files whose title names another year or period than their folder (see the module)."""
    reps = reports(table, province)  # marked once for every page: outside the province, superseded
    mine = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    outside = mine[mine["left_out"] == "outside"]
    gone = mine[mine["left_out"] == "superseded"]
    superseded = dict(zip(gone["source"], gone["replaced_by"], strict=True))
    kept = mine[mine["kept"].astype(bool)]
    misfiled = []
    for _, rep in reps.iterrows():
        y, p = folder_period(rep["source"])
        title = (rep["year"], str(rep["period"]), str(rep["coverage"]))
        if y is None or pd.isna(title[0]):
            continue
        place_here = y == int(year) and _covers(p, period)
        title_here = int(title[0]) == int(year) and period in title[1:]
        wrong = int(title[0]) != y or (p and p not in title[1:])
        if wrong and (place_here or title_here):
            from cchc_tools.periods import period_in_sentence

            said = f"năm {y}" if not p else period_in_sentence(p, y)
            misfiled.append((rep["source"], f"tệp nằm ở chỗ của {said} nhưng tiêu đề ghi {_when(rep)}"))
    return PeriodReports(kept, outside, superseded, misfiled)


def _counts(findings: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    """Source -> (errors, warnings, points to explain or correct)."""
    if findings.empty:
        return {}
    out = {}
    for src, g in findings.groupby("source", sort=False):
        sev = g["severity"]
        out[src] = (int((sev == "error").sum()), int((sev == "warning").sum()), int((sev != "info").sum()))
    return out


def unreadable_files(errors: Iterable[AppendixError], year: int, period: str,
                     root: str | Path | None = None) -> list[tuple[str, str]]:
    """(file, reason) of every file of ``year``'s folder that could not be read and whose folder or name says
    ``period`` or no period: the files ``cchc load`` reports, counted for the period they belong to."""
    from cchc_tools.ingest.loader import source_name

    out = []
    for e in errors:
        src = source_name(e.path, root)
        y, p = folder_period(src)
        if y == int(year) and _covers(p, period):
            out.append((src, f"{src}: {e.reason}"))
    return out


def _unreadable_keys(files: list[tuple[str, str]], year: int, province: str, period: str) -> dict[str, str]:
    """Roster key -> the reason, for the unreadable files (by the unit their folder names)."""
    from cchc_tools.units import CchcError, resolve_unit

    out: dict[str, str] = {}
    for src, reason in files:
        parts = Path(src).parts
        folder = parts[-2] if len(parts) >= 2 else ""
        try:
            key = resolve_unit(folder.replace("-", " "), year, province, period=period).code
        except CchcError:
            key = name_key(folder.replace("-", " "))
        out.setdefault(key, reason)
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
                     received: Mapping[str, date] | None = None, min_coverage: int = 0,
                     chosen: PeriodReports | None = None) -> ReportingStatus:
    """Each unit of ``units`` with its state for ``year`` and ``period`` (see the module's text); ``root``:
    the project's root, which the table's ``source`` paths are relative to; ``today``: the date the status is
    taken (what is overdue); ``received``: source -> the date the Sở received it (the register's);
    ``min_coverage``: ``[reporting] min_coverage``; ``chosen``: the period's reports as the cycle counts them
    (default: :func:`period_reports` of the table)."""
    received = received or {}
    chosen = chosen if chosen is not None else period_reports(table, year, period, province)
    counts = _counts(findings)
    by_key: dict[str, pd.Series] = {}
    for _, rep in chosen.reports.iterrows():
        by_key[_report_key(rep)] = rep
    replaced: dict[str, list[str]] = {}
    for early, late in chosen.superseded.items():
        replaced.setdefault(late, []).append(early)
    dept_keys = {u.key: u for u in units if u.level == "department"}

    def find(u: RosterUnit) -> pd.Series | None:
        if u.key in by_key:
            return by_key.pop(u.key)
        if u.level == "department":  # "Sở Tài chính thành phố Cần Thơ" is "Sở Tài chính"
            hit = next((k for k in by_key if k.startswith(u.key + " ") and k not in dept_keys), None)
            if hit:
                return by_key.pop(hit)
        return None

    files = unreadable_files(errors, year, period, root)
    bad = _unreadable_keys(files, year, province, period)
    misfiled = dict(chosen.misfiled)
    misfiled_by_key: dict[str, str] = {}
    for _, rep in reports(table).iterrows():
        if rep["source"] in misfiled and rep["source"] not in chosen.sources:
            misfiled_by_key.setdefault(_report_key(rep), f"{rep['source']}: {misfiled[rep['source']]}")

    def when(rep: pd.Series) -> tuple[date | None, str]:
        if rep["source"] in received and received[rep["source"]] is not None:
            return received[rep["source"]], "register"
        return received_on(rep, root)

    def notes(src: str) -> str:
        said = [f"thay cho {e}" for e in replaced.get(src, [])]
        return "; ".join(said + ([misfiled[src]] if src in misfiled else []))

    rows = []
    for u in units:
        rep = find(u)
        after = _successors_text(u)
        if rep is None:
            reason = bad.pop(u.key, "")
            state, days = ("unreadable" if reason else "missing"), 0
            if state == "missing" and due and today:
                state = "overdue" if today > due else "not_due"
                days = max(0, (today - due).days)
            if u.key in misfiled_by_key:
                reason = "; ".join(x for x in (reason, misfiled_by_key.pop(u.key)) if x)
            rows.append([u.code, u.name, u.level, state, None, "", "", 0, 0, 0, True, reason, days, after, u.legacy,
                         ""])
            continue
        also = bad.pop(u.key, "")  # an unreadable file beside the report read: said on its row
        on, how = when(rep)
        state = "late" if due and on and on > due else "received"
        e, w, p = counts.get(rep["source"], (0, 0, 0))
        days = (on - due).days if state == "late" else 0
        reason = "; ".join(x for x in (notes(rep["source"]), also and f"tệp không đọc được: {also}") if x)
        rows.append([u.code, u.name, u.level, state, on, how, rep["source"], e, w, p, True, reason, days, after,
                     u.legacy, "; ".join(replaced.get(rep["source"], []))])
    for rep in by_key.values():
        on, how = when(rep)
        e, w, p = counts.get(rep["source"], (0, 0, 0))
        name = str(rep["unit_name"] or rep["unit"])
        reason = "; ".join(x for x in ("đơn vị không có trong danh sách phải báo cáo của kỳ", notes(rep["source"]))
                           if x)
        rows.append([str(rep.get("unit_code") or ""), name, rep["level"], "extra", on, how, rep["source"], e, w, p,
                     False, reason, 0, "", False, "; ".join(replaced.get(rep["source"], []))])
    from cchc_tools.units import official_province_name

    ours = official_province_name(province) or province
    for _, rep in chosen.outside.iterrows():
        on, how = when(rep)
        where = str(rep.get("province") or "tỉnh khác")
        rows.append([str(rep.get("unit_code") or ""), str(rep["unit_name"] or rep["unit"]), rep["level"], "outside",
                     on, how, rep["source"], 0, 0, 0, False,
                     f"đơn vị thuộc {where}, ngoài địa bàn {ours}: không tổng hợp, không gửi công văn", 0, "", False,
                     ""])
    for text in misfiled_by_key.values():
        src = text.split(": ", 1)[0]
        rep = reports(table).set_index("source").loc[src]
        rows.append([str(rep.get("unit_code") or ""), str(rep["unit_name"] or rep["unit"]), rep["level"],
                     "misfiled", None, "", src, 0, 0, 0, False, text.split(": ", 1)[1], 0, "", False, ""])
    for reason in bad.values():  # unreadable files no roster unit was matched with: listed, never lost
        rows.append(["", Path(reason.split(": ", 1)[0]).parent.name, "", "unreadable", None, "", "", 0, 0, 0, False,
                     reason, 0, "", False, ""])
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    return ReportingStatus(int(year), period, province, due, out, today, int(min_coverage or 0),
                           unreadable=[s for s, _ in files], superseded=dict(chosen.superseded),
                           misfiled=list(chosen.misfiled))


# -- what a reader sees -----------------------------------------------------------------------------


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
    if t["outside"]:
        text += f"; {t['outside']} báo cáo của đơn vị ngoài địa bàn (không tổng hợp)"
    if t["superseded"]:
        text += f"; {t['superseded']} báo cáo đã được thay bằng báo cáo sau của cùng đơn vị"
    if t["misfiled"]:
        text += f"; {t['misfiled']} tệp có tiêu đề ghi năm, kỳ khác thư mục"
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


def file_and_reason(r) -> str:
    """A row's file and what is said of it: ``data/raw/2026/x/b.txt (thay cho data/raw/2026/x/a.txt)``."""
    src, why = str(r.source or ""), str(r.reason or "")
    return f"{src} ({why})" if src and why else src or why


def unit_text(r) -> str:
    """A unit's name, with its successors when it is a legacy unit: ``Thị xã Vĩnh Châu (nay là phường …)``."""
    after = str(getattr(r, "successors", "") or "")
    return f"{r.name} (nay là {after})" if after else str(r.name)


def status_text(status: ReportingStatus) -> str:
    """The status as a terminal table (one line per unit, the totals last)."""
    from cchc_tools.periods import period_phrase

    head = f"Tình hình nộp báo cáo {lower_first(period_phrase(status.period, status.year))}"
    if status.due:
        head += f" (hạn nộp {date_vi(status.due)})"
    if status.today:
        head += f", tính đến ngày {date_vi(status.today)}"
    lines = [head, f"{'Mã':<6} {'Đơn vị':<34} {'Tình trạng':<22} {'Ngày nhận':<11} {'Lỗi':>3} {'CB':>3}  Tệp / lý do"]
    for r in status.rows.itertuples(index=False):
        when = date_vi(r.received_on) + ("*" if r.received_from == "file_time" else "")
        e, w = (str(r.errors), str(r.warnings)) if r.source else ("", "")
        after = f" (đơn vị nay là {r.successors})" if r.successors else ""
        lines.append(f"{r.code:<6} {visible(r.name)[:34]:<34} {state_text(r):<22} {when:<11} {e:>3} {w:>3}  "
                     f"{file_and_reason(r)}{after}")
    lines.append(summary_line(status) + ".")
    if coverage_line(status):
        lines.append(coverage_line(status))
    if (status.rows["received_from"] == "file_time").any():
        lines.append("* ngày nhận lấy theo thời gian sửa tệp (báo cáo không ghi ngày).")
    return "\n".join(lines)


def status_document(status: ReportingStatus, synthetic: bool = False):
    """The status as a document (a page, a workbook sheet)."""
    from cchc_tools.content.document import Cell, Document, Heading, Paragraph, Table, page_head
    from cchc_tools.periods import period_phrase

    when = period_phrase(status.period, status.year)
    # the units that reported first (what the Sở has in hand), then those it still waits for: never scattered
    groups: dict[bool, list] = {True: [], False: []}
    for r in status.rows.itertuples(index=False):
        how = FROM_VI[r.received_from]
        counts = ([Cell(str(n), n, "count") for n in (r.errors, r.warnings, r.points)] if r.source
                  else [Cell(""), Cell(""), Cell("")])  # no report: nothing checked, not zero
        groups[r.state not in NOT_RECEIVED].append(
            [Cell(r.code), Cell(unit_text(r)), Cell(state_text(r)), Cell(date_vi(r.received_on)
                                                                      + (f" ({how})" if how else "")),
             *counts, Cell(file_and_reason(r))])
    meta = [summary_line(status) + "."]
    if coverage_line(status):
        meta.append(coverage_line(status))
    if status.due:
        meta.append(f"Hạn nộp báo cáo: {date_vi(status.due)}; báo cáo Sở nhận sau hạn là nộp muộn"
                    + (f"; tình hình tính đến ngày {date_vi(status.today)}." if status.today else "."))
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
    blocks = page_head(synthetic) + [Heading(title, 1)] + [Paragraph.of(m, "meta") for m in meta] + [table]
    return Document(title, blocks, synthetic, landscape=True)


def write_status(status: ReportingStatus, out_dir: str | Path, formats: Iterable[str] = ("html", "xlsx"),
                 synthetic: bool = False) -> list[Path]:
    """``<out_dir>/status-<period>.html`` and ``.xlsx`` (those ``formats`` asks for: the page and the workbook
    are what the status is kept as), each whole or not at all."""
    from cchc_tools.render.formats import write_document

    wanted = [f for f in ("html", "xlsx") if f in formats]
    return write_document(status_document(status, synthetic), out_dir, f"status-{status.period.lower()}", wanted)


def period_states(root: str | Path) -> dict[tuple[int, str], dict]:
    """What the reporting cycle recorded of each period (``<root>/<year>/cycle-<period>.json``, written by
    ``cchc cycle`` and its steps), keyed by (year, period), with its files' paths made relative to ``root``:
    what the index page shows of each period (``render.export.render_index(periods=...)``)."""
    import json

    from cchc_tools.periods import PERIODS

    root = Path(root)
    out = {}
    for path in sorted(root.glob("[0-9][0-9][0-9][0-9]/cycle-*.json")):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            key = (int(state["year"]), str(state["period"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if key[1] not in PERIODS:  # a file no valid run writes (an unknown period): never a "Kỳ X" on the index
            continue
        base = path.parent.relative_to(root).as_posix()
        state["files"] = {k: f"{base}/{v}" for k, v in state.get("files", {}).items()
                          if (path.parent / v).exists()}
        for info in state.get("letters", {}).values():
            info["file"] = f"{base}/{info['file']}" if (path.parent / info["file"]).exists() else ""
        out[key] = state
    return out
