"""Project settings: ``cchc.toml`` at the project root (optional).

Every key is optional; a missing file means the kit's defaults. The file is read with the
standard library's ``tomllib``::

    [document]
    # The province's own Word template (styles, letterhead, page setup). Relative paths are read
    # from the project root. Briefings are appended after the template's own body text.
    word_template = "templates/so-noi-vu.docx"
    # The heading block of Nghị định 30/2020 (only drawn when issuing_body is set and there is no
    # Word template: a template carries its own letterhead).
    parent_body = "UBND TỈNH SÓC TRĂNG"
    issuing_body = "SỞ NỘI VỤ"
    place = "Sóc Trăng"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from cchc_tools.errors import CchcError
from cchc_tools.paths import project_root

SETTINGS_FILE = "cchc.toml"


class SettingsError(CchcError):
    """A ``cchc.toml`` that cannot be read or names a file that is not there."""


@dataclass(frozen=True)
class Settings:
    word_template: Path | None = None
    parent_body: str = ""
    issuing_body: str = ""
    place: str = ""


_KEYS = {"word_template", "parent_body", "issuing_body", "place"}


def load_settings(path: str | Path | None = None) -> Settings:
    """The settings of ``path`` (default: ``cchc.toml`` at the project root); defaults when absent."""
    file = Path(path) if path else project_root() / SETTINGS_FILE
    if not file.exists():
        if path:
            raise SettingsError(f"{file}: settings file not found")
        return Settings()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{file}: not a valid TOML file: {exc}") from None
    doc = data.get("document", {})
    if not isinstance(doc, dict):
        raise SettingsError(f"{file}: [document] must be a table")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise SettingsError(f"{file}: unknown key(s) in [document]: {', '.join(unknown)}; "
                            f"expected {', '.join(sorted(_KEYS))}")
    for key in _KEYS:
        if key in doc and not isinstance(doc[key], str):
            raise SettingsError(f"{file}: [document] {key} must be a string")
    template = None
    if doc.get("word_template"):
        template = Path(doc["word_template"])
        if not template.is_absolute():
            template = file.parent / template
        if not template.exists():
            raise SettingsError(f"{file}: word_template {doc['word_template']!r} not found (looked at {template})")
    return Settings(template, doc.get("parent_body", ""), doc.get("issuing_body", ""), doc.get("place", ""))
