"""The period's cycle in one call: status, letters, consolidated appendix, digest, and the state the index shows.

``run_cycle`` computes the data folder once (``analysis.computed``) and writes, under
``<outputs>/<year>/``: ``status-<period>.{html,xlsx}``, ``letters-<period>/`` (one ``.docx`` per unit and
``register.xlsx``), ``phu-luc-tong-hop-<period>.{xlsx,docx}``, ``digest-<period>.txt`` and
``cycle-<period>.json`` (what the index page shows of the period: :func:`cchc_tools.render.export.period_states`).
Each takes its settings as arguments (province, departments, deadlines, letterhead), so that the
project object wires them in one line.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cchc_tools.errors import CchcError
from cchc_tools.paths import outputs_dir, project_root

STEPS = ("status", "letters", "consolidate", "digest")


@dataclass(frozen=True)
class Reporting:
    """``[reporting]`` of ``cchc.toml``: the departments that must report and the deadlines by kind of period."""

    departments: tuple[str, ...] = ()
    deadlines: Mapping[str, int] = field(default_factory=dict)


def reporting_settings(path: str | Path | None = None) -> Reporting:
    """``[reporting] departments`` and ``[reporting.deadlines]`` of ``cchc.toml`` (until the project object
    carries them: ``project.reporting``)."""
    file = Path(path) if path else project_root() / "cchc.toml"
    if not file.exists():
        return Reporting()
    try:
        conf = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CchcError(f"{file}: not a valid TOML file: {exc}") from None
    rep = conf.get("reporting", {})
    if not isinstance(rep, dict):
        raise CchcError(f"{file}: [reporting] must be a table")
    deps = rep.get("departments", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise CchcError(f"{file}: [reporting] departments must be a list of names")
    dl = rep.get("deadlines", {})
    if not isinstance(dl, dict) or not all(isinstance(v, int) and 1 <= v <= 31 for v in dl.values()):
        raise CchcError(f"{file}: [reporting.deadlines] must give a day of the month (1-31) per kind of period, "
                        "e.g. quarter = 15")
    unknown = set(dl) - {"quarter", "6-month", "9-month", "annual"}
    if unknown:
        raise CchcError(f"{file}: [reporting.deadlines] unknown kind(s) {', '.join(sorted(unknown))}; expected "
                        "quarter, 6-month, 9-month, annual")
    return Reporting(tuple(deps), dict(dl))


@dataclass
class CycleResult:
    written: list[Path] = field(default_factory=list)
    status: object = None
    appendix: object = None
    letters: list = field(default_factory=list)
    digest: object = None
    notes: list[str] = field(default_factory=list)  # what could not be done, in Vietnamese


def run_cycle(year: int, period: str, *, data_dir: str | Path | None = None, out_root: str | Path | None = None,
              province: str = "", departments: Iterable[str] = (), deadlines: Mapping[str, int] | None = None,
              settings=None, steps: Iterable[str] = STEPS, unit: str = "", level: str = "",
              formats: Iterable[str] = ("html", "docx", "xlsx"), produced: date | None = None) -> CycleResult:
    """The steps of the cycle asked for (``status``, ``letters``, ``consolidate``, ``digest``) for a period."""
    from cchc_tools.analysis.computed import computed
    from cchc_tools.cycle.appendix import consolidated_appendix, write_appendix
    from cchc_tools.cycle.digest import build_digest
    from cchc_tools.cycle.letters import letters_for, write_letters
    from cchc_tools.cycle.roster import RosterError, deadline, roster
    from cchc_tools.cycle.status import reporting_status, write_status
    from cchc_tools.settings import load_settings

    steps, formats = set(steps), set(formats)
    settings = settings if settings is not None else load_settings()
    data = computed(data_dir)
    out = Path(out_root) if out_root else outputs_dir()
    folder = out / str(year)
    res = CycleResult()
    synthetic = bool(data.table["synthetic"].any()) if len(data.table) else False
    due = deadline(year, period, deadlines)
    status = None
    if province and not synthetic:
        try:
            units = roster(province, year, period, departments)
            status = reporting_status(data.table, data.errors, data.findings, units, year, period, due,
                                      province=province, data_dir=data_dir)
        except RosterError as exc:
            res.notes.append(str(exc))
    else:
        res.notes.append("chưa có danh sách đơn vị phải báo cáo: dự án chưa đặt tỉnh ([project] province)"
                         if not synthetic else "dữ liệu mẫu: không có danh sách đơn vị chính thức để đối chiếu")
    res.status = status
    if "status" in steps and status is not None:
        res.written += write_status(status, folder, formats & {"html", "xlsx"}, synthetic)
    if "letters" in steps:
        res.letters = letters_for(data.table, data.findings, year, period, unit)
        res.written += write_letters(res.letters, folder / f"letters-{period.lower()}",
                                     parent_body=settings.parent_body, issuing_body=settings.issuing_body,
                                     place=settings.place, produced=produced)
    app = None
    if steps & {"consolidate", "digest"}:
        missing = []
        if status is not None:
            rows = status.rows
            missing = rows[rows["in_roster"] & rows["state"].isin(["missing", "unreadable"])]["name"].tolist()
        try:
            app = consolidated_appendix(data.table, data.findings, year, period, level, province=province,
                                        roster_size=status.totals()["roster"] if status is not None else None,
                                        missing=missing)
        except CchcError as exc:
            res.notes.append(str(exc))
    res.appendix = app
    if "consolidate" in steps and app is not None:
        res.written += write_appendix(app, folder, formats & {"xlsx", "docx"}, settings)
    if "digest" in steps and app is not None:
        from cchc_tools.atomic import write_text

        mine = set(data.table[(data.table["year"] == year) & (data.table["period"] == period)]["source"])
        a = data.assessed[data.assessed["source"].isin(mine) & (data.assessed["level"] == app.level)]
        res.digest = build_digest(status, app, a, data.findings[data.findings["source"].isin(set(a["source"]))],
                                  province=province)
        res.written.append(write_text(folder / f"digest-{period.lower()}.txt", res.digest.text + "\n"))
    res.written.append(write_state(res, data, year, period, folder))
    return res


def write_state(res: CycleResult, data, year: int, period: str, folder: Path) -> Path:
    """``cycle-<period>.json``: what the index shows of the period (reporting state, headline totals, each
    unit's state and points, the files), merged with what an earlier run of other steps wrote."""
    from cchc_tools.analysis.selection import reports
    from cchc_tools.atomic import write_text
    from cchc_tools.content.views.common import HEADLINE_IDS
    from cchc_tools.cycle.appendix import appendix_stem
    from cchc_tools.cycle.letters import letter_stem

    path = folder / f"cycle-{period.lower()}.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    state.update({"year": year, "period": period})
    if res.status is not None:
        st = res.status
        state["totals"] = st.totals()
        state["due"] = st.due.isoformat() if st.due else ""
        state["missing"] = st.rows[st.rows["in_roster"] & (st.rows["state"] == "missing")]["name"].tolist()
        reps = reports(data.table).set_index("source")
        state["units"] = {str(reps.loc[s, "unit"]): {"state": state_, "name": n, "points": int(p)}
                          for s, state_, n, p in zip(st.rows["source"], st.rows["state"], st.rows["name"],
                                                     st.rows["points"], strict=True) if s and s in reps.index}
    if res.letters:
        state["letters"] = {lt.unit: {"file": f"letters-{period.lower()}/{letter_stem(lt)}.docx",
                                      "points": len(lt.explain) + len(lt.correct)} for lt in res.letters}
    if res.appendix is not None:
        heads = res.appendix.ratios[res.appendix.ratios["indicator"].isin(HEADLINE_IDS)]
        state["headline"] = [{"name": r.name_vi, "value": None if r.value != r.value else float(r.value),
                              "units": int(r.units)} for r in heads.itertuples(index=False)]
        state["appendix"] = appendix_stem(period)
    files = {}
    for p in res.written:
        files[p.name] = p.relative_to(folder).as_posix()
    state["files"] = {**state.get("files", {}), **files}
    return write_text(path, json.dumps(state, ensure_ascii=False, indent=1))
