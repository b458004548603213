"""Text handling shared by every reader: decoding bytes, normalising Vietnamese text."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import AppendixError

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
# Characters that never occur in a text appendix; a few of them mean binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Byte pairs typical of the legacy Vietnamese encodings TCVN3 (ABC) and VNI.
_LEGACY_HINT = "a legacy Vietnamese encoding (TCVN3/VNI) or Windows-1258: save the file as UTF-8"


def decode(data: bytes, path: str | Path) -> str:
    """Decode an appendix text file: UTF-8 (with or without BOM) or UTF-16 with BOM.

    Anything else raises :class:`AppendixError` naming the line of the first
    undecodable byte; nothing is guessed.
    """
    if not data.strip():
        raise AppendixError(path, "the file is empty", expected="an appendix table")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise AppendixError(path, f"broken UTF-16 text at byte {exc.start}",
                                expected="UTF-16 text") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM (mostly ASCII, so every other byte is zero), or binary data.
        head = data[:4096]
        half = max(1, len(head) // 2)
        odd_zero, even_zero = head[1::2].count(0) / half, head[0::2].count(0) / half
        enc = "utf-16-le" if odd_zero >= 0.3 else "utf-16-be" if even_zero >= 0.3 else None
        if enc:
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                text = ""
            if text and not _CONTROL.search(text[:4096]):
                return text
        raise AppendixError(path, "this is a binary file, not a text appendix",
                            expected="a text, .docx or .xlsx appendix")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AppendixError(path, f"byte 0x{data[exc.start]:02x} is not UTF-8", line=line,
                            expected=f"UTF-8 text; this looks like {_LEGACY_HINT}") from None
    bad = _CONTROL.search(text[:65536])
    if bad:
        line = text[: bad.start()].count("\n") + 1
        raise AppendixError(path, f"control character {bad.group()!r} in the text", line=line,
                            expected="a text appendix; this looks like a binary file")
    return text


def clean(text: str | None) -> str:
    """NFC, one plain space between words, no leading or trailing space."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


_LABEL_EDGES = re.compile(r"^[\s\-–—•+*.]+|[\s:;.,]+$")


def label_key(label: str) -> str:
    """The form of a label used for matching: cleaned, lower case, no list dash or end colon."""
    return _LABEL_EDGES.sub("", clean(label)).lower()


_ASCII_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics (``Vĩnh Châu`` -> ``Vinh Chau``)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_ASCII_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str) -> str:
    """ASCII slug: ``thị xã Vĩnh Châu`` -> ``thi-xa-vinh-chau``."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(clean(text)).lower()).strip("-")
