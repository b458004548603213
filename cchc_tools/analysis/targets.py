"""Targets: the official (or the province's own) level an indicator should reach, each with its source.

A targets file (``data/targets.yaml``, or a province project's own files named in ``cchc.toml``) is
a list of entries read by the same schema checker as the indicators and the rules: an unknown or
misspelled key, a missing one, a value of the wrong type or an indicator that is not declared is
refused naming the file, the line, the target and the key (with the nearest valid key or value).
A later file's target with the id of an earlier one replaces it, with a notice.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cchc_tools.analysis.specs import (
    IDENT,
    Flag,
    ParamType,
    SpecError,
    Text,
    TextList,
    Year,
    check_keys,
    indicator_specs,
    optional,
    read_entries,
    unique_ids,
)
from cchc_tools.limits import MAX_ABS_VALUE, shorten
from cchc_tools.paths import TARGETS_YAML

LEVELS = ("province", "department", "district", "commune")


class TargetError(SpecError):
    """A target that does not fit the schema (file, line, target id and key named)."""

    what = "target"


class TargetOverride(UserWarning):
    """A targets file declares an id already loaded: its target replaces the earlier one."""


@dataclass(frozen=True)
class TargetValue(ParamType):
    """A target's value: a finite number from 0 to below MAX_ABS_VALUE, the largest number the kit reads
    (in the indicator's unit: 90 is 90%). ``.inf``, ``1e+309`` or ``1e300`` would pass for numbers and break
    every page that writes or compares them."""

    @property
    def expected(self) -> str:
        return ("a finite number from 0 to less than 10^15 (MAX_ABS_VALUE), in the indicator's unit, "
                "e.g. 95 or 92.5 for 95% or 92,5%")

    def check(self, value) -> str | None:
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value) and 0 <= value < MAX_ABS_VALUE)
        return None if ok else f"{shorten(repr(value))} is not {self.expected}"


def target_keys() -> dict[str, ParamType]:
    return {
        "id": IDENT,
        "indicator": Text(choices=tuple(s["id"] for s in indicator_specs())),
        "op": Text(choices=(">=", "<=")),
        "value": TargetValue(),
        "from_year": optional(Year()),
        "to_year": optional(Year()),
        "levels": optional(TextList(LEVELS), []),
        "source": Text(),
        "verified": optional(Flag(), False),
        "note": optional(Text(), ""),
    }


def read_targets(path: str | Path) -> tuple[dict, ...]:
    """The targets of one file, each checked; ``origin`` and ``line`` say where it was read."""
    entries = read_entries(path, TargetError)
    schema = target_keys()
    out = []
    for e in entries:
        t = check_keys(e, schema, path, TargetError)
        out.append({**t, "origin": str(path), "line": e.line})
    unique_ids(entries, path, TargetError)
    return tuple(out)


@lru_cache(maxsize=1)
def shipped_targets() -> tuple[dict, ...]:
    return read_targets(TARGETS_YAML)


def merge_targets(base: Iterable[dict], extra: Iterable[dict]) -> tuple[dict, ...]:
    merged = {t["id"]: t for t in base}
    for t in extra:
        if t["id"] in merged:
            old = merged[t["id"]]
            warnings.warn(f"{t['origin']}:{t['line']}: target {t['id']!r} overrides the target of the same id "
                          f"from {old['origin']}:{old['line']}", TargetOverride, stacklevel=3)
        merged[t["id"]] = t
    return tuple(merged.values())


def load_targets(paths: Iterable[str | Path] = (), shipped: bool = True) -> tuple[dict, ...]:
    """The shipped targets (unless ``shipped=False``), then each file's in turn (same id replaces)."""
    targets: tuple[dict, ...] = shipped_targets() if shipped else ()
    for p in paths:
        targets = merge_targets(targets, read_targets(p))
    return targets


def applies(t: dict, year, level: str) -> bool:
    if year is None or pd.isna(year):
        return False
    if int(year) < int(t.get("from_year") or 0) or (t.get("to_year") and int(year) > int(t["to_year"])):
        return False
    return not t.get("levels") or level in t["levels"]


UNVERIFIED_NOTE = " (chưa đối chiếu văn bản gốc)"  # a target whose wording was not read in the document itself


def cite_target(source: str, verified: bool, *, short: bool = False, star: bool = False) -> str:
    """How every page, letter and digest cites a target's source (``theo Quyết định số 766/QĐ-TTg ngày ...``):
    whole, or ``short`` (without its date: a card, a line of text); a target not read in the original document
    says so, in words (``(chưa đối chiếu văn bản gốc)``) or, where a note below explains it, with ``star`` (``*``)."""
    text = str(source).split(" ngày")[0] if short else str(source)
    if verified:
        return text
    return text + ("*" if star else UNVERIFIED_NOTE)


def target_text(t: dict) -> str:
    """How a page cites a target: ``theo Quyết định ...``; whether it was verified is shown from
    ``target_verified`` by the page itself, never written into this text."""
    return f"theo {t['source']}"
