"""A small Cần Thơ project of the 2026 province demo, for tests: ``make_project(tmp_path, periods=...)``.

The project is what an analyst gets: ``cchc init DIR --province "Cần Thơ"``, its departments listed in its
``cchc.toml`` (``[reporting] departments``, the roster), then ``cchc demo-data --project DIR`` into its data
folder: quarterly appendices of real communes and wards (official names and codes) and of the departments,
with the findings planted as :mod:`cchc_tools.demo2026` documents. ``with_2022=True`` also copies the
bundled 2022 appendix of thị xã Vĩnh Châu, the legacy predecessor of some of the sample's units.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from cchc_tools.cli import main
from cchc_tools.demo2026 import DEFAULT_DEPARTMENTS, DemoUnit, parse_periods, sample_units
from cchc_tools.paths import raw_dir

PROVINCE = "Cần Thơ"
SEED = 2026


@dataclass(frozen=True)
class DemoProject:
    """A project made by :func:`make_project`: its folder, data folder, units and periods."""

    root: Path
    data: Path
    units: tuple[DemoUnit, ...]
    periods: tuple[tuple[int, str], ...]
    province: str = PROVINCE

    def unit(self, flaw: str) -> DemoUnit:
        """The unit a flaw was planted in (``demo2026.LOW_EDOCS`` ...)."""
        return next(u for u in self.units if flaw in u.flaws)


def make_project(tmp_path: Path, periods: tuple[str, ...] | list[str] = ("2025-Q4", "2026-Q1"), *, units: int = 6,
                 departments: int = 2, seed: int = SEED, formats: str = "txt", with_2022: bool = False) -> DemoProject:
    """Write a Cần Thơ project in ``tmp_path / "can-tho"`` with demo data of ``units`` communes and wards and
    ``departments`` departments for ``periods`` (``"2026-Q1"``, or ``"Q1"`` meaning 2026)."""
    root = tmp_path / "can-tho"
    assert main(["init", str(root), "--province", PROVINCE]) == 0
    toml = root / "cchc.toml"
    names = ", ".join(f'"{d}"' for d in DEFAULT_DEPARTMENTS[:departments])
    text = toml.read_text(encoding="utf-8")
    assert "departments = []" in text
    toml.write_text(text.replace("departments = []", f"departments = [{names}]"), encoding="utf-8")
    data = root / "data" / "raw"
    assert main(["demo-data", "--project", str(root), "--periods", ",".join(periods), "--units", str(units),
                 "--departments", str(departments), "--seed", str(seed), "--formats", formats,
                 "--out", str(data)]) == 0
    if with_2022:
        shutil.copytree(raw_dir() / "2022" / "vinh-chau", data / "2022" / "vinh-chau",
                        ignore=shutil.ignore_patterns("README*"))
    return DemoProject(root, data, tuple(sample_units(PROVINCE, units, departments, seed,
                                                      DEFAULT_DEPARTMENTS[:departments])),
                       tuple(parse_periods(",".join(periods), 2026)))


def copied_project(tmp_path_factory, name: str, periods: tuple[str, ...]) -> Path:
    """The project folder of a demo of 4 communes and wards and one department over ``periods``, made once per test
    session under ``name`` and copied for each test without its ``processed`` cache: a test may change its files."""
    template = tmp_path_factory.getbasetemp() / f"{name}-template"
    if not template.exists():
        make_project(template, periods=periods, units=4, departments=1)
    out = tmp_path_factory.mktemp(name) / "can-tho"
    shutil.copytree(template / "can-tho", out, ignore=shutil.ignore_patterns("processed"))
    return out


def copy_as(src: Path, dest: Path, *replace: tuple[str, str]) -> Path:
    """Write ``src``'s text to ``dest`` with each (old, new) of ``replace`` done (each must be there)."""
    text = src.read_text(encoding="utf-8")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    return dest
