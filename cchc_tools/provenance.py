"""Where a page or a cycle comes from: kit, input files, reference data, settings and parameters, as one stamp.

A stamp names the kit (version and :func:`cchc_tools.fingerprint.kit_code`, the hash of its code, reference data
and translations, the same hash the data folder's snapshot depends on), the production date and time, the SHA-256
of every input file the briefing reads, the hash of the reference data (catalog, indicators, rules, targets,
forms, sentences: everything under ``cchc_tools/data``), the project's own files (``cchc.toml`` and every rules,
targets, forms and Word template file it names, with the environment overrides in force), the settings that
change a page's words (``SETTINGS``: the message language, ``CCHC_LANG``), the notebook and the parameters. The
runner stores it in the executed notebook (``metadata.cchc.provenance``) and as JSON beside the outputs, and uses
everything but the time (the *fingerprint*) to skip briefings whose inputs did not change. A reporting cycle's
fingerprint (:func:`cycle_stamp`) is made of the same parts.

A page also shows what its peers' figures make of its own: a unit's rank and peer count per indicator, the
comparison's "so với năm trước" (last year's ranks), a trend's ranks over the periods. That *peer context* is
computed from the assessed table (``peer_context``), never from the peers' files, and hashed into the stamp
(``context``): a peer's resubmission re-renders exactly the pages whose shown rank, count, quartile, lowest
list or total changed. ``SHOWN`` says which parts each kind of page shows.

In a notebook, ``for_notebook(kind, parameters, project)`` returns the stamp of the running
briefing (the runner's own when run by ``cchc brief``, computed the same way otherwise);
``Stamp.page_lines()`` gives the short Vietnamese lines printed at the end of a page.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cchc_tools.fingerprint import file_sha256 as sha256_file
from cchc_tools.fingerprint import kit_code, reference_files, sha_of
from cchc_tools.i18n import language
from cchc_tools.paths import notebooks_dir
from cchc_tools.version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from cchc_tools.analysis.assess import Consolidated
    from cchc_tools.project import Project

# The kit's notebooks, one per kind of briefing: the one list every other module reads.
NOTEBOOKS = {"unit": "briefing_unit.ipynb", "compare": "compare_units.ipynb", "trend": "trend_unit.ipynb"}
SHORT = 12  # hex digits shown on a page
NOT_IDENTITY = {"out_dir"}  # where a briefing is written is not what it is


def settings(lang: str | None = None) -> dict[str, str]:
    """The settings that change a page's or a cycle's words without being a file or a parameter: the message
    language (``lang``, default :func:`cchc_tools.i18n.language`, which ``CCHC_LANG`` sets). Part of every
    fingerprint: a run in another language makes every page again."""
    return {"language": lang or language()}


def source_path(source: str, root: Path) -> Path:
    """The file behind a table's ``source`` (relative to the project ``root`` when inside it)."""
    p = Path(source)
    return p if p.is_absolute() else root / p


def _in_unit_folder(path: str, unit: str) -> bool:
    return f"/{unit}/" in path.replace("\\", "/")


# --- the peer context a page shows -------------------------------------------------------------

# The parts of the peer context each kind of page shows (what ``peer_context`` hashes for it). A view that starts
# showing more (its group's quartiles, lowest list and totals: ``group``) adds the part here.
SHOWN: dict[str, tuple[str, ...]] = {
    "unit": ("ranks", "weak"),  # "hạng 4/5" per indicator; "thuộc nhóm thấp nhất" in the verdict and summary
    "compare": ("previous_ranks",),  # "so với năm trước": last year's ranks (this year's come from its inputs)
    "trend": ("ranks",),  # the unit's ranks over every period
}
# How the stamp at the foot of a page names each part (in the reader's language).
CONTEXT_LABELS = {
    "ranks": "Thứ hạng và số đơn vị cùng nhóm",
    "previous_ranks": "Thứ hạng của các đơn vị năm trước",
    "group": "Trung vị, tứ phân vị, đơn vị thấp nhất và tổng của nhóm",
    "weak": "Các chỉ số đơn vị thuộc nhóm thấp nhất",
}
LOWEST = 3  # the lowest list: the 3 lowest ranked units and every unit tied with the third


class Context(NamedTuple):
    """What a batch computes once for every page's peer context: the assessed table and (when a kind shows its
    group) the consolidation."""

    assessed: pd.DataFrame
    consolidated: Consolidated | None = None
    memo: dict | None = None  # what every page of a peer group shares, computed for the first (``_weak``)


def batch_context(project: Project, data_dir: str | Path | None = None) -> Context:
    """The peer context of every page of a data folder, computed once (``pipeline.computed``: the same tables
    the pages are made from)."""
    from cchc_tools.analysis.assess import consolidate
    from cchc_tools.pipeline import computed

    data = computed(project, data_dir)
    grouped = any("group" in parts for parts in SHOWN.values())
    return Context(data.assessed, consolidate(data.table, ind=data.ind, findings=data.findings, rules=data.rules)
                   if grouped else None, {})


def _plain(v):
    """A cell as JSON: NA and NaN as None, numpy numbers as Python ones, floats rounded past any noise."""
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return round(v, 9) if isinstance(v, float) else v


def _rows(frame: pd.DataFrame, cols: list[str]) -> list[list]:
    rows = [[_plain(v) for v in r] for r in frame[cols].itertuples(index=False, name=None)]
    return sorted(rows, key=lambda r: json.dumps(r, ensure_ascii=False, default=str))


class _Rows:
    """The rows of a table's ``cols`` as :func:`_rows` makes them (plain cells, each with its sort key), made once
    for the whole table: a page's rows are then picked by position and sorted, never converted again."""

    def __init__(self, frame: pd.DataFrame, cols: list[str]) -> None:
        columns = [[_plain(v) for v in frame[c].tolist()] for c in cols]
        self.rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
        self.keys = [json.dumps(r, ensure_ascii=False, default=str) for r in self.rows]

    def at(self, positions) -> list[list]:
        """What ``_rows(frame.iloc[positions], cols)`` returns (rows of equal keys are equal rows)."""
        keys, rows = self.keys, self.rows
        return [rows[i] for i in sorted(positions, key=keys.__getitem__)]


def _known(v) -> bool:
    """A cell that holds a value (not None, NaN or NA): what a pandas comparison can find true."""
    import pandas as pd

    return isinstance(v, str) or not pd.isna(v)


class _Index:
    """A table's row positions by unit, its columns as lists and its ``_Rows`` by columns, made once per batch
    (kept in ``Context.memo`` beside the table they index: another table gets its own). A page then picks its rows
    by position, never filtering the whole table."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        has = "unit" in frame and len(frame)
        self.by_unit = {u: pos.tolist() for u, pos in frame.groupby("unit", sort=False).indices.items()} if has \
            else {}
        self._lists: dict[str, list] = {}
        self._rows: dict[tuple[str, ...], _Rows] = {}
        self.extra: dict = {}  # what a user of the index keeps with it (the legacy reports of a reports table)

    def col(self, name: str) -> list:
        """A column as a list of Python values."""
        if name not in self._lists:
            self._lists[name] = self.frame[name].tolist()
        return self._lists[name]

    def rows(self, cols: list[str], positions) -> list[list]:
        key = tuple(cols)
        if key not in self._rows:
            self._rows[key] = _Rows(self.frame, cols)
        return self._rows[key].at(positions)

    def unit(self, unit: str, year: int | None = None, period: str | None = None) -> list[int]:
        """The positions of ``unit``'s rows (of ``year`` and ``period`` when given: equal as pandas compares)."""
        pos = self.by_unit.get(unit, [])
        if year is None:
            return pos
        years, periods = self.col("year"), self.col("period")
        return [i for i in pos if _known(years[i]) and years[i] == year and _known(periods[i])
                and periods[i] == period]


def _index(frame: pd.DataFrame, memo: dict | None, name: str) -> _Index:
    """The ``_Index`` of ``frame`` kept in ``memo`` under ``("index", name)`` (made again for another table)."""
    if memo is None:
        return _Index(frame)
    key = ("index", name)
    kept = memo.get(key)
    if kept is None or kept.frame is not frame:
        kept = memo[key] = _Index(frame)
    return kept


def _where(mask) -> list[int]:
    """The positions where the boolean ``mask`` (a Series) holds; a blank counts as false."""
    import numpy as np

    return np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False)).tolist()


def _group(assessed: pd.DataFrame, consolidated: Consolidated | None, mine: pd.DataFrame) -> list:
    """Of each (year, period, level) group of ``mine``: quartiles and median, the lowest list and the totals."""
    out = []
    for (year, period, level), _sub in mine.groupby(["year", "period", "level"], dropna=False, sort=True):
        peers = assessed[(assessed["year"] == year) & (assessed["period"] == period) & (assessed["level"] == level)]
        ranked = peers[peers["rank"].notna()]
        cut = ranked.groupby("indicator")["rank"].transform(lambda r: sorted(r, reverse=True)[:LOWEST][-1])
        lowest = _rows(ranked[ranked["rank"] >= cut], ["indicator", "unit", "value", "rank"])
        totals = ratios = []
        if consolidated is not None:
            rat, tot = consolidated.ratios, consolidated.totals
            ratios = _rows(rat[(rat["year"] == year) & (rat["period"] == period) & (rat["level"] == level)],
                           ["indicator", "value", "units", "median", "q1", "q3", "units_excluded", "excluded"])
            totals = _rows(tot[(tot["year"] == year) & (tot["period"] == period) & (tot["level"] == level)],
                           ["code", "value", "units_reported", "units", "units_excluded", "excluded"])
        out.append([_plain(year), period, level, lowest, ratios, totals])
    return out


def peer_context(assessed: pd.DataFrame, consolidated: Consolidated | None, kind: str, parameters: dict,
                 memo: dict | None = None) -> dict:
    """Part name -> SHA-256 of what a page of ``kind`` shows of its peers (``SHOWN``), from the assessed table.

    ``ranks``: the rank and peer count of every indicator of the page's own reports (a unit's report of the
    year and period; a trend's every report); ``previous_ranks``: the ranks of the reports of the year before
    of the same period (a comparison's "so với năm trước"); ``group``: the median, quartiles, lowest list and
    totals of the page's (year, period, level) groups (``consolidated`` needed). The page's own figures are not
    here: they come from its input files. ``memo``: a dict kept with ``assessed`` (``Context.memo``) where what
    every page of a peer group shares is kept from the first page to the next.
    """
    unit, period = parameters.get("unit", ""), parameters.get("period", "annual")
    a = assessed
    idx = _index(a, memo, "assessed")  # positions by unit and plain rows, made once per batch
    if kind == "unit":
        pos = idx.unit(unit, int(parameters["year"]), period)
    elif kind == "trend":
        pos = idx.unit(unit)
    elif kind == "compare":
        pos = _where((a["year"] == int(parameters["year"])) & (a["period"] == period))
    else:
        raise ValueError(f"unknown briefing kind {kind!r}")
    parts = {}
    for part in SHOWN.get(kind, ()):
        if part == "ranks":
            content = idx.rows(["year", "period", "indicator", "rank", "peers"], pos)
        elif part == "previous_ranks":
            before = _where((a["year"] == int(parameters["year"]) - 1) & (a["period"] == period))
            content = idx.rows(["unit", "indicator", "rank", "peers"], before)
        elif part == "group":
            content = _group(a, consolidated, a.iloc[pos])
        elif part == "weak":
            content = _weak(idx, pos, memo)
        else:
            raise ValueError(f"unknown part of a peer context {part!r}")
        parts[part] = sha_of(content)
    return parts


def _weak(idx: _Index, positions: list[int], memo: dict | None = None) -> list:
    """The indicators on which the page's own reports (rows ``positions`` of the indexed assessed table) are among
    the lowest of their peers (``selection.weakest``: below target or the peers' median), which the verdict and the
    summary say: a peer's change can add or take away one without changing the unit's own figures or rank.
    ``memo`` (kept with the table): each peer group's headline indicators and lowest reports, found once for all
    the group's pages of a batch. The page's rows are grouped by (year, period, level) as pandas groups them
    (blanks together, last)."""
    import pandas as pd

    from cchc_tools.analysis.selection import headline_ids, weakest

    assessed = idx.frame
    out = []
    keys = [k for k in ("year", "period", "level") if k in assessed]
    columns = [idx.col(k) for k in keys]
    groups: dict[tuple, list[int]] = {}  # (year, period, level) -> the page's positions
    for i in positions:
        groups.setdefault(tuple(None if pd.isna(c[i]) else c[i] for c in columns), []).append(i)
    indicators, sources = idx.col("indicator"), idx.col("source")
    for gkey in sorted(groups, key=lambda g: [(v is None, "" if v is None else v) for v in g]):
        rows = groups[gkey]
        first = {k: c[rows[0]] for k, c in zip(keys, columns, strict=True)}  # the group's first row, as is
        group = ("weak", *(str(first[k]) for k in keys))
        if memo is None or group not in memo:
            peers = assessed
            for k in keys:
                peers = peers[peers[k] == first[k]]
            lows = {ident: set(weakest(peers, ident)["source"])
                    for ident in headline_ids(str(first.get("level") or ""), peers)}
            if memo is None:
                memo = {}
            memo[group] = lows
        lows = memo[group]
        own = {sources[i] for i in rows}
        for ident in sorted({indicators[i] for i in rows} & set(lows)):
            out.append([str(first.get("year")), str(first.get("period")), ident, sorted(lows[ident] & own)])
    return out


def input_sources(kind: str, parameters: dict, result, reps=None, root: Path | None = None,
                  memo: dict | None = None) -> list[str]:
    """The files a briefing reads, from a loaded data folder (``LoadResult``).

    unit: the unit's reports of the same period up to its year (the previous year is compared) and its
    unreadable files; compare: every report of the year that covers the period (a cumulative Q3 report is
    compared with the 9-month ones) and every unreadable file; trend: every report of the unit and of the
    legacy units it was formed from, and its unreadable files. ``memo`` (``Context.memo``): where a batch keeps
    the reports indexed by unit, found once for all its pages.
    """
    import pandas as pd

    from cchc_tools.analysis.selection import current_era, legacy_reports, reports

    reps = reports(result.table) if reps is None else reps
    errors = [e.path for e in result.errors]
    unit = parameters.get("unit", "")
    period = parameters.get("period", "annual")
    if kind == "unit":
        idx = _index(reps, memo, "reports")
        years, periods, year = idx.col("year"), idx.col("period"), int(parameters["year"])
        sel = {"source": [idx.col("source")[i] for i in idx.unit(unit)
                          if _known(periods[i]) and periods[i] == period and _known(years[i]) and years[i] <= year]}
        extra = [p for p in errors if _in_unit_folder(p, unit)]
    elif kind == "compare":
        cover = reps["coverage"] if "coverage" in reps else reps["period"]
        sel = reps[(reps["year"] == int(parameters["year"])) & (cover == period)]
        if parameters.get("level"):
            sel = sel[sel["level"] == parameters["level"]]
        extra = errors
    elif kind == "trend":
        idx = _index(reps, memo, "reports")
        pos, legacy = idx.unit(unit), _legacy(idx)
        if legacy.empty:  # no legacy unit's report anywhere: the unit's reports are its era's, none its predecessors'
            sel = {"source": [idx.col("source")[i] for i in pos]}
        else:
            mine = current_era(reps.iloc[pos])  # the page's own reports and its predecessors', as it selects
            sel = pd.concat([mine, legacy_reports(legacy, mine)])
        extra = [p for p in errors if _in_unit_folder(p, unit)]
    else:
        raise ValueError(f"unknown briefing kind {kind!r}")
    from cchc_tools.ingest.loader import source_name

    return sorted({*sel["source"], *(source_name(p, root) for p in extra)})


def _legacy(idx: _Index) -> pd.DataFrame:
    """The reports of legacy units (before 1/7/2025) of an indexed reports table, found once: what
    ``selection.legacy_reports`` picks from (it keeps only reports of legacy units, so it picks the same from
    these as from the whole table)."""
    if "legacy" not in idx.extra:
        from cchc_tools.analysis.selection import legacy_mask

        reps = idx.frame
        idx.extra["legacy"] = reps[legacy_mask(reps)] if "unit_code" in reps else reps
    return idx.extra["legacy"]


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
    context: dict = field(default_factory=dict)  # part of the peer context shown -> SHA-256 (``peer_context``)
    settings: dict = field(default_factory=dict)  # what changes the words without a file: ``settings()``
    produced: str = ""  # local date and time with offset, ISO 8601

    def fingerprint(self) -> str:
        """Everything but the time: equal fingerprints mean the same briefing would be produced."""
        return sha_of({f.name: getattr(self, f.name) for f in fields(self) if f.name != "produced"})  # read only

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
        lines = [("Bộ công cụ", f"cchc-kit {self.kit_version} (mã {self.kit_code[:SHORT]})"),
                 ("Lập lúc", when),
                 ("Danh mục, chỉ số, quy tắc, chỉ tiêu, câu chữ", self.reference_sha256[:SHORT])]
        if self.project.get("province"):
            lines.append(("Tỉnh/thành phố của dự án", self.project["province"]))
        lines += [("Tệp của dự án", f"{name} (SHA-256 {sha[:SHORT]})")
                  for name, sha in self.project.get("files", {}).items()]
        lines += [("Ghi đè từ biến môi trường", f"{k} = {v}") for k, v in self.project.get("overrides", {}).items()]
        lines.append(("Tham số", parameters_text(self.parameters)))
        lines += [("Tệp đầu vào", f"{src} (SHA-256 {sha[:SHORT]})") for src, sha in self.inputs.items()]
        lines += [("Số liệu so sánh với đơn vị khác", f"{CONTEXT_LABELS.get(part, part)} (SHA-256 {sha[:SHORT]})")
                  for part, sha in self.context.items()]
        return lines


FORMAT_NAMES = {"html": "HTML", "docx": "Word", "pdf": "PDF", "xlsx": "Excel"}


def parameters_text(parameters: dict) -> str:
    """A briefing's parameters as a reader says them: ``năm 2023; đơn vị (thư mục) minh-hoa-01; tệp HTML, Word``."""
    from cchc_tools.periods import period_in_sentence, period_name
    from cchc_tools.vocabulary import level_phrase

    p = parameters
    parts = []
    if p.get("year"):
        parts.append(period_in_sentence(p.get("period") or "annual", p["year"]))
    elif p.get("period"):
        parts.append(period_name(p["period"]).lower())
    if p.get("level"):
        parts.append(level_phrase(p["level"]) or p["level"])
    if p.get("unit"):
        parts.append(f"đơn vị (thư mục) {p['unit']}")
    if p.get("formats"):
        parts.append("tệp " + ", ".join(FORMAT_NAMES.get(f, f) for f in p["formats"].split(",")))
    return "; ".join(parts)


def project_part(project: Project) -> dict:
    """What a stamp records of the project: its province, its files' hashes and the overrides in force."""
    overrides = {k: v for k, v in sorted(project.overrides.items()) if k not in ("CCHC_CACHE_DIR", "CCHC_PROJECT")}
    return {"province": project.province, "files": dict(project.files), "overrides": overrides}


def compute(kind: str, parameters: dict, notebook: str | Path | None = None, result=None, reps=None,
            project: Project | None = None, context: Context | None = None, lang: str | None = None) -> Stamp:
    """The stamp of a briefing (without its time); ``result`` (the loaded data folder), ``reps`` (its reports)
    and ``context`` (``batch_context``: a batch computes it once) if at hand; ``project`` (default: loaded from
    the ``project`` parameter); ``lang``: the message language of the run (default: :func:`settings`'s)."""
    from cchc_tools.pipeline import load_data
    from cchc_tools.project import load_project

    params = {k: str(v) for k, v in sorted(parameters.items()) if k not in NOT_IDENTITY}
    project = project if project is not None else load_project(params.get("project") or None)
    nb_path = notebooks_dir() / (notebook or NOTEBOOKS[kind])
    if result is None:
        result = load_data(project, params.get("data_dir") or None)
    if context is None:
        context = batch_context(project, params.get("data_dir") or None)
    memo = context.memo
    sources = input_sources(kind, params, result, reps, project.root, memo)
    inputs = {}
    for s in sources:
        sha = _file_sha(source_path(s, project.root), memo)
        if sha is not None:
            inputs[s] = sha
    shown = peer_context(context.assessed, context.consolidated, kind, params, memo)
    kit = memo.get(("kit",)) if memo is not None else None
    if kit is None:  # what every page of a batch shares, found once
        reference = reference_files()
        kit = {"kit_code": kit_code(), "reference_sha256": sha_of(reference), "reference": reference}
        if memo is not None:
            memo[("kit",)] = kit
    return Stamp(kind=kind, notebook=nb_path.name, notebook_sha256=_file_sha(nb_path, memo) or sha256_file(nb_path),
                 kit_version=__version__, **kit, project=project_part(project), inputs=inputs, parameters=params,
                 context=shown, settings=settings(lang))


def _file_sha(path: Path, memo: dict | None = None) -> str | None:
    """SHA-256 of a file, ``None`` when it is not a file; kept in ``memo`` (a batch's: each file is read once,
    whatever number of pages read it)."""
    key = ("sha256", str(path))
    if memo is not None and key in memo:
        return memo[key]
    sha = sha256_file(path) if path.is_file() else None
    if memo is not None:
        memo[key] = sha
    return sha


def kit_part(project: Project, lang: str | None = None) -> dict:
    """What every page, cycle and letter of a project depends on beside its own inputs: the kit (version, code,
    reference data, translations), the project's files and overrides, and the settings (the message language)."""
    return {"kit_version": __version__, "kit_code": kit_code(), "reference": reference_files(),
            "project": project_part(project), "settings": settings(lang)}


def cycle_stamp(project: Project, data, year: int, period: str, params: dict, lang: str | None = None) -> dict:
    """A reporting cycle's provenance without its time: :func:`kit_part`, the content of every report of the
    period and of every unreadable file of the data folder (``data``: a computation, ``pipeline.computed``), and
    the parameters; ``fingerprint`` is its hash. Equal fingerprints mean the same outputs would be written."""
    from cchc_tools.analysis.selection import reports
    from cchc_tools.ingest.loader import source_name

    reps = reports(data.table)
    mine = reps[(reps["year"] == year) & (reps["period"] == period)]["source"].tolist()
    sources = sorted({*mine, *(source_name(e.path, project.root) for e in data.errors)})
    inputs = {}
    for src in sources:
        path = source_path(src, project.root)
        inputs[src] = sha256_file(path) if path.is_file() else ""
    stamp = {"kind": "cycle", **kit_part(project, lang), "inputs": inputs,
             "parameters": {k: str(v) for k, v in sorted(params.items())}}
    stamp["fingerprint"] = sha_of(stamp)
    return stamp


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
