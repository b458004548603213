"""Views for the level (issue 24): a commune's pages show only what a commune has, each level's league ranks by
its own measure, and "thấp nhất" names only units below the target or the median."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from cchc_tools.analysis.selection import applicable, headline_ids, rank_by, weakest
from cchc_tools.analysis.specs import indicator_specs

# Five Q1 2026 commune and ward reports made from the bundled 2022 appendix: (slug, name, edits of its lines).
# phong-dien sends 0,30% electronic documents (126 of 42.002); cai-khe writes more dossiers on time than it
# resolved (an error on the commune on-time rate, the communes' ranking measure); ninh-kieu completed more tasks
# than it planned (an error on plan completion only: it is still ranked).
EDOCS = "\tTổng số văn bản đi tại UBND cấp xã\tVăn bản\t42.002\t\n" \
        "\t- Số lượng văn bản được gửi hoàn toàn dưới dạng điện tử (Sử dụng chữ ký số, chứng thư số và gửi trên môi " \
        "trường điện tử).\tVăn bản\t12.425\t"
ON_TIME = "\tSố hồ sơ TTHC do UBND cấp xã tiếp nhận được giải quyết đúng hạn\tHồ sơ\t100.167\t99,60%"
DONE = "\tSố nhiệm vụ đã hoàn thành\tNhiệm vụ\t25\t"
UNITS = [
    ("vinh-chau", "phường Vĩnh Châu", {}),
    ("vinh-hai", "xã Vĩnh Hải", {ON_TIME: ON_TIME.replace("100.167\t99,60%", "99.012\t")}),
    ("phong-dien", "xã Phong Điền", {EDOCS: EDOCS.replace("12.425", "126"),
                                     ON_TIME: ON_TIME.replace("100.167\t99,60%", "100.400\t")}),
    ("cai-khe", "phường Cái Khế", {ON_TIME: ON_TIME.replace("100.167\t99,60%", "100.600\t")}),
    ("ninh-kieu", "phường Ninh Kiều", {DONE: DONE.replace("25", "29"),
                                       ON_TIME: ON_TIME.replace("100.167\t99,60%", "99.500\t")}),
]
DISTRICT_ONLY = [s for s in indicator_specs() if "commune" not in s["levels"]]


def commune_q1_2026(seed_text: str, name: str, edits: dict[str, str]) -> str:
    t = seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", "CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2026")
    t = t.replace("ngày 16 tháng 12 năm 2022", "ngày 10 tháng 4 năm 2026")
    t = t.replace("Ủy ban nhân dân thị xã Vĩnh Châu", f"Ủy ban nhân dân {name}, thành phố Cần Thơ")
    for old, new in edits.items():
        assert old in t, old
        t = t.replace(old, new)
    return t


def make_communes(root, seed_text: str, targets: str = "") -> None:
    from cchc_tools.project import init_project

    init_project(root, "Cần Thơ")
    if targets:
        (root / "targets.yaml").write_text(targets, encoding="utf-8")
    for slug, name, edits in UNITS:
        d = root / "data" / "raw" / "2026" / slug
        d.mkdir(parents=True)
        (d / f"phu-luc-cchc-2026-q1-{slug}.txt").write_text(commune_q1_2026(seed_text, name, edits), encoding="utf-8")


@pytest.fixture(scope="module")
def communes(tmp_path_factory, seed_text):
    from cchc_tools.project import load_project

    root = tmp_path_factory.mktemp("views") / "can-tho"
    make_communes(root, seed_text)
    return load_project(root, env={})


def page_text(document) -> str:
    from cchc_tools.render.html import document_html

    t = re.sub(r"<style.*?</style>|<img[^>]*>", "", document_html(document), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


# -- views for the level ------------------------------------------------------------------------------

def test_a_commune_page_never_names_an_indicator_a_commune_cannot_have(communes):
    from cchc_tools.content.views import UnitBriefing

    assert DISTRICT_ONLY and any("cả hai cấp" in s["name_vi"] for s in DISTRICT_ONLY)
    for slug in ("vinh-chau", "cai-khe"):  # cai-khe: its doubtful figures are listed, never a district one
        b = UnitBriefing.load(2026, slug, period="Q1", project=communes)
        assert b.report["level"] == "commune"
        for doc in (b.document(), b.summary_document()):
            text = page_text(doc)
            assert "cả hai cấp" not in text and "quý i " not in text
            for s in DISTRICT_ONLY:
                assert s["name_vi"] not in text, (slug, s["id"])
        assert set(b.assessed["indicator"]) and not set(b.assessed["indicator"]) & {s["id"] for s in DISTRICT_ONLY}
        assert b.tables()["indicators"]["headline"].sum() == len(b.headline_ids)
    cai_khe = UnitBriefing.load(2026, "cai-khe", period="Q1", project=communes)
    doubtful = _between(page_text(cai_khe.document()), "Số liệu cần xem lại trước khi sử dụng:", "Đề nghị")
    assert "Tỷ lệ hồ sơ cấp xã giải quyết đúng hạn" in doubtful


def test_applicable_keeps_what_the_level_and_the_form_have():
    a = pd.DataFrame({"source": ["a", "a", "a", "b", "c"], "level": ["commune", "commune", "commune", "district", ""],
                      "indicator": ["dossiers_on_time_all", "dossiers_commune_on_time", "online_dossier_rate",
                                    "dossiers_on_time_all", "dossiers_on_time_all"]})
    forms = pd.DataFrame({"source": ["a", "b"], "form": ["commune-2025", "district-2022"]})
    kept = applicable(a, forms)
    # a district indicator and one whose inputs the 2025 commune form does not ask are left out
    assert kept["indicator"].tolist() == ["dossiers_commune_on_time", "dossiers_on_time_all", "dossiers_on_time_all"]
    assert applicable(a)["indicator"].tolist().count("online_dossier_rate") == 1  # the level alone: it applies


def test_applicable_decides_each_row_as_the_row_by_row_rule_does():
    """``applicable`` decides once per (level, form, indicator) and spreads the answer to the rows: on random frames
    (blank and missing levels, unknown levels and forms, reports without a form, Arrow-backed strings) it keeps
    exactly the rows the rule applied row by row keeps, in their order."""
    import random

    from cchc_tools.analysis.selection import _form_codes
    from cchc_tools.analysis.specs import indicator_applies, indicator_inputs, indicator_specs

    specs = {s["id"]: s for s in indicator_specs()}

    def by_row(frame, forms):
        form_of = dict(zip(forms["source"], forms["form"], strict=True)) if forms is not None else {}
        keep = []
        for src, level, ident in zip(frame["source"], frame["level"], frame["indicator"], strict=True):
            level = "" if pd.isna(level) else str(level)
            ok = ident in specs and indicator_applies(ident, level)
            codes = _form_codes(form_of.get(src, ""), None) if ok else None
            keep.append(ok and (codes is None or set(indicator_inputs(specs[ident])) <= codes))
        return frame[pd.Series(keep, index=frame.index, dtype=bool)]

    rng = random.Random(28)
    idents = [s["id"] for s in indicator_specs()] + ["no_such_indicator"]
    levels = ["commune", "district", "department", "province", "", None, "ward?"]
    form_names = ["commune-2025", "district-2022", "district-2023", "department-2025", "", "no-such-form"]
    for trial in range(30):
        n = rng.randint(0, 400)
        frame = pd.DataFrame({"source": [f"s{rng.randint(0, 12)}" for _ in range(n)],
                              "level": [rng.choice(levels) for _ in range(n)],
                              "indicator": [rng.choice(idents) for _ in range(n)]},
                             index=rng.sample(range(10 * n + 1), n))
        if trial % 2:
            frame = frame.astype({"source": "string[pyarrow]", "level": "string[pyarrow]",
                                  "indicator": "string[pyarrow]"})
        forms = pd.DataFrame({"source": [f"s{k}" for k in range(10)],
                              "form": [rng.choice(form_names) for _ in range(10)]}) if trial % 3 else None
        pd.testing.assert_frame_equal(applicable(frame, forms), by_row(frame, forms))


def test_headline_per_level_comes_from_levels_yaml_and_the_targets_in_force():
    assert headline_ids("commune")[0] == "dossiers_commune_on_time" and rank_by("commune") == "dossiers_commune_on_time"
    assert rank_by("department") == "plan_completion" and rank_by("district") == "dossiers_on_time_all"
    a = pd.DataFrame({"level": "commune", "indicator": ["plan_completion", "legal_review_done", "satisfaction"],
                      "target": [float("nan"), 95.0, 90.0]})
    # a province's target on an indicator the level does not lead with brings it to the level's pages
    assert headline_ids("commune", a) == ["plan_completion", "satisfaction", "legal_review_done"]
    assert not any(s.get("headline") for s in indicator_specs())  # one source of truth: levels.yaml


# -- league per level -----------------------------------------------------------------------------------

def test_the_comparison_ranks_every_commune_not_questioned_by_an_error(communes, tmp_path):
    from cchc_tools.content.views import YearComparison

    c = YearComparison.load(2026, period="Q1", project=communes)
    lg = c.league()
    assert c.measure("commune") == "dossiers_commune_on_time" and "dossiers_on_time_all" not in lg
    assert lg.loc["cai-khe", "doubtful"] and pd.isna(lg.loc["cai-khe", "rank"])
    ranked = lg.drop(index="cai-khe")
    assert ranked["rank"].notna().all() and ranked["rank"].min() == 1 and len(ranked) == 4
    assert lg.loc["ninh-kieu", "error"] > 0  # its error is elsewhere: ranked all the same
    table = next(b for b in c.league_html().blocks if b.kind == "table")
    ranks = {row[1].text: row[0].text for row in table.rows}
    assert ranks["phường Cái Khế (không xếp hạng)"] == "—"
    assert sorted(v for k, v in ranks.items() if "Cái Khế" not in k) == ["1", "2", "3", "4"]
    for edocs_and_payment in ("Tỷ lệ văn bản đi hoàn toàn điện tử (cấp xã)",
                              "Tỷ lệ TTHC có nghĩa vụ tài chính được thanh toán trực tuyến"):
        assert edocs_and_payment in table.headers
    text = page_text(c.document())
    assert "cả hai cấp" not in text and "quý i " not in text
    from cchc_tools.render import save

    written = save(c, tmp_path, "docx,xlsx")
    from docx import Document as Docx

    word = Docx(str(next(p for p in written if p.suffix == ".docx")))
    league = next(t for t in word.tables if t.rows[0].cells[0].text == "Hạng")
    assert [r.cells[0].text for r in league.rows[1:]].count("—") == 1


# -- lowest and weakest that mean something ---------------------------------------------------------------

def test_lowest_names_only_units_below_the_target_or_the_median(communes):
    from cchc_tools.content.views import YearComparison

    c = YearComparison.load(2026, period="Q1", project=communes)
    a = c.assessed
    for ident in c.level_ids("commune"):
        low = c.lowest_units(ident, level="commune")
        judged = a[(a["indicator"] == ident) & a["value"].notna() & (a["status"] != "doubtful")]
        if len(low):
            assert (low["value"].round(2) <= judged["value"].round(2).median()).all(), ident
            assert (low["value"].round(2) < judged["value"].round(2).max()).all(), ident
    assert c.lowest_units("satisfaction", level="commune").empty  # all at 100%: nobody is lowest
    text = page_text(c.document())
    lowest = _between(text, "Đơn vị có kết quả thấp nhất", "Mỗi chỉ số nêu")
    assert "Tỷ lệ văn bản đi hoàn toàn điện tử (cấp xã): xã Phong Điền (0,30%)." in lowest
    assert "hài lòng" not in lowest and "phường Vĩnh Châu" not in lowest  # the best on-time rate is never lowest
    assert "Cái Khế" not in lowest.split("giải quyết đúng hạn:")[1].split(".")[0]  # a doubtful figure: not ranked
    summary = _between(text, "Quý I năm 2026: 5 đơn vị có phụ lục.", "Tổng hợp chung")
    assert "Cao nhất: xã Phong Điền (99,84%); thấp nhất: xã Vĩnh Hải (98,46%)." in summary


def test_the_digest_names_the_weak_e_documents_unit_and_never_the_top(communes):
    from cchc_tools.analysis.assess import consolidate
    from cchc_tools.cycle.appendix import consolidated_appendix
    from cchc_tools.cycle.digest import build_digest
    from cchc_tools.pipeline import computed

    data = computed(communes)
    app = consolidated_appendix(data.table, data.findings, 2026, "Q1", "commune", province="Cần Thơ")
    a = data.assessed[data.assessed["level"] == "commune"]
    shown = consolidate(data.table, ind=data.ind, findings=data.findings).ratios
    text = build_digest(None, app, a, data.findings, province="thành phố Cần Thơ", ratios=shown).text
    lowest = _between(text, "Đơn vị thấp nhất:", "\n\n") if "\n\n" in text.split("Đơn vị thấp nhất:")[1] \
        else text.split("Đơn vị thấp nhất:")[1]
    assert "- Tỷ lệ văn bản đi hoàn toàn điện tử (cấp xã): xã Phong Điền (0,30%)" in lowest
    assert "hài lòng" not in lowest and "Vĩnh Châu" not in lowest and "cả hai cấp" not in text
    assert "Tỷ lệ văn bản đi hoàn toàn điện tử (cấp xã):" in _between(text, "Tổng hợp", "\n\n")
    assert "- Tỷ lệ hồ sơ cấp xã giải quyết đúng hạn: xã Vĩnh Hải (98,46%); phường Ninh Kiều (98,94%)" in lowest


def test_a_province_target_on_e_documents_reaches_the_commune_pages(tmp_path, seed_text):
    from cchc_tools.content.views import UnitBriefing, YearComparison
    from cchc_tools.project import load_project

    plan = ("- id: edocs_commune_plan_2026\n  indicator: edocs_commune_electronic\n  op: \">=\"\n  value: 90\n"
            "  from_year: 2026\n  levels: [commune]\n"
            "  source: Kế hoạch CCHC năm 2026 của UBND thành phố Cần Thơ (kế hoạch mẫu của bộ kiểm thử)\n"
            "  verified: true\n")
    make_communes(tmp_path / "can-tho", seed_text, targets=plan)
    project = load_project(tmp_path / "can-tho", env={})
    c = YearComparison.load(2026, period="Q1", project=project)
    low = c.lowest_units("edocs_commune_electronic", level="commune")
    assert low["unit"].tolist() == ["phong-dien"]  # all five miss the target; the four tied at the top are not lowest
    b = UnitBriefing.load(2026, "phong-dien", period="Q1", project=project)
    verdict = page_text(b.summary_document())
    assert "còn thiếu 89,70 điểm phần trăm" in verdict and "điểm %" not in verdict
    assert "theo Kế hoạch CCHC năm 2026 của UBND thành phố Cần Thơ" in verdict


def test_the_leaders_summary_says_when_the_unit_is_among_the_lowest_of_its_peers(communes):
    from cchc_tools.content.views import UnitBriefing

    weak = page_text(UnitBriefing.load(2026, "phong-dien", period="Q1", project=communes).summary_document())
    assert ("Thuộc nhóm thấp nhất trong các đơn vị cùng cấp, cùng kỳ: tỷ lệ văn bản đi hoàn toàn điện tử (cấp xã) "
            "0,30% (hạng 5/5).") in weak
    best = page_text(UnitBriefing.load(2026, "vinh-chau", period="Q1", project=communes).summary_document())
    assert "Thuộc nhóm thấp nhất" not in best  # above the median on the measure, tied at the top elsewhere


def test_weakest_rules():
    def frame(values, status="no_target", target=float("nan")):
        return pd.DataFrame({"indicator": "plan_completion", "unit": [f"u{k}" for k in range(len(values))],
                             "unit_name": [f"xã {c}" for c in "ABCDEFGH"[: len(values)]], "value": values,
                             "status": status, "target": target, "level": "commune", "year": 2026})

    assert weakest(frame([100.0] * 5), "plan_completion").empty  # all tied: nobody
    assert weakest(frame([0.5] * 5, "below_target", 50.0), "plan_completion").empty  # all tied below a target too
    low = weakest(frame([99.96, 100, 100, 100, 100]), "plan_completion")
    assert low["unit_name"].tolist() == ["xã A"]
    low = weakest(frame([80, 85, 85, 90, 95, 99, 99]), "plan_completion", n=2)
    assert low["unit_name"].tolist() == ["xã A", "xã B", "xã C"]  # the second place is shared: both named
    low = weakest(frame([10.0, 20, 30, 40, 50], "below_target", 90.0), "plan_completion", n=5)
    assert low["value"].tolist() == [10, 20, 30]  # below the target, and never above the median nor the top
    f = frame([90.0, 95, 99])
    f.loc[0, "status"] = "doubtful"
    assert weakest(f, "plan_completion")["unit_name"].tolist() == ["xã B"]  # the doubtful 90 is never ranked
    staff = frame([80.0, 90, 100]).assign(indicator="civil_staff_present", direction="neither")
    assert weakest(staff, "civil_staff_present").empty  # a staffing level is never "lowest"


def test_departments_and_communes_each_rank_by_their_own_measure(tmp_path, seed_text):
    from cchc_tools.content.document import plain_text
    from cchc_tools.content.views import YearComparison
    from cchc_tools.project import load_project

    root = tmp_path / "can-tho"
    make_communes(root, seed_text)
    for slug, name, done in (("so-tai-chinh", "Sở Tài chính", "25"), ("so-noi-vu", "Sở Nội vụ", "20")):
        t = commune_q1_2026(seed_text, name, {DONE: DONE.replace("25", done)})
        t = t.replace(f"Ủy ban nhân dân {name}, thành phố Cần Thơ", f"{name} thành phố Cần Thơ")
        (root / "data" / "raw" / "2026" / slug).mkdir(parents=True)
        (root / "data" / "raw" / "2026" / slug / f"phu-luc-{slug}.txt").write_text(t, encoding="utf-8")
    c = YearComparison.load(2026, period="Q1", project=load_project(root, env={}))
    assert c.levels == ["commune", "department"]
    assert [c.measure(lv) for lv in c.levels] == ["dossiers_commune_on_time", "plan_completion"]
    deps = c.league("department")
    assert deps["rank"].tolist() == [1, 2] and "dossiers_commune_on_time" not in deps
    assert c.league("commune")["rank"].notna().sum() == 4
    said = plain_text(c.summary())
    assert "Sở, ban, ngành: tỷ lệ hoàn thành Kế hoạch CCHC chung 83,33% (tính trên 2 đơn vị)" in said
    assert "thấp nhất: Sở Nội vụ thành phố Cần Thơ (74,07%)" in said


def test_the_workbench_shows_a_commune_only_its_level_and_ranks_by_its_measure(communes):
    import cchc_tools as cc

    ws = cc.open(communes)
    assert not set(ws.assessed["indicator"]) & {s["id"] for s in DISTRICT_ONLY}
    trend = ws.trend("phong-dien")
    assert trend["indicator"].tolist()[:4] == ["dossiers_commune_on_time", "plan_completion", "satisfaction",
                                               "edocs_commune_electronic"]
    assert ws.explorer().indicator.value == "dossiers_commune_on_time"
