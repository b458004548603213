"""The wording of letters and digests, as data (``data/letters.yaml``, ``data/digest.yaml``), reviewed like the
sentences of the briefings.

Each file is a list of entries ``{id, text}`` (or ``{id, lines}`` for a list of lines such as the
recipients of a letter). The code declares which ids a file must have and which placeholders
(``{unit}``, ``{when}``...) each may use; an unknown or missing id, an unknown placeholder or a
wrong type is refused with the file, line, id and key.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from cchc_tools.analysis.specs import IDENT, SpecError, TextList, check_keys, optional, read_entries, unique_ids
from cchc_tools.analysis.specs import Text as TextType

WORDING_KEYS = {"id": IDENT, "text": optional(TextType()), "lines": optional(TextList())}


class WordingError(SpecError):
    """A wording file that cannot be used."""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_wording(path: str | Path, schema: Mapping[str, frozenset[str]]) -> dict[str, str | list[str]]:
    """The texts of a wording file by id (``text``, or ``lines`` as a list), checked against ``schema``
    (id -> the placeholders it may use)."""
    entries = read_entries(path, WordingError)
    unique_ids(entries, path, WordingError)
    out: dict[str, str | list[str]] = {}
    for e in entries:
        data = check_keys(e, WORDING_KEYS, path, WordingError)
        ident = data["id"]
        if ident not in schema:
            raise WordingError(path, f"unknown wording id; known: {', '.join(schema)}", ident=ident, key="id",
                               line=e.key_lines.get("id", e.line))
        if (data["text"] is None) == (data["lines"] is None):
            raise WordingError(path, "give either text or lines", ident=ident, key="text", line=e.line)
        value = data["text"] if data["text"] is not None else list(data["lines"])
        for piece in [value] if isinstance(value, str) else value:
            try:
                unknown = _fields(piece) - schema[ident]
            except ValueError as exc:
                raise WordingError(path, f"not a valid text with placeholders: {exc}", ident=ident,
                                   key="text", line=e.line) from exc
            if unknown:
                allowed = ", ".join("{" + f + "}" for f in sorted(schema[ident])) or "none"
                raise WordingError(path, f"unknown placeholder(s) {', '.join(sorted(unknown))}; allowed: {allowed}",
                                   ident=ident, key="text" if isinstance(value, str) else "lines",
                                   line=e.key_lines.get("text", e.key_lines.get("lines", e.line)))
        out[ident] = value
    missing = [k for k in schema if k not in out]
    if missing:
        raise WordingError(path, f"missing wording id(s): {', '.join(missing)}", line=1)
    return out


@lru_cache(maxsize=8)
def _cached(path: str, mtime: int, schema_items: tuple) -> dict:
    return load_wording(path, dict(schema_items))


def wording(path: str | Path, schema: Mapping[str, frozenset[str]]) -> dict[str, str | list[str]]:
    """:func:`load_wording`, read again only when the file changes."""
    p = Path(path)
    return _cached(str(p), p.stat().st_mtime_ns, tuple(sorted(schema.items())))
