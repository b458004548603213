"""Vietnamese sentences for briefings, from the declared sentences of ``data/sentences.yaml``.

A sentence reads the report's values (the tidy table) and its derived indicators; a figure that
a data-quality finding questions is marked with the finding's reference and its sentence is
attributed to the unit's report, never stated as fact.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from cchc_tools.analysis.specs import PLACEHOLDER, sentence_specs
from cchc_tools.catalog import by_code
from cchc_tools.content.document import Span
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.periods import PERIODS, date_vi, period_end
from cchc_tools.periods import period_in_sentence as period_in_sentence  # re-exported for the views
from cchc_tools.periods import period_phrase as period_phrase  # re-exported for the views

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PART = re.compile(r"\[([^\[\]]*)\]")
ATTRIBUTION = "Theo số liệu đơn vị báo cáo, "


class Facts:
    """One report's values by catalog code and its indicators by id, with the findings that question them.

    ``doubt`` maps a code to the references of the findings (error or warning) that involve it;
    ``ind_doubt`` maps an indicator id to those of its inputs; ``quoted`` gives the unit's own figure
    for an indicator where it agrees with the computed one (so a sentence quotes the unit).
    """

    def __init__(self, rows: pd.DataFrame, ind: pd.DataFrame | None = None,
                 doubt: dict[str, list[str]] | None = None, ind_doubt: dict[str, list[str]] | None = None,
                 quoted: dict[str, str] | None = None) -> None:
        coded = rows[rows["code"] != ""].drop_duplicates("code")
        self.values = dict(zip(coded["code"], coded["value"], strict=True))
        self.lines = dict(zip(coded["code"], coded["line"], strict=True))
        self.ind = {} if ind is None else dict(zip(ind["indicator"], ind["value"], strict=True))
        self.doubt = doubt or {}
        self.ind_doubt = ind_doubt or {}
        self.quoted = quoted or {}  # indicator -> the unit's own figure as written, where it agrees

    def get(self, code: str) -> float | None:
        v = self.values.get(code)
        return None if v is None or math.isnan(v) else float(v)

    def n(self, code: str) -> str | None:
        v = self.get(code)
        return None if v is None else fmt_number(v)


@dataclass
class _Value:
    text: str
    value: float
    doubt: list[str]


def _resolve(name: str, f: Facts, who: str, when: str) -> _Value | None:
    """A placeholder's text, value and doubts; None when not reported."""
    if name == "who":
        return _Value(who, math.nan, [])
    if name == "when":
        return _Value(when, math.nan, [])
    if name.startswith("="):
        v = f.ind.get(name[1:])
        if v is None or math.isnan(v):
            return None
        return _Value(f.quoted.get(name[1:]) or fmt_percent(v), v, f.ind_doubt.get(name[1:], []))
    codes = name.split("+")
    vals = [f.get(c) for c in codes]
    if all(v is None for v in vals):
        return None
    total = sum(v for v in vals if v is not None)
    doubt = [r for c in codes for r in f.doubt.get(c, [])]
    kind = by_code()[codes[0]].kind
    return _Value(fmt_percent(total) if kind == "percent" else fmt_number(total), total, list(dict.fromkeys(doubt)))


def _fill(text: str, f: Facts, who: str, when: str) -> list[Span] | None:
    """Spans of a text with no optional parts; None when a placeholder is not reported."""
    spans: list[Span] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        v = _resolve(m.group(1), f, who, when)
        if v is None:
            return None
        spans.append(Span(text[pos:m.start()]))
        spans.append(Span(v.text, ", ".join(v.doubt)))
        pos = m.end()
    spans.append(Span(text[pos:]))
    return spans


def _optional(part: str, f: Facts, who: str, when: str) -> list[Span]:
    """An optional part (or a list of them, ``a|b|c``): the items that have non-zero values, joined."""
    out: list[Span] = []
    for item in part.split("|"):
        names = PLACEHOLDER.findall(item)
        values = [_resolve(n, f, who, when) for n in names]
        if any(v is None or v.value == 0 for v in values):
            continue
        filled = _fill(item, f, who, when)
        if filled:
            out += ([Span(", ")] if out else []) + filled
    return out


def _zero(codes: list[str], f: Facts) -> bool:
    vals = [f.get(c) for c in codes]
    return all(v is not None for v in vals) and sum(vals) == 0


def _say(alt, f: Facts, who: str, when: str) -> list[Span] | None:
    text = alt["text"] if isinstance(alt, dict) else alt
    if isinstance(alt, dict) and "zero" in alt and not _zero(alt["zero"], f):
        return None
    spans: list[Span] = []
    pos, any_optional = 0, False
    required = PLACEHOLDER.findall(_PART.sub("", text))
    for m in _PART.finditer(text):
        head = _fill(text[pos:m.start()], f, who, when)
        if head is None:
            return None
        part = _optional(m.group(1), f, who, when)
        any_optional |= bool(part)
        spans += head + part
        pos = m.end()
    tail = _fill(text[pos:], f, who, when)
    if tail is None or (not required and _PART.search(text) and not any_optional):
        return None
    return _tidy(spans + tail)


def _tidy(spans: list[Span]) -> list[Span]:
    """Merge plain neighbours, drop empty parentheses; every questioned figure keeps all its references
    (a figure is never shown bare because the same finding marked another figure of the sentence)."""
    merged: list[Span] = []
    for s in spans:
        if merged and not s.doubt and not merged[-1].doubt:
            merged[-1] = Span(merged[-1].text + s.text)
        elif s.text:
            merged.append(s)
    return [Span(s.text.replace(" ()", "").replace("()", ""), s.doubt) if not s.doubt else s for s in merged]


def _sentence(spans: list[Span]) -> list[Span]:
    """Capitalise, end with a full stop, and attribute to the unit when a figure is in doubt."""
    if any(s.doubt for s in spans):
        first = spans[0]
        spans = [Span(ATTRIBUTION + first.text[:1].lower() + first.text[1:], first.doubt)] + spans[1:]
    first = spans[0]
    spans = [Span(first.text[:1].upper() + first.text[1:], first.doubt)] + spans[1:]
    last = spans[-1]
    if not last.text.rstrip().endswith("."):
        spans = spans + [Span(".")]
    return spans


def section_sentences(section: str, f: Facts, who: str, when: str) -> list[list[Span]]:
    """The sentences of one area, as spans; sentences with no data are left out."""
    out = []
    for spec in sentence_specs():
        if spec["section"] != section:
            continue
        for alt in spec["say"]:
            spans = _say(alt, f, who, when)
            if spans:
                out.append(_sentence(spans))
                break
    return out


def plain(spans: list[Span]) -> str:
    """A sentence as plain text, doubt marks as ``[C2]``."""
    return "".join(s.text + (f" [{s.doubt}]" if s.doubt else "") for s in spans)


def change_phrase(now: float | None, before: float | None, before_label: str) -> str:
    """``tăng 1,20 điểm phần trăm so với năm 2021`` (two decimals, as every percentage); empty when either side is
    missing."""
    if now is None or before is None or math.isnan(now) or math.isnan(before):
        return ""
    diff = now - before
    against = f" so với {before_label}" if before_label else ""
    if abs(diff) < 0.005:
        return f"không đổi{against}"
    word = "tăng" if diff > 0 else "giảm"
    return f"{word} {fmt_number(abs(diff), 2)} điểm phần trăm{against}"


# --- the unit's commitments -----------------------------------------------------------------------

# What a unit writes in a note that it will still do, up to a date: "còn 02 nhiệm vụ sẽ hoàn thành từ nay đến
# ngày 31/12/2022". The date closing the match is the commitment's deadline.
_COMMITMENT = re.compile(r"(sẽ|tiếp tục|đang)\s[^.;]*?(hoàn thành|thực hiện|triển khai)[^.;]*?"
                         r"(\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE)


@dataclass(frozen=True)
class Commitment:
    """A commitment quoted from a unit's note: its line, the note as written, its deadline, and whether that
    deadline was already past when the report's period ended."""

    line: int
    note: str
    due: dt.date | None
    past: bool

    def spans(self) -> list[Span]:
        """The quote, with its deadline said to be past when it is (never quoted as still to come)."""
        quote = f"«{self.note}» (dòng {self.line})"
        if self.past and self.due is not None:
            quote += f": hạn {date_vi(self.due)} đã qua"
        return [Span(quote)]


def report_end(period: str, year) -> dt.date | None:
    """The last day of a report's period (``periods.period_end``); None for an unknown period or year."""
    try:
        return period_end(period, int(year)) if period in PERIODS else None
    except (TypeError, ValueError):
        return None


def commitments(notes: Iterable[tuple[int, str]], end: dt.date | None) -> list[Commitment]:
    """The commitments in a report's notes (``(line, note)`` pairs), each with its deadline.

    A deadline before ``end`` (the last day of the report's period, :func:`report_end`) had passed when the
    period ended: the commitment is ``past`` and is quoted so ("hạn 31/12/2022 đã qua"). A date that is not a
    real day (31/02) is no deadline: the note is quoted as written, never judged. ``end`` None: nothing is past.
    """
    out = []
    for line, note in notes:
        m = _COMMITMENT.search(note or "")
        if not m:
            continue
        try:
            due: dt.date | None = dt.date(int(m.group(5)), int(m.group(4)), int(m.group(3)))
        except ValueError:
            due = None
        out.append(Commitment(int(line), note.strip(), due, bool(due and end and due < end)))
    return out
