"""The analyst's workbench: cchc_tools.open(), its questions, the .cchc accessor and the explorer widget."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import cchc_tools as cc
from cchc_tools.errors import UnknownUnitError
from cchc_tools.workbench import KitFrame, NotAKitTable

RAW_FLOAT = re.compile(r"\b\d+\.\d{3,}\b")  # 99.87399 or 99.874245; 24.407 (Vietnamese) has exactly 3 digits
LONG_FLOAT = re.compile(r"\b\d+\.\d{4,}\b")


@pytest.fixture(scope="module")
def ws():
    return cc.open()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from cchc_tools.demo import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder, units=12, years=[2021, 2022])
    return cc.open(folder)


def test_open_is_the_package_verb_and_loads_the_bundled_folder(ws):
    assert cc.open is cc.workbench.open
    assert ws.reports["unit"].tolist() == ["vinh-chau"]
    assert "1 đơn vị" in repr(ws)


def test_league_is_a_frame_whose_display_is_vietnamese(ws):
    lg = ws.league("dossiers_district_on_time", 2022, "annual")
    assert isinstance(lg, pd.DataFrame) and isinstance(lg, KitFrame)
    assert lg["value"].iloc[0] == pytest.approx(99.874245, abs=1e-6)  # numbers stay numbers for code
    shown = lg._repr_html_()
    assert "99,87%" in shown and "23.826" in shown and "Hạng" in shown and "Đơn vị" in shown
    assert not LONG_FLOAT.search(shown), LONG_FLOAT.search(shown)
    assert "99,87%" in repr(lg)


def test_trace_names_the_file_line_and_the_units_note(ws):
    tr = ws.trace("Vĩnh Châu", "dossiers_commune_on_time")
    row = tr[tr["line"] == 90].iloc[0]
    assert row["note"] == "99,60%" and row["role"] == "tử số" and row["raw_value"] == "100.167"
    assert row["source"].endswith("phu-luc-cchc-2022-vinh-chau.txt")
    assert set(tr["line"]) == {89, 90}
    shown = tr._repr_html_()
    assert "99,60%" in shown and ">90<" in shown and "Ghi chú của đơn vị" in shown
    assert "100.167 / 100.564 = 99,61%" in tr.cchc.to_string()


def test_a_questioned_figure_is_marked_and_never_ranked(ws):
    lg = ws.league("edocs_district_electronic", 2022, "annual")
    assert pd.isna(lg["rank"].iloc[0]) and lg["status"].iloc[0] == "doubtful"
    html = lg.cchc.to_html()
    assert re.search(r"100% <abbr[^>]*title=\"L1: Văn bản điện tử cấp huyện vượt tổng số văn bản đi[^\"]*\">\[L1\]",
                     html)
    assert "không xếp hạng" in html and "Số liệu cần xem lại" in html
    assert lg.cchc.to_string().count("100% [L1] [C4]") == 2  # the computed rate and the unit's own
    assert "9.375 [L1] [C4]" in lg.cchc.to_string()
    assert lg.attrs["excluded"] == [("thị xã Vĩnh Châu", "L1; C4")]


def test_units_by_name_code_or_slug_and_a_clear_error_otherwise(ws):
    assert ws.unit("Vĩnh Châu") == ws.unit("thị xã Vĩnh Châu") == ws.unit("950") == ws.unit("vinh-chau")
    with pytest.raises(UnknownUnitError, match="Vĩnh Chân.*gần giống: thị xã Vĩnh Châu"):
        ws.unit("thị xã Vĩnh Chân")
    with pytest.raises(KeyError, match="gần giống"):
        ws.indicator("dossiers_district_ontime")


def test_findings_by_unit_and_severity(ws):
    f = ws.findings("Vĩnh Châu", severity="error")
    assert f["ref"].tolist() == ["L1"] and f["lines"].iloc[0] == "182; 183; 184"
    assert "Lỗi" in f._repr_html_()
    assert len(ws.findings()) == 12


def test_accessor_refuses_a_frame_that_is_not_the_kits():
    with pytest.raises(NotAKitTable, match="not one of the kit's"):
        _ = pd.DataFrame({"a": [1.5]}).cchc
    with pytest.raises(NotAKitTable, match="lacks the columns findings"):
        _ = _league_without_findings().cchc


def _league_without_findings() -> pd.DataFrame:
    df = pd.DataFrame({"unit_name": ["x"], "value": [99.87399], "status": ["met"]})
    df.attrs["cchc"] = "league"
    return df


def test_accessor_takes_the_computations_own_tables(ws):
    styled = ws.data.assessed.cchc.to_html()
    assert "99,87%" in styled and "100% <abbr" in styled and not LONG_FLOAT.search(styled)
    assert ws.data.findings.cchc.kind == "findings"


def test_a_frame_cut_below_what_its_display_needs_shows_as_a_plain_frame(ws):
    lg = ws.league("dossiers_district_on_time", 2022)
    cut = lg[["unit", "value"]]
    assert isinstance(cut, KitFrame) and "99.874" in repr(cut)  # no Vietnamese display without its doubts
    assert "99,87%" in repr(lg.head(1))


def test_no_raw_float_in_any_table_the_workbench_shows(ws):
    tables = [ws.units(2022), ws.league("dossiers_commune_on_time", 2022), ws.trend("Vĩnh Châu"),
              ws.findings(), ws.totals(2022), ws.counts(2022), ws.compare("vinh-chau", "950"),
              ws.trace("vinh-chau", "edocs_district_electronic")]
    for t in tables:
        html = t._repr_html_()
        assert not LONG_FLOAT.search(html), (t.attrs["cchc"], LONG_FLOAT.search(html))
        assert "nan" not in re.sub(r"<[^>]+>", " ", html).split(), t.attrs["cchc"]


def test_demo_league_ranks_the_units_and_says_why_one_is_left_out(demo):
    lg = demo.league("dossiers_district_on_time", 2022, "annual")
    assert len(lg) == 12 and lg["rank"].notna().sum() == 11
    out = lg[lg["rank"].isna()]
    assert out["unit"].tolist() == ["minh-hoa-03"] and out["findings"].iloc[0] == "L1"
    assert list(lg["rank"].dropna()) == list(range(1, 12))
    text = lg.cchc.to_string()
    assert "Không xếp hạng 1 đơn vị có số liệu cần xem lại" in text and "thành phố Minh Họa 03 [L1]" in text
    # the change is against the period before (here last year), never for the questioned figure
    assert out["change"].isna().all() and lg["change"].notna().sum() == 11


def test_demo_totals_leave_out_the_questioned_unit_and_name_it(demo):
    tot = demo.totals(2022).set_index("indicator")
    row = tot.loc["dossiers_district_on_time"]
    lg = demo.league("dossiers_district_on_time", 2022)
    kept = lg[lg["status"] != "doubtful"]
    assert row["numerator"] == kept["numerator"].sum() and row["denominator"] == kept["denominator"].sum()
    assert row["units"] == 11 and row["excluded"] == "thành phố Minh Họa 03"
    assert tot.loc["plan_completion", "excluded"] == "" and tot.loc["plan_completion", "units"] == 12


def test_compare_two_units_with_the_level_total(demo):
    cmp = demo.compare("Minh Họa 01", "minh-hoa-03", indicators=["dossiers_district_on_time", "plan_completion"])
    assert cmp["indicator"].tolist() == ["dossiers_district_on_time", "plan_completion"]
    first = cmp.iloc[0]
    assert first["status_b"] == "doubtful" and pd.isna(first["diff"])
    assert first["total"] == demo.totals(2022).set_index("indicator").loc["dossiers_district_on_time", "value"]
    shown = cmp._repr_html_()
    assert "huyện Minh Họa 01" in shown and "thành phố Minh Họa 03" in shown and "Chung cấp huyện" in shown


def test_trend_in_calendar_order(demo):
    t = demo.trend("minh-hoa-01", ["plan_completion"])
    assert t["year"].tolist() == [2021, 2022]
    assert "Năm 2021" in t._repr_html_()


def test_units_say_who_reported_and_who_has_figures_in_doubt(demo, tmp_path):
    u = demo.units(2022).set_index("unit")
    assert u["reported"].all() and u.loc["minh-hoa-03", "errors"] >= 1 and u.loc["minh-hoa-03", "doubtful"] >= 1
    assert u.loc["minh-hoa-01", "errors"] == 0


def test_brief_shows_the_units_briefing_inline(ws):
    b = ws.brief("Vĩnh Châu", 2022)
    html = b._repr_html_()
    assert "thị xã Vĩnh Châu" in html and "99,87%" in html and "[L1]" in html


def test_explorer_follows_unit_and_indicator(demo):
    ex = demo.explorer(year=2022, indicator="dossiers_district_on_time", unit="minh-hoa-01")
    chart, trace = ex.chart.value, ex.trace.value
    assert "huyện Minh Họa 01 (tô màu cam) đứng thứ 8" in chart
    assert "Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn" in ex.table.value
    ex.choose(unit="Minh Họa 06")
    assert ex.chart.value != chart and "huyện Minh Họa 06 (tô màu cam) đứng thứ 1" in ex.chart.value
    assert ex.trace.value != trace
    ex.choose(indicator="plan_completion")
    assert "Tỷ lệ hoàn thành Kế hoạch CCHC" in ex.table.value and "Tỷ lệ hoàn thành" in ex.chart.value
    ex.choose(unit="minh-hoa-03", indicator="dossiers_district_on_time")
    assert "không được xếp hạng" in ex.chart.value and ">L1<" in ex.findings.value and "[L1]" in ex.trace.value
    table_id = re.search(r"#T_(cchc\d+)", ex.table.value).group(1)  # one id per table: styles never cross
    assert table_id not in ex.trace.value and table_id not in ex.findings.value
    assert ex.last_ms > 0 and not LONG_FLOAT.search(ex.table.value)


def test_open_refuses_what_is_not_a_project_or_folder(tmp_path):
    with pytest.raises(UnknownUnitError, match="không tồn tại"):
        cc.open(tmp_path / "missing")
    with pytest.raises(TypeError, match="project or a data folder"):
        cc.open(42)


RULE = """\
- id: district_received_le_resolved
  family: part_le_whole
  severity: error
  title_vi: Hồ sơ tiếp nhận nhiều hơn hồ sơ đã giải quyết
  doc: Quy tắc riêng của tỉnh (thử nghiệm).
  part: [III.dossiers_district_received]
  whole: [III.dossiers_district_resolved]
"""


def test_open_a_province_project_uses_its_rules_and_targets(tmp_path):
    import shutil

    from cchc_tools.paths import raw_dir
    from cchc_tools.project import load_project

    seed = raw_dir() / "2022" / "vinh-chau" / "phu-luc-cchc-2022-vinh-chau.txt"
    (tmp_path / "data" / "raw" / "2022" / "vinh-chau").mkdir(parents=True)
    shutil.copy(seed, tmp_path / "data" / "raw" / "2022" / "vinh-chau" / seed.name)
    (tmp_path / "rules.yaml").write_text(RULE, encoding="utf-8")
    (tmp_path / "targets.yaml").write_text(
        '- id: plan_completion_soc_trang\n  indicator: plan_completion\n  op: ">="\n  value: 95\n'
        "  from_year: 2022\n  source: Kế hoạch số 02/KH-UBND ngày 19/01/2022 của UBND thị xã Vĩnh Châu\n"
        "  verified: true\n", encoding="utf-8")
    (tmp_path / "cchc.toml").write_text('[project]\nprovince = "Cần Thơ"\nrules = ["rules.yaml"]\n'
                                        'targets = ["targets.yaml"]\n', encoding="utf-8")
    for ws in (cc.open(tmp_path), cc.open(load_project(tmp_path))):
        assert ws.project.root == tmp_path.resolve() and ws.data_dir == tmp_path.resolve() / "data" / "raw"
        lg = ws.league("dossiers_district_resolved", 2022)  # the province rule questions its inputs
        assert lg["status"].iloc[0] == "doubtful" and "Hồ sơ tiếp nhận nhiều hơn" in lg["doubt"].iloc[0]
        assert "[L" in lg.cchc.to_string() and "không xếp hạng" in lg.cchc.to_string()
        plan = ws.league("plan_completion", 2022)  # 92,59% against the province's 95%
        assert plan["status"].iloc[0] == "below_target" and "≥ 95%" in plan._repr_html_()
        assert "background-color: #fde2e1" in plan._repr_html_()  # below its target: highlighted


def test_status_lists_the_rosters_units_that_have_not_reported(ws):
    st = ws.status(2022, "annual")
    got = st.set_index("code")
    assert got.loc["950", "state"] == "received" and (st["state"] == "missing").sum() == len(st) - 1
    assert st["state"].iloc[0] == "missing"  # who has not reported comes first
    text = st.cchc.to_string()
    assert "Chưa nộp" in text and "16/12/2022" in text and f"{len(st) - 1} chưa nộp" in text
