"""Reader for Word appendices (.docx) with python-docx.

Finds the appendix table by its header row, follows it across the tables a
page break splits it into, and reads each physical cell once: python-docx
repeats a merged cell's text across its span, so the reader walks the row's
``<w:tc>`` elements itself. ``line`` is the row number in the appendix table.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from cchc_tools.errors import AppendixError
from cchc_tools.ingest.readers.base import RawRow, RawTable, header_columns, is_header, pick
from cchc_tools.ingest.readers.safety import check_container
from cchc_tools.text import clean

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _cell_text(tc) -> str:
    return clean(" ".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in tc.iter(f"{W}p")))


def _physical_cells(tr) -> list[str]:
    """Texts by grid column; a merged cell appears once (at its first column); vertical continuations are empty."""
    out: list[str] = []
    for tc in tr.iterchildren(f"{W}tc"):
        span = 1
        tcpr = tc.find(f"{W}tcPr")
        vmerge_continue = False
        if tcpr is not None:
            gs = tcpr.find(f"{W}gridSpan")
            if gs is not None:
                span = int(gs.get(f"{W}val", "1"))
            vm = tcpr.find(f"{W}vMerge")
            vmerge_continue = vm is not None and vm.get(f"{W}val", "continue") == "continue"
        out.append("" if vmerge_continue else _cell_text(tc))
        out.extend([""] * (span - 1))
    return out


def read_docx(path: str | Path) -> RawTable:
    import docx

    check_container(path, "docx")
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise AppendixError(path, f"not a readable Word document ({exc})",
                            expected="a .docx file saved by Word or LibreOffice") from None
    table = RawTable(path=str(path), format="docx")
    body = document.element.body
    title: list[str] = []
    cols: dict[str, int] | None = None
    width = 0
    line = 0
    for child in body.iterchildren():
        if child.tag == f"{W}p":
            if cols is None:
                text = clean("".join(t.text or "" for t in child.iter(f"{W}t")))
                if text:
                    title.append(text)
            continue
        if child.tag != f"{W}tbl":
            continue
        rows = list(child.iterchildren(f"{W}tr"))
        start = 0
        if cols is None:
            for i, tr in enumerate(rows):
                cells = _physical_cells(tr)
                if is_header(cells):
                    cols, width, start = header_columns(cells), len(cells), i + 1
                    table.header_line = line = i + 1
                    # title rows inside the table, above its header, carry the metadata too
                    title.extend(t for r in rows[:i] for t in _physical_cells(r) if t)
                    break
            if cols is None:
                continue  # another table before the appendix
        elif not rows or len(_physical_cells(rows[0])) != width:
            continue  # a later table of another shape: not a continuation
        for tr in rows[start:]:
            cells = _physical_cells(tr)
            line += 1
            if is_header(cells):
                continue  # header repeated on a new page
            label = pick(cells, cols, "label") or ""
            value = pick(cells, cols, "value") or ""
            if not label and not value:
                continue
            table.rows.append(RawRow(line=line, stt=pick(cells, cols, "stt") or "", label=label,
                                     uom=pick(cells, cols, "uom") or "", value=value,
                                     note=pick(cells, cols, "note") or "", code=pick(cells, cols, "code") or ""))
    if cols is None:
        raise AppendixError(path, "no appendix table found in the document",
                            expected="a table with the header THỨ TỰ / TÊN CHỈ TIÊU / ĐƠN VỊ TÍNH / Số lượng / Ghi chú")
    table.title = title
    return table
