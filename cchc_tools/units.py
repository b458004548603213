"""Official administrative units: codes, names, levels, provinces, and the reform of 1 July 2025.

A report names its unit in its title ("Ủy ban nhân dân thị xã Vĩnh Châu"); officials and the
national systems name units by their official code (mã đơn vị hành chính: 2 digits for a
province, 3 for a district, 5 for a commune, ward or special zone). Before 1 July 2025 Viet Nam
had 63 provinces, about 700 districts and 10,000 communes ("legacy" units); since then 34
provinces and about 3,300 communes, wards and special zones, and no districts ("current" units).
A current commune keeps the code of one of the legacy communes merged into it, so a code is read
together with its era.

The data come from the pinned package ``vietnamadminunits`` (its SQLite table of legacy and
current units and its legacy-to-2025 conversion table), read directly: importing the package
itself costs about two seconds (geometry libraries for its address parser), reading its data
a few hundredths.

``resolve_unit(name, year, province="")`` gives the official unit of a report. The province,
when the title does not name it, is the project's (``[project] province`` in its ``cchc.toml``),
passed explicitly by the loader. A province naming a current province also covers the legacy
provinces merged into it (Cần Thơ: Cần Thơ, Hậu Giang, Sóc Trăng), so one setting serves a
province's whole history.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from cchc_tools.errors import CchcError
from cchc_tools.paths import KIT_ROOT
from cchc_tools.text import ascii_fold, clean, lower_first

#: What the fictional units of the 2022 district demo are named after (``huyện Minh Họa 01``).
FICTIONAL_NAME = "Minh Họa"
REFORM_YEAR = 2025  # local government has two levels since 1 July 2025
_EARLY_PERIODS = {"Q1", "Q2", "6-month"}  # periods of 2025 that end before the reform

_TYPES = [("thành phố trực thuộc trung ương", "province"), ("thành phố", ""), ("thị trấn", "commune"),
          ("thị xã", "district"), ("đặc khu", "commune"), ("huyện", "district"), ("quận", "district"),
          ("phường", "commune"), ("xã", "commune"), ("tỉnh", "province"), ("tp.", ""), ("tp", "")]


class UnitNotFound(CchcError):
    """A unit name that matches no official unit (or several): ``candidates`` lists close names."""

    def __init__(self, message: str, candidates: list[str]):
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class OfficialUnit:
    """An official administrative unit of one era (``legacy``: before 1/7/2025)."""

    code: str
    name: str
    level: str
    province: str
    province_code: str
    legacy: bool
    successors: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # (code, name) of 2025 units

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level, "province": self.province,
                "province_code": self.province_code, "legacy": self.legacy,
                "successors": [{"code": c, "name": n} for c, n in self.successors]}


def _display(era: _Era, code: str) -> str:
    u = era.units[code]
    where = ", ".join(x for x in (u.district, era.units[u.province_code].name) if x)
    return f"{u.name} ({where}, mã {code})"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", ascii_fold(clean(text)).lower())


def split_type(name: str) -> tuple[str, str]:
    """``thị xã Vĩnh Châu`` -> (``thị xã``, ``Vĩnh Châu``); the type is "" when none is written."""
    low = clean(name).lower()
    for prefix, _ in _TYPES:
        if low.startswith(prefix + " "):
            return prefix, clean(name)[len(prefix):].strip()
    return "", clean(name)


def era_is_legacy(year: int | None, period: str = "", report_date: str = "") -> bool | None:
    """Whether a report speaks of legacy units: before 1/7/2025; None when it cannot be told."""
    if report_date[:4].isdigit() and len(report_date) >= 7:
        return report_date[:7] < f"{REFORM_YEAR}-07"
    if year is None:
        return None
    if year != REFORM_YEAR:
        return year < REFORM_YEAR
    return True if period in _EARLY_PERIODS else None


# --- the data ---------------------------------------------------------------------------------

@dataclass(slots=True)
class _Unit:
    code: str
    name: str
    level: str
    province_code: str
    key: str  # the package's folded short name (vinhhai)
    district: str = ""  # a legacy commune's district, to tell apart "Phường 1" of two towns


class _Index:
    """The index's tables in SQLite (:func:`_fill`), asked one question at a time: a process that resolves a
    few names reads a few rows, not the 14,000 units (making them, and the garbage collector's passes over them,
    cost more than reading the file). Opened read-only (the file is replaced whole, never changed in place), again
    in a forked process, and shared by threads one question at a time."""

    def __init__(self, path: Path | None, tables: dict[str, list[tuple]] | None = None) -> None:
        self.path, self.tables = path, tables  # tables: kept in memory when no copy could be written
        self._con: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            if self.path is not None:
                con = sqlite3.connect(f"{self.path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            else:
                con = sqlite3.connect(":memory:", check_same_thread=False)
                _fill(con, self.tables or {})
            self._con = con
        return self._con

    def rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        if self._pid != os.getpid():  # a forked process: its own lock and connection
            self._lock, self._con, self._pid = threading.Lock(), None, os.getpid()
        with self._lock:
            return self._connection().execute(sql, args).fetchall()

    def column(self, sql: str, args: tuple = ()) -> list[str]:
        return [r[0] for r in self.rows(sql, args)]


_UNIT_FIELDS = "code, name, level, province_code, key, district"


class _Units(Mapping[str, _Unit]):
    """The units of an era by code, each read from the index when first asked for; every unit, in the package's
    order, when they are iterated."""

    def __init__(self, index: _Index, era: int) -> None:
        self._index, self._era = index, era
        self._made: dict[str, _Unit | None] = {}
        self._all: dict[str, _Unit] | None = None

    def _get(self, code: str) -> _Unit | None:
        if code in self._made:
            return self._made[code]
        found = self._index.rows(f"SELECT {_UNIT_FIELDS} FROM unit WHERE era = ? AND code = ?", (self._era, code))
        unit = self._made[code] = _Unit(*found[0]) if found else None
        return unit

    def __getitem__(self, code: str) -> _Unit:
        unit = self._get(code) if isinstance(code, str) else None
        if unit is None:
            raise KeyError(code)
        return unit

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._get(code) is not None

    def _every(self) -> dict[str, _Unit]:
        if self._all is None:
            self._all = {r[0]: _Unit(*r) for r in self._index.rows(
                f"SELECT {_UNIT_FIELDS} FROM unit WHERE era = ? ORDER BY ord", (self._era,))}
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())

    def values(self):
        return self._every().values()

    def items(self):
        return self._every().items()


class _Era:
    """The official units of one era: by code, by folded short name, and the codes of its provinces."""

    def __init__(self, index: _Index, legacy: bool) -> None:
        self._index, self._era = index, int(legacy)
        self.units = _Units(index, int(legacy))
        self.provinces = frozenset(index.column("SELECT code FROM unit WHERE era = ? AND level = 'province'",
                                                (int(legacy),)))

    def codes(self, key: str) -> list[str]:
        """The codes of the units whose folded short name is ``key``, in the package's order."""
        return self._index.column("SELECT code FROM unit WHERE era = ? AND key = ? ORDER BY ord", (self._era, key))


class _Data:
    """The index of official units: the two eras, and the links between them."""

    def __init__(self, index: _Index) -> None:
        self._index = index
        self.legacy = _Era(index, True)
        self.current = _Era(index, False)
        # legacy province code -> current province code
        self.province_successor: dict[str, str] = dict(index.rows("SELECT old, new FROM province"))

    def successors(self, ward: str) -> list[str]:
        """The current wards a legacy ward went to, by code."""
        return self._index.column("SELECT new FROM link WHERE old = ? ORDER BY new", (ward,))

    def predecessors(self, ward: str) -> list[str]:
        """The legacy wards a current ward was made of, by code."""
        return self._index.column("SELECT old FROM link WHERE new = ? ORDER BY old", (ward,))

    def wards_of(self, district: str) -> list[str]:
        """The legacy wards of a legacy district, by code."""
        return self._index.column("SELECT ward FROM ward WHERE district = ? ORDER BY ward", (district,))

    def district_of(self, ward: str) -> str | None:
        """The legacy district of a legacy ward."""
        found = self._index.column("SELECT district FROM ward WHERE ward = ?", (ward,))
        return found[0] if found else None


def _package_data() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise CchcError("the package vietnamadminunits is not installed: run `make venv` (it is pinned in "
                        "pyproject.toml)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


#: The layout of the index's copy (3: SQLite; 2: JSON of texts; 1: JSON of lists), in its name and its ``meta``.
_INDEX_SCHEMA = 3
#: The package's files the index is made from.
_SOURCES = ("dataset.db", "converter_2025.json")


#: Where the index's copy is kept when no cache folder is given (the kit's own, outside git).
DEFAULT_INDEX_CACHE = KIT_ROOT / "data" / "processed" / "cache"

# The index of units by the package data it was made from: read once per process and never changed, the same for
# every project (a project's cache folder only says where its copy is kept).
_INDEXES: dict[tuple[str, str], _Data] = {}


def load_index(cache: str | Path | None = None) -> None:
    """Open the index of official units, once per process: its SQLite copy in the folder ``cache`` (a project's
    cache; default :data:`DEFAULT_INDEX_CACHE`), else built from the package's data and saved there (opening it
    costs a millisecond; its rows are read when asked for). Calling it again, with any folder, reads nothing: the
    index is the package's data, the same whatever project asks."""
    _data(cache)


def _package_version(folder: Path) -> str:
    """The installed version of ``vietnamadminunits`` (whose package folder is ``folder``): the name of its one
    ``.dist-info`` folder beside it, as :func:`importlib.metadata.version` finds it (without importing that module,
    tens of milliseconds at a process's start), or from :mod:`importlib.metadata` when there is not exactly one."""
    prefix = folder.name + "-"
    with contextlib.suppress(OSError), os.scandir(folder.parent) as entries:
        found = [e.name[len(prefix):-len(".dist-info")] for e in entries
                 if e.name.startswith(prefix) and e.name.endswith(".dist-info")]
        if len(found) == 1 and found[0]:
            return found[0]
    from importlib.metadata import version

    return version("vietnamadminunits")


@cache
def _index_key() -> tuple[str, str]:
    """The package data the index is made from: its folder, and a name of its copy that changes with the package's
    version, the size and time of change of each file it is made from, and the layout of the copy."""
    folder = _package_data()
    version = _package_version(folder.parent)
    stamp = hashlib.sha256(repr([(name, *_stat(folder / name)) for name in _SOURCES]).encode()).hexdigest()[:12]
    return str(folder), f"units-{version}-{_INDEX_SCHEMA}-{stamp}.sqlite"


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:  # built from nothing: _build says which file is missing
        return -1, -1
    return st.st_size, st.st_mtime_ns


def _data(cache: str | Path | None = None) -> _Data:
    key = _index_key()
    data = _INDEXES.get(key)
    if data is None:
        data = _INDEXES.setdefault(key, _read_or_build(Path(cache) if cache else DEFAULT_INDEX_CACHE, key[1]))
    return data


def _read_or_build(folder: Path, name: str) -> _Data:
    """The index from its copy ``name`` in ``folder``, else built and the copy written (whole or not at all); kept in
    memory when the folder cannot be written."""
    cached = (folder / name).absolute()
    index = _opened(cached, name)
    if index is not None:
        return _Data(index)
    tables = _build()
    try:
        from cchc_tools.atomic import atomic_path

        with atomic_path(cached) as tmp:
            con = sqlite3.connect(tmp)
            try:
                _fill(con, tables, name)
            finally:
                con.close()
    except (OSError, sqlite3.Error):  # a read-only cache folder: built again by the next process
        return _Data(_Index(None, tables))
    return _Data(_opened(cached, name) or _Index(None, tables))


def _opened(path: Path, name: str) -> _Index | None:
    """The index in the file ``path`` when it is a sound copy named ``name`` (its layout and name in its ``meta``),
    else None."""
    try:
        index = _Index(path)
        if index.rows("SELECT schema, name FROM meta") == [(_INDEX_SCHEMA, name)]:
            index.rows("SELECT count(*) FROM unit")  # every page of the table read: a damaged file fails here
            return index
    except (OSError, sqlite3.Error):
        pass
    return None


_SCHEMA_SQL = """
CREATE TABLE meta (schema INTEGER, name TEXT);
CREATE TABLE unit (era INTEGER, code TEXT, ord INTEGER, name TEXT, level TEXT, province_code TEXT, key TEXT,
                   district TEXT, PRIMARY KEY (era, code)) WITHOUT ROWID;
CREATE INDEX unit_key ON unit (era, key, ord);
CREATE INDEX unit_level ON unit (era, level);
CREATE TABLE link (old TEXT, new TEXT, PRIMARY KEY (old, new)) WITHOUT ROWID;
CREATE INDEX link_new ON link (new, old);
CREATE TABLE ward (ward TEXT PRIMARY KEY, district TEXT) WITHOUT ROWID;
CREATE INDEX ward_district ON ward (district, ward);
CREATE TABLE province (old TEXT PRIMARY KEY, new TEXT) WITHOUT ROWID;
"""


def _fill(con: sqlite3.Connection, tables: dict[str, list[tuple]], name: str = "") -> None:
    """Write the index's ``tables`` (:func:`_build`) into the empty database ``con``."""
    con.executescript(_SCHEMA_SQL)
    con.execute("INSERT INTO meta VALUES (?, ?)", (_INDEX_SCHEMA, name))
    for table, rows in tables.items():
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    con.commit()


def _build() -> dict[str, list[tuple]]:
    """The index made from the package's data, as the rows of its tables: ``unit`` (era 1 legacy, 0 current; code;
    place in the package's order; name, level, province code, folded short name, district), ``link`` (a legacy
    ward, a current ward it went to), ``ward`` (a legacy ward, its district), ``province`` (a legacy province, the
    current one it is part of)."""
    folder = _package_data()
    legacy: list[_Unit] = []
    current: list[_Unit] = []
    with sqlite3.connect(f"file:{folder / 'dataset.db'}?mode=ro", uri=True) as con:
        old = con.execute("SELECT province, provinceShortKey, provinceCode, provinceKey, district, districtShortKey, "
                          "districtCode, districtKey, ward, wardShortKey, wardCode, wardKey "
                          "FROM admin_units_legacy").fetchall()
        new = con.execute("SELECT province, provinceShortKey, provinceCode, provinceKey, ward, wardShortKey, "
                          "wardCode, wardKey FROM admin_units").fetchall()
    old_key: dict[str, str] = {}  # "province_district_ward" key -> legacy ward code
    district_of: dict[str, str] = {}
    prov_key_old: dict[str, str] = {}
    for p, ps, pc, pk, d, ds, dc, dk, w, ws, wc, wk in old:
        legacy.append(_Unit(pc, p, "province", pc, ps))
        prov_key_old[pk] = pc
        legacy.append(_Unit(dc, d, "district", pc, ds))
        if wc:
            legacy.append(_Unit(wc, w, "commune", pc, ws, d))
            old_key[f"{pk}_{dk}_{wk}"] = wc
            district_of[wc] = dc
    new_key: dict[tuple[str, str], str] = {}
    prov_key_new: dict[str, str] = {}
    for p, ps, pc, pk, w, ws, wc, wk in new:
        current.append(_Unit(pc, p, "province", pc, ps))
        prov_key_new[pk] = pc
        current.append(_Unit(wc, w, "commune", pc, ws))
        new_key[(pk, wk)] = wc
    conv = json.loads((folder / "converter_2025.json").read_text(encoding="utf-8"))
    links: set[tuple[str, str]] = set()

    def link(old_code: str | None, new_code: str | None) -> None:
        if old_code and new_code:
            links.add((old_code, new_code))

    for npk, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nwk, olds in wards.items():
            nc = new_key.get((npk, nwk)) or new_key.get((npk, nwk.rstrip("0123456789")))
            for ok in olds:
                link(old_key.get(ok), nc)
    for npk, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for ok, targets in olds.items():
            for t in targets:
                link(old_key.get(ok), new_key.get((npk, t["newWardKey"])))
    province_successor = {prov_key_old[ok]: prov_key_new[npk] for npk, olds in conv["DICT_PROVINCE"].items()
                          for ok in olds if ok in prov_key_old and npk in prov_key_new}
    return {"unit": _unit_rows(1, legacy) + _unit_rows(0, current), "link": sorted(links),
            "ward": sorted(district_of.items()), "province": sorted(province_successor.items())}


def _unit_rows(era: int, units: list[_Unit]) -> list[tuple]:
    """The rows of an era's units: the first of each code kept, in the package's order."""
    seen: set[str] = set()
    rows = []
    for u in units:
        if u.code not in seen:
            seen.add(u.code)
            rows.append((era, u.code, len(rows), u.name, u.level, u.province_code, u.key, u.district))
    return rows


# --- public helpers for comparisons and trends ------------------------------------------------

def _name(era: _Era, code: str) -> str:
    u = era.units.get(code)
    return u.name if u else ""


def successors(code: str) -> list[tuple[str, str]]:
    """The current units (code, name) that a legacy unit's territory went to, sorted by code.

    A legacy commune or ward: the communes or wards it was merged into; a legacy district: those of
    all its communes; a legacy province: the current province it is part of.
    """
    data = _data()
    unit = data.legacy.units.get(code)
    if unit is None:
        return []
    if unit.level == "province":
        new = data.province_successor.get(code)
        return [(new, _name(data.current, new))] if new else []
    wards = [code] if unit.level == "commune" else data.wards_of(code)
    found = sorted({c for w in wards for c in data.successors(w)})
    return [(c, _name(data.current, c)) for c in found]


def successor_names(code: str) -> list[str]:
    """The names of a legacy unit's successors as written inside a sentence (``phường Vĩnh Châu``, ``xã Vĩnh Hải``),
    in :func:`successors`' order; empty for a current unit."""
    return [lower_first(n) for _, n in successors(code) if n]


def predecessors(code: str, level: str = "commune") -> list[tuple[str, str]]:
    """The legacy units (code, name) a current unit was formed from, sorted by code.

    ``level="commune"``: the legacy communes and wards merged into it; ``level="district"``: the
    legacy districts those belonged to (whose reports the trend of a current commune may show beside
    its own, labelled as predecessors). A current province: the legacy provinces merged into it.
    """
    data = _data()
    unit = data.current.units.get(code)
    if unit is None:
        return []
    if unit.level == "province":
        olds = sorted(p for p, n in data.province_successor.items() if n == code)
        return [(c, _name(data.legacy, c)) for c in olds]
    wards = data.predecessors(code)
    found = sorted({data.district_of(w) for w in wards} if level == "district" else wards)
    return [(c, _name(data.legacy, c)) for c in found]


def is_legacy(code: str, year: int | None, period: str = "") -> bool:
    """Whether ``code`` in a report of ``year`` (and ``period``) names a legacy unit.

    Districts and dissolved units are always legacy; otherwise the era of the report decides
    (a code such as 31795 is the legacy xã Vĩnh Hải of Sóc Trăng and the current xã Vĩnh Hải
    of Cần Thơ).
    """
    data = _data()
    if code not in data.current.units:
        return code in data.legacy.units
    era = era_is_legacy(year, period)
    return bool(era) if era is not None else False


def official_name(code: str, year: int | None, period: str = "") -> str:
    """The official name of the unit ``code`` in the era of a report of ``year`` and ``period`` (:func:`is_legacy`),
    e.g. ``xã Vĩnh Hải``; "" for an unknown code."""
    if not code:
        return ""
    data = _data()
    era = data.legacy if is_legacy(code, year, period) else data.current
    unit = era.units.get(code)
    return unit.name if unit else ""


def unit_sort_key(code: str, legacy: bool) -> tuple[int, int, str]:
    """Sort units by era (current first), then by official code, numerically; unknown codes last."""
    return (1 if legacy else 0, 0 if code.isdigit() else 1, code.zfill(6))


# --- resolving names ----------------------------------------------------------------------------

def _provinces(era: _Era, data: _Data, province: str, legacy: bool) -> set[str] | None:
    """Codes of the provinces of ``era`` a province name covers (None: every province)."""
    if not province:
        return None
    _, short = split_type(province)
    k = _key(short)
    legacy_codes = set(data.legacy.codes(k)) & data.legacy.provinces
    current_codes = set(data.current.codes(k)) & data.current.provinces
    if legacy:  # a current province covers the legacy provinces merged into it
        return legacy_codes | {o for o, n in data.province_successor.items() if n in current_codes}
    return current_codes | {data.province_successor[c] for c in legacy_codes if c in data.province_successor}


def _levels_for(kind: str, legacy: bool) -> tuple[str, ...]:
    level = dict(_TYPES).get(kind, "")
    if kind in ("thành phố", "tp", "tp."):
        return ("province", "district") if legacy else ("province",)
    if level:
        return (level,)
    return ("province", "district", "commune") if legacy else ("province", "commune")


def _official(data: _Data, era: _Era, code: str, legacy: bool) -> OfficialUnit:
    u = era.units[code]
    prov = era.units[u.province_code]
    succ = tuple(successors(code)) if legacy else ()
    return OfficialUnit(code=code, name=u.name, level=u.level, province=prov.name, province_code=prov.code,
                        legacy=legacy, successors=succ)


def _lookup(name: str, legacy: bool, province: str) -> tuple[list[str], _Era]:
    data = _data()
    era = data.legacy if legacy else data.current
    kind, short = split_type(name)
    codes = era.codes(_key(short))
    levels = _levels_for(kind, legacy)
    provinces = _provinces(era, data, province, legacy)
    hits = [c for c in codes if era.units[c].level in levels
            and (provinces is None or era.units[c].province_code in provinces)]
    if kind in ("tp", "tp."):
        kind = "thành phố"
    if kind and len(hits) > 1:  # "xã X" vs "phường X"; "thành phố Sóc Trăng" is not "tỉnh Sóc Trăng"
        typed = [c for c in hits if era.units[c].name.lower().startswith(kind)]
        hits = typed or hits
    if len(hits) > 1 and "province" in levels:  # "thành phố Cần Thơ": the city run by the centre first
        top = [c for c in hits if era.units[c].level == "province"]
        hits = top or hits
    return hits, era


@lru_cache(maxsize=4096)
def _resolve(name: str, legacy: bool | None, province: str) -> tuple[OfficialUnit | None, tuple[str, ...]]:
    eras = [legacy] if legacy is not None else [False, True]
    data = _data()
    for lg in eras:
        hits, era = _lookup(name, lg, province)
        if len(hits) == 1:
            return _official(data, era, hits[0], lg), ()
        if len(hits) > 1:
            return None, tuple(_display(era, c) for c in sorted(hits))
    return None, tuple(close_names(name, legacy if legacy is not None else False, province))


@lru_cache(maxsize=1024)
def close_names(name: str, legacy: bool, province: str = "", limit: int = 5) -> list[str]:
    """Official names close to ``name`` (within the province when given), for a finding."""
    from rapidfuzz import fuzz, process

    data = _data()
    era = data.legacy if legacy else data.current
    provinces = _provinces(era, data, province, legacy)
    choices = {c: u for c, u in era.units.items() if provinces is None or u.province_code in provinces}
    _, short = split_type(name)
    shorts = {c: u.key for c, u in choices.items()}
    best = process.extract(_key(short), shorts, scorer=fuzz.ratio, limit=limit)
    return [_display(era, c) for _, _, c in best]


def resolve_unit(name: str, year: int | None = None, province: str = "", *,
                 period: str = "") -> OfficialUnit:
    """The official unit named ``name`` in a report of ``year``: code, name, level, province and,
    for a legacy unit, its 2025 successors.

    ``province`` narrows the search (a current or legacy province, e.g. the project's; empty: every
    province). Raises :class:`UnitNotFound`, with close official names, when
    no single unit matches.
    """
    unit, near = _resolve(clean(name), era_is_legacy(year, period), clean(province))
    if unit is None:
        where = f" in {province}" if province else ""
        raise UnitNotFound(f"no single official unit named {name!r}{where} ({year}); close: {'; '.join(near)}",
                           list(near))
    return unit


class _Resolved:
    __slots__ = ("code", "province")

    def __init__(self, code: str = "", province: str = ""):
        self.code, self.province = code, province


def official_unit(meta, folder: str = "", setting: str = "") -> _Resolved:
    """Code and province of a report's unit (from its metadata, else from the name of its folder,
    ``data/raw/2026/vinh-hai/``), or empty strings when unresolved.

    A department (sở, ban, ngành) is not an administrative unit: it has no official code, and
    gets the province of the setting (the project's province). A unit that cannot be resolved keeps only its slug; the
    finding ``unit_unresolved`` then lists close official names. Synthetic reports (demo data) are
    resolved like any other (the 2026 province demo names real communes and wards), except the
    fictional units of the 2022 district demo (named "... Minh Họa NN"), which get no code.
    """
    province = meta.province or setting
    name = meta.unit_name or folder.replace("-", " ")
    if meta.synthetic and _key(FICTIONAL_NAME) in _key(name):  # the demo's fictional units: never official
        return _Resolved("", "")
    if meta.level == "department" or not name:
        return _Resolved("", _province_name(province, era_is_legacy(meta.year, meta.period)))
    era = era_is_legacy(meta.year, meta.period, meta.report_date)
    unit, _ = _resolve(clean(name), era, clean(province))
    if unit is None and meta.province and setting and meta.province != setting:
        unit, _ = _resolve(clean(name), era, clean(setting))
    return _Resolved(unit.code, unit.province) if unit else _Resolved("", "")


def official_province_name(province: str, legacy: bool | None = False) -> str:
    """The official name of a province as written (``Cần Thơ`` -> ``Thành phố Cần Thơ``); "" when unknown."""
    return _province_name(province, legacy)


def province_scope(province: str, legacy: bool | None = False) -> str:
    """How a page says "the whole province" for ``province``: ``toàn thành phố`` for a city run by the
    centre (Cần Thơ, Hà Nội), ``toàn tỉnh`` otherwise (and when the province is unknown)."""
    official = _province_name(province, legacy) or clean(province)
    return "toàn thành phố" if official.lower().startswith("thành phố") else "toàn tỉnh"


def _province_name(province: str, legacy: bool | None) -> str:
    if not province:
        return ""
    try:
        unit, _ = _resolve(province if split_type(province)[0] else f"tỉnh {province}", legacy, "")
        if unit is None:
            unit, _ = _resolve(f"thành phố {province}", legacy, "")
    except CchcError:
        return ""
    return unit.name if unit else ""


def province_units(province: str, level: str, legacy: bool) -> list[tuple[str, str]] | None:
    """The official units (code, name) of ``level`` (``commune``, ``district``) in ``province`` in one era
    (``legacy``: before 1/7/2025; a current province also covers the legacy provinces merged into it), sorted by
    official code; None when no province has that name (an empty one included)."""
    if not province:
        return None
    data = _data()
    era = data.legacy if legacy else data.current
    codes = _provinces(era, data, clean(province), legacy)
    if not codes:
        return None
    units = [(u.code, u.name) for u in era.units.values() if u.level == level and u.province_code in codes]
    return sorted(units, key=lambda u: unit_sort_key(u[0], legacy))


def name_key(name: str) -> str:
    """A department's name folded for matching (it has no official code): ``Sở Tài chính`` and ``SỞ TÀI CHÍNH``
    are one, ``dept:so tai chinh``."""
    return "dept:" + " ".join(ascii_fold(clean(name)).lower().split())


def province_names(legacy: bool | None = None) -> list[str]:
    """The official names of the provinces: current (since 1 July 2025), legacy, or both (None)."""
    data = _data()
    eras = [data.current, data.legacy] if legacy is None else [data.legacy if legacy else data.current]
    return sorted({u.name for era in eras for u in era.units.values() if u.level == "province"})


def outside_province(code: str, province: str, year: int | None, period: str = "") -> bool:
    """Whether the official unit ``code``, read in the era of a report of ``year`` and ``period``, lies outside
    ``province`` (a current province also covers the legacy provinces merged into it: a Sóc Trăng district of
    2022 is inside Cần Thơ). False whenever it cannot be told (no code, no province, an unknown one): a report
    is never left out on a guess."""
    if not code or not province:
        return False
    data = _data()
    legacy = is_legacy(code, year, period)
    era = data.legacy if legacy else data.current
    unit = era.units.get(code)
    if unit is None:
        return False
    codes = _provinces(era, data, clean(province), legacy)
    if not codes:
        return False
    return (unit.code if unit.level == "province" else unit.province_code) not in codes


def distinct_slugs(table):
    """The tidy ``table`` with every unit slug naming one official unit of an era: when two units of one era with
    different official codes share a slug (Cần Thơ's 2022 roster has two "huyện Châu Thành", codes 933 and 942),
    each of them gets its code after the slug (``chau-thanh-933``, ``chau-thanh-942``), so their folders, letters
    and pages never collide. A slug naming one unit per era is left as it is (thị xã Vĩnh Châu of 2022 and phường
    Vĩnh Châu of 2026, its successor, keep ``vinh-chau``), and so is a report without a code."""
    if table.empty or "unit_code" not in table.columns:
        return table
    codes = table["unit_code"].fillna("").astype(str)
    keys = table.assign(_code=codes)[["unit", "_code", "year", "period"]].drop_duplicates()
    keys = keys[keys["_code"] != ""]
    if keys.empty:
        return table
    import pandas as pd

    shared = _shared_slugs(zip(keys["unit"], keys["_code"], (None if pd.isna(y) else int(y) for y in keys["year"]),
                               keys["period"], strict=True))
    if not shared:
        return table
    out = table.copy()
    out["unit"] = [_renamed(s, c) if (s, c) in shared else s for s, c in zip(out["unit"], codes, strict=True)]
    return out


def distinct_slug_list(units: list[str], codes: list[str], years: list[int | None],
                       periods: list[str | None]) -> list[str]:
    """:func:`distinct_slugs` of the columns of a table of one row a report (``codes``: "" for none), without
    making a table: the loader's."""
    shared = _shared_slugs(k for k in dict.fromkeys(zip(units, codes, years, periods, strict=True)) if k[1])
    if not shared:
        return list(units)
    return [_renamed(s, c) if (s, c) in shared else s for s, c in zip(units, codes, strict=True)]


def _shared_slugs(keys) -> set[tuple[str, str]]:
    """The (slug, code) pairs of ``keys`` (distinct slug, code, year, period; codes not empty) whose slug names units
    of different codes in one era."""
    seen: dict[tuple[str, bool], set[str]] = {}
    for unit, code, year, period in keys:
        seen.setdefault((unit, is_legacy(code, year, str(period or ""))), set()).add(code)
    return {(unit, code) for (unit, _), found in seen.items() if len(found) > 1 for code in found}


def _renamed(slug: str, code: str) -> str:
    room = 81  # a slug's length (ingest.header.MAX_SLUG_CHARS), kept with the code after it
    return f"{slug[:room - len(code) - 1].rstrip('-')}-{code}"
