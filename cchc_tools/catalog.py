"""The canonical indicator catalog: one reviewable CSV in the package.

Each row of the appendix template has one entry: a stable ASCII ``code``
(section, then meaning), the ``section`` (I–VII), the ``parent`` code, the
``kind`` (count, percent, flag, category, text or group), the canonical unit
of measure, the code list of flags and categories, whether the row is
``required``, the ``levels`` it applies to (empty: every level; ``district``
for rows about the district People's Committee, which provinces, departments
and communes do not have), the ``forms`` that have the row (see
:mod:`cchc_tools.forms`: each form lists its rows, as printed, with these codes),
and the Vietnamese and English labels.

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

from cchc_tools.paths import CATALOG_CSV, KIT_ROOT
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


def entries() -> tuple[Entry, ...]:
    """All catalog entries in template order, then the new codes of the project's draft forms."""
    return _entries(_draft_forms())


_PROJECT_FORMS = [KIT_ROOT / "forms"]


def use_project_forms(folder: str | Path) -> None:
    """The forms folder of the project in use (its own forms, added to or replacing the kit's); set
    explicitly when a project is put to use (``Project.activate``), never looked up."""
    _PROJECT_FORMS[0] = Path(folder)


def project_forms_dir() -> Path:
    return _PROJECT_FORMS[0]


def _draft_forms() -> tuple[str, int]:
    """The project's form folder and its modification time (changed when a form file is written)."""
    folder = project_forms_dir()
    try:
        return str(folder), folder.stat().st_mtime_ns
    except OSError:
        return str(folder), 0


@lru_cache(maxsize=1)
def _catalog_entries() -> tuple[Entry, ...]:
    with open(CATALOG_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        out.append(Entry(code=row["code"], section=row["section"], parent=row["parent"],
                         kind=row["kind"], uom=clean(row["uom"]), codelist=row["codelist"],
                         required=row["required"] == "1",
                         levels=tuple(x for x in row.get("levels", "").split(";") if x),
                         forms=tuple(x for x in row.get("forms", "").split(";") if x),
                         label_vi=clean(row["label_vi"]),
                         label_en=row["label_en"]))
    return tuple(out)


@lru_cache(maxsize=4)
def _entries(drafts: tuple[str, int]) -> tuple[Entry, ...]:
    """The catalog, and the rows a project's form file marks ``status = new`` (``cchc form derive``
    writes them): catalog entries of their form until an analyst moves them into catalog.csv."""
    base = _catalog_entries()
    known = {e.code for e in base}
    extra: list[Entry] = []
    folder, mtime = drafts
    for path in sorted(Path(folder).glob("*.csv")) if mtime else []:
        text = path.read_text(encoding="utf-8")
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
                               levels=(), forms=(name,), label_vi=clean(row.get("label")), label_en=""))
    return base + tuple(extra)


def by_code() -> dict[str, Entry]:
    return _by_code(_draft_forms())


@lru_cache(maxsize=4)
def _by_code(drafts: tuple[str, int]) -> dict[str, Entry]:
    return {e.code: e for e in _entries(drafts)}


def entry(code: str) -> Entry:
    return by_code()[code]


def load_catalog() -> pd.DataFrame:
    """The catalog as a DataFrame, in template order."""
    df = pd.DataFrame([e.__dict__ for e in entries()])
    df["order"] = range(len(df))
    return df

