"""Text handling shared by every reader: decoding bytes, normalising Vietnamese text."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from cchc_tools.errors import AppendixError

# Characters that never occur in a text appendix; a few of them mean binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
# Whitespace other than a plain space, tab or line break; found with fast substring tests.
ODD_SPACES = ("  ", "\u00a0", "\u2007", "\u202f", "\u2009", "\u200a", "\u2002", "\u2003", "\u3000", "\x0b", "\x0c",
              "\u1680", "\u2000", "\u2001", "\u2004", "\u2005", "\u2006", "\u2008", "\u205f", "\x85")


def has_odd_spaces(text: str) -> bool:
    return any(ch in text for ch in ODD_SPACES)
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
    if data[:65536].translate(None, _NOT_CONTROL):  # any control byte left: locate it below
        text = data.decode("utf-8", errors="replace")
        bad = _CONTROL.search(text[:65536])
        if bad:
            line = text[: bad.start()].count("\n") + 1
            raise AppendixError(path, f"control character {bad.group()!r} in the text", line=line,
                                expected="a text appendix; this looks like a binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AppendixError(path, f"byte 0x{data[exc.start]:02x} is not UTF-8", line=line,
                            expected=f"UTF-8 text; this looks like {_LEGACY_HINT}") from None
    return text


_INVISIBLE = ("\u200b", "\ufeff", "\u00ad")


def nfc(text: str) -> str:
    """NFC, without zero-width spaces, BOMs or soft hyphens (done once per file, not per cell)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return drop_invisible(text)


def drop_invisible(text: str) -> str:
    """Text without zero-width spaces, BOMs or soft hyphens."""
    for ch in _INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    return text


def clean(text: str | None) -> str:
    """NFC, one plain space between words, no leading or trailing space."""
    if not text:
        return ""
    return " ".join(nfc(text).split())


_LABEL_EDGES = re.compile(r"^[\s\-–—•+*.]+|[\s:;.,]+$")


@lru_cache(maxsize=100_000)
def label_key(label: str) -> str:
    """The form of a label used for matching: cleaned, lower case, no list dash or end colon."""
    return _LABEL_EDGES.sub("", clean(label)).lower()


_ASCII_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics (``Vĩnh Châu`` -> ``Vinh Chau``); other non-ASCII is dropped."""
    decomposed = unicodedata.normalize("NFD", text.translate(_ASCII_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slugify(text: str) -> str:
    """ASCII slug: ``thị xã Vĩnh Châu`` -> ``thi-xa-vinh-chau``."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(clean(text)).lower()).strip("-")
