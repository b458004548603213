"""Appendix forms: which rows a form prints, in which order, with which catalog code.

The catalog (``data/catalog.csv``) holds one entry per indicator code. A *form* is
one printed appendix template: a CSV file listing its rows in order, each with the
THỨ TỰ and the label as that form prints them and the code of the catalog entry it
asks for. Rows that mean the same on two forms share a code; a row new in a form has
a new code. Comment lines at the top say what the form is and when it applies::

    # form: district-2023
    # title: ...
    # levels: district
    # years: 2023-2025        (first-last; "2025-" is open-ended)
    # derived_from: ...       (or "# source: ..." for a form read from a real file)
    stt,label,uom,code
    I,Công tác chỉ đạo điều hành CCHC,,I
    1,Tỷ lệ hoàn thành Kế hoạch CCHC năm (Lũy kế đến thời điểm báo cáo),%,I.plan_completion_pct

A section heading row has the section (``I`` ... ``VII``) as its code. The kit ships
its forms in ``cchc_tools/data/forms``; a project adds or replaces forms by putting
files in ``<project>/forms`` (``cchc form derive`` writes a draft there). Extra
columns (``similarity``, ``status``, ``kind``...) of a draft are kept for review and
ignored by the loader.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from cchc_tools import catalog
from cchc_tools.catalog import SECTION_ORDER, Entry, read_catalog
from cchc_tools.errors import FormFileError
from cchc_tools.limits import MAX_CELL_CHARS, MAX_PROJECT_FILE_BYTES, MAX_ROWS, shorten
from cchc_tools.paths import CATALOG_CSV, PACKAGE_DATA
from cchc_tools.text import clean, label_key

PACKAGE_FORMS = PACKAGE_DATA / "forms"
FORM_COLUMNS = ["stt", "label", "uom", "code"]
LEVELS = ("province", "department", "district", "commune")


@dataclass(frozen=True, slots=True)
class FormRow:
    stt: str
    label: str
    uom: str
    code: str
    section: str = field(init=False, compare=False)  # "VII" of "VII.iso", or the heading's own section

    def __post_init__(self) -> None:
        object.__setattr__(self, "section", self.code.split(".")[0])

    @property
    def is_heading(self) -> bool:
        return self.code in SECTION_ORDER

    @property
    def key(self) -> str:
        return label_key(self.label)


@dataclass(frozen=True)
class Form:
    name: str
    title: str = ""
    levels: tuple[str, ...] = ()
    first_year: int | None = None
    last_year: int | None = None
    source: str = ""
    derived_from: str = ""
    rows: tuple[FormRow, ...] = ()
    path: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @cached_property
    def identity(self) -> tuple[str, str, int]:
        """What an alignment against this form depends on (a level's view of a form is another)."""
        return self.name, self.path, hash(tuple(r.code for r in self.rows))

    @cached_property
    def indicator_rows(self) -> tuple[FormRow, ...]:
        return tuple(r for r in self.rows if not r.is_heading)

    @cached_property
    def codes(self) -> list[str]:
        return [r.code for r in self.indicator_rows]

    @cached_property
    def _sections(self) -> dict[str, tuple[FormRow, ...]]:
        out: dict[str, list[FormRow]] = {s: [] for s in SECTION_ORDER}
        for r in self.indicator_rows:
            out[r.section].append(r)
        return {s: tuple(rows) for s, rows in out.items()}

    def by_section(self) -> dict[str, list[FormRow]]:
        return {s: list(rows) for s, rows in self._sections.items()}

    def valid_in(self, year: int | None) -> bool:
        if year is None:
            return True
        return (self.first_year is None or year >= self.first_year) and (self.last_year is None
                                                                          or year <= self.last_year)

    def valid_for(self, year: int | None, level: str) -> bool:
        return self.valid_in(year) and (not level or not self.levels or level in self.levels)

    def years_text(self) -> str:
        return f"{self.first_year or ''}-{self.last_year or ''}"


def _years(text: str) -> tuple[int | None, int | None]:
    first, _, last = text.partition("-")
    first, last = first.strip(), last.strip()
    if not _:
        last = first
    return (int(first) if first else None), (int(last) if last else None)


_YEARS = re.compile(r"(\d{4})?\s*(-)?\s*(\d{4})?")
FIRST_YEAR, LAST_YEAR = 1990, 2100


def _check_years(text: str, where: str, line: int | None) -> None:
    m = _YEARS.fullmatch(text.strip())
    first, last = (m.group(1), m.group(3)) if m else (None, None)
    ok = m is not None and (bool(first) or bool(last) or not text.strip())
    ok = ok and all(FIRST_YEAR <= int(y) <= LAST_YEAR for y in (first, last) if y)
    if not ok or (first and last and int(first) > int(last)):
        raise FormFileError(where, f"'# years: {shorten(text)}' is not a span of years from {FIRST_YEAR} to "
                                   f"{LAST_YEAR}, e.g. 2023-2025, or 2025- for a form still in use", line=line)


def parse_form(text: str, path: str = "", name: str = "") -> Form:
    """A form from the text of its CSV file (comment lines first); a file that is not one (its columns, its
    years, its levels) raises :class:`~cchc_tools.errors.FormFileError` naming the file and the line."""
    return _parse(text, path, name)[0]


def _parse(text: str, path: str, name: str) -> tuple[Form, list[int]]:
    """The form, and the line of the file each of its rows was read from."""
    where = path or name
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    body: list[str] = []
    body_lines: list[int] = []  # the file's line of each line of the body
    for n, line in enumerate(text.splitlines(), 1):
        if not body and line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip().lower()] = value.strip()
            meta_lines[key.strip().lower()] = n
        elif line.strip():
            body.append(line)
            body_lines.append(n)
    reader = csv.DictReader(io.StringIO("\n".join(body)))
    try:
        fields = reader.fieldnames or []
    except csv.Error as exc:
        raise FormFileError(where, f"is not a CSV file ({exc})", line=body_lines[0] if body_lines else None) from None
    missing = [c for c in FORM_COLUMNS if c not in fields]
    if missing:
        raise FormFileError(where, f"a form file needs the columns {', '.join(FORM_COLUMNS)} on its first line after "
                                   f"the '# ...' comments; missing {', '.join(missing)} (found: "
                                   f"{shorten(', '.join(str(f) for f in fields)) or 'nothing'})",
                            line=body_lines[0] if body_lines else None)
    _check_years(meta.get("years", ""), where, meta_lines.get("years"))
    levels = tuple(x.strip() for x in meta.get("levels", "").replace(",", ";").split(";") if x.strip())
    unknown = next((x for x in levels if x not in LEVELS), None)
    if unknown is not None:
        raise FormFileError(where, f"level {shorten(unknown)!r} is not one of {', '.join(LEVELS)}",
                            line=meta_lines.get("levels"))
    rows, row_lines = [], []
    try:
        for r in reader:
            line = body_lines[min(reader.line_num, len(body_lines)) - 1]
            if len(rows) >= MAX_ROWS:
                raise FormFileError(where, f"more than the limit MAX_ROWS = {MAX_ROWS} rows", line=line)
            cells = [r.get(c) or "" for c in FORM_COLUMNS]
            if any(len(c) > MAX_CELL_CHARS for c in cells):
                raise FormFileError(where, f"a cell of more than the limit MAX_CELL_CHARS = {MAX_CELL_CHARS} "
                                           "characters", line=line)
            rows.append(FormRow(*(clean(c) for c in cells)))
            row_lines.append(line)
    except csv.Error as exc:
        raise FormFileError(where, f"is not a CSV file ({exc})", line=body_lines[-1] if body_lines else None) from None
    first, last = _years(meta.get("years", ""))
    return Form(name=meta.get("form") or name, title=meta.get("title", ""), levels=levels, first_year=first,
                last_year=last, source=meta.get("source", ""), derived_from=meta.get("derived_from", ""),
                rows=tuple(rows), path=path, extra=meta), row_lines


def read_form_text(path: str | Path) -> str:
    """The text of a form file: UTF-8, with or without the byte-order mark Excel writes ("CSV UTF-8");
    a folder, a file too large, UTF-16 or another encoding raise :class:`FormFileError`."""
    path = Path(path)
    if not path.is_file():
        raise FormFileError(path, "is a folder, not a form file (a form file is a .csv file)" if path.is_dir()
                            else "is not a file")
    size = path.stat().st_size
    if size > MAX_PROJECT_FILE_BYTES:
        raise FormFileError(path, f"is {size:,} bytes, more than the limit MAX_PROJECT_FILE_BYTES = "
                                  f"{MAX_PROJECT_FILE_BYTES:,}")
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FormFileError(path, "is UTF-16 text (Excel's 'Unicode text'); save it as 'CSV UTF-8'", line=1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormFileError(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}; another encoding such as "
                                  "Windows-1258 or TCVN3?): save it as 'CSV UTF-8'", line=line) from None


def read_form_file(path: str | Path) -> Form:
    """The form of one file, read as the loader reads it."""
    path = Path(path)
    return parse_form(read_form_text(path), path=str(path), name=path.stem)


@lru_cache(maxsize=1)
def _catalog_codes() -> frozenset[str]:
    return frozenset(e.code for e in read_catalog(CATALOG_CSV))


def check_form_folder(folder: str | Path) -> list[Form]:
    """Every ``*.csv`` of a project's forms folder read and checked: its encoding, columns, years and levels,
    and each row's code a section, a code of the catalog or a new code a draft of the folder proposes
    (``status`` new). The first problem raises :class:`FormFileError` naming the file, the line and the code."""
    folder = Path(folder)
    forms: list[tuple[Form, list[int]]] = []
    new: set[str] = set()
    for p in sorted(folder.glob("*.csv")):
        forms.append(_parse(read_form_text(p), str(p), p.stem))
        if "status" in _draft_columns(p):
            new |= _new_codes(p)
    known = _catalog_codes() | set(SECTION_ORDER) | new
    for form, lines in forms:
        for i, r in enumerate(form.rows):
            if r.code not in known:
                close = difflib.get_close_matches(r.code, sorted(known), n=1, cutoff=0.8) if len(r.code) < 100 else []
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                what = f"code {shorten(r.code)!r}" if r.code else "no code"
                raise FormFileError(form.path, f"row {shorten(r.stt)!r} {shorten(r.label, 40)!r}: {what} is not a "
                                               f"section (I ... VII) nor a code of the catalog{hint}; a new row "
                                               "has status 'new' (cchc form derive writes it)", line=lines[i])
    return [f for f, _ in forms]


def _draft_columns(path: Path) -> list[str]:
    body = [ln for ln in read_form_text(path).splitlines() if ln.strip() and not ln.startswith("#")]
    return next(csv.reader(body[:1]), []) if body else []


def _new_codes(path: Path) -> set[str]:
    body = [ln for ln in read_form_text(path).splitlines() if ln.strip() and not ln.startswith("#")]
    return {clean(r.get("code")) for r in csv.DictReader(body) if r.get("status") == "new" and clean(r.get("code"))}


def form_text(form: Form, extra_columns: dict[str, list] | None = None) -> str:
    """The CSV text of a form file (the inverse of :func:`parse_form`)."""
    buf = io.StringIO()
    buf.write(f"# form: {form.name}\n# title: {form.title}\n# levels: {';'.join(form.levels)}\n"
              f"# years: {form.years_text()}\n")
    if form.source:
        buf.write(f"# source: {form.source}\n")
    if form.derived_from:
        buf.write(f"# derived_from: {form.derived_from}\n")
    extra_columns = extra_columns or {}
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FORM_COLUMNS + list(extra_columns))
    for i, r in enumerate(form.rows):
        w.writerow([r.stt, r.label, r.uom, r.code] + [col[i] for col in extra_columns.values()])
    return buf.getvalue()


def _stamp(folder: Path) -> tuple[str, int]:
    try:
        return str(folder), folder.stat().st_mtime_ns
    except OSError:
        return str(folder), 0


@lru_cache(maxsize=8)
def _load(folders: tuple[tuple[str, int], ...]) -> dict[str, Form]:
    found: dict[str, Path] = {}
    for folder, mtime in folders:
        if mtime:
            for p in sorted(Path(folder).glob("*.csv")):
                found[p.stem] = p  # a project form replaces the kit's form of the same name
    out = {}
    for path in found.values():
        form = read_form_file(path)
        out[form.name] = form
    return out


@dataclass(frozen=True)
class Forms:
    """The forms appendices are read against: the kit's (``cchc_tools/data/forms``) and, adding to them or
    replacing those of the same name, the files of a project's forms folder (``folder``; None: the kit's alone).
    Also the catalog as those forms extend it (the ``status = new`` rows of a draft, :func:`catalog.entries`).

    A value, not a setting: a project holds its own (``Project.forms``) and passes it to what loads, aligns and
    checks its files, so two projects in one process each read their own forms. Files are re-read when a form
    file is added, removed or replaced (written whole, as ``cchc form derive`` and editors do)."""

    folder: Path | None = None

    def _folders(self) -> tuple[tuple[str, int], ...]:
        return (_stamp(PACKAGE_FORMS),) + ((_stamp(Path(self.folder)),) if self.folder is not None else ())

    def all(self) -> dict[str, Form]:
        """Every form by name: the kit's, then the project's."""
        return _load(self._folders())

    def get(self, name: str) -> Form:
        forms = self.all()
        if name not in forms:
            raise KeyError(f"no form named {name!r}; known forms: {', '.join(sorted(forms))}")
        return forms[name]

    def entries(self) -> tuple[Entry, ...]:
        """The catalog's entries, then the new codes this folder's drafts propose."""
        return catalog.entries(self.folder)

    def by_code(self) -> dict[str, Entry]:
        return catalog.by_code(self.folder)

    def candidates(self, year: int | None, level: str) -> list[Form]:
        """The forms a file of this year and level may be written in, most specific first.

        Forms valid for the year and the level; else for the year (a level with no form
        of its own, e.g. a commune before 2025, is read against the form of its time);
        else for the level; else every form.
        """
        forms = list(self.all().values())
        for keep in (lambda f: f.valid_for(year, level), lambda f: f.valid_in(year),
                     lambda f: f.valid_for(None, level), lambda f: True):
            hit = [f for f in forms if keep(f)]
            if hit:
                return [self.for_level(f, level) for f in hit]
        return []

    def pick(self, year: int | None, level: str) -> Form:
        """The form a fill-in template of this year and level uses: the latest valid one."""
        hit = self.candidates(year, level)
        if not hit:
            raise KeyError("no forms are installed")
        return max(hit, key=lambda f: (f.valid_for(year, level), f.first_year or 0, f.name))

    def rows_for_level(self, form: Form, level: str) -> list[FormRow]:
        """The rows of a form that a report of ``level`` has (rows of a district-only entry left out)."""
        cat = self.by_code()
        return [r for r in form.rows if r.is_heading or r.code not in cat or cat[r.code].applies_to(level)]

    def for_level(self, form: Form, level: str) -> Form:
        """The form as a report of ``level`` fills it: without the rows of entries other levels have
        (a commune reading the district form of its year is not asked for the district's rows)."""
        if not level or not form.levels or level in form.levels:
            return form
        key = (id(form), level, self.folder)
        hit = _level_views.get(key)
        if hit is None or hit[0] is not form:
            rows = tuple(self.rows_for_level(form, level))
            hit = (form, Form(name=form.name, title=form.title, levels=form.levels, first_year=form.first_year,
                              last_year=form.last_year, source=form.source, derived_from=form.derived_from,
                              rows=rows, path=form.path, extra=form.extra))
            _level_views[key] = hit
        return hit[1]

    def codes(self, name: str) -> frozenset[str] | None:
        """The codes a form asks for, or None for an unknown (or empty) form name."""
        form = self.all().get(name) if name else None
        return frozenset(form.codes) if form else None

    def signature(self) -> str:
        """A digest of every form file in use: a table read against other forms is another table."""
        import hashlib

        digest = hashlib.sha256()
        for name, form in sorted(self.all().items()):
            digest.update(name.encode())
            digest.update(Path(form.path).read_bytes() if form.path else b"")
        return digest.hexdigest()


#: The kit's own forms and catalog, what every function below reads when it is given no project's forms.
KIT_FORMS = Forms()

# A level's view of a form, kept while the form object lives: (id of the form, level, forms folder) -> views.
_level_views: dict[tuple[int, str, Path | None], tuple[Form, Form]] = {}


def all_forms(forms: Forms | None = None) -> dict[str, Form]:
    """Every known form by name: the kit's, then those of ``forms`` (a project's; default: the kit's alone)."""
    return (forms or KIT_FORMS).all()


def get_form(name: str, forms: Forms | None = None) -> Form:
    return (forms or KIT_FORMS).get(name)


def candidates(year: int | None, level: str, forms: Forms | None = None) -> list[Form]:
    """:meth:`Forms.candidates` of ``forms`` (default: the kit's)."""
    return (forms or KIT_FORMS).candidates(year, level)


def for_level(form: Form, level: str, forms: Forms | None = None) -> Form:
    """:meth:`Forms.for_level` of ``forms`` (default: the kit's)."""
    return (forms or KIT_FORMS).for_level(form, level)


def pick_form(year: int | None, level: str, forms: Forms | None = None) -> Form:
    """:meth:`Forms.pick` of ``forms`` (default: the kit's)."""
    return (forms or KIT_FORMS).pick(year, level)


def form_rows_for_level(form: Form, level: str, forms: Forms | None = None) -> list[FormRow]:
    """:meth:`Forms.rows_for_level` of ``forms`` (default: the kit's)."""
    return (forms or KIT_FORMS).rows_for_level(form, level)


def form_codes(name: str, forms: Forms | None = None) -> frozenset[str] | None:
    """The codes a form asks for, or None for an unknown (or empty) form name."""
    return (forms or KIT_FORMS).codes(name)


def signature(forms: Forms | None = None) -> str:
    """A digest of every form file in use: a table read against other forms is another table."""
    return (forms or KIT_FORMS).signature()
