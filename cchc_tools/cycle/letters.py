"""Draft letters (công văn) asking each unit to explain or correct its figures, and reminders to units that have
not reported (công văn đôn đốc).

For each report of a period with findings that question its figures (errors and warnings, as the briefing's
"Đề nghị đơn vị giải trình") or ask for a correction (a row's unit of measure or wording, a row the form does
not have, rows missing: ``FORM_FAMILIES``), ``letters_for`` gives a :class:`Letter`. A letter speaks as an
official writes: each point cites the form's mục and STT and the indicator's Vietnamese name with the unit's
figures (quoted as written), never a file line or a finding's internal reference; figures to explain and
form problems are separate sections, and the form problems are one paragraph. A unit with only form problems
gets a short correction letter. Points are numbered by the register (:mod:`cchc_tools.cycle.register`), stably
for a unit and period: "mục 2" keeps its meaning after a resubmission.

``build_letter`` lays a letter out as Nghị định 30/2020/NĐ-CP, Phụ lục I: the two-column heading with the
issuing body and the national motto, "Số: …" and the date left for the clerk, "V/v …", "Kính gửi: …", a căn cứ
line, the points, the reply date, "Nơi nhận" and the signature block (from ``[document]`` only; dotted blanks
otherwise). A letter about a legacy unit (before 1/7/2025) written after it was reorganised is addressed to the
People's Committees of its successors and says so. The wording is ``data/letters.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from cchc_tools.analysis.assess import LABEL_FAMILIES, finding_refs
from cchc_tools.analysis.checks import note_percent_text, shipped_rules
from cchc_tools.analysis.selection import reports
from cchc_tools.paths import PACKAGE_DATA
from cchc_tools.periods import date_vi
from cchc_tools.text import lower_first

if TYPE_CHECKING:
    from cchc_tools.forms import Forms

LETTERS_YAML = PACKAGE_DATA / "letters.yaml"
_COMMON = frozenset({"issuing_body", "unit", "reported_by", "when", "report", "year", "basis", "deadline", "due",
                     "days", "successors", "former"})
LETTER_SCHEMA: dict[str, frozenset[str]] = {
    "number": frozenset(), "subject": _COMMON, "subject_correct": _COMMON, "subject_reminder": _COMMON,
    "date_line": _COMMON, "recipient": _COMMON, "basis": _COMMON, "opening": _COMMON, "opening_correct": _COMMON,
    "successor_note": _COMMON, "explain_heading": _COMMON, "correct_heading": _COMMON,
    "point": frozenset({"number", "where", "text"}),
    "form_point": frozenset({"number", "form", "problems", "actions"}), "form_action_extra": frozenset(),
    "form_action_missing": frozenset(), "form_action_uom": frozenset(), "form_action_other": frozenset(),
    "form_wrong_level": frozenset({"count", "examples"}), "form_extra_rows": frozenset({"count", "examples"}),
    "form_missing_rows": frozenset({"count", "examples"}), "form_uom": frozenset({"count", "examples"}),
    "form_more": frozenset({"count"}), "request": _COMMON, "request_correct": _COMMON, "reminder_body": _COMMON,
    "reminder_request": _COMMON, "closing": _COMMON, "recipients_title": frozenset(), "recipients": frozenset(),
    "signer": frozenset(), "signer_name": frozenset()}
DEFAULT_ISSUER = "Sở Nội vụ"
# Families whose findings are about the form (a row's wording or unit of measure, rows it lacks or adds, the
# file fitting no form): grouped into one paragraph asking for a correction, never for an explanation.
FORM_FAMILIES = frozenset(LABEL_FAMILIES | {"form_poor_fit"})
FORM_KEY = "form"  # the item key of the grouped form paragraph
EXAMPLES = 4  # names shown in a group of the form paragraph before "và N dòng khác"


@dataclass(frozen=True)
class Point:
    """One point of a letter. ``key`` identifies it across resubmissions (rule and codes, else the row's
    label); ``where`` is its place on the form ("Mục VII, STT 2.1 và 2.2"); ``text`` what is wrong, in the
    unit's figures as written. ``ref`` is the briefing's reference (for the analyst; never printed)."""

    key: str
    severity: str
    rule: str
    family: str
    title: str
    where: str
    text: str
    ref: str = ""
    codes: tuple[str, ...] = ()
    label: str = ""  # the row's label as written (a row of no catalog entry)
    detail: str = ""  # a unit of measure as written and as the form says ("«%», mẫu: «Nhiệm vụ»")


@dataclass
class Letter:
    """The letter to one unit about one report (``kind`` ``explain`` or ``correct``), or a reminder to a unit
    whose report is overdue (``reminder``)."""

    source: str
    unit: str  # slug (or the roster key of a unit that has not reported)
    unit_code: str
    addressee: str  # "Ủy ban nhân dân xã Vĩnh Hải" (the body that exists at the letter's date)
    level: str
    year: int
    period: str
    report: str  # "Báo cáo số 12/BC-UBND ngày 16/12/2022"
    synthetic: bool = False
    explain: list[Point] = field(default_factory=list)
    correct: list[Point] = field(default_factory=list)
    reported_by: str = ""  # the unit as it was when it reported ("Ủy ban nhân dân thị xã Vĩnh Châu")
    successors: list[str] = field(default_factory=list)  # names of the 2025 units of a legacy unit
    form_name: str = ""  # the form the report was read against
    form_title: str = ""  # its title, as the letter names it (from the project's forms when it is theirs)
    kind: str = "explain"
    source_hash: str = ""
    due: date | None = None  # a reminder: when the report was due
    days_late: int = 0

    def __post_init__(self) -> None:
        if self.kind == "explain" and self.correct and not self.explain:
            self.kind = "correct"
        self.reported_by = self.reported_by or self.addressee

    @property
    def refs(self) -> list[str]:
        return [p.ref for p in self.explain + self.correct]

    def item_keys(self) -> list[str]:
        """The keys of the letter's items, in order: each point to explain, then the form paragraph."""
        return [p.key for p in self.explain] + ([FORM_KEY] if self.correct else [])


def sentence_case_body(name: str) -> str:
    """An issuing body as written inside a sentence: ``SỞ NỘI VỤ`` -> ``Sở Nội vụ`` (a name written in
    mixed case is kept)."""
    name = " ".join(name.split())
    if not name or not name.isupper():
        return name or DEFAULT_ISSUER
    words = name.split()
    return " ".join([w.capitalize() for w in words[:2]] + [w.lower() for w in words[2:]])


def addressee(name: str, level: str) -> str:
    """``Xã Vĩnh Hải`` -> ``Ủy ban nhân dân xã Vĩnh Hải``; a department is addressed by its name."""
    name = " ".join(str(name).split())
    if level == "department" or not name:
        return name
    if name.lower().startswith(("ủy ban", "uỷ ban", "ubnd")):
        return name
    return f"Ủy ban nhân dân {name[:1].lower()}{name[1:]}"


def successors_addressee(names: list[str]) -> str:
    """``["Phường Vĩnh Châu", "Xã Vĩnh Hải"]`` -> ``Ủy ban nhân dân phường Vĩnh Châu, xã Vĩnh Hải``."""
    return "Ủy ban nhân dân " + ", ".join(lower_first(n) for n in names) if names else ""


def official_name(code: str, year: int, period: str, fallback: str) -> str:
    """The official name of a unit's code in the era of the report, else ``fallback``."""
    from cchc_tools.units import official_name as name

    return name(code, year, period) or fallback


def successor_names(code: str, year: int, period: str, on: date) -> list[str]:
    """The names of the current units a legacy unit's territory went to, when the unit of a report of
    ``year`` no longer exists on ``on`` (a letter written from 1/7/2025); else empty."""
    from cchc_tools.units import is_legacy, successors

    if not code or on < date(2025, 7, 1) or not is_legacy(code, year, period):
        return []
    return [name for _, name in successors(code)]


def _report_text(rep: pd.Series) -> str:
    no = str(rep.get("report_no") or "")
    d = str(rep.get("report_date") or "")
    text = f"Báo cáo số {no}" if any(ch.isdigit() for ch in no.split("/")[0]) else "báo cáo"
    return text + (f" ngày {date_vi(d)}" if d else "")


# -- points in an official's words ------------------------------------------------------------------

def _join_vi(items: list[str]) -> str:
    """``a``, ``a và b``, ``a, b và c``."""
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1] if items else ""


def _form_stt(form_name: str, forms: Forms | None = None) -> dict[str, str]:
    """Code -> the THỨ TỰ the form prints for it (``forms``: the project's; default: the kit's)."""
    from cchc_tools.forms import all_forms

    form = all_forms(forms).get(form_name)
    return {r.code: r.stt for r in form.rows} if form else {}


def form_title(form_name: str, forms: Forms | None = None) -> str:
    """The form's title as a letter names it (``forms``: the project's; default: the kit's)."""
    from cchc_tools.forms import all_forms

    form = all_forms(forms).get(form_name)
    return (form.title.split(" (")[0] if form and form.title else form_name) or "phụ lục quy định"


def where_on_form(codes: Iterable[str], rows: pd.DataFrame, form_name: str, forms: Forms | None = None) -> str:
    """``Mục VII, STT 2, 2.1 và 2.2``: the sections and THỨ TỰ of ``codes`` on the form (the form's own
    numbering, else the one the unit wrote), never a line of the file."""
    stt = _form_stt(form_name, forms)
    order = {c: i for i, c in enumerate(stt)}
    by_code = rows.drop_duplicates("code").set_index("code") if len(rows) else rows
    sections: dict[str, list[str]] = {}
    for code in sorted(dict.fromkeys(c for c in codes if c), key=lambda c: order.get(c, len(order))):
        section = code.split(".")[0]
        n = stt.get(code) or (str(by_code.loc[code, "stt"]).strip() if code in by_code.index else "")
        bucket = sections.setdefault(section, [])
        if n and n not in bucket:
            bucket.append(n)
    parts = [f"Mục {s}" + (f", STT {_join_vi(ns)}" if ns else "") for s, ns in sections.items()]
    return "; ".join(parts)


# "(dòng 40; 41)", or for a PDF (analysis.checks.place_vi) "(trang 3, dòng 12, 14 của bảng; trang 4, dòng 20 của bảng)"
_LINE_REF = re.compile(r"\s*\((?:(?:trang [0-9]+, )?dòng [0-9;, ]+(?: của bảng)?(?:; )?)+\)")
_SHOWN_PERCENT = re.compile(r"ghi (-?[0-9.]+(?:,[0-9]+)?%)")


def _written_percent(raw: str) -> str:
    raw = " ".join(str(raw).split())
    return raw if raw.endswith("%") else f"{raw}%"


def point_text(message: str, family: str, rule, rows: pd.DataFrame, codes: list[str]) -> str:
    """A finding's message as a letter says it: rows named as indicators ("Chỉ tiêu «…»"), no file line, and
    a rate the unit wrote quoted as written (a note "99,60%" stays "99,60%")."""
    text = _LINE_REF.sub("", message)
    text = re.sub(r"^Dòng «", "Chỉ tiêu «", text)
    text = text.replace("Ghi chú của dòng «", "Ghi chú của chỉ tiêu «").replace(" dòng «", " chỉ tiêu «")
    by_code = rows.drop_duplicates("code").set_index("code") if len(rows) else rows
    written = ""
    if family == "note_rate" and rule is not None:
        code = rule.params.get("code", "")
        if code in by_code.index:
            pct = note_percent_text(str(by_code.loc[code, "note"]))
            written = f"{pct}%" if pct else ""
    elif family in ("rate_matches", "note_ratio") and codes and codes[0] in by_code.index:
        written = _written_percent(by_code.loc[codes[0], "raw_value"])
    if written:
        text = _SHOWN_PERCENT.sub(lambda m: f"ghi {written}", text, count=1)
    return text


def point_key(rule: str, codes: list[str], label: str = "") -> str:
    """What identifies a point across resubmissions: its rule and the codes it involves (a row of no catalog
    entry: its label), never its order among the findings or its line."""
    return f"{rule}|{';'.join(codes) if codes else ' '.join(label.split())}"


def letter_points(findings: pd.DataFrame, rules: Iterable | None = None, rows: pd.DataFrame | None = None,
                  form_name: str = "", forms: Forms | None = None) -> tuple[list[Point], list[Point]]:
    """The points of one report's findings: (to explain, form problems to correct). Info-level findings are
    left out, except rows missing from the form (a correction). ``rows``: the report's rows of the tidy table
    (for the form's STT, the labels and the figures as written)."""
    if findings.empty:
        return [], []
    rules = tuple(shipped_rules() if rules is None else rules)
    by_id = {r.id: r for r in rules}
    rows = rows if rows is not None else pd.DataFrame(columns=["code", "stt", "line", "label", "raw_value", "note",
                                                               "uom"])
    refs = finding_refs(findings)
    explain, correct = [], []
    for ref, f in zip(refs, findings.itertuples(index=False), strict=True):
        rule = by_id.get(f.rule)
        family = rule.family if rule else f.rule
        if f.severity == "info" and family != "missing_rows":
            continue
        codes = [c for c in str(f.codes or "").split("; ") if c]
        label = ""
        if not codes and str(f.lines or "").strip():
            hit = rows[rows["line"].astype(str) == str(f.lines).strip()] if len(rows) else rows
            label = str(hit["label"].iloc[0]) if len(hit) else ""
        title = getattr(f, "title_vi", "") or f.rule
        detail = ""
        if family == "uom_mismatch" and codes:
            m = re.search(r"ghi đơn vị tính («[^»]*»), trong khi mẫu quy định («[^»]*»)", str(f.message_vi))
            detail = f"ghi {m.group(1)}, mẫu: {m.group(2)}" if m else ""
        p = Point(point_key(f.rule, codes, label), f.severity, f.rule, family, title,
                  where_on_form(codes, rows, form_name, forms),
                  point_text(str(f.message_vi), family, rule, rows, codes),
                  ref, tuple(codes), label, detail)
        (correct if family in FORM_FAMILIES else explain).append(p)
    order = {"error": 0, "warning": 1}
    explain.sort(key=lambda p: order.get(p.severity, 2))
    return explain, correct


def letters_for(table: pd.DataFrame, findings: pd.DataFrame, year: int, period: str, unit: str = "",
                rules: Iterable | None = None, on: date | None = None,
                hashes: dict[str, str] | None = None, forms: Forms | None = None) -> list[Letter]:
    """A letter for each report of ``year`` and ``period`` (of ``unit``, a slug, when given) with points;
    ``on``: the letter's date (a legacy unit reorganised by then is addressed through its successors);
    ``hashes``: source -> SHA-256 of its file (what tells a resubmission); ``forms``: the project's forms
    (a project's own form gives its numbering and title; default: the kit's)."""
    reps = reports(table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    if unit:
        reps = reps[reps["unit"] == unit]
    rules = tuple(shipped_rules() if rules is None else rules)
    on = on or date.today()
    out = []
    rows_of, found_of = _by_source(table), _by_source(findings)  # each table split once, not filtered per report
    for _, rep in reps.iterrows():
        rows = rows_of(rep["source"])
        form_name = str(rows["form"].iloc[0]) if "form" in rows and len(rows) else ""
        explain, correct = letter_points(found_of(rep["source"]), rules, rows, form_name, forms)
        if not (explain or correct):
            continue
        code = str(rep.get("unit_code") or "")
        name = official_name(code, int(year), period, str(rep["unit_name"] or rep["unit"]))
        then = addressee(name, rep["level"])
        after = successor_names(code, int(year), period, on)
        out.append(Letter(rep["source"], rep["unit"], code, successors_addressee(after) or then, rep["level"],
                          int(year), period, _report_text(rep), bool(rep["synthetic"]), explain, correct,
                          reported_by=then, successors=after, form_name=form_name,
                          form_title=form_title(form_name, forms) if form_name else "",
                          source_hash=(hashes or {}).get(rep["source"], "")))
    return out


def _by_source(frame: pd.DataFrame):
    """``source`` -> the rows of ``frame`` of that source, in their order (what ``frame[frame["source"] == source]``
    gives), the frame split once."""
    positions = frame.groupby("source", sort=False).indices if len(frame) else {}
    empty = frame.iloc[0:0]

    def rows(source: str) -> pd.DataFrame:
        pos = positions.get(source)
        return empty if pos is None else frame.iloc[pos]

    return rows


def reminders_for(status, on: date) -> list[Letter]:
    """A reminder (công văn đôn đốc) for each unit of the roster whose report is overdue on ``on``."""
    from cchc_tools.text import slugify

    rows = status.rows
    out = []
    for r in rows[rows["in_roster"] & (rows["state"] == "overdue")].itertuples(index=False):
        key = r.code or r.name
        slug = slugify(r.name) if not r.code else f"{slugify(r.name)}-{r.code}"
        legacy = bool(getattr(r, "legacy", False))
        after = successor_names(r.code, status.year, status.period, on) if legacy else []
        then = addressee(r.name, r.level)
        out.append(Letter("", slug, r.code, successors_addressee(after) or then, r.level, status.year,
                          status.period, "", reported_by=then, successors=after, kind="reminder",
                          due=status.due, days_late=int(r.days_late or 0), source_hash=f"reminder:{key}"))
    return out


def form_paragraph(letter: Letter, number: int, wording: dict) -> str:
    """The form problems of a letter as one point: which form, the rows it adds (a district form used by a
    commune said as such), the rows it lacks, the units of measure; a few names each, then "và N dòng khác"."""
    from cchc_tools.catalog import by_code

    w = wording

    def examples(names: list[str], total: int | None = None) -> str:
        shown = names[:EXAMPLES]
        more = (len(names) if total is None else total) - len(shown)
        if more:
            return ", ".join(shown) + " " + w["form_more"].format(count=more)
        return _join_vi(shown)

    def clean_label(text: str) -> str:
        return "«" + " ".join(text.lstrip("-– ").rstrip(" :.").split()) + "»"

    problems, actions = [], []
    raw_extra = [p.label for p in letter.correct if p.family == "unmatched_row" and p.label]
    extra = [clean_label(x) for x in raw_extra]
    # rows of a district form (any form of that level) in a commune's appendix: the district's form was used
    from cchc_tools.forms import all_forms
    from cchc_tools.text import label_key

    district_rows = {label_key(r.label) for f in all_forms().values() if "district" in f.levels for r in f.rows}
    district = [clean_label(x) for x in raw_extra if label_key(x) in district_rows]
    district.sort(key=lambda n: "huyện" not in n.lower())  # the rows that name the district first, as examples
    if extra and letter.level == "commune" and len(district) * 2 >= len(extra):
        problems.append(w["form_wrong_level"].format(count=len(extra), examples=examples(district, len(extra))))
    elif extra:
        problems.append(w["form_extra_rows"].format(count=len(extra), examples=examples(extra)))
    if extra:
        actions.append(w["form_action_extra"])
    missing = [c for p in letter.correct if p.family == "missing_rows" for c in p.codes]
    if missing:
        cat = by_code()
        names = [clean_label(cat[c].label_vi) if c in cat and cat[c].label_vi else c for c in missing]
        problems.append(w["form_missing_rows"].format(count=len(missing), examples=examples(names)))
        actions.append(w["form_action_missing"])
    uom = [p for p in letter.correct if p.family == "uom_mismatch"]
    if uom:
        names = []
        for p in uom:
            m = re.search(r"«[^»]*»", p.text)
            names.append(" ".join(x for x in (m.group(0) if m else "", f"({p.where}: {p.detail})" if p.detail
                                                else f"({p.where})") if x))
        problems.append(w["form_uom"].format(count=len(uom), examples=examples(names)))
        actions.append(w["form_action_uom"])
    problems += [lower_first(p.text.rstrip(".")) for p in letter.correct if p.family == "metadata_missing"]
    if not problems:
        problems = [lower_first(p.text.rstrip(".")) for p in letter.correct if p.family == "form_poor_fit"][:1]
    name = (letter.form_title or form_title(letter.form_name)).replace(
        "Phụ lục thống kê CCHC", "phụ lục thống kê cải cách hành chính")
    return w["form_point"].format(number=number, form=name, problems="; ".join(problems),
                                  actions=_join_vi(actions or [w["form_action_other"]]))


# -- the Word file --------------------------------------------------------------------------------

def reply_by(produced: date, reply_days: int | None) -> date | None:
    """The reply date of a letter written on ``produced``: ``reply_days`` later (``[letters] reply_days``)."""
    return produced + timedelta(days=int(reply_days)) if reply_days else None


def build_letter(letter: Letter, *, parent_body: str = "", issuing_body: str = "", place: str = "",
                 signer_title: str = "", signer_name: str = "", produced: date | None = None,
                 wording: dict | None = None, basis: str = "", reply_days: int | None = None,
                 numbers: dict[str, int] | None = None):
    """The python-docx Document of one letter (A4, NĐ 30/2020 margins, Times New Roman). ``signer_title``
    (lines split at ``\\n`` or ``/``, e.g. "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC") and ``signer_name`` come from the
    project's ``[document]`` only: empty, the block is dotted blanks. ``basis`` (``[letters] basis``) is the
    căn cứ line; ``reply_days`` (``[letters] reply_days``) gives the reply date from ``produced``; ``numbers``
    the item number of each point's key (the register's; default 1, 2, ...)."""
    from docx import Document as new_docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from cchc_tools.cycle.wording import wording as load
    from cchc_tools.periods import period_in_sentence
    from cchc_tools.project import DocumentSettings as Settings
    from cchc_tools.render.word import (
        fix_widths,
        heading_block,
        page_headers,
        page_setup,
        style_document,
        text_width,
        visible_text,
    )
    from cchc_tools.render.word import line as _line
    from cchc_tools.text import short_title
    from cchc_tools.vocabulary import SYNTHETIC_BANNER

    w = wording or load(LETTERS_YAML, LETTER_SCHEMA)
    produced = produced or date.today()
    issuer = sentence_case_body(issuing_body)
    by = reply_by(produced, reply_days)
    values = {"issuing_body": issuer, "unit": letter.addressee, "reported_by": letter.reported_by,
              "when": period_in_sentence(letter.period, letter.year), "report": letter.report, "year": produced.year,
              "basis": basis, "deadline": date_vi(by) if by else f"…… tháng …… năm {produced.year}",
              "due": date_vi(letter.due), "days": letter.days_late,
              "successors": _join_vi([lower_first(n) for n in letter.successors]),
              "former": lower_first(letter.reported_by.removeprefix("Ủy ban nhân dân ").strip())}
    keys = letter.item_keys()
    numbers = dict(numbers or {})
    for k in keys:
        numbers.setdefault(k, max(numbers.values(), default=0) + 1)
    subject = {"explain": "subject", "correct": "subject_correct", "reminder": "subject_reminder"}[letter.kind]
    doc = new_docx()
    style_document(doc)
    section = doc.sections[-1]
    page_setup(section, False)
    page_headers(section, SYNTHETIC_BANNER if letter.synthetic else "")
    width = text_width(section)
    date_text = w["date_line"].format(**values)
    date_text = f"{place}, {date_text}" if place else date_text[:1].upper() + date_text[1:]
    center = WD_ALIGN_PARAGRAPH.CENTER
    # the NĐ 30 heading block, drawn by the one function every Word file of the kit uses
    heading_block(doc, Settings(parent_body=parent_body, issuing_body=issuing_body or DEFAULT_ISSUER, place=place),
                  date_text=date_text, number=w["number"], subject=w[subject].format(**values), width=width)
    _line(doc, "", size=6)
    _line(doc, w["recipient"].format(**values), size=13, align=center, after=6)

    def body(text: str, bold: bool = False, indent: bool = True):
        par = doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        par.paragraph_format.first_line_indent = Cm(1.27) if indent else None
        par.paragraph_format.space_after = Pt(4)
        par.paragraph_format.line_spacing = 1.0
        run = par.add_run(text)
        run.bold = bold or None
        run.font.size = Pt(13)
        return par

    if basis:
        body(w["basis"].format(**values))
    if letter.kind == "reminder":
        body(w["reminder_body"].format(**values))
    else:
        body(w["opening" if letter.explain else "opening_correct"].format(**values))
    if letter.successors:
        body(w["successor_note"].format(**values))
    roman = iter(("I", "II"))
    if letter.explain and letter.correct:
        body(f"{next(roman)}. " + w["explain_heading"].format(**values), bold=True)
    for pt in letter.explain:
        body(w["point"].format(number=numbers[pt.key], where=pt.where or pt.title, text=pt.text))
    if letter.correct:
        if letter.explain:
            body(f"{next(roman)}. " + w["correct_heading"].format(**values), bold=True)
        body(form_paragraph(letter, numbers[FORM_KEY], w))
    if letter.kind == "reminder":
        body(w["reminder_request"].format(**values))
    else:
        body(w["request" if letter.explain else "request_correct"].format(**values))
    body(w["closing"].format(**values))

    sign = doc.add_table(rows=1, cols=2)
    fix_widths(sign, [int(width * 0.5), width - int(width * 0.5)])
    left, right = sign.rows[0].cells
    _line(left, w["recipients_title"], size=12, bold=True, italic=True, first=True)
    for item in w["recipients"]:
        _line(left, item, size=11)
    signer = ([x.strip() for x in re.split(r"\n|/", signer_title) if x.strip()] if signer_title.strip()
              else list(w["signer"]))
    for k, item in enumerate(signer):
        _line(right, item, size=13, bold=True, align=center, first=k == 0)
    for _ in range(3):
        _line(right, "", size=13)
    _line(right, signer_name.strip() or w["signer_name"], size=13, bold=True, align=center)
    props = doc.core_properties
    props.title = short_title(w[subject].format(**values))  # Word keeps 255 characters; the text has it whole
    props.language, props.author = "vi-VN", short_title(issuing_body or "cchc-kit")
    return visible_text(doc)  # no bidi control or invisible character of a name reaches the letter


def letter_stem(letter: Letter, version: int = 1) -> str:
    """``cong-van-vinh-hai`` (``-lan-2`` for a second version; ``don-doc-…`` for a reminder)."""
    base = ("don-doc-" if letter.kind == "reminder" else "cong-van-") + (letter.unit or letter.unit_code)
    return base + (f"-lan-{version}" if version > 1 else "")
