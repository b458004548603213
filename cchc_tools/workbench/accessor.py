"""The ``.cchc`` accessor: the kit's tables as a Vietnamese reader reads them.

``table.cchc.style()`` is a pandas Styler with Vietnamese column titles, numbers in Vietnamese
format (``24.407``, ``99,87%``, ``100%``, written by :mod:`cchc_tools.numbers`), every figure that a
finding questions marked with its reference (``100% [L1]``, the finding's message as a tooltip),
values below their target and figures in doubt highlighted. The frame keeps the kit's English column
names and its numbers for code; only the display is Vietnamese.

The accessor validates its frame: a table of the workbench (``attrs["cchc"]`` names its kind) must
still hold the columns its figures and their doubts need; an assessment or findings table of
:func:`~cchc_tools.pipeline.computed` is recognised by its columns; anything else is refused
with a message saying what the accessor takes (:class:`NotAKitTable`).
"""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cchc_tools.errors import CchcError
from cchc_tools.numbers import fmt_count, fmt_number, fmt_percent
from cchc_tools.periods import date_vi
from cchc_tools.vocabulary import LEVEL_VI, SEVERITY_VI

if TYPE_CHECKING:  # imported when a table is styled: pandas' Styler costs a tenth of a second at import
    from pandas.io.formats.style import Styler

STATUS_VI = {"met": "Đạt mục tiêu", "below_target": "Chưa đạt mục tiêu", "doubtful": "Số liệu cần xem lại",
             "not_reported": "Chưa đủ số liệu", "no_target": ""}  # the briefings' words (content.views.common)
BELOW = "background-color: #fde2e1; color: #8a1c14"  # below its target
DOUBT = "background-color: #fff3cd"  # questioned by a finding
CSS = [{"selector": "", "props": "border-collapse: collapse; font-size: 0.92em"},
       {"selector": "th", "props": "text-align: left; padding: 2px 8px; border-bottom: 1px solid #888; "
                                       "line-height: 1.3; vertical-align: bottom"},
       {"selector": "td", "props": "padding: 2px 8px; border-bottom: 1px solid #ddd; line-height: 1.3"},
       {"selector": "caption", "props": "caption-side: top; text-align: left; padding: 4px 0; color: #333"}]


_TABLES = itertools.count(1)


class NotAKitTable(CchcError, TypeError):
    """A frame the ``.cchc`` accessor cannot show: not one of the kit's tables, or one missing columns."""


# --- how each cell is written ------------------------------------------------------------------

def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def pct(v: Any) -> str:
    """A percentage with two decimals, a whole one whole: ``99,87%``, ``99,60%``, ``100%``, ``0%``."""
    if _blank(v):
        return "—"
    v = float(v)
    return fmt_percent(v, 0) if round(v, 2).is_integer() else fmt_percent(v, 2, trim=False)


def points(v: Any) -> str:
    """A change in percentage points, signed: ``+1,25``, ``-0,40``, ``0``."""
    if _blank(v):
        return "—"
    v = round(float(v), 2)
    return ("+" if v > 0 else "") + (fmt_number(v, 0) if v.is_integer() else fmt_number(v, 2))


def count(v: Any) -> str:
    return "—" if _blank(v) else fmt_count(v)


def number(v: Any) -> str:
    return "—" if _blank(v) else fmt_number(float(v), 2, trim=True)


def integer(v: Any) -> str:
    return "" if _blank(v) else str(int(v))


def text(v: Any) -> str:
    return "" if _blank(v) else str(v)


def level(v: Any) -> str:
    return LEVEL_VI.get(str(v), text(v))


def status(v: Any) -> str:
    return STATUS_VI.get(str(v), text(v))


def severity(v: Any) -> str:
    return SEVERITY_VI.get(str(v), text(v))


def day(v: Any) -> str:
    """A date as a Vietnamese page writes it: ``16/12/2022``."""
    if _blank(v) or v == "":
        return ""
    return date_vi(v) if hasattr(v, "strftime") else text(v)  # the kit's one date formatter


def reported(v: Any) -> str:
    return "Đã nộp" if v is True or v == 1 else "Chưa nộp"


FORMATS = {"pct": pct, "points": points, "count": count, "number": number, "int": integer, "text": text,
           "level": level, "status": status, "severity": severity, "reported": reported, "date": day}


@dataclass(frozen=True)
class Col:
    """A displayed column: its title, how its cells are written, and (for a figure) where its doubts are."""

    name: str
    title: str
    fmt: str = "text"
    refs: str = ""  # the column of finding references that question this figure ("L1; C4")
    doubt: str = ""  # the column of the findings' messages (the tooltip)
    status: str = ""  # the column of the assessment's status (below target, doubtful) for the highlight


def _figure(name: str, title: str, fmt: str = "pct", suffix: str = "") -> Col:
    return Col(name, title, fmt, "findings" + suffix, "doubt" + suffix, "status" + suffix)


KINDS: dict[str, tuple[list[Col], set[str]]] = {
    # kind: (displayed columns, the columns that must be there)
    "league": ([Col("rank", "Hạng", "int"), Col("unit_name", "Đơn vị"), Col("level", "Cấp", "level"),
                _figure("shown", "Tỷ lệ"), _figure("reported_text", "Đơn vị tự báo cáo", "text"),
                _figure("numerator", "Tử số", "count"), _figure("denominator", "Mẫu số", "count"),
                Col("target_text", "Mục tiêu"), Col("status", "Đánh giá", "status"),
                Col("since_previous", "So với kỳ trước (điểm phần trăm)", "points"),
                Col("change", "So với cùng kỳ năm trước (điểm phần trăm)", "points")],
               {"unit_name", "value", "findings", "status"}),
    "assessed": ([Col("unit_name", "Đơn vị"), Col("year", "Năm", "int"), Col("period", "Kỳ"),
                  Col("name_vi", "Chỉ số"), _figure("shown", "Tỷ lệ"),
                  _figure("reported_text", "Đơn vị tự báo cáo", "text"),
                  Col("target_text", "Mục tiêu"), Col("status", "Đánh giá", "status"), Col("rank", "Hạng", "int"),
                  Col("change", "So với cùng kỳ năm trước (điểm phần trăm)", "points")],
                 {"unit_name", "value", "findings", "status"}),
    "trend": ([Col("when", "Kỳ báo cáo"), Col("name_vi", "Chỉ số"), _figure("shown", "Tỷ lệ"),
               _figure("reported_text", "Đơn vị tự báo cáo", "text"), _figure("numerator", "Tử số", "count"),
               _figure("denominator", "Mẫu số", "count"), Col("target_text", "Mục tiêu"),
               Col("status", "Đánh giá", "status"), Col("rank_text", "Hạng"),
               Col("change", "So với cùng kỳ năm trước (điểm phần trăm)", "points")],
              {"year", "period", "name_vi", "value", "findings", "status"}),
    "findings": ([Col("ref", "Mã"), Col("unit_name", "Đơn vị"), Col("when", "Kỳ báo cáo"),
                  Col("severity", "Mức độ", "severity"), Col("title_vi", "Vấn đề"), Col("message_vi", "Nội dung"),
                  Col("lines", "Dòng"), Col("source", "Tệp")],
                 {"severity", "title_vi", "message_vi", "lines", "source"}),
    "totals": ([Col("level", "Cấp", "level"), Col("name_vi", "Chỉ số"), Col("value", "Tỷ lệ chung", "pct"),
                Col("numerator", "Tổng tử số", "count"), Col("denominator", "Tổng mẫu số", "count"),
                Col("units", "Số đơn vị", "int"), Col("q1", "Tứ phân vị dưới", "pct"),
                Col("median", "Trung vị", "pct"), Col("q3", "Tứ phân vị trên", "pct"),
                Col("excluded", "Không tính (số liệu cần xem lại)")],
               {"name_vi", "value", "units", "excluded"}),
    "counts": ([Col("level", "Cấp", "level"), Col("label_vi", "Chỉ tiêu"), Col("value", "Tổng", "count"),
                Col("units_reported", "Số đơn vị báo cáo", "int"), Col("units", "Số đơn vị", "int")],
               {"label_vi", "value", "units_reported"}),
    "compare": ([Col("name_vi", "Chỉ số"), _figure("value_a", "{unit_a}", suffix="_a"),
                 _figure("value_b", "{unit_b}", suffix="_b"), Col("total", "Chung {level_vi}", "pct"),
                 Col("diff", "Chênh lệch (điểm phần trăm)", "points")],
                {"name_vi", "value_a", "value_b", "findings_a", "findings_b", "status_a", "status_b"}),
    "trace": ([Col("source", "Tệp"), Col("page", "Trang", "int"), Col("line", "Dòng", "int"), Col("stt", "STT"),
               Col("role", "Vai trò"),
               Col("label", "Chỉ tiêu (như đơn vị ghi)"), Col("uom", "Đơn vị tính"),
               _figure("raw_value", "Số liệu (như đơn vị ghi)", "text"), Col("note", "Ghi chú của đơn vị")],
              {"source", "line", "label", "raw_value", "note", "findings"}),
    "status": ([Col("name", "Đơn vị"), Col("code", "Mã đơn vị hành chính"), Col("level", "Cấp", "level"),
                Col("state_vi", "Tình trạng"), Col("received_on", "Ngày nhận", "date"), Col("errors", "Lỗi", "int"),
                Col("warnings", "Cảnh báo", "int"), Col("reason", "Ghi chú"), Col("source", "Tệp")],
               {"name", "state", "state_vi"}),
    "units": ([Col("unit_name", "Đơn vị"), Col("unit_code", "Mã đơn vị hành chính"), Col("level", "Cấp", "level"),
               Col("reported", "Phụ lục", "reported"), Col("errors", "Lỗi", "int"),
               Col("warnings", "Cảnh báo", "int"), Col("doubtful", "Chỉ số cần xem lại", "int"),
               Col("not_reported", "Chỉ số chưa đủ số liệu", "int"), Col("source", "Tệp")],
              {"unit", "unit_name", "reported"}),
    "doubts": ([Col("unit_name", "Đơn vị"), Col("level", "Cấp", "level"), Col("when", "Kỳ báo cáo"),
                Col("name_vi", "Chỉ số"), _figure("shown", "Số liệu"), Col("doubt", "Vì sao cần xem lại"),
                Col("source", "Tệp")],
               {"unit_name", "name_vi", "value", "findings", "doubt", "status"}),
    "grid": ([Col("unit_name", "Đơn vị"), Col("level", "Cấp", "level")], {"unit_name"}),
}
_ASSESSED = {"source", "unit", "indicator", "value", "status", "findings", "rank", "target"}
_FINDINGS = {"source", "rule", "severity", "title_vi", "message_vi", "codes", "lines"}


def kind_of(df: pd.DataFrame) -> str:
    """The kit's kind of ``df``, or :class:`NotAKitTable` saying what is wrong."""
    if not isinstance(df, pd.DataFrame):
        raise NotAKitTable(f"the .cchc accessor takes a DataFrame, not {type(df).__name__}")
    kind = df.attrs.get("cchc")
    cols = set(df.columns)
    if kind is None:
        if cols >= _ASSESSED:
            kind = "assessed"
        elif cols >= _FINDINGS:
            kind = "findings"
        else:
            raise NotAKitTable(
                "this table is not one of the kit's: it was not returned by the workbench (cchc_tools.open(): "
                "ws.league, ws.trend, ws.findings, ws.totals, ws.compare, ws.trace, ws.units) and its columns "
                f"{sorted(map(str, cols))[:12]} are neither an assessment (computed(...).assessed: "
                f"{', '.join(sorted(_ASSESSED))}) nor findings ({', '.join(sorted(_FINDINGS))})")
    if kind not in KINDS:
        raise NotAKitTable(f"unknown kit table kind {kind!r} in attrs['cchc']; known: {', '.join(KINDS)}")
    missing = KINDS[kind][1] - cols
    if missing:
        raise NotAKitTable(f"this {kind} table lacks the columns {', '.join(sorted(missing))}, which its figures "
                           "and the findings that question them need; select rows, not these columns, or show "
                           "it as a plain DataFrame (pd.DataFrame(table))")
    return kind


def _derived(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Columns made for display only: a target as ``≥ 95%``, the report's period in words, a rank of n."""
    from cchc_tools.periods import period_phrase

    add: dict[str, Any] = {}
    if "target" in df and "target_text" not in df:
        ops = df["target_op"] if "target_op" in df else pd.Series(">=", index=df.index)
        add["target_text"] = [("" if _blank(t) else ("≥ " if o == ">=" else "≤ ") + pct(t))
                              for t, o in zip(df["target"], ops, strict=True)]
    if "year" in df and "period" in df and "when" not in df:
        add["when"] = [period_phrase(p, y) for y, p in zip(df["year"], df["period"], strict=True)]
    if "value" in df and "shown" not in df:  # every page prints the unit's own figure when it agrees
        add["shown"] = df["value"]
    if kind == "trend" and "rank" in df:
        add["rank_text"] = [("" if _blank(r) else f"{int(r)}/{int(n)}")
                            for r, n in zip(df["rank"], df.get("peers", df["rank"]), strict=True)]
    return df.assign(**add) if add else df


def _refs(text: Any) -> list[str]:
    return [] if _blank(text) else [p for p in str(text).split("; ") if p]


def columns(df: pd.DataFrame, kind: str) -> list[Col]:
    """The displayed columns of ``df`` (a grid's periods are its own: ``attrs["columns"]``)."""
    cols = [c for c in KINDS[kind][0] if c.name in df.columns]
    if kind == "grid":
        cols += [Col(f"v{k}", title, "pct", f"findings{k}", f"doubt{k}", f"status{k}")
                 for k, title in enumerate(df.attrs.get("columns", [])) if f"v{k}" in df.columns]
    return cols


def display_frame(df: pd.DataFrame, kind: str | None = None, as_html: bool = False
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table as shown: (cells, cell styles), columns titled in Vietnamese.

    Cells are Vietnamese text, a questioned figure followed by its references (``100% [L1]``); with
    ``as_html`` they are escaped HTML and each reference carries its finding's message as a tooltip
    (``<abbr title="L1: ...">[L1]</abbr>``).
    """
    kind = kind or kind_of(df)
    df = _derived(df, kind)
    names = {k: v for k, v in df.attrs.items() if isinstance(v, str)}
    names["level_vi"] = LEVEL_VI.get(str(df.attrs.get("level") or ""), "")
    cols = columns(df, kind)
    shown, css = {}, {}
    index = range(len(df))
    for c in cols:
        fmt = FORMATS[c.fmt]
        values = df[c.name].tolist()
        refs = df[c.refs].tolist() if c.refs in df else [None] * len(df)
        doubt = df[c.doubt].tolist() if c.doubt in df else [None] * len(df)
        stat = df[c.status].tolist() if c.status in df else [None] * len(df)
        cells, style = [], []
        for v, r, d, s in zip(values, refs, doubt, stat, strict=True):
            refs_here = _refs(r) if not _blank(v) and v != "" else []
            cell = html.escape(fmt(v)) if as_html else fmt(v)
            if refs_here and as_html:
                tip = html.escape(text(d) or "; ".join(refs_here), quote=True)
                cell += " " + " ".join(f'<abbr class="cchc-ref" title="{tip}">[{x}]</abbr>' for x in refs_here)
            elif refs_here:
                cell += " " + " ".join(f"[{x}]" for x in refs_here)
            cells.append(cell)
            style.append(DOUBT if s == "doubtful" and refs_here else BELOW if s == "below_target" else
                         DOUBT if refs_here else "")
        if c.name == "rank" and "status" in df:  # a questioned figure is never ranked: say so
            cells = [("không xếp hạng" if s == "doubtful" else x) for x, s in zip(cells, df["status"], strict=True)]
        title = c.title.format(**names) if "{" in c.title else c.title
        while title in shown:  # two units of the same name side by side
            title += " "
        shown[title], css[title] = cells, style
    return pd.DataFrame(shown, index=index), pd.DataFrame(css, index=index)


def caption(df: pd.DataFrame, kind: str) -> str:
    from cchc_tools.periods import period_in_sentence, period_phrase

    a = df.attrs
    when = period_phrase(a["period"], a["year"]) if a.get("period") and a.get("year") else ""
    lvl = LEVEL_VI.get(str(a.get("level") or ""), "")
    if kind == "league":
        out = f"{a.get('name_vi', '')} – {when}{' – ' + lvl if lvl else ''}. Hạng trong từng cấp, cao nhất là 1."
        excluded = a.get("excluded") or []
        if excluded:
            names = "; ".join(f"{n} [{'] ['.join(_refs(f))}]" for n, f in excluded)
            out += (f" Không xếp hạng {len(excluded)} đơn vị có số liệu cần xem lại (lỗi ở chính các số dùng để "
                    f"tính): {names}.")
        return out
    if kind == "totals":
        inside = period_in_sentence(a["period"], a["year"]) if when else ""
        return (f"Tổng hợp {inside}{' – ' + lvl if lvl else ''}: tỷ lệ chung tính từ tổng tử số và tổng mẫu "
                "số của các đơn vị báo cáo đủ số liệu; đơn vị có số liệu cần xem lại ở chỉ số nào thì không tính "
                "vào chỉ số đó.")
    if kind == "counts":
        return f"Tổng các chỉ tiêu đếm được – {when}, không tính số liệu có lỗi."
    if kind == "trend":
        return f"Diễn biến các chỉ số của {a.get('unit_name', '')} qua các kỳ báo cáo."
    if kind == "compare":
        return f"So sánh {a.get('unit_a', '')} và {a.get('unit_b', '')} – {when}."
    if kind == "trace":
        if a.get("indicator"):
            if _blank(a.get("numerator")) or _blank(a.get("denominator")):  # a rate the unit only states
                v = f"{a['name_vi']}: {pct(a.get('shown', a['value']))}"
            else:
                v = (f"{a['name_vi']} = {count(a['numerator'])} / {count(a['denominator'])} = "
                     f"{pct(a['value'])}")
            own = f"; đơn vị tự báo cáo {a['reported_text']}" if a.get("reported_text") else ""
            refs = f" [{'] ['.join(_refs(a.get('refs')))}]" if _refs(a.get("refs")) else ""
            return f"{a['unit_name']} – {when}: {v}{refs}{own}. Nguồn: {a['source']}."
        return f"{a.get('unit_name', '')} – {when}. Nguồn: {a.get('source', '')}."
    if kind == "doubts":
        return (f"Số liệu cần xem lại{' – ' + when if when else ''}{' – ' + lvl if lvl else ''}: {len(df)} số liệu, "
                "mỗi số liệu kèm lý do.")
    if kind == "grid":
        return f"{a.get('name_vi', '')} của từng đơn vị qua các kỳ báo cáo{' – ' + lvl if lvl else ''}."
    if kind == "units":
        return f"Các đơn vị{' – ' + when if when else ''}."
    if kind == "status":
        n = (df["state"] == "missing").sum() if "state" in df else 0
        due = f"; hạn nộp {a['due']}" if a.get("due") else ""
        return f"Tình hình nộp phụ lục – {when}{due}: {len(df)} đơn vị, {n} chưa nộp."
    return ""


def table_html(df: pd.DataFrame, kind: str | None = None) -> str:
    """The kit's table as an HTML ``<table>`` of its own id (``T_cchcN``: its styles never reach another table),
    the caption above, cells as :func:`display_frame` writes them with their highlight as an inline style."""
    kind = kind or kind_of(df)
    shown, css = display_frame(df, kind, as_html=True)
    uid = f"T_cchc{next(_TABLES)}"
    rules = "".join(f"#{uid}{(' ' + r['selector']) if r['selector'] else ''} {{{r['props']}}}" for r in CSS)
    cap = caption(df, kind)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for cells, styles in zip(shown.itertuples(index=False), css.itertuples(index=False), strict=True):
        body.append("<tr>" + "".join(f'<td style="{st}">{c}</td>' if st else f"<td>{c}</td>"
                                     for c, st in zip(cells, styles, strict=True)) + "</tr>")
    return (f'<style>{rules}</style><table id="{uid}" class="cchc-table" lang="vi">'
            + (f"<caption>{html.escape(cap)}</caption>" if cap else "")
            + f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


EXCEL_FORMATS = {"pct": "percent", "count": "count", "number": "decimal", "points": "decimal", "int": "integer"}
DOUBT_COLUMN = "Số liệu cần xem lại (lý do)"
SHEET_TITLES = {"league": "Xếp hạng", "trend": "Diễn biến", "findings": "Phát hiện", "totals": "Tổng hợp",
                "counts": "Tổng chỉ tiêu", "compare": "So sánh", "trace": "Nguồn số liệu", "status": "Tình hình nộp",
                "units": "Đơn vị", "doubts": "Cần xem lại", "grid": "Qua các kỳ", "assessed": "Chỉ số"}


def _source_line(df: pd.DataFrame) -> str:
    a = df.attrs
    if a.get("source"):
        return f"Nguồn: {a['source']}"
    n = df["source"].nunique() if "source" in df else 0
    where = f" trong thư mục dữ liệu {a['data']}" if a.get("data") else ""
    return f"Nguồn: {n} phụ lục của các đơn vị{where}, tính bằng cchc-kit." if n else "Nguồn: cchc-kit."


def write_excel(df: pd.DataFrame, path, kind: str | None = None, today=None):
    """The table as shown, to an .xlsx workbook (whole or not at all): a title, the source and the date above the
    table; numbers stored as numbers with the Vietnamese formats as number formats (percentages as fractions with
    ``0.00%``, counts ``#,##0``: see :mod:`cchc_tools.render.workbook`); a figure in doubt highlighted and its
    reasons in the last column; the file of each row when the table has one."""
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from cchc_tools.atomic import write_with
    from cchc_tools.render.workbook import DOUBT_FILL, HEADER_FILL, print_setup
    from cchc_tools.render.workbook import FORMATS as XFMT

    kind = kind or kind_of(df)
    d = _derived(df, kind).reset_index(drop=True)
    cols = columns(d, kind)
    titles = list(display_frame(df, kind)[0].columns)
    with_file = "source" in d and not any(c.name == "source" for c in cols)
    today = today or dt.date.today()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES.get(kind, "Bảng")
    ws.append([caption(df, kind) or SHEET_TITLES.get(kind, "")])
    ws.append([_source_line(df)])
    ws.append([f"Ngày lập: {date_vi(today)}"])
    ws.append([])
    ws["A1"].font = Font(bold=True)
    headers = titles + (["Tệp nguồn"] if with_file else []) + [DOUBT_COLUMN]
    ws.append(headers)
    head = 5
    for cell in ws[head]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    fill = PatternFill("solid", fgColor=DOUBT_FILL)
    statuses = d["status"].tolist() if "status" in d else [None] * len(d)
    for i in range(len(d)):
        r = head + 1 + i
        reasons: list[str] = []
        for j, c in enumerate(cols, start=1):
            v = d[c.name].iat[i]
            cell = ws.cell(row=r, column=j)
            fmt = EXCEL_FORMATS.get(c.fmt)
            unranked = c.name == "rank" and statuses[i] == "doubtful"
            if fmt and not _blank(v) and not unranked:
                num = float(v)
                cell.value = num / 100 if fmt == "percent" else int(num) if (
                    fmt in ("integer", "count") and num.is_integer()) else num
                cell.number_format = XFMT[fmt]
            else:
                cell.value = "không xếp hạng" if unranked else FORMATS[c.fmt](v)
                cell.data_type = "s"  # never a formula
            refs = _refs(d[c.refs].iat[i]) if c.refs in d and not _blank(v) and v != "" else []
            if refs:
                cell.fill = fill
                why = text(d[c.doubt].iat[i]) if c.doubt in d else ""
                for reason in (why.split("\n") if why else refs):
                    if reason not in reasons:
                        reasons.append(reason)
        extra = ([text(d["source"].iat[i])] if with_file else []) + ["; ".join(reasons)]
        for k, value in enumerate(extra, start=len(cols) + 1):
            cell = ws.cell(row=r, column=k, value=value)
            cell.data_type = "s"
    for j, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(len(str(h)) // 2, 10) + 2, 50)
    ws.freeze_panes = ws.cell(row=head + 1, column=1)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(headers))}{head + max(len(d), 1)}"
    print_setup(ws, header_rows=(head, head), title=SHEET_TITLES.get(kind, ""), columns=len(headers))
    wb.properties.language = "vi-VN"
    wb.properties.creator = "cchc-kit"
    return write_with(path, lambda p: wb.save(str(p)))


@pd.api.extensions.register_dataframe_accessor("cchc")
class CchcAccessor:
    """``table.cchc``: the kit's tables in Vietnamese (``style()``, ``to_html()``, ``kind``)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.kind = kind_of(df)
        self._df = df

    def display(self) -> pd.DataFrame:
        """The cells as a Vietnamese reader reads them (text), with Vietnamese column titles."""
        return display_frame(self._df, self.kind)[0]

    def style(self) -> Styler:
        """A Styler: Vietnamese titles and numbers, questioned figures marked with a tooltip, highlights."""
        from pandas.io.formats.style import Styler

        shown, css = display_frame(self._df, self.kind, as_html=True)  # cells escaped there, markers added
        # an id of its own per table: the cell styles of one table never reach another on the same page
        styler = Styler(shown, uuid=f"cchc{next(_TABLES)}", cell_ids=False).hide(axis="index")
        if (css != "").any().any():
            styler = styler.apply(lambda _: css, axis=None)
        cap = caption(self._df, self.kind)
        if cap:
            styler = styler.set_caption(html.escape(cap))
        return styler.set_table_styles(CSS).set_table_attributes('class="cchc-table" lang="vi"')

    def to_html(self) -> str:
        """The table as HTML: what ``style().to_html()`` shows, written directly (a league of 170 units in a few
        milliseconds where the Styler takes a tenth of a second: the explorer redraws on every change)."""
        return table_html(self._df, self.kind)

    def to_string(self) -> str:
        cap = caption(self._df, self.kind)
        return (cap + "\n" if cap else "") + self.display().to_string(index=False)

    def to_tsv(self) -> str:
        """The table as shown, tab-separated (Vietnamese titles and numbers), to paste into Excel or Word."""
        shown = self.display()
        clean = [[str(x).replace("\t", " ").replace("\n", " ") for x in row] for row in shown.itertuples(index=False)]
        return "\n".join("\t".join(r) for r in [list(shown.columns), *clean]) + "\n"

    def to_excel(self, path, today=None):
        """The table as shown to an .xlsx workbook (:func:`write_excel`); returns the path."""
        return write_excel(self._df, path, self.kind, today=today)


class KitFrame(pd.DataFrame):
    """A DataFrame of the workbench: English columns and numbers for code, a Vietnamese table on display.

    Frames derived from it (a filter, ``head()``) stay KitFrames and keep the display while they keep the
    columns it needs; otherwise they display as plain DataFrames.
    """

    @property
    def _constructor(self):
        return KitFrame

    def _kit(self) -> CchcAccessor | None:
        try:
            return CchcAccessor(self)
        except NotAKitTable:
            return None

    def _repr_html_(self) -> str | None:
        kit = self._kit()
        return kit.to_html() if kit is not None else super()._repr_html_()

    def __repr__(self) -> str:
        kit = self._kit()
        return kit.to_string() if kit is not None else super().__repr__()

    def to_excel(self, excel_writer, *args, **kwargs):  # type: ignore[override]
        """A path alone: the table as shown (:func:`write_excel`: numbers as numbers in the Vietnamese formats,
        doubts and their reasons in a column, the source and the date above). With pandas' own arguments, or a
        frame cut below what its display needs: pandas' ``DataFrame.to_excel``."""
        kit = self._kit()
        if kit is None or args or kwargs or not isinstance(excel_writer, str | Path):
            return super().to_excel(excel_writer, *args, **kwargs)
        return kit.to_excel(excel_writer)


def kit_frame(df: pd.DataFrame, kind: str, **attrs) -> KitFrame:
    """``df`` as a KitFrame of ``kind`` (validated), with ``attrs`` for its caption."""
    out = KitFrame(df)
    out.attrs = {**df.attrs, **attrs, "cchc": kind}
    kind_of(out)
    return out
