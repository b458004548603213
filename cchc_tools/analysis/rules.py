"""Check rules: the families a rule can run, the parameters each declares, and reading rule files.

A family is a check function registered with its parameters, in the manner of pandera's
registered checks::

    @family("part_le_whole", part=Codes("count"), whole=Codes("count"))
    def _part_le_whole(rule, ctx, part, whole): ...

A rule file (``data/rules.yaml``, or a province's own file given to ``cchc check --rules``)
is a list of rules; each has the common keys (``id``, ``family``, ``severity``, ``title_vi``,
``doc``) and exactly the parameters its family declares. Reading refuses an unknown family,
an unknown or missing key, a value of the wrong type, a bad severity or a code that is not
in the catalog, with a :class:`RuleError` naming the file, the line, the rule and the key.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cchc_tools.analysis.specs import (
    IDENT,
    Param,
    ParamType,
    SpecError,
    Text,
    as_param,
    check_keys,
    did_you_mean,
    read_entries,
    unique_ids,
)
from cchc_tools.paths import RULES_YAML

SEVERITIES = ("error", "warning", "info")
COMMON_KEYS: dict[str, ParamType] = {
    "id": IDENT,                          # stable identifier, shown in every finding
    "family": Text(),                     # the registered check it runs
    "severity": Text(choices=SEVERITIES),
    "title_vi": Text(),                   # short Vietnamese title a quality table shows instead of the id
    "doc": Text(),                        # what the rule checks and what it assumes about the form
}


class RuleError(SpecError):
    """A rule that does not fit the schema of its family (file, line, rule id and key named)."""

    what = "rule"


class RuleOverride(UserWarning):
    """A rule file declares an id already loaded: its rule replaces the earlier one."""


@dataclass(frozen=True)
class Family:
    name: str
    check: Callable
    params: Mapping[str, Param]


FAMILIES: dict[str, Family] = {}


def family(name: str, **params: ParamType | Param) -> Callable[[Callable], Callable]:
    """Register ``fn(rule, ctx, **params)`` as the rule family ``name`` with its declared parameters."""

    def register(fn: Callable) -> Callable:
        clash = set(params) & set(COMMON_KEYS)
        taken = set(inspect.signature(fn).parameters) - {"rule", "ctx"}
        if name in FAMILIES or clash or taken != set(params):
            raise TypeError(f"family {name!r}: registered twice, or parameters {sorted(params)} do not match "
                            f"the function's {sorted(taken)} (common keys {sorted(COMMON_KEYS)} are reserved)")
        FAMILIES[name] = Family(name, fn, {k: as_param(v) for k, v in params.items()})
        return fn

    return register


def families() -> dict[str, Family]:
    """Every registered family (importing the checks registers them)."""
    import cchc_tools.analysis.checks  # noqa: F401

    return FAMILIES


@dataclass(frozen=True, eq=False)
class Rule:
    """One declared rule: the common keys, its family's parameters, and where it was read."""

    id: str
    family: str
    severity: str
    title_vi: str
    doc: str
    params: Mapping[str, Any]
    origin: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "family": self.family, "severity": self.severity, "title_vi": self.title_vi,
                "doc": self.doc, **self.params}

    def run(self, ctx) -> Iterable:
        """The findings of this rule on a checks ``Context``."""
        return FAMILIES[self.family].check(self, ctx, **self.params)


def read_rules(path: str | Path) -> tuple[Rule, ...]:
    """The rules of one file, each checked against the schema of its family."""
    known = families()
    entries = read_entries(path, RuleError)
    unique_ids(entries, path, RuleError)
    out = []
    for e in entries:
        name = e.data.get("family")
        if not isinstance(name, str) or name not in known:
            problem = (f"unknown family {name!r}{did_you_mean(name, known)}" if "family" in e.data
                       else "missing")
            raise RuleError(path, f"{problem}; known families: {', '.join(sorted(known))}", ident=e.ident,
                            key="family", line=e.key_lines.get("family", e.line))
        fam = known[name]
        values = check_keys(e, {**COMMON_KEYS, **fam.params}, path, RuleError)
        out.append(Rule(**{k: values[k] for k in COMMON_KEYS}, params={k: values[k] for k in fam.params},
                        origin=str(path), line=e.line))
    return tuple(out)


@lru_cache(maxsize=1)
def shipped_rules() -> tuple[Rule, ...]:
    """The rules shipped in ``data/rules.yaml``."""
    return read_rules(RULES_YAML)


def merge_rules(base: Iterable[Rule], extra: Iterable[Rule]) -> tuple[Rule, ...]:
    """``base`` then ``extra``; a rule of ``extra`` whose id is already there replaces it in place
    (a :class:`RuleOverride` warning says so)."""
    rules = {r.id: r for r in base}
    for rule in extra:
        if rule.id in rules:
            warnings.warn(f"{rule.origin}:{rule.line}: rule {rule.id!r} overrides the rule of the same id "
                          f"from {rules[rule.id].origin}:{rules[rule.id].line}", RuleOverride, stacklevel=3)
        rules[rule.id] = rule
    return tuple(rules.values())


def load_rules(*paths: str | Path, shipped: bool = True) -> tuple[Rule, ...]:
    """The shipped rules (unless ``shipped=False``) with each file's rules added in turn.

    A duplicate id overrides the rule loaded before it (with a :class:`RuleOverride` warning);
    a rule that does not fit its family's schema raises :class:`RuleError`.
    """
    rules: tuple[Rule, ...] = shipped_rules() if shipped else ()
    for path in paths:
        rules = merge_rules(rules, read_rules(path))
    return rules


def select_rules(rules: Iterable[Rule | str] | None = None,
                 extra_rules: str | Path | Iterable[str | Path] | None = None) -> tuple[Rule, ...]:
    """The rules ``validate`` runs: ``rules`` (Rule records, or ids picked from the shipped rules;
    default: all shipped), with the rule files ``extra_rules`` added (overriding by id)."""
    extra = [extra_rules] if isinstance(extra_rules, str | Path) else list(extra_rules or ())
    if rules is None:
        return load_rules(*extra)
    rules = list(rules)
    if all(isinstance(r, Rule) for r in rules):
        return merge_rules(rules, (r for path in extra for r in read_rules(path)))
    if not all(isinstance(r, str) for r in rules):
        raise TypeError("rules: give Rule records (from load_rules) or rule ids, not both")
    loaded = load_rules(*extra)
    unknown = sorted(set(rules) - {r.id for r in loaded})
    if unknown:
        raise ValueError(f"unknown rule ids: {', '.join(unknown)}")
    return tuple(r for r in loaded if r.id in set(rules))
