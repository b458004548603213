"""Vietnamese sentences and small HTML blocks for briefings, built from the tidy table.

Every string that came from an input file is escaped: a label such as
``<b>`` in a unit's file is shown as text, never interpreted as HTML.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from cchc_tools.numbers import fmt_number, fmt_percent

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_phrase(period: str, year) -> str:
    """``annual, 2022`` -> ``Năm 2022``; ``Q3`` -> ``Quý III năm 2022``."""
    y = "" if year is None or (isinstance(year, float) and math.isnan(year)) else str(int(year))
    if period == "annual":
        return f"Năm {y}"
    if period.startswith("Q") and period[1:].isdigit():
        return f"Quý {_ROMAN.get(int(period[1:]), period[1:])} năm {y}"
    if period == "6-month":
        return f"6 tháng đầu năm {y}"
    if period == "9-month":
        return f"9 tháng năm {y}"
    return f"Kỳ {period} năm {y}".strip()


def level_phrase(level: str) -> str:
    return {"province": "cấp tỉnh", "department": "sở, ban, ngành", "district": "cấp huyện",
            "commune": "cấp xã"}.get(level, "")


class Facts:
    """Values of one report by catalog code, formatted on demand; blanks stay None."""

    def __init__(self, rows: pd.DataFrame) -> None:
        coded = rows[rows["code"] != ""].drop_duplicates("code")
        self.values = dict(zip(coded["code"], coded["value"], strict=True))
        self.lines = dict(zip(coded["code"], coded["line"], strict=True))

    def get(self, code: str) -> float | None:
        v = self.values.get(code)
        return None if v is None or math.isnan(v) else float(v)

    def n(self, code: str) -> str | None:
        v = self.get(code)
        return None if v is None else fmt_number(v)

    def ratio(self, num: str, den: str) -> str | None:
        a, b = self.get(num), self.get(den)
        if a is None or b is None or b == 0:
            return None
        return f"{fmt_number(a)}/{fmt_number(b)} ({fmt_percent(a / b * 100)})"


def _join(parts: list[str | None], sep: str = "; ") -> str:
    return sep.join(p for p in parts if p)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


def section_sentences(section: str, f: Facts, who: str, when: str) -> list[str]:
    """Plain-text Vietnamese sentences for one section; pieces with no data are left out."""
    out: list[str] = []
    if section == "I":
        done, plan = f.n("I.plan_tasks_done"), f.n("I.plan_tasks")
        rate = f.get("I.plan_completion_pct")
        if done and plan:
            r = f.get("I.plan_tasks_done") / f.get("I.plan_tasks") * 100 if f.get("I.plan_tasks") else rate
            out.append(f"{when}, {who} hoàn thành {done}/{plan} nhiệm vụ của Kế hoạch CCHC, đạt {fmt_percent(r)}")
        elif rate is not None:
            out.append(f"{when}, {who} báo cáo tỷ lệ hoàn thành Kế hoạch CCHC đạt {fmt_percent(rate)}")
        insp = _join([f"{f.n('I.inspection_offices')} phòng ban" if f.n("I.inspection_offices") else None,
                      f"{f.n('I.inspection_subunits')} đơn vị trực thuộc" if f.n("I.inspection_subunits") else None,
                      f"{f.n('I.inspection_communes')} UBND cấp xã" if f.n("I.inspection_communes") else None], ", ")
        bits = [f"ban hành {f.n('I.directive_docs')} văn bản chỉ đạo CCHC" if f.n("I.directive_docs") else None,
                f"kiểm tra CCHC tại {insp}" if insp else None]
        if f.n("I.inspection_issues_found"):
            bits.append(f"phát hiện {f.n('I.inspection_issues_found')} vấn đề, đã xử lý xong "
                        f"{f.n('I.inspection_issues_fixed') or 'chưa báo cáo'}")
        if any(bits):
            out.append(_join(bits, "; "))
        if f.get("I.survey_satisfaction_pct") is not None:
            forms = f" qua {f.n('I.survey_forms')} phiếu khảo sát" if f.n("I.survey_forms") else ""
            out.append(f"tỷ lệ hài lòng của người dân, tổ chức đạt {fmt_percent(f.get('I.survey_satisfaction_pct'))}"
                       f"{forms}")
    elif section == "II":
        if f.n("II.legal_docs_issued"):
            extra = _join([f"{f.n('II.legal_docs_on_schedule')} đúng tiến độ" if f.n("II.legal_docs_on_schedule")
                           else None,
                           f"{f.n('II.legal_docs_due_process')} đúng quy trình" if f.n("II.legal_docs_due_process")
                           else None], ", ")
            extra = f" ({extra})" if extra else ""
            out.append(f"{when}, {who} ban hành {f.n('II.legal_docs_issued')} VBQPPL{extra}")
        unlawful = [f.get("II.self_check_unlawful"), f.get("II.check_unlawful")]
        if f.n("II.self_check_docs") or f.n("II.check_docs"):
            found = sum(v for v in unlawful if v is not None)
            out.append(f"tự kiểm tra {f.n('II.self_check_docs') or '0'} và kiểm tra theo thẩm quyền "
                       f"{f.n('II.check_docs') or '0'} văn bản, phát hiện {fmt_number(found)} văn bản trái pháp luật")
        if f.n("II.review_done"):
            req = f" trên {f.n('II.review_required')} văn bản phải rà soát" if f.n("II.review_required") else ""
            out.append(f"rà soát {f.n('II.review_done')} VBQPPL{req}")
    elif section == "III":
        if f.n("III.tthc_in_force"):
            parts = _join([f"{f.n('III.tthc_in_force_district')} cấp huyện" if f.n("III.tthc_in_force_district")
                           else None,
                           f"{f.n('III.tthc_in_force_commune')} cấp xã" if f.n("III.tthc_in_force_commune") else None],
                          ", ")
            parts = f" ({parts})" if parts else ""
            out.append(f"tổng số TTHC đang có hiệu lực là {f.n('III.tthc_in_force')}{parts}")
        for lvl, name in (("district", "Cấp huyện"), ("commune", "Cấp xã")):
            rec, res, ont = (f.n(f"III.dossiers_{lvl}_{k}") for k in ("received", "resolved", "on_time"))
            if rec or res:
                s = f"{name} tiếp nhận {rec or 'chưa báo cáo'} hồ sơ, đã giải quyết {res or 'chưa báo cáo'}"
                rate = f.ratio(f"III.dossiers_{lvl}_on_time", f"III.dossiers_{lvl}_resolved")
                if ont:
                    s += f", trong đó đúng hạn {rate or ont}"
                out.append(s)
    elif section == "IV":
        if f.n("IV.civil_quota"):
            present = f.n("IV.civil_present") or "chưa báo cáo"
            s = f"biên chế công chức được giao {f.n('IV.civil_quota')}, có mặt {present}"
            if f.get("IV.civil_streamlined") == 0:
                s += "; trong kỳ chưa tinh giản biên chế"
            elif f.n("IV.civil_streamlined"):
                s += f"; đã tinh giản {f.n('IV.civil_streamlined')} biên chế"
            out.append(s)
        if f.n("IV.sncl_staff_quota"):
            s = (f"số người làm việc tại đơn vị SNCL được giao {f.n('IV.sncl_staff_quota')}, có mặt "
                 f"{f.n('IV.sncl_staff_present') or 'chưa báo cáo'}")
            if f.get("IV.sncl_staff_streamlined") == 0:
                s += "; trong kỳ chưa tinh giản"
            elif f.n("IV.sncl_staff_streamlined"):
                s += f"; đã tinh giản {f.n('IV.sncl_staff_streamlined')} người"
            out.append(s)
        cuts = _join([f"{f.n('IV.offices_cut')} phòng chuyên môn" if f.get("IV.offices_cut") else None,
                      f"{f.n('IV.sncl_cut')} đơn vị SNCL" if f.get("IV.sncl_cut") else None], " và ")
        if cuts:
            out.append(f"trong kỳ đã cắt giảm {cuts}")
    elif section == "V":
        rec = _join([f"{f.n('V.recruited_civil')} công chức" if f.get("V.recruited_civil") else None,
                     f"{f.n('V.recruited_employees')} viên chức" if f.get("V.recruited_employees") else None], " và ")
        if rec:
            out.append(f"tuyển dụng {rec}")
        if f.n("V.training_done"):
            plan = f" so với kế hoạch {f.n('V.training_planned')} người" if f.n("V.training_planned") else ""
            rate = f.ratio("V.training_done", "V.training_planned")
            out.append(f"đào tạo, bồi dưỡng {f.n('V.training_done')} người{plan}"
                       + (f" ({rate.split('(')[-1]}" if rate else ""))
        if f.n("V.rotation_done"):
            out.append(f"chuyển đổi vị trí công tác {f.n('V.rotation_done')}"
                       + (f"/{f.n('V.rotation_target')} người theo chỉ tiêu" if f.n("V.rotation_target") else " người"))
        if f.n("V.discipline") is not None:
            out.append(f"xử lý kỷ luật {f.n('V.discipline')} cán bộ, công chức, viên chức")
    elif section == "VI":
        if f.n("VI.admin_autonomy_units"):
            out.append(f"{f.n('VI.admin_autonomy_units')} tổ chức hành chính thực hiện cơ chế tự chủ về kinh phí")
        if f.n("VI.sncl_autonomy"):
            parts = _join([f"{f.n('VI.sncl_autonomy_full_invest')} tự chủ chi thường xuyên và chi đầu tư"
                           if f.get("VI.sncl_autonomy_full_invest") else None,
                           f"{f.n('VI.sncl_autonomy_full_recurrent')} tự chủ chi thường xuyên"
                           if f.get("VI.sncl_autonomy_full_recurrent") else None,
                           f"{f.n('VI.sncl_autonomy_partial')} tự chủ một phần"
                           if f.get("VI.sncl_autonomy_partial") else None,
                           f"{f.n('VI.sncl_state_funded')} do nhà nước bảo đảm chi thường xuyên"
                           if f.get("VI.sncl_state_funded") else None], ", ")
            parts = f" ({parts})" if parts else ""
            out.append(f"{f.n('VI.sncl_autonomy')} đơn vị SNCL thực hiện cơ chế tự chủ{parts}")
    elif section == "VII":
        docs = _join([f"cấp huyện {f.ratio('VII.edocs_district_electronic', 'VII.edocs_district_out')}"
                      if f.ratio("VII.edocs_district_electronic", "VII.edocs_district_out") else None,
                      f"cấp xã {f.ratio('VII.edocs_commune_electronic', 'VII.edocs_commune_out')}"
                      if f.ratio("VII.edocs_commune_electronic", "VII.edocs_commune_out") else None], ", ")
        if docs:
            out.append(f"văn bản đi được gửi hoàn toàn dưới dạng điện tử: {docs}")
        p3, p4 = f.get("VII.dvc3_provided"), f.get("VII.dvc4_provided")
        if p3 is not None or p4 is not None:
            out.append(f"cung cấp {fmt_number((p3 or 0) + (p4 or 0))} dịch vụ công trực tuyến "
                       f"({f.n('VII.dvc3_provided') or '0'} mức độ 3, {f.n('VII.dvc4_provided') or '0'} mức độ 4)")
        online = f.ratio("VII.dvc_dossiers_online", "VII.dvc_dossiers_total")
        if online:
            out.append(f"hồ sơ tiếp nhận trực tuyến: {online}")
        if f.n("VII.certs_leaders_total"):
            out.append(f"{f.n('VII.certs_leaders_total')} lãnh đạo đã được cấp chứng thư số")
    return [_sentence(s) for s in out if s]


def paragraph(sentences: list[str]) -> str:
    """HTML paragraph of escaped sentences; a note when there is nothing to say."""
    if not sentences:
        return "<p><em>Đơn vị chưa báo cáo số liệu của phần này.</em></p>"
    return "<p>" + " ".join(escape(s) for s in sentences) + "</p>"


def html_table(headers: list[str], rows: list[list[str]], *, classes: str = "cchc") -> str:
    """A small HTML table; every cell is escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def change_phrase(now: float | None, before: float | None, before_label: str) -> str:
    """``+1,20 điểm % so với năm 2021``; empty when either side is missing."""
    if now is None or before is None or math.isnan(now) or math.isnan(before):
        return ""
    diff = now - before
    if abs(diff) < 0.005:
        return f"không đổi so với {before_label}"
    word = "tăng" if diff > 0 else "giảm"
    return f"{word} {fmt_number(abs(diff), 2)} điểm % so với {before_label}"


STYLE = """<style>
.cchc-banner{background:#b00020;color:#fff;font-weight:bold;padding:.6em 1em;margin:.5em 0;font-size:1.1em}
.cchc-head h1{margin-bottom:.2em}.cchc-head p{margin:.1em 0;color:#333}
table.cchc{border-collapse:collapse;margin:.6em 0;font-size:.95em}
table.cchc th,table.cchc td{border:1px solid #ccc;padding:.25em .6em;text-align:left !important;vertical-align:top}
table.cchc th{background:#f0f3f7}
.cchc-cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0}
.cchc-card{border:1px solid #c9d3e0;border-radius:6px;padding:.5em .8em;min-width:13em;max-width:18em;
 background:#f7f9fc}
.cchc-card .v{font-size:1.6em;font-weight:bold;color:#1f4e79}.cchc-card .l{font-size:.9em}
.cchc-card .d{font-size:.8em;color:#555}
.sev-error{color:#b00020;font-weight:bold}.sev-warning{color:#a15c00}.sev-info{color:#555}
</style>"""
