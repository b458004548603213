"""One unit's briefing for a year and period."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.assess import LABEL_FAMILIES, doubts, finding_refs
from cchc_tools.analysis.checks import agrees, place_cell, place_vi, shipped_rules
from cchc_tools.analysis.selection import applicable, headline_ids, kept_reports, pick_report, weakest_each
from cchc_tools.analysis.targets import cite_target
from cchc_tools.catalog import SECTIONS, by_code
from cchc_tools.content.document import (
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
    Table,
    page_head,
)
from cchc_tools.content.narrative import Facts, change_phrase, period_in_sentence, period_phrase, section_sentences
from cchc_tools.content.views.common import (
    CHARTS,
    SPECS,
    STATUS_VI,
    Stamped,
    definition,
    project_of,
    source_line,
    split_refs,
    value_text,
)
from cchc_tools.errors import AppendixError
from cchc_tools.i18n import translations
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.periods import date_vi, file_suffix
from cchc_tools.pipeline import computed
from cchc_tools.vocabulary import SEVERITY_VI, level_phrase

if TYPE_CHECKING:
    from cchc_tools.project import Project


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
    rules: tuple = ()  # the project's rules the findings come from (default: the shipped ones)
    # the assessment of the reports it is ranked with (same year, coverage and level), for "among the lowest"
    peers: pd.DataFrame = field(default_factory=pd.DataFrame)
    # each section built once: the Word file and the workbook reuse the blocks (and charts) the notebook showed
    _sections: dict[str, Group] = field(default_factory=dict, init=False, repr=False, compare=False)
    # the lowest units among ``peers`` per indicator, found once (shared by the briefings of one peer group)
    _lows: _Lows | None = field(default=None, init=False, repr=False, compare=False)
    _weak: tuple | None = field(default=None, init=False, repr=False, compare=False)  # (peers, weak_among_peers)

    @classmethod
    def load(cls, year, unit: str, data_dir: str | Path | None = None, period: str = "annual", *,
             project: Project | str | Path | None = None) -> UnitBriefing:
        """The briefing of ``unit`` for ``year`` and ``period`` from the project's data (or ``data_dir``)."""
        project = project_of(project)
        data = computed(project, data_dir)
        shared = _shared(data)
        kept = kept_reports(data.reports)  # never a unit outside the province, never a superseded report
        rep = pick_report(data.table, year, unit, period, reps=data.reports)
        src = rep["source"]
        rows = shared.rows("table", data.table, src)
        # only the indicators a report of its level and form can have: no district row on a commune's page
        mine = applicable(shared.rows("assessed", data.assessed, src), rows)
        prev = kept[kept["unit"] == rep["unit"]]
        prev = prev[(prev["period"] == period) & (prev["year"] < int(year))]
        label = period_in_sentence(period, prev.iloc[-1]["year"]) if len(prev) else ""
        errors = [e for e in data.errors if f"/{rep['unit']}/" in e.path.replace("\\", "/")]
        view = cls(rep, rows, applicable(shared.rows("ind", data.ind, src), rows),
                   shared.rows("findings", data.findings, src),
                   mine, label, errors)
        view.project, view.rules = project, data.rules
        group = shared.peer_group(data, kept, rep)
        view.peers, view._lows = group.assessed, group.lows
        return view

    # -- facts ------------------------------------------------------------------------------
    @property
    def when(self) -> str:
        return period_phrase(self.report["period"], self.report["year"])

    @property
    def when_in_sentence(self) -> str:
        """The period inside a sentence: ``quý I năm 2026`` (never "quý i")."""
        return period_in_sentence(self.report["period"], self.report["year"])

    @property
    def suffix(self) -> str:
        """The end of the view's file names, its period's: ``""`` for the year, ``-q1`` (``periods.file_suffix``)."""
        return file_suffix(self.report["period"])

    @property
    def stem(self) -> str:
        """The briefing's file name without its format: ``briefing``, ``briefing-q1``."""
        return f"briefing{self.suffix}"

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
    def reading(self) -> str:
        """How the file was read, after its name in "Nguồn số liệu", when it was not a plain Unicode file:
        " (tệp PDF có chữ ký số, chưa kiểm tra chữ ký)", " (đã chuyển mã TCVN3 sang Unicode)"; "" otherwise."""
        return reading_vi(self.rows)

    @cached_property
    def refs(self) -> pd.Series:
        return finding_refs(self.findings)

    @cached_property
    def facts(self) -> Facts:
        hits_by_code = doubts(self.findings, rules=self.rules or None)
        by_code_doubt = {code: [r for r, _ in hits] for (_, code), hits in hits_by_code.items()}
        ind_doubt = {r.indicator: split_refs(r.findings) for r in self.assessed.itertuples() if r.findings}
        quoted = {r.indicator: r.reported_text for r in self.assessed.itertuples()
                  if r.reported_text and pd.notna(r.value) and agrees(r.reported, r.value)}
        return Facts(self.rows, self.ind, by_code_doubt, ind_doubt, quoted)

    @cached_property
    def headline_ids(self) -> list[str]:
        """What the unit's level leads with (``data/levels.yaml``) and every indicator with a target in force."""
        return headline_ids(self.report["level"], self.assessed)

    @cached_property
    def by_indicator(self) -> dict[str, pd.Series]:
        return {r["indicator"]: r for _, r in self.assessed.iterrows()}

    @cached_property
    def _ind_first(self) -> dict[str, tuple]:
        """Each indicator's first row in ``ind`` as ``(numerator, denominator, reason)``, the values a filter and
        ``.iloc[0]`` give (the tables and the figures look them up by indicator; a row of a frame of mixed columns
        costs ~0.1 ms to build)."""
        first: dict[str, tuple] = {}
        for ident, *values in zip(*(self.ind[c].tolist() for c in ("indicator", "numerator", "denominator", "reason")),
                                  strict=True):
            first.setdefault(ident, tuple(values))
        return first

    @cached_property
    def _assessed_by_section(self) -> dict[str, list[dict]]:
        """The assessed indicators of each section, in their order, as plain values (``itertuples``' values)."""
        out: dict[str, list[dict]] = {}
        for a in self.assessed.to_dict("records"):
            out.setdefault(a["section"], []).append(a)
        return out

    def figure(self, ident: str) -> tuple[str, str]:
        """An indicator as a reader should quote it, and whose figure it is.

        The unit's own figure when it agrees with the counts (``99,60%``, ``đơn vị báo cáo``); the
        computed one with the unit's beside it when they differ beyond rounding or truncation.
        """
        a = self.by_indicator[ident]
        value, reported = a["value"], a["reported"]
        if pd.isna(value):
            return value_text(value, self._ind_first[ident][2] if ident in self._ind_first else ""), ""
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
                status += " " + cite_target(a["target_source"], bool(a["target_verified"]), short=True, star=True)
        if a["status"] == "doubtful":
            status += f" [{a['findings']}]"
        elif a["warnings"]:
            status = "; ".join(p for p in (status, f"có cảnh báo [{a['warnings']}]") if p)
        if pd.notna(a["rank"]) and pd.notna(a["peers"]) and int(a["peers"]) > 1:
            status = "; ".join(p for p in (status, f"hạng {int(a['rank'])}/{int(a['peers'])}") if p)
        return status or "—"

    @cached_property
    def arranged_into(self) -> str:
        """For a legacy unit (before 1/7/2025): "; từ ngày 01/7/2025 đã sắp xếp thành phường Vĩnh Châu, ..." (every
        successor, from the official units package); empty for a current unit or one without a code."""
        from cchc_tools.units import is_legacy, successor_names

        code, year = str(self.report.get("unit_code") or ""), self.report.get("year")
        if not code or not is_legacy(code, None if pd.isna(year) else int(year), self.report.get("period", "")):
            return ""
        names = successor_names(code)
        if not names:
            return ""
        return "; từ ngày 01/7/2025 đã sắp xếp thành " + (", ".join(names[:-1]) + " và " + names[-1]
                                                          if len(names) > 1 else names[0])

    @cached_property
    def label_rules(self) -> set[str]:
        """Rules about a row's wording or unit of measure: they ask for a correction, not an explanation."""
        return {r.id for r in (self.rules or shipped_rules()) if r.family in LABEL_FAMILIES}

    @cached_property
    def cutoff(self) -> str:
        d = self.report.get("report_date")
        return date_vi(d) if d else ""

    # -- blocks -----------------------------------------------------------------------------
    def header(self) -> Group:
        r = self.report
        lvl = level_phrase(r["level"])
        values = self.rows["value"].notna().sum()
        cat = by_code()
        groups = self.rows["code"].map(lambda c: c in cat and cat[c].kind == "group")
        blank = ((self.rows["raw_value"] == "") & ~groups & (self.rows["code"] != "")).sum()
        meta = [f"Đơn vị: {self.who}" + (f" ({lvl})" if lvl else "") + self.arranged_into,
                f"Nguồn số liệu: {self.source}{self.reading}"]
        if self.cutoff:
            meta.append(f"Số liệu tính đến ngày {self.cutoff} (ngày của báo cáo).")
        meta.append(f"Số dòng chỉ tiêu có số liệu: {int(values)}; bỏ trống (chưa báo cáo): {int(blank)} "
                    "(không tính các dòng tiêu đề nhóm).")
        title = f"Kết quả cải cách hành chính {self.when_in_sentence} – {self.who}"
        return Group(page_head(self.synthetic) + [Heading(title, 1)] + [Paragraph.of(m, "meta") for m in meta])

    def _judged(self) -> pd.DataFrame:
        """The assessment without levels such as staffing (``direction: neither``): what may be judged."""
        return self.assessed[self.assessed["direction"] != "neither"]

    def verdict(self) -> Paragraph:
        """The overall judgement a leader reads first: targets met and missed (by how much), the
        largest change since the previous period, how many figures are in doubt."""
        a = self._judged()
        head = a[a["indicator"].isin(self.headline_ids)]
        judged = head[head["status"].isin(["met", "below_target"])]
        met, below = judged[judged["status"] == "met"], judged[judged["status"] == "below_target"]
        spans: list[Span] = [Span(f"{self.when}, {self.who}: ", strong=True)]
        if len(judged):
            spans.append(Span(f"đạt {len(met)}/{len(judged)} chỉ số chính có mục tiêu"))
            for k, r in enumerate(below.itertuples()):
                gap = abs(r.target - r.value)
                cite = cite_target(r.target_source, bool(r.target_verified), short=True)
                spans += [Span(("; chưa đạt: " if k == 0 else "; ") + f"{r.name_vi[:1].lower()}{r.name_vi[1:]} "),
                          Span.of(self.book.indicator(r.source, r.indicator, self.figure(r.indicator)[0])),
                          Span(f" so với mục tiêu {fmt_percent(r.target)} {cite}"  # never a target without its source
                               f", còn thiếu {fmt_number(gap, 2)} điểm phần trăm")]
            spans.append(Span(". "))
        else:
            spans.append(Span("chưa có chỉ số chính nào có mục tiêu để so sánh. "))
        weak = self.weak_among_peers()
        if len(weak):
            spans.append(Span("Thuộc nhóm thấp nhất trong các đơn vị cùng cấp, cùng kỳ: "))
            for k, r in enumerate(weak.itertuples()):
                spans += [Span(("; " if k else "") + f"{r.name_vi[:1].lower()}{r.name_vi[1:]} "),
                          Span.of(self.book.indicator(r.source, r.indicator, self.figure(r.indicator)[0])),
                          Span(f" (hạng {int(r.rank)}/{int(r.peers)})" if pd.notna(r.rank) and pd.notna(r.peers)
                               else "")]
            spans.append(Span(". "))
        moved = head[head["change"].notna() & (head["status"] != "doubtful")]
        if len(moved) and self.previous_label:
            r = moved.loc[moved["change"].abs().idxmax()]
            if abs(r["change"]) >= 0.005:
                word = "tăng" if r["change"] > 0 else "giảm"
                spans.append(Span(f"Thay đổi lớn nhất so với {self.previous_label}: {r['name_vi'][:1].lower()}"
                                  f"{r['name_vi'][1:]} {word} {fmt_number(abs(r['change']), 2)} điểm phần trăm. "))
        n = self.findings[(self.findings["severity"] != "info") & ~self.findings["rule"].isin(self.label_rules)] \
            if len(self.findings) else self.findings
        errors = int((n["severity"] == "error").sum()) if len(n) else 0
        warnings = int((n["severity"] == "warning").sum()) if len(n) else 0
        doubtful = int((self.assessed["status"] == "doubtful").sum())
        # what each finding asks: an explanation of figures, or a correction of the form (wording, unit of measure)
        corrections = int(((self.findings["severity"] != "info") & self.findings["rule"].isin(self.label_rules)).sum()
                          ) if len(self.findings) else 0
        fix = f"{corrections} điểm cần chỉnh sửa theo mẫu (tên dòng, đơn vị tính)" if corrections else ""
        if errors or warnings:
            spans.append(Span(f"Có {errors} lỗi và {warnings} cảnh báo về số liệu cần đơn vị giải trình"
                              + (f"; {doubtful} chỉ số chưa dùng để đánh giá vì số liệu đầu vào không thể cùng đúng"
                                 if doubtful else "") + (f"; {fix}" if fix else "") + "."))
        else:
            spans.append(Span("Không phát hiện số liệu mâu thuẫn" + (f"; {fix}" if fix else "") + "."))
        return Paragraph(spans, "lead")

    def weak_among_peers(self) -> pd.DataFrame:
        """The unit's headline indicators on which it is among the lowest of its level's units in the period
        (``analysis.selection.weakest``: below the target, or below the median; never when all are tied).
        Found once per view; the peers' lowest units once per peer group (``_Lows``)."""
        if self._weak is not None and self._weak[0] is self.peers:
            return self._weak[1]
        if self._lows is None or self._lows.peers is not self.peers:  # peers given, or replaced, by hand
            self._lows = _Lows(self.peers)
        me = self.report["source"]
        lows = self._lows.of(self.headline_ids) if len(self.peers) else {}
        rows = []
        for ident in self.headline_ids:
            low = lows.get(ident, self.peers)
            if len(low) and me in set(low["source"]):
                rows.append(low[low["source"] == me].iloc[0])
        weak = pd.DataFrame(rows) if rows else self.assessed.iloc[0:0]
        self._weak = (self.peers, weak)
        return weak

    def commitments(self) -> Bullets | None:
        """What the unit wrote in its notes that it will still do, with the date: quoted as the unit's; a date
        already past when the period ended is said to be past (``narrative.commitments``)."""
        from cchc_tools.content.narrative import commitments, report_end

        end = report_end(self.report["period"], self.report["year"])
        items = []
        for c in commitments(zip(self.rows["line"], self.rows["note"], strict=True), end):
            spans = c.spans()
            doubt = self.book.line(self.report["source"], c.line).doubt  # a note a finding questions keeps its mark
            items.append([Span(spans[0].text, doubt)] + spans[1:] if doubt else spans)
        return Bullets(items, "Đơn vị cam kết trong ghi chú của phụ lục (trích nguyên văn):") if items else None

    def assessment(self) -> Group:
        """Đánh giá chung: the verdict, then results, shortfalls, figures in doubt, the unit's commitments, asks."""
        a = self._judged()
        out: list[Block] = [Heading("Đánh giá chung", 2), self.verdict()]
        src = self.report["source"]
        good = [r for r in a.itertuples() if r.indicator in self.headline_ids and r.status in ("met", "no_target")
                and pd.notna(r.value)]
        if good:
            spans = [Span(f"Theo phụ lục của đơn vị, {self.when_in_sentence} {self.who} đạt: ")]
            for k, r in enumerate(good):
                spans += [Span(("; " if k else "") + f"{r.name_vi[:1].lower()}{r.name_vi[1:]} "),
                          Span.of(self.book.indicator(src, r.indicator, self.figure(r.indicator)[0]))]
            out.append(Paragraph(spans + [Span(".")]))
        levels = self.assessed[(self.assessed["direction"] == "neither") & self.assessed["value"].notna()
                               & self.assessed["indicator"].isin(self.headline_ids)]
        if len(levels):
            spans = [Span("Để tham khảo (mức độ, không đánh giá cao hay thấp): ")]
            for k, r in enumerate(levels.itertuples()):
                spans += [Span(("; " if k else "") + f"{r.name_vi[:1].lower()}{r.name_vi[1:]} "),
                          Span.of(self.book.indicator(src, r.indicator, self.figure(r.indicator)[0]))]
            out.append(Paragraph(spans + [Span(".")]))
        counted = a["indicator"].map(lambda i: "reported" not in SPECS[i])  # rates from counts, not a unit's own %
        low = a[(a["status"] == "no_target") & counted & a["value"].notna() & (a["value"] < 100)
                & (a["direction"] == "higher") & ~a["indicator"].isin(self.headline_ids)]  # said above
        low = low.nsmallest(3, "value", keep="all")  # every indicator tied at the cut
        if len(low):  # a figure a warning questions keeps its reference here too
            spans = [Span("Các tỷ lệ thấp nhất trong phụ lục (chưa có mục tiêu để so sánh): ")]
            for k, r in enumerate(low.itertuples()):
                spans += [Span(("; " if k else "") + f"{r.name_vi[:1].lower()}{r.name_vi[1:]} "),
                          Span.of(self.book.indicator(src, r.indicator, self.figure(r.indicator)[0]))]
            out.append(Paragraph(spans + [Span(".")]))
        below = [[Span(f"{r.name_vi}: "),
                  Span.of(self.book.indicator(src, r.indicator, self.figure_text(r.indicator))),
                  Span(f", chưa đạt mục tiêu {r.target_op.replace('>=', '≥').replace('<=', '≤')} "
                       f"{fmt_percent(r.target)} ({cite_target(r.target_source, r.target_verified)}).")]
                 for r in a.itertuples() if r.status == "below_target"]
        if below:
            out.append(Bullets(below, "Chưa đạt mục tiêu:"))
        doubtful = [[Span(f"{r.name_vi}: ", ""), Span(self.figure_text(r.indicator), r.findings),
                     Span(" – số liệu đầu vào không thể cùng đúng, chưa dùng để đánh giá.")]
                    for r in self.assessed.itertuples() if r.status == "doubtful"]
        if doubtful:
            out.append(Bullets(doubtful, "Số liệu cần xem lại trước khi sử dụng:"))
        promised = self.commitments()
        if promised:
            out.append(promised)
        asks = self.asks()
        if asks:
            out.append(Bullets(asks, "Đề nghị đơn vị giải trình:"))
        return Group(out)

    def asks(self) -> list[list[Span]]:
        """Every finding that questions a figure, with its reference and lines: what the unit must explain."""
        return [[Span(f"[{ref}] {f.title_vi if 'title_vi' in self.findings else f.rule}: {f.message_vi} "
                      f"({place_vi(f.lines, getattr(f, 'pages', ''))})." if f.lines else f"[{ref}] {f.message_vi}")]
                for ref, f in zip(self.refs, self.findings.itertuples(), strict=True)
                if f.severity != "info" and f.rule not in self.label_rules]

    def headline(self) -> Group:
        cards, notes = [], []
        for ident in self.headline_ids:
            if ident not in self.by_indicator:
                continue
            a = self.by_indicator[ident]
            text, whose = self.figure(ident)
            inputs = (f"{fmt_number(a['numerator'])}/{fmt_number(a['denominator'])}"
                      if pd.notna(a["numerator"]) and pd.notna(a["denominator"]) else "")
            if inputs and a["findings"]:  # the counts are as questioned as the rate made of them
                inputs += f" [{a['findings'].replace('; ', ', ')}]"
            prev = change_phrase(a["value"], a["value"] - a["change"] if pd.notna(a["change"]) else None,
                                 self.previous_label)
            judged = self._judgement(a, cite=True)
            detail = " · ".join(p for p in (whose, inputs, prev, "" if judged == "—" else judged) if p)
            cards.append(Card(text, a["name_vi"], detail, a["findings"]))
            if a["target_source"] and not a["target_verified"]:
                source = a["target_source"].removeprefix("theo ")
                note = f"* Mục tiêu theo {source}, biết qua tài liệu hướng dẫn, chưa đối chiếu với văn bản gốc."
                if note not in notes:
                    notes.append(note)
        return Group([Heading("Các chỉ số chính", 2), Cards(cards, notes)])

    def key_figures(self) -> str:
        """The headline as plain text (the golden output nbval checks)."""
        lines = [f"{self.who} – {self.when}"]
        for ident in self.headline_ids:
            if ident in self.by_indicator:
                a = self.by_indicator[ident]
                mark = f" [{a['findings']}]" if a["findings"] else ""
                lines.append(f"{a['name_vi']}: {self.figure_text(ident)}{mark}")
        n = self.findings["severity"].value_counts() if len(self.findings) else {}
        lines.append(f"Kiểm tra số liệu: {n.get('error', 0)} lỗi, {n.get('warning', 0)} cảnh báo, "
                     f"{n.get('info', 0)} lưu ý")
        return "\n".join(lines)

    def _indicator_table(self, section: str) -> Table | None:
        sec = self._assessed_by_section.get(section)
        if not sec:
            return None
        has_prev = bool(self.previous_label)
        headers = ["Chỉ số", "Giá trị", "Tính từ", "Đánh giá"] + ([f"So với {self.previous_label}"] if has_prev else [])
        rows, notes, targets = [], [], []
        for a in sec:
            numerator, denominator, reason = self._ind_first[a["indicator"]]
            basis = (f"{fmt_number(numerator)}/{fmt_number(denominator)}"
                     if pd.notna(numerator) and pd.notna(denominator)
                     else ("đơn vị tự báo cáo" if reason == "" else "chưa báo cáo đủ số liệu"))
            cells = [Cell(a["name_vi"]), Cell(self.figure_text(a["indicator"]), a["value"], "percent", a["findings"]),
                     Cell(basis, doubt=a["findings"] if "/" in basis else ""), Cell(self._judgement(a))]
            if has_prev:
                before = a["value"] - a["change"] if pd.notna(a["change"]) else None
                cells.append(Cell(change_phrase(a["value"], before, "") or "—"))
            rows.append(cells)
            notes.append(f"{a['name_vi']}: {definition(a['indicator'])}.")
            if a["target_source"] and cite_target(a["target_source"], a["target_verified"]) not in targets:
                targets.append(cite_target(a["target_source"], a["target_verified"]))
        notes = ["Cách tính: " + " ".join(notes)] + [f"Mục tiêu {t}." for t in targets]
        return Table(headers, rows, notes)

    @cached_property
    def book(self):
        """The report's figures with the findings on them (``analysis.figures.FigureBook``)."""
        from cchc_tools.analysis.figures import FigureBook

        return FigureBook(self.rows, self.findings, self.assessed, rules=self.rules or None)

    def _unit_notes(self, section: str) -> Table | None:
        """The unit's notes beside their figures: a figure a finding questions, and a note that states
        a figure about it, carry the finding's reference."""
        from cchc_tools.analysis.figures import merge

        rows = self.rows[(self.rows["section"] == section) & (self.rows["note"] != "")]
        if rows.empty:
            return None
        src = self.report["source"]
        body: list[list[Cell]] = []
        for _, grp in rows.groupby((rows["note"] != rows["note"].shift()).cumsum(), sort=False):
            # rows in a row that carry the same note (a legal basis repeated) share one line of the table
            figs = [self.book.line(src, ln, raw or "—") for ln, raw in zip(grp["line"], grp["raw_value"], strict=True)]
            refs, _ = merge(figs)
            doubt = ", ".join(refs)
            note = grp["note"].iloc[0]
            # one figure: the cell carries its marks; several: each figure its own, inline
            shown = Cell(figs[0].text, doubt=doubt) if len(figs) == 1 else Cell("; ".join(str(f) for f in figs))
            body.append([Cell("; ".join(str(x) for x in grp["line"])), Cell("; ".join(grp["label"])), shown,
                         Cell(note, doubt=doubt if any(ch.isdigit() for ch in note) else "")])
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
                 Cell(f.title_vi if titled else f.rule), Cell(f.message_vi),
                 Cell(place_cell(f.lines, getattr(f, "pages", "")))]
                for ref, f in zip(self.refs, self.findings.itertuples(index=False), strict=True)]
        rows += [[Cell(""), Cell("Lỗi đọc tệp"), Cell("Không đọc được tệp"), Cell(str(e)), Cell(str(e.line or ""))]
                 for e in self.load_errors]
        out.append(Table.of(["Mã", "Mức độ", "Vấn đề", "Nội dung", "Dòng"], rows))
        return Group(out)

    def document(self) -> Document:
        blocks = [self.header(), self.assessment(), self.headline()]
        blocks += [self.section(s) for s in SECTIONS] + [self.quality()]
        return Document(f"Kết quả cải cách hành chính {self.when_in_sentence} – {self.who}", self._with_stamp(blocks),
                        self.synthetic)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The unit's tables for machines and workbooks: indicators with their assessment, findings."""
        extra = ["shown", "reported", "target", "target_op", "target_source", "status", "rank", "peers", "change",
                 "findings"]
        ind = self.ind.merge(self.assessed[["indicator"] + extra], on="indicator", how="left")
        ind = ind.assign(headline=ind["indicator"].isin(self.headline_ids))  # what the unit's level leads with
        return {"indicators": ind, "findings": self.findings.assign(ref=self.refs, unit_name=self.who)}

    # -- the leader's summary ---------------------------------------------------------------
    def headline_table(self) -> Table:
        """The headline figures with their target, rank and change: one row each, doubts marked."""
        src = self.report["source"]
        rows, sources = [], []
        for ident in self.headline_ids:
            if ident not in self.by_indicator:
                continue
            a = self.by_indicator[ident]
            fig = self.book.indicator(src, ident, self.figure(ident)[0])
            target = "—"
            if pd.notna(a["target"]):  # a target is never shown without its source
                cite = cite_target(a["target_source"], bool(a["target_verified"]))
                if cite not in sources:
                    sources.append(cite)
                target = (f"{a['target_op'].replace('>=', '≥').replace('<=', '≤')} {fmt_percent(a['target'])} "
                          f"({sources.index(cite) + 1})")
            rank = (f"{int(a['rank'])}/{int(a['peers'])}" if pd.notna(a["rank"]) and pd.notna(a["peers"]) else "—")
            before = a["value"] - a["change"] if pd.notna(a["change"]) else None
            change = "chưa so sánh (số liệu cần xem lại)" if a["status"] == "doubtful" and pd.notna(a["change"]) \
                else (change_phrase(a["value"], before, "") or "—")
            judged = {"met": "Đạt", "below_target": "Chưa đạt", "doubtful": "Cần xem lại",
                      "not_reported": "Chưa đủ số liệu",
                      "no_target": "Tham khảo" if a["direction"] == "neither" else "—"}[a["status"]]
            rows.append([Cell(a["name_vi"]), Cell.of(fig), Cell(target), Cell(rank), Cell(change), Cell(judged)])
        notes = ["Hạng: thứ hạng trong các đơn vị cùng cấp, cùng kỳ (1 = cao nhất); không xếp hạng số liệu cần xem "
                 "lại và các chỉ tiêu về mức biên chế."]
        if self.previous_label:
            notes.append(f"Thay đổi so với {self.previous_label}, theo điểm phần trăm.")
        notes += [f"({k}) Mục tiêu {c}." for k, c in enumerate(sources, 1)]
        return Table(["Chỉ số", "Giá trị", "Mục tiêu", "Hạng", "Thay đổi", "Đánh giá"], rows, notes)

    def summary_document(self) -> Document:
        """The leader's summary (at most two A4 pages): the verdict, the headline figures with target,
        rank and change, the points to explain; built from the same blocks as the briefing."""
        r = self.report
        meta = [Paragraph.of(f"Nguồn số liệu: {self.source}{self.reading}" + (f"; số liệu tính đến ngày {self.cutoff}."
                                                                 if self.cutoff else "."), "meta")]
        blocks: list[Block] = page_head(self.synthetic) + [
            Heading(f"Tóm tắt kết quả CCHC {self.when_in_sentence} – {self.who}", 1), *meta,
            Heading("Đánh giá chung", 2), self.verdict()]
        promised = self.commitments()
        if promised:
            blocks.append(promised)
        blocks += [Heading("Các chỉ số chính", 2), self.headline_table()]
        asks = [[Span(f"[{ref}] {f.title_vi if 'title_vi' in self.findings else f.rule}"
                      + (f" ({place_vi(f.lines, getattr(f, 'pages', ''))})" if f.lines else "") + ".")]
                for ref, f in zip(self.refs, self.findings.itertuples(), strict=True)
                if f.severity != "info" and f.rule not in self.label_rules]
        blocks.append(Heading("Đề nghị đơn vị giải trình", 2))
        blocks.append(Bullets(asks) if asks else Paragraph.of("Không có nội dung cần giải trình.", "note"))
        blocks.append(Paragraph.of("Chi tiết từng lĩnh vực, cách tính và toàn bộ kết quả kiểm tra số liệu: xem báo "
                                   f"cáo chi tiết kèm theo về {r['unit_name'] or r['unit']} "
                                   f"{self.when_in_sentence}.", "note"))
        return Document(f"Tóm tắt CCHC {self.when_in_sentence} – {self.who}", blocks, self.synthetic)


class _Lows:
    """The lowest units among one frame of peers (``selection.weakest``), per indicator, each found once: a peer
    group's first briefing finds those of its headline indicators in one pass, the next ones reuse them."""

    def __init__(self, peers: pd.DataFrame) -> None:
        self.peers = peers
        self._found: dict[str, pd.DataFrame] = {}

    def of(self, indicators: list[str]) -> dict[str, pd.DataFrame]:
        missing = [i for i in indicators if i not in self._found]
        if missing:
            self._found.update(weakest_each(self.peers, missing))
        return {i: self._found[i] for i in indicators}


@dataclass
class _PeerGroup:
    """A peer group's assessment (same year, coverage and level; only what each report can have) and its
    lowest units."""

    assessed: pd.DataFrame
    lows: _Lows


class _Shared:
    """What the briefings of one computation share, found once in a kernel that briefs unit after unit: where
    each report's rows are in the tables, and each peer group. Kept with the computation it was found in (see
    :func:`_shared`), so it lasts exactly as long as that data: a changed input is a new computation."""

    def __init__(self) -> None:
        self._positions: dict[str, dict] = {}
        self._groups: dict[tuple, _PeerGroup] = {}

    def rows(self, part: str, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        """The rows of ``source`` in the computation's table ``part`` (as ``frame[frame["source"] == source]``)."""
        where = self._positions.get(part)
        if where is None:
            where = self._positions[part] = frame.groupby("source", sort=False, dropna=True).indices
        at = where.get(source)
        return frame.iloc[at] if at is not None else frame.iloc[0:0]

    def peer_group(self, data, kept: pd.DataFrame, rep: pd.Series) -> _PeerGroup:
        """The reports ``rep`` is ranked with (same year, coverage and level) and their assessment."""
        key = tuple(rep[k] for k in ("year", "coverage", "level"))
        if any(pd.isna(k) for k in key) or key not in self._groups:
            same = kept[(kept["year"] == rep["year"]) & (kept["coverage"] == rep["coverage"])
                        & (kept["level"] == rep["level"])]
            peers = applicable(data.assessed[data.assessed["source"].isin(same["source"])], same)
            group = _PeerGroup(peers, _Lows(peers))
            if any(pd.isna(k) for k in key):
                return group
            self._groups[key] = group
        return self._groups[key]


_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shared(data) -> _Shared:
    """The :class:`_Shared` of a computation (``pipeline.computed``: one object per content of the data folder and
    project, a new one whenever an input changes), kept while the computation is."""
    found = _SHARED.get(data)
    if found is None:
        found = _SHARED[data] = _Shared()
    return found


_SIGNED = "the PDF carries a digital signature (its presence only: not validated)"  # the reader's note (msgid)
_CONVERTED = re.compile(r"(?:converted from|đã chuyển mã) (.+?) (?:to|sang) Unicode")


def reading_vi(rows: pd.DataFrame) -> str:
    """How a report's file was read (the tidy table's ``reading`` and ``page``), in Vietnamese whatever the
    language it was loaded in, as a parenthesis to follow the file's name; "" for a plain Unicode file.
    A signature is said present, never valid: the kit does not check it."""
    first = rows["reading"].iloc[0] if "reading" in rows and len(rows) else ""
    notes = [n.strip() for n in (first if isinstance(first, str) else "").split(";")]
    notes = [n for n in notes if n]
    pdf = "page" in rows and bool((pd.to_numeric(rows["page"], errors="coerce").fillna(0) > 0).any())
    said: list[str] = []
    signed = any(n in (_SIGNED, translations("vi").gettext(_SIGNED)) for n in notes)
    if signed:
        said.append("tệp PDF có chữ ký số, chưa kiểm tra chữ ký")
    elif pdf:
        said.append("đọc từ tệp PDF")
    for n in notes:
        m = _CONVERTED.fullmatch(n)
        if m:
            said.append(f"đã chuyển mã {m.group(1)} sang Unicode")
        elif n not in (_SIGNED, translations("vi").gettext(_SIGNED)):
            said.append(n)
    return f" ({'; '.join(said)})" if said else ""
