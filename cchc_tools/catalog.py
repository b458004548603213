"""The canonical indicator catalog: one reviewable CSV in the package.

Each row of the appendix template has one entry: a stable ASCII ``code``
(section, then meaning), the ``section`` (I–VII), the ``parent`` code, the
``kind`` (count, percent, flag, category, text or group), the canonical unit
of measure, the code list of flags and categories, whether the row is
``required``, the ``levels`` it applies to (``province``, ``department``,
``district`` for the legacy district People's Committee, ``commune`` for communes,
wards and special zones; ``;``-separated, never empty), how it adds up (``aggregate``)
across the units of a level (below), the ``forms`` that have the row (see
:mod:`cchc_tools.forms`: each form lists its rows, as printed, with these codes),
and the Vietnamese and English labels.

How a row adds up over the units of one level (``aggregate``; one kind, then ``level=kind``
exceptions, e.g. ``same; department=sum``):

- ``sum``: a count of things each unit has on its own (dossiers, documents, people): added up;
- ``same``: a list that is the same for every unit of the level (procedures in force, online
  services offered): the consolidated figure is the province's own list, never a sum; pages give
  the range of the units' values and say "không cộng";
- ``count_yes``: a yes/no answer (or a count a unit gives about itself, 0 or 1): "n/N đơn vị";
- ``rate``: a percentage recomputed from the units' summed counts (its formula: a ``rate_matches``
  rule, or an indicator that weights the unit's own rate by a count), never an average of rates;
- ``none``: not added up (free text, a code, a rate without counts): the units' values are listed.

A row without its levels or its aggregation is refused when the catalog is read, naming the line.

One code means one thing on every form: a row whose meaning changed (the online
services of "mức độ 3, 4", replaced by "toàn trình / một phần" in 2022) has a new
code, never a relabelled old one.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cchc_tools.errors import CchcError
from cchc_tools.paths import CATALOG_CSV
from cchc_tools.text import clean, label_key

SECTIONS: dict[str, tuple[str, str]] = {
    "I": ("Công tác chỉ đạo điều hành CCHC", "Direction and management of PAR"),
    "II": ("Cải cách thể chế", "Institutional reform"),
    "III": ("Cải cách thủ tục hành chính", "Administrative procedure reform"),
    "IV": ("Cải cách tổ chức bộ máy hành chính nhà nước", "Reform of the administrative apparatus"),
    "V": ("Cải cách chế độ công vụ", "Civil service reform"),
    "VI": ("Cải cách tài chính công", "Public finance reform"),
    "VII": ("Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
            "E-government and digital government"),
}
SECTION_ORDER = list(SECTIONS)
KINDS = ("count", "percent", "flag", "category", "text", "group")
LEVELS = ("province", "department", "district", "commune")
AGGREGATES = ("sum", "same", "count_yes", "rate", "none")


class CatalogError(CchcError):
    """A catalog row that says too little: the file, the line, the code and what was expected."""


@dataclass(frozen=True)
class Entry:
    code: str
    section: str
    parent: str
    kind: str
    uom: str
    codelist: str
    required: bool
    levels: tuple[str, ...]
    forms: tuple[str, ...]
    label_vi: str
    label_en: str
    aggregate: tuple[tuple[str, str], ...] = (("", "sum"),)  # ("", default kind), then (level, kind) exceptions

    def aggregates(self, level: str = "") -> str:
        """How the row adds up over units of ``level`` (``sum``, ``same``, ``count_yes``, ``rate``, ``none``)."""
        table = dict(self.aggregate)
        return table.get(level, table[""])

    def applies_to(self, level: str) -> bool:
        """Whether a report of this level has the row (an unknown level has them all)."""
        return not self.levels or not level or level in self.levels

    @property
    def key(self) -> str:
        return label_key(self.label_vi)

    def allowed_codes(self) -> dict[float, str]:
        """``Có = 1; Không = 0`` -> ``{1.0: "Có", 0.0: "Không"}``."""
        return parse_codelist(self.codelist)


_CODE_ITEM = re.compile(r"([^=;]{1,80}?)\s*=\s*(\d{1,9})")


def parse_codelist(text: str) -> dict[float, str]:
    return {float(num): clean(name) for name, num in _CODE_ITEM.findall(text or "")}


def parse_aggregate(text: str) -> tuple[tuple[str, str], ...]:
    """``same; department=sum`` -> ``(("", "same"), ("department", "sum"))``; ValueError naming what is wrong."""
    parts = [p.strip() for p in (text or "").split(";") if p.strip()]
    if not parts or "=" in parts[0]:
        raise ValueError(f"expected one of {', '.join(AGGREGATES)} first (then level=kind exceptions), got {text!r}")
    out: list[tuple[str, str]] = []
    for part in parts:
        level, _, kind = part.rpartition("=")
        level, kind = level.strip(), kind.strip()
        if kind not in AGGREGATES:
            raise ValueError(f"unknown aggregation {kind!r}; expected one of {', '.join(AGGREGATES)}")
        if level and level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        out.append((level, kind))
    return tuple(out)


def _catalog_entry(row: dict, line: int, path: Path) -> Entry:
    code = row.get("code") or ""

    def fail(key: str, message: str) -> CatalogError:
        return CatalogError(f"{path.name}:{line}: row {code!r}, column {key!r}: {message}")

    kind = row.get("kind") or ""
    if kind not in KINDS:
        raise fail("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    levels = tuple(x.strip() for x in (row.get("levels") or "").split(";") if x.strip())
    if not levels:
        raise fail("levels", f"say the levels the row applies to ({';'.join(LEVELS)})")
    if bad := [x for x in levels if x not in LEVELS]:
        raise fail("levels", f"unknown level {bad[0]!r}; expected some of {', '.join(LEVELS)}")
    try:
        aggregate = parse_aggregate(row.get("aggregate") or "")
    except ValueError as exc:
        raise fail("aggregate", str(exc)) from None
    if kind in ("flag", "text", "category", "group") and any(k in ("sum", "same", "rate") for _, k in aggregate):
        raise fail("aggregate", f"a {kind} row is never added up: use count_yes or none")
    if kind == "count" and any(k == "rate" for _, k in aggregate):
        raise fail("aggregate", "a count is not a rate: use sum, same, count_yes or none")
    return Entry(code=code, section=row["section"], parent=row["parent"], kind=kind, uom=clean(row["uom"]),
                 codelist=row["codelist"], required=row["required"] == "1", levels=levels,
                 forms=tuple(x for x in (row.get("forms") or "").split(";") if x),
                 label_vi=clean(row["label_vi"]), label_en=row["label_en"], aggregate=aggregate)


def read_catalog(path: str | Path = CATALOG_CSV) -> tuple[Entry, ...]:
    """The catalog file's entries, each checked (levels and aggregation said; known kinds and levels)."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as fh:
        return tuple(_catalog_entry(row, n, path) for n, row in enumerate(csv.DictReader(fh), start=2))


def entries(drafts: str | Path | None = None) -> tuple[Entry, ...]:
    """All catalog entries in template order, then the new codes the draft forms in the folder ``drafts`` propose
    (a project's forms folder, passed by its caller; None: the catalog alone, as the kit ships it)."""
    return _entries(_draft_forms(drafts))


def _draft_forms(folder: str | Path | None) -> tuple[str, int]:
    """A forms folder and its modification time (changed when a form file is written); ("", 0) for none."""
    if folder is None:
        return "", 0
    try:
        return str(folder), Path(folder).stat().st_mtime_ns
    except OSError:
        return str(folder), 0


@lru_cache(maxsize=1)
def _catalog_entries() -> tuple[Entry, ...]:
    return read_catalog(CATALOG_CSV)


@lru_cache(maxsize=4)
def _entries(drafts: tuple[str, int]) -> tuple[Entry, ...]:
    """The catalog, and the rows a project's form file marks ``status = new`` (``cchc form derive``
    writes them): catalog entries of their form until an analyst moves them into catalog.csv."""
    base = _catalog_entries()
    known = {e.code for e in base}
    extra: list[Entry] = []
    folder, mtime = drafts
    for path in sorted(p for p in Path(folder).glob("*.csv") if p.is_file()) if mtime else []:
        text = path.read_text(encoding="utf-8-sig")  # the project load checked each (forms.check_form_folder)
        name = path.stem
        body = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
        for row in csv.DictReader(body):
            code = clean(row.get("code"))
            if row.get("status") != "new" or not code or code in known or "." not in code:
                continue
            known.add(code)
            kind = row.get("kind") if row.get("kind") in KINDS else "count"
            extra.append(Entry(code=code, section=code.split(".")[0], parent="", kind=kind,
                               uom=clean(row.get("uom")), codelist=row.get("codelist") or "", required=False,
                               levels=(), forms=(name,), label_vi=clean(row.get("label")), label_en="",
                               aggregate=((("", _DRAFT_AGGREGATE.get(kind, "none")),))))
    return base + tuple(extra)


_DRAFT_AGGREGATE = {"count": "sum", "flag": "count_yes"}  # a draft row, until an analyst says more in catalog.csv


def by_code(drafts: str | Path | None = None) -> dict[str, Entry]:
    """The entries of :func:`entries` by code (``drafts``: a project's forms folder, or None)."""
    return _by_code(_draft_forms(drafts))


@lru_cache(maxsize=4)
def _by_code(drafts: tuple[str, int]) -> dict[str, Entry]:
    return {e.code: e for e in _entries(drafts)}


def entry(code: str, drafts: str | Path | None = None) -> Entry:
    return by_code(drafts)[code]


def load_catalog(drafts: str | Path | None = None) -> pd.DataFrame:
    """The catalog as a DataFrame, in template order (with the draft rows of the forms folder ``drafts``)."""
    df = pd.DataFrame([e.__dict__ for e in entries(drafts)])
    df["order"] = range(len(df))
    return df

