"""Every page counts a unit once and only the project's own units (issue 30): a report from a ward of another province
and a report superseded by a later one of the same unit and period are marked once, in ``selection.reports``, and
left out of the comparison, its totals and ranks, the trends, the briefings and the batch plan.

The messy project is a Cần Thơ project of Q1 2026 plus a ward of Hà Nội (a copy of a commune's appendix) and a later
report of xã Trung Hưng (a figure changed); the clean project is the same without the ward and with only the later
report. What the pages say must be the same for both."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.demo2026 import copy_as, make_project

LATER = "phu-luc-cchc-2026-q1-trung-hung-bo-sung.txt"
WARD = "data/raw/2026/ba-dinh/phu-luc-cchc-2026-q1-ba-dinh.txt"


def _later_report(raw: Path) -> None:
    """Trung Hưng's later report (25/4 after 11/4, one figure changed), under a name sorting after the first."""
    first = next((raw / "trung-hung").glob("*.txt"))
    copy_as(first, raw / "trung-hung" / LATER, ("ngày 11 tháng 4 năm 2026", "ngày 25 tháng 4 năm 2026"),
             ("Số nhiệm vụ đề ra trong kế hoạch\tNhiệm vụ\t29", "Số nhiệm vụ đề ra trong kế hoạch\tNhiệm vụ\t31"))


def _project(tmp_path_factory, name: str, messy: bool):
    from cchc_tools.project import load_project

    proj = make_project(tmp_path_factory.mktemp(name), periods=("2026-Q1",), units=3, departments=1)
    raw = proj.data / "2026"
    earlier = next((raw / "trung-hung").glob("*.txt"))
    _later_report(raw)
    if messy:
        hoa_an = next((raw / "hoa-an").glob("*.txt"))
        copy_as(hoa_an, raw / "ba-dinh" / "phu-luc-cchc-2026-q1-ba-dinh.txt",
                 ("xã Hòa An, thành phố Cần Thơ", "phường Ba Đình, thành phố Hà Nội"))
    else:
        earlier.unlink()
    return load_project(proj.root, env={}), earlier.relative_to(proj.root).as_posix()


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    return _project(tmp_path_factory, "messy", True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _project(tmp_path_factory, "clean", False)[0]


def _text(document) -> str:
    from cchc_tools.render.html import document_html

    t = re.sub(r"<style.*?</style>|<img[^>]*>", "", document_html(document), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


def test_each_report_is_marked_once_kept_or_left_out_with_the_reason(messy):
    from cchc_tools.analysis.selection import LEFT_OUT_VI, kept_reports
    from cchc_tools.pipeline import computed

    project, earlier = messy
    reps = computed(project).reports.set_index("source")
    later = f"data/raw/2026/trung-hung/{LATER}"
    assert reps.loc[WARD, "left_out"] == "outside" and not reps.loc[WARD, "kept"]
    assert reps.loc[earlier, "left_out"] == "superseded" and reps.loc[earlier, "replaced_by"] == later
    assert reps.loc[later, "kept"] and reps.loc[later, "left_out"] == ""
    assert int(reps["kept"].sum()) == len(reps) - 2
    assert LEFT_OUT_VI["outside"] == "Ngoài địa bàn"
    kept = kept_reports(computed(project).reports)
    assert WARD not in set(kept["source"]) and earlier not in set(kept["source"])
    # the assessment, which ranks, holds the kept reports only
    assert set(computed(project).assessed["source"]) == set(kept["source"])


def test_without_a_province_only_superseded_reports_are_left_out(messy):
    from cchc_tools.analysis.selection import reports
    from cchc_tools.pipeline import computed

    project, earlier = messy
    reps = reports(computed(project).table).set_index("source")  # no province given: nobody is outside
    assert reps.loc[WARD, "kept"] and reps.loc[earlier, "left_out"] == "superseded"


def test_the_comparison_equals_the_one_without_the_ward_and_the_earlier_report(messy, clean):
    from cchc_tools.content.views import YearComparison

    a = YearComparison.load(2026, period="Q1", project=messy[0])
    b = YearComparison.load(2026, period="Q1", project=clean)
    assert len(a.reps) == len(b.reps) == len(set(b.reps["unit"]))
    assert sorted(a.reps["source"]) == sorted(b.reps["source"])
    pd.testing.assert_frame_equal(a.consolidated.totals.reset_index(drop=True),
                                  b.consolidated.totals.reset_index(drop=True))
    league = ["unit", "rank"]
    pd.testing.assert_frame_equal(a.league().reset_index()[league], b.league().reset_index()[league])
    # the computation's own totals (the digest's and the workbench's) too
    from cchc_tools.pipeline import computed

    pd.testing.assert_frame_equal(computed(messy[0]).totals.totals.reset_index(drop=True),
                                  computed(clean).totals.totals.reset_index(drop=True))
    page = _text(a.document())
    assert f"{len(b.reps)} đơn vị có phụ lục" in page
    assert "Ba Đình" not in page and "Hà Nội" not in page
    # the pages differ only by the warning that the unit sent two reports (``duplicate_report``), on its kept one
    dup = "; Trùng báo cáo của cùng đơn vị, cùng kỳ"
    assert dup in page
    other = _text(b.document())
    assert re.sub(r"(xã Trung Hưng.*?\d+% 1 )2 ", r"\g<1>1 ", page.replace(dup, ""), count=1).replace(
        "xã Trung Hưng 1 2 0", "xã Trung Hưng 1 1 0") == other


def test_a_ward_of_another_province_gets_no_briefing_no_trend_and_no_task(messy, tmp_path):
    from cchc_tools.batch.tasks import plan_all
    from cchc_tools.content.views import UnitBriefing, UnitTrend
    from cchc_tools.errors import UnknownUnitError

    project, _earlier = messy
    with pytest.raises(UnknownUnitError, match="Ngoài địa bàn"):
        UnitBriefing.load(2026, "ba-dinh", period="Q1", project=project)
    with pytest.raises(UnknownUnitError):
        UnitTrend.load("ba-dinh", project=project)
    plan = plan_all(project, project.data, tmp_path)
    assert not any("ba-dinh" in str(t.out_dir) or "ba-dinh" in t.stem or "Ba Đình" in t.title for t in plan.tasks)
    units = [t.parameters["unit"] for t in plan.tasks if t.kind == "unit"]
    assert units.count("trung-hung") == 1 and not plan.unbriefable


def test_the_briefing_and_trend_of_a_unit_that_sent_twice_use_its_later_report(messy, clean):
    from cchc_tools.content.views import UnitBriefing, UnitTrend

    b = UnitBriefing.load(2026, "trung-hung", period="Q1", project=messy[0])
    assert b.report["source"].endswith(LATER)
    same = UnitBriefing.load(2026, "trung-hung", period="Q1", project=clean)
    assert list(b.peers.sort_values(["source", "indicator"])["rank"]) == \
        list(same.peers.sort_values(["source", "indicator"])["rank"])
    t = UnitTrend.load("trung-hung", project=messy[0])
    assert list(t.reps["source"]) == [b.report["source"]]
    for unit in ("hoa-an", "trung-hung"):
        assert "Ba Đình" not in _text(UnitTrend.load(unit, project=messy[0]).document())


def test_a_later_report_arriving_updates_the_kept_computation_as_a_fresh_one(messy):
    """The incremental computation (``computed.update``) marks and leaves out exactly as a fresh one: the later
    report arrives after the earlier one was kept and ranked."""
    from cchc_tools.pipeline import compute, computed, update

    project, earlier = messy
    table = computed(project).table
    later = f"data/raw/2026/trung-hung/{LATER}"
    before = compute(table[table["source"] != later], project)
    assert earlier in set(before["assessed"]["source"])
    after = update(table, project, before, {later})
    fresh = compute(table, project)
    assert earlier not in set(after["assessed"]["source"]) and later in set(after["assessed"]["source"])
    for name in ("assessed", "totals", "reports"):
        pd.testing.assert_frame_equal(after[name].reset_index(drop=True), fresh[name].reset_index(drop=True))


def test_reports_without_a_year_or_a_code_are_kept_and_the_later_of_two_dated_ones_wins():
    from cchc_tools.analysis.selection import reports

    rows = [("a.txt", "x", "xã A", "", 2026, "Q1", "2026-04-11"), ("b.txt", "x", "xã A", "", 2026, "Q1", "2026-04-25"),
            ("c.txt", "y", "xã B", None, None, "", ""), ("d.txt", "z", "", pd.NA, None, "", "")]
    table = pd.DataFrame(rows, columns=["source", "unit", "unit_name", "unit_code", "year", "period", "report_date"])
    table = table.assign(level="commune", report_no="", synthetic=False, year=table["year"].astype("Int64"))
    reps = reports(table, "Cần Thơ").set_index("source")
    assert list(reps["left_out"]) == ["superseded", "", "", ""] and reps.loc["a.txt", "replaced_by"] == "b.txt"


def test_the_workbench_lists_neither_the_ward_of_another_province_nor_the_earlier_report(messy):
    """The analyst's workspace counts the reports the pages count: its unit list has no Ba Đình and its one
    report of Trung Hưng is the later one."""
    from cchc_tools.workbench.workspace import open as open_workspace

    project, earlier = messy
    ws = open_workspace(project)
    assert "ba-dinh" not in set(ws.reports["unit"]) and earlier not in set(ws.reports["source"])
    listed = ws.units(2026, "Q1").reset_index().astype(str).to_string()
    assert "Ba Đình" not in listed and "ba-dinh" not in listed
    trung = ws.reports[ws.reports["unit"] == "trung-hung"]
    assert len(trung) == 1 and trung["source"].iloc[0].endswith(LATER)
