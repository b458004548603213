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
from dataclasses import dataclass, field
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


def family(name: str, **params: ParamType | Param) -> Callable[[Callable], Callable]:
    """Declare ``fn(rule, ctx, **params)`` as the rule family ``name`` with its declared parameters.

    The declaration is kept on the function (``fn.family``); the registry of families is filled
    explicitly from those functions (``analysis.checks.FAMILIES``), never by importing a module.
    """

    def declare(fn: Callable) -> Callable:
        clash = set(params) & set(COMMON_KEYS)
        taken = set(inspect.signature(fn).parameters) - {"rule", "ctx"}
        if clash or taken != set(params):
            raise TypeError(f"family {name!r}: parameters {sorted(params)} do not match the function's "
                            f"{sorted(taken)} (common keys {sorted(COMMON_KEYS)} are reserved)")
        fn.family = Family(name, fn, {k: as_param(v) for k, v in params.items()})
        return fn

    return declare


def registry(*functions: Callable) -> dict[str, Family]:
    """The families declared on ``functions`` by name; a name declared twice is refused."""
    out: dict[str, Family] = {}
    for fn in functions:
        fam = fn.family
        if fam.name in out:
            raise TypeError(f"family {fam.name!r} declared twice")
        out[fam.name] = fam
    return out


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
    check: Callable = field(repr=False, default=None)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "family": self.family, "severity": self.severity, "title_vi": self.title_vi,
                "doc": self.doc, **self.params}

    def run(self, ctx) -> Iterable:
        """The findings of this rule on a checks ``Context``."""
        return self.check(self, ctx, **self.params)


def read_rules(path: str | Path, known: Mapping[str, Family]) -> tuple[Rule, ...]:
    """The rules of one file, each checked against the schema of its family among ``known``."""
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
                        origin=str(path), line=e.line, check=fam.check))
    return tuple(out)


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
