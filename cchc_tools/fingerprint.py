"""Content hashes of the kit itself: what a snapshot of a data folder and a page's stamp both depend on.

One list of the kit's files makes both: its Python code (every ``.py`` of the package), its reference data (every
file under ``cchc_tools/data``: catalog, forms, indicators, rules, targets, sentences, the project templates), its
page templates (``render/templates``) and its compiled messages (the ``.mo`` translations under
``cchc_tools/locale``): every file of the package but byte-code caches and the translations' sources (``.po``,
``.pot``, compiled into the ``.mo``). A module fixed, a sentence reworded, a template restyled or a translation
recompiled without a version bump changes :func:`kit_code`: the data folder's snapshot is rebuilt (its errors are
said in new words) and every page and cycle is made again on the next incremental run.

The hashes are of content, never of times or sizes, and are computed once per process (the kit does not change
under a running process; a test that edits the kit calls ``kit_files.cache_clear()``).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from cchc_tools.paths import PACKAGE_DIR

SOURCE_ONLY = frozenset({".po", ".pot", ".pyc"})  # sources of what is hashed, or caches of it: never read by the kit
# The reference data a stamp lists one by one (what a page's figures and words are made from); the project
# templates (``cchc.toml``, ``README.md``, ``*.j2``) are in :func:`kit_files` but not listed here.
REFERENCE_SUFFIXES = frozenset({".csv", ".yaml", ".yml", ".json", ".xlsx", ".docx", ".txt"})


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's content, read in blocks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def sha_of(obj) -> str:
    """SHA-256 of a JSON-able value (keys sorted, text as is): equal values, equal hashes."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def package_files(package: Path) -> dict[str, str]:
    """The files of a package a page or a snapshot depends on: every file but ``__pycache__`` and ``SOURCE_ONLY``
    ones, by path relative to ``package`` -> SHA-256 of its content, sorted by path."""
    files = sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts and p.is_file()
                   and p.suffix.lower() not in SOURCE_ONLY)
    return {p.relative_to(package).as_posix(): file_sha256(p) for p in files}


@lru_cache(maxsize=1)
def kit_files() -> dict[str, str]:
    """:func:`package_files` of the kit (``analysis/rules.py``, ``data/catalog.csv``, ``render/templates/style.css``,
    ``locale/vi/LC_MESSAGES/cchc.mo``...): its code, reference data, templates and compiled messages."""
    return package_files(PACKAGE_DIR)


def kit_code() -> str:
    """One hash of :func:`kit_files`: the kit's code, reference data and translations as a whole."""
    return sha_of(kit_files())


def reference_files() -> dict[str, str]:
    """SHA-256 of each reference data file of the package (catalog, forms, indicators, rules, targets,
    sentences), by its path relative to ``cchc_tools/data``: what a stamp lists one by one."""
    return {name.removeprefix("data/"): sha for name, sha in kit_files().items()
            if name.startswith("data/") and Path(name).suffix.lower() in REFERENCE_SUFFIXES}
