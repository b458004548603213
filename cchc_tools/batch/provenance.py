"""Where a briefing comes from: kit, input files, reference data and parameters, as one stamp.

A stamp names the kit (version and a hash of its code), the production date and time,
the SHA-256 of every input file the briefing reads, the hash of the reference data
(catalog, indicators, rules, targets, forms, sentences: everything under ``cchc_tools/data``),
the project's own files (``cchc.toml`` and every rules, targets, forms and Word template file
it names, with the environment overrides in force), the notebook and the parameters. The
runner stores it in the executed notebook (``metadata.cchc.provenance``) and as JSON beside
the outputs, and uses everything but the time (the *fingerprint*) to skip briefings whose inputs did not change.

In a notebook, ``for_notebook(kind, parameters, project)`` returns the stamp of the running
briefing (the runner's own when run by ``cchc brief``, computed the same way otherwise);
``Stamp.page_lines()`` gives the short Vietnamese lines printed at the end of a page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.batch.tasks import NOTEBOOKS
from cchc_tools.ingest.snapshot import file_hash as sha256_file
from cchc_tools.paths import PACKAGE_DIR, notebooks_dir
from cchc_tools.project import reference_files
from cchc_tools.version import __version__

if TYPE_CHECKING:
    from cchc_tools.project import Project

SHORT = 12  # hex digits shown on a page
NOT_IDENTITY = {"out_dir"}  # where a briefing is written is not what it is


def _sha_of(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@lru_cache(maxsize=1)
def kit_code() -> str:
    """Hash of the kit's Python code: a changed module re-renders, even without a version bump."""
    files = sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    return _sha_of([[p.relative_to(PACKAGE_DIR).as_posix(), sha256_file(p)] for p in files])


def source_path(source: str, root: Path) -> Path:
    """The file behind a table's ``source`` (relative to the project ``root`` when inside it)."""
    p = Path(source)
    return p if p.is_absolute() else root / p


def _in_unit_folder(path: str, unit: str) -> bool:
    return f"/{unit}/" in path.replace("\\", "/")


def input_sources(kind: str, parameters: dict, result, reps=None, root: Path | None = None) -> list[str]:
    """The files a briefing reads, from a loaded data folder (``LoadResult``).

    unit: the unit's reports of the same period up to its year (the previous year is compared) and its
    unreadable files; compare: every report of the year and period and every unreadable file; trend:
    every report of the unit and its unreadable files.
    """
    from cchc_tools.analysis.selection import reports

    reps = reports(result.table) if reps is None else reps
    errors = [e.path for e in result.errors]
    unit = parameters.get("unit", "")
    period = parameters.get("period", "annual")
    if kind == "unit":
        sel = reps[(reps["unit"] == unit) & (reps["period"] == period) & (reps["year"] <= int(parameters["year"]))]
        extra = [p for p in errors if _in_unit_folder(p, unit)]
    elif kind == "compare":
        sel = reps[(reps["year"] == int(parameters["year"])) & (reps["period"] == period)]
        if parameters.get("level"):
            sel = sel[sel["level"] == parameters["level"]]
        extra = errors
    elif kind == "trend":
        sel = reps[reps["unit"] == unit]
        extra = [p for p in errors if _in_unit_folder(p, unit)]
    else:
        raise ValueError(f"unknown briefing kind {kind!r}")
    from cchc_tools.ingest.loader import source_name

    return sorted({*sel["source"], *(source_name(p, root) for p in extra)})


@dataclass(frozen=True)
class Stamp:
    kind: str
    notebook: str
    notebook_sha256: str
    kit_version: str
    kit_code: str
    reference_sha256: str
    reference: dict = field(default_factory=dict)
    project: dict = field(default_factory=dict)  # the project's files (relative name -> SHA-256) and overrides
    inputs: dict = field(default_factory=dict)  # source -> SHA-256 (full)
    parameters: dict = field(default_factory=dict)
    produced: str = ""  # local date and time with offset, ISO 8601

    def fingerprint(self) -> str:
        """Everything but the time: equal fingerprints mean the same briefing would be produced."""
        d = asdict(self)
        d.pop("produced")
        return _sha_of(d)

    def at(self, when: datetime | None = None) -> Stamp:
        when = when or datetime.now().astimezone()
        return replace(self, produced=when.isoformat(timespec="seconds"))

    def to_dict(self) -> dict:
        return {**asdict(self), "fingerprint": self.fingerprint()}

    @classmethod
    def from_dict(cls, d: dict) -> Stamp:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def page_lines(self) -> list[tuple[str, str]]:
        """Short lines for the foot of a page (label, text), Vietnamese; hashes cut to 12 hex digits."""
        when = ""
        if self.produced:
            t = datetime.fromisoformat(self.produced)
            when = f"{t:%H:%M} ngày {t.day:02d}/{t.month:02d}/{t.year}"
        params = ", ".join(f"{k} = {v}" for k, v in self.parameters.items()
                           if v and k not in ("data_dir", "project"))
        lines = [("Bộ công cụ", f"cchc-kit {self.kit_version} (mã {self.kit_code[:SHORT]})"),
                 ("Lập lúc", when),
                 ("Danh mục, chỉ số, quy tắc, chỉ tiêu, câu chữ", self.reference_sha256[:SHORT])]
        if self.project.get("province"):
            lines.append(("Tỉnh/thành phố của dự án", self.project["province"]))
        lines += [("Tệp của dự án", f"{name} (SHA-256 {sha[:SHORT]})")
                  for name, sha in self.project.get("files", {}).items()]
        lines += [("Ghi đè từ biến môi trường", f"{k} = {v}") for k, v in self.project.get("overrides", {}).items()]
        lines.append(("Tham số", params))
        lines += [("Tệp đầu vào", f"{src} (SHA-256 {sha[:SHORT]})") for src, sha in self.inputs.items()]
        return lines


def project_part(project: Project) -> dict:
    """What a stamp records of the project: its province, its files' hashes and the overrides in force."""
    overrides = {k: v for k, v in sorted(project.overrides.items()) if k not in ("CCHC_CACHE_DIR", "CCHC_PROJECT")}
    return {"province": project.province, "files": dict(project.files), "overrides": overrides}


def compute(kind: str, parameters: dict, notebook: str | Path | None = None, result=None, reps=None,
            project: Project | None = None) -> Stamp:
    """The stamp of a briefing (without its time); ``result`` (the loaded data folder) and ``reps``
    (its reports) if at hand; ``project`` (default: loaded from the ``project`` parameter)."""
    from cchc_tools.ingest.snapshot import load_data
    from cchc_tools.project import load_project

    params = {k: str(v) for k, v in sorted(parameters.items()) if k not in NOT_IDENTITY}
    project = project if project is not None else load_project(params.get("project") or None)
    nb_path = notebooks_dir() / (notebook or NOTEBOOKS[kind])
    if result is None:
        result = load_data(project, params.get("data_dir") or None)
    sources = input_sources(kind, params, result, reps, project.root)
    paths = {s: source_path(s, project.root) for s in sources}
    inputs = {s: sha256_file(p) for s, p in paths.items() if p.is_file()}
    reference = reference_files()
    return Stamp(kind=kind, notebook=nb_path.name, notebook_sha256=sha256_file(nb_path),
                 kit_version=__version__, kit_code=kit_code(), reference_sha256=_sha_of(reference),
                 reference=reference, project=project_part(project), inputs=inputs, parameters=params)


_CURRENT: dict | None = None


def set_current(stamp: dict | None) -> None:
    """Called by the runner in a warm kernel before each briefing: the stamp it will store."""
    global _CURRENT
    _CURRENT = stamp


def for_notebook(kind: str, parameters: dict, project: Project | None = None) -> Stamp:
    """The stamp of the briefing running in this kernel: the runner's if it set one for these
    parameters, else computed here (a notebook run alone, in JupyterLab or under nbval)."""
    params = {k: str(v) for k, v in sorted(parameters.items()) if k not in NOT_IDENTITY}
    if _CURRENT is not None and _CURRENT.get("kind") == kind and _CURRENT.get("parameters") == params:
        return Stamp.from_dict(_CURRENT)
    return compute(kind, parameters, project=project).at()
