"""Vietnamese numbers: reading them exactly and writing them for the reader.

``92,59`` is 92.59 (decimal comma); ``24.407`` and ``1.070`` are 24407 and
1070 (dot groups thousands). Parsing goes through babel with ``strict=True``,
which refuses ``85.27`` instead of reading it as 8527.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from babel.numbers import NumberFormatError, format_decimal, parse_decimal

LOCALE = "vi_VN"


# The canonical shapes of a vi_VN number, all of which babel's strict parser accepts with the
# same meaning: digits, thousands grouped by dots in threes, an optional decimal comma.
# They are read directly (the hot path of batch loads); everything else goes to babel.
_SPACE_GROUPED = re.compile(r"[1-9]\d{0,2}(?: \d{3})+(?:,\d+)?")
_CANONICAL = re.compile(r"(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?")


@lru_cache(maxsize=200_000)
def parse_number(text: str) -> float | None:
    """The value of a Vietnamese-formatted number, or None if the text is not one.

    A trailing ``%`` is allowed (``99,87%``). Blank text is not a number: the
    caller keeps it as "not reported". Anything babel's strict vi_VN parser
    refuses (``85.27``, ``1.5``) is refused.
    """
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if s.endswith("%"):
        s = s[:-1].rstrip()
    if not s:
        return None
    if " " in s:  # spaces may only group thousands ("1 070"); "1 5" is not a number
        if not _SPACE_GROUPED.fullmatch(s):
            return None
        s = s.replace(" ", ".")
    if _CANONICAL.fullmatch(s):
        return float(s.replace(".", "").replace(",", "."))
    return parse_with_babel(s)


def parse_with_babel(s: str) -> float | None:
    """babel's strict vi_VN parse: the authority for every shape the fast path does not know."""
    try:
        return float(parse_decimal(s, locale=LOCALE, strict=True))
    except (NumberFormatError, ValueError, ArithmeticError):
        return None


def fmt_number(value: float | None, decimals: int | None = None, trim: bool = False) -> str:
    """``24407`` -> ``24.407``; ``92.5926`` with 2 decimals -> ``92,59``; NaN -> ``—``.

    ``trim`` drops trailing zeros of the decimals (``100,00`` -> ``100``, ``99,60`` -> ``99,6``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    fmt = "#,##0" + ("." + ("#" if trim else "0") * decimals if decimals else "")
    return format_decimal(round(float(value), decimals), format=fmt, locale=LOCALE)


def fmt_percent(value: float | None, decimals: int = 2, trim: bool = True) -> str:
    """A percentage already on the 0–100 scale, as officials write it: ``99.874`` -> ``99,87%``, ``100`` -> ``100%``.

    ``trim=False`` keeps every decimal (``99,60%``), to quote a figure as a unit wrote it.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return fmt_number(value, decimals, trim) + "%"


def fmt_count(value: float | None, noun: str = "") -> str:
    """``24407, "hồ sơ"`` -> ``24.407 hồ sơ``."""
    text = fmt_number(value, 0 if value is None or float(value).is_integer() else 2)
    return f"{text} {noun}".strip()
