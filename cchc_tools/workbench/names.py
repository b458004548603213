"""How the workbench names and orders units: by the name without its kind, in Vietnamese alphabetical order."""

from __future__ import annotations

import re
import unicodedata

_KIND = re.compile(r"^(?:thành phố|thị xã|thị trấn|huyện|quận|xã|phường|đặc khu)\s+", re.IGNORECASE)


def short_name(name: str) -> str:
    """An administrative unit's name without its kind: ``thành phố Minh Họa 08`` -> ``Minh Họa 08``; a
    department keeps its name (``Sở Tư pháp``)."""
    return _KIND.sub("", str(name))


def name_key(name: str) -> tuple[str, str]:
    """How unit lists are sorted: by the name without its kind (``Vĩnh Châu`` among the V, whether it is a
    thị xã or a huyện), in Vietnamese alphabetical order (a, ă, â, b, ..., đ after d), then by the full name."""
    return _vi_key(short_name(name)), _vi_key(str(name))


_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"


def _vi_key(text: str) -> str:
    """A sort key in Vietnamese alphabetical order: the letter first (đ after d, ă and â after a), tone marks
    after (a < à < á ...)."""
    out, tones = [], []
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if unicodedata.combining(ch):
            if ch in "\u0306\u0302\u031b" and out:  # breve, circumflex, horn: letters of their own
                base = unicodedata.normalize("NFC", out[-1] + ch)
                out[-1] = base
            else:
                tones.append(ch)
            continue
        out.append(ch)
    letters = "".join(chr(0x100 + _ALPHABET.index(c)) if c in _ALPHABET else c for c in out)
    return letters + "\x00" + "".join(tones)


_ADMIN = re.compile(r"^(thành phố|thị xã|thị trấn|huyện|quận|xã|phường|đặc khu)\s+(.+)$", re.IGNORECASE)


def unit_label(name: str) -> str:
    """A unit as a list shows it, its name first so that typing ``Vĩnh`` jumps to it:
    ``thị xã Vĩnh Châu`` -> ``Vĩnh Châu (thị xã)``; a department keeps its name (``Sở Tư pháp``)."""
    m = _ADMIN.match(str(name))
    return f"{m.group(2)} ({m.group(1)})" if m else str(name)
