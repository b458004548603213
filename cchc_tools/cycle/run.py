"""The period's cycle in one call: status, letters, consolidated appendix, digest, and the state the index shows.

``run_cycle`` computes the data folder once (``pipeline.computed``) and writes, under
``<outputs>/<year>/``: ``status-<period>.{html,xlsx}``, ``letters-<period>/`` (one ``.docx`` per unit and
``register.xlsx``), ``phu-luc-tong-hop-<period>.{xlsx,docx}``, ``digest-<period>.txt`` and
``cycle-<period>.json`` (what the index page shows of the period: :func:`cchc_tools.cycle.status.period_states`).
The steps below take their settings as arguments (province, departments, deadlines, letterhead); this
module wires them from the project (``project.province``, ``project.reporting``, ``project.document``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cchc_tools.errors import CchcError

if TYPE_CHECKING:
    import pandas as pd

STEPS = ("status", "letters", "consolidate", "digest")
LEVEL_VI = {"commune": "xã", "district": "huyện", "department": "sở, ban, ngành", "province": "tỉnh"}
LISTED = 20  # units named in a refusal before "…"


class CycleInputError(CchcError):
    """A period, year or unit the cycle cannot run for: refused (in Vietnamese, with the valid choices and the
    closest ones) before anything is written."""


def _closest(text: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    from rapidfuzz import fuzz, process, utils

    hits = process.extract(text, list(choices), scorer=fuzz.WRatio, processor=utils.default_process, limit=limit,
                           score_cutoff=50)
    return [h[0] for h in hits]


def check_period(period: str) -> str:
    """The kit's name of a period (``q1`` -> ``Q1``), or :class:`CycleInputError` naming the valid ones."""
    from cchc_tools.periods import PERIODS

    for p in PERIODS:
        if p.lower() == str(period).strip().lower():
            return p
    near = _closest(str(period), PERIODS)
    raise CycleInputError(f"kỳ báo cáo {period!r} không có; các kỳ hợp lệ: {', '.join(PERIODS)}"
                          + (f" (gần nhất: {', '.join(near)})" if near else ""))


def check_year(year: int, data, today: date) -> int:
    """A year the data has reports of (or the current year, whose reports may all be overdue), else
    :class:`CycleInputError` naming the years there are."""
    years = sorted({int(y) for y in data.table["year"].dropna().unique()} | {today.year}) if len(data.table) \
        else [today.year]
    if int(year) not in years:
        raise CycleInputError(f"năm {year} không có báo cáo nào; các năm có số liệu: "
                              f"{', '.join(str(y) for y in years)}")
    return int(year)


def check_unit(unit: str, data, year: int, period: str) -> str:
    """A unit (slug) with a report of the period, else :class:`CycleInputError` naming those that have one
    (the closest first)."""
    from cchc_tools.analysis.selection import reports
    from cchc_tools.periods import period_in_sentence

    reps = reports(data.table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    names = dict(zip(reps["unit"], reps["unit_name"].fillna("").astype(str), strict=True))
    if unit in names:
        return unit
    when = period_in_sentence(period, year)
    if not names:
        raise CycleInputError(f"không có báo cáo nào {when}; không lập công văn cho đơn vị {unit!r}")
    near = _closest(unit.replace("-", " "), {slug: f"{n} {slug.replace('-', ' ')}" for slug, n in names.items()})
    listed = [f"{names[s] or s} ({s})" for s in list(names)[:LISTED]] + (["…"] if len(names) > LISTED else [])
    hint = (f"; gần nhất: {', '.join(f'{names[s] or s} ({s})' for s in near)}" if near else "")
    raise CycleInputError(f"đơn vị {unit!r} không có báo cáo {when}{hint}; các đơn vị có báo cáo: "
                          f"{', '.join(listed)}")


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
    """The cycle's provenance without its time (:func:`cchc_tools.provenance.cycle_stamp`): the kit's code,
    reference data and translations, the project's files, the message language, the content of every report of
    the period and every unreadable file, and the parameters. Equal fingerprints mean the same outputs would be
    written."""
    from cchc_tools.provenance import cycle_stamp

    return cycle_stamp(project, data, year, period, params)


def run_cycle(project, year: int, period: str, *, data_dir: str | Path | None = None,
              out_root: str | Path | None = None, steps: Iterable[str] = STEPS, unit: str = "", level: str = "",
              formats: Iterable[str] = ("html", "docx", "xlsx"), produced: date | None = None,
              force: bool = True, reminders: bool = False) -> CycleResult:
    """The steps of the cycle asked for (``status``, ``letters``, ``consolidate``, ``digest``) for a period of the
    ``project`` (its province, departments, deadlines, letterhead and outputs folder; ``data_dir`` and
    ``out_root`` override its folders). With ``force=False`` nothing is written when the fingerprint recorded
    by the last run (``cycle-<period>.json``) is the same and its files are all there. ``produced``: today's date
    (the letters' date, what is overdue), given by the caller (default: the system's date). ``reminders``: the
    letters step also drafts a reminder (công văn đôn đốc) to each unit whose report is overdue. A data or outputs
    folder that cannot be used (:func:`cchc_tools.paths.check_folders`) or an outputs folder another run holds is
    refused (:class:`CycleInputError`) before anything is written."""
    from cchc_tools.lock import outputs_lock
    from cchc_tools.paths import FolderError, check_folders
    from cchc_tools.pipeline import computed, resolve_data_dir

    period = check_period(period)  # refused before anything is read or written
    out = Path(out_root or project.outputs)
    try:
        check_folders(resolve_data_dir(project, data_dir), out)
        data = computed(project, data_dir)
        year = check_year(year, data, produced or date.today())
        if unit:
            unit = check_unit(unit, data, year, period)
        with outputs_lock(out):  # one run per outputs folder (brief --all already holds it: re-entrant)
            return _run_cycle(project, data, year, period, out, steps, unit, level, formats, produced, force,
                              reminders)
    except FolderError as exc:  # a folder that cannot be used, or in use by another run: refused, nothing written
        raise CycleInputError(str(exc)) from exc


def _run_cycle(project, data, year: int, period: str, out: Path, steps, unit: str, level: str, formats,
               produced: date | None, force: bool, reminders: bool) -> CycleResult:
    from cchc_tools.cycle.appendix import consolidated_appendix, write_appendix
    from cchc_tools.cycle.digest import build_digest
    from cchc_tools.cycle.letters import letters_for
    from cchc_tools.cycle.roster import RosterError, deadline, roster
    from cchc_tools.cycle.status import reporting_status, write_status
    from cchc_tools.paths import child

    steps, formats = set(steps), set(formats)
    doc, province = project.document, project.province
    folder = child(out, str(year))
    res = CycleResult()
    produced = produced or date.today()
    stamp = fingerprint(project, data, year, period, {"steps": ",".join(sorted(steps)), "unit": unit, "level": level,
                                                     "formats": ",".join(sorted(formats)), "produced": produced,
                                                     "reminders": reminders})
    if not force and _up_to_date(folder / f"cycle-{period.lower()}.json", stamp["fingerprint"]):
        res.skipped = True
        return res
    from cchc_tools.cycle.status import period_reports

    chosen = period_reports(data.table, year, period, province)
    full, data = data, without(data, set(chosen.outside["source"]) | set(chosen.superseded))
    synthetic = bool(data.table["synthetic"].any()) if len(data.table) else False
    # fictional demo units (no official code) have no roster to be checked against; the 2026 demo's real
    # communes and wards do: its status, coverage and reminders are the province's own
    codes = data.table["unit_code"].fillna("").astype(str) if "unit_code" in data.table else []
    fictional = synthetic and not any(c for c in codes)
    due = deadline(year, period, project.reporting.deadlines)
    status = None
    if province and not fictional:
        try:
            units = roster(province, year, period, project.reporting.departments)
            received, wrote = receipts(project, full, year, period, folder / f"letters-{period.lower()}", produced,
                                       chosen)
            res.written += wrote
            status = reporting_status(full.table, data.errors, full.findings, units, year, period, due,
                                      province=province, root=project.root, today=produced, received=received,
                                      min_coverage=project.reporting.min_coverage, chosen=chosen)
        except RosterError as exc:
            res.notes.append(str(exc))
    else:
        res.notes.append("chưa có danh sách đơn vị phải báo cáo: dự án chưa đặt tỉnh ([project] province)"
                         if not fictional else "dữ liệu mẫu: không có danh sách đơn vị chính thức để đối chiếu")
    res.status = status
    if "status" in steps and status is not None:
        res.written += write_status(status, folder, formats & {"html", "xlsx"}, synthetic)
    if "letters" in steps:
        hashes, current = _appendix_hashes(project, data, year, period)
        res.letters = letters_for(data.table, data.findings, year, period, unit, rules=project.rules or None,
                                  on=produced, hashes=hashes, forms=project.forms)
        if reminders and status is not None:
            from cchc_tools.cycle.letters import reminders_for

            res.letters += reminders_for(status, produced)
        rec = record(project, res.letters, folder / f"letters-{period.lower()}", produced, unit=unit,
                     current=current, incremental=not force)
        res.written += rec.written
        res.notes += rec.notes
    app = None
    if steps & {"consolidate", "digest"}:
        missing = []
        if status is not None:
            rows = status.rows
            gone = rows["state"].isin(["missing", "overdue", "not_due", "unreadable"])
            missing = rows[rows["in_roster"] & gone]["name"].tolist()
        try:
            app = consolidated_appendix(data.table, data.findings, year, period, level, province=province,
                                        roster_size=status.totals()["roster"] if status is not None else None,
                                        missing=missing, rules=project.rules or None, forms=project.forms)
        except CchcError:
            from cchc_tools.periods import period_in_sentence

            where = f" của cấp {LEVEL_VI.get(level, level)}" if level else ""
            res.notes.append(f"không có phụ lục nào {period_in_sentence(period, year)}{where} để tổng hợp: chưa lập "
                             "phụ lục tổng hợp" + (" và tin nhắn tóm tắt" if "digest" in steps else ""))
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


def without(data, sources: set[str]):
    """The computed data without the reports of ``sources`` (units outside the province, reports superseded by a
    later one of the same unit): what letters, the consolidated appendix and the digest are made from."""
    if not sources:
        return data
    keep = {name: frame[~frame["source"].isin(sources)] for name, frame in
            (("table", data.table), ("ind", data.ind), ("findings", data.findings), ("assessed", data.assessed))}
    return _Chosen(errors=data.errors, rules=data.rules, **keep)


@dataclass(frozen=True)
class _Chosen:
    """What the cycle reads of a computation (``Computed``), without the reports it leaves out."""

    table: pd.DataFrame
    ind: pd.DataFrame
    findings: pd.DataFrame
    assessed: pd.DataFrame
    errors: list
    rules: tuple = ()


def _appendix_hashes(project, data, year: int, period: str) -> tuple[dict[str, str], dict[str, str]]:
    """(source -> SHA-256 of its file, unit slug -> SHA-256 of its latest report's file) for the period."""
    from cchc_tools.analysis.selection import reports
    from cchc_tools.fingerprint import file_sha256
    from cchc_tools.provenance import source_path

    reps = reports(data.table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    hashes, current = {}, {}
    for src, slug in zip(reps["source"], reps["unit"], strict=True):
        path = source_path(src, project.root)
        hashes[src] = file_sha256(path) if path.is_file() else src
        current[slug] = hashes[src]
    return hashes, current


def receipts(project, data, year: int, period: str, folder: Path, today: date, chosen=None):
    """The date the Sở received each appendix of the period, from the register (recorded there the first time
    the kit sees the file: :func:`cchc_tools.cycle.register.record_receipts`); ``chosen``
    (:func:`cchc_tools.cycle.status.period_reports`) names on the register's sheet the reports superseded by a
    later one and those of units outside the province."""
    from cchc_tools.analysis.selection import reports
    from cchc_tools.cycle.register import record_receipts
    from cchc_tools.provenance import source_path

    reps = reports(data.table)
    reps = reps[(reps["year"] == int(year)) & ((reps["coverage"] == period) | (reps["period"] == period))]
    arrivals = [(src, str(name or unit), str(code or ""), source_path(src, project.root))
                for src, name, unit, code in zip(reps["source"], reps["unit_name"], reps["unit"], reps["unit_code"],
                                                 strict=True)]
    notes = {}
    if chosen is not None:
        notes = {early: f"đã được thay bằng báo cáo sau của đơn vị: {late}"
                 for early, late in chosen.superseded.items()}
        notes.update({src: "đơn vị ngoài địa bàn: không tổng hợp, không gửi công văn"
                      for src in chosen.outside["source"]})
    return record_receipts(folder, arrivals, today, notes)


def record(project, letters: list, folder: Path, produced: date, *, unit: str = "", current: dict | None = None,
           incremental: bool = False):
    """Each letter written (its layout from the project's ``[document]``, its căn cứ and reply date from
    ``[letters]``) and recorded in the period's register (:func:`cchc_tools.cycle.register.record_letters`)."""
    from cchc_tools.atomic import write_with
    from cchc_tools.cycle.letters import FORM_KEY, build_letter, reply_by
    from cchc_tools.cycle.register import record_letters

    doc, lets = project.document, project.letters

    def write(letter, path: Path, numbers: dict) -> Path:
        built = build_letter(letter, parent_body=doc.parent_body, issuing_body=doc.issuing_body, place=doc.place,
                             signer_title=doc.signer_title, signer_name=doc.signer_name, produced=produced,
                             basis=lets.basis, reply_days=lets.reply_days, numbers=numbers)
        return write_with(path, lambda p: built.save(str(p)))

    def describe(letter) -> dict[str, str]:
        out = {p.key: f"{p.where}: {p.text}" for p in letter.explain}
        if letter.correct:
            out[FORM_KEY] = "Phụ lục chưa đúng mẫu (" + "; ".join(dict.fromkeys(p.title for p in letter.correct)) + ")"
        return out

    from dataclasses import asdict

    from cchc_tools.provenance import kit_part

    shared = {**kit_part(project), "produced": produced.isoformat()}

    def fingerprint(letter, numbers: dict[str, int]) -> str:
        """The letter's own inputs (its unit's report, by content hash, and points; its item numbers) and what
        every letter shares (the kit, its wording, the project's files, the date): never another unit's."""
        import hashlib

        own = {"letter": asdict(letter), "numbers": numbers, **shared}
        return hashlib.sha256(json.dumps(own, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()

    return record_letters(folder, letters, write, unit=unit, current=current,
                          reply_by=reply_by(produced, lets.reply_days), describe=describe,
                          fingerprint=fingerprint, keep_unchanged=incremental)


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
    from cchc_tools.analysis.selection import headline_ids, reports
    from cchc_tools.atomic import write_text
    from cchc_tools.cycle.appendix import appendix_stem
    from cchc_tools.cycle.register import register_letters
    from cchc_tools.cycle.status import NOT_RECEIVED, coverage_line
    from cchc_tools.paths import child

    path = child(folder, f"cycle-{check_period(period).lower()}.json")  # a period is one of the kit's, never a path
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    state.update({"year": year, "period": period})
    if res.status is not None:
        st = res.status
        state["totals"] = st.totals()
        state["due"] = st.due.isoformat() if st.due else ""
        state["missing"] = st.rows[st.rows["in_roster"] & st.rows["state"].isin(NOT_RECEIVED)]["name"].tolist()
        state["coverage_low"] = coverage_line(st)
        reps = reports(data.table).set_index("source")
        state["units"] = {str(reps.loc[s, "unit"]): {"state": state_, "name": n, "points": int(p)}
                          for s, state_, n, p in zip(st.rows["source"], st.rows["state"], st.rows["name"],
                                                     st.rows["points"], strict=True) if s and s in reps.index}
    letters = register_letters(folder / f"letters-{period.lower()}")  # every unit's letter, whatever run wrote it
    if letters:
        state["letters"] = {slug: {"file": f"letters-{period.lower()}/{info['file']}", "points": info["points"],
                                   "kind": info.get("kind", ""), "name": info.get("name", "")}
                            for slug, info in letters.items()}
    if res.appendix is not None:
        heads = res.appendix.ratios[res.appendix.ratios["indicator"].isin(headline_ids(res.appendix.level))]
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
