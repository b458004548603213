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
    mine = re.compile(rf"\bT_{table_id}\b")  # cchc1 is not cchc12
    assert not mine.search(ex.trace.value) and not mine.search(ex.findings.value)
    assert ex.last_ms > 0 and not LONG_FLOAT.search(ex.table.value)


def test_explorer_times_each_real_change_whole_and_no_change_is_counted(demo):
    ex = demo.explorer(year=2022, indicator="dossiers_district_on_time", unit="minh-hoa-01")
    drawn, table = ex.redraws, ex.table.value
    assert ex.choose(unit="minh-hoa-01") == 0.0 and ex.redraws == drawn  # the unit shown: nothing to redraw
    took = ex.choose(indicator="plan_completion")
    assert ex.redraws == drawn + 1 and ex.table.value != table and "Tỷ lệ hoàn thành" in ex.table.value
    # the whole change is timed: the lists' refill, the league, then every pane
    assert list(ex.timings)[:3] == ["lists", "league", "table"] and {"trace", "tabs"} <= set(ex.timings)
    assert took == ex.last_ms / 1000 and ex.last_ms >= sum(ex.timings.values()) - 1e-6
    took = ex.choose(unit="minh-hoa-06", indicator="dossiers_district_on_time")  # two changes, two redraws
    assert ex.redraws == drawn + 3 and took > ex.last_ms / 1000 > 0


def test_the_explorer_draws_without_matplotlib(demo):
    """Its bars are SVG written directly: importing matplotlib would cost its first draw half a second."""
    import subprocess
    import sys

    code = ("import sys, cchc_tools as cc; ex = cc.open(sys.argv[1]).explorer(); ex.choose(level='district'); "
            "assert ex.chart.value.count('<figure') == 1; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(demo.data_dir)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


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


# --- the workbench on a province's data (issue 31) ---------------------------------------------------------------

@pytest.fixture(scope="module")
def can_tho(tmp_path_factory):
    """A Cần Thơ project of the 2026 demo: several kinds of period, no 2022."""
    from tests.demo2026 import make_project

    project = make_project(tmp_path_factory.mktemp("can-tho"),
                           periods=("2025-Q4", "2025-annual", "2026-Q1", "2026-6-month"), units=6)
    return cc.open(project.root)


def _labels(dd) -> list[str]:
    return [o[0] if isinstance(o, tuple) else str(o) for o in dd.options]


def test_explorer_keeps_every_choice_still_valid_and_says_when_one_is_not(can_tho):
    ex = can_tho.explorer()
    assert (ex.year.value, ex.period.value) == (2026, "6-month")  # the latest, not a year named in code
    communes = [u for _, u in ex.unit.options if not u.startswith(("noi-vu", "tai-chinh"))]
    only_communes = [i for i in can_tho.indicators(2026, "Q1", "commune")
                     if i not in can_tho.indicators(2026, "Q1", "department")]
    unit, ident = communes[2], only_communes[1]
    ex.choose(unit=unit, indicator=ident, period="Q1", level="commune")
    assert (ex.unit.value, ex.indicator.value, ex.period.value, ex.level.value) == (unit, ident, "Q1", "commune")
    ex.choose(year=2025)  # 2025 has no Q1: its latest period, said in words; the rest kept
    assert ex.period.value == "annual" and (ex.unit.value, ex.indicator.value, ex.level.value) == (
        unit, ident, "commune")
    assert "Năm 2025 không có kỳ «Quý I»" in ex.notice.value
    ex.choose(year=2026)  # the held choice comes back
    assert ex.period.value == "Q1" and ex.notice.value == ""
    ex.choose(level="department")  # a commune is no department: said, and the unit comes back after
    assert ex.unit.value in ("noi-vu", "tai-chinh") and can_tho._name(unit) in ex.notice.value
    assert ex.indicator.value != ident and "không có chỉ số" in ex.notice.value
    ex.choose(level="commune")
    assert (ex.unit.value, ex.indicator.value) == (unit, ident) and ex.notice.value == ""
    for label in ("annual", "online_dossier_rate", "dossiers_"):  # no internal id reaches the reader
        assert label not in ex.notice.value


def test_explorer_unit_list_by_name_without_its_kind(can_tho):
    from cchc_tools.workbench.names import name_key, unit_label

    assert unit_label("thị xã Vĩnh Châu") == "Vĩnh Châu (thị xã)" and unit_label("Sở Nội vụ") == "Sở Nội vụ"
    names = ["huyện Vĩnh Lợi", "thành phố Cần Thơ", "xã Đông Hải", "xã Dương Minh", "phường An Bình", "Sở Nội vụ"]
    assert sorted(names, key=name_key) == ["phường An Bình", "thành phố Cần Thơ", "xã Dương Minh", "xã Đông Hải",
                                           "Sở Nội vụ", "huyện Vĩnh Lợi"]
    labels = _labels(can_tho.explorer(level="commune").unit)
    assert labels == sorted(labels, key=name_key) and all(lab.endswith(("(xã)", "(phường)")) for lab in labels)


def test_the_notebook_and_the_explorer_name_no_year(can_tho):
    import nbformat

    from cchc_tools.paths import notebooks_dir

    nb = nbformat.read(notebooks_dir() / "explore.ipynb", as_version=4)
    code = "\n".join(line.split("#", 1)[0] for c in nb.cells if c.cell_type == "code"
                     for line in c.source.splitlines())  # the code, not its comments
    assert not re.search(r"\b20\d\d\b", code), re.search(r"\b20\d\d\b", code)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for name in ("DATA", "YEAR", "PERIOD", "LEVEL", "UNIT"):
        assert re.search(rf"^{name} = os.environ.get\(\"CCHC_EXPLORE_{name}\"", params.source, re.M), name
    assert can_tho.scope() == (2026, "6-month") and can_tho.scope("2025") == (2025, "annual")
    assert can_tho.scope(None, "Q4") == (2025, "Q4")
    first = can_tho.explorer(year=2026, period="Q1", level="commune").unit.options[0][1]
    assert can_tho.choose_unit("", 2026, "Q1", "commune") == first and can_tho.choose_unit("Hòa An") == "hoa-an"


def test_empty_views_are_said_in_vietnamese_words(ws):
    with pytest.raises(UnknownUnitError) as e:
        ws.league("dossiers_commune_on_time", 2022, "Q1")
    assert str(e.value) == "Không có phụ lục nào quý I năm 2022."
    msg = ws.empty_message("online_dossier_rate", 2022, "annual", "commune")
    assert msg == "Không có phụ lục nào cấp xã năm 2022." and "commune" not in msg


def test_a_rate_only_indicator_has_no_empty_fraction_in_its_source_line(ws):
    text = ws.trace("Vĩnh Châu", "satisfaction").cchc.to_string()
    assert "— / —" not in text and "Tỷ lệ" in text and ": 100%" in text


def test_league_and_trend_print_the_units_own_figure_where_it_agrees(ws):
    # 100.167 / 100.564 = 99,605...%, written 99,60% by the unit: every page prints 99,60%
    lg = ws.league("dossiers_commune_on_time", 2022)
    assert lg["value"].iloc[0] == pytest.approx(99.605227, abs=1e-6) and lg["shown"].iloc[0] == 99.60
    rate = lg.cchc.display()["Tỷ lệ"].iloc[0]
    assert rate == "99,60%"
    tr = ws.trend("Vĩnh Châu", ["dossiers_commune_on_time"])
    assert tr.cchc.display()["Tỷ lệ"].iloc[0] == "99,60%"
    assert "99,61%" not in lg.cchc.to_tsv()


def test_to_excel_writes_numbers_with_vietnamese_formats_and_the_reasons_of_doubts(demo, tmp_path):
    import datetime as dt

    from openpyxl import load_workbook

    lg = demo.league("dossiers_district_on_time", 2022)
    path = lg.to_excel(tmp_path / "xep-hang.xlsx")
    assert path == tmp_path / "xep-hang.xlsx"
    lg.cchc.to_excel(tmp_path / "again.xlsx", today=dt.date(2026, 12, 7))
    sheet = load_workbook(tmp_path / "again.xlsx").active
    assert sheet["A1"].value.startswith("Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn – Năm 2022")
    assert sheet["A2"].value.startswith("Nguồn: 12 phụ lục") and sheet["A3"].value == "Ngày lập: 07/12/2026"
    head = [c.value for c in sheet[5]]
    assert head[:4] == ["Hạng", "Đơn vị", "Cấp", "Tỷ lệ"] and head[-1] == "Số liệu cần xem lại (lý do)"
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=6)}
    first = rows["huyện Minh Họa 01"]
    rate = first[3]
    want = lg.set_index("unit").loc["minh-hoa-01", "shown"] / 100
    assert isinstance(rate.value, float) and rate.value == pytest.approx(want) and rate.number_format == "0.00%"
    assert isinstance(first[5].value, int) and first[5].number_format == "#,##0"  # the numerator
    assert isinstance(first[0].value, int) and not first[-1].value  # no doubt: an empty cell
    doubted = rows["thành phố Minh Họa 03"]
    assert doubted[0].value == "không xếp hạng" and doubted[3].fill.fgColor.rgb.endswith("FFF2CC")
    reason = lg.set_index("unit").loc["minh-hoa-03", "doubt"].split("\n")[0]
    assert reason.startswith("L1: ") and reason in doubted[-1].value
    assert sheet.freeze_panes == "A6"


def test_copy_as_tab_separated_text(demo):
    lg = demo.league("dossiers_district_on_time", 2022)
    lines = lg.cchc.to_tsv().splitlines()
    assert lines[0].split("\t")[:4] == ["Hạng", "Đơn vị", "Cấp", "Tỷ lệ"] and len(lines) == 13
    assert all(len(x.split("\t")) == len(lines[0].split("\t")) for x in lines)
    assert "[L1]" in lg.cchc.to_tsv() and re.search(r"\t\d{2},\d{2}%\t", lines[1])


def test_explorer_exports_and_copies_the_table_shown(demo):
    ex = demo.explorer(year=2022, indicator="dossiers_district_on_time")
    data = ex.export()
    assert data[:2] == b"PK" and 'download="xep-hang-dossiers_district_on_time-2022-annual.xlsx"' in ex.download.value
    assert ex.copy().startswith("Hạng\tĐơn vị") and ex.copy_text.layout.display == ""


def test_doubts_grid_and_unit_over_time(demo):
    d = demo.doubts(2022)
    assert len(d) and d["doubt"].str.len().gt(0).all() and set(d["findings"]) >= {"L1"}
    assert "minh-hoa-03" in set(d["unit"]) and "Vì sao cần xem lại" in d._repr_html_()
    g = demo.grid("dossiers_district_on_time")
    assert g.attrs["columns"] == ["Năm 2021", "Năm 2022"] and len(g) == 12
    shown = g.cchc.display()
    assert list(shown.columns) == ["Đơn vị", "Cấp", "Năm 2021", "Năm 2022"]
    row = shown[shown["Đơn vị"] == "thành phố Minh Họa 03"].iloc[0]
    assert "[L1]" in row["Năm 2022"]
    ex = demo.explorer(year=2022, unit="minh-hoa-03", indicator="dossiers_district_on_time")
    assert "Năm 2021:" in ex.over_time.value and "(cần xem lại)" in ex.over_time.value
    assert "Cột gạch chéo" in ex.over_time.value and "Năm 2022" in ex.grid.value and "[L1]" in ex.doubts.value


def test_one_unit_is_drawn_not_an_empty_chart(ws):
    ex = ws.explorer(indicator="dossiers_district_on_time")
    assert "<img" in ex.chart.value and "thị xã Vĩnh Châu (tô màu cam): 99,87%" in ex.chart.value


def test_status_on_the_roster_names_units_that_sent_nothing(can_tho):
    st = can_tho.status()  # the latest year and period
    assert st.attrs["year"] == 2026 and st.attrs["period"] == "6-month"
    missing = st[st["state"] == "missing"]
    assert len(missing) > 0 and missing["name"].str.len().gt(0).all()
    assert len(st[st["state"] == "received"]) == 8


def test_a_folder_outside_the_project_keeps_its_snapshot_beside_it(tmp_path):
    import dataclasses

    from cchc_tools.demo import generate
    from cchc_tools.paths import KIT_ROOT
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project
    from cchc_tools.workbench.workspace import _own_cache

    folder = tmp_path / "mine"
    generate(folder, units=3, years=[2023])
    # the kit's project as without CCHC_CACHE_DIR (the tests set it): its cache inside the kit
    kit = dataclasses.replace(load_project(None), overrides={}, cache=KIT_ROOT / "data/processed/cache")
    assert kit.is_kit
    own = _own_cache(kit, folder)
    assert own.cache == tmp_path / ".cchc-cache" / "mine" and own.rules == kit.rules
    computed(own, folder)
    assert any((tmp_path / ".cchc-cache" / "mine").rglob("*")), "the snapshot is written beside the folder"
    assert _own_cache(kit, KIT_ROOT / "data" / "raw") is kit  # the project's own data keep its cache
    assert cc.open(folder).project.cache == load_project(None).cache  # a cache the tests set is kept


def test_served_page_hook_refuses_other_sites_and_keeps_only_the_page(tmp_path):
    import nbformat
    from tornado import web

    from cchc_tools.paths import notebooks_dir
    from cchc_tools.workbench import serve

    class Request:
        def __init__(self, headers):
            self.headers, self.host = headers, "127.0.0.1:8866"

    class Handler:
        def __init__(self, headers, cookie=None):
            self.request, self.cookie, self.set = Request(headers), cookie, {}

        def get_cookie(self, name):
            return self.cookie

        def set_cookie(self, name, value, **kw):
            self.set[name] = value

    nb = nbformat.read(notebooks_dir() / "explore.ipynb", as_version=4)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://attacker.example"}):
        with pytest.raises(web.HTTPError) as e:
            serve.prelaunch(Handler(headers), nb, str(tmp_path))
        assert e.value.status_code == 403
    h = Handler({"Sec-Fetch-Site": "none", "Origin": "http://127.0.0.1:8866"})
    page = serve.prelaunch(h, nbformat.read(notebooks_dir() / "explore.ipynb", as_version=4), str(tmp_path))
    kept = [c for c in page.cells]
    assert kept and all(serve.PAGE_TAGS & set(c.metadata.get("tags", [])) for c in kept)
    assert not any("NBVAL_CHECK_OUTPUT" in c.source or "DATA =" in c.source and c.cell_type == "markdown"
                   for c in kept)
    assert "ws.explorer" in "".join(c.source for c in kept) and serve.COOKIE in h.set
    config = serve.voila_config(["may-chu.so-noi-vu.vn"], 3, 600)
    assert config.Voila.tornado_settings == {"allow_remote_access": False,
                                             "local_hostnames": ["localhost", "may-chu.so-noi-vu.vn"]}
    assert config.Voila.ip == "127.0.0.1" and config.SessionKernelManager.max_kernels == 3
    assert config.MappingKernelManager.cull_idle_timeout == 600
