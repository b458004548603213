"""What readers get: one unit's briefing, a year's comparison, a unit's trend, as document blocks.

Each view selects its reports from the loaded data folder, whose indicators, findings and
assessment are computed once per data folder and process (``analysis.computed``), and builds
``reporting.document`` blocks: notebooks display them, the Word file and the workbook render the
same blocks (``save``). No arithmetic is done here that the analysis modules already do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from cchc_tools.analysis.assess import LABEL_FAMILIES, consolidate, doubts, finding_refs
from cchc_tools.analysis.checks import agrees
from cchc_tools.analysis.computed import computed
from cchc_tools.analysis.selection import _listing, check_slug, pick_report, reports
from cchc_tools.analysis.specs import indicator_specs, rule_specs
from cchc_tools.atomic import write_table
from cchc_tools.catalog import SECTIONS, by_code
from cchc_tools.errors import AppendixError, UnknownUnitError
from cchc_tools.i18n import _ as tr
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.reporting import charts
from cchc_tools.reporting.document import (
    Banner,
    Block,
    Bullets,
    Card,
    Cards,
    Cell,
    Document,
    Group,
    Heading,
    Paragraph,
    Span,
    Style,
    Table,
)
from cchc_tools.reporting.html import stylesheet
from cchc_tools.reporting.narrative import Facts, change_phrase, period_phrase, section_sentences
from cchc_tools.vocabulary import SEVERITY_VI, SYNTHETIC_BANNER, SYNTHETIC_NOTE, level_phrase

STATUS_VI = {"met": "Đạt mục tiêu", "below_target": "Chưa đạt mục tiêu", "doubtful": "Số liệu cần xem lại",
             "not_reported": "Chưa đủ số liệu", "no_target": ""}
CHARTS = {"III": charts.dossiers_chart, "IV": charts.staff_chart, "VII": charts.edocs_chart}
HEADLINE_IDS = [s["id"] for s in indicator_specs() if s.get("headline")]
SPECS = {s["id"]: s for s in indicator_specs()}


def source_line(rep: pd.Series) -> str:
    """``Phụ lục kèm theo Báo cáo số /BC-UBND ngày 16/12/2022 của UBND thị xã Vĩnh Châu (tệp data/raw/...)``."""
    bits = ["Phụ lục"]
    if rep.get("report_no"):
        bits.append(f"kèm theo Báo cáo số {rep['report_no']}")
    if rep.get("report_date"):
        bits.append(f"ngày {_date(rep['report_date'])}")
    if rep.get("unit_name"):
        bits.append(f"của UBND {rep['unit_name']}")
    return " ".join(bits) + f" (tệp {rep['source']})"


def _date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d):02d}/{int(m):02d}/{y}"


def _head(synthetic: bool) -> list[Block]:
    return [Style(stylesheet())] + ([Banner(SYNTHETIC_BANNER, SYNTHETIC_NOTE)] if synthetic else [])


def _value_text(v: float, reason: str = "") -> str:
    if v is None or pd.isna(v):
        return "không phát sinh" if reason == "denominator is 0" else "chưa đủ số liệu"
    return fmt_percent(v)


def definition(ident: str) -> str:
    """What an indicator counts over what, in words: its declared definition, else its inputs' labels."""
    spec = SPECS[ident]
    if spec.get("definition_vi"):
        return spec["definition_vi"]
    cat = by_code()
    if "reported" in spec:
        return f"tỷ lệ do đơn vị tự báo cáo (dòng «{cat[spec['reported']].label_vi}»)"
    num = " + ".join(f"«{cat[c].label_vi}»" for c in spec["numerator"])
    den = " + ".join(f"«{cat[c].label_vi}»" for c in spec["denominator"])
    return f"{num} trên {den}"


def _cite(source: str) -> str:
    """A target's short citation for a card: ``theo Quyết định số 766/QĐ-TTg*`` (* = not read in the original)."""
    short = source.split(" ngày")[0].replace(" (chưa đối chiếu văn bản gốc)", "")
    return short + ("*" if "chưa đối chiếu" in source else "")


def provenance_block(kind: str, parameters: dict) -> Group:
    """The stamp at the foot of every page: kit, time, reference data and input files with their hashes."""
    from cchc_tools.provenance import for_notebook

    stamp = for_notebook(kind, **parameters)
    rows = [[Cell(label), Cell(text)] for label, text in stamp.page_lines()]
    return Group([Heading("Thông tin lập báo cáo", 2), Table.of(["Mục", "Nội dung"], rows,
                  notes=["Mã SHA-256 (12 ký tự đầu) cho biết chính xác tệp và phiên bản bộ công cụ đã dùng; "
                         "mã đầy đủ ở tệp .provenance.json bên cạnh báo cáo."])], keep=True)


class Stamped:
    """A view whose pages end with the provenance stamp, once the notebook has asked for it."""

    KIND = ""
    _stamp: Group | None = None

    def provenance(self, **parameters) -> Group:
        """The stamp of this run (the notebook passes its parameters, as papermill injected them)."""
        given = {k: v for k, v in parameters.items() if k != "out_dir" and v != ""}  # as the runner passes them
        self._stamp = provenance_block(self.KIND, given)
        return self._stamp

    def _with_stamp(self, blocks: list) -> list:
        return blocks + ([self._stamp] if self._stamp is not None else [])


def _refs(text: str) -> list[str]:
    return [r for r in str(text or "").split("; ") if r]


@dataclass
class UnitBriefing(Stamped):
    """Everything the unit briefing shows, for one unit, year and period."""

    KIND = "unit"

    report: pd.Series
    rows: pd.DataFrame
    ind: pd.DataFrame
    findings: pd.DataFrame
    assessed: pd.DataFrame
    previous_label: str = ""
    load_errors: list[AppendixError] = field(default_factory=list)
    # each section built once: the Word file and the workbook reuse the blocks (and charts) the notebook showed
    _sections: dict[str, Group] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def load(cls, year, unit: str, data_dir: str | Path | None = None, period: str = "annual") -> UnitBriefing:
        data = computed(data_dir)
        rep = pick_report(data.table, year, unit, period)
        src = rep["source"]
        rows = data.table[data.table["source"] == src]
        mine = data.assessed[data.assessed["source"] == src]
        prev = reports(data.table[data.table["unit"] == rep["unit"]])
        prev = prev[(prev["period"] == period) & (prev["year"] < int(year))]
        label = period_phrase(period, prev.iloc[-1]["year"]).lower() if len(prev) else ""
        errors = [e for e in data.errors if f"/{rep['unit']}/" in e.path.replace("\\", "/")]
        return cls(rep, rows, data.ind[data.ind["source"] == src], data.findings[data.findings["source"] == src],
                   mine, label, errors)

    # -- facts ------------------------------------------------------------------------------
    @property
    def when(self) -> str:
        return period_phrase(self.report["period"], self.report["year"])

    @property
    def who(self) -> str:
        return self.report["unit_name"] or self.report["unit"]

    @property
    def synthetic(self) -> bool:
        return bool(self.report["synthetic"])

    @property
    def source(self) -> str:
        return source_line(self.report)

    @cached_property
    def refs(self) -> pd.Series:
        return finding_refs(self.findings)

    @cached_property
    def facts(self) -> Facts:
        by_code_doubt = {code: [r for r, _ in hits] for (_, code), hits in doubts(self.findings).items()}
        ind_doubt = {r.indicator: _refs(r.findings) for r in self.assessed.itertuples() if r.findings}
        quoted = {r.indicator: r.reported_text for r in self.assessed.itertuples()
                  if r.reported_text and pd.notna(r.value) and agrees(r.reported, r.value)}
        return Facts(self.rows, self.ind, by_code_doubt, ind_doubt, quoted)

    @cached_property
    def by_indicator(self) -> dict[str, pd.Series]:
        return {r["indicator"]: r for _, r in self.assessed.iterrows()}

    @cached_property
    def _ind_position(self) -> dict[str, int]:
        """Where each indicator's first row is in ``ind`` (the tables look rows up by indicator)."""
        pos: dict[str, int] = {}
        for i, ident in enumerate(self.ind["indicator"]):
            pos.setdefault(ident, i)
        return pos

    def figure(self, ident: str) -> tuple[str, str]:
        """An indicator as a reader should quote it, and whose figure it is.

        The unit's own figure when it agrees with the counts (``99,60%``, ``đơn vị báo cáo``); the
        computed one with the unit's beside it when they differ beyond rounding or truncation.
        """
        a = self.by_indicator[ident]
        value, reported = a["value"], a["reported"]
        if pd.isna(value):
            ind = self.ind[self.ind["indicator"] == ident]
            return _value_text(value, ind["reason"].iloc[0] if len(ind) else ""), ""
        if pd.isna(reported):
            return fmt_percent(value), ""
        if agrees(reported, value):
            return a["reported_text"], "đơn vị báo cáo"
        return fmt_percent(value), f"đơn vị báo cáo {a['reported_text']}"

    def figure_text(self, ident: str) -> str:
        text, whose = self.figure(ident)
        return f"{text} ({whose})" if whose else text

    def _judgement(self, a: pd.Series, cite: bool = False) -> str:
        status = STATUS_VI[a["status"]]
        if a["status"] == "not_reported" and pd.isna(a["value"]) and a["reason"] == "denominator is 0":
            status = "Không phát sinh"
        if a["status"] in ("met", "below_target"):
            status += f" {a['target_op'].replace('>=', '≥').replace('<=', '≤')} {fmt_percent(a['target'])}"
            if cite:
                status += " " + _cite(a["target_source"])
        if a["status"] == "doubtful":
            status += f" [{a['findings']}]"
        elif a["warnings"]:
            status = "; ".join(p for p in (status, f"có cảnh báo [{a['warnings']}]") if p)
        if pd.notna(a["rank"]) and pd.notna(a["peers"]) and int(a["peers"]) > 1:
            status = "; ".join(p for p in (status, f"hạng {int(a['rank'])}/{int(a['peers'])}") if p)
        return status or "—"

    @cached_property
    def label_rules(self) -> set[str]:
        """Rules about a row's wording or unit of measure: they ask for a correction, not an explanation."""
        return {r["id"] for r in rule_specs() if r["family"] in LABEL_FAMILIES}

    @cached_property
    def cutoff(self) -> str:
        d = self.report.get("report_date")
        return _date(d) if d else ""

    # -- blocks -----------------------------------------------------------------------------
    def header(self) -> Group:
        r = self.report
        lvl = level_phrase(r["level"])
        values = self.rows["value"].notna().sum()
        cat = by_code()
        groups = self.rows["code"].map(lambda c: c in cat and cat[c].kind == "group")
        blank = ((self.rows["raw_value"] == "") & ~groups & (self.rows["code"] != "")).sum()
        meta = [f"Đơn vị: {self.who}" + (f" ({lvl})" if lvl else ""), f"Nguồn số liệu: {self.source}"]
        if self.cutoff:
            meta.append(f"Số liệu tính đến ngày {self.cutoff} (ngày của báo cáo).")
        meta.append(f"Số dòng chỉ tiêu có số liệu: {int(values)}; bỏ trống (chưa báo cáo): {int(blank)} "
                    "(không tính các dòng tiêu đề nhóm).")
        title = f"Kết quả cải cách hành chính {self.when.lower()} – {self.who}"
        return Group(_head(self.synthetic) + [Heading(title, 1)] + [Paragraph.of(m, "meta") for m in meta])

    def assessment(self) -> Group:
        """Đánh giá chung: results, shortfalls against targets, figures in doubt, points to explain."""
        a = self.assessed
        out: list[Block] = [Heading("Đánh giá chung", 2)]
        good = [f"{r.name_vi[:1].lower()}{r.name_vi[1:]} {self.figure(r.indicator)[0]}" for r in a.itertuples()
                if r.indicator in HEADLINE_IDS and r.status in ("met", "no_target") and not r.warnings]
        if good:
            out.append(Paragraph.of(f"Theo phụ lục của đơn vị, {self.when.lower()} {self.who} đạt: " + "; ".join(good)
                                    + ".", "lead"))
        counted = a["indicator"].map(lambda i: "reported" not in SPECS[i])  # rates from counts, not a unit's own %
        low = a[(a["status"] == "no_target") & counted & a["value"].notna() & (a["value"] < 100)].nsmallest(3, "value")
        if len(low):  # a figure a warning questions keeps its reference here too
            spans = [Span("Các tỷ lệ thấp nhất trong phụ lục (chưa có mục tiêu để so sánh): ")]
            for k, r in enumerate(low.itertuples()):
                spans += [Span(("; " if k else "") + f"{r.name_vi[:1].lower()}{r.name_vi[1:]} "),
                          Span(self.figure(r.indicator)[0], r.warnings)]
            out.append(Paragraph(spans + [Span(".")]))
        below = [[Span(f"{r.name_vi}: "), Span(self.figure_text(r.indicator), r.warnings),
                  Span(f", chưa đạt mục tiêu {r.target_op.replace('>=', '≥').replace('<=', '≤')} "
                       f"{fmt_percent(r.target)} ({r.target_source}).")]
                 for r in a.itertuples() if r.status == "below_target"]
        if below:
            out.append(Bullets(below, "Chưa đạt mục tiêu:"))
        doubtful = [[Span(f"{r.name_vi}: ", ""), Span(self.figure_text(r.indicator), r.findings),
                     Span(" – số liệu đầu vào không thể cùng đúng, chưa dùng để đánh giá.")]
                    for r in a.itertuples() if r.status == "doubtful"]
        if doubtful:
            out.append(Bullets(doubtful, "Số liệu cần xem lại trước khi sử dụng:"))
        asks = [[Span(f"[{ref}] {f.title_vi if 'title_vi' in self.findings else f.rule}: {f.message_vi} "
                      f"(dòng {f.lines})." if f.lines else f"[{ref}] {f.message_vi}")]
                for ref, f in zip(self.refs, self.findings.itertuples(), strict=True)
                if f.severity != "info" and f.rule not in self.label_rules]
        if asks:
            out.append(Bullets(asks, "Đề nghị đơn vị giải trình:"))
        if len(out) == 1:
            out.append(Paragraph.of("Chưa đủ số liệu để đánh giá.", "note"))
        return Group(out)

    def headline(self) -> Group:
        cards, notes = [], []
        for ident in HEADLINE_IDS:
            if ident not in self.by_indicator:
                continue
            a = self.by_indicator[ident]
            text, whose = self.figure(ident)
            inputs = (f"{fmt_number(a['numerator'])}/{fmt_number(a['denominator'])}"
                      if pd.notna(a["numerator"]) and pd.notna(a["denominator"]) else "")
            prev = change_phrase(a["value"], a["value"] - a["change"] if pd.notna(a["change"]) else None,
                                 self.previous_label)
            judged = self._judgement(a, cite=True)
            detail = " · ".join(p for p in (whose, inputs, prev, "" if judged == "—" else judged) if p)
            cards.append(Card(text, a["name_vi"], detail, a["findings"]))
            if a["target_source"] and "chưa đối chiếu" in a["target_source"]:
                source = a["target_source"].removeprefix("theo ").replace(" (chưa đối chiếu văn bản gốc)", "")
                note = f"* Mục tiêu theo {source}, biết qua tài liệu hướng dẫn, chưa đối chiếu với văn bản gốc."
                if note not in notes:
                    notes.append(note)
        return Group([Heading("Các chỉ số chính", 2), Cards(cards, notes)])

    def key_figures(self) -> str:
        """The headline as plain text (the golden output nbval checks)."""
        lines = [f"{self.who} – {self.when}"]
        for ident in HEADLINE_IDS:
            if ident in self.by_indicator:
                a = self.by_indicator[ident]
                mark = f" [{a['findings']}]" if a["findings"] else ""
                lines.append(f"{a['name_vi']}: {self.figure_text(ident)}{mark}")
        n = self.findings["severity"].value_counts() if len(self.findings) else {}
        lines.append(f"Kiểm tra số liệu: {n.get('error', 0)} lỗi, {n.get('warning', 0)} cảnh báo, "
                     f"{n.get('info', 0)} lưu ý")
        return "\n".join(lines)

    def _indicator_table(self, section: str) -> Table | None:
        sec = self.assessed[self.assessed["section"] == section]
        if sec.empty:
            return None
        has_prev = bool(self.previous_label)
        headers = ["Chỉ số", "Giá trị", "Tính từ", "Đánh giá"] + ([f"So với {self.previous_label}"] if has_prev else [])
        rows, notes, targets = [], [], []
        for a in sec.itertuples(index=False):
            ind = self.ind.iloc[self._ind_position[a.indicator]]  # its first row, as a filter and .iloc[0] give
            basis = (f"{fmt_number(ind['numerator'])}/{fmt_number(ind['denominator'])}"
                     if pd.notna(ind["numerator"]) and pd.notna(ind["denominator"])
                     else ("đơn vị tự báo cáo" if ind["reason"] == "" else "chưa báo cáo đủ số liệu"))
            cells = [Cell(a.name_vi), Cell(self.figure_text(a.indicator), a.value, "percent", a.findings),
                     Cell(basis), Cell(self._judgement(a._asdict()))]
            if has_prev:
                before = a.value - a.change if pd.notna(a.change) else None
                cells.append(Cell(change_phrase(a.value, before, "") or "—"))
            rows.append(cells)
            notes.append(f"{a.name_vi}: {definition(a.indicator)}.")
            if a.target_source and a.target_source not in targets:
                targets.append(a.target_source)
        notes = ["Cách tính: " + " ".join(notes)] + [f"Mục tiêu {t}." for t in targets]
        return Table(headers, rows, notes)

    def _unit_notes(self, section: str) -> Table | None:
        rows = self.rows[(self.rows["section"] == section) & (self.rows["note"] != "")]
        if rows.empty:
            return None
        body: list[list[Cell]] = []
        for _, grp in rows.groupby((rows["note"] != rows["note"].shift()).cumsum(), sort=False):
            # rows in a row that carry the same note (a legal basis repeated) share one line of the table
            body.append([Cell("; ".join(str(x) for x in grp["line"])), Cell("; ".join(grp["label"])),
                         Cell("; ".join(v or "—" for v in grp["raw_value"])), Cell(grp["note"].iloc[0])])
        return Table.of(["Dòng", "Chỉ tiêu", "Số liệu", "Ghi chú của đơn vị"], body,
                        caption="Ghi chú của đơn vị trong phụ lục")

    def section(self, section: str) -> Group:
        """A section's heading, sentences, indicator table, the unit's notes and chart (built once per view)."""
        if section not in self._sections:
            self._sections[section] = self._section(section)
        return self._sections[section]

    def _section(self, section: str) -> Group:
        title = f"{section}. {SECTIONS[section][0]}"
        sentences = section_sentences(section, self.facts, self.who, self.when)
        parts: list[Block] = [Heading(title, 2)]
        if sentences:
            parts.append(Paragraph([s for sent in sentences for s in sent + [Span(" ")]][:-1]))
        else:
            parts.append(Paragraph.of("Đơn vị chưa báo cáo số liệu của phần này.", "note"))
        table = self._indicator_table(section)
        if table:
            parts.append(table)
        notes = self._unit_notes(section)
        if notes:
            parts.append(notes)
        chart = self.chart(section)
        if chart is not None:
            parts.append(chart)
        return Group(parts)

    def chart(self, section: str):
        make = CHARTS.get(section)
        return make(self.facts, self.when, self.source, self.synthetic) if make else None

    def quality(self) -> Group:
        out: list[Block] = [Heading("Chất lượng số liệu", 2)]
        if self.findings.empty and not self.load_errors:
            return Group(out + [Paragraph.of("Không phát hiện mâu thuẫn trong số liệu của phụ lục.")])
        n = self.findings["severity"].value_counts()
        out.append(Paragraph.of(f"Phát hiện {n.get('error', 0)} lỗi (số liệu không thể cùng đúng), "
                                f"{n.get('warning', 0)} cảnh báo (cần đơn vị giải trình) và {n.get('info', 0)} lưu ý. "
                                "Mỗi dòng ghi số dòng trong tệp nguồn để đối chiếu."))
        titled = "title_vi" in self.findings
        rows = [[Cell(ref), Cell(SEVERITY_VI.get(f.severity, f.severity)),
                 Cell(f.title_vi if titled else f.rule), Cell(f.message_vi), Cell(f.lines)]
                for ref, f in zip(self.refs, self.findings.itertuples(index=False), strict=True)]
        rows += [[Cell(""), Cell("Lỗi đọc tệp"), Cell("Không đọc được tệp"), Cell(str(e)), Cell(str(e.line or ""))]
                 for e in self.load_errors]
        out.append(Table.of(["Mã", "Mức độ", "Vấn đề", "Nội dung", "Dòng"], rows))
        return Group(out)

    def document(self) -> Document:
        blocks = [self.header(), self.assessment(), self.headline()]
        blocks += [self.section(s) for s in SECTIONS] + [self.quality()]
        return Document(f"Kết quả cải cách hành chính {self.when.lower()} – {self.who}", self._with_stamp(blocks),
                        self.synthetic)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The unit's tables for machines and workbooks: indicators with their assessment, findings."""
        extra = ["reported", "target", "target_op", "target_source", "status", "rank", "peers", "change", "findings"]
        ind = self.ind.merge(self.assessed[["indicator"] + extra], on="indicator", how="left")
        return {"indicators": ind, "findings": self.findings.assign(ref=self.refs)}

    def save(self, out_dir: str | Path, formats: str = "html,docx,xlsx,pdf", suffix: str = "") -> list[Path]:
        """Write the unit's tables (CSV for machines) and the Word and Excel files asked for.

        Nothing when ``out_dir`` is empty (a notebook run by hand or by nbval). The HTML page and the
        PDF are made from the executed notebook by the runner.
        """
        if not out_dir:
            return []
        from cchc_tools.reporting.workbook import finding_messages, findings_sheet, indicators_sheet

        out, tables = Path(out_dir), self.tables()
        written = [write_table(df, out / f"{name}{suffix}.csv") for name, df in tables.items()]
        if not _office(formats):  # the document is only for Word and Excel
            return written
        sheets = [indicators_sheet(tables["indicators"], findings=finding_messages(tables["findings"]),
                                   status_vi=STATUS_VI),
                  findings_sheet(tables["findings"])]
        return written + _formats(self.document(), out, f"briefing{suffix}", formats, sheets)


def _office(formats: str) -> bool:
    """Whether ``formats`` asks for a Word or Excel file (else no document needs building)."""
    from cchc_tools.reporting.export import parse_formats

    return bool({"docx", "xlsx"} & set(parse_formats(formats)))


def _formats(document: Document, out: Path, stem: str, formats: str, sheets=None) -> list[Path]:
    """The Word and Excel renderings of a document, as ``formats`` asks."""
    from cchc_tools.reporting.export import write_document_formats

    return write_document_formats(document, out, stem, formats, sheets=sheets)


# --- comparison of units ---------------------------------------------------------------------

RANK_BY = "dossiers_on_time_all"


@dataclass
class YearComparison(Stamped):
    KIND = "compare"
    year: int
    period: str
    reps: pd.DataFrame
    ind: pd.DataFrame
    findings: pd.DataFrame
    assessed: pd.DataFrame
    previous: pd.DataFrame  # assessment of the previous year's reports, for rank changes
    rows: pd.DataFrame  # the tidy rows of the compared reports

    @classmethod
    def load(cls, year, data_dir: str | Path | None = None, level: str = "", period: str = "annual"):
        data = computed(data_dir)
        reps = reports(data.table)
        sel = reps[(reps["year"] == int(year)) & (reps["coverage"] == period)]  # a cumulative Q3 is a 9-month
        if level:
            sel = sel[sel["level"] == level]
        if sel.empty:
            raise UnknownUnitError(tr("no {period} appendices for {year} {level}; {listing}").format(
                period=period, year=year, level=level, listing=_listing(reps)))
        pick = data.ind["source"].isin(sel["source"])
        prev = data.assessed[(data.assessed["year"] == int(year) - 1) & (data.assessed["period"] == period)]
        return cls(int(year), period, sel, data.ind[pick], data.findings[data.findings["source"].isin(sel["source"])],
                   data.assessed[data.assessed["source"].isin(sel["source"])], prev,
                   data.table[data.table["source"].isin(sel["source"])])

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    @property
    def when(self) -> str:
        return period_phrase(self.period, self.year)

    @cached_property
    def headline_ids(self) -> list[str]:
        """The ranking measure, then the headline indicators the compared reports' forms have."""
        present = set(self.assessed["indicator"])
        return [RANK_BY] + [i for i in HEADLINE_IDS if i != RANK_BY and i in present]

    def header(self) -> Group:
        title = f"So sánh kết quả cải cách hành chính giữa các đơn vị – {self.when}"
        return Group(_head(self.synthetic) + [Heading(title, 1),
                                              Paragraph.of(f"{len(self.reps)} đơn vị có phụ lục "
                                                           f"{self.when.lower()}.", "meta")])

    def league(self) -> pd.DataFrame:
        """One row per unit: name, the ranking measure, headline indicators, ranks, error and warning counts.

        Ranked by the on-time rate of dossiers (both levels). A unit is left unranked only when an
        error-level finding touches the inputs of the ranking measure.
        """
        a = self.assessed
        wide = a.pivot(index="unit", columns="indicator", values="value").reindex(columns=self.headline_ids)
        status = a[a["indicator"] == RANK_BY].set_index("unit")["status"]
        wide["doubtful"] = status.reindex(wide.index).eq("doubtful")
        counts = (self.findings.groupby(["unit", "severity"]).size().unstack(fill_value=0)
                  if len(self.findings) else pd.DataFrame())
        for sev in ("error", "warning"):
            col = counts[sev] if sev in counts else pd.Series(dtype=int)
            wide[sev] = col.reindex(wide.index).fillna(0).astype(int)
        wide.insert(0, "unit_name", self.reps.set_index("unit")["unit_name"].reindex(wide.index))
        wide.insert(1, "level", self.reps.set_index("unit")["level"].reindex(wide.index))
        wide.insert(2, "unit_code", self.reps.set_index("unit")["unit_code"].reindex(wide.index)
                    if "unit_code" in self.reps else "")
        wide["rank"] = a[a["indicator"] == RANK_BY].set_index("unit")["rank"].reindex(wide.index)
        prev = self.previous[self.previous["indicator"] == RANK_BY].set_index("unit")["rank"]
        wide["rank_before"] = prev.reindex(wide.index)
        return wide.sort_values(["level", "rank", RANK_BY], ascending=[True, True, False], na_position="last")

    def league_html(self) -> Group:
        lg = self.league()
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        cols = self.headline_ids
        headers = ["Hạng", "Đơn vị", "So với năm trước"] + [names[i] for i in cols] + ["Lỗi", "Cảnh báo"]
        note = (f"Xếp hạng theo {names[RANK_BY].lower()} ({definition(RANK_BY)}), trong từng cấp. Đơn vị có lỗi "
                "số liệu ở chính các số dùng để xếp hạng thì không xếp hạng; lỗi ở chỉ tiêu khác không ảnh hưởng "
                "thứ hạng. Số liệu có mã [L…] là số liệu không thể cùng đúng theo kiểm tra, cần đơn vị giải trình.")
        out: list[Block] = [Heading("Bảng xếp hạng", 2)]
        levels = list(dict.fromkeys(lg["level"]))
        for level in levels:  # units of different levels (and so of different eras) are never ranked together
            if len(levels) > 1:
                out.append(Heading(f"Đơn vị {level_phrase(level) or 'chưa rõ cấp'}", 3))
            out.append(Table(headers, self._league_rows(lg[lg["level"] == level], cols), [note], wide=True))
        return Group(out)

    @cached_property
    def doubt(self) -> dict[tuple[str, str], str]:
        """``(unit, indicator) -> "L1"``: figures an error-level finding puts in doubt, marked in the tables."""
        a = self.assessed[self.assessed["status"] == "doubtful"]
        return {(u, i): f for u, i, f in zip(a["unit"], a["indicator"], a["findings"], strict=True)}

    def _league_rows(self, lg: pd.DataFrame, cols: list[str]) -> list[list[Cell]]:
        rows = []
        for unit, r in lg.iterrows():
            rank = "—" if pd.isna(r["rank"]) else str(int(r["rank"]))
            move = "—"
            if pd.notna(r["rank"]) and pd.notna(r["rank_before"]):
                d = int(r["rank_before"]) - int(r["rank"])
                move = "không đổi" if d == 0 else (f"tăng {d} bậc" if d > 0 else f"giảm {-d} bậc")
            name = r["unit_name"] + (" (số liệu xếp hạng có lỗi, không xếp hạng)" if r["doubtful"] else "")
            rows.append([Cell(rank), Cell(name), Cell(move)]
                        + [Cell(_value_text(r[i]), r[i], "percent", self.doubt.get((unit, i), "")) for i in cols]
                        + [Cell(str(r["error"]), r["error"], "count"), Cell(str(r["warning"]), r["warning"], "count")])
        return rows

    def totals(self) -> Group:
        """Totals of the units (counts summed, ratios from the summed counts) and the spread across units."""
        rat = consolidate(self.rows, ind=self.ind).ratios
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        rows = []
        for r in rat.itertuples(index=False):
            if r.indicator not in self.headline_ids:
                continue
            own = "reported" in SPECS[r.indicator]  # a rate each unit reports itself: no counts to add up
            rows.append([Cell(names[r.indicator]), Cell("—" if own else _value_text(r.value), r.value, "percent"),
                         Cell("tỷ lệ do từng đơn vị tự báo cáo" if own else
                              f"{fmt_number(r.numerator)}/{fmt_number(r.denominator)}" if pd.notna(r.numerator)
                              else "—"),
                         Cell(fmt_percent(r.q1)), Cell(fmt_percent(r.median)), Cell(fmt_percent(r.q3)),
                         Cell(str(r.units), r.units, "count")])
        note = ("Tỷ lệ chung tính từ tổng tử số trên tổng mẫu số của các đơn vị báo cáo đủ số liệu (không lấy trung "
                "bình các tỷ lệ); tứ phân vị và trung vị là của tỷ lệ từng đơn vị.")
        return Group([Heading("Tổng hợp chung", 2),
                      Table(["Chỉ số", "Tỷ lệ chung", "Tính từ", "Tứ phân vị dưới", "Trung vị", "Tứ phân vị trên",
                             "Số đơn vị"], rows, [note])])

    def lowest(self) -> Group:
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        items = []
        for ident in self.headline_ids:
            sub = self.assessed[(self.assessed["indicator"] == ident) & self.assessed["rank"].notna()]
            if len(sub) < 2:
                continue
            low = sub.nsmallest(min(3, len(sub)), "value")
            listing = ", ".join(f"{u} ({fmt_percent(v)})" for u, v in zip(low["unit_name"], low["value"], strict=True))
            items.append([Span(f"{names[ident]}: {listing}.")])
        if not items:
            return Group([])
        return Group([Heading("Đơn vị có kết quả thấp nhất", 2), Bullets(items)])

    def ranking_chart(self, indicator: str = RANK_BY):
        sub = self.ind[self.ind["indicator"] == indicator].sort_values("value", ascending=False)
        name = sub["name_vi"].iloc[0] if len(sub) else indicator
        return charts.rates_chart(sub["unit_name"].tolist(), sub["value"].tolist(),
                                  f"{name} – {self.when}", f"Phụ lục CCHC {self.when.lower()} của {len(self.reps)} "
                                  "đơn vị", self.synthetic)

    def quality(self) -> Group:
        out: list[Block] = [Heading("Chất lượng số liệu và nội dung đề nghị giải trình", 2)]
        if self.findings.empty:
            return Group(out + [Paragraph.of("Không đơn vị nào có số liệu mâu thuẫn.")])
        names = self.reps.set_index("unit")["unit_name"]
        rows = []
        for unit, g in self.findings.groupby("unit", sort=False):
            n = g["severity"].value_counts()
            asks = "; ".join(dict.fromkeys(g[g["severity"] != "info"].get("title_vi", g["rule"])))
            rows.append([Cell(names.get(unit, unit)), Cell(str(n.get("error", 0)), n.get("error", 0), "count"),
                         Cell(str(n.get("warning", 0)), n.get("warning", 0), "count"),
                         Cell(str(n.get("info", 0)), n.get("info", 0), "count"), Cell(asks or "—")])
        rows.sort(key=lambda r: (-r[1].value, -r[2].value))
        return Group(out + [Table.of(["Đơn vị", "Lỗi", "Cảnh báo", "Lưu ý", "Đề nghị giải trình"], rows)])

    def document(self) -> Document:
        blocks = [self.header(), self.totals(), self.league_html(), self.ranking_chart(), self.lowest(),
                  self.quality()]
        return Document(f"So sánh các đơn vị – {self.when}", self._with_stamp(blocks), self.synthetic, landscape=True)

    def save(self, out_dir: str | Path, formats: str = "html,docx,xlsx,pdf", stem: str = "compare") -> list[Path]:
        """``compare.docx`` and ``compare.xlsx`` (the page's tables and each unit's findings) when asked."""
        if not out_dir or not _office(formats):
            return []
        from cchc_tools.reporting.export import document_sheets
        from cchc_tools.reporting.workbook import findings_sheet

        doc = self.document()
        sheets = document_sheets(doc) + ([findings_sheet(self.findings)] if len(self.findings) else [])
        return _formats(doc, Path(out_dir), stem, formats, sheets)


# --- one unit over time ----------------------------------------------------------------------

def legacy_reports(reps: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """Reports of the legacy units (before 1/7/2025) that a current unit was formed from."""
    from cchc_tools.units import is_legacy, predecessors

    if "unit_code" not in reps or mine.empty:
        return reps.iloc[0:0]
    codes = {c for c in mine["unit_code"] if c}
    current = [c for c, y, p in zip(mine["unit_code"], mine["year"], mine["period"], strict=True)
               if c and not is_legacy(c, None if pd.isna(y) else int(y), p)]
    olds = {old for c in set(current) for lv in ("commune", "district") for old, _ in predecessors(c, lv)} - codes
    legacy = [is_legacy(c, None if pd.isna(y) else int(y), p) if c else False
              for c, y, p in zip(reps["unit_code"], reps["year"], reps["period"], strict=True)]
    return reps[reps["unit_code"].isin(olds) & pd.Series(legacy, index=reps.index)]

@dataclass
class UnitTrend(Stamped):
    KIND = "trend"
    unit: str
    reps: pd.DataFrame
    ind: pd.DataFrame
    predecessors: pd.DataFrame = field(default_factory=pd.DataFrame)  # indicators of the legacy units it replaced

    @classmethod
    def load(cls, unit: str, data_dir: str | Path | None = None):
        check_slug(unit)
        data = computed(data_dir)
        reps = reports(data.table)
        mine = reps[reps["unit"] == unit]
        if mine.empty:
            raise UnknownUnitError(tr("no appendices for unit {unit!r}; {listing}").format(
                unit=unit, listing=_listing(reps, unit)))
        before = legacy_reports(reps, mine)
        return cls(unit, mine, data.ind[data.ind["source"].isin(mine["source"])],
                   data.ind[data.ind["source"].isin(before["source"])])

    @property
    def name(self) -> str:
        return self.reps["unit_name"].iloc[0] or self.unit

    @property
    def synthetic(self) -> bool:
        return bool(self.reps["synthetic"].any())

    def _label(self, year, period) -> str:
        return str(int(year)) if period == "annual" else period_phrase(period, year)

    def header(self) -> Group:
        periods = ", ".join(self._label(y, p) for y, p in zip(self.reps["year"], self.reps["period"], strict=True))
        return Group(_head(self.synthetic) + [Heading("Diễn biến kết quả CCHC – " + self.name, 1),
                                              Paragraph.of(f"Các kỳ có số liệu: {periods}.", "meta")])

    def _head_ind(self) -> pd.DataFrame:
        return self.ind[self.ind["indicator"].isin(HEADLINE_IDS)].sort_values(["year", "period"], kind="stable")

    def table(self) -> Table:
        head = self._head_ind().copy()
        head["kỳ"] = [self._label(y, p) for y, p in zip(head["year"], head["period"], strict=True)]
        order = list(dict.fromkeys(head["kỳ"]))
        ids = [i for i in HEADLINE_IDS if i in set(head["indicator"])]
        wide = head.pivot(index="indicator", columns="kỳ", values="value").reindex(ids)[order]
        asked = head.assign(x=1).pivot(index="indicator", columns="kỳ", values="x").reindex(ids)[order].notna()
        names = {s["id"]: s["name_vi"] for s in indicator_specs()}
        rows = [[Cell(names[ident])] + [Cell(_value_text(v), v, "percent") if asked.loc[ident, k] else Cell("—")
                                        for k, v in r.items()] for ident, r in wide.iterrows()]
        notes = [f"{names[i]}: {definition(i)}." for i in ids]
        if not asked.to_numpy().all():
            notes.append("—: chỉ tiêu không có trong mẫu phụ lục của kỳ đó (từ năm 2023, dịch vụ công trực tuyến "
                         "tính theo toàn trình, một phần theo Nghị định 42/2022/NĐ-CP, không cộng với mức độ 3, 4).")
        return Table(["Chỉ số"] + order, rows, notes)

    def predecessors_table(self) -> Group:
        """The legacy units this unit was formed from, each on its own row: shown beside, never summed."""
        if self.predecessors.empty:
            return Group([])
        head = self.predecessors[self.predecessors["indicator"].isin(HEADLINE_IDS)].copy()
        head["kỳ"] = [self._label(y, p) for y, p in zip(head["year"], head["period"], strict=True)]
        rows = [[Cell(f"{r.unit_name} (trước sắp xếp)"), Cell(r.kỳ), Cell(r.name_vi),
                 Cell(_value_text(r.value), r.value, "percent")] for r in head.itertuples(index=False)]
        note = ("Số liệu của các đơn vị hành chính trước ngày 01/7/2025 đã sắp xếp thành đơn vị này; mỗi đơn vị một "
                "dòng, không cộng dồn và không so sánh trực tiếp với số liệu của đơn vị mới.")
        return Group([Heading("Đơn vị trước sắp xếp", 2),
                      Table(["Đơn vị", "Kỳ", "Chỉ số", "Giá trị"], rows, [note])])

    def summary(self) -> str:
        """Headline indicators per period as plain text (the golden output nbval checks)."""
        lines = [f"{self.name}: {len(self.reps)} kỳ báo cáo"]
        for name, g in self._head_ind().groupby("name_vi", sort=False):
            pts = "; ".join(f"{self._label(y, p)} {_value_text(v)}"
                            for y, p, v in zip(g["year"], g["period"], g["value"], strict=True))
            lines.append(f"{name}: {pts}")
        return "\n".join(lines)

    def chart(self):
        series = {n: [(self._label(y, p), v) for y, p, v in zip(g["year"], g["period"], g["value"], strict=True)]
                  for n, g in self._head_ind().groupby("name_vi", sort=False)}
        return charts.trend_chart(series, f"Diễn biến các chỉ số chính – {self.name}",
                                  f"Phụ lục CCHC các kỳ của {self.name}", self.synthetic)

    def document(self) -> Document:
        return Document(f"Diễn biến CCHC – {self.name}",
                        self._with_stamp([self.header(), self.table(), self.chart(), self.predecessors_table()]),
                        self.synthetic)

    def save(self, out_dir: str | Path, formats: str = "html,docx,xlsx,pdf", stem: str = "") -> list[Path]:
        """The trend's Word and Excel files (``<unit>.docx``, ``<unit>.xlsx``) when asked."""
        if not out_dir or not _office(formats):
            return []
        return _formats(self.document(), Path(out_dir), stem or self.unit, formats)
