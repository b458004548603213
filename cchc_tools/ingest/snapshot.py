"""A loaded data folder kept between processes: a Parquet snapshot rebuilt when a file changes.

Every notebook of ``cchc brief --all`` needs the table of the whole folder (its unit, the
previous years, the other units); reading the snapshot is much cheaper than parsing every
appendix again.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from cchc_tools.atomic import write_table, write_text
from cchc_tools.errors import AppendixError, UnknownUnitError
from cchc_tools.i18n import _, language
from cchc_tools.ingest.loader import LoadResult, find_files, load_appendices
from cchc_tools.paths import CATALOG_CSV
from cchc_tools.version import __version__

if TYPE_CHECKING:
    from cchc_tools.project import Project


def resolve_data_dir(project: Project, data_dir: str | Path | None = None) -> Path:
    """``None`` or ``""`` is the project's data folder; a relative path is relative to the project."""
    return project.resolve(data_dir, project.data)


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's content, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=1)
def _reader_code() -> str:
    """Hash of the kit's Python code and compiled messages: a reader fixed without a version bump (a slug
    made differently, an error said in new words) rebuilds the snapshot."""
    package = Path(__file__).resolve().parents[1]
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".mo") and "__pycache__" not in p.parts)
    return hashlib.sha256(json.dumps([[p.relative_to(package).as_posix(), file_hash(p)] for p in files]).encode()
                          ).hexdigest()


def _signature(folder: Path, province: str, root: Path) -> list:
    """What the loaded table depends on: every file's path and content (SHA-256), the catalog, the forms
    and the project's province (official units are resolved with it).

    Content, not time and size: a corrected file copied with its old time (``cp -p``, unzip,
    ``touch -r``) and the same size must give the new figures. Hashing is cheap next to parsing
    (a data folder of 200 appendices is a few megabytes).
    """
    from cchc_tools.forms import signature as forms_signature

    files, skipped = find_files(folder) if folder.exists() else ([], [])
    contents = []
    for f in files:
        try:
            contents.append([str(f), file_hash(f)])
        except OSError:
            contents.append([str(f), None])  # unreadable: the load reports it
    catalog = file_hash(CATALOG_CSV)
    # errors are stored in the language of the run
    return [__version__, _reader_code(), catalog, forms_signature(), province, str(root), language(), contents,
            sorted(skipped)]


def snapshot_base(cache: str | Path, folder: str | Path) -> Path:
    """Where a data folder's snapshot is kept: ``<base>.parquet`` (the tidy table), ``<base>.json`` (its
    signature, errors and skipped files); the kept computation (``analysis.computed``) sits beside it."""
    return Path(cache) / hashlib.sha256(str(folder).encode()).hexdigest()[:20]


def store_snapshot(base: Path, signature: str, result: LoadResult) -> None:
    """Write a loaded folder's snapshot (each file whole or not at all; the signature last, so a crash
    between the two leaves a snapshot that is rebuilt)."""
    meta = {"signature": signature, "skipped": result.skipped,
            "errors": [{"path": e.path, "reason": e.reason, "line": e.line, "expected": e.expected}
                       for e in result.errors]}
    write_table(result.table, base.with_suffix(".parquet"))
    write_text(base.with_suffix(".json"), json.dumps(meta, ensure_ascii=False))


@lru_cache(maxsize=8)
def _load_cached(folder: str, signature: str, cache: str, province: str, root: str) -> LoadResult:
    """Load a folder once per process, and once across processes through a Parquet snapshot.

    Every notebook of ``cchc brief --all`` needs the table of the whole folder (its unit, the
    previous years, the other units); reading the snapshot is much cheaper than parsing every
    appendix again. The snapshot is rebuilt whenever a file, the catalog or the kit changes.
    """
    base = snapshot_base(cache, folder)
    table_path, meta_path = base.with_suffix(".parquet"), base.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["signature"] == signature:
            errors = [AppendixError(e["path"], e["reason"], line=e["line"], expected=e["expected"])
                      for e in meta["errors"]]
            return LoadResult(pd.read_parquet(table_path), errors, meta["skipped"])
    except (OSError, ValueError, KeyError):
        pass  # no snapshot yet, or a damaged one: rebuild it
    result = load_appendices(folder, province=province, root=root)
    with suppress(OSError):  # a read-only checkout still works, just without the snapshot
        store_snapshot(base, signature, result)
    return result


class Snapshot(NamedTuple):
    """A data folder's snapshot, found but not yet read: ``signature`` (the JSON of everything the table depends
    on: every file's content, the catalog, the forms, the kit's code, the province) and ``base``, the path stem
    of its files in the project's cache. ``result`` loads it (once per process), ``columns`` reads some columns."""

    folder: Path
    signature: str
    base: Path
    cache: str
    province: str
    root: str

    @property
    def result(self) -> LoadResult:
        return _load_cached(str(self.folder), self.signature, self.cache, self.province, self.root)

    def columns(self, names: list[str]) -> pd.DataFrame:
        """Only the columns ``names`` of the table (pyarrow reads nothing else), from the snapshot when it is the
        folder's as it is now, else from the loaded table."""
        try:
            meta = json.loads(self.base.with_suffix(".json").read_text(encoding="utf-8"))
            if meta["signature"] == self.signature:
                return pd.read_parquet(self.base.with_suffix(".parquet"), columns=names)
        except (OSError, ValueError, KeyError):
            pass
        return self.result.table[names]


def find_snapshot(project: Project, data_dir: str | Path | None = None) -> Snapshot:
    """The project's data folder (or ``data_dir``) and its signature, hashed now; nothing is parsed or read."""
    project.activate()
    folder = resolve_data_dir(project, data_dir)
    if not folder.exists():
        raise UnknownUnitError(_("data folder {folder} does not exist").format(folder=folder))
    signature = json.dumps(_signature(folder, project.province, project.root))
    return Snapshot(folder, signature, snapshot_base(project.cache, folder), str(project.cache), project.province,
                    str(project.root))


def load_data(project: Project, data_dir: str | Path | None = None) -> LoadResult:
    """Every appendix under the project's data folder, or ``data_dir`` (cached while the files do not change)."""
    return find_snapshot(project, data_dir).result
