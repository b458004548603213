"""Checks made before a zip-based Office file is opened: encrypted, legacy or bomb-like files.

Sizes in a zip's directory can be forged, so every member is unpacked here once, in chunks,
counting the bytes that really come out and stopping at the first limit passed: the libraries
that parse the file afterwards see only members whose real size is within the limits.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from cchc_tools.errors import AppendixError, LimitError
from cchc_tools.i18n import _, tr
from cchc_tools.limits import MAX_UNPACKED_BYTES, MAX_XML_PART_BYTES, MAX_ZIP_MEMBERS, MAX_ZIP_RATIO

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 16


def check_container(path: str | Path, kind: str) -> None:
    """Refuse files that are not plain Office Open XML zips within the limits, before any library parses them."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    fix = {"docx": _("open it in Word, remove the password if any, and save as .docx"),
           "xlsx": _("open it in Excel, remove the password if any, and save as .xlsx"),
           "ods": _("open it in LibreOffice Calc, remove the password if any, and save as .ods or .xlsx")}[kind]
    if head == OLE_MAGIC:
        raise AppendixError(path, _("the file is password-protected (encrypted) or in the old binary format"),
                            expected=fix)
    if not head.startswith(b"PK"):
        raise AppendixError(path, _("not a .{kind} file (not a zip container)").format(kind=kind), expected=fix)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise LimitError(path, tr("a zip of {n} members", n=len(infos)), "MAX_ZIP_MEMBERS",
                                 MAX_ZIP_MEMBERS)
            _check_declared(path, infos)
            names = {i.filename for i in infos}
            marker = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "ods": "content.xml"}[kind]
            if marker not in names:
                raise AppendixError(path, _("the zip holds no {marker}").format(marker=marker),
                                    expected=_("a .{kind} file").format(kind=kind))
            _check_unpacked(path, infos)
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError, NotImplementedError) as exc:
        raise AppendixError(path, _("the file is corrupt ({reason})").format(reason=exc), expected=fix) from None


def _bomb(path: str | Path, total: int, packed: int) -> AppendixError:
    return AppendixError(path, _("the file unpacks to {mib} MiB (ratio {ratio}:1), which no appendix needs; "
                                 "refused as a possible zip bomb").format(mib=total // 2**20, ratio=total // packed),
                         expected=_("an ordinary appendix file"))


def _check_declared(path: str | Path, infos: list[zipfile.ZipInfo]) -> None:
    """The sizes the zip's directory declares (cheap, and enough for honest files)."""
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNPACKED_BYTES or total / packed > MAX_ZIP_RATIO:
        raise _bomb(path, total, packed)


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def _check_unpacked(path: str | Path, infos: list[zipfile.ZipInfo]) -> None:
    """Unpack every member from its raw data, counting real bytes against the limits.

    The deflate stream is inflated here rather than by ``zipfile``, which trusts the declared size
    and stops there; a member is accepted only when its stream ends exactly at its declared size.
    An XML part that declares a DTD (``<!DOCTYPE``, where entities are declared) is refused here:
    Word and Excel never write one, and its entities could expand a small part into gigabytes.
    """
    total = 0
    packed = sum(i.compress_size for i in infos) or 1
    with open(path, "rb") as fh:
        for info in infos:
            if info.flag_bits & 0x1:
                raise AppendixError(path, _("the file is password-protected (encrypted) or in the old binary format"),
                                    expected=_("an appendix saved without a password"))
            xml = _is_xml(info.filename)
            limit = MAX_XML_PART_BYTES if xml else MAX_UNPACKED_BYTES
            size = _member_size(fh, info, min(limit, MAX_UNPACKED_BYTES - total) + 1, path if xml else None)
            if size > limit and xml:
                raise LimitError(path, _("the part {name} unpacks to more than {mib} MiB").format(
                    name=info.filename, mib=limit // 2**20), "MAX_XML_PART_BYTES", MAX_XML_PART_BYTES)
            total += size
            if total > MAX_UNPACKED_BYTES or total / packed > MAX_ZIP_RATIO:
                raise _bomb(path, total, packed)
            if size != info.file_size:
                raise AppendixError(path, tr("the zip member {name} is {real} bytes, not the {declared} its "
                                            "directory says", name=info.filename, real=size,
                                                                     declared=info.file_size),
                                    expected=_("an intact appendix file"))


_DTD = b"<!DOCTYPE"


def xml_part(name: str, line: int | None = None) -> str:
    """``word/document.xml (line 2)``: an XML part of an Office file, and the line of the part when known."""
    return tr("{name} (line {line})", name=name, line=line) if line else name


def _refuse_dtd(path: str | Path, name: str) -> AppendixError:
    return AppendixError(path, _("the part {name} declares a DTD (<!DOCTYPE ...>), which Word and Excel never "
                                 "write: its entities could expand without bound").format(name=name),
                         expected=_("a file saved by Word, Excel or LibreOffice"))


def _member_size(fh, info: zipfile.ZipInfo, cap: int, xml_of: str | Path | None = None) -> int:
    """Bytes the member really unpacks to, or ``cap`` as soon as it reaches ``cap``.

    ``xml_of`` (the file's path) asks for the unpacked bytes to be searched for a DTD as well.
    """
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header of {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED and xml_of is None:
        return min(left, cap)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise NotImplementedError(f"compression method {info.compress_type} of {info.filename}")
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    size = 0
    tail = b""  # the end of the previous chunk: a DTD split between two chunks is still found
    while left > 0 and (inflater is None or not inflater.eof):
        chunk = fh.read(min(_CHUNK, left))
        if not chunk:
            raise EOFError(f"{info.filename} is cut short")
        left -= len(chunk)
        data = chunk
        while data and (inflater is None or not inflater.eof):
            if inflater is None:
                out, data = data, b""
            else:
                out = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
            size += len(out)
            if xml_of is not None:
                if _DTD in tail + out[: len(_DTD)] or _DTD in out:
                    raise _refuse_dtd(xml_of, info.filename)
                tail = out[-len(_DTD):] if len(out) >= len(_DTD) else (tail + out)[-len(_DTD):]
            if size >= cap:
                return cap
    if inflater is not None and not inflater.eof:
        raise zlib.error(f"the data of {info.filename} ends before its deflate stream")
    return size
