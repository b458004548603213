"""The output formats, in one registry: a format's name -> the writer of a document in it.

As papermill keeps its I/O handlers, the kit keeps its writers here: ``--formats``, a notebook's ``formats``
parameter, every view's files (``render.save``), the index's links and the PDF step all read this registry.
Adding a format is writing its writer, ``(document, path, options) -> Path | None`` (whole or not at all:
``cchc_tools.atomic``), and registering it with :func:`register_format`; a name not registered is an error
(:func:`parse_formats`), never a format silently not written.

A *page* format (``html``, ``pdf``) of a briefing, a comparison or a trend is made from its executed notebook
by the runner (``export.notebook_to_html``, ``pdf.print_pdf``); their writers here make the pages of documents
that have no notebook (the leader's summary, the reporting status).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.content.document import Document
from cchc_tools.errors import CchcError

if TYPE_CHECKING:
    from cchc_tools.project import DocumentSettings


@dataclass(frozen=True)
class WriteOptions:
    """What a writer may need besides the document: the project's ``[document]`` (letterhead, Word template;
    None: none), the production date (None: today) and the workbook's sheets (None: the document's tables)."""

    settings: DocumentSettings | None = None
    produced: date | None = None
    sheets: tuple | None = None


Writer = Callable[[Document, Path, WriteOptions], "Path | None"]


@dataclass(frozen=True)
class OutputFormat:
    """A registered format: its name (the file's suffix), its writer, and whether it is a page format (made
    from the executed notebook for a notebook's document)."""

    name: str
    writer: Writer
    page: bool = False


_REGISTRY: dict[str, OutputFormat] = {}


def register_format(name: str, writer: Writer, *, page: bool = False) -> OutputFormat:
    """Make ``name`` a format every output can be written in, by ``writer``; the order of registration is the
    order formats are written and listed in. Registering a name again is an error (a typo, not an override)."""
    name = name.strip().lower().lstrip(".")
    if not name or not name.isalnum():
        raise CchcError(f"a format's name is its file suffix (letters and digits), not {name!r}")
    if name in _REGISTRY:
        raise CchcError(f"format {name!r} is already registered")
    _REGISTRY[name] = fmt = OutputFormat(name, writer, page)
    return fmt


def names() -> tuple[str, ...]:
    """Every registered format, in the kit's order: ``("html", "docx", "pdf", "xlsx")``."""
    return tuple(_REGISTRY)


def output_format(name: str) -> OutputFormat:
    """The registered format ``name``; any other name is an error naming the formats there are."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise CchcError(f"unknown format {name!r}; choose among {','.join(names())}") from None


def parse_formats(text: str | Iterable[str]) -> list[str]:
    """``"html,docx,pdf,xlsx"`` (any order, spaces allowed) in the kit's order; an unknown name is an error."""
    asked = [t.strip().lower().lstrip(".") for t in (text.split(",") if isinstance(text, str) else text)]
    asked = [n for n in asked if n]
    bad = [n for n in asked if n not in _REGISTRY]
    if bad:
        raise CchcError(f"unknown format(s) {', '.join(map(repr, bad))}; choose among {','.join(names())}")
    return [f for f in _REGISTRY if f in asked]


def write_document(document: Document, out_dir: str | Path, stem: str, formats: str | Iterable[str], *,
                   pages: bool = True, sheets: Iterable | None = None, settings: DocumentSettings | None = None,
                   produced: date | None = None) -> list[Path]:
    """``document`` written as ``<out_dir>/<stem>.<format>`` for every format ``formats`` asks for, each by its
    registered writer; returns the files written (a writer may write nothing: a workbook without a table, a PDF
    without a browser).

    ``pages=False``: the page formats are left to the runner, which makes them from the executed notebook.
    ``sheets`` (``workbook.Sheet``; default: the document's tables) fill the workbook; ``settings`` (the
    project's ``[document]``) gives the Word file its letterhead and the workbook its page header.
    """
    options = WriteOptions(settings, produced, tuple(sheets) if sheets is not None else None)
    out, written = Path(out_dir), []
    for name in parse_formats(formats):
        fmt = _REGISTRY[name]
        if fmt.page and not pages:
            continue
        path = fmt.writer(document, out / f"{stem}.{name}", options)
        if path is not None:
            written.append(path)
    return written


# -- the kit's writers -------------------------------------------------------------------------------

def write_html(document: Document, path: Path, options: WriteOptions) -> Path:
    """The document as a whole page (``html.document_html``)."""
    from cchc_tools.atomic import write_text
    from cchc_tools.render.html import document_html

    return write_text(path, document_html(document, options.produced))


def write_word(document: Document, path: Path, options: WriteOptions) -> Path:
    """The Word file laid out as NĐ 30/2020 asks (``word.write_docx``)."""
    from cchc_tools.render.word import write_docx

    return write_docx(document, path, options.settings, options.produced)


def write_pdf(document: Document, path: Path, options: WriteOptions) -> Path | None:
    """The page printed by headless Chromium (``pdf.print_pdf``); None when no browser is installed (the kit says
    so once). The page is printed from a file beside the PDF, removed after."""
    from cchc_tools.atomic import write_text
    from cchc_tools.render.html import document_html
    from cchc_tools.render.pdf import print_pdf

    page = path.with_name(f".{path.stem}.print.html")
    try:
        write_text(page, document_html(document, options.produced))
        return path if print_pdf(page, path) else None
    finally:
        page.unlink(missing_ok=True)


def write_excel(document: Document, path: Path, options: WriteOptions) -> Path | None:
    """The workbook: ``options.sheets``, else every table of the document as a sheet; printed with the document's
    title and the project's parent or issuing body in the page header. None: no table, no workbook."""
    from cchc_tools.render.workbook import document_sheets, write_workbook

    sheets = list(options.sheets) if options.sheets is not None else document_sheets(document)
    if not sheets:
        return None
    s = options.settings
    return write_workbook(sheets, path, document.title, name=(s.parent_body or s.issuing_body) if s else "")


register_format("html", write_html, page=True)
register_format("docx", write_word)
register_format("pdf", write_pdf, page=True)
register_format("xlsx", write_excel)
