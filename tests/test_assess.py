"""Judgement: assess (status, the unit's own figure, ranks, change, targets) and consolidate (province totals)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cchc_tools import load_appendix
from cchc_tools.analysis.assess import assess, consolidate, finding_refs
from cchc_tools.analysis.targets import TargetError, TargetOverride, load_targets


def _variant(seed_text: str, tmp_path, name: str, unit_title: str, year: int, edits: dict[str, str]):
    """A copy of the seed with another unit name, year and some cells replaced (label -> new value)."""
    text = seed_text.replace("thị xã Vĩnh Châu", unit_title).replace("THỊ XÃ VĨNH CHÂU", unit_title.upper())
    text = text.replace("2022", str(year))
    lines = text.split("\n")
    for i, line in enumerate(lines):
        cells = line.split("\t")
        for label, value in edits.items():
            if len(cells) >= 4 and cells[-4].strip() == label:
                cells[-2] = value
                lines[i] = "\t".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return load_appendix(path)


def _row(a: pd.DataFrame, ident: str, source: str | None = None) -> pd.Series:
    sub = a[a["indicator"] == ident]
    if source:
        sub = sub[sub["source"] == source]
    return sub.iloc[0]


def test_seed_doubtful_and_reported(seed_df):
    a = assess(seed_df)
    edocs = _row(a, "edocs_district_electronic")
    assert edocs["status"] == "doubtful" and "L1" in edocs["findings"]  # 9.375 + 1.535 > 9.375
    commune = _row(a, "dossiers_commune_on_time")
    assert commune["reported"] == pytest.approx(99.60) and commune["reported_text"] == "99,60%"
    assert commune["value"] == pytest.approx(100167 / 100564 * 100)
    assert _row(a, "province_tasks_on_time")["status"] == "not_reported"
    assert _row(a, "plan_completion")["status"] == "no_target"


def test_met_and_below_target_use_the_shipped_sourced_targets(seed_df):
    a = assess(seed_df)
    sat = _row(a, "satisfaction")
    assert sat["status"] == "met" and sat["target"] == 90 and "766/QĐ-TTg" in sat["target_source"]
    assert not sat["target_verified"]  # known second-hand only: the page says so from this column
    online = _row(a, "online_dossier_rate")
    assert online["status"] == "below_target" and online["value"] < 50


def test_every_shipped_target_has_a_source():
    for t in load_targets():
        assert str(t["source"]).strip() and t["op"] in (">=", "<=")


def test_province_targets_override_shipped_ones(seed_df, tmp_path):
    own = tmp_path / "tinh.yaml"
    own.write_text("- id: satisfaction_766\n  indicator: satisfaction\n  op: '>='\n  value: 101\n"
                   "  from_year: 2022\n  source: Kế hoạch CCHC năm 2022 của UBND tỉnh\n  verified: true\n",
                   encoding="utf-8")
    with pytest.warns(TargetOverride, match="satisfaction_766"):
        sat = _row(assess(seed_df, targets=[own]), "satisfaction")
    assert sat["status"] == "below_target" and sat["target"] == 101
    assert sat["target_source"] == "theo Kế hoạch CCHC năm 2022 của UBND tỉnh"


@pytest.mark.parametrize(("content", "key"), [
    ("- id: x\n  indicator: satisfaction\n  op: '>='\n  value: 1\n", "source"),
    ("- id: x\n  indicator: nope\n  op: '>='\n  value: 1\n  source: s\n", "indicator"),
    ("- id: x\n  indicator: satisfaction\n  op: '>='\n  value: 1\n  source: s\n  colour: red\n", "colour"),
])
def test_bad_targets_file_names_file_target_and_key(tmp_path, content, key):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(TargetError) as err:
        load_targets([bad])
    assert "bad.yaml:" in str(err.value) and "'x'" in str(err.value) and key in str(err.value)


def test_ranks_peers_and_change(seed_text, tmp_path):
    a1 = _variant(seed_text, tmp_path, "a.txt", "thị xã Alpha", 2022, {})
    b1 = _variant(seed_text, tmp_path, "b.txt", "thị xã Beta", 2022, {"Số nhiệm vụ đã hoàn thành": "27"})
    a0 = _variant(seed_text, tmp_path, "a0.txt", "thị xã Alpha", 2021, {"Số nhiệm vụ đã hoàn thành": "20"})
    out = assess(pd.concat([a1, b1, a0], ignore_index=True))
    plan = out[(out["indicator"] == "plan_completion") & (out["year"] == 2022)].set_index("unit")
    assert plan.loc["beta", "rank"] == 1 and plan.loc["alpha", "rank"] == 2
    assert (plan["peers"] == 2).all()
    assert plan.loc["alpha", "change"] == pytest.approx(25 / 27 * 100 - 20 / 27 * 100)
    assert math.isnan(plan.loc["beta", "change"])
    edocs = out[(out["indicator"] == "edocs_district_electronic") & (out["year"] == 2022)]
    assert edocs["rank"].isna().all()  # doubtful figures are not ranked


def test_finding_refs_number_within_each_report(seed_df):
    from cchc_tools import validate

    f = validate(seed_df)
    refs = list(finding_refs(f))
    assert refs[0] == "L1" and "C7" in refs and "LY4" in refs and len(set(refs)) == len(refs)


def test_consolidate_sums_counts_and_recomputes_ratios(seed_text, tmp_path):
    a = _variant(seed_text, tmp_path, "a.txt", "thị xã Alpha", 2022,
                 {"Số nhiệm vụ đề ra trong kế hoạch": "10", "Số nhiệm vụ đã hoàn thành": "9"})
    b = _variant(seed_text, tmp_path, "b.txt", "thị xã Beta", 2022,
                 {"Số nhiệm vụ đề ra trong kế hoạch": "30", "Số nhiệm vụ đã hoàn thành": "15"})
    c = _variant(seed_text, tmp_path, "c.txt", "thị xã Gamma", 2022,
                 {"Số nhiệm vụ đề ra trong kế hoạch": "", "Số nhiệm vụ đã hoàn thành": ""})
    cons = consolidate(pd.concat([a, b, c], ignore_index=True))
    tot = cons.totals.set_index("code")
    assert tot.loc["I.plan_tasks", "value"] == 40 and tot.loc["I.plan_tasks", "units_reported"] == 2
    assert tot.loc["I.plan_tasks", "units"] == 3
    assert tot.loc["III.dossiers_district_received", "value"] == 3 * 24407
    assert math.isnan(tot.loc["I.inspection_subunits", "value"])  # blank in every file stays blank
    plan = cons.ratios.set_index("indicator").loc["plan_completion"]
    assert plan["value"] == pytest.approx(24 / 40 * 100)  # summed counts, not the mean of 90% and 50%
    assert plan["units"] == 2 and plan["median"] == pytest.approx(70)


def test_a_briefing_computes_indicators_and_findings_once(tmp_path, seed_text, monkeypatch):
    """The page, the cards, the narrative and the CSVs all read one computation (issue: one way through)."""
    from cchc_tools import pipeline as computed_mod
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.render import save

    folder = tmp_path / "data" / "2022" / "vinh-chau"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text(seed_text, encoding="utf-8")
    calls = {"indicators": 0, "validate": 0}

    def counting(name, fn):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapped

    from cchc_tools.analysis import assess as assess_mod

    for mod in (computed_mod, assess_mod):
        monkeypatch.setattr(mod, "indicators", counting("indicators", computed_mod.indicators))
        monkeypatch.setattr(mod, "validate", counting("validate", computed_mod.validate))
    computed_mod._CACHE.clear()
    b = UnitBriefing.load(2022, "vinh-chau", tmp_path / "data")
    b.document()
    written = save(b, tmp_path / "out")
    again = UnitBriefing.load(2022, "vinh-chau", tmp_path / "data")  # a second view of the same folder
    again.header()
    assert calls == {"indicators": 1, "validate": 1}
    assert {p.name for p in written} >= {"indicators.csv", "findings.csv"}
    saved = pd.read_csv(tmp_path / "out" / "indicators.csv", encoding="utf-8-sig")
    assert "status" in saved and (saved["indicator"] == "edocs_district_electronic").any()


def _period_copy(seed_text: str, folder, name: str, title_tail: str, unit: str = "thị xã Vĩnh Châu"):
    text = seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", f"CẢI CÁCH HÀNH CHÍNH {title_tail}")
    text = text.replace("thị xã Vĩnh Châu", unit)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_periods_trend_in_order_and_compare_within_their_coverage(tmp_path, seed_text):
    from cchc_tools import pipeline as computed_mod
    from cchc_tools.content.views import UnitTrend, YearComparison

    data = tmp_path / "data"
    _period_copy(seed_text, data / "2022" / "vinh-chau", "a.txt", "NĂM 2022")
    _period_copy(seed_text, data / "2022" / "vinh-chau", "q1.txt", "QUÝ I NĂM 2022")
    _period_copy(seed_text, data / "2022" / "vinh-chau", "h1.txt", "6 THÁNG ĐẦU NĂM 2022")
    _period_copy(seed_text, data / "2022" / "alpha", "q3.txt", "QUÝ III NĂM 2022", "thị xã Alpha")
    _period_copy(seed_text, data / "2022" / "beta", "m9.txt", "9 THÁNG NĂM 2022", "thị xã Beta")
    _period_copy(seed_text, data / "2022" / "gamma", "q3lk.txt", "QUÝ III NĂM 2022 (LŨY KẾ TỪ ĐẦU NĂM)",
                 "thị xã Gamma")
    computed_mod._CACHE.clear()
    trend = UnitTrend.load("vinh-chau", data)
    assert trend.reps["period"].tolist() == ["Q1", "6-month", "annual"]
    q1 = YearComparison.load(2022, data, period="Q1")
    assert q1.reps["period"].tolist() == ["Q1"]  # never the annual report of the same unit
    nine = YearComparison.load(2022, data, period="9-month")
    assert sorted(nine.reps["unit"]) == ["beta", "gamma"]  # a cumulative Q3 covers nine months; a plain Q3 not
    assert YearComparison.load(2022, data, period="Q3").reps["unit"].tolist() == ["alpha"]


def test_comparison_marks_doubtful_figures_and_ranks_on_the_measure_only(tmp_path, seed_text):
    from cchc_tools import pipeline as computed_mod
    from cchc_tools.content.views import RANK_BY, YearComparison

    data = tmp_path / "data"
    _period_copy(seed_text, data / "2022" / "vinh-chau", "a.txt", "NĂM 2022")
    _period_copy(seed_text, data / "2022" / "alpha", "b.txt", "NĂM 2022", "thị xã Alpha")
    computed_mod._CACHE.clear()
    c = YearComparison.load(2022, data)
    assert c.league()["rank"].notna().all()  # the e-documents error does not touch the ranking measure
    table = next(b for b in c.league_html().blocks if b.kind == "table")
    col = table.headers.index([h for h in table.headers if "văn bản đi hoàn toàn điện tử" in h][0])
    assert all(row[col].doubt.startswith("L1") for row in table.rows)
    assert RANK_BY in c.headline_ids


def test_a_report_without_a_year_never_stops_the_assessment_of_the_others(seed_text, seed_df, tmp_path):
    no_year = tmp_path / "no-year.txt"
    no_year.write_text(seed_text.replace("HÀNH CHÍNH NĂM 2022", "HÀNH CHÍNH").replace(
        "ngày 16 tháng 12 năm 2022", ""), encoding="utf-8")
    other = load_appendix(no_year)
    assert other["year"].isna().all()
    out = assess(pd.concat([seed_df, other], ignore_index=True))
    mine = out[out["source"] == seed_df["source"].iloc[0]].set_index("indicator")
    assert mine.loc["plan_completion", "value"] == pytest.approx(25 / 27 * 100)
    assert out["change"].isna().all()  # no earlier year to compare with, and no year at all
