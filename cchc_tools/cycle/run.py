"""The period's cycle in one call: status, letters, consolidated appendix, digest, and the state the index shows.

``run_cycle`` computes the data folder once (``analysis.computed``) and writes, under
``<outputs>/<year>/``: ``status-<period>.{html,xlsx}``, ``letters-<period>/`` (one ``.docx`` per unit and
``register.xlsx``), ``phu-luc-tong-hop-<period>.{xlsx,docx}``, ``digest-<period>.txt`` and
``cycle-<period>.json`` (what the index page shows of the period: :func:`cchc_tools.render.export.period_states`).
The steps below take their settings as arguments (province, departments, deadlines, letterhead); this
module wires them from the project (``project.province``, ``project.reporting``, ``project.document``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cchc_tools.errors import CchcError

STEPS = ("status", "letters", "consolidate", "digest")


@dataclass
class CycleResult:
    written: list[Path] = field(default_factory=list)
    status: object = None
    appendix: object = None
    letters: list = field(default_factory=list)
    digest: object = None
    notes: list[str] = field(default_factory=list)  # what could not be done, in Vietnamese
    skipped: bool = False  # nothing it depends on changed since the last run: nothing was written


def fingerprint(project, data, year: int, period: str, params: dict) -> dict:
    """The cycle's provenance without its time: the kit's code and reference data, the project's files, the
    content of every report of the period and every unreadable file, and the parameters. Equal fingerprints
    mean the same outputs would be written."""
    import hashlib

    from cchc_tools.analysis.selection import reports
    from cchc_tools.batch.provenance import kit_code, project_part, source_path
    from cchc_tools.ingest.loader import source_name
    from cchc_tools.ingest.snapshot import file_hash
    from cchc_tools.project import reference_files
    from cchc_tools.version import __version__

    reps = reports(data.table)
    mine = reps[(reps["year"] == year) & (reps["period"] == period)]["source"].tolist()
    sources = sorted({*mine, *(source_name(e.path, project.root) for e in data.errors)})
    inputs = {}
    for src in sources:
        path = source_path(src, project.root)
        inputs[src] = file_hash(path) if path.is_file() else ""
    stamp = {"kind": "cycle", "kit_version": __version__, "kit_code": kit_code(),
             "reference": reference_files(), "project": project_part(project), "inputs": inputs,
             "parameters": {k: str(v) for k, v in sorted(params.items())}}
    stamp["fingerprint"] = hashlib.sha256(json.dumps(stamp, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return stamp


def run_cycle(project, year: int, period: str, *, data_dir: str | Path | None = None,
              out_root: str | Path | None = None, steps: Iterable[str] = STEPS, unit: str = "", level: str = "",
              formats: Iterable[str] = ("html", "docx", "xlsx"), produced: date | None = None,
              force: bool = True) -> CycleResult:
    """The steps of the cycle asked for (``status``, ``letters``, ``consolidate``, ``digest``) for a period of the
    ``project`` (its province, departments, deadlines, letterhead and outputs folder; ``data_dir`` and
    ``out_root`` override its folders). With ``force=False`` nothing is written when the fingerprint recorded
    by the last run (``cycle-<period>.json``) is the same and its files are all there."""
    from cchc_tools.analysis.computed import computed
    from cchc_tools.cycle.appendix import consolidated_appendix, write_appendix
    from cchc_tools.cycle.digest import build_digest
    from cchc_tools.cycle.letters import letters_for, write_letters
    from cchc_tools.cycle.roster import RosterError, deadline, roster
    from cchc_tools.cycle.status import reporting_status, write_status

    steps, formats = set(steps), set(formats)
    doc, province = project.document, project.province
    data = computed(project, data_dir)
    folder = Path(out_root or project.outputs) / str(year)
    res = CycleResult()
    stamp = fingerprint(project, data, year, period, {"steps": ",".join(sorted(steps)), "unit": unit, "level": level,
                                                     "formats": ",".join(sorted(formats)), "produced": produced or ""})
    if not force and _up_to_date(folder / f"cycle-{period.lower()}.json", stamp["fingerprint"]):
        res.skipped = True
        return res
    synthetic = bool(data.table["synthetic"].any()) if len(data.table) else False
    due = deadline(year, period, project.reporting.deadlines)
    status = None
    if province and not synthetic:
        try:
            units = roster(province, year, period, project.reporting.departments)
            status = reporting_status(data.table, data.errors, data.findings, units, year, period, due,
                                      province=province, root=project.root)
        except RosterError as exc:
            res.notes.append(str(exc))
    else:
        res.notes.append("chưa có danh sách đơn vị phải báo cáo: dự án chưa đặt tỉnh ([project] province)"
                         if not synthetic else "dữ liệu mẫu: không có danh sách đơn vị chính thức để đối chiếu")
    res.status = status
    if "status" in steps and status is not None:
        res.written += write_status(status, folder, formats & {"html", "xlsx"}, synthetic)
    if "letters" in steps:
        res.letters = letters_for(data.table, data.findings, year, period, unit, rules=project.rules or None)
        res.written += write_letters(res.letters, folder / f"letters-{period.lower()}", parent_body=doc.parent_body,
                                     issuing_body=doc.issuing_body, place=doc.place, signer_title=doc.signer_title,
                                     signer_name=doc.signer_name, produced=produced)
    app = None
    if steps & {"consolidate", "digest"}:
        missing = []
        if status is not None:
            rows = status.rows
            missing = rows[rows["in_roster"] & rows["state"].isin(["missing", "unreadable"])]["name"].tolist()
        try:
            app = consolidated_appendix(data.table, data.findings, year, period, level, province=province,
                                        roster_size=status.totals()["roster"] if status is not None else None,
                                        missing=missing, rules=project.rules or None)
        except CchcError as exc:
            res.notes.append(str(exc))
    res.appendix = app
    if "consolidate" in steps and app is not None:
        res.written += write_appendix(app, folder, formats & {"xlsx", "docx"}, doc)
    if "digest" in steps and app is not None:
        from cchc_tools.atomic import write_text

        mine = set(data.table[(data.table["year"] == year) & (data.table["period"] == period)]["source"])
        a = data.assessed[data.assessed["source"].isin(mine) & (data.assessed["level"] == app.level)]
        from cchc_tools.analysis.assess import consolidate

        period_findings = data.findings[data.findings["source"].isin(set(a["source"]))]
        rows = data.table[data.table["source"].isin(set(a["source"]))]
        shown = consolidate(rows, ind=data.ind[data.ind["source"].isin(set(a["source"]))],
                            findings=period_findings, rules=project.rules).ratios  # the comparison's totals
        res.digest = build_digest(status, app, a, period_findings, province=province,
                                  targets=project.targets or None, ratios=shown)
        res.written.append(write_text(folder / f"digest-{period.lower()}.txt", res.digest.text + "\n"))
    res.written.append(write_state(res, data, year, period, folder, stamp))
    return res


def _up_to_date(path: Path, fingerprint: str) -> bool:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = state.get("files", {}).values()
    return state.get("provenance", {}).get("fingerprint") == fingerprint and all(
        (path.parent / f).exists() for f in files)


def write_state(res: CycleResult, data, year: int, period: str, folder: Path, stamp: dict | None = None) -> Path:
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
    if stamp is not None:
        from datetime import datetime

        state["provenance"] = {**stamp, "produced": datetime.now().astimezone().isoformat(timespec="seconds")}
    return write_text(path, json.dumps(state, ensure_ascii=False, indent=1))
