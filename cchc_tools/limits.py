"""Every size limit of the kit, in one place.

An appendix has about 200 rows of five short cells, fits in a few hundred kilobytes, and its
numbers count dossiers, documents and people. The limits below are many times what a real
appendix needs; anything beyond them is refused with an :class:`~cchc_tools.errors.AppendixError`
naming the file, the limit and the line where it is known, before the kit spends more than about
a second or more than a few times the file's size in memory on it. The README lists them.
"""

from __future__ import annotations

#: Size of any input file, in bytes.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Lines of a text file (an appendix has about 230).
MAX_TEXT_LINES = 10_000
#: Rows of the appendix table, in any format (an appendix has about 200).
MAX_ROWS = 1_000
#: Cells of one row, counting the columns a merged cell spans.
MAX_CELLS_PER_ROW = 64
#: Columns one merged Word cell may span (``gridSpan``).
MAX_SPAN = 64
#: Characters of one cell (the longest cell of the bundled appendix has 380).
MAX_CELL_CHARS = 2_000
#: Characters of a label that fuzzy matching looks at (the longest catalog label has 166): a longer
#: label is matched on its beginning, so that matching costs the same on any input.
MAX_LABEL_KEY_CHARS = 250
#: Characters of a THỨ TỰ or ĐƠN VỊ TÍNH cell (the longest unit of measure in the catalog has 43): the
#: unit cell of a yes/no row is parsed as a code list.
MAX_SHORT_CELL_CHARS = 200
#: Characters of the title lines kept above the table (the bundled appendix has about 250); only the
#: lines nearest the table are kept within this budget.
MAX_TITLE_CHARS = 2_000
#: Sheets of a workbook.
MAX_SHEETS = 50
#: Rows and columns a worksheet may reach (its last cell's row and column).
MAX_SHEET_ROWS = 10_000
MAX_SHEET_COLUMNS = 200
#: Cells a worksheet's XML holds, empty formatted ones included (the bundled appendix as a sheet has
#: about 1,100).
MAX_SHEET_CELLS = 50_000
#: Characters of text all cells of a sheet hold together (a shared string counts at each cell using
#: it): the bundled appendix has about 40,000.
MAX_SHEET_CHARS = 2_000_000
#: Bytes all members of a .docx or .xlsx unpack to, counted while unpacking (sizes in the zip
#: directory can be forged).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Bytes one XML part (a sheet, the shared strings, the document body) unpacks to: these are the
#: parts a library parses into memory.
MAX_XML_PART_BYTES = 8 * 1024 * 1024
#: Members of a .docx or .xlsx zip.
MAX_ZIP_MEMBERS = 2_000
#: Unpacked-to-packed ratio of a zip above which it is refused as a possible zip bomb.
MAX_ZIP_RATIO = 200
#: Pages of a PDF (a report with its appendix has a few dozen), counted before any page is read.
MAX_PDF_PAGES = 500
#: Characters of one PDF page (a dense A4 page has about 5,000).
MAX_PDF_PAGE_CHARS = 100_000
#: Seconds LibreOffice may take to convert one legacy .doc file to .docx.
MAX_CONVERT_SECONDS = 60
#: Digits of a number before and after its decimal comma. 15 digits are exact in a float; no
#: count of an appendix comes near 10^15, and these bounds keep every ratio the checks compute finite.
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_DIGITS = 10
#: Largest magnitude of a number stored as a number (Excel); anything at or above is not read.
MAX_ABS_VALUE = 10.0**MAX_INTEGER_DIGITS

# --- the project's own files (cchc.toml, its rules, targets and forms, its Word template) -----------------
#: Size of ``cchc.toml``, a rules or targets file of the project, or a form file (the shipped rules.yaml,
#: the largest, has about 26 kB).
MAX_PROJECT_FILE_BYTES = 1024 * 1024
#: Characters of one text of ``[document]`` (letterhead, place, signer) or of a department's name: Word's
#: limit for a document title.
MAX_DOCUMENT_TEXT_CHARS = 255
#: Characters of ``[letters] basis`` (the căn cứ line, which may cite a few documents).
MAX_BASIS_CHARS = 1_000
#: Characters of a province's name (the longest official one, "Thành phố Hồ Chí Minh", has 21).
MAX_PROVINCE_CHARS = 60
#: Characters of a value quoted by an error message (the rest is cut, with its length said).
MAX_QUOTE_CHARS = 80
#: Characters of a whole error message about a project file.
MAX_MESSAGE_CHARS = 1_000

#: Limits by name, as the README and error messages show them.
ALL = {
    "MAX_FILE_BYTES": MAX_FILE_BYTES,
    "MAX_TEXT_LINES": MAX_TEXT_LINES,
    "MAX_ROWS": MAX_ROWS,
    "MAX_CELLS_PER_ROW": MAX_CELLS_PER_ROW,
    "MAX_SPAN": MAX_SPAN,
    "MAX_CELL_CHARS": MAX_CELL_CHARS,
    "MAX_SHORT_CELL_CHARS": MAX_SHORT_CELL_CHARS,
    "MAX_LABEL_KEY_CHARS": MAX_LABEL_KEY_CHARS,
    "MAX_TITLE_CHARS": MAX_TITLE_CHARS,
    "MAX_SHEETS": MAX_SHEETS,
    "MAX_SHEET_ROWS": MAX_SHEET_ROWS,
    "MAX_SHEET_COLUMNS": MAX_SHEET_COLUMNS,
    "MAX_SHEET_CELLS": MAX_SHEET_CELLS,
    "MAX_SHEET_CHARS": MAX_SHEET_CHARS,
    "MAX_UNPACKED_BYTES": MAX_UNPACKED_BYTES,
    "MAX_XML_PART_BYTES": MAX_XML_PART_BYTES,
    "MAX_ZIP_MEMBERS": MAX_ZIP_MEMBERS,
    "MAX_ZIP_RATIO": MAX_ZIP_RATIO,
    "MAX_PDF_PAGES": MAX_PDF_PAGES,
    "MAX_PDF_PAGE_CHARS": MAX_PDF_PAGE_CHARS,
    "MAX_CONVERT_SECONDS": MAX_CONVERT_SECONDS,
    "MAX_INTEGER_DIGITS": MAX_INTEGER_DIGITS,
    "MAX_DECIMAL_DIGITS": MAX_DECIMAL_DIGITS,
    "MAX_PROJECT_FILE_BYTES": MAX_PROJECT_FILE_BYTES,
    "MAX_DOCUMENT_TEXT_CHARS": MAX_DOCUMENT_TEXT_CHARS,
    "MAX_BASIS_CHARS": MAX_BASIS_CHARS,
    "MAX_PROVINCE_CHARS": MAX_PROVINCE_CHARS,
    "MAX_QUOTE_CHARS": MAX_QUOTE_CHARS,
    "MAX_MESSAGE_CHARS": MAX_MESSAGE_CHARS,
}


def shorten(text: object, limit: int = MAX_QUOTE_CHARS) -> str:
    """``text`` as an error message may quote it: whole when short, else its beginning, its end and how many
    characters were left out ("Cần Thơ…[9.999.990 ký tự]…x"), so a huge value is never echoed whole."""
    text = str(text)
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 3 // 4], text[-(limit // 4):]
    return f"{head}…[{len(text) - len(head) - len(tail):,} ký tự]…{tail}".replace(",", ".")

