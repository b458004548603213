"""A loaded data folder kept between processes: a Parquet snapshot, in chunks, updated where a file changes.

Every notebook of ``cchc brief --all`` needs the table of the whole folder (its unit, the
previous years, the other units); reading the snapshot is much cheaper than parsing every
appendix again.

The snapshot is a manifest (``<base>.json``: the folder's signature, each file's SHA-256, how many rows it gave,
its chunk, its ``source``, the errors and skipped files) and chunks (``<base>.chunks/<name>.parquet``), each holding
the rows of some files of one year, period and level (a bucket of them by path). When a file changes, only it is
parsed again and only the chunks it leaves or joins are written again; a reader asks for the whole table, some of
its columns, or the rows of some reports (:meth:`Snapshot.rows`), and reads only the chunks that hold them.

Nothing here knows a project: the folder, the province, the project's root and the cache folder are given
(``cchc_tools.pipeline.find_snapshot`` gives a project's).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cchc_tools.atomic import write_table, write_text
from cchc_tools.errors import AppendixError
from cchc_tools.fingerprint import file_sha256, kit_code
from cchc_tools.forms import KIT_FORMS, Forms
from cchc_tools.i18n import language
from cchc_tools.ingest.loader import LoadResult, empty_table, find_paths, load_appendices, source_name
from cchc_tools.paths import CATALOG_CSV
from cchc_tools.version import __version__

SNAPSHOT_FORMAT = 2  # bump when the manifest or the chunks change shape
BUCKETS = 16  # chunks per year, period and level: a changed file rewrites about 1/16 of its period's rows


def _signature(folder: Path, province: str, root: Path, forms: Forms) -> list:
    """What the loaded table depends on: every file's path and content (SHA-256), the catalog, the forms
    and the project's province (official units are resolved with it).

    Content, not time and size: a corrected file copied with its old time (``cp -p``, unzip,
    ``touch -r``) and the same size must give the new figures. Hashing is cheap next to parsing
    (a data folder of 200 appendices is a few megabytes).
    """
    files, skipped = find_paths(folder) if folder.exists() else ([], [])
    contents = []
    for f in files:
        try:
            contents.append([f, file_sha256(f)])
        except OSError:
            contents.append([f, None])  # unreadable: the load reports it
    catalog = file_sha256(CATALOG_CSV)
    # errors are stored in the language of the run
    return [__version__, kit_code(), catalog, forms.signature(), province, str(root), language(), contents,
            sorted(skipped)]


def snapshot_base(cache: str | Path, folder: str | Path) -> Path:
    """Where a data folder's snapshot is kept: ``<base>.json`` (its manifest) and ``<base>.chunks/`` (the tidy
    table, in chunks); the kept computation (``cchc_tools.pipeline``) sits beside it."""
    return Path(cache) / hashlib.sha256(str(folder).encode()).hexdigest()[:20]


def _chunk_path(base: Path, name: str) -> Path:
    return base.parent / f"{base.name}.chunks" / f"{name}.parquet"


def _chunk_key(path: str, rows: pd.DataFrame) -> str:
    """The chunk a file's rows go to: its year, period and level, and a bucket of its path."""
    first = rows.iloc[0]

    def plain(v):
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else (str(v) if isinstance(v, str)
                                                                                   else int(v))
    bucket = int(hashlib.sha256(path.encode()).hexdigest()[:8], 16) % BUCKETS
    return json.dumps([plain(first.get("year")), plain(first.get("period")), plain(first.get("level")), bucket],
                      ensure_ascii=False)


def _chunk_name(key: str, members: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps([key, members], ensure_ascii=False).encode()).hexdigest()[:24]


def _error_dicts(errors: list[AppendixError]) -> list[dict]:
    return [{"path": e.path, "reason": e.reason, "line": e.line, "expected": e.expected,
             "page": getattr(e, "page", None)} for e in errors]


def _errors(meta: dict) -> list[AppendixError]:
    return [AppendixError(e["path"], e["reason"], line=e["line"], expected=e["expected"], page=e.get("page"))
            for e in meta["errors"]]


def _write(base: Path, meta: dict, fresh: dict[str, pd.DataFrame], old_names: set[str]) -> None:
    """Write the chunks ``fresh`` (each whole), then the manifest ``meta`` (the signature last: a crash before it
    leaves the old manifest, whose chunks are still there), then remove the chunks no longer named."""
    for name, frame in fresh.items():
        write_table(frame.reset_index(drop=True), _chunk_path(base, name))
    write_text(base.with_suffix(".json"), json.dumps(meta, ensure_ascii=False))
    with suppress(OSError):
        base.with_suffix(".parquet").unlink(missing_ok=True)  # a snapshot of the kit before chunks: one file
    named = {f[3] for f in meta["files"] if f[3]}
    for name in old_names - named:
        with suppress(OSError):
            _chunk_path(base, name).unlink()


def _chunked(files: list[list], blocks: list[int], rows_of) -> tuple[list[list], dict[str, list[int]]]:
    """Each file's manifest entry ``[path, sha, rows, chunk, source, key]`` and each chunk's files (their
    positions), in file order; ``rows_of(i)`` gives the rows of file ``i`` (for its chunk key and source)."""
    keys: list[str | None] = []
    sources: list[str | None] = []
    for i, (path, _sha) in enumerate(files):
        if blocks[i]:
            rows = rows_of(i)
            keys.append(_chunk_key(path, rows))
            sources.append(str(rows["source"].iloc[0]))
        else:
            keys.append(None)
            sources.append(None)
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k is not None:
            members.setdefault(k, []).append(i)
    names = {k: _chunk_name(k, [[files[i][0], files[i][1]] for i in idx]) for k, idx in members.items()}
    entries = [[p, h, blocks[i], names[keys[i]] if keys[i] else None, sources[i], keys[i]]
               for i, (p, h) in enumerate(files)]
    return entries, {names[k]: idx for k, idx in members.items()}


def store_snapshot(base: Path, signature: str, result: LoadResult) -> dict:
    """Write a loaded folder's snapshot whole (each file whole or not at all; the manifest last, so a crash
    before it leaves a snapshot that is rebuilt) and return its manifest. Beside the errors it keeps how many rows
    each file gave and where they are, so that a later load parses only the files that changed."""
    files = [[path, sha] for path, sha in json.loads(signature)[7]]
    blocks = file_blocks([path for path, _ in files], result, root=json.loads(signature)[5])
    meta = {"format": SNAPSHOT_FORMAT, "signature": signature, "skipped": result.skipped,
            "errors": _error_dicts(result.errors)}
    table = result.table
    if blocks is None:  # rows not in file order: one chunk, never updated in place
        meta["files"] = [[p, h, None, "all" if len(table) else None, None, None] for p, h in files]
        _write(base, meta, {"all": table} if len(table) else {}, _old_chunks(base))
        return meta
    starts = np.r_[0, np.cumsum(blocks)].astype(int)
    entries, chunks = _chunked(files, blocks, lambda i: table.iloc[starts[i]:starts[i] + 1])
    meta["files"] = entries
    fresh = {name: table.take(np.concatenate([np.arange(starts[i], starts[i + 1]) for i in idx]))
             for name, idx in chunks.items()}
    _write(base, meta, fresh, _old_chunks(base))
    return meta


def _old_chunks(base: Path) -> set[str]:
    folder = base.parent / f"{base.name}.chunks"
    return {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()


def file_blocks(files: list[str], result: LoadResult, root: str | None = None) -> list[int] | None:
    """How many rows of ``result.table`` each of ``files`` gave, in order (the table holds each file's rows
    together, in the order of the files; a file that failed gave none), or None when that cannot be told.
    ``root``: the project's root, by which the loader names each file's ``source``; when given, each block's
    source must be its file's (rows in another order than the files' would otherwise be kept under the wrong
    file, and replaced when another file changes)."""
    failed = {e.path for e in result.errors}
    loaded = [f for f in files if f not in failed]
    source = result.table["source"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, source[1:] != source[:-1]]) if len(source) else np.array([], dtype=int)
    if len(starts) != len(loaded) or len(set(source[starts])) != len(starts):
        return None
    if root is not None and any(s != source_name(f, root) for s, f in zip(source[starts], loaded, strict=True)):
        return None
    sizes = iter(np.diff(np.r_[starts, len(source)]).tolist())
    return [0 if f in failed else next(sizes) for f in files]


def read_rows(base: Path, meta: dict, want: list[int] | None = None, columns: list[str] | None = None,
              ordered: bool = True) -> pd.DataFrame:
    """The rows of the files at positions ``want`` of the manifest ``meta`` (all: None), in file order (with
    ``ordered`` false: each file's rows together, the files in any order), only ``columns`` (all: None): only the
    chunks holding them are read.

    Each file's rows are a slice of its chunk: the rows are put in file order by joining slices (Arrow, no copy
    until the one that makes the columns whole), never by a row-by-row ``take`` of the text columns."""
    files = meta["files"]
    idx = range(len(files)) if want is None else sorted(want)
    if any(f[2] is None for f in files):  # one chunk, rows not by file
        if not any(f[3] for f in files):
            return empty_table() if columns is None else empty_table()[columns]
        table = pd.read_parquet(_chunk_path(base, "all"), columns=columns)
        if want is None:
            return table
        keep = {files[i][0] for i in idx}
        return table[table["source"].isin({s for s in keep})].reset_index(drop=True)
    at: dict[str, int] = {}
    where = {}
    for i, f in enumerate(files):
        if f[3]:
            where[i] = (f[3], at.get(f[3], 0))
            at[f[3]] = at.get(f[3], 0) + f[2]
    need = list(dict.fromkeys(where[i][0] for i in idx if i in where))
    if not need:
        return empty_table() if columns is None else empty_table()[columns]
    tables = [pq.read_table(_chunk_path(base, name), columns=columns) for name in need]
    if not ordered:  # a chunk wanted whole is taken as it is
        per = Counter(name for name, _ in where.values())
        got = Counter(where[i][0] for i in idx if i in where)
        if all(per[name] == got[name] for name in need):
            return _frame(tables)
    # each wanted file's rows, in file order: runs of rows that follow each other in one chunk are one slice
    chunk_of = {name: n for n, name in enumerate(need)}
    runs: list[list[int]] = []  # [chunk, start, length]
    for i in idx:
        if i not in where:
            continue
        name, start = where[i]
        c, n = chunk_of[name], files[i][2]
        if runs and runs[-1][0] == c and runs[-1][1] + runs[-1][2] == start:
            runs[-1][2] += n
        else:
            runs.append([c, start, n])
    if all(r[1] == 0 and r[2] == tables[r[0]].num_rows for r in runs) and [r[0] for r in runs] == list(
            range(len(tables))):
        return _frame(tables)
    if not _same_schemas(tables):  # chunks typed apart (a column all blank in one): pandas joins them as before
        both = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        starts = np.r_[0, np.cumsum([t.num_rows for t in tables])].astype(int)
        take = np.concatenate([np.arange(starts[c] + s, starts[c] + s + n) for c, s, n in runs])
        return both.take(take).reset_index(drop=True)
    return _frame([tables[c].slice(s, n) for c, s, n in runs])


def _same_schemas(tables: list[pa.Table]) -> bool:
    """Whether the tables have one schema (types and the pandas metadata they are read back by)."""
    return all(t.schema.equals(tables[0].schema, check_metadata=True) for t in tables[1:])


def _frame(tables: list[pa.Table]) -> pd.DataFrame:
    """Tables of one schema (else pandas joins them, as ``pd.concat`` of each read) as one frame, typed as
    ``pandas.read_parquet`` types each table; joined slices are made whole (one copy of each column)."""
    if len(tables) == 1:
        return tables[0].to_pandas()
    if not _same_schemas(tables):
        return pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    return pa.concat_tables(tables).combine_chunks().to_pandas()


def _update(base: Path, old: dict, signature: str, province: str, root: str, folder: str,
            forms: Forms) -> dict | None:
    """The snapshot brought up to the folder's ``signature`` from the manifest ``old``, parsing only the files
    whose content changed (the rows and errors of the others are taken from it) and writing only the chunks they
    leave or join; None when the snapshot cannot serve (the kit, catalog, forms, province or language changed, or
    it does not say which rows are whose)."""
    new_sig, old_sig = json.loads(signature), json.loads(old["signature"])
    if old.get("format") != SNAPSHOT_FORMAT or new_sig[:7] != old_sig[:7] or any(f[2] is None for f in old["files"]):
        return None
    kept = {(f[0], f[1]): f for f in old["files"] if f[1] is not None}
    contents = [[p, h] for p, h in new_sig[7]]
    changed = [p for p, h in contents if (p, h) not in kept]
    if contents and len(changed) == len(contents):
        return None  # nothing to keep
    fresh = (load_appendices([Path(p) for p in changed], province=province, root=root, forms=forms) if changed
             else None)
    fresh_blocks = file_blocks(changed, fresh, root=root) if fresh is not None else []
    if fresh_blocks is None:
        return None
    fresh_at = dict(zip(changed, np.r_[0, np.cumsum(fresh_blocks)].astype(int).tolist(), strict=False))
    fresh_n = dict(zip(changed, fresh_blocks, strict=True))
    old_errors: dict[str, list[dict]] = {}
    for e in old["errors"]:
        old_errors.setdefault(e["path"], []).append(e)
    fresh_errors: dict[str, list[dict]] = {}
    for e in _error_dicts(fresh.errors if fresh is not None else []):
        fresh_errors.setdefault(e["path"], []).append(e)
    blocks = [kept[(p, h)][2] if (p, h) in kept else fresh_n[p] for p, h in contents]

    entries = []
    keys: list[str | None] = []
    for i, (p, h) in enumerate(contents):
        if not blocks[i]:
            keys.append(None)
        elif (p, h) in kept:
            keys.append(kept[(p, h)][5])
        else:
            keys.append(_chunk_key(p, fresh.table.iloc[fresh_at[p]:fresh_at[p] + 1]))
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k is not None:
            members.setdefault(k, []).append(i)
    names = {k: _chunk_name(k, [contents[i] for i in idx]) for k, idx in members.items()}
    for i, (p, h) in enumerate(contents):
        source = kept[(p, h)][4] if (p, h) in kept else (
            str(fresh.table["source"].iloc[fresh_at[p]]) if blocks[i] else None)
        entries.append([p, h, blocks[i], names[keys[i]] if keys[i] else None, source, keys[i]])
    chunks = {names[k]: idx for k, idx in members.items()}
    old_names = {f[3] for f in old["files"] if f[3]}
    old_pos = {(f[0], f[1]): j for j, f in enumerate(old["files"])}
    written: dict[str, pd.DataFrame] = {}
    for name, idx in chunks.items():
        if name in old_names:
            continue  # the same files, the same content: the chunk as it is
        pieces = []
        from_old = [old_pos[tuple(contents[i])] for i in idx if tuple(contents[i]) in old_pos]
        old_rows = read_rows(base, old, from_old) if from_old else None
        o = run = 0  # the kept files' rows follow each other in ``old_rows``: one slice per run of them
        for i in idx:
            p, h = contents[i]
            if (p, h) in kept:
                o += kept[(p, h)][2]
            else:
                if o > run:
                    pieces.append(old_rows.iloc[run:o])
                run = o
                pieces.append(fresh.table.iloc[fresh_at[p]:fresh_at[p] + fresh_n[p]])
        if o > run:
            pieces.append(old_rows.iloc[run:o])
        written[name] = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
    errors = []
    for p, h in contents:
        errors += old_errors.get(p, []) if (p, h) in kept else fresh_errors.get(p, [])
    # the files passed over, in the order ``find_files`` gives them (the signature holds them sorted as text)
    meta = {"format": SNAPSHOT_FORMAT, "signature": signature, "skipped": sorted(new_sig[8], key=Path),
            "errors": errors, "files": entries}
    _write(base, meta, written, old_names)
    return meta


@lru_cache(maxsize=8)
def _synced(folder: str, signature: str, cache: str, province: str, root: str, forms: Forms) -> tuple[dict | None,
                                                                                        LoadResult | None]:
    """The folder's snapshot as it is now: its manifest (None when it cannot be written), and the loaded folder
    when it had to be parsed whole (then it is not read again). Once per process and signature."""
    base = snapshot_base(cache, folder)
    try:
        meta = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") == SNAPSHOT_FORMAT and meta["signature"] == signature:
            return meta, None
        updated = _update(base, meta, signature, province, root, folder, forms)
        if updated is not None:
            return updated, None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass  # no snapshot yet, or a damaged one: rebuild it
    result = load_appendices(folder, province=province, root=root, forms=forms)
    try:
        return store_snapshot(base, signature, result), result
    except OSError:
        return None, result  # a read-only checkout still works, just without the snapshot


@lru_cache(maxsize=8)
def _load_cached(folder: str, signature: str, cache: str, province: str, root: str, forms: Forms) -> LoadResult:
    """Load a folder once per process, and once across processes through the snapshot.

    When files changed, only they are parsed again (:func:`_update`); the snapshot is rebuilt whole when the
    catalog, the forms or the kit changes.
    """
    meta, result = _synced(folder, signature, cache, province, root, forms)
    if result is not None:
        return result
    try:
        return LoadResult(read_rows(snapshot_base(cache, folder), meta), _errors(meta), meta["skipped"])
    except (OSError, ValueError, KeyError):  # removed or damaged meanwhile: parsed again
        _synced.cache_clear()
        return load_appendices(folder, province=province, root=root, forms=forms)


class Snapshot(NamedTuple):
    """A data folder's snapshot, found but not yet read: ``signature`` (the JSON of everything the table depends
    on: every file's content, the catalog, the forms, the kit's code, the province) and ``base``, the path stem
    of its files in the cache. ``result`` loads it (once per process), ``columns`` reads some columns, ``rows``
    the rows of some reports."""

    folder: Path
    signature: str
    base: Path
    cache: str
    province: str
    root: str
    forms: Forms = KIT_FORMS  # the project's: what its files are read against

    def _synced(self) -> tuple[dict | None, LoadResult | None]:
        return _synced(str(self.folder), self.signature, self.cache, self.province, self.root, self.forms)

    @property
    def result(self) -> LoadResult:
        return _load_cached(str(self.folder), self.signature, self.cache, self.province, self.root, self.forms)

    def columns(self, names: list[str]) -> pd.DataFrame:
        """Only the columns ``names`` of the table (pyarrow reads nothing else), from the snapshot when it is the
        folder's as it is now, else from the loaded table."""
        meta, result = self._synced()
        if result is None and meta is not None:
            with suppress(OSError, ValueError, KeyError):
                return read_rows(self.base, meta, columns=names)
        return self.result.table[names]

    def rows(self, sources: set[str], columns: list[str] | None = None, ordered: bool = True) -> pd.DataFrame:
        """The rows of the reports ``sources`` (as the table names them), in the table's order (``ordered`` false:
        each report's rows together, the reports in any order), only ``columns``: only the chunks that hold them
        are read."""
        meta, result = self._synced()
        if result is None and meta is not None and not any(f[2] is None for f in meta["files"]):
            with suppress(OSError, ValueError, KeyError):
                want = [i for i, f in enumerate(meta["files"]) if f[4] in sources]
                return read_rows(self.base, meta, want, columns, ordered)
        table = self.result.table
        picked = table[table["source"].isin(sources)].reset_index(drop=True)
        return picked if columns is None else picked[columns]

    def positions(self) -> dict[str, int]:
        """Each report's place in the table (its file's in the folder's order), by source."""
        meta, result = self._synced()
        if result is None and meta is not None and not any(f[2] is None for f in meta["files"]):
            return {f[4]: i for i, f in enumerate(meta["files"]) if f[4] is not None}
        return {s: i for i, s in enumerate(self.result.table["source"].drop_duplicates())}

    def sources(self) -> dict[str, str | None]:
        """Each loaded file's ``source`` (as the table names it) and its SHA-256 (files that failed: none)."""
        meta, result = self._synced()
        if meta is not None and not any(f[2] is None for f in meta["files"]):
            return {f[4]: f[1] for f in meta["files"] if f[4] is not None}
        return {}


def open_snapshot(folder: Path, *, province: str, root: str | Path, cache: str | Path,
                  forms: Forms = KIT_FORMS) -> Snapshot:
    """A data folder's snapshot, its signature hashed now; nothing is parsed or read. ``province`` and ``root``:
    the project's (official units are resolved with its province, sources named relative to its root), ``cache``:
    where the snapshot is kept."""
    signature = json.dumps(_signature(folder, province, Path(root), forms))
    return Snapshot(folder, signature, snapshot_base(cache, folder), str(cache), province, str(root), forms)
