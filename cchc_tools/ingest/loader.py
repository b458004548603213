"""Load appendices into one tidy table aligned to the catalog.

``load_appendix(path)`` reads one file; ``load_appendices(paths_or_folder)``
reads many, returning the good ones and the failures side by side, so one
bad file never stops a batch.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from cchc_tools.catalog import SECTION_ORDER
from cchc_tools.errors import AppendixError, CchcError, LimitError
from cchc_tools.forms import KIT_FORMS, Forms
from cchc_tools.i18n import _
from cchc_tools.ingest.align import align
from cchc_tools.ingest.header import ReportMeta, is_cumulative, parse_title, unit_level, unit_slug
from cchc_tools.ingest.readers import READERS, read_raw
from cchc_tools.ingest.readers.base import RawTable
from cchc_tools.limits import MAX_ABS_VALUE, MAX_FILE_BYTES
from cchc_tools.numbers import parse_number, stored_number
from cchc_tools.paths import KIT_ROOT
from cchc_tools.units import distinct_slugs, official_unit

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


def _frame(cols: dict[str, list]) -> pd.DataFrame:
    """The tidy table from column chunks (one list or array per file, :func:`_add_columns`), joined once per
    column. Text columns hold plain Python strings (object dtype): building Arrow strings costs three times as
    much for a batch and buys nothing here."""
    data = {}
    for name in COLUMNS:
        chunks = cols[name]
        if name in _NUMERIC:
            data[name] = np.concatenate(chunks) if chunks else np.empty(0, dtype=_NUMERIC[name])
        else:
            whole = list(chain.from_iterable(chunks))
            arr = np.empty(len(whole), dtype=object)
            arr[:] = whole
            data[name] = pd.Series(arr, dtype=object, copy=False)  # object, not the inferred string dtype
    cols.clear()
    return _types(pd.DataFrame(data, copy=False))


def _check_complete(raw: RawTable, sections: list[str]) -> None:
    if not raw.rows:
        raise AppendixError(raw.path, _("the table has a header but no rows (truncated file?)"),
                            line=raw.header_line or None, expected=_("indicator rows under the header"))
    if not sections:
        return
    last = max(SECTION_ORDER.index(s) for s in sections)
    if last < len(SECTION_ORDER) - 1:
        missing = ", ".join(SECTION_ORDER[last + 1:])
        raise AppendixError(raw.path, _("the table stops in section {last}: sections {missing} are missing "
                                        "(truncated file?)").format(last=SECTION_ORDER[last], missing=missing),
                            line=raw.rows[-1].line, expected=_("sections I to VII"), page=raw.rows[-1].page)


def _meta(raw: RawTable, overrides: dict) -> ReportMeta:
    meta = parse_title(raw.title)
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


def _add_columns(raw: RawTable, overrides: dict, cols: dict[str, list], province: str = "",
                 root: str | Path | None = None, forms: Forms = KIT_FORMS) -> None:
    """Append one file's rows to ``cols`` (per name in COLUMNS, a list of chunks: one list or array per file,
    joined once by :func:`_frame`).

    Column-wise and in bulk (the rows' fields taken by ``attrgetter``, numbers parsed through a cache), so that a
    batch of thousands of files never holds a tuple per row nor runs Python per cell; labels and units are
    interned, so that files made from one template share those strings.
    """
    meta = _meta(raw, overrides)
    fitted = align(raw.rows, forms.candidates(meta.year, meta.level), forms)
    rows, secs, codes, _scores = map(list, zip(*fitted.rows, strict=True)) if fitted.rows else ([], [], [], [])
    sections = sorted(set(secs) - {"", None}, key=SECTION_ORDER.index)
    _check_complete(raw, sections)
    n = len(rows)
    official = official_unit(meta, folder=Path(raw.path).parent.name, setting=province)
    constant = {"source": source_name(raw.path, root), "sheet": raw.sheet, "unit": meta.unit,
                "unit_name": meta.unit_name, "level": meta.level, "year": meta.year, "period": meta.period,
                "report_no": meta.report_no,
                "report_date": meta.report_date, "synthetic": meta.synthetic, "form": fitted.form,
                "form_score": fitted.score, "unit_code": official.code, "province": official.province,
                "reading": "; ".join(raw.notes)}
    for name, value in constant.items():
        cols[name].append([value] * n)
    lines, pages, stts, labels, uoms, notes, cells = (zip(*map(_ROW_FIELDS, rows), strict=True) if rows
                                                      else ((),) * 7)
    labels = list(map(sys.intern, labels))
    cols["cumulative"].append([True] * n if meta.cumulative else list(map(_cached(is_cumulative), labels)))
    if all(type(v) is str for v in cells):  # text cells: the common case
        texts = list(cells)
        values = np.array(list(map(_cached(parse_number), texts)), dtype="float64")  # None (blank, not a number): NaN
    else:
        texts, values = [], []
        for v in cells:
            if isinstance(v, str):
                num = parse_number(v) if v else None
                texts.append(v)
                values.append(math.nan if num is None else num)
            else:
                text, value = _stored_value(v)
                texts.append(text)
                values.append(value)
        values = np.array(values, dtype="float64")
    cols["line"].append(np.array(lines, dtype="int64"))
    cols["page"].append(np.array(pages, dtype="int64"))
    cols["code"].append(codes)
    cols["section"].append(secs)
    cols["stt"].append(list(stts))
    cols["label"].append(labels)
    cols["uom"].append(list(map(sys.intern, uoms)))
    cols["raw_value"].append(texts)
    cols["value"].append(values)
    cols["note"].append(list(notes))


#: Columns built as NumPy arrays per file (concatenated, not gathered into lists), and their dtypes.
_NUMERIC = {"line": "int64", "page": "int64", "value": "float64"}
_ROW_FIELDS = attrgetter("line", "page", "stt", "label", "uom", "note", "value")


@lru_cache(maxsize=4)
def _cached(fn):
    """``fn`` (a pure function of one text) asked once per distinct text: files made from one template repeat their
    labels and many cells. Looked up by the function, so a reader put in place of ``parse_number`` is used."""
    return lru_cache(maxsize=65536)(fn)


def _new_columns() -> dict[str, list]:
    return {name: [] for name in COLUMNS}


def read_appendix_file(path: Path) -> RawTable:
    """The raw rows of one appendix file, or :class:`AppendixError` naming the file and what was expected (a kind
    of file that cannot be read, a missing or too large file, a library's error on a corrupt one)."""
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
    try:
        return read_raw(path)
    except CchcError:
        raise
    except Exception as exc:  # a library's own error on a corrupt file
        raise AppendixError(path, _("cannot be read: {reason}").format(reason=f"{type(exc).__name__}: {exc}"),
                            expected=_("an intact appendix file")) from exc


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
    cols = _new_columns()
    _add_columns(read_appendix_file(Path(path)), overrides, cols, province, root, forms or KIT_FORMS)
    return _frame(cols)


def find_files(paths: str | Path | Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Appendix files under the given files and folders, and the files passed over."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    skipped: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                suffix = f.suffix.lower()
                if suffix in READERS or suffix in REJECTED_SUFFIXES:  # READERS: the formats of ingest/readers
                    if f.name.startswith("~$"):  # Office lock file
                        skipped.append(str(f))
                        continue
                    files.append(f)
                else:
                    skipped.append(str(f))
        else:
            files.append(p)
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
    cols = _new_columns()
    errors: list[AppendixError] = []
    for f in files:
        part = _new_columns()  # a file that fails half-way adds nothing
        try:
            _add_columns(read_appendix_file(f), overrides, part, province, root, forms or KIT_FORMS)
        except AppendixError as exc:
            errors.append(exc)
            continue
        for name in COLUMNS:
            cols[name] += part[name]
    if not any(cols["source"]):
        return LoadResult(empty_table(), errors, skipped)
    return LoadResult(distinct_slugs(_frame(cols)), errors, skipped)  # two units of one name never share a slug
