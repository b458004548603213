"""A province's project: ``cchc.toml`` and the files it names, loaded once, checked once, passed explicitly.

A Sở Nội vụ runs the kit as its own project: a folder holding ``cchc.toml``, its data, its outputs,
its own consistency rules and targets (its yearly CCHC plan), its forms, its Word letterhead and the
units that must report. The kit's own repository is one such project (the bundled appendix).

The project is found from the working directory upward (the nearest ``cchc.toml``), or named
(``--project DIR`` on the command line, ``load_project(DIR)``, ``$CCHC_PROJECT``); with no
``cchc.toml`` anywhere above, the kit's own repository is the project. Every key of ``cchc.toml``
and every rules, targets, forms and sentences file is checked when the project loads, before any
kernel starts, by the schema checker of :mod:`cchc_tools.analysis.specs`: an unknown or misspelled
key is refused naming the file, the line, the key and the nearest valid key.

Environment variables are read here and nowhere deeper, only as overrides (listed in the README):
``CCHC_PROJECT`` (where the project is), ``CCHC_PROVINCE`` (its province), ``CCHC_TARGETS`` (more
targets files, ``os.pathsep``-separated, after the project's), ``CCHC_CACHE_DIR`` (the snapshot cache).
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cchc_tools.analysis.checks import load_rules
from cchc_tools.analysis.rules import Rule, RuleOverride
from cchc_tools.analysis.specs import (
    Entry,
    Param,
    ParamType,
    SpecError,
    Text,
    TextList,
    check_keys,
    optional,
)
from cchc_tools.analysis.targets import TargetOverride, load_targets
from cchc_tools.fingerprint import file_sha256
from cchc_tools.forms import Forms
from cchc_tools.limits import (
    MAX_BASIS_CHARS,
    MAX_DOCUMENT_TEXT_CHARS,
    MAX_FILE_BYTES,
    MAX_PROJECT_FILE_BYTES,
    MAX_PROVINCE_CHARS,
    shorten,
)
from cchc_tools.paths import KIT_ROOT, PACKAGE_DATA
from cchc_tools.periods import DEADLINE_KINDS
from cchc_tools.units import load_index

PROJECT_FILE = "cchc.toml"
ENV_OVERRIDES = ("CCHC_PROJECT", "CCHC_PROVINCE", "CCHC_TARGETS", "CCHC_CACHE_DIR")


class ProjectError(SpecError):
    """A ``cchc.toml`` (or a file it names) that does not fit the project schema: file, line and key named."""

    what = "section"


@dataclass(frozen=True)
class Integer(ParamType):
    """A whole number within bounds."""

    low: int = 1
    high: int = 31

    @property
    def expected(self) -> str:
        return f"a whole number from {self.low} to {self.high}"

    def check(self, value) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high
        return None if ok else f"{value!r} is not {self.expected}"


@dataclass(frozen=True)
class Table(ParamType):
    """A TOML table, checked key by key against its own schema (given to :func:`_check_table`)."""

    expected = "a table of keys and values, e.g. [reporting.deadlines]"

    def check(self, value) -> str | None:
        return None if isinstance(value, dict) else f"{value!r} is not {self.expected}"


# Characters no letterhead needs and Word cannot hold (C0/C1 controls), and the invisible format characters
# that reorder or hide text (bidi overrides and isolates, zero-width characters, a byte-order mark).
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                       "\u2060\u2066\u2067\u2068\u2069\ufeff")


def control_character(text: str, lines: bool = False) -> tuple[int, str] | None:
    """The first control or invisible format character of ``text`` (its 1-based position and ``U+202E``), or None;
    with ``lines`` a line break is allowed."""
    for i, ch in enumerate(text, 1):
        if (unicodedata.category(ch) == "Cc" and not (lines and ch == "\n")) or ch in _INVISIBLE:
            return i, f"U+{ord(ch):04X}"
    return None


@dataclass(frozen=True)
class DocumentText(ParamType):
    """A text a letter, a page or a Word file prints (letterhead, place, signer, a department's name): at most
    ``limit`` characters, no control or invisible format character (``lines``: line breaks allowed)."""

    limit: int = MAX_DOCUMENT_TEXT_CHARS
    lines: bool = False
    limit_name: str = "MAX_DOCUMENT_TEXT_CHARS"

    @property
    def expected(self) -> str:
        return f"text of at most {self.limit} characters without control characters"

    def check(self, value) -> str | None:
        if not isinstance(value, str):
            return f"{shorten(repr(value))} is not {self.expected}"
        if len(value) > self.limit:
            return (f"{shorten(value)!r} has {len(value):,} characters, more than the limit {self.limit_name} = "
                    f"{self.limit}")
        bad = control_character(value, self.lines)
        if bad:
            return (f"{shorten(value)!r} holds the control character {bad[1]} at character {bad[0]}: remove it "
                    "(it cannot be printed in a letter or a Word file, or it reorders the text)")
        return None


@dataclass(frozen=True)
class DocumentTexts(ParamType):
    """A list of :class:`DocumentText` (the departments that must report)."""

    expected = f"a list of names, each of at most {MAX_DOCUMENT_TEXT_CHARS} characters without control characters"

    def check(self, value) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"{shorten(repr(value))} is not {self.expected}"
        return next(filter(None, (DocumentText().check(v) for v in value)), None)


# The schema of cchc.toml: section -> key -> declared type. Paths are relative to cchc.toml.
SCHEMA: dict[str, dict[str, ParamType | Param]] = {
    "project": {
        "province": optional(DocumentText(MAX_PROVINCE_CHARS, limit_name="MAX_PROVINCE_CHARS"), ""),
        "data": optional(Text(), "data/raw"),
        "outputs": optional(Text(), "outputs"),
        "rules": optional(TextList(), []),
        "targets": optional(TextList(), []),
        "forms": optional(Text(), "forms"),
    },
    "document": {
        "word_template": optional(DocumentText(4096, limit_name="PATH_MAX"), ""),
        "parent_body": optional(DocumentText(), ""),
        "issuing_body": optional(DocumentText(), ""),
        "place": optional(DocumentText(), ""),
        "signer_title": optional(DocumentText(lines=True), ""),  # "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
        "signer_name": optional(DocumentText(), ""),
    },
    "reporting": {
        "departments": optional(DocumentTexts(), []),
        "deadlines": optional(Table(), {}),
        "min_coverage": optional(Integer(0, 100), 80),
    },
    "letters": {
        "reply_days": optional(Integer(0, 90), 10),
        "basis": optional(DocumentText(MAX_BASIS_CHARS, limit_name="MAX_BASIS_CHARS"), ""),
    },
}
# [reporting.deadlines]: the day of the month after a period's end by which its report is due.
DEADLINE_KEYS: dict[str, ParamType | Param] = {kind: optional(Integer(1, 31)) for kind in DEADLINE_KINDS}


@dataclass(frozen=True)
class DocumentSettings:
    """The letterhead and the Word template of every document the project writes (``[document]``)."""

    word_template: Path | None = None
    parent_body: str = ""
    issuing_body: str = ""
    place: str = ""
    signer_title: str = ""
    signer_name: str = ""


@dataclass(frozen=True)
class ReportingSettings:
    """Who must report and by when (``[reporting]``): departments listed by the project, and per kind
    of period (``quarter``, ``6-month``, ``9-month``, ``annual``) the day of the following month."""

    departments: tuple[str, ...] = ()
    deadlines: Mapping[str, int] = field(default_factory=dict)
    min_coverage: int = 80  # percent of the roster below which a period's totals are not fit to report upward


@dataclass(frozen=True)
class LettersSettings:
    """The letters to units (``[letters]``): the days a unit has to reply (the reply date is the letter's date
    plus these; 0: left blank for the clerk) and the căn cứ line (the reporting regime), empty for none."""

    reply_days: int = 10
    basis: str = ""


@dataclass(frozen=True, eq=False)
class Project:
    """One province's project, loaded and checked. Pass it; never look settings up deeper down."""

    root: Path
    file: Path | None
    province: str = ""
    data: Path = Path("data/raw")
    outputs: Path = Path("outputs")
    cache: Path = Path("data/processed/cache")
    forms_dir: Path = Path("forms")
    rules_files: tuple[Path, ...] = ()
    targets_files: tuple[Path, ...] = ()
    document: DocumentSettings = DocumentSettings()
    reporting: ReportingSettings = ReportingSettings()
    letters: LettersSettings = LettersSettings()
    rules: tuple[Rule, ...] = ()
    targets: tuple[dict, ...] = ()
    overrides: Mapping[str, str] = field(default_factory=dict)  # environment overrides in force
    notices: tuple[str, ...] = ()  # e.g. a project rule replacing a shipped one

    @property
    def forms(self) -> Forms:
        """The forms this project's files are read against (the kit's and its own ``forms_dir``), and the catalog
        as its draft forms extend it: pass it to ``load_appendix``, ``validate``, ``template_form``..."""
        return Forms(self.forms_dir)

    @property
    def is_kit(self) -> bool:
        """The kit's own repository (its bundled appendix) rather than a province's folder."""
        return self.root == KIT_ROOT

    def resolve(self, path: str | Path | None, default: Path | None = None) -> Path:
        """A path given by a user: absolute as given, relative to the project root; empty: ``default``."""
        if not path:
            return default if default is not None else self.data
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def relative(self, path: str | Path) -> str:
        """How a file is named on a page and in a table: relative to the project when inside it."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()

    @cached_property
    def files(self) -> dict[str, str]:
        """SHA-256 of every file of the project a page depends on: ``cchc.toml``, its rules, targets,
        forms and Word template (the package's own data and code are hashed beside these)."""
        paths: list[Path] = [*(p for p in [self.file] if p), *self.rules_files, *self.targets_files]
        if self.forms_dir.is_dir():
            paths += sorted(self.forms_dir.glob("*.csv"))
        if self.document.word_template:
            paths.append(self.document.word_template)
        return {self.relative(p): file_sha256(p) for p in paths}

    @cached_property
    def fingerprint(self) -> str:
        """One hash of everything the project contributes to a page: its files and the overrides in force."""
        body = repr((sorted(self.files.items()), sorted(self.overrides.items()), self.province))
        return hashlib.sha256(body.encode()).hexdigest()




# --- finding and reading the project file ------------------------------------------------------

def find_project_file(start: str | Path | None = None) -> Path | None:
    """The nearest ``cchc.toml`` from ``start`` (a folder or the file itself; default: the working
    directory) upward, or None."""
    here = Path(start or os.getcwd()).resolve()
    if here.is_file():
        return here if here.name == PROJECT_FILE else None
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def _header(line: str) -> str | None:
    """The table a ``[table]`` or ``[[table]]`` line opens (dotted, quotes and spaces removed), or None.

    A scan, not a regular expression: each line is looked at once from each end, so a line of "[" and
    thousands of spaces costs what its length does (a backtracking pattern took minutes on it)."""
    text = line.strip()
    if not text.startswith("["):
        return None
    end = text.find("]")
    if end < 0:
        return None
    name = text[1:end].lstrip("[")
    rest = text[end + 1:].lstrip("]").strip()
    if rest and not rest.startswith("#"):
        return None
    name = "".join(name.split()).replace('"', "").replace("'", "")
    return name if name and all(ch.isalnum() or ch in "_.-" for ch in name) else None


def _key(line: str) -> list[str] | None:
    """The parts of the key of a ``key = value`` (``a.b = 1``: ``["a", "b"]``), or None."""
    head, eq, _ = line.partition("=")
    if not eq:
        return None
    parts = [p.strip().strip('"').strip("'") for p in head.split(".")]
    if not parts or not all(parts) or not all(ch.isalnum() or ch in "_-" for p in parts for ch in p):
        return None
    return parts


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """``(table, key) -> line`` of every ``key = value`` and table in a TOML text (1-based; tables dotted): a
    table ``[a.b.c]`` is ``("a.b.c", "")`` and also the key ``("a.b", "c")`` of its parent; a dotted key
    ``b.c = 1`` in ``[a]`` is ``("a", "b")`` and ``("a.b", "c")``."""
    out: dict[tuple[str, str], int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), 1):
        name = _header(line)
        if name is not None:
            table = name
            out.setdefault((table, ""), n)
            parent, _, last = table.rpartition(".")
            out.setdefault((parent, last), n)
            continue
        parts = _key(line)
        if parts:
            for i in range(len(parts)):
                out.setdefault((".".join(x for x in (table, *parts[:i]) if x), parts[i]), n)
    return out


@dataclass
class _Section(Entry):
    """A table of ``cchc.toml`` as a schema entry, named by its section (``[project]``)."""

    name: str = ""

    @property
    def ident(self) -> str:
        return self.name


def _check_table(file: Path, name: str, data: object, schema: Mapping[str, ParamType | Param],
                 lines: dict[tuple[str, str], int]) -> dict:
    if not isinstance(data, dict):
        parent, _, last = name.rpartition(".")
        raise ProjectError(file, f"[{name}] must be a table", line=lines.get((name, "")) or lines.get((parent, last)))
    key_lines = {k: lines.get((name, k), lines.get((name, ""), 1)) for k in data}
    return check_keys(_Section(dict(data), lines.get((name, ""), 1), key_lines, name), schema, file, ProjectError)


def read_project_text(file: Path) -> str:
    """The text of ``cchc.toml``: UTF-8 without a byte-order mark, within MAX_PROJECT_FILE_BYTES."""
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise ProjectError(file, "is not a file")
        if size > MAX_PROJECT_FILE_BYTES:
            raise ProjectError(file, f"is {size:,} bytes, more than the limit MAX_PROJECT_FILE_BYTES = "
                                     f"{MAX_PROJECT_FILE_BYTES:,}; a project file has a few dozen lines")
        data = file.read_bytes()
    except OSError as exc:
        raise ProjectError(file, f"cannot be read ({exc.strerror or exc})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise ProjectError(file, "starts with a byte-order mark (BOM, as Notepad's 'UTF-8 with BOM' writes): save it "
                                 "as UTF-8 without BOM", line=1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProjectError(file, "is UTF-16 text: save it as UTF-8 without BOM", line=1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(file, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}): save it as UTF-8",
                           line=data.count(b"\n", 0, exc.start) + 1) from None


def read_project_file(file: Path) -> dict[str, dict]:
    """``cchc.toml`` checked against :data:`SCHEMA`, defaults filled in."""
    text = read_project_text(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ProjectError(file, f"is not valid TOML: {exc}", line=int(m.group(1)) if m else None) from None
    lines = _key_lines(text)
    for section in data:
        if section not in SCHEMA:
            from cchc_tools.analysis.specs import did_you_mean

            raise ProjectError(file, f"unknown section [{shorten(section)}]{did_you_mean(shorten(section), SCHEMA)}; "
                               f"known sections: {', '.join(f'[{s}]' for s in SCHEMA)}",
                               line=lines.get((section, "")) or lines.get(("", section)))
    out = {}
    for section, schema in SCHEMA.items():
        values = _check_table(file, section, data.get(section, {}), schema, lines)
        out[section] = values
    out["reporting"]["deadlines"] = _check_table(file, "reporting.deadlines", out["reporting"]["deadlines"] or {},
                                                 DEADLINE_KEYS, lines)
    return out


def _existing(file: Path, base: Path, names: list[str], key: str, lines: dict) -> tuple[Path, ...]:
    out = []
    for name in names:
        p = Path(name) if Path(name).is_absolute() else base / name
        if not p.is_file():
            what = "is a folder, not a file" if p.is_dir() else "not found"
            raise ProjectError(file, f"{shorten(name)!r} {what} (looked at {shorten(p)})", key=key,
                               line=lines.get(("project", key)) or lines.get(("document", key)))
        out.append(p)
    return tuple(out)


def load_project(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Project:
    """The project at ``path`` (a folder or its ``cchc.toml``), else ``$CCHC_PROJECT``, else the nearest
    ``cchc.toml`` above the working directory, else the kit's own repository; loaded and checked.

    Raises :class:`ProjectError` (or a :class:`~cchc_tools.analysis.specs.SpecError` of a rules, targets
    or sentences file) naming the file, the line and the key.
    """
    env = os.environ if env is None else env
    overrides = {k: env[k] for k in ENV_OVERRIDES if env.get(k, "").strip()}
    where = path or overrides.get("CCHC_PROJECT")
    if where:
        p = Path(where).resolve()
        file = p if p.is_file() else p / PROJECT_FILE
        if not file.is_file():
            if p.is_dir() and not path:
                file = None  # a folder without cchc.toml named by the environment: all defaults
            elif p.is_dir():
                file = None
            else:
                raise ProjectError(p, f"no project here: neither a folder nor a {PROJECT_FILE}")
        root = file.parent if file else p
    else:
        file = find_project_file()
        if file is None:
            file = KIT_ROOT / PROJECT_FILE if (KIT_ROOT / PROJECT_FILE).is_file() else None
        root = file.parent if file else KIT_ROOT
    key = _cache_key(root, file, overrides)
    if key is not None and key in _LOADED:
        return _LOADED[key]
    project = _load(root, file, overrides)
    if key is not None:
        _LOADED.clear()
        _LOADED[key] = project
    return project


_LOADED: dict[tuple, Project] = {}


def _cache_key(root: Path, file: Path | None, overrides: dict[str, str]) -> tuple | None:
    """What a loaded project depends on, cheaply: the text of ``cchc.toml`` and the size and time of every
    file it names (a warm kernel loads a project once while nothing changes). None: load afresh."""
    try:
        if file and file.stat().st_size > MAX_PROJECT_FILE_BYTES:
            return None  # refused by the load, never read whole
        text = file.read_text(encoding="utf-8") if file else ""
        conf = tomllib.loads(text).get("project", {}) if text else {}
        names = [*conf.get("rules", []), *conf.get("targets", []),
                 *tomllib.loads(text).get("document", {}).get("word_template", "").split()] if text else []
        forms = root / str(conf.get("forms", "forms"))
        files = [root / n for n in names] + (sorted(forms.glob("*.csv")) if forms.is_dir() else [])
        files += [Path(p) for p in overrides.get("CCHC_TARGETS", "").split(os.pathsep) if p]
        stats = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except (OSError, ValueError, TypeError, AttributeError, tomllib.TOMLDecodeError):
        return None
    return (str(root), text, tuple(sorted(overrides.items())), stats)


def _load(root: Path, file: Path | None, overrides: dict[str, str]) -> Project:
    conf = read_project_file(file) if file else {s: check_keys(Entry({}, 1), sch, "cchc.toml", ProjectError)
                                                  for s, sch in SCHEMA.items()}
    if not file:
        conf["reporting"]["deadlines"] = {}
    text = read_project_text(file) if file else ""
    lines = _key_lines(text)
    proj, doc, rep, let = conf["project"], conf["document"], conf["reporting"], conf["letters"]
    ref = file or root / PROJECT_FILE
    rules_files = _existing(ref, root, proj["rules"], "rules", lines)
    targets_files = _existing(ref, root, proj["targets"], "targets", lines)
    env_targets = tuple(Path(p) for p in overrides.get("CCHC_TARGETS", "").split(os.pathsep) if p)
    for p in env_targets:
        if not p.is_file():
            raise ProjectError(shorten(p), "named by CCHC_TARGETS, not found")
    template = None
    if doc["word_template"]:
        template = _existing(ref, root, [doc["word_template"]], "word_template", lines)[0]
        check_word_template(template, ref, lines.get(("document", "word_template")))
    cache = Path(overrides["CCHC_CACHE_DIR"]) if "CCHC_CACHE_DIR" in overrides else root / "data/processed/cache"
    if overrides.get("CCHC_PROVINCE", proj["province"]).strip():  # its province is checked against the official units:
        load_index(cache)  # opened once per process, their SQLite copy kept in the cache of the first project that asks
    if "CCHC_PROVINCE" in overrides:
        province = overrides["CCHC_PROVINCE"].strip()
        check_province(province, "CCHC_PROVINCE", None, DocumentText(MAX_PROVINCE_CHARS).check(province))
    else:
        province = proj["province"].strip()
        check_province(province, ref, lines.get(("project", "province")))
    notices: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuleOverride)
        warnings.simplefilter("always", TargetOverride)
        rules = load_rules(*rules_files)
        targets = load_targets((*targets_files, *env_targets))
    notices += [str(w.message) for w in caught if issubclass(w.category, RuleOverride | TargetOverride)]
    check_sentences()
    forms_dir = root / proj["forms"]
    check_forms(forms_dir, ref, lines.get(("project", "forms")))
    return Project(
        root=root, file=file,
        province=province,
        data=root / proj["data"], outputs=root / proj["outputs"], cache=cache.resolve(), forms_dir=forms_dir,
        rules_files=rules_files, targets_files=(*targets_files, *env_targets),
        document=DocumentSettings(template, doc["parent_body"], doc["issuing_body"], doc["place"],
                                  doc["signer_title"], doc["signer_name"]),
        reporting=ReportingSettings(tuple(rep["departments"]),
                                    {k: v for k, v in rep["deadlines"].items() if v is not None},
                                    rep["min_coverage"]),
        letters=LettersSettings(let["reply_days"], let["basis"]),
        rules=rules, targets=targets, overrides=overrides, notices=tuple(notices))


def check_sentences() -> None:
    """The shipped narrative (``data/sentences.yaml``) against its schema: a misspelled key or code is an error."""
    from cchc_tools.analysis.specs import sentence_specs

    sentence_specs()


def check_forms(folder: Path, file: Path | str = PROJECT_FILE, line: int | None = None) -> None:
    """Every form file of the project's forms folder read and checked (:func:`cchc_tools.forms.check_form_folder`:
    encoding, columns, years, levels, codes). ``forms`` naming a file, or a folder named in ``cchc.toml``
    (``line``) that is not there, is refused too."""
    from cchc_tools.errors import FormFileError
    from cchc_tools.forms import check_form_folder

    if folder.exists() and not folder.is_dir():
        raise ProjectError(file, f"{shorten(folder)} is a file, not a folder of form files", key="forms", line=line)
    if not folder.is_dir():
        if line is not None:  # named in cchc.toml, and not there
            raise ProjectError(file, f"the forms folder {shorten(folder)} is not there (create it, or remove the key "
                                     "to use the kit's forms only)", key="forms", line=line)
        return
    try:
        check_form_folder(folder)
    except FormFileError as exc:
        raise ProjectError(exc.path, exc.reason, line=exc.line) from None


def check_word_template(path: Path, file: Path | str = PROJECT_FILE, line: int | None = None) -> None:
    """The ``[document] word_template``: a .docx within the limits of any Word file the kit reads (size, zip
    members, unpacked size and ratio, no DTD), which python-docx opens; anything else is refused naming the key."""
    from cchc_tools.errors import AppendixError
    from cchc_tools.ingest.readers.safety import check_container

    def refuse(why: str) -> ProjectError:
        return ProjectError(file, f"{shorten(path)}: {why}; expected a Word .docx template (styles, letterhead, "
                                  "page setup)", key="word_template", line=line)

    if path.suffix.lower() != ".docx":
        raise refuse(f"a {shorten(path.suffix, 12) or 'file without extension'}, not a .docx file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise refuse(f"{size:,} bytes, more than the limit MAX_FILE_BYTES = {MAX_FILE_BYTES:,}")
    try:
        check_container(path, "docx")
    except AppendixError as exc:
        raise refuse(exc.reason) from None
    try:
        from docx import Document

        Document(str(path))
    except Exception as exc:  # noqa: BLE001 - whatever python-docx cannot open is refused, not a traceback later
        raise refuse(f"Word files cannot be built on it ({shorten(exc, 200)})") from None


def province_names() -> list[str]:
    """The official names of every province, current (34, since 1 July 2025) and legacy (63)."""
    from cchc_tools.units import province_names as names

    return names()


def close_provinces(name: str, limit: int = 3) -> list[str]:
    """Official provinces whose names are close to ``name`` (accents, case and "tỉnh"/"thành phố" aside)."""
    from rapidfuzz import fuzz, process

    from cchc_tools.text import ascii_fold
    from cchc_tools.units import split_type

    def key(text: str) -> str:
        return " ".join(ascii_fold(split_type(text)[1]).lower().split())

    hits = process.extract(key(name[:MAX_PROVINCE_CHARS]), {n: key(n) for n in province_names()},
                           scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    return [h[2] for h in hits]


def check_province(province: str, file: Path | str = PROJECT_FILE, line: int | None = None,
                   problem: str | None = None) -> None:
    """``province`` is empty or one of the official provinces (current or legacy, e.g. "Cần Thơ", "Sóc Trăng");
    else refused, with the close official names. A long name is never quoted whole."""
    from cchc_tools.units import official_province_name

    if problem is None and not province:
        return
    if problem is None and official_province_name(province, legacy=None):
        return
    if problem is None:
        close = close_provinces(province)
        problem = (f"{shorten(province, 40)!r} is not a province of Viet Nam"
                   + (f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else "")
                   + "; write its name as in the official list, e.g. \"Cần Thơ\"")
    raise ProjectError(file, problem, key="province", line=line)


# --- a new project ------------------------------------------------------------------------------

INIT_FILES = ("cchc.toml", "rules.yaml", "targets.yaml", "README.md")
INIT_FOLDERS = ("data/raw", "forms", "outputs")
RAW_README = "data/raw/README.md"


def init_text(name: str, province: str, official: str) -> str:
    """The text of one file ``cchc init`` writes. ``cchc.toml``'s values are set by a TOML writer (tomlkit, which
    keeps the template's comments), never pasted into its text: a quote or ``#`` in a name stays a name."""
    text = (PACKAGE_DATA / "project" / name).read_text(encoding="utf-8").replace("{{official}}", official)
    if name != PROJECT_FILE:
        return text
    import tomlkit

    doc = tomlkit.parse(text)
    doc["project"]["province"] = province
    doc["document"]["parent_body"] = f"UBND {official.upper()}"
    doc["document"]["place"] = province
    return tomlkit.dumps(doc)


def _write_new(path: Path, text: str) -> Path:
    """Write ``path`` whole, and only if it does not exist (a hard link of a complete temporary file, which
    fails on an existing name): what a person wrote there is never replaced, even by a run started meanwhile."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.link(tmp, path)
    except FileExistsError:
        raise ProjectError(path, "already exists; nothing was overwritten") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def init_project(folder: str | Path, province: str) -> list[Path]:
    """Write a new province project in ``folder`` (outside the kit's repository): a commented
    ``cchc.toml`` with every key, an empty ``data/raw/``, ``rules.yaml`` and ``targets.yaml`` with
    commented examples, and a short README for the analyst. The province must be an official one (close
    names are suggested). Never overwrites a file: when any file it would write is there, it names them
    and writes nothing."""
    target = Path(folder).resolve()
    province = " ".join(province.split())
    if not province:
        raise ProjectError(target, "give the province's name, e.g. --province \"Cần Thơ\"")
    if target == KIT_ROOT or KIT_ROOT in target.parents:
        raise ProjectError(target, "a province project lives outside the kit's repository; choose another folder")
    problem = DocumentText(MAX_PROVINCE_CHARS, limit_name="MAX_PROVINCE_CHARS").check(province)
    check_province(province, "--province", None, problem)
    if target.exists() and not target.is_dir():
        raise ProjectError(target, "is a file, not a folder; nothing was written")
    there = [name for name in (*INIT_FILES, RAW_README) if (target / name).exists() or (target / name).is_symlink()]
    there += [f"{sub} (a file, not a folder)" for sub in INIT_FOLDERS
              if (target / sub).exists() and not (target / sub).is_dir()]
    if there:
        first = "a project is already here: it holds" if PROJECT_FILE in there else "already holds"
        raise ProjectError(target, f"{first} {', '.join(there)}; nothing was written (init never overwrites a file: "
                                   "choose an empty folder, or move them away)")
    from cchc_tools.units import official_province_name

    official = official_province_name(province, legacy=None) or province  # "Cần Thơ" -> "Thành phố Cần Thơ"
    texts = {name: init_text(name, province, official) for name in INIT_FILES}
    texts[RAW_README] = ("Phụ lục do đơn vị gửi, giữ nguyên như khi nhận: data/raw/<năm>/<đơn vị>/<tệp>. "
                         "Không sửa tệp ở đây.\n")
    try:
        for sub in INIT_FOLDERS:
            (target / sub).mkdir(parents=True, exist_ok=True)
        written = [_write_new(target / name, text) for name, text in texts.items()]
    except OSError as exc:  # a parent that is a file, a read-only or full disk: said in one line
        raise ProjectError(target, f"cannot be written ({exc.strerror or exc}: {shorten(exc.filename or target)})"
                           ) from None
    written = written[:len(INIT_FILES)]
    load_project(target, env={})  # what was written loads, or this is a bug
    return written
