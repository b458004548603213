"""The house's floors: the README's layout gives every module a floor, and every import runs down.

The layout in README.md ("How the code is laid out") is the one statement of the order: each line that
starts with a number puts the modules and packages it names on that floor. A module imports only from its
own package or from a lower floor (imports inside functions and under ``TYPE_CHECKING`` count); the ground
floors (basics and reference data) may use each other, never in a circle (``test_project.py`` walks for
circles). No name starting with ``_`` is taken from another module (the gettext alias ``_`` excepted).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from cchc_tools import paths

PACKAGE = paths.PACKAGE_DIR
GROUND = (0, 1)  # basics and reference data: their modules may import each other (without a circle)
_FLOOR_LINE = re.compile(r"^\s*(\d+)\s+(.*)$")
_NAME = re.compile(r"^[a-z0-9_]+(?:\.py|/)$")


@dataclass(frozen=True)
class Layout:
    floors: dict[str, int]  # top-level module ("units") or package ("ingest") -> its floor
    texts: dict[str, str]  # the same -> everything the layout says about it
    order: list[int]  # the floors as the layout lists them, top to bottom


def parse_layout(readme: str) -> Layout:
    """The floors the README's layout block gives: ``NN  name.py other/  what they do`` lines (the names,
    then two spaces or more, then the words), each followed by lines of words that do not start with a number."""
    section = readme[readme.index("## How the code is laid out"):readme.index("### Where to add")]
    block = section.split("```")[1]
    floors: dict[str, int] = {}
    texts: dict[str, str] = {}
    order: list[int] = []
    current: list[str] = []
    for line in block.splitlines():
        m = _FLOOR_LINE.match(line)
        if m:
            floor = int(m.group(1))
            order.append(floor)
            words = re.split(r"\s{2,}", m.group(2).strip(), maxsplit=1)[0].split()
            names = [w.removesuffix(".py").removesuffix("/") for w in words]
            if not names or not all(_NAME.match(w) for w in words):
                raise AssertionError(f"README layout line names no module: {line!r}")
            for n in names:
                if n in floors:
                    raise AssertionError(f"README layout names {n} twice")
                floors[n] = floor
                texts[n] = line
            current = names
        elif current:
            for n in current:
                texts[n] += "\n" + line
    return Layout(floors, texts, order)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(root.rglob("*.py"))}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    name: str
    path: Path
    line: int


def imports(mods: dict[str, Path]) -> list[Import]:
    """Every import of a kit module by a kit module, wherever it stands in the file."""
    found: list[Import] = []
    for mod, path in mods.items():
        package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in mods else base
                    if target.split(".")[0] == "cchc_tools":
                        found.append(Import(mod, target, alias.name, path, node.lineno))
            elif isinstance(node, ast.Import):
                found += [Import(mod, a.name, "", path, node.lineno) for a in node.names
                          if a.name.split(".")[0] == "cchc_tools"]
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def floor_of(layout: Layout, module: str) -> int:
    room = _room(module)
    if room == "__init__":  # the package front stands above every floor
        return max(layout.floors.values()) + 1
    return layout.floors[room]


def against_the_order(layout: Layout, found: list[Import]) -> list[str]:
    wrong = []
    for imp in found:
        src, dst = _room(imp.source), _room(imp.target)
        if src == dst:
            continue
        a, b = floor_of(layout, imp.source), floor_of(layout, imp.target)
        if b < a or (a == b and a in GROUND):
            continue
        where = imp.path.relative_to(PACKAGE.parent)
        wrong.append(f"{where}:{imp.line}: {imp.source} (floor {a}) imports {imp.target} (floor {b})")
    return wrong


def private_crossings(found: list[Import]) -> list[str]:
    return [f"{imp.path.relative_to(PACKAGE.parent)}:{imp.line}: {imp.source} takes {imp.name} from {imp.target}"
            for imp in found
            if imp.name.startswith("_") and imp.name != "_" and not imp.name.startswith("__")
            and imp.target != imp.source]


def unlisted(layout: Layout, mods: dict[str, Path]) -> list[str]:
    """Modules the layout does not name: a top-level one without a floor, or a package's module its
    package's lines do not name (``loader.py`` in the lines of ``ingest/``)."""
    missing = []
    for mod, path in mods.items():
        rel = path.relative_to(PACKAGE).as_posix()
        room = _room(mod)
        if room == "__init__":
            continue
        if room not in layout.floors or (path.parent != PACKAGE and path.name != "__init__.py"
                                         and path.name not in layout.texts[room]):
            missing.append(rel)
    return missing


@pytest.fixture(scope="module")
def layout() -> Layout:
    return parse_layout((paths.KIT_ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_layout_gives_every_module_a_floor_and_names_nothing_gone(layout):
    mods = _modules()
    assert not unlisted(layout, mods), f"modules missing from the README's layout: {unlisted(layout, mods)}"
    rooms = {_room(m) for m in mods}
    assert not set(layout.floors) - rooms, f"the layout names what is not there: {set(layout.floors) - rooms}"
    assert layout.order == sorted(layout.order, reverse=True), "the layout lists its floors from the top down"


def test_every_import_runs_down_the_floors(layout):
    wrong = against_the_order(layout, imports(_modules()))
    assert not wrong, "imports against the README's order:\n" + "\n".join(wrong)


def test_no_two_rooms_import_each_other():
    """Not even on the ground floors, where modules may use each other: one direction per pair."""
    pairs = {(_room(i.source), _room(i.target)) for i in imports(_modules())}
    both = sorted((a, b) for a, b in pairs if a < b and (b, a) in pairs)
    assert not both, f"rooms that import each other: {both}"


def test_no_private_name_crosses_a_module_border():
    wrong = private_crossings(imports(_modules()))
    assert not wrong, "private names imported from another module:\n" + "\n".join(wrong)


# --- the checks themselves catch what they are for -------------------------------------------------------

_README = """## How the code is laid out
```
cchc_tools/
  3  cli.py      the command line
  2  batch/      tasks.py (the list), runner.py
  1  units.py catalog.py   reference data
  0  text.py     text
```
### Where to add
"""


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    root = tmp_path / "cchc_tools"
    for name, body in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body, encoding="utf-8")
    return {_module_name_in(root, p): p for p in sorted(root.rglob("*.py"))}


def _module_name_in(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_checks_catch_an_import_up_a_private_name_and_a_module_left_out(tmp_path, monkeypatch):
    layout = parse_layout(_README)
    assert layout.floors == {"cli": 3, "batch": 2, "units": 1, "catalog": 1, "text": 0}
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "cchc_tools")
    mods = _tree(tmp_path, {
        "cli.py": "from cchc_tools.batch.runner import run\n",
        "text.py": "def f():\n    from cchc_tools.units import code\n",  # inside a function: still counted
        "units.py": "from cchc_tools.catalog import _entries\nfrom cchc_tools.text import clean\n",
        "catalog.py": "from . import text\n",
        "batch/__init__.py": "", "batch/tasks.py": "", "batch/runner.py": "from .tasks import x\n",
        "batch/pool.py": "import cchc_tools.cli\n",
    })
    found = imports(mods)
    wrong = against_the_order(layout, found)
    assert [w.split(": ", 1)[0] for w in wrong] == ["cchc_tools/batch/pool.py:1", "cchc_tools/text.py:2"]
    assert private_crossings(found) == [
        "cchc_tools/units.py:1: cchc_tools.units takes _entries from cchc_tools.catalog"]
    assert unlisted(layout, mods) == ["batch/pool.py"]
