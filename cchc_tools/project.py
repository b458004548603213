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
from cchc_tools.paths import KIT_ROOT, PACKAGE_DATA

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


# The schema of cchc.toml: section -> key -> declared type. Paths are relative to cchc.toml.
SCHEMA: dict[str, dict[str, ParamType | Param]] = {
    "project": {
        "province": optional(Text(empty=True), ""),
        "data": optional(Text(), "data/raw"),
        "outputs": optional(Text(), "outputs"),
        "rules": optional(TextList(), []),
        "targets": optional(TextList(), []),
        "forms": optional(Text(), "forms"),
    },
    "document": {
        "word_template": optional(Text(empty=True), ""),
        "parent_body": optional(Text(empty=True), ""),
        "issuing_body": optional(Text(empty=True), ""),
        "place": optional(Text(empty=True), ""),
        "signer_title": optional(Text(empty=True), ""),
        "signer_name": optional(Text(empty=True), ""),
    },
    "reporting": {
        "departments": optional(TextList(), []),
        "deadlines": optional(Table(), {}),
        "min_coverage": optional(Integer(0, 100), 80),
    },
    "letters": {
        "reply_days": optional(Integer(0, 90), 10),
        "basis": optional(Text(empty=True), ""),
    },
}
# [reporting.deadlines]: the day of the month after a period's end by which its report is due.
DEADLINE_KEYS: dict[str, ParamType | Param] = {kind: optional(Integer(1, 31)) for kind in
                                                ("quarter", "6-month", "9-month", "annual")}


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

    def activate(self) -> Project:
        """Put the project to use in this process: its forms folder is the one forms are read from,
        its cache the one the index of official units is kept in. Idempotent; returns the project."""
        from cchc_tools.catalog import use_project_forms
        from cchc_tools.units import use_cache

        use_project_forms(self.forms_dir)
        use_cache(self.cache)
        return self

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
        return {self.relative(p): _sha256(p) for p in paths}

    @cached_property
    def fingerprint(self) -> str:
        """One hash of everything the project contributes to a page: its files and the overrides in force."""
        body = repr((sorted(self.files.items()), sorted(self.overrides.items()), self.province))
        return hashlib.sha256(body.encode()).hexdigest()

    def stamp_lines(self) -> list[tuple[str, str]]:
        """The project's part of a page's stamp ("Thông tin lập báo cáo"), hashes cut to 12 hex digits."""
        lines = [("Dự án", f"{self.relative(self.file) if self.file else self.root.name}"
                           + (f" (tỉnh/thành phố {self.province})" if self.province else ""))]
        lines += [("Tệp của dự án", f"{name} (SHA-256 {sha[:12]})") for name, sha in self.files.items()]
        lines += [("Ghi đè từ biến môi trường", f"{k} = {v}") for k, v in sorted(self.overrides.items())
                  if k != "CCHC_CACHE_DIR"]
        return lines


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*(\"[^\"]+\"|[A-Za-z0-9_\-]+)\s*=")


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """``(table, key) -> line`` of every ``key = value`` in a TOML text (1-based; tables dotted)."""
    out: dict[tuple[str, str], int] = {}
    table = ""
    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            table = m.group(1).replace('"', "").replace(" ", "")
            out.setdefault((table, ""), n)
            continue
        m = _KEY.match(line)
        if m:
            out.setdefault((table, m.group(1).strip('"')), n)
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
        raise ProjectError(file, f"[{name}] must be a table", line=lines.get((name, "")))
    key_lines = {k: lines.get((name, k), lines.get((name, ""), 1)) for k in data}
    return check_keys(_Section(dict(data), lines.get((name, ""), 1), key_lines, name), schema, file, ProjectError)


def read_project_file(file: Path) -> dict[str, dict]:
    """``cchc.toml`` checked against :data:`SCHEMA`, defaults filled in."""
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ProjectError(file, f"cannot be read ({exc})") from None
    except UnicodeDecodeError:
        raise ProjectError(file, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ProjectError(file, f"is not valid TOML: {exc}", line=int(m.group(1)) if m else None) from None
    lines = _key_lines(text)
    for section in data:
        if section not in SCHEMA:
            from cchc_tools.analysis.specs import did_you_mean

            raise ProjectError(file, f"unknown section [{section}]{did_you_mean(section, SCHEMA)}; known "
                               f"sections: {', '.join(f'[{s}]' for s in SCHEMA)}", line=lines.get((section, "")))
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
            raise ProjectError(file, f"{name!r} not found (looked at {p})", key=key,
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
    text = file.read_text(encoding="utf-8") if file else ""
    lines = _key_lines(text)
    proj, doc, rep, let = conf["project"], conf["document"], conf["reporting"], conf["letters"]
    ref = file or root / PROJECT_FILE
    rules_files = _existing(ref, root, proj["rules"], "rules", lines)
    targets_files = _existing(ref, root, proj["targets"], "targets", lines)
    env_targets = tuple(Path(p) for p in overrides.get("CCHC_TARGETS", "").split(os.pathsep) if p)
    for p in env_targets:
        if not p.is_file():
            raise ProjectError(p, "named by CCHC_TARGETS, not found")
    template = None
    if doc["word_template"]:
        template = _existing(ref, root, [doc["word_template"]], "word_template", lines)[0]
    notices: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuleOverride)
        warnings.simplefilter("always", TargetOverride)
        rules = load_rules(*rules_files)
        targets = load_targets((*targets_files, *env_targets))
    notices += [str(w.message) for w in caught if issubclass(w.category, RuleOverride | TargetOverride)]
    check_sentences()
    forms_dir = root / proj["forms"]
    check_forms(forms_dir)
    cache = Path(overrides["CCHC_CACHE_DIR"]) if "CCHC_CACHE_DIR" in overrides else root / "data/processed/cache"
    return Project(
        root=root, file=file,
        province=overrides.get("CCHC_PROVINCE", "").strip() or proj["province"],
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
    from cchc_tools.content.narrative import sentence_specs

    sentence_specs()


def check_forms(folder: Path) -> None:
    """Every form file of the project's forms folder parses (its rows, codes and header keys)."""
    from cchc_tools.forms import parse_form

    if not folder.is_dir():
        return
    for p in sorted(folder.glob("*.csv")):
        parse_form(p.read_text(encoding="utf-8"), path=str(p), name=p.stem)


def reference_files() -> dict[str, str]:
    """SHA-256 of each file of the package's data (catalog, forms, indicators, rules, targets, sentences)."""
    suffixes = {".csv", ".yaml", ".yml", ".json", ".xlsx", ".docx", ".txt"}
    files = sorted(p for p in PACKAGE_DATA.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    return {p.relative_to(PACKAGE_DATA).as_posix(): _sha256(p) for p in files}


# --- a new project ------------------------------------------------------------------------------

INIT_FILES = ("cchc.toml", "rules.yaml", "targets.yaml", "README.md")


def init_project(folder: str | Path, province: str) -> list[Path]:
    """Write a new province project in ``folder`` (outside the kit's repository): a commented
    ``cchc.toml`` with every key, an empty ``data/raw/``, ``rules.yaml`` and ``targets.yaml`` with
    commented examples, and a short README for the analyst. Refuses to overwrite a project."""
    from cchc_tools.atomic import write_text

    target = Path(folder).resolve()
    province = " ".join(province.split())
    if not province:
        raise ProjectError(target, "give the province's name, e.g. --province \"Cần Thơ\"")
    if target == KIT_ROOT or KIT_ROOT in target.parents:
        raise ProjectError(target, "a province project lives outside the kit's repository; choose another folder")
    if (target / PROJECT_FILE).exists():
        raise ProjectError(target / PROJECT_FILE, "a project is already here; nothing was written")
    from cchc_tools.units import official_province_name

    official = official_province_name(province) or province  # "Cần Thơ" -> "Thành phố Cần Thơ"
    written = []
    for name in INIT_FILES:
        text = (PACKAGE_DATA / "project" / name).read_text(encoding="utf-8")
        text = (text.replace("{{province_upper}}", official.upper()).replace("{{official}}", official)
                .replace("{{province}}", province))
        written.append(write_text(target / name, text))
    for sub in ("data/raw", "forms", "outputs"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    (target / "data/raw/README.md").write_text(
        "Phụ lục do đơn vị gửi, giữ nguyên như khi nhận: data/raw/<năm>/<đơn vị>/<tệp>. Không sửa tệp ở đây.\n",
        encoding="utf-8")
    load_project(target, env={})  # what was written loads, or this is a bug
    return written
