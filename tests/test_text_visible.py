"""``text.visible``: every invisible format character (Unicode Cf) removed, nothing else touched."""

from __future__ import annotations

import random
import unicodedata

from cchc_tools.text import visible

CF = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
OTHERS = list("aZ09 <>&\"'\n\t") + list("ạếỗđĐưƯ") + ["\u0301", "\u00a0", "\u2028", "\x00", "\x7f", "😀", "١"]


def _by_character(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def test_visible_removes_every_format_character_and_only_those():
    rng = random.Random(28)
    assert "\u200b" in CF and "\u202e" in CF and "\ufeff" in CF and "\U000e0041" in CF  # bidi, zero-width, tags
    for _ in range(300):
        text = "".join(rng.choice(CF if rng.random() < 0.2 else OTHERS) for _ in range(rng.randint(0, 60)))
        assert visible(text) == _by_character(text)
    assert visible("Sở \u202eụv iộN\u200b") == "Sở ụv iộN"
    page = "<img src='data:image/png;base64," + "QUJD" * 50_000 + "'/>Hạng \u2066nhất\u2069"
    assert visible(page) == page.replace("\u2066", "").replace("\u2069", "")
    assert visible("") == "" and visible("abc") == "abc" and visible("Cần Thơ") == "Cần Thơ"
