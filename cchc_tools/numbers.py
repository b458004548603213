"""Vietnamese numbers: reading them exactly and writing them for the reader.

A number is what Vietnamese number format says and nothing else: ASCII digits, an optional
leading ``-``, ``.`` grouping thousands in groups of three, ``,`` before the decimals, an optional
trailing ``%``. ``92,59`` is 92.59; ``24.407`` and ``1.070`` are 24407 and 1070. A space (also a
no-break or narrow no-break space) may group thousands instead of the dot (``1 070``), as Word
and babel write them. Every other shape is not a number: ``85.27``, ``1.5``, ``,83``, ``5,``,
``+5``, ``7,6e3``, ``1_000``, ``inf``, digits of other scripts (``١٢``, full-width ``６``), an
invisible character inside the digits (``4\u200b86``). Numbers longer than
:data:`~cchc_tools.limits.MAX_INTEGER_DIGITS` digits before the comma or
:data:`~cchc_tools.limits.MAX_DECIMAL_DIGITS` after it are not read either, so every value is
finite and every ratio of values too.
"""

from __future__ import annotations

import decimal
import math
import re
from functools import lru_cache

from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from cchc_tools.limits import MAX_ABS_VALUE, MAX_DECIMAL_DIGITS, MAX_INTEGER_DIGITS

LOCALE = "vi_VN"

_INT = MAX_INTEGER_DIGITS
_DEC = MAX_DECIMAL_DIGITS
# [0-9], never \d: \d matches the digits of every script.
_DOT_GROUPED = re.compile(rf"-?(?:[1-9][0-9]{{0,2}}(?:\.[0-9]{{3}}){{1,{(_INT - 1) // 3}}}|[0-9]{{1,{_INT}}})"
                          rf"(?:,[0-9]{{1,{_DEC}}})?")
_SPACE_GROUPED = re.compile(rf"-?[1-9][0-9]{{0,2}}(?: [0-9]{{3}}){{1,{(_INT - 1) // 3}}}(?:,[0-9]{{1,{_DEC}}})?")
_CANONICAL = _DOT_GROUPED  # the shape analysts write; babel's strict parser reads it the same (a test checks)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


@lru_cache(maxsize=200_000)
def parse_number(text: str) -> float | None:
    """The value of a Vietnamese-formatted number, or None if the text is not one.

    A trailing ``%`` is allowed (``99,87%``). Blank text is not a number: the
    caller keeps it as "not reported".
    """
    s = text.strip(" \t\r\n\u00a0\u202f")
    if s.endswith("%"):
        s = s[:-1].rstrip(" \u00a0\u202f")
    if not s or len(s) > 2 * (_INT + _DEC):
        return None
    if not _DOT_GROUPED.fullmatch(s):
        s = s.translate(_SPACES)
        if not _SPACE_GROUPED.fullmatch(s):
            return None
        s = s.replace(" ", "")
    return float(s.replace(".", "").replace(",", ".")) + 0.0  # -0 is 0


def parse_with_babel(s: str) -> float | None:
    """babel's strict vi_VN parse, kept as the reference the direct reading is tested against.

    Not used to read cells: babel also accepts exponents, a leading ``+`` and digits of other
    scripts, which are not Vietnamese number format.
    """
    try:
        return float(parse_decimal(s, locale=LOCALE, strict=True))
    except (NumberFormatError, ValueError, ArithmeticError):
        return None


def stored_number(value: float) -> float | None:
    """A number a file stored as a number (Excel), or None when it cannot be a figure of an appendix:
    not finite, or :data:`~cchc_tools.limits.MAX_ABS_VALUE` or more. Rounded to the decimals a
    written number may have."""
    v = float(value)
    if not math.isfinite(v) or abs(v) >= MAX_ABS_VALUE:
        return None
    return round(v, MAX_DECIMAL_DIGITS)


def fmt_number(value: float | None, decimals: int | None = None, trim: bool = False) -> str:
    """``24407`` -> ``24.407``; ``92.5926`` with 2 decimals -> ``92,59``; NaN -> ``—``.

    ``trim`` drops trailing zeros of the decimals (``100,00`` -> ``100``, ``99,60`` -> ``99,6``).
    Never raises on a finite float, however large (``1e300``); infinities are written ``∞``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if decimals is None:
        decimals = 0 if v.is_integer() else 2
    if abs(v) < _FAST_BELOW and 0 <= decimals <= 6:
        return _format_vi_fast(v, decimals, trim)
    with decimal.localcontext() as ctx:
        ctx.prec = 400  # enough digits for any float: babel quantizes in the current context
        return _format_vi(round(v, decimals), decimals, trim)


_GROUPS = str.maketrans({",": ".", ".": ","})


def _format_vi(x: float, decimals: int, trim: bool) -> str:
    """What babel's ``format_decimal(x, "#,##0.00", locale="vi_VN")`` writes (``#`` decimals when ``trim``),
    done directly: babel's number formatting costs about 50 µs a number, and validating a batch writes
    thousands (a test checks both agree)."""
    d = decimal.Decimal(str(x)).quantize(decimal.Decimal(1).scaleb(-decimals))  # half-even, as babel
    text = f"{abs(d):,f}".translate(_GROUPS)
    if trim and decimals:
        text = text.rstrip("0").rstrip(",")
    return ("-" if d.is_signed() else "") + text


#: Below this magnitude a float rounded to at most 6 decimals is written exactly by ``format`` (its shortest
#: repr has those decimals, far from a rounding tie), so :func:`_format_vi_fast` needs no Decimal.
_FAST_BELOW = 1e9


def _format_vi_fast(v: float, decimals: int, trim: bool) -> str:
    """:func:`_format_vi` for ``abs(v) < _FAST_BELOW`` with plain float formatting: a batch's findings format
    thousands of numbers (a test holds it equal to babel's)."""
    r = round(v, decimals)
    text = f"{abs(r):,.{decimals}f}".translate(_GROUPS)
    if trim and decimals:
        text = text.rstrip("0").rstrip(",")
    return ("-" if math.copysign(1.0, r) < 0 else "") + text


def fmt_number_babel(value: float, decimals: int, trim: bool = False) -> str:
    """babel's formatting, kept as the reference :func:`fmt_number` is tested against."""
    fmt = "#,##0" + ("." + ("#" if trim else "0") * decimals if decimals else "")
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        return format_decimal(round(float(value), decimals), format=fmt, locale=LOCALE)


def fmt_percent(value: float | None, decimals: int = 2, trim: bool = True) -> str:
    """A percentage already on the 0–100 scale, as officials write it: two decimals, a whole number whole.

    ``99.874`` -> ``99,87%``, ``0.5`` -> ``0,50%``, ``94.3`` -> ``94,30%``, ``100`` -> ``100%``, ``0`` -> ``0%``:
    every percentage of a page has the same precision, only 0% and 100% (and other whole numbers
    once rounded) are written whole. ``trim=False`` keeps the decimals even then (``100,00%``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    whole = trim and round(float(value), decimals) == round(float(value))
    return fmt_number(value, 0 if whole else decimals) + "%"


def fmt_count(value: float | None, noun: str = "") -> str:
    """``24407, "hồ sơ"`` -> ``24.407 hồ sơ``."""
    text = fmt_number(value, 0 if value is None or float(value).is_integer() else 2)
    return f"{text} {noun}".strip()
