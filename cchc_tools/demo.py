"""Synthetic appendices: for demos, tests and benchmarks only.

The 2022 district demo (:func:`generate`): annual appendices of fictional districts. Files are
real appendix files (the same text layout as the bundled one, and Excel), with plausible,
internally consistent values: every rule in ``rules.yaml`` holds. Everything made here says it
is synthetic: the unit names are fictional ("Minh Họa"), the title carries "DỮ LIỆU MẪU", and
briefings made from them show a banner. It never writes under ``data/raw``.

The values come from :func:`generate_values` with a :class:`Profile` (how big a unit's figures
are: :data:`DISTRICT` here); the 2026 province demo (:mod:`cchc_tools.demo2026`: real communes,
wards and departments, quarterly, on the 2025 forms) uses the same machinery with its own
profiles and only the codes of its forms.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cchc_tools.analysis.checks import shipped_rules
from cchc_tools.catalog import Entry, by_code, entries
from cchc_tools.errors import CchcError
from cchc_tools.forms import FormRow
from cchc_tools.numbers import fmt_number
from cchc_tools.paths import raw_dir
from cchc_tools.units import FICTIONAL_NAME
from cchc_tools.vocabulary import SYNTHETIC_BANNER

UNIT_TYPES = ["huyện", "thị xã", "thành phố", "huyện", "huyện"]

# Typical size of a count by its unit of measure (district level).
_RANGE = {"Hồ sơ": (2_000, 60_000), "Văn bản": (0, 30), "Người": (2, 400), "Thủ tục": (5, 300),
          "TTHC": (5, 300), "Cơ quan, đơn vị": (1, 40), "Vấn đề": (0, 40), "Nhiệm vụ": (5, 40),
          "Ý kiến": (0, 30), "Tin, bài": (5, 120), "Đơn vị": (5, 20), "Số lượng": (50, 900),
          "Số lượng phần mềm": (1, 6)}
_BIG = {"III.dossiers_commune_received": (20_000, 150_000), "IV.sncl_staff_quota": (800, 3_000),
        "VII.edocs_commune_out": (5_000, 50_000), "VII.email_accounts": (300, 3_000),
        "IV.leaders_subunits": (30, 150), "IV.civil_quota": (60, 140), "VII.dvc_dossiers_total": (500, 20_000),
        "VII.dvc_tp_dossiers_total": (500, 20_000),
        "VII.edocs_district_out": (2_000, 15_000), "I.directive_docs": (10, 120)}
# Events that are rare in real reports (unlawful documents, units cut, staff disciplined):
# a handful at most, whatever room the rules leave.
RARE = ("unlawful", "_cut", "discipline", "recommended", "feedback", "issues_found", "appointed", "special",
        "transfer", "streamlined")
# One fictional unit carries deliberate inconsistencies, so that the data-quality parts of the
# demo briefings have something to show: on-time dossiers above those resolved, and a note
# whose percentage disagrees with the counts beside it.
FLAWED_UNIT = 3


def unit_names(n: int) -> list[tuple[str, str]]:
    """(slug, name) of n fictional units: ``huyện Minh Họa 01`` -> ``minh-hoa-01``."""
    width = max(2, len(str(n)))
    return [(f"minh-hoa-{i:0{width}d}", f"{UNIT_TYPES[(i - 1) % len(UNIT_TYPES)]} {FICTIONAL_NAME} {i:0{width}d}")
            for i in range(1, n + 1)]


# Pairs that no rule declares (a part may exceed them in real life) but that keep demo figures
# plausible: an audit count within the communes that apply ISO, rotations within the target...
DEMO_PAIRS = [("VII.iso_communes_internal_audit", "VII.iso_communes_announced"),
              ("VII.iso_communes_management_review", "VII.iso_communes_announced"),
              ("V.rotation_done", "V.rotation_target"), ("V.training_done", "V.training_planned")]
# Shares that are low in real reports (online dossiers were 0,50% in Vĩnh Châu in 2022).
LOW_SHARE = {"VII.dvc_dossiers_online": (0.005, 0.3), "VII.dvc_tp_dossiers_online": (0.05, 0.5)}


@dataclass(frozen=True)
class Profile:
    """How big the figures of one kind of unit are: count ranges by unit of measure and by code, the shares
    some parts take of their whole, and pairs that keep figures plausible (see :data:`DISTRICT`)."""

    ranges: Mapping[str, tuple[int, int]]  # a count's range by its unit of measure
    big: Mapping[str, tuple[int, int]]  # a count's range by its code (before ``ranges``)
    low_share: Mapping[str, tuple[float, float]]  # a part's share of the room its whole leaves
    pairs: tuple[tuple[str, str], ...] = ()  # (part, whole) kept in order, beside the rules
    shares: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # like low_share, any part
    rare: tuple[int, int] = (0, 4)  # the range of a rare event (codes with a word of RARE)
    reported: frozenset[str] = frozenset()  # counts never left blank (besides the required and constrained)


#: The 2022 district demo: a year of a district (huyện, thị xã).
DISTRICT = Profile(_RANGE, _BIG, LOW_SHARE, tuple(DEMO_PAIRS))


def _constraints(pairs: tuple[tuple[str, str], ...] = tuple(DEMO_PAIRS)
                 ) -> tuple[dict[str, list[tuple[list[str], list[str]]]], dict[str, tuple[str, list[str]]]]:
    """part_le_whole constraints by part code (rules and demo pairs), and sum_equals by part code."""
    le: dict[str, list[tuple[list[str], list[str]]]] = {}
    for p, w in pairs:
        le.setdefault(p, []).append(([p], [w]))
    sums: dict[str, tuple[str, list[str]]] = {}
    for r in (x.as_dict() for x in shipped_rules()):
        if r["family"] == "part_le_whole":
            for p in r["part"]:
                le.setdefault(p, []).append((list(r["part"]), list(r["whole"])))
        elif r["family"] == "sum_equals":
            for p in r["parts"]:
                sums[p] = (r["total"], list(r["parts"]))
    return le, sums


def generate_values(rng: random.Random, quality: float, profile: Profile = DISTRICT,
                    codes: Collection[str] | None = None,
                    given: Mapping[str, float | None] | None = None) -> dict[str, float | None]:
    """Values for every catalog entry (or only ``codes``, the rows of a form) that satisfy the declared
    rules; some rows left blank. ``given`` values are kept as they are (and constrain the others)."""
    le, sums = _constraints(profile.pairs)
    required = {e.code for e in entries() if e.required}
    constrained = set(le) | set(sums) | {t for t, _ in sums.values()}
    v: dict[str, float | None] = {}
    order = [e for e in entries() if codes is None or e.code in codes]
    for e in order:
        if given and e.code in given:
            v[e.code] = given[e.code]
        elif e.kind == "count":
            v[e.code] = _count(e, v, rng, quality, le, sums, profile)
            if (e.code not in required and e.code not in constrained and e.code not in profile.reported
                    and rng.random() < 0.04):
                v[e.code] = None  # not reported
        elif e.kind == "flag":
            v[e.code] = 1.0 if rng.random() < 0.9 else 0.0
        elif e.kind == "category":
            v[e.code] = float(rng.choice(list(e.allowed_codes())))
        elif e.kind == "percent":
            v[e.code] = round(rng.uniform(quality * 100, 100), 2)
        else:
            v[e.code] = None
    rate_rules(v)
    return v


def rate_rules(v: dict[str, float | None]) -> None:
    """Set every percentage a rule computes from counts (``rate_matches``) to the ratio of its counts."""
    for r in (x.as_dict() for x in shipped_rules()):
        if r["family"] == "rate_matches" and r["rate"] in v:
            n = sum(v.get(c) or 0 for c in r["num"])
            d = sum(v.get(c) or 0 for c in r["den"])
            v[r["rate"]] = round(n / d * 100, 2) if d else None


def _count(e: Entry, v: dict, rng: random.Random, quality: float, le: dict, sums: dict,
           profile: Profile = DISTRICT) -> float:
    if e.code in sums:
        total, parts = sums[e.code]
        t = v.get(total)
        if t is not None:
            used = sum(v.get(p) or 0 for p in parts if p in v)
            remaining = max(0.0, t - used)
            if parts[-1] == e.code:
                return remaining
            return float(rng.randint(0, int(remaining)))
    rare = any(word in e.code for word in RARE)
    lo, hi = profile.rare if rare else (profile.big.get(e.code) or profile.ranges.get(e.uom, (0, 50)))
    upper = None
    for part, whole in le.get(e.code, []):
        if all(v.get(w) is not None for w in whole):
            room = sum(v[w] for w in whole) - sum(v.get(p) or 0 for p in part if p != e.code and p in v)
            upper = room if upper is None else min(upper, room)
    if upper is not None:
        upper = max(0, int(upper))
        if rare:
            return float(rng.randint(0, min(upper, hi)))
        share = profile.low_share.get(e.code) or profile.shares.get(e.code)
        if share:
            a, b = share
            return float(rng.randint(int(upper * a), int(upper * b)))
        # An exclusive part that is not the last of its group leaves room for the parts after it.
        leaves_room = any(len(part) > 1 and part[-1] != e.code for part, _ in le[e.code])
        a, b = (0.5, 0.8) if leaves_room else (quality, 1.0)
        return float(rng.randint(int(upper * a), int(upper * b)))
    return float(rng.randint(lo, hi))


def _cell(e: Entry, value: float | None) -> str:
    if value is None:
        return ""
    return fmt_number(value, 2 if e.kind == "percent" and not float(value).is_integer() else None)


def appendix_text(unit_name: str, year: int, values: dict[str, float | None],
                  notes: dict[str, str] | None = None, *, title: list[str] | None = None,
                  rows: Iterable[FormRow] | None = None) -> str:
    """A synthetic appendix in the text layout of the bundled one (tab-separated, five columns): the
    ``title`` lines (default: the annual report of a district), then ``rows`` (default: the district
    form of the year), in the form's own terms."""
    from cchc_tools.forms import pick_form

    if title is None:
        title = ["PHỤ LỤC", f"THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM {year}",
                 SYNTHETIC_BANNER,
                 f"(Kèm theo Báo cáo số 99/BC-UBND ngày 15 tháng 12 năm {year}",
                 f"của Ủy ban nhân dân {unit_name})"]
    lines = [*title, "", "THỨ TỰ\tTÊN CHỈ TIÊU\tĐƠN VỊ TÍNH\tSố lượng/ tỷ lệ\tGhi chú"]
    codes = by_code()
    for fr in (pick_form(year, "district").rows if rows is None else rows):  # the form, in its own terms
        if fr.is_heading:
            lines.append(f"{fr.stt}\t{fr.label}\t\t\t")
            continue
        e = codes[fr.code]
        note = (notes or {}).get(e.code, "")
        lines.append(f"\t{fr.label}\t{e.uom}\t{_cell(e, values.get(e.code))}\t{note}")
    return "\n".join(lines) + "\n"


def check_out(out: str | Path) -> Path:
    """``out`` resolved, or an error when it is (or is under) the kit's ``data/raw``."""
    out = Path(out).resolve()
    raw = raw_dir().resolve()
    if out == raw or raw in out.parents:
        raise CchcError(f"{out}: synthetic data never goes under {raw}; use data/demo")
    return out


def generate(out: str | Path, units: int = 12, years: list[int] | None = None, seed: int = 2022,
             formats: tuple[str, ...] = ("txt",)) -> list[Path]:
    """Write ``out/<year>/<unit>/phu-luc-cchc-<year>-<unit>.<ext>`` for every unit and year."""
    out = check_out(out)
    years = years or [2021, 2022, 2023]
    written: list[Path] = []
    for k, (slug, name) in enumerate(unit_names(units)):
        base_quality = 0.86 + 0.1 * random.Random(seed + k).random()
        for j, year in enumerate(sorted(years)):
            rng = random.Random(f"{seed}-{slug}-{year}")
            values = generate_values(rng, min(0.995, base_quality + 0.015 * j))
            notes: dict[str, str] = {}
            if k + 1 == FLAWED_UNIT:
                values["III.dossiers_district_on_time"] = (values["III.dossiers_district_resolved"] or 0) + 12
                notes["VII.edocs_commune_electronic"] = "100%"
            folder = out / str(year) / slug
            folder.mkdir(parents=True, exist_ok=True)
            stem = f"phu-luc-cchc-{year}-{slug}"
            if "txt" in formats:
                p = folder / f"{stem}.txt"
                p.write_text(appendix_text(name, year, values, notes), encoding="utf-8")
                written.append(p)
            if "xlsx" in formats:
                from cchc_tools.ingest.template import write_workbook

                p = folder / f"{stem}.xlsx"
                write_workbook(p, year=year, unit_name=name, values=values, notes=notes, synthetic=True)
                written.append(p)
    return written
