"""Checks made before a zip-based Office file is opened: encrypted, legacy or bomb-like files."""

from __future__ import annotations

import zipfile
from pathlib import Path

from cchc_tools.errors import AppendixError

MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_container(path: str | Path, kind: str) -> None:
    """Refuse files that are not plain Office Open XML zips, before any library parses them."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    fix = {"docx": "open it in Word, remove the password if any, and save as .docx",
           "xlsx": "open it in Excel, remove the password if any, and save as .xlsx"}[kind]
    if head == OLE_MAGIC:
        raise AppendixError(path, "the file is password-protected (encrypted) or in the old binary format",
                            expected=fix)
    if not head.startswith(b"PK"):
        raise AppendixError(path, f"not a .{kind} file (not a zip container)", expected=fix)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise AppendixError(path, f"the file is corrupt ({exc})", expected=fix) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNPACKED or total / packed > MAX_RATIO:
        raise AppendixError(path, f"the file unpacks to {total // 2**20} MiB (ratio {total // packed}:1), "
                            "which no appendix needs; refused as a possible zip bomb",
                            expected="an ordinary appendix file")
    names = {i.filename for i in infos}
    marker = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    if marker not in names:
        raise AppendixError(path, f"the zip holds no {marker}", expected=f"a .{kind} file")
