"""Load appendices into one tidy table aligned to the catalog.

``load_appendix(path)`` reads one file; ``load_appendices(paths_or_folder)``
reads many, returning the good ones and the failures side by side, so one
bad file never stops a batch.
"""

from __future__ import annotations

import math
import operator
import os
import sys
from collections.abc import Iterable, Iterator
from copy import copy
from functools import lru_cache, partial
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

import cchc_tools.ingest.readers.text as text_reader
from cchc_tools.catalog import SECTION_ORDER
from cchc_tools.errors import AppendixError, CchcError, LimitError
from cchc_tools.forms import KIT_FORMS, Forms
from cchc_tools.i18n import _
from cchc_tools.ingest.align import Plan, plan_of, rows_key
from cchc_tools.ingest.header import ReportMeta, is_cumulative, parse_title, unit_level, unit_slug
from cchc_tools.ingest.readers import READERS, read_raw
from cchc_tools.ingest.readers.base import RawRow, RawTable
from cchc_tools.ingest.readers.text import BodyCut
from cchc_tools.limits import MAX_ABS_VALUE, MAX_FILE_BYTES
from cchc_tools.numbers import parse_number, stored_number
from cchc_tools.paths import KIT_ROOT
from cchc_tools.units import distinct_slug_list, official_unit

COLUMNS = ["source", "sheet", "line", "unit", "unit_name", "level", "year", "period", "report_no",
           "report_date", "synthetic", "code", "section", "stt", "label", "uom", "raw_value",
           "value", "note",
           # what the file is (cchc_tools.forms, cchc_tools.units): appended, so positions above never move
           "form", "form_score", "unit_code", "province", "cumulative",
           # where a PDF row's value stands (0: not a PDF), and how the file was read (a legacy encoding
           # converted, a digital signature present), in the analyst's language
           "page", "reading"]

# Files that look like appendices but cannot be read: reported with advice, never skipped.
REJECTED_SUFFIXES = {".odt", ".rtf", ".csv", ".docm", ".xlsb"}


class LoadResult(NamedTuple):
    table: pd.DataFrame
    errors: list[AppendixError]
    skipped: list[str]


def source_name(path: str | Path, root: str | Path | None = None) -> str:
    """The path stored in ``source``: relative to the project ``root`` (default: the kit's repository)
    when inside it, POSIX style."""
    p = Path(path).resolve()
    try:
        return p.relative_to(Path(root).resolve() if root else KIT_ROOT).as_posix()
    except ValueError:
        return p.as_posix()


def empty_table() -> pd.DataFrame:
    return _types(pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}))


def _types(df: pd.DataFrame) -> pd.DataFrame:
    df["line"] = df["line"].astype("int64")
    df["year"] = df["year"].astype("Int64")
    df["value"] = df["value"].astype("float64")
    df["synthetic"] = df["synthetic"].astype("bool")
    df["form_score"] = df["form_score"].astype("float64")
    df["cumulative"] = df["cumulative"].astype("bool")
    df["page"] = df["page"].astype("int64")
    return df


def _check_complete(raw: RawTable, n_rows: int, last_section: int, last_line: int, last_page: int) -> None:
    """An AppendixError for a table with no rows, or one that stops before the last section (``last_section``: the
    index in SECTION_ORDER of the last section its rows reach, -1 for none; ``last_line`` and ``last_page``: where
    its last row is)."""
    if not n_rows:
        raise AppendixError(raw.path, _("the table has a header but no rows (truncated file?)"),
                            line=raw.header_line or None, expected=_("indicator rows under the header"))
    if last_section < 0:
        return
    if last_section < len(SECTION_ORDER) - 1:
        missing = ", ".join(SECTION_ORDER[last_section + 1:])
        raise AppendixError(raw.path, _("the table stops in section {last}: sections {missing} are missing "
                                        "(truncated file?)").format(last=SECTION_ORDER[last_section],
                                                                    missing=missing),
                            line=last_line, expected=_("sections I to VII"), page=last_page)


@lru_cache(maxsize=4096)
def _title_meta(title: tuple[str, ...]) -> ReportMeta:
    """The metadata of a title (copies of one appendix, a unit's reports of one template, share theirs)."""
    return parse_title(list(title))


def _meta(raw: RawTable, overrides: dict) -> ReportMeta:
    meta = copy(_title_meta(tuple(raw.title)))
    for key, val in overrides.items():
        if val is not None:
            setattr(meta, key, val)
    if overrides.get("unit_name") and not overrides.get("unit"):
        meta.unit = unit_slug(meta.unit_name)
    if overrides.get("unit_name") and not overrides.get("level"):
        meta.level = unit_level(meta.unit_name, meta.year) or meta.level
    if not meta.unit:
        meta.unit = unit_slug(Path(raw.path).stem)
    return meta


def _stored_value(raw_value: float | None) -> tuple[str, float]:
    """(text, value) of a cell the file stored as a number (Excel), or of an absent cell.

    A stored number that cannot be a figure (not finite, or beyond the limits of a written
    number) keeps its text and no value, so ``value_not_number`` reports it.
    """
    if raw_value is None:
        return "", math.nan
    v = float(raw_value)
    text = str(int(v)) if v.is_integer() and abs(v) < MAX_ABS_VALUE else repr(v)
    value = stored_number(v)
    return text, math.nan if value is None else value


class _Store:
    """The raw rows of a batch, field by field, the files' rows side by side: the rows of many text files cut
    together (:func:`~cchc_tools.ingest.readers.text.cut_together`), then those of files read alone. ``text`` is a
    cell's text, ``number`` the number a file stored (Excel; NaN: none) or None for a text cell, ``blank`` whether a
    row has neither a unit nor a value (what alignment asks). ``line`` and ``page`` are NumPy arrays once
    :meth:`finish` has joined their parts."""

    def __init__(self) -> None:
        self.line: np.ndarray = np.empty(0, np.int64)
        self.page: np.ndarray = np.empty(0, np.int64)
        self._lines: list[np.ndarray] = []
        self._pages: list[np.ndarray] = []
        self.stt: list[str] = []
        self.label: list[str] = []
        self.uom: list[str] = []
        self.note: list[str] = []
        self.text: list[str] = []
        self.number: list[float | None] = []
        self.code: list[str] = []
        self.blank: list[bool] = []
        self.stored = False  # some file stored numbers (``number`` is not all None)

    def __len__(self) -> int:
        return len(self.text)

    def add_cut(self, cut: BodyCut) -> int:
        """Add the rows of a cut of text files; returns where they start."""
        at, n = len(self), len(cut.value)
        self._lines.append(np.asarray(cut.line, dtype=np.int64))
        self._pages.append(np.zeros(n, np.int64))
        self.stt += cut.stt
        self.label += cut.label
        self.uom += cut.uom
        self.note += cut.note
        self.text += cut.value
        self.number += [None] * n
        self.code += [""] * n
        if "" in cut.uom:
            self.blank += (np.fromiter(map(operator.not_, cut.uom), bool, n)
                           & np.fromiter(map(operator.not_, cut.value), bool, n)).tolist()
        else:  # every row has a unit: none is blank
            self.blank += [False] * n
        return at

    def add_rows(self, rows: list[RawRow]) -> tuple[int, int]:
        """Add a file's rows (any reader's); returns where they start and stop."""
        at = len(self)
        if not rows:
            return at, at
        lines, pages, stts, labels, uoms, notes, cells, codes = zip(*map(_ROW_FIELDS, rows), strict=True)
        self._lines.append(np.array(lines, dtype=np.int64))
        self._pages.append(np.array(pages, dtype=np.int64))
        self.stt += stts
        self.label += labels
        self.uom += uoms
        self.note += notes
        self.code += codes
        self.blank += [not (u or v) for u, v in zip(uoms, cells, strict=True)]
        if all(type(v) is str for v in cells):  # text cells: the common case
            self.text += cells
            self.number += [None] * len(cells)
            return at, len(self)
        self.stored = True
        for v in cells:
            if isinstance(v, str):
                self.text.append(v)
                self.number.append(None)
            else:
                text, value = _stored_value(v)
                self.text.append(text)
                self.number.append(value)
        return at, len(self)

    def finish(self) -> None:
        """Join the parts of ``line`` and ``page`` (after the last file is added)."""
        if self._lines:
            self.line, self.page = np.concatenate(self._lines), np.concatenate(self._pages)
            self._lines, self._pages = [], []

    def key(self, start: int, stop: int, cut: bool) -> tuple:
        """What the plan of rows ``start:stop`` depends on (:func:`~cchc_tools.ingest.align.rows_key`); of rows cut
        from a text file (``cut``: no cell holds a tab, none a code), their cells joined with tabs, cheaper to make,
        hash and compare than a tuple a cell."""
        if not cut:
            return rows_key(self.stt[start:stop], self.label[start:stop], self.uom[start:stop],
                            self.code[start:stop], self.blank[start:stop])
        return ("\t", stop - start, "\t".join(self.stt[start:stop]), "\t".join(self.label[start:stop]),
                "\t".join(self.uom[start:stop]), bytes(self.blank[start:stop]))

    def rows(self, start: int, stop: int) -> list[RawRow]:
        """Rows ``start:stop`` as :class:`RawRow` (for a file whose alignment is not known yet)."""
        return [RawRow(int(self.line[i]), self.stt[i], self.label[i], self.uom[i],
                       self.text[i] if self.number[i] is None else self.number[i], self.note[i], self.code[i],
                       int(self.page[i])) for i in range(start, stop)]


_ROW_FIELDS = attrgetter("line", "page", "stt", "label", "uom", "note", "value", "code")


class _Part(NamedTuple):
    """One file read: its place in the batch, its table (title, header line, notes), where its rows are in the
    batch's :class:`_Store`, and the rows as read when it was read alone (None: cut with others)."""

    index: int
    table: RawTable
    start: int
    stop: int
    rows: list[RawRow] | None


class _Sources:
    """:func:`source_name` of the files of a batch, each folder resolved once (its parent's resolution and one
    ``lstat``); a file that is a symbolic link, or a system whose paths are not POSIX, the long way."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = root
        self.folders: dict[str, str] = {}
        base = str(Path(root).resolve() if root else KIT_ROOT)
        self.prefix = base if base.endswith("/") else base + "/"

    def __call__(self, path: str) -> str:
        head, name = os.path.split(path)
        if os.sep != "/" or name in ("", ".", "..") or os.path.islink(path):
            return source_name(path, self.root)
        full = self._folder(head or ".").rstrip("/") + "/" + name
        return full[len(self.prefix):] if full.startswith(self.prefix) else full

    def _folder(self, folder: str) -> str:
        """``os.path.realpath(folder)``, from the parent folder's when ``folder`` is not a symbolic link."""
        real = self.folders.get(folder)
        if real is None:
            parent, name = os.path.split(folder)
            if name in ("", ".", "..") or not parent or os.path.islink(folder):
                real = os.path.realpath(folder)
            else:
                real = os.path.join(self._folder(parent), name)
            self.folders[folder] = real
        return real


#: Columns of the tidy table constant within a file, and their dtypes when not text.
_PER_FILE = ("source", "sheet", "unit", "unit_name", "level", "year", "period", "report_no", "report_date",
             "synthetic", "form", "form_score", "unit_code", "province", "reading")


class _Batch:
    """The tidy table of a batch as it is built, a chunk of files at a time (:meth:`add`): of each file its constant
    columns and its plan's columns, of each chunk the rows its files keep (line, page, cell text and value, note).
    What only served to cut and align a chunk's files (their lines, their other cells) is let go with the chunk."""

    def __init__(self, overrides: dict, province: str, root: str | Path | None, forms: Forms) -> None:
        self.overrides, self.province, self.forms = overrides, province, forms
        self.per_file: dict[str, list] = {name: [] for name in _PER_FILE}
        self.counts: list[int] = []
        self.cumulative: list[bool] = []
        self.plans: list[_PlanColumns] = []
        self.rows: dict[str, list[np.ndarray]] = {"line": [], "page": [], "raw_value": [], "value": [], "note": []}
        self.candidates: dict[tuple, list] = {}
        self.kept: dict[int, _PlanColumns] = {}
        self.sources = _Sources(root)

    def add(self, store: _Store, parts: list[_Part], errors: list[tuple[int, AppendixError]]) -> None:
        """Add the files of ``parts`` (in their order), whose rows are in ``store``; a file whose rows cannot be an
        appendix adds its error to ``errors`` and nothing to the table."""
        picks = []
        for part in parts:
            raw, a, b = part.table, part.start, part.stop
            try:
                meta = _meta(raw, self.overrides)
                forms_of = self.candidates.get((meta.year, meta.level))
                if forms_of is None:
                    forms_of = self.candidates[(meta.year, meta.level)] = self.forms.candidates(meta.year, meta.level)
                plan = plan_of(store.key(a, b, part.rows is None), forms_of, self.forms,
                               partial(store.rows, a, b) if part.rows is None else part.rows.copy)
                _check_complete(raw, b - a, plan.last_section, int(store.line[b - 1]) if b > a else 0,
                                int(store.page[b - 1]) if b > a else 0)
                official = official_unit(meta, folder=Path(raw.path).parent.name, setting=self.province)
            except AppendixError as exc:
                errors.append((part.index, exc))
                continue
            columns = self.kept.get(id(plan))
            if columns is None or columns.plan is not plan:
                columns = self.kept[id(plan)] = _PlanColumns.of(plan, store, a)
            if not len(plan.positions):
                continue
            self.counts.append(len(plan.positions))
            picks.append(plan.positions + a)
            self.plans.append(columns)
            self.cumulative.append(meta.cumulative)
            for name, value in (("source", self.sources(raw.path)), ("sheet", raw.sheet), ("unit", meta.unit),
                                ("unit_name", meta.unit_name), ("level", meta.level), ("year", meta.year),
                                ("period", meta.period), ("report_no", meta.report_no),
                                ("report_date", meta.report_date), ("synthetic", meta.synthetic),
                                ("form", plan.form), ("form_score", plan.score), ("unit_code", official.code),
                                ("province", official.province), ("reading", "; ".join(raw.notes))):
                self.per_file[name].append(value)
        if not picks:
            return
        pick = np.concatenate(picks)
        texts = _objects(store.text)[pick]
        if store.stored:
            parse = parse_number  # as read row by row before: a text cell of a workbook is not cached
            values = np.array([(parse(t) if t else None) if n is None else n
                               for t, n in zip(texts.tolist(), _objects(store.number)[pick].tolist(), strict=True)],
                              dtype="float64")
        else:
            values = np.array(list(map(_cached(parse_number), texts.tolist())), dtype="float64")  # None: NaN
        for name, column in (("line", store.line[pick]), ("page", store.page[pick]), ("raw_value", texts),
                             ("value", values), ("note", _objects(store.note)[pick])):
            self.rows[name].append(column)

    def frame(self, slugs: bool) -> pd.DataFrame | None:
        """The tidy table (None when no file gave a row). ``slugs``: two units of one name get distinct slugs
        (:func:`~cchc_tools.units.distinct_slug_list`)."""
        if not self.counts:
            return None
        per_file = self.per_file
        if slugs:  # per file, not per row: the same renaming, on the columns of one row a file
            per_file["unit"] = distinct_slug_list(per_file["unit"], per_file["unit_code"], per_file["year"],
                                                  per_file["period"])
        return _frame(per_file, np.array(self.counts, dtype=np.int64), self.rows, self.plans, self.cumulative)


class _PlanColumns(NamedTuple):
    """The columns a plan fixes (files of one plan share their THỨ TỰ, labels and units; labels and units interned, so
    that the batch holds each once), and whether each label says its figures are cumulative."""

    plan: Plan
    stt: tuple[str, ...]
    label: tuple[str, ...]
    uom: tuple[str, ...]
    cumulative: np.ndarray

    @classmethod
    def of(cls, plan: Plan, store: _Store, start: int) -> _PlanColumns:
        at = (plan.positions + start).tolist()
        labels = tuple(sys.intern(store.label[i]) for i in at)
        return cls(plan, tuple(store.stt[i] for i in at), labels, tuple(sys.intern(store.uom[i]) for i in at),
                   np.fromiter(map(_cached(is_cumulative), labels), bool, len(labels)))


def _objects(values: list) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _frame(per_file: dict[str, list], counts: np.ndarray, rows: dict[str, list[np.ndarray]],
           plans: list[_PlanColumns], cumulative: list[bool]) -> pd.DataFrame:
    """The tidy table: each file's constant columns repeated over its rows (``counts``), the columns its plan fixes,
    and the columns of the rows (chunks of arrays). Text columns hold plain Python strings (object dtype): building
    Arrow strings costs three times as much for a batch and buys nothing here."""
    data: dict[str, object] = {}
    for name in _PER_FILE:
        values = per_file[name]
        if name in ("synthetic", "form_score"):
            data[name] = np.repeat(np.array(values, dtype=bool if name == "synthetic" else "float64"), counts)
        elif name == "year":
            known = np.array([y is not None for y in values], dtype=bool)
            years = np.array([y if y is not None else 0 for y in values], dtype=np.int64)
            data[name] = pd.arrays.IntegerArray(np.repeat(years, counts), ~np.repeat(known, counts))
        else:
            data[name] = np.repeat(_objects(values), counts)
    for name, chunks in rows.items():
        data[name] = np.concatenate(chunks)
    data.update({
        "code": _objects(list(chain.from_iterable(p.plan.codes for p in plans))),
        "section": _objects(list(chain.from_iterable(p.plan.sections for p in plans))),
        "stt": _objects(list(chain.from_iterable(p.stt for p in plans))),
        "label": _objects(list(chain.from_iterable(p.label for p in plans))),
        "uom": _objects(list(chain.from_iterable(p.uom for p in plans))),
        "cumulative": (np.repeat(np.array(cumulative, dtype=bool), counts)
                       | np.concatenate([p.cumulative for p in plans])),
    })
    frame = pd.DataFrame({name: (pd.Series(data[name], dtype=object, copy=False)
                                 if isinstance(data[name], np.ndarray) and data[name].dtype == object
                                 else data[name]) for name in COLUMNS}, copy=False)
    return _types(frame)


@lru_cache(maxsize=4)
def _cached(fn):
    """``fn`` (a pure function of one text) asked once per distinct text: files made from one template repeat their
    labels and many cells. Looked up by the function, so a reader put in place of ``parse_number`` is used."""
    return lru_cache(maxsize=65536)(fn)


def _check_file(path: Path) -> None:
    """An AppendixError for a file of a kind that cannot be read, a missing or too large file."""
    suffix = path.suffix.lower()
    if suffix in REJECTED_SUFFIXES:
        advice = {".csv": _("the table exported as tab-separated text (.txt) or .xlsx")}
        raise AppendixError(path, _("{suffix} files cannot be read").format(suffix=suffix),
                            expected=advice.get(suffix, _("a .txt, .docx, .xlsx, .pdf, .doc, .xls or .ods file")))
    if not path.is_file():
        raise AppendixError(path, _("no such file"), expected=_("an existing appendix file"))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LimitError(path, _("a file of {mib} MiB").format(mib=size // 2**20), "MAX_FILE_BYTES",
                         MAX_FILE_BYTES)


def _unreadable(path: Path, exc: Exception) -> AppendixError:
    """The error of a library's own exception on a corrupt file."""
    return AppendixError(path, _("cannot be read: {reason}").format(reason=f"{type(exc).__name__}: {exc}"),
                         expected=_("an intact appendix file"))


def read_appendix_file(path: Path, forms: Forms | None = None) -> RawTable:
    """The raw rows of one appendix file, or :class:`AppendixError` naming the file and what was expected (a kind
    of file that cannot be read, a missing or too large file, a library's error on a corrupt one). ``forms``: the
    forms it may be written in (a project's; default: the kit's), for a reader that asks them (:func:`read_raw`)."""
    _check_file(path)
    try:
        return read_raw(path, forms)
    except CchcError:
        raise
    except Exception as exc:  # a library's own error on a corrupt file
        raise _unreadable(path, exc) from exc


def _read_head(path: Path) -> text_reader.TextHead:
    """A text file read down to its header line, with the errors of :func:`read_appendix_file`."""
    _check_file(path)
    try:
        return text_reader.read_head(path)
    except CchcError:
        raise
    except Exception as exc:  # noqa: BLE001 - as read_appendix_file
        raise _unreadable(path, exc) from exc


def _cut_with_others(path: Path) -> bool:
    """Whether a file is read by the kit's text reader, whose rows are cut together with other files'."""
    return READERS.get(path.suffix.lower(), text_reader.read_text) is text_reader.read_text


#: Files read, cut and aligned together before their lines are let go: the work of a batch is done in one pass over
#: each chunk's lines, and a batch of thousands of files never holds all their lines at once.
CHUNK_FILES = 256


def _load(files: list[Path], overrides: dict, province: str, root: str | Path | None, forms: Forms,
          slugs: bool) -> tuple[pd.DataFrame | None, list[AppendixError]]:
    """The tidy table of ``files`` (None when none gave a row) and the errors of those that could not be read, in
    the order of the files.

    A chunk of files at a time (:data:`CHUNK_FILES`): text files are read down to their header line one by one, then
    the rows of all of them are cut together in one pass (a file that pass cannot prove regular is cut alone, as the
    reference reader cuts it); files of other formats are read by their reader. Each file is then aligned and its
    rows kept column by column; the tidy table is built once for the batch.
    """
    errors: list[tuple[int, AppendixError]] = []
    batch = _Batch(overrides, province, root, forms)
    for first in range(0, len(files), CHUNK_FILES):
        store, parts = _read_chunk(files[first:first + CHUNK_FILES], first, errors, forms)
        batch.add(store, parts, errors)
    errors.sort(key=lambda e: e[0])
    return batch.frame(slugs), [exc for _, exc in errors]


def _read_chunk(files: list[Path], first: int, errors: list[tuple[int, AppendixError]],
                forms: Forms) -> tuple[_Store, list[_Part]]:
    """The rows of ``files`` (the ``first``-th of the batch and those after it) in one store, and each file's part
    of it in the files' order; a file that cannot be read adds its error to ``errors``. ``forms``: the project's."""
    heads: list[tuple[int, text_reader.TextHead]] = []
    alone: list[tuple[int, RawTable]] = []
    for i, f in enumerate(files, first):
        try:
            if _cut_with_others(f):
                heads.append((i, _read_head(f)))
            else:
                alone.append((i, read_appendix_file(f, forms)))
        except AppendixError as exc:
            errors.append((i, exc))
    store = _Store()
    parts: list[_Part] = []
    cut = text_reader.cut_together([h for _, h in heads])
    at = store.add_cut(cut)
    left = set(cut.alone)
    for k, (i, head) in enumerate(heads):
        if k in left:  # a file the pass could not prove regular (a limit, ...): cut alone
            try:
                alone.append((i, text_reader.rows_alone(head)))
            except AppendixError as exc:
                errors.append((i, exc))
        else:
            parts.append(_Part(i, head.table, at + cut.start[k], at + cut.stop[k], None))
    for i, table in alone:
        start, stop = store.add_rows(table.rows)
        parts.append(_Part(i, table, start, stop, table.rows))
    parts.sort(key=attrgetter("index"))
    store.finish()
    return store, parts


def load_appendix(path: str | Path, *, unit: str | None = None, unit_name: str | None = None,
                  level: str | None = None, year: int | None = None,
                  period: str | None = None, province: str = "", root: str | Path | None = None,
                  forms: Forms | None = None) -> pd.DataFrame:
    """One appendix as a tidy DataFrame, one row per indicator row of the file.

    Unit, level, year and period come from the file's title lines; the keyword arguments override
    them. ``province``: the project's, for official units whose title does not name theirs;
    ``root``: the project folder ``source`` is relative to; ``forms``: the forms the file may be written in
    (the project's, ``Project.forms``; default: the kit's). Raises :class:`AppendixError` when the
    file cannot be read as an appendix.
    """
    overrides = dict(unit=unit, unit_name=unit_name, level=level, year=year, period=period)
    table, errors = _load([Path(path)], overrides, province, root, forms or KIT_FORMS, slugs=False)
    if errors:
        raise errors[0]
    return empty_table() if table is None else table


def _walk_sorted(folder: str) -> Iterator[os.DirEntry]:
    """Every entry under *folder* but hidden ones (and what hidden folders hold), in the order of
    ``sorted(Path(folder).rglob("*"))`` (names compared part by part, a folder just before what it holds),
    not descending into linked folders, as ``rglob`` does not. One ``scandir`` per folder and no ``Path``
    objects: at 13,200 files this is several times faster than sorting the paths of ``rglob``."""
    with os.scandir(folder) as it:
        entries = sorted((e for e in it if not e.name.startswith(".")), key=attrgetter("name"))
    for e in entries:
        yield e
        if e.is_dir(follow_symlinks=False):
            yield from _walk_sorted(e.path)


def find_files(paths: str | Path | Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Appendix files under the given files and folders, and the files passed over (hidden files and
    folders are neither), each folder's in the order of its sorted paths."""
    files, skipped = find_paths(paths)
    return [Path(f) for f in files], skipped


def find_paths(paths: str | Path | Iterable[str | Path]) -> tuple[list[str], list[str]]:
    """:func:`find_files`, each file as the text of its path (``str(Path(...))``), no ``Path`` made per file."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[str] = []
    skipped: list[str] = []
    for p in map(Path, paths):
        if not p.is_dir():
            files.append(str(p))
            continue
        top = str(p)
        plain = top not in (".", "")  # a folder's entries are then named as ``Path`` names them ("./a" is "a")
        for e in _walk_sorted(top):
            if not e.is_file():
                continue
            name = e.name
            suffix = os.path.splitext(name)[1].lower()
            if suffix in READERS or suffix in REJECTED_SUFFIXES:  # READERS: the formats of ingest/readers
                if name.startswith("~$"):  # Office lock file
                    skipped.append(e.path)
                    continue
                files.append(e.path if plain else str(Path(e.path)))
            else:
                skipped.append(e.path)
    return files, skipped


def load_appendices(paths_or_folder: str | Path | Iterable[str | Path], *, province: str = "",
                    root: str | Path | None = None, forms: Forms | None = None, **overrides) -> LoadResult:
    """Every appendix under the given files or folders, as one table (``province``, ``root`` and ``forms`` as
    for :func:`load_appendix`: a project's).

    Returns ``(table, errors, skipped)``: the rows of every file that loaded,
    one :class:`AppendixError` per file that did not, and the files in the
    folders that are not appendices (README.md, ...).
    """
    files, skipped = find_files(paths_or_folder)
    table, errors = _load(files, overrides, province, root, forms or KIT_FORMS, slugs=True)
    return LoadResult(empty_table() if table is None else table, errors, skipped)
