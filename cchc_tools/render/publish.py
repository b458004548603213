"""A view's files: the one place a briefing, a comparison or a trend is written to disk.

A view (``content.views``) builds blocks and tables and writes nothing; :func:`save` writes what it shows, in the
formats asked (the registry of ``render.formats``). The notebook's last hidden cell calls it
(``save(b, out_dir, formats)``); the page (``.html``) and its ``.pdf`` are made from the executed notebook by the
runner. For a unit's briefing:

- ``indicators.csv`` and ``findings.csv`` (for machines), whatever the formats;
- the leader's summary, ``summary.html`` (when ``html`` or ``pdf`` is asked: the runner prints its PDF) and
  ``summary.docx``;
- ``briefing.docx`` and ``briefing.xlsx`` (the indicators with their assessment and the findings);

for a comparison ``compare.docx`` and ``compare.xlsx`` (the page's tables and every unit's findings), for a trend
``<unit>.docx`` and ``<unit>.xlsx``. Every name ends with the period's suffix (``briefing-q1.docx``, ``compare-q1``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cchc_tools.atomic import write_table
from cchc_tools.render.formats import output_format, parse_formats, write_document

DEFAULT_FORMATS = "html,docx,xlsx,pdf"
SUMMARY_FORMATS = ("html", "docx", "pdf")  # the leader's summary: a page, a Word file, a print; no workbook


def _settings(view):
    project = getattr(view, "project", None)
    return project.document if project is not None else None


def _document_formats(wanted: list[str]) -> list[str]:
    """The formats a notebook's document is written in here (the page formats are the runner's)."""
    return [f for f in wanted if not output_format(f).page]


def save(view, out_dir: str | Path, formats: str | Iterable[str] = DEFAULT_FORMATS, *, stem: str = "") -> list[Path]:
    """Write ``view``'s files into ``out_dir`` as ``formats`` asks (see the module's docstring); returns them.

    Nothing when ``out_dir`` is empty (a notebook run by hand or by nbval). ``stem`` names the view's document
    (default ``view.stem``: ``briefing-q1``, ``compare``, the trend's unit). The document is built only when a
    format that needs it is asked: its blocks are those the notebook displayed (each section built once).
    """
    if not out_dir:
        return []
    wanted, out = parse_formats(formats), Path(out_dir)
    written, tables = [], None
    if view.KIND == "unit":
        tables = view.tables()
        written += [write_table(df, out / f"{name}{view.suffix}.csv") for name, df in tables.items()]
        # the summary's page is written for its PDF too, which the runner prints with the briefing's
        page = [f for f in wanted if f in SUMMARY_FORMATS and f != "pdf"] + (["html"] if "pdf" in wanted else [])
        written += write_summary(view, out, page)
    office = _document_formats(wanted)
    if not office:
        return written
    document = view.document()
    return written + write_document(document, out, stem or view.stem, office, settings=_settings(view),
                                    sheets=_sheets(view, document, tables))


def write_summary(view, out_dir: str | Path, formats: str | Iterable[str] = SUMMARY_FORMATS) -> list[Path]:
    """A unit's leader's summary (``summary.html``, ``.docx``, ``.pdf``, named with the briefing's period suffix)
    in those of ``formats`` a summary is made in (``SUMMARY_FORMATS``); a PDF that cannot be printed is left out
    (the briefing's own PDF reports a broken browser)."""
    from cchc_tools.render.pdf import PdfError

    wanted = [f for f in parse_formats(formats) if f in SUMMARY_FORMATS]
    written: list[Path] = []
    document, stem, settings = view.summary_document(), f"summary{view.suffix}", _settings(view)
    for name in wanted:
        try:
            written += write_document(document, out_dir, stem, [name], settings=settings)
        except PdfError:
            if name != "pdf":
                raise
    return written


def _sheets(view, document, tables: dict | None) -> list | None:
    """The workbook's sheets of a view (None: every table of its document)."""
    from cchc_tools.render.workbook import document_sheets, finding_messages, findings_sheet, indicators_sheet

    if view.KIND == "unit":
        from cchc_tools.content.views.common import STATUS_VI

        tables = tables if tables is not None else view.tables()
        return [indicators_sheet(tables["indicators"], findings=finding_messages(tables["findings"]),
                                 status_vi=STATUS_VI), findings_sheet(tables["findings"])]
    if view.KIND == "compare":
        return document_sheets(document) + ([findings_sheet(view.named_findings())] if len(view.findings) else [])
    return None
