"""Load the declarative registries (indicators and check rules) shipped with the package."""

from __future__ import annotations

from functools import lru_cache

import yaml

from cchc_tools.catalog import by_code
from cchc_tools.paths import INDICATORS_YAML, RULES_YAML

# The C loader when PyYAML was built with libyaml (about ten times faster), else the Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _codes_in(spec: dict) -> list[str]:
    out: list[str] = []
    for key, val in spec.items():
        if key in ("numerator", "denominator", "parts", "part", "whole", "total", "codes",
                   "rate", "count", "reported", "num", "den"):
            out.extend([val] if isinstance(val, str) else list(val))
    return out


def _validate(items: list[dict], name: str) -> list[dict]:
    known = by_code()
    seen = set()
    for item in items:
        ident = item["id"]
        if ident in seen:
            raise ValueError(f"{name}: id {ident!r} declared twice")
        seen.add(ident)
        for code in _codes_in(item):
            if code not in known:
                raise ValueError(f"{name}: {ident!r} names {code!r}, which is not in the catalog")
    return items


@lru_cache(maxsize=1)
def indicator_specs() -> tuple[dict, ...]:
    with open(INDICATORS_YAML, encoding="utf-8") as fh:
        return tuple(_validate(yaml.load(fh, Loader=_Loader), INDICATORS_YAML.name))


@lru_cache(maxsize=1)
def rule_specs() -> tuple[dict, ...]:
    with open(RULES_YAML, encoding="utf-8") as fh:
        return tuple(_validate(yaml.load(fh, Loader=_Loader), RULES_YAML.name))
