"""The demo data: the 2026 province demo (real communes, wards and departments, quarterly, planted findings)
read back as the loader and the checks see it, and the 2022 district demo as it always was."""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
import pytest

from cchc_tools import demo2026
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.indicators import indicators
from cchc_tools.cli import main
from cchc_tools.errors import CchcError
from cchc_tools.forms import form_rows_for_level, get_form
from cchc_tools.ingest.loader import load_appendices
from cchc_tools.periods import PERIODS, period_end
from cchc_tools.project import load_project
from cchc_tools.units import resolve_unit, successors
from tests.demo2026 import make_project

PERIODS_DONE_WHEN = ("2025-Q4", "2026-Q1")
#: SHA-256 of minh-hoa-03's 2022 appendix as the district demo wrote it before the 2026 demo was added, but for
#: one line: the e-document row's label as the 2022 form now prints it, without the seed's clause typed twice.
PINNED_2022 = "5b0447b8ce526c83851eb2e26480e220fedfa82e26fe9fcb7f374117c1c871f7"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("demo2026"), periods=PERIODS_DONE_WHEN)


@pytest.fixture(scope="module")
def loaded(project):
    proj = load_project(project.root, env={})
    result = load_appendices([proj.data], province=proj.province, root=proj.root)
    assert not result.errors and all(p.endswith("README.md") for p in result.skipped)
    findings = validate(result.table, rules=proj.rules, province=proj.province)
    return proj, result.table, findings


def _reports(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop_duplicates("source").set_index("source")


def test_files_are_read_with_official_codes_names_level_form_and_period(project, loaded):
    _, table, _ = loaded
    reps = _reports(table)
    assert len(reps) == len(project.units) * len(project.periods)
    assert set(zip(reps["year"], reps["period"], strict=True)) == set(project.periods)
    assert reps["synthetic"].all()
    for unit in project.units:
        mine = reps[reps["unit"] == unit.slug]
        assert len(mine) == len(project.periods), unit
        assert set(mine["level"]) == {unit.level}
        assert set(mine["form"]) == {f"{unit.level}-2025"} and (mine["form_score"] == 100).all()
        assert set(mine["unit_code"]) == {unit.code}
        if unit.level == "commune":  # the official unit, as the package names it
            assert set(mine["province"]) == {"Thành phố Cần Thơ"}
            for name, year, period in zip(mine["unit_name"], mine["year"], mine["period"], strict=True):
                official = resolve_unit(name, int(year), "Cần Thơ", period=period)
                assert (official.code, official.name, official.legacy) == (unit.code, unit.name, False)
        else:
            assert set(mine["unit_name"]) == {unit.name}
        for year, period, day, number in zip(mine["year"], mine["period"], mine["report_date"], mine["report_no"],
                                             strict=True):
            end = period_end(period, int(year))  # dated after the period's end, before the 15th of next month
            assert end < date.fromisoformat(day) <= end.replace(day=28) + pd.Timedelta(days=18)
            assert number.endswith("/BC-UBND" if unit.level == "commune" else "/BC-" + "".join(
                w[0] for w in unit.name.split() if w != "và").upper())


def test_sample_holds_successors_of_vinh_chau_and_the_roster_departments(project):
    communes = [u for u in project.units if u.level == "commune"]
    legacy = {c for c, _ in successors(demo2026.LEGACY_WITH_APPENDIX)}
    assert {u.code for u in communes if u.successor} == {"31783", "31789"} <= legacy
    assert [u.code for u in communes] == sorted(u.code for u in communes)
    assert [u.name for u in project.units if u.level == "department"] == list(
        load_project(project.root, env={}).reporting.departments)


def _expected(project) -> set[tuple[str, int, str, str]]:
    return {(u.slug, y, p, demo2026.PLANTED[f]) for u in project.units for f in u.flaws if demo2026.PLANTED[f]
            for y, p in project.periods}


def test_the_planted_findings_appear_and_no_other_of_warning_or_error_level(project, loaded):
    _, _, findings = loaded
    serious = findings[findings["severity"].isin(["error", "warning"])]
    got = set(zip(serious["unit"], serious["year"].astype(int), serious["period"], serious["rule"], strict=True))
    assert got == _expected(project)
    errors = findings[findings["severity"] == "error"]
    assert errors["unit"].nunique() == 3  # (a) two communes or wards, (e) one department
    assert set(errors["unit"]) == {
        project.unit(f).slug for f in (demo2026.ON_TIME_OVER_RESOLVED, demo2026.TASKS_OVER_ASSIGNED,
                                       demo2026.FEEDBACK_OVER_RECEIVED)}


def test_planted_low_edocs_and_past_commitment(project, loaded):
    _, table, _ = loaded
    ind = indicators(table)
    low = project.unit(demo2026.LOW_EDOCS)
    share = ind[(ind["unit"] == low.slug) & (ind["indicator"] == "edocs_commune_electronic")]
    assert len(share) == len(project.periods) and (share["value"].round(6) == 0.3).all()
    others = ind[(ind["unit"] != low.slug) & (ind["indicator"] == "edocs_commune_electronic")]
    assert (others["value"] >= 80).all()
    late = project.unit(demo2026.PAST_COMMITMENT)
    notes = table[(table["unit"] == late.slug) & (table["code"] == "I.plan_completion_pct")]
    for note, year, period in zip(notes["note"], notes["year"], notes["period"], strict=True):
        d, m, y = (int(x) for x in note.rsplit("ngày ", 1)[1].split("/"))
        assert "sẽ hoàn thành từ nay đến ngày" in note and date(y, m, d) < period_end(period, int(year))
    q1 = notes[(notes["year"] == 2026) & (notes["period"] == "Q1")]["note"].iloc[0]
    assert q1.endswith("sẽ hoàn thành từ nay đến ngày 31/12/2025")
    done = table[(table["code"] == "I.plan_tasks_done")].set_index(["unit", "year", "period"])["value"]
    planned = table[(table["code"] == "I.plan_tasks")].set_index(["unit", "year", "period"])["value"]
    contradicted = project.unit(demo2026.NOTE_CONTRADICTS_COUNTS)
    for (unit, year, period), note in table[table["code"] == "I.plan_completion_pct"].set_index(
            ["unit", "year", "period"])["note"].items():
        shown = note.split("Đã hoàn thành ", 1)[1].split(" ", 1)[0]
        agrees = shown == f"{int(done[unit, year, period])}/{int(planned[unit, year, period])}"
        assert agrees != (unit == contradicted.slug), (unit, note)


def test_values_are_those_of_a_commune_in_a_quarter_and_only_rows_of_the_form(project, loaded):
    _, table, _ = loaded
    v = table.drop_duplicates(["source", "code"]).pivot(index="source", columns="code", values="value")
    reps = _reports(table)
    communes = reps.index[reps["level"] == "commune"]
    for source, level in reps["level"].items():
        form = get_form(f"{level}-2025")
        wanted = {r.code for r in form_rows_for_level(form, level) if not r.is_heading}
        assert set(table.loc[table["source"] == source, "code"]) == wanted
    received = v.loc[communes, "III.dossiers_commune_received"]
    assert received.between(100, 5_000).all()
    assert (v.loc[communes, "IV.civil_quota"].between(30, 80)).all()
    assert (v.loc[communes, "VII.edocs_commune_out"].between(100, 3_000)).all()
    clean = [s for s in communes if reps.loc[s, "unit"] != project.unit(demo2026.ON_TIME_OVER_RESOLVED).slug]
    rate = v.loc[clean, "III.dossiers_commune_on_time"] / v.loc[clean, "III.dossiers_commune_resolved"]
    assert rate.between(0.9, 1).all()
    # a level of the unit is the same in every quarter of a year; the plan is done step by step
    key = reps[["unit", "year", "period"]]
    quota = v["IV.civil_quota"].groupby([key["unit"], key["year"]]).nunique()
    assert (quota == 1).all()
    # the province's lists are one list: the same for every commune and ward of a period
    lists = v.loc[communes, ["III.tthc_in_force", "VII.dvc_full_eligible", "VII.fee_tthc"]]
    assert (lists.groupby([key.loc[communes, "year"], key.loc[communes, "period"]]).nunique() == 1).all().all()
    q4 = (v["I.plan_tasks_done"] / v["I.plan_tasks"])[reps["period"] == "Q4"]
    q1 = (v["I.plan_tasks_done"] / v["I.plan_tasks"])[reps["period"] == "Q1"]
    assert q4.min() > q1.max()  # a year's plan nearly done in Q4, a quarter of the next year's in Q1


def test_same_seed_same_files_another_seed_other_files(tmp_path):
    def write(folder, seed):
        demo2026.generate_province(tmp_path / folder, "Cần Thơ", [(2026, "Q1")], units=3, departments=1, seed=seed)
        return {p.relative_to(tmp_path / folder): p.read_bytes() for p in sorted((tmp_path / folder).rglob("*.txt"))}

    a, b, c = write("a", 7), write("b", 7), write("c", 8)
    assert a == b and len(a) == 4
    assert a != c


def test_periods_with_years_and_errors():
    assert demo2026.parse_periods("2026-Q1,2025-Q4") == [(2025, "Q4"), (2026, "Q1")]
    assert demo2026.parse_periods("Q2,q1", 2026) == [(2026, "Q1"), (2026, "Q2")]
    with pytest.raises(CchcError, match="no year"):
        demo2026.parse_periods("Q1", None)
    with pytest.raises(CchcError, match="unknown period"):
        demo2026.parse_periods("Q5", 2026)
    with pytest.raises(CchcError, match="before the reform"):
        demo2026.generate_province("/tmp/never-written", periods=[(2025, "Q1")])
    assert main(["demo-data", "--province", "Cần Thơ", "--periods", "Q9", "--out", "/tmp/never-written"]) == 2


def test_a_longer_period_has_the_flows_of_its_months_and_its_title_says_so(tmp_path):
    demo2026.generate_province(tmp_path, "Cần Thơ", [(2026, "Q2"), (2026, "6-month")], units=4, departments=0)
    table = load_appendices([tmp_path], province="Cần Thơ").table
    assert set(table["period"]) == {"Q2", "6-month"} and PERIODS["6-month"].months == 6
    low = demo2026.sample_units("Cần Thơ", 4, 0)[[u.flaws for u in demo2026.sample_units("Cần Thơ", 4, 0)].index(
        (demo2026.LOW_EDOCS,))]
    out = table[(table["code"] == "VII.edocs_commune_out") & (table["unit"] == low.slug)].set_index("period")
    assert out["value"].to_dict() == {"Q2": 1_000, "6-month": 2_000}  # 0,30% of a quarter's 1.000, or of two


def test_the_2022_district_demo_is_unchanged(tmp_path):
    assert main(["demo-data", "--units", "3", "--years", "2021,2022,2023", "--out", str(tmp_path)]) == 0
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.txt"))
    assert files == [f"{y}/minh-hoa-0{i}/phu-luc-cchc-{y}-minh-hoa-0{i}.txt" for y in (2021, 2022, 2023)
                     for i in (1, 2, 3)]
    # the bytes the generator wrote before the 2026 demo was added (seed 2022)
    text = (tmp_path / "2022/minh-hoa-03/phu-luc-cchc-2022-minh-hoa-03.txt").read_bytes()
    assert hashlib.sha256(text).hexdigest() == PINNED_2022
    table = load_appendices([tmp_path], province="Cần Thơ").table
    reps = _reports(table)
    assert (reps["unit_code"] == "").all() and (reps["period"] == "annual").all()
    assert set(reps["form"]) == {"district-2022", "district-2023"}
    findings = validate(table, province="Cần Thơ")
    errors = findings[findings["severity"] == "error"]
    assert set(errors["unit"]) == {"minh-hoa-03"} and "unit_unresolved" not in set(findings["rule"])
