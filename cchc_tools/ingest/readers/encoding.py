"""Vietnamese text in the legacy one-byte encodings: TCVN3 (the ".VnTime" fonts) and VNI (the "VNI-Times" fonts).

Old templates store Vietnamese in those encodings, so a file reads "Tû lÖ hå s¬" (TCVN3) or "Tyû leä hoà sô"
(VNI) instead of "Tỷ lệ hồ sơ". Both are converted to Unicode NFC by the mapping tables kept as data
(``cchc_tools/data/encodings/tcvn3.csv``, ``vni.csv``), and the load report says so.

Which encoding a text is in is told by the format where it says it (the font of a Word run: ".VnTime",
".VnTimeH", "VNI-Times"), else from the characters a Unicode Vietnamese text never holds in those patterns:
at least three legacy letters inside words, then TCVN3's letters in the range ¡–¾ (ª for ê, ¬ for ơ, ® for đ)
against VNI's vowel followed by a mark byte (``eä`` for ệ). A text that holds both Unicode Vietnamese and legacy
letters with no font to tell them apart, or whose legacy encoding cannot be told, is refused rather than guessed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cchc_tools.errors import AppendixError
from cchc_tools.i18n import _
from cchc_tools.text import normalize_nfc

TCVN3 = "TCVN3"
VNI = "VNI"
DATA = Path(__file__).resolve().parents[2] / "data" / "encodings"
_FILES = {TCVN3: "tcvn3.csv", VNI: "vni.csv"}

#: Letters only Unicode Vietnamese has (outside Latin-1), and the combining marks of decomposed text.
_VIET_UNICODE = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]")
#: Latin-1 letters Unicode Vietnamese uses.
_VIET_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
#: A vowel followed by one of VNI's mark bytes that no Vietnamese letter is.
_VNI_PAIR = re.compile("[aeouyAEOUY][øûõïäåëüØÛÕÏÄÅËÜ]")
#: At least this many legacy letters before a text is taken to be in a legacy encoding.
MIN_LEGACY_CHARS = 3


@lru_cache(maxsize=2)
def mapping(encoding: str) -> dict[str, str]:
    """Legacy characters (as Windows-1252 text) -> the Unicode letter, from the encoding's data file."""
    out: dict[str, str] = {}
    with open(DATA / _FILES[encoding], encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in rows:
            legacy = bytes(int(b, 16) for b in row["legacy"].split()).decode("cp1252")
            letter = chr(int(row["unicode"].removeprefix("U+"), 16))
            if letter != row["letter"]:
                raise ValueError(f"{_FILES[encoding]}: {row['letter']!r} is not {row['unicode']}")
            out[legacy] = letter
    return out


@lru_cache(maxsize=2)
def _pattern(encoding: str) -> re.Pattern:
    keys = sorted(mapping(encoding), key=len, reverse=True)  # two-byte letters before their first byte
    return re.compile("|".join(re.escape(k) for k in keys))


@lru_cache(maxsize=1)
def _tcvn_marks() -> frozenset[str]:
    """TCVN3 letters in ¡–¾: VNI never uses those bytes, Unicode Vietnamese never holds those characters."""
    return frozenset(k for k in mapping(TCVN3) if "\u00a1" <= k <= "\u00be")


def legacy_letters() -> frozenset[str]:
    """The characters of the legacy encodings' tables (as Windows-1252 text) that are not letters of Unicode
    Vietnamese: a text with none of them is not in a legacy encoding."""
    return _legacy_letters()


@lru_cache(maxsize=1)
def _legacy_letters() -> frozenset[str]:
    """Characters of either table that are not letters of Unicode Vietnamese."""
    chars = {ch for enc in (TCVN3, VNI) for k in mapping(enc) for ch in k}
    return frozenset(ch for ch in chars if ord(ch) > 127 and ch not in _VIET_LATIN1)


@lru_cache(maxsize=1)
def _legacy_re() -> re.Pattern:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(_legacy_letters())) + "]")


@lru_cache(maxsize=1)
def _in_word_re() -> re.Pattern:
    """A legacy letter inside a word (after a letter or another legacy letter): "s¬", "lÖ", "eä". Signs such
    as « » · § that a Unicode text may hold stand beside spaces, digits or at a word's start."""
    chars = "".join(re.escape(c) for c in sorted(_legacy_letters()))
    return re.compile(f"(?<=[A-Za-z{chars}])[{chars}]")


@lru_cache(maxsize=1)
def _marks_re() -> re.Pattern:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(_tcvn_marks())) + "]")


def to_unicode(text: str, encoding: str, *, upper: bool = False) -> str:
    """``text`` (legacy bytes read as Windows-1252) converted to Unicode NFC; ``upper`` for the ".Vn...H" fonts,
    whose small letters are drawn as capitals."""
    table = mapping(encoding)
    out = _pattern(encoding).sub(lambda m: table[m.group(0)], text)
    return normalize_nfc(out.upper() if upper else out)


def font_encoding(font: str | None) -> tuple[str | None, bool]:
    """(encoding, upper) a font name implies: ".VnTime" TCVN3, ".VnTimeH" TCVN3 in capitals, "VNI-Times" VNI."""
    if not font:
        return None, False
    name = font.strip()
    if name.lower().startswith(".vn"):
        return TCVN3, name.endswith("H")
    if name.upper().startswith(("VNI-", "VNI ")):
        return VNI, False
    return None, False


@dataclass(frozen=True)
class Detection:
    encoding: str | None  # TCVN3, VNI, or None (Unicode, or nothing to tell)
    mixed: bool = False  # legacy letters beside Unicode Vietnamese
    unknown: bool = False  # legacy letters of an encoding that cannot be told


def detect(text: str) -> Detection:
    """Which legacy encoding ``text`` is in, from its characters alone."""
    letters = _legacy_re()
    if text.isascii() or not letters.search(text) or len(_in_word_re().findall(text)) < MIN_LEGACY_CHARS:
        return Detection(None)
    t = len(_marks_re().findall(text))
    v = len(_VNI_PAIR.findall(text))
    kind = TCVN3 if t >= MIN_LEGACY_CHARS and t >= 4 * v else VNI if v >= MIN_LEGACY_CHARS and v >= 4 * t else None
    if _VIET_UNICODE.search(text):  # a legacy text has no letter beyond Latin-1
        return Detection(kind, mixed=True)
    if kind is None:
        return Detection(None, unknown=True)
    residue = len(letters.findall(to_unicode(text, kind)))
    if residue >= MIN_LEGACY_CHARS:
        return Detection(None, unknown=True)
    return Detection(kind)


def converted_note(encoding: str) -> str:
    """What the load report says: "đã chuyển mã TCVN3 sang Unicode"."""
    return _("converted from {encoding} to Unicode").format(encoding=encoding)


def refusal(path: str | Path, found: Detection, line: int | None = None) -> AppendixError:
    """The refusal of a text whose encoding is not told with certainty."""
    if found.mixed:
        what = _("the file mixes Unicode Vietnamese with text in a legacy encoding (TCVN3 or VNI) and does not say "
                 "which text is in which; refused rather than guessed")
    else:
        what = _("the file is in a legacy Vietnamese encoding that cannot be told for certain (TCVN3 or VNI); "
                 "refused rather than guessed")
    return AppendixError(path, what, line=line,
                         expected=_("the file saved again in Unicode (for example with Unikey's converter)"))


def decode_text(data: bytes, path: str | Path, decode) -> tuple[str, str | None]:
    """A text file's bytes as text, and the legacy encoding converted (or None).

    ``decode`` is the kit's strict UTF-8/UTF-16 decoder. Bytes that are not UTF-8 and hold none of the
    three-byte sequences of Unicode Vietnamese letters are tried as a legacy one-byte encoding; anything
    else, and a legacy text that cannot be told, is left to ``decode``'s error or refused.
    """
    try:
        text = decode(data, path)  # the common case, UTF-8 or UTF-16, decoded once
    except AppendixError:
        legacy = _legacy_text(data)
        if legacy is None:
            raise
        text, found = legacy
        if found.encoding and not found.mixed:
            return to_unicode(text, found.encoding), found.encoding
        if found.mixed or found.unknown:
            raise refusal(path, found) from None
        raise  # nothing tells a legacy encoding: the decoder's error stands
    found = detect(text)
    if found.encoding and not found.mixed:
        return to_unicode(text, found.encoding), found.encoding
    if found.mixed or found.unknown:
        raise refusal(path, found)
    return text, None


def _legacy_text(data: bytes) -> tuple[str, Detection] | None:
    """Bytes the strict decoder refused, read as a legacy one-byte text (Windows-1252) and what they hold; None
    for bytes that are not one: a BOM or NUL bytes (UTF-16), valid UTF-8 (refused for another reason), or the
    three-byte sequences of Unicode Vietnamese letters (broken UTF-8, left to the decoder's error)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or b"\x00" in data[:4096]:
        return None
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        if re.search(rb"\xe1[\xba\xbb][\x80-\xbf]", data) is not None:
            return None
    text = data.decode("cp1252", errors="replace")
    return text, detect(text)


def header_in_legacy(cells: list[str], is_header) -> bool:
    """A header row written in a legacy encoding (so that its table is found before the whole is converted)."""
    if not _legacy_re().search(" ".join(c for c in cells if c)):
        return False
    return any(is_header([to_unicode(c or "", enc) for c in cells]) for enc in (TCVN3, VNI))


def convert_table(table) -> None:
    """Convert a read table whose texts are in a legacy encoding (the format said no font), in place; refuse one
    that mixes encodings or whose encoding cannot be told. Adds the conversion to the table's notes. A text file
    was converted when it was decoded (:func:`decode_text`)."""
    if table.format == "text":
        return
    texts = list(table.title)
    for r in table.rows:
        texts += [r.stt, r.label, r.uom, r.note]
        if isinstance(r.value, str):
            texts.append(r.value)
    found = detect("\n".join(texts))
    if found.mixed or found.unknown:
        raise refusal(table.path, found)
    if found.encoding is None:
        return
    enc = found.encoding
    table.title = [to_unicode(t, enc) for t in table.title]
    for r in table.rows:
        r.stt, r.label, r.uom, r.note = (to_unicode(x, enc) for x in (r.stt, r.label, r.uom, r.note))
        if isinstance(r.value, str):
            r.value = to_unicode(r.value, enc)
    table.notes.append(converted_note(enc))
