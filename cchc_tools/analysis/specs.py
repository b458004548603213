"""The declared registries shipped with the package (indicators, check rules), read against a schema.

Each YAML file is a list of entries. An entry is checked key by key against declared
parameter types (``Code``, ``Codes``, ``Text``, ...): an unknown or missing key, a value of
the wrong type or a code that is not in the catalog is refused with a :class:`SpecError`
that names the file, the line, the entry's id and the key. The rules' schema (common keys
plus each family's declared parameters) lives in :mod:`cchc_tools.analysis.rules`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cchc_tools.catalog import LEVELS as CATALOG_LEVELS
from cchc_tools.catalog import SECTIONS, by_code
from cchc_tools.errors import CchcError
from cchc_tools.limits import MAX_MESSAGE_CHARS, MAX_PROJECT_FILE_BYTES, shorten
from cchc_tools.paths import INDICATORS_YAML, LEVELS_YAML, SENTENCES_YAML

# The C loader when PyYAML was built with libyaml (about ten times faster), else the Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecError(CchcError):
    """A declaration file entry that does not fit its schema.

    ``path`` is the file, ``line`` the entry's (or the key's) line, ``ident`` the entry's id
    (empty when it has none), ``key`` the key at fault (empty for the entry as a whole).
    """

    what = "entry"

    def __init__(self, path: str | Path, message: str, *, ident: str = "", key: str = "",
                 line: int | None = None) -> None:
        ident, key, message = shorten(ident), shorten(key), shorten(message, MAX_MESSAGE_CHARS)  # never echoed whole
        self.path, self.ident, self.key, self.line, self.reason = str(path), ident, key, line, message
        where = f"{self.path}:{line}" if line else self.path
        about = ", ".join(part for part in (f"{self.what} {ident!r}" if ident else "",
                                            f"key {key!r}" if key else "") if part)
        super().__init__(f"{where}: {about}: {message}" if about else f"{where}: {message}")


class IndicatorSpecError(SpecError):
    """An entry of an indicators file that does not fit the indicator schema."""

    what = "indicator"


def did_you_mean(word: object, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- parameter types ------------------------------------------------------------------------

class ParamType:
    """A declared parameter type: ``check`` returns the problem with a value, or None."""

    expected = "a value"

    def check(self, value: Any) -> str | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Code(ParamType):
    """One catalog code, optionally of one kind (``count``, ``percent``...)."""

    kind: str = ""

    @property
    def one(self) -> str:
        return "a catalog code" + (f" of a {self.kind} row" if self.kind else "")

    @property
    def expected(self) -> str:
        return self.one

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"{value!r} is not {self.one}"
        entry = by_code().get(value)
        if entry is None:
            return f"{value!r} is not in the catalog{did_you_mean(value, by_code())}"
        if self.kind and entry.kind != self.kind:
            return f"{value!r} is a {entry.kind} row, not {self.one}"
        return None


class Codes(Code):
    """A non-empty list of catalog codes, optionally all of one kind."""

    @property
    def expected(self) -> str:
        return f"a non-empty list, each {self.one}, e.g. [I.plan_tasks]"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return f"{value!r} is not {self.expected}"
        return next(filter(None, map(super().check, value)), None)


@dataclass(frozen=True)
class Text(ParamType):
    """A non-empty string, optionally matching a pattern or one of some choices."""

    pattern: str = ""
    choices: tuple[str, ...] = ()
    empty: bool = False  # an empty string is allowed (a setting left blank)

    @property
    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return f"text matching {self.pattern}" if self.pattern else "non-empty text"

    def check(self, value: Any) -> str | None:
        if self.empty and value == "":
            return None
        if not isinstance(value, str) or not value.strip():
            return f"{value!r} is not {self.expected}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not {self.expected}{did_you_mean(value, self.choices)}"
        if self.pattern and not re.fullmatch(self.pattern, value):
            return f"{value!r} is not {self.expected}"
        return None


@dataclass(frozen=True)
class Flag(ParamType):
    expected = "true or false"

    def check(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{value!r} is not true or false"


@dataclass(frozen=True)
class Number(ParamType):
    expected = "a positive number"

    def check(self, value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        return None if ok else f"{value!r} is not a positive number"


@dataclass(frozen=True)
class Year(ParamType):
    expected = "a year, e.g. 2026"

    def check(self, value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and 1990 <= value <= 2100
        return None if ok else f"{value!r} is not {self.expected}"


@dataclass(frozen=True)
class Decimal(ParamType):
    """A number (zero or more)."""

    expected = "a number, e.g. 95 or 92.5"

    def check(self, value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 and value == value
        return None if ok else f"{value!r} is not {self.expected}"


@dataclass(frozen=True)
class TextList(ParamType):
    """A list of strings (possibly empty), each one of ``choices`` when given."""

    choices: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        return "a list, each one of " + ", ".join(self.choices) if self.choices else "a list of text"

    def check(self, value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"{value!r} is not {self.expected}"
        bad = next((v for v in value if self.choices and v not in self.choices), None)
        if bad is not None:
            return f"{bad!r} is not one of {', '.join(self.choices)}{did_you_mean(bad, self.choices)}"
        return None


@dataclass(frozen=True)
class TextGroups(ParamType):
    """A list of lists of strings (e.g. groups of synonymous units of measure)."""

    expected = "a list of lists of text, e.g. [[Thủ tục, TTHC]]"

    def check(self, value: Any) -> str | None:
        ok = isinstance(value, list) and all(isinstance(g, list) and all(isinstance(s, str) for s in g)
                                             for g in value)
        return None if ok else f"{value!r} is not {self.expected}"


@dataclass(frozen=True)
class Param:
    """A declared key: its type, and whether it must be given (else ``default`` applies)."""

    type: ParamType
    required: bool = True
    default: Any = None


def optional(type_: ParamType, default: Any = None) -> Param:
    return Param(type_, required=False, default=default)


def as_param(p: ParamType | Param) -> Param:
    return p if isinstance(p, Param) else Param(p)


# --- reading and checking a declaration file ----------------------------------------------------

@dataclass
class Entry:
    """One entry of a declaration file as written, with the lines of the entry and its keys."""

    data: dict
    line: int
    key_lines: dict[str, int] = field(default_factory=dict)

    @property
    def ident(self) -> str:
        ident = self.data.get("id")
        return ident if isinstance(ident, str) else ""


def read_entries(path: str | Path, error: type[SpecError] = SpecError) -> list[Entry]:
    """The entries of a YAML list file, each with its line numbers (1-based)."""
    path = Path(path)
    try:
        text = _yaml_text(path, error)
        loader = _Loader(text)
        try:  # composed once: the nodes are checked for aliases, then made into the data
            root = loader.get_single_node()
            if root is not None:
                _refuse_aliases(root, path, error)
            data = None if root is None else loader.construct_document(root)
        finally:
            loader.dispose()
    except (OSError, UnicodeDecodeError) as exc:
        raise error(path, f"cannot be read ({exc})") from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: one line, with the file's line
        raise error(path, f"is not valid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})"
                    if isinstance(exc.character, int) else f"is not valid YAML: {exc.reason}",
                    line=text.count("\n", 0, exc.position) + 1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(path, f"is not valid YAML: {getattr(exc, 'problem', exc)}",
                    line=mark.line + 1 if mark else None) from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise error(path, "expected a list of entries (each starting with '- id: ...')", line=1)
    out = []
    for item, node in zip(data, root.value, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise error(path, f"expected an entry of keys and values, found {item!r}", line=line)
        key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
        if len(key_lines) != len(node.value):
            twice = next(k for k in key_lines if sum(kn.value == k for kn, _ in node.value) > 1)
            raise error(path, "declared twice in this entry", ident=str(item.get("id", "")), key=str(twice),
                        line=line)
        out.append(Entry(item, line, key_lines))
    return out


def _yaml_text(path: Path, error: type[SpecError]) -> str:
    """The text of a declaration file, within :data:`~cchc_tools.limits.MAX_PROJECT_FILE_BYTES`."""
    if not path.is_file():
        raise error(path, "cannot be read (not a file)")
    if path.stat().st_size > MAX_PROJECT_FILE_BYTES:
        raise error(path, f"is {path.stat().st_size:,} bytes, more than the limit MAX_PROJECT_FILE_BYTES = "
                          f"{MAX_PROJECT_FILE_BYTES:,}")
    return path.read_text(encoding="utf-8")


def _refuse_aliases(root: yaml.Node, path: Path, error: type[SpecError]) -> None:
    """Refuse a composed document that uses an alias (``*name``): composing keeps one node for an anchor and
    its aliases, building values would copy it at each use, so a few hundred bytes of aliases expand into
    gigabytes (a "billion laughs"). No declaration file needs one. Each node is looked at once."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            raise error(path, "uses a YAML alias (*name) of the part written at this line: write the values out "
                              "(aliases are refused: a few of them can expand into gigabytes)",
                        line=node.start_mark.line + 1)
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            todo.extend(n for pair in reversed(node.value) for n in reversed(pair))


def check_keys(entry: Entry, schema: Mapping[str, ParamType | Param], path: str | Path,
               error: type[SpecError] = SpecError) -> dict:
    """The entry's values checked against ``schema``, defaults filled in; raises ``error``."""
    ident = entry.ident

    def fail(key: str, message: str) -> SpecError:
        return error(path, message, ident=ident, key=key, line=entry.key_lines.get(key, entry.line))

    for key in entry.data:
        if key not in schema:
            raise fail(str(key), f"unknown key{did_you_mean(key, schema)}; known keys: {', '.join(schema)}")
    out = {}
    for key, spec in schema.items():
        p = as_param(spec)
        if key not in entry.data:
            if p.required:
                raise fail(key, f"missing (expected {p.type.expected})")
            out[key] = p.default
            continue
        problem = p.type.check(entry.data[key])
        if problem:
            raise fail(key, problem)
        out[key] = entry.data[key]
    return out


def unique_ids(entries: list[Entry], path: str | Path, error: type[SpecError] = SpecError) -> None:
    seen: set[str] = set()
    for e in entries:
        if e.ident in seen:
            raise error(path, "declared twice in this file", ident=e.ident, key="id", line=e.key_lines.get("id"))
        seen.add(e.ident)


# --- indicators -------------------------------------------------------------------------------

IDENT = Text(pattern=r"[A-Za-z0-9_.-]+")
# Whether a higher value of an indicator is better, a lower one, or neither (a level such as staffing:
# context, never judged against a target, ranked or listed among the lowest).
DIRECTIONS = ("higher", "lower", "neither")
INDICATOR_KEYS: dict[str, ParamType | Param] = {
    "id": IDENT,
    "section": Text(choices=tuple(SECTIONS)),
    "name_vi": Text(),
    "name_en": Text(),
    "direction": Text(choices=DIRECTIONS),
    "definition_vi": Text(),
    "numerator": optional(Codes("count")),
    "denominator": optional(Codes("count")),
    "reported": optional(Code("percent")),
    "scale": optional(Number()),
    "uom": optional(Text()),
    # the levels whose reports have the indicator (each input row applies to each of them: checked)
    "levels": TextList(choices=CATALOG_LEVELS),
    # how it adds up over a level's units: ``rate`` (recomputed from the summed counts; a reported rate needs a
    # ``weight``, the count it is a share of) or ``none`` (not added up: the units' values are listed)
    "aggregate": Text(choices=("rate", "none")),
    "weight": optional(Code("count")),
    # counted from January whatever the report's period ("lũy kế đến thời điểm báo cáo": plan completion):
    # never compared with a period of the year before as its previous period
    "cumulative": optional(Flag(), False),
}


def indicator_inputs(spec: dict) -> list[str]:
    """The catalog codes an indicator is computed from (its reported rate, or numerator and denominator)."""
    return [spec["reported"]] if spec.get("reported") else list(spec["numerator"]) + list(spec["denominator"])


def _check_levels(spec: dict, e: Entry, path: str | Path) -> None:
    """An indicator is declared only for levels whose reports have every one of its inputs; a reported rate adds
    up only with a weight, and only a ratio or a weighted rate is ``rate``."""
    cat = by_code()

    def fail(key: str, message: str) -> IndicatorSpecError:
        return IndicatorSpecError(path, message, ident=e.ident, key=key, line=e.key_lines.get(key, e.line))

    if not spec["levels"]:
        raise fail("levels", "say the levels whose reports have this indicator, e.g. [district, commune]")
    for level in spec["levels"]:
        for code in indicator_inputs(spec) + ([spec["weight"]] if spec.get("weight") else []):
            if code in cat and not cat[code].applies_to(level):
                raise fail("levels", f"level {level!r}: input {code} does not apply to it "
                                     f"(catalog.csv levels: {';'.join(cat[code].levels)})")
    if spec.get("weight") and not spec.get("reported"):
        raise fail("weight", "only a reported rate has a weight; a ratio adds up from its counts")
    if spec["aggregate"] == "rate" and spec.get("reported") and not spec.get("weight"):
        raise fail("aggregate", "a rate the unit reports adds up only with a weight (the count it is a share of); "
                                "give weight: CODE, or aggregate: none")


def load_indicator_specs(path: str | Path = INDICATORS_YAML) -> tuple[dict, ...]:
    """The indicators declared in ``path``, checked; each either a ratio or a reported rate."""
    entries = read_entries(path, IndicatorSpecError)
    out = []
    for e in entries:
        spec = check_keys(e, INDICATOR_KEYS, path, IndicatorSpecError)
        given = tuple(spec[k] is not None for k in ("numerator", "denominator", "reported"))
        if given not in ((True, True, False), (False, False, True)):
            key = "reported" if given[2] else "denominator" if given[0] else "numerator"
            raise IndicatorSpecError(path, "give either numerator and denominator (a ratio), or reported "
                                     "(a rate the unit reports)", ident=e.ident, key=key,
                                     line=e.key_lines.get(key, e.line))
        _check_levels(spec, e, path)
        out.append({k: v for k, v in spec.items() if v is not None})
    unique_ids(entries, path, IndicatorSpecError)
    return tuple(out)


@lru_cache(maxsize=1)
def indicator_specs() -> tuple[dict, ...]:
    """The shipped indicators (``data/indicators.yaml``), as checked dictionaries."""
    return load_indicator_specs(INDICATORS_YAML)


# --- levels -----------------------------------------------------------------------------------

class LevelSpecError(SpecError):
    """A level of ``levels.yaml`` that names an unknown indicator, or one that does not apply to it."""


LEVEL_KEYS: dict[str, ParamType | Param] = {
    "level": Text(choices=CATALOG_LEVELS),
    "name_vi": Text(),
    "rank_by": IDENT,
    "headline": TextList(),
}


def load_level_specs(path: str | Path = LEVELS_YAML, indicators: tuple[dict, ...] | None = None) -> dict[str, dict]:
    """``level -> {level, name_vi, rank_by, headline}`` from ``path``, checked: each id is an indicator that
    declares the level; every level of the catalog is described once."""
    specs = {s["id"]: s for s in (indicator_specs() if indicators is None else indicators)}
    out: dict[str, dict] = {}
    for e in read_entries(path, LevelSpecError):
        spec = check_keys(e, LEVEL_KEYS, path, LevelSpecError)
        level = spec["level"]
        if level in out:
            raise LevelSpecError(path, "declared twice in this file", ident=level, key="level",
                                 line=e.key_lines.get("level", e.line))
        for key, ids in (("rank_by", [spec["rank_by"]]), ("headline", spec["headline"])):
            for ident in ids:
                if ident not in specs:
                    raise LevelSpecError(path, f"{ident!r} is not an indicator of indicators.yaml"
                                         f"{did_you_mean(ident, specs)}", ident=level, key=key,
                                         line=e.key_lines.get(key, e.line))
                if level not in specs[ident]["levels"]:
                    raise LevelSpecError(path, f"{ident!r} does not apply to level {level!r} (its levels: "
                                         f"{', '.join(specs[ident]['levels'])})", ident=level, key=key,
                                         line=e.key_lines.get(key, e.line))
        out[level] = spec
    if missing := [lv for lv in CATALOG_LEVELS if lv not in out]:
        raise LevelSpecError(path, f"no entry for level {missing[0]!r}: every level is described once")
    return out


@lru_cache(maxsize=1)
def level_specs() -> dict[str, dict]:
    """The shipped levels (``data/levels.yaml``), as checked dictionaries."""
    return load_level_specs(LEVELS_YAML)


def indicator_applies(ident: str, level: str) -> bool:
    """Whether a report of ``level`` has the indicator (an unknown level: every indicator)."""
    spec = next((s for s in indicator_specs() if s["id"] == ident), None)
    return spec is not None and (not level or level not in CATALOG_LEVELS or level in spec["levels"])


# --- the narrative's sentences (data/sentences.yaml): checked here, with every other declared file, when a
# project loads; said by content/narrative.py ---------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")  # {CODE}, {CODE+CODE}, {=indicator}, {who}, {when} in a sentence


class SentenceError(SpecError):
    """A sentence entry that does not fit the schema (file, line, key, and the nearest valid name)."""

    what = "sentence"


@dataclass(frozen=True)
class Sayings(ParamType):
    """The ``say`` list: texts, or ``{text, zero: [CODES]}``; every placeholder a catalog code or ``=indicator``."""

    expected = "a list of texts or {text: ..., zero: [CODES]}"

    def check(self, value) -> str | None:
        if not isinstance(value, list) or not value:
            return f"{value!r} is not {self.expected}"
        indicators = {s["id"] for s in indicator_specs()}
        for alt in value:
            if isinstance(alt, dict):
                unknown = set(alt) - {"text", "zero"}
                if unknown or not isinstance(alt.get("text"), str):
                    bad = sorted(unknown)[0] if unknown else "text"
                    return f"alternative key {bad!r}{did_you_mean(bad, ('text', 'zero'))} (expected text and zero)"
                problem = Codes().check(alt.get("zero", []) or ["?"]) if "zero" in alt else None
                if problem:
                    return f"zero: {problem}"
                text = alt["text"]
            elif isinstance(alt, str):
                text = alt
            else:
                return f"{alt!r} is not {self.expected}"
            for name in PLACEHOLDER.findall(text):
                if name in ("who", "when"):
                    continue
                if name.startswith("="):
                    if name[1:] not in indicators:
                        return f"{{{name}}}: no indicator {name[1:]!r}{did_you_mean(name[1:], indicators)}"
                    continue
                for code in name.split("+"):
                    problem = Code().check(code)
                    if problem:
                        return f"{{{name}}}: {problem}"
        return None


SENTENCE_KEYS = {"section": Text(choices=tuple(SECTIONS)), "say": Sayings()}


def load_sentences(path: str | Path = SENTENCES_YAML) -> tuple[dict, ...]:
    """The declared sentences of ``path``, each checked: a misspelled key, code or indicator is refused
    naming the file, the line and the nearest valid name (never a sentence silently dropped)."""
    return tuple(check_keys(e, SENTENCE_KEYS, path, SentenceError) for e in read_entries(path, SentenceError))


@lru_cache(maxsize=1)
def sentence_specs() -> tuple[dict, ...]:
    """The shipped sentences (``data/sentences.yaml``), checked."""
    return load_sentences(SENTENCES_YAML)


def placeholders() -> set[str]:
    """Every code and indicator (``=id``) the declared sentences name."""
    names: set[str] = set()
    for spec in sentence_specs():
        for alt in spec["say"]:
            text = alt["text"] if isinstance(alt, dict) else alt
            for name in PLACEHOLDER.findall(text):
                names.update(name.split("+") if not name.startswith("=") else [name])
            names.update(alt.get("zero", []) if isinstance(alt, dict) else [])
    return names - {"who", "when"}
