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

import numpy as np
import pandas as pd

from cchc_tools.atomic import write_table, write_text
from cchc_tools.errors import AppendixError, UnknownUnitError
from cchc_tools.fingerprint import kit_code
from cchc_tools.i18n import _, language
from cchc_tools.ingest.loader import LoadResult, empty_table, find_files, load_appendices
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
    return [__version__, kit_code(), catalog, forms_signature(), province, str(root), language(), contents,
            sorted(skipped)]


def snapshot_base(cache: str | Path, folder: str | Path) -> Path:
    """Where a data folder's snapshot is kept: ``<base>.parquet`` (the tidy table), ``<base>.json`` (its
    signature, errors and skipped files); the kept computation (``analysis.computed``) sits beside it."""
    return Path(cache) / hashlib.sha256(str(folder).encode()).hexdigest()[:20]


def store_snapshot(base: Path, signature: str, result: LoadResult) -> None:
    """Write a loaded folder's snapshot (each file whole or not at all; the signature last, so a crash
    between the two leaves a snapshot that is rebuilt). Beside the errors it keeps how many rows each file gave
    (``parts``), so that a later load parses only the files that changed."""
    files = [[path, sha] for path, sha in json.loads(signature)[7]]
    blocks = file_blocks([path for path, _ in files], result)
    meta = {"signature": signature, "skipped": result.skipped,
            "errors": [{"path": e.path, "reason": e.reason, "line": e.line, "expected": e.expected,
                        "page": getattr(e, "page", None)}
                       for e in result.errors],
            "parts": None if blocks is None else [[p, h, n] for (p, h), n in zip(files, blocks, strict=True)]}
    write_table(result.table, base.with_suffix(".parquet"))
    write_text(base.with_suffix(".json"), json.dumps(meta, ensure_ascii=False))


def file_blocks(files: list[str], result: LoadResult) -> list[int] | None:
    """How many rows of ``result.table`` each of ``files`` gave, in order (the table holds each file's rows
    together, in the order of the files; a file that failed gave none), or None when that cannot be told."""
    failed = {e.path for e in result.errors}
    loaded = [f for f in files if f not in failed]
    source = result.table["source"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, source[1:] != source[:-1]]) if len(source) else np.array([], dtype=int)
    if len(starts) != len(loaded) or len(set(source[starts])) != len(starts):
        return None
    sizes = iter(np.diff(np.r_[starts, len(source)]).tolist())
    return [0 if f in failed else next(sizes) for f in files]


def _errors(meta: dict) -> list[AppendixError]:
    return [AppendixError(e["path"], e["reason"], line=e["line"], expected=e["expected"], page=e.get("page"))
            for e in meta["errors"]]


def _reload(folder: str, signature: str, old: dict, table_path: Path, province: str, root: str) -> LoadResult | None:
    """The folder loaded again, parsing only the files whose content changed since the snapshot ``old`` (the
    rows and errors of the others are taken from it); None when the snapshot cannot serve (the kit, catalog,
    forms, province or language changed, or it does not say which rows are whose)."""
    new_sig, old_sig = json.loads(signature), json.loads(old["signature"])
    parts = old.get("parts")
    if parts is None or new_sig[:7] != old_sig[:7]:
        return None
    offsets = np.r_[0, np.cumsum([n for _, _, n in parts])].tolist()
    kept = {(p, h): (offsets[i], n) for i, (p, h, n) in enumerate(parts) if h is not None}
    old_errors: dict[str, list[AppendixError]] = {}
    for e in _errors(old):
        old_errors.setdefault(e.path, []).append(e)
    contents = [(p, h) for p, h in new_sig[7]]
    changed = [p for p, h in contents if (p, h) not in kept]
    if len(changed) == len(contents):
        return None  # nothing to keep
    old_table = pd.read_parquet(table_path)
    if len(old_table) != offsets[-1]:
        return None
    fresh = load_appendices([Path(p) for p in changed], province=province, root=root) if changed else None
    fresh_blocks = file_blocks(changed, fresh) if fresh is not None else []
    if fresh_blocks is None:
        return None
    fresh_at = dict(zip(changed, np.r_[0, np.cumsum(fresh_blocks)].tolist(), strict=False))
    fresh_n = dict(zip(changed, fresh_blocks, strict=True))
    fresh_errors: dict[str, list[AppendixError]] = {}
    for e in fresh.errors if fresh is not None else []:
        fresh_errors.setdefault(e.path, []).append(e)
    shift = len(old_table)
    rows, errors = [], []
    for p, h in contents:
        if (p, h) in kept:
            at, n = kept[(p, h)]
            errors += old_errors.get(p, [])
        else:
            at, n = shift + fresh_at[p], fresh_n[p]
            errors += fresh_errors.get(p, [])
        rows.append(np.arange(at, at + n))
    both = pd.concat([old_table, fresh.table], ignore_index=True) if fresh is not None else old_table
    take = np.concatenate(rows) if rows else np.array([], dtype=int)
    table = both.take(take).reset_index(drop=True) if len(take) else empty_table()
    return LoadResult(table, errors, [str(f) for f in find_files(Path(folder))[1]])


@lru_cache(maxsize=8)
def _load_cached(folder: str, signature: str, cache: str, province: str, root: str) -> LoadResult:
    """Load a folder once per process, and once across processes through a Parquet snapshot.

    Every notebook of ``cchc brief --all`` needs the table of the whole folder (its unit, the
    previous years, the other units); reading the snapshot is much cheaper than parsing every
    appendix again. When files changed, only they are parsed again (:func:`_reload`); the snapshot is
    rebuilt whole when the catalog, the forms or the kit changes.
    """
    base = snapshot_base(cache, folder)
    table_path, meta_path = base.with_suffix(".parquet"), base.with_suffix(".json")
    result = None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["signature"] == signature:
            return LoadResult(pd.read_parquet(table_path), _errors(meta), meta["skipped"])
        result = _reload(folder, signature, meta, table_path, province, root)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass  # no snapshot yet, or a damaged one: rebuild it
    if result is None:
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
