"""Readers for the legacy formats that still circulate: .xls (Excel 97-2003), .ods and .doc (Word 97-2003).

.xls and .ods are read by python-calamine (which reads BIFF and ODF) through the .xlsx reader's own sheet
logic (:func:`~cchc_tools.ingest.readers.xlsx.read_sheet_rows`): the header found on any sheet, the title rows
above it, a number stored as text read as written, a merged heading read once. What calamine does not say, which
cells are formatted as percentages (0.9259 shown as 92,59% is 92.59), is read here from the file itself: the
BIFF records of an .xls (its number formats, cell formats and the format of each number cell, through olefile),
the ``office:value-type="percentage"`` of an .ods cell.

.doc is converted by LibreOffice (``soffice --headless --convert-to docx``) into a temporary folder, with a time
limit and a size limit, and the .docx reader reads the result; the original is copied first and never opened by
LibreOffice in place. Without LibreOffice the file is refused with the package to install.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from cchc_tools.errors import AppendixError, LimitError
from cchc_tools.i18n import _, tr
from cchc_tools.ingest.readers.base import RawTable
from cchc_tools.ingest.readers.safety import OLE_MAGIC, check_container
from cchc_tools.limits import MAX_CONVERT_SECONDS, MAX_FILE_BYTES, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_SHEETS

#: The Debian packages that give ``soffice --convert-to docx`` (Writer) and the spreadsheet conversions (Calc).
LIBREOFFICE_PACKAGES = "libreoffice-writer libreoffice-calc"

_PERCENT_BUILTIN = {9, 10}


def _percent_code(code: str) -> bool:
    return "%" in re.sub(r'"[^"]*"|\\.', "", code)


# ---------------------------------------------------------------- .xls: BIFF8 records


def _ole_stream(path: Path, names: tuple[str, ...], fix: str) -> tuple[bytes, str]:
    """The first of ``names`` the OLE2 file holds (its bytes and name), or an AppendixError."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            for name in names:
                if ole.exists(name):
                    return ole.openstream(name).read(), name
            streams = {"/".join(s) for s in ole.listdir()}
    except (OSError, struct.error, ValueError, IndexError) as exc:
        raise AppendixError(path, _("the file is corrupt ({reason})").format(reason=exc), expected=fix) from None
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise AppendixError(path, _("the file is password-protected (encrypted) or in the old binary format"),
                            expected=fix)
    raise AppendixError(path, _("the file holds no {stream} stream").format(stream=names[0]), expected=fix)


def _records(data: bytes):
    """(type, body, offset) of each BIFF record of a stream."""
    pos, n = 0, len(data)
    while pos + 4 <= n:
        typ, size = struct.unpack_from("<HH", data, pos)
        yield typ, data[pos + 4:pos + 4 + size], pos
        pos += 4 + size


def _xl_string(body: bytes, at: int, length_bytes: int) -> str:
    """An XLUnicodeString (``length_bytes`` = 2) or ShortXLUnicodeString (1) at ``at``."""
    if at + length_bytes + 1 > len(body):
        return ""
    cch = body[at] if length_bytes == 1 else struct.unpack_from("<H", body, at)[0]
    flags = body[at + length_bytes]
    start = at + length_bytes + 1
    if flags & 0x1:
        return body[start:start + 2 * cch].decode("utf-16-le", "replace")
    return body[start:start + cch].decode("latin-1")


def xls_percent_cells(path: Path, data: bytes) -> dict[str, set[tuple[int, int]]]:
    """Per sheet name, the (row, column) (1-based) of the number cells whose format shows a percentage."""
    formats: dict[int, str] = {}
    xfs: list[int] = []
    sheets: list[tuple[str, int]] = []
    for typ, body, _pos in _records(data):
        if typ == 0x002F:  # FILEPASS: the workbook is encrypted
            raise AppendixError(path, _("the file is password-protected (encrypted) or in the old binary format"),
                                expected=_("open it in Excel, remove the password, and save it again"))
        if typ == 0x041E and len(body) >= 2:  # FORMAT
            formats[struct.unpack_from("<H", body)[0]] = _xl_string(body, 2, 2)
        elif typ == 0x00E0 and len(body) >= 4:  # XF
            xfs.append(struct.unpack_from("<H", body, 2)[0])
        elif typ == 0x0085 and len(body) >= 6:  # BOUNDSHEET
            sheets.append((_xl_string(body, 6, 1), struct.unpack_from("<I", body)[0]))
            if len(sheets) > MAX_SHEETS:
                raise LimitError(path, _("a workbook of {n} sheets").format(n=len(sheets)), "MAX_SHEETS", MAX_SHEETS)
        elif typ == 0x000A:  # EOF of the globals
            break
    percent_fmt = set(_PERCENT_BUILTIN) | {i for i, code in formats.items() if _percent_code(code)}
    percent_xf = {i for i, fmt in enumerate(xfs) if fmt in percent_fmt}
    out: dict[str, set[tuple[int, int]]] = {}
    for name, offset in sheets:
        cells: set[tuple[int, int]] = set()
        out[name] = cells
        if not percent_xf or offset >= len(data):
            continue
        for typ, body, _pos in _records(data[offset:]):
            if typ in (0x0203, 0x027E, 0x0006) and len(body) >= 6:  # NUMBER, RK, FORMULA
                rw, col, ixfe = struct.unpack_from("<HHH", body)
                if ixfe in percent_xf:
                    cells.add((rw + 1, col + 1))
            elif typ == 0x00BD and len(body) >= 6:  # MULRK: (ixfe, rk) pairs from colFirst
                rw, first = struct.unpack_from("<HH", body)
                for k in range((len(body) - 6) // 6):
                    if struct.unpack_from("<H", body, 4 + 6 * k)[0] in percent_xf:
                        cells.add((rw + 1, first + k + 1))
            elif typ == 0x000A:
                break
    return out


# ---------------------------------------------------------------- .ods: content.xml

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _repeat(el, attr: str, path: Path) -> int:
    raw = el.get(f"{_TABLE}{attr}", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise AppendixError(path, tr("a repeat count {val!r} in content.xml", val=raw), expected=_("a whole number"))
    return max(int(raw), 1)


def ods_percent_cells(path: Path, xml: bytes) -> dict[str, set[tuple[int, int]]]:
    """Per sheet name, the (row, column) (1-based) of the cells whose value type is a percentage."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise AppendixError(path, tr("the part {part} is not well-formed XML", part="content.xml"),
                            expected=_("an .ods file saved by LibreOffice or Excel")) from exc
    out: dict[str, set[tuple[int, int]]] = {}
    for table in root.iter(f"{_TABLE}table"):
        cells: set[tuple[int, int]] = set()
        out[table.get(f"{_TABLE}name", "")] = cells
        row = 0
        for tr_el in table.iter(f"{_TABLE}table-row"):
            reps = _repeat(tr_el, "number-rows-repeated", path)
            col = 0
            for cell in tr_el:
                if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                    continue
                n = _repeat(cell, "number-columns-repeated", path)
                if cell.get(f"{_OFFICE}value-type") == "percentage" and row + reps <= MAX_SHEET_ROWS:
                    width = min(n, MAX_SHEET_COLUMNS)
                    cells.update((row + r + 1, col + c + 1) for r in range(reps) for c in range(width))
                col += n
            row += reps
    return out


# ---------------------------------------------------------------- .xls and .ods through calamine


def read_sheet_legacy(path: str | Path) -> RawTable:
    """An .xls or .ods appendix, with the .xlsx reader's rules for its cells."""
    from cchc_tools.ingest.readers.xlsx import read_calamine_book

    path = Path(path)
    suffix = path.suffix.lower()
    with open(path, "rb") as fh:
        head = fh.read(8)
    if suffix == ".xls":
        fix = _("open it in Excel and save it again as .xls or .xlsx")
        if head != OLE_MAGIC:
            if head.startswith(b"PK"):
                raise AppendixError(path, _("an .xlsx workbook named .xls"), expected=_("the file renamed to .xlsx"))
            raise AppendixError(path, _("not an Excel 97-2003 workbook (.xls)"), expected=fix)
        data, _name = _ole_stream(path, ("Workbook", "Book"), fix)
        percent = xls_percent_cells(path, data)
        kind = "xls"
    else:
        check_container(path, "ods")
        with zipfile.ZipFile(path) as zf:
            percent = ods_percent_cells(path, zf.read("content.xml"))
        kind = "ods"
    table = read_calamine_book(path, percent, kind)
    table.format = kind
    return table


# ---------------------------------------------------------------- .doc through LibreOffice


def soffice_path() -> str | None:
    """The LibreOffice program on the PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _missing_libreoffice(path: Path) -> AppendixError:
    return AppendixError(path, tr("a Word 97-2003 (.doc) file is read through LibreOffice, which is not installed "
                                  "(on Debian or Ubuntu: sudo apt-get install {packages})",
                                  packages=LIBREOFFICE_PACKAGES),
                         expected=_("LibreOffice installed, or the document saved as .docx"))


def convert_with_soffice(path: Path, target: str, out_dir: Path) -> Path:
    """``path`` converted by headless LibreOffice to ``target`` (``docx``) inside ``out_dir``.

    The original is copied into ``out_dir`` first (LibreOffice never opens it in place), LibreOffice runs
    with its own throw-away profile, and is stopped with its processes after ``MAX_CONVERT_SECONDS``.
    """
    soffice = soffice_path()
    if soffice is None:
        raise _missing_libreoffice(path)
    src_dir, dst_dir, profile = out_dir / "in", out_dir / "out", out_dir / "profile"
    for d in (src_dir, dst_dir, profile):
        d.mkdir()
    src = src_dir / f"appendix{path.suffix.lower()}"
    shutil.copyfile(path, src)
    cmd = [soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
           f"-env:UserInstallation={profile.as_uri()}", "--convert-to", target, "--outdir", str(dst_dir), str(src)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _out, err = proc.communicate(timeout=MAX_CONVERT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise LimitError(path, tr("LibreOffice took more than {n} seconds to convert it", n=MAX_CONVERT_SECONDS),
                         "MAX_CONVERT_SECONDS", MAX_CONVERT_SECONDS) from None
    out = dst_dir / f"appendix.{target}"
    if proc.returncode != 0 or not out.is_file():
        reason = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [str(proc.returncode)]
        raise AppendixError(path, _("LibreOffice could not convert the file ({reason})").format(reason=reason[0]),
                            expected=_("a .doc file Word or LibreOffice opens"))
    if out.stat().st_size > MAX_FILE_BYTES:
        raise LimitError(path, _("a file of {mib} MiB").format(mib=out.stat().st_size // 2**20), "MAX_FILE_BYTES",
                         MAX_FILE_BYTES)
    return out


def _doc_checks(path: Path) -> None:
    """A .doc refused before LibreOffice sees it: not an OLE2 file, no WordDocument stream, encrypted."""
    fix = _("open it in Word, remove the password if any, and save as .docx")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head != OLE_MAGIC:
        if head.startswith(b"PK"):
            raise AppendixError(path, _("a .docx document named .doc"), expected=_("the file renamed to .docx"))
        raise AppendixError(path, _("not a Word 97-2003 document (.doc)"), expected=fix)
    data, _name = _ole_stream(path, ("WordDocument",), fix)
    if len(data) < 12 or struct.unpack_from("<H", data)[0] != 0xA5EC:
        raise AppendixError(path, _("not a Word 97-2003 document (.doc)"), expected=fix)
    if struct.unpack_from("<H", data, 0x0A)[0] & 0x0100:  # FIB fEncrypted
        raise AppendixError(path, _("the file is password-protected (encrypted) or in the old binary format"),
                            expected=fix)


def read_doc(path: str | Path) -> RawTable:
    """A Word 97-2003 appendix: converted to .docx by LibreOffice in a temporary folder, then read as one."""
    from cchc_tools.ingest.readers.docx import read_docx

    path = Path(path)
    _doc_checks(path)
    with tempfile.TemporaryDirectory(prefix="cchc-doc-") as tmp:
        out = convert_with_soffice(path, "docx", Path(tmp))
        try:
            table = read_docx(out)
        except AppendixError as exc:  # said of the converted copy: said again of the original
            raise AppendixError(path, exc.reason, line=exc.line, expected=exc.expected) from None
    table.path, table.format = str(path), "doc"
    return table
