"""Reader for PDF appendices with a text layer (what Word's "Save as PDF" and the signing tools produce).

pdfplumber (on pdfminer.six) finds the ruled tables of each page; the appendix table is the first one
whose row reads THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH ..., and it goes on over the next pages in the tables
whose columns stand at the same places (its header repeated on a new page is skipped). The report's
narrative pages, the page headers and footers and the signature's stamp are outside those tables and are
never read as rows. A row that breaks across a page (Word's default) is joined again (:func:`_is_continuation`).

``line`` is the row of the appendix table as printed, its header being row 1 (the same numbers the
.docx reader gives for the document the PDF was printed from); ``page`` is the page the row's value
(or, without a value, its label) stands on. The file is opened read-only and never written: a signed
PDF stays byte for byte as it came, and its signature is only noticed (``signed``), never validated.

Refused before any table is read: a file that is not a PDF, one that needs a password, one of more
than :data:`~cchc_tools.limits.MAX_PDF_PAGES` pages (counted without reading them); and, once read, a PDF
with no text at all (a scan: no OCR, a guessed digit being the worst failure of the kit).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.errors import AppendixError, LimitError
from cchc_tools.i18n import _, tr
from cchc_tools.ingest.readers.base import (
    RawRow,
    RawTable,
    check_short_cells,
    header_columns,
    is_header,
    nearest_title,
    pick,
)
from cchc_tools.limits import MAX_CELL_CHARS, MAX_CELLS_PER_ROW, MAX_PDF_PAGE_CHARS, MAX_PDF_PAGES, MAX_ROWS
from cchc_tools.text import clean, clean_value, label_key, without_controls

if TYPE_CHECKING:
    from cchc_tools.forms import Forms

#: Points two column boundaries may differ by and still be the same column on another page.
COLUMN_TOLERANCE = 3.0
#: Characters below which a whole PDF is taken as having no text layer.
MIN_TEXT_CHARS = 20

_SIGNATURE_MARKS = (b"/ByteRange", b"/adbe.pkcs7", b"/ETSI.CAdES", b"/Type /Sig", b"/Type/Sig", b"/FT /Sig",
                    b"/FT/Sig")


def _fix() -> str:
    return _("the Word or Excel file of the appendix, or a PDF saved from Word (with its text)")


def has_signature(data: bytes) -> bool:
    """True when the PDF carries a digital signature (a signature dictionary or field): presence only."""
    return any(mark in data for mark in _SIGNATURE_MARKS)


def _join_lines(text: str | None) -> str:
    """A non-value cell's lines as one text: a line broken after a hyphen inside a word ("QĐ-" / "UBND")
    is joined without a space, every other break is a space."""
    if not text:
        return ""
    out = ""
    for part in text.split("\n"):
        out = _join(out, part)
    return clean(without_controls(out))


def _join(a: str, b: str) -> str:
    """Two pieces of one cell's text, as one."""
    a, b = a.strip(), b.strip()
    if not a or not b:
        return a or b
    if a.endswith("-") and len(a) > 1 and not a[-2].isspace():
        return a + b
    return f"{a} {b}"


def _open(path: str | Path):
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        return pdfplumber.open(str(path))
    except (PdfminerException, PDFPasswordIncorrect, PDFEncryptionError) as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in repr(cause).lower():
            raise AppendixError(path, _("the PDF is password-protected (encrypted) and cannot be read"),
                                expected=_("the PDF saved without a password, or the Word or Excel file")) from None
        raise AppendixError(path, _("not a readable PDF ({reason})").format(reason=type(cause).__name__),
                            expected=_fix()) from None


def _count_pages(path: str | Path, pdf) -> int:
    """Pages of the document, walked lazily and stopped one past the limit (a page count in the file
    can lie; its page tree is what the reader would walk)."""
    from pdfminer.pdfpage import PDFPage

    n = 0
    for _page in PDFPage.create_pages(pdf.doc):
        n += 1
        if n > MAX_PDF_PAGES:
            raise LimitError(path, tr("a PDF of more than {n} pages", n=MAX_PDF_PAGES), "MAX_PDF_PAGES", MAX_PDF_PAGES)
    return n


class _Fragment:
    """The part of the appendix table on one page: its rows' cell texts and where it ends."""

    def __init__(self, page: int, rows: list[list[str | None]], bottom: float, edges: list[float]) -> None:
        self.page, self.rows, self.bottom, self.edges = page, rows, bottom, edges


def _edges(table) -> list[float]:
    """The x positions of a table's column boundaries."""
    xs = sorted({round(c[0], 1) for c in table.cells} | {round(c[2], 1) for c in table.cells})
    out: list[float] = []
    for x in xs:
        if not out or x - out[-1] > COLUMN_TOLERANCE:
            out.append(x)
    return out


def _same_columns(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(a, b, strict=True))


def _bounded(path: str | Path, page: int, cells: list[str | None]) -> None:
    if len(cells) > MAX_CELLS_PER_ROW:
        raise LimitError(path, _("a row of more than {n} cells").format(n=MAX_CELLS_PER_ROW), "MAX_CELLS_PER_ROW",
                         MAX_CELLS_PER_ROW, line=None)
    for c in cells:
        if c and len(c) > MAX_CELL_CHARS:
            raise LimitError(path, tr("a cell of {n} characters on page {page}", n=len(c), page=page),
                             "MAX_CELL_CHARS", MAX_CELL_CHARS)


def _title_lines(page, top: float) -> list[str]:
    """The text lines of ``page`` above ``top`` (the table's top): the appendix's title."""
    if top <= 1:
        return []
    above = page.crop((0, 0, page.width, min(top, page.height)), strict=False)
    return [t for t in (clean(without_controls(x)) for x in (above.extract_text() or "").split("\n")) if t]


def _fragments(path: str | Path, pdf) -> tuple[list[_Fragment], list[str], dict[str, int], int, list[int]]:
    """The appendix table's fragments page by page, the title lines, the header's columns, the characters of
    text the document holds and the pages that are images with no text (scanned)."""
    fragments: list[_Fragment] = []
    title: list[str] = []
    cols: dict[str, int] = {}
    edges: list[float] | None = None
    chars = 0
    scanned: list[int] = []
    for page_no, page in enumerate(pdf.pages, start=1):
        n_chars = len(page.chars)
        if n_chars > MAX_PDF_PAGE_CHARS:
            raise LimitError(path, tr("page {page} holds {n} characters", page=page_no, n=n_chars),
                             "MAX_PDF_PAGE_CHARS", MAX_PDF_PAGE_CHARS)
        chars += n_chars
        if n_chars < MIN_TEXT_CHARS and page.images:
            scanned.append(page_no)
        if not n_chars:
            page.close()
            continue
        tables = page.find_tables()
        for table in sorted(tables, key=lambda t: (t.bbox[1], t.bbox[0])):
            rows = table.extract()
            if not rows:
                continue
            if edges is None:
                at = next((i for i, r in enumerate(rows) if is_header([_join_lines(c) for c in r])), None)
                if at is None:
                    continue
                header = [_join_lines(c) for c in rows[at]]
                cols, edges = header_columns(header), _edges(table)
                title = _title_lines(page, table.bbox[1]) + [t for r in rows[:at] for c in r if (t := _join_lines(c))]
                rows = rows[at + 1:]
            elif not _same_columns(_edges(table), edges):
                continue  # another table (a distribution list, the signatures): not the appendix
            for r in rows:
                _bounded(path, page_no, r)
            fragments.append(_Fragment(page_no, rows, table.bbox[3], edges))
        page.close()
    return fragments, title, cols, chars, scanned


_ACRONYM = re.compile(r"^[A-ZĐ]{2,}\b")
_ITEM_MARKS = "-–—+•*"  # a label may begin with a list mark


def _is_continuation(prev: RawRow | None, prev_full: bool, cells: dict[str, str], forms: Forms | None = None) -> bool:
    """The first row of a page continues the last row of the page before (a row broken across pages).

    Only when that page was filled to its foot and this row has no THỨ TỰ; then when it has no label but some
    other text (the rest of a note, a unit or a figure), a label that cannot begin one (a small letter, a
    bracket). A label begins with a capitalised word or a list mark: such a first line with no value is the
    rest of the label above when the forms say so (:func:`_form_says`: the two read as one are a form's
    label, "... liên thông với UBN" / "D huyện."), a row of its own when the forms say that (it is a form's
    label alone: the sub-heading "Dịch vụ công trực tuyến mức độ 3" under "... mức độ 3, 4"); where they say
    neither, the rest when it begins with an acronym ("UBND") or follows a label that cannot end there ("...
    khác như:", "... thuộc"), else a row of its own. A figure broken across the pages keeps its two parts on
    two lines of its cell, which no number is: it is reported, never joined into one number. An empty row is
    a row. ``forms``: the forms asked (a project's; default: the kit's)."""
    if prev is None or not prev_full or cells["stt"]:
        return False
    label = cells["label"]
    if not label:
        return bool(cells["uom"] or cells["note"] or cells["value"])
    if not (label[0].isupper() or label[0] in _ITEM_MARKS):  # "giảm trong năm", "(Sử dụng chữ ký số ...)"
        return True
    if cells["value"]:
        return False
    said = _form_says(prev.label, label, forms)
    if said is not None:
        return said
    return _ACRONYM.match(label) is not None or _open_ended(prev.label)


#: Similarity (0-100, of labels without their spaces) from which a label is taken as a form's label.
FORM_LABEL_SCORE = 90.0
_form_keys_cache: list = [None, ()]


def _squashed(label: str) -> str:
    """A label as compared with the forms' labels: its matching key without any space (a word the page wrapped
    inside, "UBN" / "D huyện", reads as the same word)."""
    return "".join(label_key(label).split())


def _form_keys(forms: Forms | None = None) -> tuple[str, ...]:
    """The labels of every known form's rows (the kit's and those of ``forms``, a project's), squashed."""
    from cchc_tools.forms import all_forms

    known = all_forms(forms)
    if _form_keys_cache[0] is not known:
        keys = {_squashed(r.label) for f in known.values() for r in f.rows}
        _form_keys_cache[:] = [known, tuple(sorted(k for k in keys if k))]
    return _form_keys_cache[1]


def _form_score(label: str, keys: tuple[str, ...]) -> float:
    from rapidfuzz import fuzz, process

    key = _squashed(label)
    if not key or not keys:
        return 0.0
    hit = process.extractOne(key, keys, scorer=fuzz.ratio)
    return float(hit[1]) if hit else 0.0


def _form_says(above: str, rest: str, forms: Forms | None = None) -> bool | None:
    """Whether the forms tell a capitalised first line of a page ``rest`` (no THỨ TỰ, no value) as the end of the
    label ``above`` broken at the page (True) or as a row of its own (False); None when they do not tell.

    The end of a label: the two read as one are a form's label, and closer to one than ``above`` alone and
    ``rest`` alone are ("... liên thông với UBN" / "D huyện."). A row of its own: ``rest`` alone is a form's label
    and the two read as one are not closer to one ("Dịch vụ công trực tuyến mức độ 3, 4" / "Dịch vụ công trực
    tuyến mức độ 3", a sub-heading without unit or value). Labels are compared with all their spaces removed.
    ``forms``: the forms asked (a project's; default: the kit's)."""
    if not _squashed(above):
        return None  # a list mark alone above: the two read as one are ``rest``, and the forms cannot tell
    keys = _form_keys(forms)
    joined = _form_score(_join(above, rest), keys)
    alone = _form_score(rest, keys)
    if joined >= FORM_LABEL_SCORE and joined > _form_score(above, keys) and joined > alone:
        return True
    if alone >= FORM_LABEL_SCORE and alone > joined:
        return False
    return None


#: Words a label never ends with: a label broken after one goes on ("... thuộc" / "UBND cấp huyện").
_OPEN_WORDS = frozenset(["của", "và", "về", "với", "cho", "các", "được", "tại", "theo", "trong", "thuộc", "đã", "có",
                         "là", "từ", "đến", "trên", "để", "như", "hoặc", "những", "đối", "do", "qua", "mức"])


def _open_ended(label: str) -> bool:
    """A label that stops where no label ends: after a colon, comma, semicolon, open bracket, dash or a word such
    as "của", "và", "như"."""
    text = label.rstrip()
    if not text:
        return False
    if text[-1] in ":,;(–-":
        return True
    return text.rsplit(None, 1)[-1].lower() in _OPEN_WORDS


def _parse_rows(path: str | Path, fragments: list[_Fragment], cols: dict[str, int], table: RawTable,
                forms: Forms | None = None) -> None:
    bottoms = [f.bottom for f in fragments]
    foot = max(bottoms) if bottoms else 0.0
    line = 1  # the header is row 1 of the table
    rows = table.rows
    prev: RawRow | None = None
    prev_full = False
    for k, frag in enumerate(fragments):
        first = True
        for r in frag.rows:
            texts = [c or "" for c in r]
            if is_header([_join_lines(c) for c in texts]):
                continue  # the header repeated on a new page
            cells = {key: _join_lines(pick(texts, cols, key)) for key in ("stt", "label", "uom", "note", "code")}
            cells["value"] = clean_value(without_controls(pick(texts, cols, "value") or ""))
            if first and k and _is_continuation(prev, prev_full, cells, forms):
                prev.label = _join(prev.label, cells["label"])
                prev.uom = _join(prev.uom, cells["uom"])
                prev.note = _join(prev.note, cells["note"])
                if cells["value"]:  # a figure broken across pages stays on two lines: never one number
                    prev.value = f"{prev.value}\n{cells['value']}" if prev.value else cells["value"]
                    prev.page = prev.page if prev.value != cells["value"] else frag.page
                first = False
                continue
            first = False
            line += 1
            if not cells["label"] and not cells["value"]:
                prev = None
                continue
            if len(rows) >= MAX_ROWS:
                raise LimitError(path, tr("a table of more than {n} rows", n=MAX_ROWS), "MAX_ROWS", MAX_ROWS,
                                 line=line, page=frag.page)
            prev = RawRow(line=line, stt=cells["stt"], label=cells["label"], uom=cells["uom"], value=cells["value"],
                          note=cells["note"], code=cells["code"], page=frag.page)
            rows.append(prev)
        # The page is full when its part of the table reaches the lowest foot any page reaches (within a line).
        prev_full = frag.bottom >= foot - 16
    for row in rows:
        check_short_cells(table.path, row)


def read_pdf(path: str | Path, forms: Forms | None = None) -> RawTable:
    """The appendix table of a PDF; ``forms`` (a project's; default: the kit's) tell a row broken across two pages
    from two rows (:func:`_is_continuation`)."""
    path = Path(path)
    data = path.read_bytes()
    if b"%PDF-" not in data[:1024]:
        raise AppendixError(path, _("not a PDF file (no %PDF header)"), expected=_fix())
    signed = has_signature(data)
    del data
    pdf = _open(path)
    try:
        n_pages = _count_pages(path, pdf)
        fragments, title, cols, chars, scanned = _fragments(path, pdf)
    finally:
        pdf.close()
    if chars < MIN_TEXT_CHARS:
        raise AppendixError(path, tr("the PDF has no text layer (a scanned image of {n} pages); the kit does not "
                                     "guess digits from an image", n=n_pages),
                            expected=_fix())
    if not fragments or "value" not in cols:
        if scanned:
            raise AppendixError(path, tr("no appendix table found in the PDF: pages {pages} are scanned images "
                                         "without text", pages=", ".join(map(str, scanned[:20]))), expected=_fix())
        raise AppendixError(path, _("no appendix table with ruled cells found in the PDF"),
                            expected=_("a table with the header THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng / "
                                       "Ghi chú; or the Word or Excel file of the appendix"))
    table = RawTable(path=str(path), format="pdf", header_line=1, title=nearest_title(title))
    table.signed = signed
    if signed:
        table.notes.append(_("the PDF carries a digital signature (its presence only: not validated)"))
    _parse_rows(path, fragments, cols, table, forms)
    return table

