"""Figures with their doubts: a value never travels without the findings that question it.

A :class:`Figure` is what reaches a page: the value, its text as the reader sees it, the references
of the findings that question it (``L1`` an error, ``C2`` a warning, numbered within the report as
``assess.finding_refs`` numbers them), its unit of measure as the appendix wrote it, and whether it
is the unit's own figure. Views build their cells, sentences and cards from figures
(``Cell.of``, ``Span.of``, ``Card.of`` in ``content.document``), so a number and its markers are
never separated.

:class:`FigureBook` is built once from a computation (table, findings, assessment) and answers:

- ``book.row(source, code)``: a reported row, as written (``9.375``), with the findings on it;
- ``book.line(source, line)``: the same, by the line of the file (the unit's notes table);
- ``book.indicator(source, ident)``: an indicator, with the findings on its inputs;
- ``book.questioned(ident)``: the reports whose inputs of ``ident`` an error-level finding questions
  (what a province total leaves out, and names).

Small on purpose: the workbench (issue 20) and the consolidated appendix (issue 21) use the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from cchc_tools.numbers import fmt_number, fmt_percent


@dataclass(frozen=True)
class Figure:
    """A value as it reaches a page, with the references of the findings that question it.

    ``refs``: every finding (error or warning) on it, e.g. ``("L1", "C4")``; ``errors``: those of
    error level (the figures cannot all be true: never judged, ranked or summed). ``uom``: the unit
    of measure as the appendix wrote it (``Người``, ``Hồ sơ``). ``own``: the unit's own figure as
    it wrote it (not computed by the kit).
    """

    value: float | None
    text: str
    refs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    uom: str = ""
    own: bool = False

    @property
    def doubt(self) -> str:
        """The references as a renderer marks them: ``"L1, C4"`` (empty when nothing questions it)."""
        return ", ".join(self.refs)

    @property
    def questioned(self) -> bool:
        return bool(self.refs)

    @property
    def doubtful(self) -> bool:
        """An error-level finding questions it: not a fact, not judged, not summed."""
        return bool(self.errors)

    @property
    def missing(self) -> bool:
        return self.value is None or (isinstance(self.value, float) and math.isnan(self.value))

    def __str__(self) -> str:
        return self.text + (f" [{self.doubt}]" if self.refs else "")

    def with_text(self, text: str) -> Figure:
        """The same figure worded otherwise (``100%`` quoted from a note): its markers stay."""
        return Figure(self.value, text, self.refs, self.errors, self.uom, self.own)

    @classmethod
    def percent(cls, value: float | None, refs: Iterable[str] = (), errors: Iterable[str] = (),
                own: bool = False) -> Figure:
        return cls(value, fmt_percent(value), tuple(refs), tuple(errors), "%", own)

    @classmethod
    def count(cls, value: float | None, refs: Iterable[str] = (), errors: Iterable[str] = (),
              uom: str = "") -> Figure:
        return cls(value, fmt_number(value), tuple(refs), tuple(errors), uom, True)


def merge(figures: Iterable[Figure]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The references and error references of several figures, each once, in order."""
    refs: dict[str, None] = {}
    errors: dict[str, None] = {}
    for f in figures:
        refs.update(dict.fromkeys(f.refs))
        errors.update(dict.fromkeys(f.errors))
    return tuple(refs), tuple(errors)


def _split(text) -> tuple[str, ...]:
    return tuple(r for r in str(text or "").split("; ") if r) if isinstance(text, str) else ()


class FigureBook:
    """The figures of a computation: every reported row and every indicator with the findings on it.

    ``table``: the tidy table; ``findings``: ``validate(table)``; ``assessed``: ``assess(table)``;
    ``rules``: the rules the findings come from (default: the shipped ones).
    """

    def __init__(self, table: pd.DataFrame, findings: pd.DataFrame, assessed: pd.DataFrame | None = None,
                 rules=None) -> None:
        from cchc_tools.analysis.assess import doubts

        self._doubt = doubts(findings, rules=rules)  # (source, code) -> [(ref, severity)]
        rows = table[table["code"] != ""].drop_duplicates(["source", "code"])
        self._rows = {(s, c): (v, raw, u, ln) for s, c, v, raw, u, ln in
                      zip(rows["source"], rows["code"], rows["value"], rows["raw_value"], rows["uom"],
                          rows["line"], strict=True)}
        self._lines = {(s, ln): c for (s, c), (_, _, _, ln) in self._rows.items()}
        self._assessed = {} if assessed is None else {
            (r["source"], r["indicator"]): r for r in assessed.to_dict("records")}

    def _refs(self, source: str, codes: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        hits = [h for c in codes for h in self._doubt.get((source, c), [])]
        return (tuple(dict.fromkeys(r for r, _ in hits)),
                tuple(dict.fromkeys(r for r, sev in hits if sev == "error")))

    def row(self, source: str, code: str) -> Figure:
        """A reported row as the unit wrote it (``9.375``; blank rows read ``—``), with its findings."""
        value, raw, uom, _ = self._rows.get((source, code), (math.nan, "", "", None))
        refs, errors = self._refs(source, [code])
        return Figure(None if pd.isna(value) else float(value), raw or "—", refs, errors, uom or "", True)

    def line(self, source: str, line, raw: str = "") -> Figure:
        """The row at a line of the file (a row without a catalog code is a plain text figure)."""
        code = self._lines.get((source, line))
        if code is None:
            return Figure(None, raw or "—")
        fig = self.row(source, code)
        return fig.with_text(raw) if raw else fig

    def codes(self, source: str, codes: Iterable[str], text: str, value: float | None = None) -> Figure:
        """A figure made of several rows (a sum in a sentence): the findings of every one of them."""
        refs, errors = self._refs(source, list(codes))
        return Figure(value, text, refs, errors)

    def indicator(self, source: str, ident: str, text: str = "") -> Figure:
        """An indicator of a report, with the findings on its inputs; ``text`` words it (default ``99,87%``)."""
        a = self._assessed.get((source, ident))
        if a is None:
            return Figure(None, text or "—")
        value = a["value"]
        value = None if pd.isna(value) else float(value)
        return Figure(value, text or fmt_percent(value), _split(a["findings"]),
                      tuple(r for r in _split(a["findings"]) if r.startswith("L") and not r.startswith("LY")),
                      "%", False)

    def questioned(self, ident: str, sources: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
        """``source -> error refs`` of the reports whose inputs of ``ident`` an error finding questions."""
        keep = None if sources is None else set(sources)
        return {s: f.errors for (s, i) in self._assessed if i == ident and (keep is None or s in keep)
                for f in [self.indicator(s, i)] if f.doubtful}


def questioned_inputs(assessed: pd.DataFrame) -> pd.Series:
    """Per row of an assessment: whether an error-level finding questions the indicator's inputs."""
    return assessed["status"].eq("doubtful")
