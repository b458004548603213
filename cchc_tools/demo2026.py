"""Synthetic appendices of a province of 2026: its real communes and wards, and some departments.

``generate_province(out, province="Cần Thơ", periods=[(2026, "Q1"), (2026, "Q2")])`` writes, for each
period, the appendix of a sample of the province's current communes and wards (official names and codes,
from :mod:`cchc_tools.units`) and of a few departments (sở: the project's roster, ``[reporting]
departments``, else :data:`DEFAULT_DEPARTMENTS`), on the forms of their level and year (``commune-2025``,
``department-2025``): only the rows of the form, in its own terms. A period is a quarter (or any period of
:mod:`cchc_tools.periods`) of a year from the reform of 1 July 2025 on (``2025-Q4``, ``2026-Q1``).

Everything made here says it is synthetic: "DỮ LIỆU MẪU" in the title (briefings then show a banner).
The names are real, so the loader resolves each report's official unit code. The title says the period
("... CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2026") and the report ("Kèm theo Báo cáo số 37/BC-UBND ngày 08 tháng
4 năm 2026 của Ủy ban nhân dân phường Vĩnh Châu, thành phố Cần Thơ", dated a few days after the period's
end). Values are those of a commune and a quarter (dossiers in the hundreds to a few thousands, scaled by
the months a longer period spans), made by the machinery of :mod:`cchc_tools.demo` (every shipped rule
holds); levels such as staffing quotas and the annual plan are the same in every quarter of a year, the
plan is completed step by step through the year, and the province's own lists (procedures in force,
online services, procedures with fees) are the same for every commune and ward of a period.

The sample always holds some successors of the legacy thị xã Vĩnh Châu (:data:`LEGACY_WITH_APPENDIX`,
``units.successors("950")``: Phường Vĩnh Châu 31783, Phường Khánh Hòa 31789, Xã Vĩnh Hải 31795), so the
trend of a current unit can show the bundled 2022 appendix as its predecessor; the other units are drawn
with the seed. Planted in every period, deterministically (see :func:`sample_units`; the communes and wards
other than Vĩnh Châu's successors come first, in order of code, then the successors):

(a) two units with an error-level inconsistency: the 1st, commune dossiers on time above those resolved
    (rule ``commune_on_time_le_resolved``); the 2nd, tasks assigned by the province done on time plus
    done late above those assigned (``province_tasks_parts_le_total``);
(b) the 3rd unit's plan-completion note quotes counts that contradict its rows ("Đã hoàn thành 12/30
    nhiệm vụ" while its rows say 10 of 30; ``note_ratio``, a warning);
(c) the 4th unit sends 0,30% of its outgoing documents fully electronically (3 of 1.000 a quarter; no
    rule fires: its rate is low, not inconsistent);
(d) the 5th unit's plan-completion note quotes a commitment whose date had passed at the period's end
    ("còn 05 nhiệm vụ sẽ hoàn thành từ nay đến ngày 31/12/2025" in its Q1 2026 report: the date is the
    end of the previous quarter; no rule fires);
(e) the first department resolved more feedback than it received (``feedback_resolved_le_received``, an
    error).

With fewer than five communes and wards the flaws wrap round (the 6th flaw goes to the 1st unit, ...).
No other finding of error or warning level is made. :data:`PLANTED` maps each flaw to the rule that
reports it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from cchc_tools.catalog import by_code
from cchc_tools.demo import Profile, appendix_text, check_out, generate_values, rate_rules
from cchc_tools.errors import CchcError
from cchc_tools.forms import Form, form_rows_for_level, pick_form
from cchc_tools.ingest.header import unit_slug
from cchc_tools.numbers import fmt_number
from cchc_tools.periods import PERIODS, file_suffix, period_end, period_phrase
from cchc_tools.text import clean
from cchc_tools.units import era_is_legacy, official_province_name, successors

#: The legacy unit whose 2022 appendix the kit bundles (thị xã Vĩnh Châu, data/raw/2022/vinh-chau).
LEGACY_WITH_APPENDIX = "950"
#: Departments when the project lists none (``[reporting] departments`` in its cchc.toml).
DEFAULT_DEPARTMENTS = ("Sở Nội vụ", "Sở Tài chính", "Sở Y tế", "Sở Xây dựng", "Sở Giáo dục và Đào tạo",
                       "Sở Tư pháp", "Sở Công Thương", "Sở Nông nghiệp và Môi trường")

ON_TIME_OVER_RESOLVED = "on_time_over_resolved"
TASKS_OVER_ASSIGNED = "tasks_over_assigned"
NOTE_CONTRADICTS_COUNTS = "note_contradicts_counts"
LOW_EDOCS = "edocs_0_30"
PAST_COMMITMENT = "past_commitment"
FEEDBACK_OVER_RECEIVED = "feedback_over_received"
#: The flaws of the communes and wards, in the order they are handed out.
COMMUNE_FLAWS = (ON_TIME_OVER_RESOLVED, TASKS_OVER_ASSIGNED, NOTE_CONTRADICTS_COUNTS, LOW_EDOCS, PAST_COMMITMENT)
#: Each flaw and the rule that reports it ("" when none does: a low rate, a past date).
PLANTED = {ON_TIME_OVER_RESOLVED: "commune_on_time_le_resolved",
           TASKS_OVER_ASSIGNED: "province_tasks_parts_le_total",
           NOTE_CONTRADICTS_COUNTS: "note_ratio", LOW_EDOCS: "", PAST_COMMITMENT: "",
           FEEDBACK_OVER_RECEIVED: "feedback_resolved_le_received"}

#: Rows a planted flaw changes: never left blank, so that the flaw is there whatever the seed.
PLANTED_INPUTS = ("I.province_tasks_total", "I.province_tasks_on_time", "III.feedback_received",
                  "III.feedback_resolved", "III.dossiers_commune_resolved", "I.plan_tasks")
#: The province's own lists: the same for every commune and ward of a period (one list per level, never a
#: count a commune makes).
PROVINCE_LISTS = ("III.tthc_in_force", "III.tthc_in_force_commune", "III.tthc_new", "III.tthc_abolished",
                  "III.one_stop_same_level", "III.one_stop_cross_level", "VII.dvc_full_eligible",
                  "VII.dvc_full_provided", "VII.dvc_partial_eligible", "VII.dvc_partial_provided",
                  "VII.dvc_tp_on_national_portal", "VII.fee_tthc", "VII.fee_tthc_online_payment",
                  "VII.bcci_commune_tthc")
# A commune or ward in a quarter (since 1 July 2025 a commune is larger than a legacy one: 20-60
# thousand people, 35-70 civil servants). Flows of the quarter, scaled for longer periods.
_COMMUNE_RANGE = {"Hồ sơ": (100, 1_500), "Văn bản": (0, 6), "Người": (0, 6), "Thủ tục": (0, 4), "TTHC": (0, 12),
                  "Cơ quan, đơn vị": (0, 3), "Vấn đề": (0, 4), "Nhiệm vụ": (2, 12), "Ý kiến": (0, 6),
                  "Tin, bài": (2, 25), "Đơn vị": (1, 1), "Số lượng": (80, 600), "Số lượng phần mềm": (1, 5)}
_COMMUNE_BIG = {
    "I.plan_tasks": (18, 40), "I.directive_docs": (2, 14), "I.inspection_communes": (0, 0),
    "I.province_tasks_total": (4, 20),
    "II.legal_docs_issued": (0, 2), "II.review_required": (0, 8), "II.legal_education_docs": (3, 20),
    "III.tthc_in_force": (340, 420), "III.tthc_new": (0, 25), "III.tthc_abolished": (0, 20),
    "III.one_stop_same_level": (5, 30), "III.one_stop_cross_level": (10, 60),
    "III.dossiers_commune_received": (300, 3_000),
    "IV.civil_quota": (38, 70), "IV.civil_contracts": (2, 12), "IV.sncl_staff_quota": (60, 450),
    "IV.autonomous_staff_approved": (0, 25), "IV.leaders_offices": (6, 12), "IV.leaders_commune": (3, 5),
    "IV.decentralisation_communes": (0, 0),
    "V.training_planned": (10, 60), "V.rotation_target": (0, 5), "V.recruited_civil": (0, 2),
    "V.recruited_employees": (0, 3),
    "VI.admin_autonomy_units": (1, 1), "VI.sncl_autonomy": (4, 25),
    "VII.it_staff": (1, 2), "VII.edocs_commune_out": (300, 1_500), "VII.one_stop_system_communes": (1, 1),
    "VII.dvc_full_eligible": (120, 200), "VII.dvc_partial_eligible": (80, 150),
    "VII.dvc_tp_dossiers_total": (200, 2_500), "VII.fee_tthc": (60, 120), "VII.email_accounts": (35, 90),
    "VII.certs_leaders_total": (9, 17), "VII.bcci_commune_tthc": (60, 200),
    "VII.bcci_commune_dossiers_received": (0, 60), "VII.iso_communes_announced": (1, 1),
}
COMMUNE = Profile(
    _COMMUNE_RANGE, _COMMUNE_BIG,
    {"VII.dvc_tp_dossiers_online": (0.25, 0.85)},
    (("VII.iso_communes_internal_audit", "VII.iso_communes_announced"),
     ("VII.iso_communes_management_review", "VII.iso_communes_announced"),
     ("V.rotation_done", "V.rotation_target"), ("V.training_done", "V.training_planned"),
     ("VII.dvc_tp_dossiers_total", "III.dossiers_commune_received"),
     ("VII.certs_leaders_total", "IV.leaders_offices"),
     ("VII.bcci_commune_dossiers_returned", "VII.bcci_commune_dossiers_received"),
     ("VII.bcci_commune_tthc_returned", "VII.bcci_commune_tthc_received")),
    {"VII.edocs_commune_electronic": (0.85, 0.99), "VII.dvc_tp_dossiers_total": (0.5, 0.9),
     "VII.certs_commune_leaders": (0.8, 1.0)},
    rare=(0, 2), reported=frozenset(PROVINCE_LISTS + PLANTED_INPUTS))
# A department (sở): no commune leaders, no commune to connect or certify; its own procedures and dossiers.
DEPARTMENT = replace(COMMUNE, big={
    **_COMMUNE_BIG, "III.tthc_in_force": (40, 160), "III.dossiers_commune_received": (150, 4_000),
    "IV.civil_quota": (30, 110), "IV.leaders_offices": (8, 24), "IV.leaders_commune": (0, 0),
    "IV.sncl_staff_quota": (0, 900), "VII.one_stop_system_communes": (0, 0), "VII.iso_communes_announced": (0, 0),
    "VII.dvc_full_eligible": (15, 80), "VII.dvc_partial_eligible": (5, 60), "VII.fee_tthc": (10, 70),
    "VII.bcci_commune_tthc": (10, 60), "VII.edocs_commune_out": (600, 3_000)})

#: Figures that are levels of a unit, not flows of a period: the same in every period of a year.
STOCKS = ("I.plan_tasks", "IV.civil_quota", "IV.sncl_staff_quota", "IV.autonomous_staff_approved",
          "IV.leaders_offices", "IV.leaders_commune", "VII.it_staff", "VII.email_accounts",
          "VII.certs_leaders_total", "VII.certs_commune_leaders", "VI.admin_autonomy_units", "VI.sncl_autonomy",
          "VI.sncl_autonomy_full_invest", "VI.sncl_autonomy_full_recurrent", "VI.sncl_autonomy_partial",
          "VI.sncl_state_funded", "V.training_planned", "V.rotation_target", "VII.other_apps")
#: Shares of the year's streamlining plan done: cumulative through the year.
STREAMLINED_PCT = ("IV.civil_streamlined_pct", "IV.sncl_staff_streamlined_pct")
#: Flows that scale with the months a period spans (a quarter is the unit).
FLOWS = ("I.directive_docs", "III.dossiers_commune_received", "VII.edocs_commune_out", "VII.dvc_tp_dossiers_total",
         "I.communication_news_province", "I.communication_news_own", "I.communication_media",
         "II.legal_education_docs", "I.survey_forms", "VII.bcci_commune_dossiers_received")


@dataclass(frozen=True)
class DemoUnit:
    """A unit of the demo: official ``code`` ("" for a department), official ``name``, ``level``
    (``commune`` or ``department``), its ``slug`` (the loader's), the ``flaws`` planted in its reports
    and whether it is a successor of :data:`LEGACY_WITH_APPENDIX`."""

    code: str
    name: str
    level: str
    slug: str
    flaws: tuple[str, ...] = ()
    successor: bool = False

    @property
    def title_name(self) -> str:
        """As a title names it: ``phường Vĩnh Châu``, ``xã Vĩnh Hải``, ``Sở Nội vụ``."""
        if self.level == "department":
            return self.name
        return self.name[:1].lower() + self.name[1:]

    @property
    def key(self) -> str:
        return self.code or self.slug


def parse_periods(text: str, year: int | None = None) -> list[tuple[int, str]]:
    """``Q1,Q2`` (with ``year``) or ``2025-Q4,2026-Q1`` -> ``[(2025, "Q4"), (2026, "Q1")]``, in calendar order."""
    known = {p.lower(): p for p in PERIODS}
    out: list[tuple[int, str]] = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        m = re.fullmatch(r"(?:(\d{4})\s*[-/ ]\s*)?(.+)", item)
        y = int(m.group(1)) if m and m.group(1) else year
        period = known.get((m.group(2) if m else item).strip().lower())
        if period is None:
            raise CchcError(f"unknown period {item!r}: write Q1..Q4 (with --year), or 2025-Q4")
        if y is None:
            raise CchcError(f"period {item!r} has no year: give --year 2026, or write 2026-{period}")
        out.append((y, period))
    if not out:
        raise CchcError("no period given: e.g. --periods Q1,Q2 --year 2026, or --periods 2025-Q4,2026-Q1")
    from cchc_tools.periods import period_order

    return sorted(set(out), key=lambda yp: (yp[0], period_order(yp[1])))


def sample_units(province: str, units: int = 8, departments: int = 2, seed: int = 2026,
                 department_names: tuple[str, ...] = ()) -> list[DemoUnit]:
    """The demo's units: ``units`` current communes and wards of ``province`` (some successors of
    :data:`LEGACY_WITH_APPENDIX` when the province holds them, the rest drawn with ``seed``), sorted by
    code, then ``departments`` departments (``department_names``, else :data:`DEFAULT_DEPARTMENTS`), with the
    flaws of the module's docstring handed out."""
    from cchc_tools.cycle.roster import roster

    communes = [u for u in roster(province, 2026, "Q1") if u.level == "commune"]
    if units > len(communes):
        raise CchcError(f"{province} has {len(communes)} communes and wards; --units {units} is too many")
    if units < 0 or departments < 0:
        raise CchcError("--units and --departments count units: 0 or more")
    names = [clean(d) for d in (department_names or DEFAULT_DEPARTMENTS) if clean(d)]
    if departments > len(names):
        raise CchcError(f"{departments} departments asked, {len(names)} known: list them in the project's "
                        "cchc.toml ([reporting] departments)")
    by_code = {u.code: u for u in communes}
    legacy_successors = [c for c, _ in successors(LEGACY_WITH_APPENDIX) if c in by_code]
    k = min(len(legacy_successors), units, 1 if units < 4 else 2 if units < 8 else 3)
    chosen = set(legacy_successors[:k])
    rest = [u.code for u in communes if u.code not in chosen]
    chosen |= set(random.Random(f"{seed}-sample-{province}").sample(rest, units - k))
    order = sorted(c for c in chosen if c not in legacy_successors[:k]) + legacy_successors[:k]
    flaws: dict[str, list[str]] = {c: [] for c in order}
    for i, flaw in enumerate(COMMUNE_FLAWS if order else ()):
        flaws[order[i % len(order)]].append(flaw)
    out = [DemoUnit(c, by_code[c].name, "commune", unit_slug(by_code[c].name), tuple(flaws[c]),
                    c in legacy_successors) for c in sorted(chosen)]
    for i, name in enumerate(names[:departments]):
        out.append(DemoUnit("", name, "department", unit_slug(name), (FEEDBACK_OVER_RECEIVED,) if i == 0 else ()))
    return out


def _abbreviation(unit: DemoUnit) -> str:
    """The issuer's part of a document number: ``UBND`` for a commune, ``SNV`` for Sở Nội vụ."""
    if unit.level != "department":
        return "UBND"
    words = [w for w in clean(unit.name).split() if w.lower() not in ("và", "các")]
    return "".join(w[0].upper() for w in words)


def _scaled(profile: Profile, months: int) -> Profile:
    if months == 3:
        return profile
    f = months / 3
    big = dict(profile.big)
    catalog = by_code()
    for code in FLOWS:
        lo, hi = big.get(code) or profile.ranges.get(catalog[code].uom, (0, 50))
        big[code] = (round(lo * f), round(hi * f))
    return replace(profile, big=big)


def _form(year: int, level: str) -> tuple[Form, list[str]]:
    form = pick_form(year, level)
    codes = [r.code for r in form_rows_for_level(form, level) if not r.is_heading]
    return form, codes


def report_values(unit: DemoUnit, year: int, period: str, seed: int, province: str = ""
                  ) -> tuple[dict[str, float | None], dict[str, str]]:
    """The values and notes of ``unit``'s report of ``year`` and ``period``, its flaws planted."""
    profile = COMMUNE if unit.level == "commune" else DEPARTMENT
    _, codes = _form(year, unit.level)
    p = PERIODS[period]
    quality = 0.95 + 0.045 * random.Random(f"{seed}-{unit.key}").random()
    yearly = random.Random(f"{seed}-{unit.key}-{year}")
    stocks = generate_values(yearly, quality, profile, codes)
    offset = yearly.uniform(-0.06, 0.06)
    given = {c: stocks[c] for c in STOCKS if c in stocks}
    if unit.level == "commune":  # the province's lists: one draw per period for every commune and ward
        lists = generate_values(random.Random(f"{seed}-{province}-{year}-{period}"), 0.97, profile, codes)
        given |= {c: lists[c] for c in PROVINCE_LISTS if c in lists}
    rng = random.Random(f"{seed}-{unit.key}-{year}-{period}")
    v = generate_values(rng, quality, _scaled(profile, p.months), codes, given)
    notes: dict[str, str] = {}
    planned = v.get("I.plan_tasks")
    if planned:  # the annual plan, completed step by step through the year (lũy kế)
        done = min(planned, round(planned * min(1.0, max(0.0, p.end_month / 12 * 0.95 + offset))))
        if PAST_COMMITMENT in unit.flaws:
            done = min(done, planned - 5)
        v["I.plan_tasks_done"] = float(done)
        plan_day = dt.date(year, 7, 10 + yearly.randint(0, 15)) if year == 2025 else \
            dt.date(year, 1, 5 + yearly.randint(0, 15))
        notes["I.plan_tasks"] = (f"Kế hoạch số {yearly.randint(2, 40):02d}/KH-{_abbreviation(unit)} "
                                 f"ngày {plan_day:%d/%m/%Y}")
        shown = int(done)
        if NOTE_CONTRADICTS_COUNTS in unit.flaws:
            shown = shown + 2 if shown + 2 <= planned else shown - 2
        note = f"Đã hoàn thành {shown}/{int(planned)} nhiệm vụ"
        if PAST_COMMITMENT in unit.flaws:
            before = _previous_end(year, period)
            note += (f", còn {int(planned) - shown:02d} nhiệm vụ sẽ hoàn thành từ nay đến ngày "
                     f"{before.day:02d}/{before.month:02d}/{before.year}")
        notes["I.plan_completion_pct"] = note
    for code in STREAMLINED_PCT:  # the year's streamlining plan, done step by step through the year
        if v.get(code) is not None:
            v[code] = round(rng.uniform(0.6, 1.0) * p.end_month / 12 * 100, 2)
    resolved = v.get("III.dossiers_commune_resolved")
    if ON_TIME_OVER_RESOLVED in unit.flaws and resolved is not None:
        v["III.dossiers_commune_on_time"] = resolved + rng.randint(3, 15)
    elif resolved and v.get("III.dossiers_commune_on_time") is not None:  # the unit's own rate, truncated
        rate = math.floor(v["III.dossiers_commune_on_time"] / resolved * 10_000) / 100
        notes["III.dossiers_commune_on_time"] = f"Đạt tỷ lệ {fmt_number(rate, 2)}%"
    if TASKS_OVER_ASSIGNED in unit.flaws and v.get("I.province_tasks_total") is not None:
        total, on_time = v["I.province_tasks_total"] or 0, v.get("I.province_tasks_on_time") or 0
        v["I.province_tasks_late"] = total - on_time + rng.randint(1, 3)
    if LOW_EDOCS in unit.flaws and "VII.edocs_commune_out" in v:
        out = 1_000.0 * p.months / 3
        v["VII.edocs_commune_out"] = out
        v["VII.edocs_commune_electronic"] = out * 0.003
        v["VII.edocs_commune_parallel"] = float(rng.randint(int(out * 0.85), int(out - out * 0.003)))
    if FEEDBACK_OVER_RECEIVED in unit.flaws and "III.feedback_received" in v:
        received = max(2.0, v.get("III.feedback_received") or 0)
        v["III.feedback_received"] = received
        v["III.feedback_resolved"] = received + rng.randint(1, 3)
    rate_rules(v)
    return v, notes


def _previous_end(year: int, period: str) -> dt.date:
    """The last day of the quarter before the period's end: 31/12/2025 for Q1 2026."""
    end = period_end(period, year)
    y, m = (end.year, end.month - 3) if end.month > 3 else (end.year - 1, end.month + 9)
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def full_name(unit: DemoUnit, province: str) -> str:
    """How a report names its unit: ``phường Vĩnh Châu, thành phố Cần Thơ``; ``Sở Nội vụ``."""
    if unit.level == "department":
        return unit.title_name
    where = official_province_name(province)
    return f"{unit.title_name}, {where[:1].lower() + where[1:]}" if where else unit.title_name


def title_lines(unit: DemoUnit, year: int, period: str, province: str, rng: random.Random) -> list[str]:
    """The title of a report: period, synthetic mark, report number and date (a few days after the period's
    end), the issuing body (and, for a commune or ward, its province)."""
    from cchc_tools.vocabulary import SYNTHETIC_BANNER

    day = period_end(period, year) + dt.timedelta(days=rng.randint(3, 12))
    who = full_name(unit, province) if unit.level == "department" else f"Ủy ban nhân dân {full_name(unit, province)}"
    return ["PHỤ LỤC",
            f"THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH {period_phrase(period, year).upper()}",
            SYNTHETIC_BANNER,
            f"(Kèm theo Báo cáo số {rng.randint(10, 180)}/BC-{_abbreviation(unit)} ngày {day.day:02d} tháng "
            f"{day.month} năm {day.year}",
            f"của {who})"]


def generate_province(out: str | Path, province: str = "Cần Thơ", periods: list[tuple[int, str]] | None = None,
                      units: int = 8, departments: int = 2, seed: int = 2026, formats: tuple[str, ...] = ("txt",),
                      department_names: tuple[str, ...] = ()) -> list[Path]:
    """Write ``out/<year>/<unit>/phu-luc-cchc-<year>-<period>-<unit>.<ext>`` for every unit and period."""
    out = check_out(out)
    periods = periods or [(2026, "Q1"), (2026, "Q2")]
    if not official_province_name(province):
        raise CchcError(f"no official province named {province!r}")
    for year, period in periods:
        if era_is_legacy(year, period, period_end(period, year).isoformat()):
            raise CchcError(f"{period_phrase(period, year)} is before the reform of 1/7/2025: the province demo "
                            "has current communes and wards only (the 2022 district demo: --years)")
    unknown = set(formats) - {"txt", "xlsx"}
    if unknown:
        raise CchcError(f"unknown format {', '.join(sorted(unknown))}: txt, xlsx")
    written: list[Path] = []
    for unit in sample_units(province, units, departments, seed, department_names):
        for year, period in periods:
            values, notes = report_values(unit, year, period, seed, province)
            title = title_lines(unit, year, period, province, random.Random(f"{seed}-{unit.key}-{year}-{period}-t"))
            folder = out / str(year) / unit.slug
            folder.mkdir(parents=True, exist_ok=True)
            stem = f"phu-luc-cchc-{year}{file_suffix(period)}-{unit.slug}"
            form, _ = _form(year, unit.level)
            rows = form_rows_for_level(form, unit.level)
            if "txt" in formats:
                path = folder / f"{stem}.txt"
                path.write_text(appendix_text(unit.title_name, year, values, notes, title=title, rows=rows),
                                encoding="utf-8")
                written.append(path)
            if "xlsx" in formats:
                written.append(_workbook(folder / f"{stem}.xlsx", unit, year, values, notes, title, form,
                                         full_name(unit, province)))
    return written


def _workbook(path: Path, unit: DemoUnit, year: int, values: dict, notes: dict, title: list[str],
              form: Form, name: str) -> Path:
    """The Excel fill-in template of the form, filled, with the report's own title lines."""
    from openpyxl import load_workbook

    from cchc_tools.ingest.template import write_workbook

    write_workbook(path, year=year, level=unit.level, unit_name=name, values=values, notes=notes, synthetic=True,
                   form=form)
    wb = load_workbook(path)
    ws = wb.active
    ws.cell(2, 1).value = title[1]
    ws.cell(3, 1).value = f"{title[3]} {title[4]}"
    wb.save(path)
    return path
