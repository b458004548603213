"""The province's consolidated appendix: the units' figures added up, in the form the units used.

``consolidated_appendix(table, findings, year, period)`` gives, for every row of the form the
period's reports were read against (its numbering, labels and units of measure):

- a count: the sum over the units that reported it, leaving out a unit whose figure an error-level
  finding questions (``analysis.assess.questioned_inputs``, the kit's one rule for totals); blank
  only when no unit can be counted;
- a percentage with a declared formula (a ``rate_matches`` rule: e.g. plan completion): recomputed
  from the summed counts of the units that reported all its inputs and are not questioned; a rate
  each unit reports itself is not added up (left blank, said in the note);
- a yes/no or a code: left blank, with how many units answered what in the note;
- in "Ghi chú": how many units of the roster are behind the figure and which were left out, and why.

The derived indicators (``data/indicators.yaml``: on-time rate of dossiers...) are recomputed the same
way (``ratios``). ``write_appendix`` writes ``phu-luc-tong-hop-<period>.xlsx`` (the form's layout with
the catalog codes in a hidden column, so the kit reads it back as a province-level appendix with the
same figures; a second sheet gives every unit's input to every summed cell, a third the indicators)
and ``.docx`` (the same table, NĐ 30/2020 layout).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cchc_tools.analysis.aggregate import total_row, weighted_basis
from cchc_tools.analysis.assess import questioned_inputs
from cchc_tools.analysis.checks import shipped_rules
from cchc_tools.analysis.selection import reports
from cchc_tools.analysis.specs import indicator_inputs, indicator_specs, level_specs
from cchc_tools.catalog import by_code
from cchc_tools.errors import CchcError
from cchc_tools.forms import Form, Forms, for_level, get_form
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.periods import period_phrase
from cchc_tools.text import visible

COLUMNS = ["stt", "label", "uom", "code", "kind", "value", "note", "units_in", "units_out"]
INPUT_COLUMNS = ["code", "label", "unit_code", "unit_name", "value", "included", "reason", "source", "line"]


@dataclass
class ConsolidatedAppendix:
    """The consolidated appendix of a period: ``rows`` in the form's order (``COLUMNS``), ``inputs``
    (``INPUT_COLUMNS``: every unit's figure for every summed cell), ``ratios`` (the derived indicators)."""

    year: int
    period: str
    level: str
    form: Form
    province: str
    synthetic: bool
    units: list[str]  # names of the units whose reports are added up
    roster_size: int | None
    rows: pd.DataFrame
    inputs: pd.DataFrame
    ratios: pd.DataFrame
    missing: list[str] = field(default_factory=list)

    def value(self, code: str) -> float:
        hit = self.rows[self.rows["code"] == code]
        return float(hit["value"].iloc[0]) if len(hit) else math.nan

    @property
    def title_in_sentence(self) -> str:
        """``thống kê số liệu và kết quả thực hiện công tác cải cách hành chính quý I năm 2026``."""
        from cchc_tools.periods import period_in_sentence

        return ("thống kê số liệu và kết quả thực hiện công tác cải cách hành chính "
                + period_in_sentence(self.period, self.year))

    @property
    def title(self) -> str:
        return ("THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH "
                + period_phrase(self.period, self.year).upper())  # QUÝ I NĂM 2026


def _rate_rules(rules) -> dict[str, tuple[list[str], list[str]]]:
    return {r["rate"]: (list(r["num"]), list(r["den"])) for r in (x.as_dict() for x in rules)
            if r["family"] == "rate_matches"}


def _left_out_text(out: list[tuple[str, str]]) -> str:
    return "; ".join(f"{name} ({why})" for name, why in out)


def consolidated_appendix(table: pd.DataFrame, findings: pd.DataFrame, year: int, period: str, level: str = "",
                          *, province: str = "", roster_size: int | None = None, missing: Iterable[str] = (),
                          rules: Iterable | None = None, forms: Forms | None = None) -> ConsolidatedAppendix:
    """The consolidated appendix of the reports of ``year`` and ``period`` (of ``level``; default the
    level most reports have). ``roster_size``: how many units must report (the note says "n/N đơn vị");
    ``missing``: the names of those that did not (named in the heading note); ``forms``: the project's forms
    (``Project.forms``; default: the kit's)."""
    rules = tuple(shipped_rules() if rules is None else rules)
    reps = reports(table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    if reps.empty:
        raise CchcError(f"no {period} appendices for {year} to consolidate")
    level = level or Counter(reps["level"]).most_common(1)[0][0]
    reps = reps[reps["level"] == level]
    if reps.empty:
        raise CchcError(f"no {period} appendices of level {level!r} for {year} to consolidate")
    form_name = Counter(reps["form"]).most_common(1)[0][0] if "form" in reps else ""
    form = for_level(get_form(form_name, forms), level, forms)
    rows_of = table[table["source"].isin(reps["source"]) & (table["code"] != "")].drop_duplicates(["source", "code"])
    names = dict(zip(reps["source"], reps["unit_name"].where(reps["unit_name"] != "", reps["unit"]), strict=True))
    codes_of = dict(zip(reps["source"], reps["unit_code"] if "unit_code" in reps else [""] * len(reps), strict=True))
    value = {(s, c): (v, ln) for s, c, v, ln in zip(rows_of["source"], rows_of["code"], rows_of["value"],
                                                     rows_of["line"], strict=True)}
    q = questioned_inputs(findings[findings["source"].isin(reps["source"])], rules)
    cat = by_code()
    sources = list(reps["source"])
    rates = _rate_rules(rules)

    def usable(src: str, code: str) -> tuple[bool, str]:
        v = value.get((src, code), (math.nan, 0))[0]
        if (src, code) in q:
            return False, f"số liệu có lỗi {q[(src, code)]}"
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return False, "chưa báo cáo"
        return True, ""

    def figures(code: str) -> dict[str, float | None]:
        return {src: value.get((src, code), (math.nan, 0))[0] for src in sources}

    def left_out(codes: list[str]) -> dict[str, str]:
        """The units an error questions on any of ``codes``, and why (a blank figure is simply not counted)."""
        out: dict[str, str] = {}
        for src in sources:
            why = next((usable(src, c)[1] for c in codes if (src, c) in q), "")
            if why:
                out[src] = why
        return out

    weighted = {s["reported"]: s for s in indicator_specs() if s.get("weight")}
    rows, inputs = [], []
    for fr in form.rows:
        e = cat.get(fr.code)
        kind = "heading" if fr.is_heading else (e.kind if e else "text")
        how = e.aggregates(level) if e is not None and not fr.is_heading else "none"
        val, note, n_in, out = math.nan, "", 0, []
        if kind in ("count", "flag", "category", "percent"):
            for src in sources:
                ok, why = usable(src, fr.code)
                v, ln = value.get((src, fr.code), (math.nan, ""))
                inputs.append([fr.code, fr.label, codes_of[src], names[src], v, ok and how in ("sum", "rate"), why,
                               src, ln])
        if kind == "percent" and how == "rate" and (fr.code in rates or fr.code in weighted):
            if fr.code in rates:  # recomputed from the counts the rule names
                num, den = rates[fr.code]
            else:  # the unit's own rate, weighted by the count it is a share of (satisfaction by survey forms)
                num, den = [fr.code], [weighted[fr.code]["weight"]]
            excluded = left_out(num + den)
            nums, dens = {}, {}
            for src in sources:
                if all(usable(src, c)[0] for c in num + den):
                    d = sum(float(value[(src, c)][0]) for c in den)
                    n = sum(float(value[(src, c)][0]) for c in num)
                    nums[src], dens[src] = (n * d / 100, d) if fr.code not in rates else (n, d)
            total = total_row(fr.code, "rate", {}, names, excluded, numerators=nums, denominators=dens,
                              roster=roster_size or 0)
            val = round(total.value, 2) if not math.isnan(total.value) else math.nan
            note, n_in, out = total.note(kind, percent=True), total.units_reported, total.left_out
            if fr.code not in rates and not math.isnan(total.denominator):  # the unit's rate, weighted
                basis = weighted_basis(cat[weighted[fr.code]["weight"]].label_vi, total.denominator)
                note = f"{basis[:1].upper()}{basis[1:]}; {total.units_reported}/{roster_size or len(sources)} đơn vị"
                if total.left_out:
                    note += "; không tính: " + _left_out_text(total.left_out)
        elif kind in ("count", "percent") or (kind == "flag" and how == "count_yes"):
            total = total_row(fr.code, how, figures(fr.code), names, left_out([fr.code]), roster=roster_size or 0)
            # a yes/no row has no figure of the province's own: how many units said yes is in the note
            val = math.nan if kind == "flag" else total.value
            note, n_in, out = total.note(kind, percent=kind == "percent"), total.units_reported, total.left_out
            if kind == "flag" and total.units_reported:
                labels = e.allowed_codes()
                answers = Counter(float(value[(s, fr.code)][0]) for s in sources if usable(s, fr.code)[0])
                note = "; ".join(f"{labels.get(k, fmt_number(k))}: {n}/{total.units_reported} đơn vị"
                                 for k, n in sorted(answers.items(), reverse=True))
                if out:
                    note += "; không tính: " + _left_out_text(out)
        elif kind == "category" and e is not None:
            answers = Counter(float(value[(s, fr.code)][0]) for s in sources if usable(s, fr.code)[0])
            n_in = sum(answers.values())
            if answers:
                labels = e.allowed_codes()
                note = "; ".join(f"{labels.get(k, fmt_number(k))}: {n} đơn vị" for k, n in
                                sorted(answers.items()))
        rows.append([fr.stt, fr.label, fr.uom, fr.code, kind, val, note, n_in, [n for n, _ in out]])
    ratios = []
    heads = set(level_specs().get(level, {}).get("headline", ()))
    for s in indicator_specs():
        if level not in s["levels"] or s["aggregate"] != "rate" or not set(indicator_inputs(s)) <= set(form.codes):
            continue
        if s.get("weight"):
            ins, num_codes, den_codes = [s["reported"], s["weight"]], [s["reported"]], [s["weight"]]
        else:
            ins, num_codes, den_codes = indicator_inputs(s), list(s["numerator"]), list(s["denominator"])
        keep = [src for src in sources if all(usable(src, c)[0] for c in ins)]
        out = [names[src] for src in sources if src not in keep and any((src, c) in q for c in ins)]
        if s.get("weight"):  # the unit's rate times its weight: the count of the rate's numerator
            n_sum = sum(float(value[(src, s["reported"])][0]) * float(value[(src, s["weight"])][0]) / 100
                        for src in keep)
        else:
            n_sum = sum(float(value[(src, c)][0]) for src in keep for c in num_codes)
        d_sum = sum(float(value[(src, c)][0]) for src in keep for c in den_codes)
        v = n_sum / d_sum * s.get("scale", 100) if keep and d_sum > 0 else math.nan
        ratios.append([s["id"], s["name_vi"], v, n_sum if keep else math.nan, d_sum if keep else math.nan, len(keep),
                       out, s["id"] in heads])
    synthetic = bool(reps["synthetic"].any())
    return ConsolidatedAppendix(int(year), period, level, form, province, synthetic, list(names.values()),
                                roster_size, pd.DataFrame(rows, columns=COLUMNS),
                                pd.DataFrame(inputs, columns=INPUT_COLUMNS),
                                pd.DataFrame(ratios, columns=["indicator", "name_vi", "value", "numerator",
                                                              "denominator", "units", "left_out", "headline"]),
                                list(missing))


# -- writing it -----------------------------------------------------------------------------------

def province_title(app: ConsolidatedAppendix) -> str:
    """Whose appendix it is: ``thành phố Cần Thơ`` (a fictional province for synthetic data)."""
    if app.province:
        from cchc_tools.units import split_type

        kind, _ = split_type(app.province)
        if kind:
            return app.province[:1].lower() + app.province[1:]
        from cchc_tools.units import official_province_name

        official = official_province_name(app.province, False)
        return official[:1].lower() + official[1:] if official else f"tỉnh {app.province}"
    return "tỉnh Minh Họa" if app.synthetic else "tỉnh ……"


def _intro(app: ConsolidatedAppendix) -> list[str]:
    from cchc_tools.vocabulary import LEVEL_VI

    n = len(app.units)
    form = app.form.title or "mẫu phụ lục của kỳ"
    lines = [f"Tổng hợp từ phụ lục của {n}" + (f"/{app.roster_size}" if app.roster_size else "")
             + f" đơn vị {LEVEL_VI.get(app.level, '')} đã báo cáo, theo {form[:1].lower()}{form[1:]}. Mỗi dòng tổng "
             "hợp theo đúng ý nghĩa của nó: số lượng là tổng của các đơn vị, trừ các dòng có Ghi chú nêu số đơn vị "
             "được tính; danh mục chung của cả cấp (như số TTHC đang có hiệu lực) không cộng; câu hỏi có/không ghi "
             "số đơn vị trả lời có; tỷ lệ tính lại từ số liệu tổng hợp, không lấy trung bình các tỷ lệ. Số liệu có "
             "lỗi (không thể cùng đúng) không được cộng; đơn vị bị loại được nêu ở cột Ghi chú."]
    if app.missing:
        shown = ", ".join(app.missing[:30]) + (f" và {len(app.missing) - 30} đơn vị khác" if len(app.missing) > 30
                                                else "")
        lines.append(f"Chưa báo cáo ({len(app.missing)} đơn vị, không có trong số liệu tổng hợp): {shown}.")
    return lines


def _cell_value(kind: str, v: float):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v) if kind == "count" and float(v).is_integer() else round(float(v), 2)


def write_appendix_xlsx(app: ConsolidatedAppendix, path: str | Path) -> Path:
    """The appendix as the fill-in workbook's layout (hidden code column), then the inputs and the indicators."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from cchc_tools.atomic import atomic_path
    from cchc_tools.ingest.template import HEADER, UNIT_PROMPT
    from cchc_tools.render.workbook import Sheet, XCell, fill_sheet, print_setup
    from cchc_tools.vocabulary import SYNTHETIC_BANNER

    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục tổng hợp"
    bold = Font(bold=True)
    who = province_title(app)
    ws.append(["PHỤ LỤC TỔNG HỢP"])
    ws.append([app.title])
    ws.append([f"(Kèm theo Báo cáo số ……/BC-UBND ngày …… tháng …… năm …… của Ủy ban nhân dân {who})"])
    ws.append([SYNTHETIC_BANNER if app.synthetic else " ".join(_intro(app))])
    for r in range(1, 5):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.cell(r, 1).alignment = Alignment(horizontal="center", wrap_text=True)
        ws.cell(r, 1).font = bold
    ws.row_dimensions[4].height = 60
    ws.append([None, UNIT_PROMPT, who])
    ws.merge_cells(start_row=5, start_column=3, end_row=5, end_column=5)
    ws.cell(5, 2).alignment = Alignment(horizontal="right")
    ws.cell(5, 2).font = bold
    ws.append(HEADER)
    for c in range(1, 7):
        ws.cell(6, c).font = bold
        ws.cell(6, c).fill = PatternFill("solid", fgColor="DDE6F0")
    for r in app.rows.itertuples(index=False):
        ws.append([r.stt or None, visible(r.label), r.uom or None, _cell_value(r.kind, r.value),
                   visible(r.note) or None, r.code])
        row = ws.max_row
        ws.cell(row, 2).alignment = Alignment(wrap_text=True)
        ws.cell(row, 5).alignment = Alignment(wrap_text=True)
        if r.kind in ("heading", "group"):
            ws.cell(row, 1).font = ws.cell(row, 2).font = bold
        if r.kind == "count":
            ws.cell(row, 4).number_format = "#,##0"
        elif r.kind == "percent":
            ws.cell(row, 4).number_format = "0.00"
    for col, width in zip("ABCDEF", (8, 70, 18, 16, 60, 10), strict=True):
        ws.column_dimensions[col].width = width
    ws.column_dimensions["F"].hidden = True
    ws.freeze_panes = "A7"
    inputs = Sheet("Số liệu từng đơn vị", ["Mã chỉ tiêu", "Chỉ tiêu", "Mã ĐVHC", "Đơn vị", "Số liệu", "Được cộng",
                                           "Lý do không cộng", "Tệp nguồn", "Dòng"],
                   [[XCell(r.code), XCell(r.label), XCell(r.unit_code), XCell(r.unit_name),
                     XCell(None if pd.isna(r.value) else float(r.value), "count"),
                     XCell("có" if r.included else "không"), XCell(r.reason), XCell(r.source),
                     XCell(int(r.line) if str(r.line).isdigit() else None, "integer")]
                    for r in app.inputs.itertuples(index=False)])
    ratios = Sheet("Chỉ số tổng hợp", ["Chỉ số", "Tỷ lệ", "Tử số", "Mẫu số", "Số đơn vị được tính", "Không tính"],
                   [[XCell(r.name_vi), XCell(None if pd.isna(r.value) else r.value, "percent"),
                     XCell(None if pd.isna(r.numerator) else r.numerator, "count"),
                     XCell(None if pd.isna(r.denominator) else r.denominator, "count"), XCell(r.units, "count"),
                     XCell(", ".join(r.left_out))] for r in app.ratios.itertuples(index=False)])
    for sheet in (inputs, ratios):
        fill_sheet(wb.create_sheet(sheet.name), sheet, title=app.title_in_sentence[:1].upper()
                   + app.title_in_sentence[1:], name=who)
    # the appendix prints as the form does: portrait, fitted to width, its header row on every page
    print_setup(ws, header_rows=(6, 6), title="Phụ lục tổng hợp", subtitle=app.title_in_sentence, name=who,
                columns=5, landscape=False)
    wb.properties.title = f"Phụ lục tổng hợp – {app.title_in_sentence}"
    wb.properties.language, wb.properties.creator = "vi-VN", "cchc-kit"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def appendix_document(app: ConsolidatedAppendix):
    """The appendix as a document (its Word file): the form's table, then the indicators recomputed."""
    from cchc_tools.content.document import Cell, Document, Heading, Paragraph, Span, Table, page_head

    body = []
    for r in app.rows.itertuples(index=False):
        v = _cell_value(r.kind, r.value)
        text = "" if v is None else (fmt_number(v) if r.kind == "count" else fmt_number(v, 2, trim=True))
        fmt = "count" if r.kind == "count" else "text"
        body.append([Cell(r.stt), Cell(r.label), Cell(r.uom), Cell(text, v if r.kind == "count" else None, fmt),
                     Cell(r.note)])
    table = Table(["THỨ TỰ", "TÊN CHỈ TIÊU", "ĐƠN VỊ TÍNH", "Số lượng/ tỷ lệ", "Ghi chú"], body)
    rat = [[Cell(r.name_vi), Cell(fmt_percent(r.value), r.value, "percent"),
            Cell(f"{fmt_number(r.numerator)}/{fmt_number(r.denominator)}" if pd.notna(r.numerator) else "—"),
            Cell(str(r.units), r.units, "count"), Cell(", ".join(r.left_out) or "—")]
           for r in app.ratios.itertuples(index=False)]
    ratios = Table(["Chỉ số", "Tỷ lệ", "Tính từ", "Số đơn vị được tính", "Không tính (số liệu có lỗi)"], rat,
                   ["Tỷ lệ tính từ tổng tử số trên tổng mẫu số của các đơn vị báo cáo đủ số liệu và không có lỗi ở "
                    "các số liệu đầu vào."], caption="Chỉ số tổng hợp")
    who = province_title(app)
    blocks = page_head(app.synthetic) + [
        Heading("Phụ lục tổng hợp", 1), Paragraph([Span(app.title, strong=True)]),
        Paragraph.of(f"(Kèm theo Báo cáo số ……/BC-UBND ngày …… tháng …… năm …… của Ủy ban nhân dân {who})", "meta")]
    blocks += [Paragraph.of(t, "note") for t in _intro(app)]
    blocks += [table, Heading("Các chỉ số tính từ số liệu tổng hợp", 2), ratios,
               Paragraph.of("Số liệu của từng đơn vị cho từng ô tổng hợp: xem bảng tính Excel kèm theo "
                            "(trang \"Số liệu từng đơn vị\").", "note")]
    title = app.title_in_sentence
    return Document(f"Phụ lục tổng hợp – {title[:1].upper()}{title[1:]}", blocks, app.synthetic)


def appendix_stem(period: str) -> str:
    return f"phu-luc-tong-hop-{period.lower()}"


def write_appendix(app: ConsolidatedAppendix, out_dir: str | Path, formats: Iterable[str] = ("xlsx", "docx"),
                   settings=None) -> list[Path]:
    """``phu-luc-tong-hop-<period>.xlsx`` and ``.docx`` in ``out_dir`` (those ``formats`` asks for)."""
    from cchc_tools.project import DocumentSettings
    from cchc_tools.render.word import write_docx

    out, written = Path(out_dir), []
    stem = appendix_stem(app.period)
    if "xlsx" in formats:
        written.append(write_appendix_xlsx(app, out / f"{stem}.xlsx"))
    if "docx" in formats:
        # the appendix goes with the report of the province's People's Committee: its heading is the committee's
        from dataclasses import replace

        base = settings if settings is not None else DocumentSettings()
        who = province_title(app)
        heading = replace(base, parent_body="", issuing_body=f"Ủy ban nhân dân {who}")
        written.append(write_docx(appendix_document(app), out / f"{stem}.docx", heading))
    return written
