"""Messages for analysts: Vietnamese by default, English with ``CCHC_LANG=en``.

The messages are gettext messages written in English in the code (``_("...")``) and
translated in ``cchc_tools/locale/vi/LC_MESSAGES/cchc.po``; the compiled ``cchc.mo`` beside it
is committed, so the kit needs no build step. After editing messages (README, "Messages"):

    pybabel extract -F babel.cfg -o cchc_tools/locale/cchc.pot cchc_tools
    pybabel update -i cchc_tools/locale/cchc.pot -d cchc_tools/locale -D cchc
    pybabel compile -d cchc_tools/locale -D cchc

The language is read at each message, so a test or a notebook may switch it on the fly.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cchc"
LANGUAGES = ("vi", "en")


def language() -> str:
    """``vi`` unless ``CCHC_LANG`` (or ``CCHC_LANG=en_US.UTF-8`` and the like) asks for English."""
    lang = os.environ.get("CCHC_LANG", "").strip().lower()
    return "en" if lang.startswith("en") else "vi"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":  # the messages are written in English
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def _(message: str) -> str:
    """The message in the analyst's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``ngettext("{n} error", "{n} errors", n)``: the right form for ``n`` in the analyst's language."""
    return translations(language()).ngettext(singular, plural, n)


def count_text(n: int) -> str:
    """A whole number as the analyst writes it: ``80.000`` in Vietnamese, ``80,000`` in English."""
    text = f"{n:,}"
    return text.replace(",", ".") if language() == "vi" else text


def tr(message: str, **values) -> str:
    """The message translated and filled in; whole numbers are written the analyst's way (:func:`count_text`)."""
    return _(message).format(**{k: count_text(v) if isinstance(v, int) and not isinstance(v, bool) else v
                                for k, v in values.items()})
