"""Reader for Word appendices (.docx) with python-docx.

Finds the appendix table by its header row, follows it across the tables a
page break splits it into, and reads each physical cell once: python-docx
repeats a merged cell's text across its span, so the reader walks the row's
``<w:tc>`` elements itself. ``line`` is the row number in the appendix table.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

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
from cchc_tools.ingest.readers.encoding import converted_note, font_encoding, to_unicode
from cchc_tools.ingest.readers.safety import check_container, xml_part
from cchc_tools.limits import MAX_CELL_CHARS, MAX_CELLS_PER_ROW, MAX_ROWS, MAX_SPAN
from cchc_tools.text import clean, clean_value, without_controls

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


_RUN_BREAKS = {f"{W}br": "\n", f"{W}cr": "\n", f"{W}tab": "\t"}
_RUN = f"{W}r"


#: Run fonts of a document written in a legacy Vietnamese encoding (None: no legacy font anywhere).
_FONTS: list[RunFonts | None] = [None]


def _para_text(p) -> str:
    """A paragraph's text as Word shows it: its runs' texts, a soft line break (Shift+Enter, ``<w:br/>``) as
    a line end and a tab as a tab; never glued together ("1", a break, "070" is not 1070). Tab stops
    (``w:pPr/w:tabs/w:tab``) are not text. In a document with TCVN3 or VNI fonts, each run's text is converted
    by its own font."""
    fonts = _FONTS[0]
    if fonts is not None:
        return fonts.paragraph_text(p)
    return "".join(el.text or "" if el.tag == f"{W}t" else _RUN_BREAKS[el.tag]
                   for el in p.iter(f"{W}t", *_RUN_BREAKS) if el.tag == f"{W}t" or el.getparent().tag == _RUN)


class RunFonts:
    """The font of each run (its own, its character style's, its paragraph style's, the document default),
    and the text of a paragraph with each run in a legacy font converted to Unicode by that font."""

    def __init__(self, styles_el) -> None:
        self.styles: dict[str, tuple[str, str]] = {}  # styleId -> (font, basedOn)
        self.default_para = ""
        self.default_font = ""
        if styles_el is None:
            return
        dd = styles_el.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
        self.default_font = _font_of(dd)
        for st in styles_el.iterchildren(f"{W}style"):
            sid = st.get(f"{W}styleId", "")
            based = st.find(f"{W}basedOn")
            self.styles[sid] = (_font_of(st.find(f"{W}rPr/{W}rFonts")),
                                based.get(f"{W}val", "") if based is not None else "")
            if st.get(f"{W}type") == "paragraph" and st.get(f"{W}default") in ("1", "true"):
                self.default_para = sid
        self.converted: set[str] = set()

    def style_font(self, sid: str) -> str:
        seen: set[str] = set()
        while sid and sid not in seen:
            seen.add(sid)
            font, based = self.styles.get(sid, ("", ""))
            if font:
                return font
            sid = based
        return ""

    def run_font(self, run, para_style: str) -> str:
        rpr = run.find(f"{W}rPr")
        if rpr is not None:
            font = _font_of(rpr.find(f"{W}rFonts"))
            if font:
                return font
            rs = rpr.find(f"{W}rStyle")
            if rs is not None and (font := self.style_font(rs.get(f"{W}val", ""))):
                return font
        return self.style_font(para_style) or self.default_font

    def paragraph_text(self, p) -> str:
        ps = p.find(f"{W}pPr/{W}pStyle")
        para_style = ps.get(f"{W}val", "") if ps is not None else self.default_para
        out: list[str] = []
        for el in p.iter(f"{W}t", *_RUN_BREAKS):
            run = el.getparent()
            if el.tag != f"{W}t":
                if run.tag == _RUN:
                    out.append(_RUN_BREAKS[el.tag])
                continue
            text = el.text or ""
            if text and not text.isascii():
                enc, upper = font_encoding(self.run_font(run, para_style))
                if enc:
                    text = to_unicode(text, enc, upper=upper)
                    self.converted.add(enc)
            out.append(text)
        return "".join(out)


def _font_of(rfonts) -> str:
    if rfonts is None:
        return ""
    return rfonts.get(f"{W}hAnsi") or rfonts.get(f"{W}ascii") or rfonts.get(f"{W}cs") or ""


_LEGACY_FONT = re.compile(r"""w:(?:ascii|hAnsi)=["'](?:\.[Vv][Nn]|VNI[- ])""")


def _legacy_fonts(document) -> RunFonts | None:
    """The run fonts of a document that names a TCVN3 or VNI font anywhere, else None (the fast path)."""
    from lxml import etree

    styles_el = document.styles.element
    xml = etree.tostring(document.element) + etree.tostring(styles_el)
    if not _LEGACY_FONT.search(xml.decode("utf-8", "replace")):
        return None
    return RunFonts(styles_el)


def _cell_text(tc) -> str:
    """The cell's paragraphs, one a line, NFC, stripped; nothing else changed (the value column must be
    read as written: "1" and "070" in two paragraphs or two lines are not 1070; the other columns are cleaned
    by the caller)."""
    return clean_value("\n".join(_para_text(p) for p in tc.iter(f"{W}p")))


def _span(tcpr, path: str | Path, line: int) -> int:
    gs = tcpr.find(f"{W}gridSpan")
    if gs is None:
        return 1
    val = gs.get(f"{W}val", "1")
    if not val.isascii() or not val.isdigit() or len(val) > 12:
        raise AppendixError(path, _("a merged cell spans {val!r} columns").format(val=val), line=line,
                            expected=_("a whole number of columns"))
    span = int(val)
    if span > MAX_SPAN:
        raise LimitError(path, tr("a cell merged across {n} columns", n=span), "MAX_SPAN", MAX_SPAN,
                         line=line)
    return max(span, 1)


def _physical_cells(row_el, path: str | Path = "", line: int = 0) -> list[str]:
    """Texts by grid column; a merged cell appears once (at its first column); vertical continuations are empty.

    ``line`` (the table row) only locates a row beyond the limits of spans, cells and cell length.
    """
    out: list[str] = []
    for tc in row_el.iterchildren(f"{W}tc"):
        span = 1
        tcpr = tc.find(f"{W}tcPr")
        vmerge_continue = False
        if tcpr is not None:
            span = _span(tcpr, path, line)
            vm = tcpr.find(f"{W}vMerge")
            vmerge_continue = vm is not None and vm.get(f"{W}val", "continue") == "continue"
        if len(out) + span > MAX_CELLS_PER_ROW:
            raise LimitError(path, _("a row of more than {n} cells").format(n=MAX_CELLS_PER_ROW),
                             "MAX_CELLS_PER_ROW", MAX_CELLS_PER_ROW, line=line)
        text = "" if vmerge_continue else _cell_text(tc)
        if len(text) > MAX_CELL_CHARS:
            raise LimitError(path, tr("a cell of {n} characters", n=len(text)), "MAX_CELL_CHARS",
                             MAX_CELL_CHARS, line=line)
        out.append(text)
        out.extend([""] * (span - 1))
    return out


def _text_cell(cells: list[str], cols: dict[str, int], key: str) -> str:
    return clean(without_controls(pick(cells, cols, key) or ""))


#: Depth of nested elements libxml2 (python-docx's parser) accepts; Word's own files nest about 10 deep.
XML_MAX_DEPTH = 256


def _failing_part(path: str | Path) -> tuple[str, int | None]:
    """(name, line) of the first XML part of the .docx that python-docx's parser refuses, or ("", None).

    Only called once a parse has failed: the error itself does not say which part it was in."""
    from docx.oxml.parser import oxml_parser
    from lxml import etree

    with zipfile.ZipFile(path) as zf:  # every member was measured by check_container: within the limits
        for info in zf.infolist():
            data = zf.read(info)
            if not info.filename.endswith((".xml", ".rels")) and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"<":
                continue  # a picture, not a part the parser reads (a part may be named anything)
            try:
                etree.fromstring(data, oxml_parser)
            except etree.XMLSyntaxError as exc:
                return info.filename, exc.lineno
    return "", None


def _xml_refusal(path: str | Path, exc) -> AppendixError:
    """A refusal of the parser (libxml2 through lxml) in the kit's own words: which part, what limit,
    what was expected. The parser's own message ("use XML_PARSE_HUGE option",
    "xmlCtxtSetMaxAmplification") names settings of a library the analyst never sees."""
    name, line = _failing_part(path)
    part = xml_part(name or "word/document.xml", line)
    reason = str(getattr(exc, "msg", "") or exc).lower()
    if "depth" in reason:
        what = tr("the part {part} nests its elements more than {n} deep, beyond what the XML reader accepts",
                  part=part, n=XML_MAX_DEPTH)
    elif "amplification" in reason or "entit" in reason:
        what = tr("the part {part} declares entities that expand to many times its size: refused as a "
                  "possible XML bomb", part=part)
    elif "huge" in reason:
        what = tr("the part {part} holds a text or a name longer than the XML reader accepts", part=part)
    else:
        what = tr("the part {part} is not well-formed XML", part=part)
    return AppendixError(path, what, expected=_("a .docx file saved by Word or LibreOffice"))


def read_docx(path: str | Path) -> RawTable:
    import docx
    from lxml import etree

    check_container(path, "docx")
    try:
        document = docx.Document(str(path))
    except etree.XMLSyntaxError as exc:
        raise _xml_refusal(path, exc) from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise AppendixError(path, _("not a readable Word document ({reason})").format(reason=exc),
                            expected=_("a .docx file saved by Word or LibreOffice")) from None
    fonts = _legacy_fonts(document)
    _FONTS[0] = fonts
    try:
        table = _read_document(path, document)
    finally:
        _FONTS[0] = None
    if fonts is not None:
        table.notes.extend(converted_note(enc) for enc in sorted(fonts.converted))
    return table


def _read_document(path: str | Path, document) -> RawTable:
    table = RawTable(path=str(path), format="docx")
    body = document.element.body
    title: list[str] = []
    cols: dict[str, int] | None = None
    width = 0
    line = 0
    for child in body.iterchildren():
        if child.tag == f"{W}p":
            if cols is None:
                text = clean(_para_text(child))
                if len(text) > MAX_CELL_CHARS:
                    raise LimitError(path, tr("a title paragraph of {n} characters", n=len(text)),
                                     "MAX_CELL_CHARS", MAX_CELL_CHARS)
                if text:
                    title.append(text)
            continue
        if child.tag != f"{W}tbl":
            continue
        rows = list(child.iterchildren(f"{W}tr"))
        if line + len(rows) > MAX_ROWS + MAX_ROWS // 10:  # rows of the table, with its header and title rows
            raise LimitError(path, tr("a table of more than {n} rows", n=MAX_ROWS), "MAX_ROWS", MAX_ROWS)
        start = 0
        if cols is None:
            for i, row_el in enumerate(rows):
                cells = _physical_cells(row_el, path, i + 1)
                if is_header(cells):
                    cols, width, start = header_columns(cells), len(cells), i + 1
                    table.header_line = line = i + 1
                    # title rows inside the table, above its header, carry the metadata too
                    title.extend(clean(t) for r in rows[:i] for t in _physical_cells(r, path) if t)
                    break
            if cols is None:
                continue  # another table before the appendix
        elif not rows or len(_physical_cells(rows[0], path, line + 1)) != width:
            continue  # a later table of another shape: not a continuation
        for row_el in rows[start:]:
            line += 1
            cells = _physical_cells(row_el, path, line)
            if is_header(cells):
                continue  # header repeated on a new page
            label = _text_cell(cells, cols, "label")
            value = pick(cells, cols, "value") or ""
            if not label and not value:
                continue
            table.rows.append(check_short_cells(table.path, RawRow(
                line=line, stt=_text_cell(cells, cols, "stt"), label=label, uom=_text_cell(cells, cols, "uom"),
                value=value, note=_text_cell(cells, cols, "note"), code=_text_cell(cells, cols, "code"))))
    if cols is None:
        raise AppendixError(path, _("no appendix table found in the document"),
                            expected=_("a table with the header THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng / "
                                       "Ghi chú"))
    table.title = nearest_title(title)
    return table
