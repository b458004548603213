"""Text handling shared by every reader: decoding bytes, normalising Vietnamese text."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from cchc_tools.errors import AppendixError
from cchc_tools.i18n import _, tr
from cchc_tools.limits import MAX_LABEL_KEY_CHARS

# Characters that never occur in a text appendix; a few of them mean binary data. Vertical tab and
# form feed are allowed: Word writes a soft line break inside a cell as \x0b.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
# Whitespace other than a plain space, tab or line break; found with fast substring tests. Word's
# soft line break (\x0b), form feed, NEL and the Unicode line and paragraph separators may sit
# inside a cell: there they are spaces, never line ends.
ODD_SPACES = ("  ", "\u00a0", "\u2007", "\u202f", "\u2009", "\u200a", "\u2002", "\u2003", "\u3000", "\x0b", "\x0c",
              "\u1680", "\u2000", "\u2001", "\u2004", "\u2005", "\u2006", "\u2008", "\u205f", "\x85", "\x1c",
              "\x1d", "\x1e", "\u2028", "\u2029")
_LINE_END = re.compile(r"\r\n|\r|\n")


def has_odd_spaces(text: str) -> bool:
    return any(ch in text for ch in ODD_SPACES)


def split_lines(text: str) -> list[str]:
    """The lines of a text file as the file counts them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line.

    ``str.splitlines`` also splits at \\x0b, \\x0c, \\x1c-\\x1e, NEL, U+2028 and U+2029, which a
    cell may hold; that would shift the line of every value below.
    """
    if "\r" not in text:
        return text.split("\n")
    return _LINE_END.split(text)


def line_count(text: str) -> int:
    """Lines of ``text``, counted as :func:`split_lines` counts them (without building them)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1




def _refuse_control(text: str, path: str | Path) -> None:
    """An AppendixError at the first control character of decoded text (whatever its encoding)."""
    bad = _CONTROL.search(text)
    if bad:
        line = line_count(text[: bad.start()])
        raise AppendixError(path, _("control character {char} in the text").format(char=repr(bad.group())),
                            line=line, expected=_("a text appendix; this looks like a binary file"))


def _broken_utf16(data: bytes, encoding: str, exc: UnicodeDecodeError, path: str | Path) -> AppendixError:
    """The error of UTF-16 text broken at ``exc.start``: its line is one more than the line breaks decoded
    before the bad bytes (a lone surrogate, or an odd last byte of a cut file)."""
    line = line_count(data[: exc.start].decode(encoding, errors="replace"))
    if exc.end >= len(data) and "truncated" in exc.reason:
        what = tr("broken UTF-16 text: the file ends inside a character (byte {at})", at=exc.start)
    else:
        what = tr("broken UTF-16 text: a half of a character pair with no other half (byte {at})", at=exc.start)
    return AppendixError(path, what, line=line, expected=_("UTF-16 text; save the file again as UTF-8 or UTF-16"))


def decode(data: bytes, path: str | Path) -> str:
    """Decode an appendix text file: UTF-8 (with or without BOM) or UTF-16.

    Anything else raises :class:`AppendixError` naming the line of the first
    undecodable byte or control character; nothing is guessed.
    """
    if not data.strip():
        raise AppendixError(path, _("the file is empty"), expected=_("an appendix table"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _broken_utf16(data, "utf-16", exc, path) from None
        _refuse_control(text, path)
        return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM (mostly ASCII, so every other byte is zero), or binary data.
        head = data[:4096]
        half = max(1, len(head) // 2)
        odd_zero, even_zero = head[1::2].count(0) / half, head[0::2].count(0) / half
        enc = "utf-16-le" if odd_zero >= 0.3 else "utf-16-be" if even_zero >= 0.3 else None
        text = ""
        if enc:
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as exc:
                raise _broken_utf16(data, enc, exc, path) from None
        if not text:
            raise AppendixError(path, _("this is a binary file, not a text appendix"),
                                expected=_("a text, .docx or .xlsx appendix"))
        _refuse_control(text, path)
        return text
    if data.translate(None, _NOT_CONTROL):  # any control byte: locate it
        _refuse_control(data.decode("utf-8", errors="replace"), path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_count(data[: exc.start].decode("utf-8", errors="replace"))
        raise AppendixError(path, _("byte 0x{byte:02x} is not UTF-8").format(byte=data[exc.start]), line=line,
                            expected=_("UTF-8 text; this looks like a legacy Vietnamese encoding (TCVN3/VNI) "
                                      "or Windows-1258: save the file as UTF-8")) from None
    return text


#: Zero-width spaces, BOMs and soft hyphens.
INVISIBLE = ("\u200b", "\ufeff", "\u00ad")


def normalize_nfc(text: str) -> str:
    """NFC (a no-op on text that already is)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def nfc(text: str) -> str:
    """NFC, without zero-width spaces, BOMs or soft hyphens (done once per file, not per cell)."""
    return drop_invisible(normalize_nfc(text))


def has_invisible(text: str) -> bool:
    return any(ch in text for ch in INVISIBLE)


def clean_value(text: str | None) -> str:
    """A value cell as written: NFC and stripped, nothing else. Invisible characters and line breaks
    inside stay (``4\u200b86`` and ``1\x0b070`` are not numbers, and the checks must show why)."""
    if not text:
        return ""
    return without_controls(normalize_nfc(text)).strip()


def without_controls(text: str) -> str:
    """Control characters (which a text appendix refuses, but a Word or Excel cell may carry) shown
    as U+FFFD, so that none reaches a CSV or a page."""
    return _CONTROL.sub("\ufffd", text) if _CONTROL.search(text) else text


def drop_invisible(text: str) -> str:
    """Text without zero-width spaces, BOMs or soft hyphens."""
    for ch in INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    return text


def clean(text: str | None) -> str:
    """NFC, one plain space between words, no leading or trailing space."""
    if not text:
        return ""
    return " ".join(nfc(text).split())


@lru_cache(maxsize=100_000)
def label_key(label: str) -> str:
    """The form of a label used for matching: cleaned, lower case, no list dash or end colon.

    Stripped with ``str.strip`` (linear), not a regex anchored at the end, which is quadratic on
    a long run of dots or commas inside a label. At most :data:`~cchc_tools.limits.MAX_LABEL_KEY_CHARS`
    characters (far more than any catalog label), so that fuzzy matching costs the same on any input.
    """
    return clean(label).lstrip(" -–—•+*.").rstrip(" :;.,").lower()[:MAX_LABEL_KEY_CHARS]


_ASCII_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics (``Vĩnh Châu`` -> ``Vinh Chau``); other non-ASCII is dropped."""
    decomposed = unicodedata.normalize("NFD", text.translate(_ASCII_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slugify(text: str) -> str:
    """ASCII slug: ``thị xã Vĩnh Châu`` -> ``thi-xa-vinh-chau``."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(clean(text)).lower()).strip("-")


def lower_first(text: str) -> str:
    """A name or phrase inside a sentence: only its first letter lowered (``Quý I năm 2026`` -> ``quý I năm 2026``,
    ``Tỷ lệ TTHC`` -> ``tỷ lệ TTHC``; never ``quý i`` or ``tthc``)."""
    return text[:1].lower() + text[1:]


def visible(text: str) -> str:
    """``text`` as a reader may be shown it: without bidi controls (embeddings, overrides, isolates, marks) and
    other invisible format characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens, word
    joiners, BOMs, tags), which can reorder or hide what a name or note says on a page, in a letter or a workbook.
    Everything else is kept as written (the tidy table keeps the raw text)."""
    if not text or text.isascii():
        return text
    # each distinct character asked once (a page of 400,000 characters, base64 images included, has a few
    # hundred): a per-character loop over the whole page took a tenth of a second of every briefing's export
    hidden = [ch for ch in set(text) if unicodedata.category(ch) == "Cf"]
    return text.translate(dict.fromkeys(map(ord, hidden))) if hidden else text


#: The longest title Word keeps in a document's properties (python-docx refuses a longer one).
TITLE_CHARS = 255


def short_title(text: str, limit: int = TITLE_CHARS) -> str:
    """A title of at most ``limit`` characters (``visible`` and cleaned): a longer one is cut at a word boundary
    and ends with "…"; the full name stays in the text it titles."""
    text = " ".join(visible(text).split())
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    cut = head.rfind(" ")
    return (head[:cut] if cut >= limit // 2 else head).rstrip(" ,;:–-") + "…"


def strip_closing(name: str) -> str:
    """A name without the closing parenthesis of the text around it: ``xã A (mới))`` -> ``xã A (mới)``; a name's
    own parentheses are kept (``xã A (mới)`` stays whole)."""
    name = name.strip()
    while name.endswith(")") and name.count(")") > name.count("("):
        name = name[:-1].rstrip()
    return name
