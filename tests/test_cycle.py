"""The reporting cycle: status against the roster, letters, the consolidated appendix, the digest, the index."""

from __future__ import annotations

import os
from datetime import date, datetime

import pandas as pd
import pytest

from cchc_tools.cycle.roster import deadline, period_end, roster
from cchc_tools.numbers import fmt_percent

CAN_THO = [("vinh-hai", "xã Vĩnh Hải", 10), ("phong-dien", "xã Phong Điền", 15), ("cai-khe", "phường Cái Khế", 20)]


def _q1_2026(seed_text: str, name: str, day: int | None) -> str:
    t = seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", "CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2026")
    t = t.replace("ngày 16 tháng 12 năm 2022", f"ngày {day} tháng 4 năm 2026" if day else "ngày …")
    return t.replace("Ủy ban nhân dân thị xã Vĩnh Châu", f"Ủy ban nhân dân {name}, thành phố Cần Thơ")


@pytest.fixture(scope="module")
def can_tho(tmp_path_factory, seed_text):
    """A province project for Cần Thơ (``cchc init``) with three 2026 Q1 commune appendices and one of
    a ward of another province."""
    from cchc_tools.project import init_project

    root = tmp_path_factory.mktemp("project") / "can-tho"
    init_project(root, "Cần Thơ")
    toml = root / "cchc.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("departments = []", 'departments = ["Sở Tài chính"]'),
                    encoding="utf-8")
    raw = root / "data" / "raw"
    for slug, name, day in CAN_THO:
        d = raw / "2026" / slug
        d.mkdir(parents=True)
        f = d / f"phu-luc-cchc-2026-q1-{slug}.txt"
        f.write_text(_q1_2026(seed_text, name, day), encoding="utf-8")
        arrived = datetime(2026, 4, day, 9).timestamp()  # the day the Sở received it, as the file's time
        os.utime(f, (arrived, arrived))
    other = raw / "2026" / "long-xuyen"  # a ward of another province: not on Cần Thơ's roster
    other.mkdir()
    (other / "phu-luc.txt").write_text(_q1_2026(seed_text, "phường Long Xuyên", 12).replace(
        ", thành phố Cần Thơ", ", tỉnh An Giang"), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def can_tho_status(can_tho):
    from cchc_tools.cycle.status import reporting_status
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    project = load_project(can_tho, env={})
    data = computed(project)
    units = roster(project.province, 2026, "Q1", project.reporting.departments)
    due = deadline(2026, "Q1", project.reporting.deadlines)
    return units, reporting_status(data.table, data.errors, data.findings, units, 2026, "Q1", due,
                                   province=project.province, root=project.root)


def test_roster_is_the_provinces_official_communes_at_the_date_then_its_departments():
    from cchc_tools.units import _data

    units = roster("Cần Thơ", 2026, "Q1", ["Sở Tài chính", "SỞ TÀI CHÍNH", "Sở Nội vụ"])
    data = _data()
    official = [c for c, u in data.current.units.items() if u.level == "commune" and u.province_code == "92"]
    communes = [u for u in units if u.level == "commune"]
    assert sorted(u.code for u in communes) == sorted(official) and len(official) == 103
    assert [u.name for u in units if u.level == "department"] == ["Sở Tài chính", "Sở Nội vụ"]  # one name once
    legacy = roster("Sóc Trăng", 2022, "annual")  # before 1/7/2025: districts, Vĩnh Châu among them
    assert {u.level for u in legacy} == {"district"} and "950" in {u.code for u in legacy}
    assert all(u.legacy for u in legacy)


def test_deadline_is_a_day_of_the_month_after_the_period():
    assert period_end(2026, "Q1") == date(2026, 3, 31)
    assert deadline(2026, "Q1", {"quarter": 15}) == date(2026, 4, 15)
    assert deadline(2026, "annual", {"annual": 15}) == date(2027, 1, 15)
    assert deadline(2026, "6-month", {"quarter": 15}) is None  # no deadline set for that kind


def test_status_lists_the_three_received_and_every_other_commune_as_missing(can_tho_status):
    units, status = can_tho_status
    rows = status.rows.set_index("name")
    assert rows.loc["Xã Vĩnh Hải", "state"] == "received" and rows.loc["Xã Phong Điền", "state"] == "received"
    assert rows.loc["Phường Cái Khế", "state"] == "late"  # 20/4 after the deadline of 15/4
    assert rows.loc["Xã Vĩnh Hải", "received_on"] == date(2026, 4, 10)
    assert rows.loc["Xã Vĩnh Hải", "received_from"] == "report_date"
    communes = sum(u.level == "commune" for u in units)
    t = status.totals()
    assert (t["received"], t["late"], t["missing"]) == (2, 1, communes - 3 + 1)  # + the department
    assert t["roster"] == communes + 1 and communes == 103
    extra = status.rows[~status.rows["in_roster"]]
    assert list(extra["state"]) == ["outside"] and "Long Xuyên" in extra["name"].iloc[0]  # An Giang: ngoài địa bàn


def test_status_outputs_and_terminal_table(can_tho_status, tmp_path):
    from openpyxl import load_workbook

    from cchc_tools.cycle.status import status_text, write_status

    _, status = can_tho_status
    text = status_text(status)
    assert "hạn nộp 15/04/2026" in text and "Nộp muộn" in text and "quý I năm 2026" in text
    paths = write_status(status, tmp_path)
    assert [p.name for p in paths] == ["status-q1.html", "status-q1.xlsx"]
    html = paths[0].read_text(encoding="utf-8")
    assert "104 đơn vị phải báo cáo: 3 đã nhận (1 nộp muộn), 101 chưa nộp" in html
    ws = load_workbook(paths[1]).active
    assert ws.max_row == len(status.rows) + 1
    states = [ws.cell(r, 3).value for r in range(2, ws.max_row + 1)]
    sent = [not s.startswith(("Chưa", "Quá hạn")) for s in states]
    assert sent == sorted(sent, reverse=True) and sum(sent) >= 3  # the units that reported first, never scattered


def test_received_on_falls_back_to_the_files_time(tmp_path):
    from cchc_tools.cycle.status import received_on

    f = tmp_path / "x.txt"
    f.write_text("x", encoding="utf-8")
    os.utime(f, (1_776_000_000, 1_776_000_000))  # 2026-04-12
    on, how = received_on(pd.Series({"source": str(f), "report_date": ""}))
    assert how == "file_time" and on == date.fromtimestamp(1_776_000_000)


# -- letters --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled(kit):
    from cchc_tools.pipeline import computed

    return computed(kit)


def _letter_text(doc) -> tuple[str, str]:
    body = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(p.text for t in doc.tables for c in t._cells for p in c.paragraphs)
    return body, cells


def test_letter_on_the_bundled_appendix_speaks_as_an_official(bundled, tmp_path):
    from docx import Document

    from cchc_tools.cycle.letters import build_letter, letters_for

    letters = letters_for(bundled.table, bundled.findings, 2022, "annual", on=date(2026, 12, 2))
    assert len(letters) == 1
    lt = letters[0]
    assert [p.ref for p in lt.explain] == ["L1", "C2", "C3", "C4", "C7"]
    assert [p.ref for p in lt.correct] == ["C1", "C5", "C6"]  # units of measure: a correction, not an explanation
    path = tmp_path / "x.docx"
    build_letter(lt, parent_body="UBND THÀNH PHỐ CẦN THƠ", issuing_body="SỞ NỘI VỤ", place="Cần Thơ",
                 produced=date(2026, 12, 2), basis="Thông tư số 18/2025/TT-BNV", reply_days=10).save(str(path))
    doc = Document(str(path))
    text, cells = _letter_text(doc)
    assert "Mục VII, STT" in text and "9.375 + 1.535 = 10.910" in text and "(46)" in text
    assert "dòng 18" not in text.lower() and "[L1]" not in text and "[C" not in text  # no file line, no ref
    assert "ghi 17%," in text  # the note's percentage as written
    assert "Căn cứ Thông tư số 18/2025/TT-BNV;" in text
    assert "trước ngày 12/12/2026" in text
    # thị xã Vĩnh Châu no longer exists in 2026: the letter goes to its successors and says so
    assert ("Kính gửi: Ủy ban nhân dân phường Vĩnh Châu, phường Khánh Hòa, xã Vĩnh Hải, phường Vĩnh Phước, "
            "xã Lai Hòa.") in text
    assert "Từ ngày 01/7/2025, thị xã Vĩnh Châu đã được sắp xếp thành phường Vĩnh Châu" in text
    assert "I. Các số liệu đề nghị giải trình" in text and "II. Các nội dung đề nghị chỉnh sửa" in text
    for line in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "SỞ NỘI VỤ",
                 "UBND THÀNH PHỐ CẦN THƠ", "Số:", "V/v đề nghị giải trình", "Cần Thơ, ngày …… tháng …… năm 2026",
                 "Nơi nhận:", "- Lưu: VT, CCHC."):
        assert line in cells, line
    assert "GIÁM ĐỐC" not in cells and "……………………………" in cells  # no signer set: dotted blanks, never invented
    s = doc.sections[0]
    mm = lambda v: round(v / 36000)  # noqa: E731  EMU -> mm
    assert (mm(s.page_width), mm(s.page_height)) == (210, 297)
    assert (mm(s.top_margin), mm(s.bottom_margin), mm(s.left_margin), mm(s.right_margin)) == (20, 20, 30, 15)
    assert doc.styles["Normal"].font.name == "Times New Roman"
    signed = build_letter(lt, signer_title="KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC", signer_name="Nguyễn Văn A")
    assert "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" in _letter_text(signed)[1] and "Nguyễn Văn A" in _letter_text(signed)[1]
    before = letters_for(bundled.table, bundled.findings, 2022, "annual", on=date(2025, 3, 1))[0]
    assert before.addressee == "Ủy ban nhân dân thị xã Vĩnh Châu" and not before.successors


def test_letter_wording_is_checked(tmp_path):
    from cchc_tools.cycle.letters import LETTER_SCHEMA, LETTERS_YAML
    from cchc_tools.cycle.wording import WordingError, load_wording

    bad = tmp_path / "letters.yaml"
    text = LETTERS_YAML.read_text(encoding="utf-8")
    bad.write_text(text.replace("hành chính {when}\"", "hành chính {whenn}\"", 1), encoding="utf-8")
    with pytest.raises(WordingError, match=r"letters\.yaml:\d+: entry 'subject', key 'text': unknown placeholder"):
        load_wording(bad, LETTER_SCHEMA)
    assert load_wording(LETTERS_YAML, LETTER_SCHEMA)["recipients"][-1] == "- Lưu: VT, CCHC."


# -- the consolidated appendix ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory, kit):
    from cchc_tools.demo import generate
    from cchc_tools.pipeline import computed

    root = tmp_path_factory.mktemp("demo")
    generate(root, units=12, years=[2023])
    return computed(kit, root)


def test_consolidated_appendix_sums_the_units_not_questioned_and_reads_back(demo, tmp_path):
    from cchc_tools import load_appendix
    from cchc_tools.cycle.appendix import consolidated_appendix, questioned_inputs, write_appendix

    app = consolidated_appendix(demo.table, demo.findings, 2023, "annual", roster_size=14)
    q = questioned_inputs(demo.findings)
    vals = demo.table.drop_duplicates(["source", "code"]).set_index(["source", "code"])["value"]
    sources = demo.table["source"].unique()
    flawed = next(s for s in sources if "minh-hoa-03" in s)
    assert (flawed, "III.dossiers_district_on_time") in q and (flawed, "III.dossiers_district_received") in q

    def total(code):
        return sum(vals[(s, code)] for s in sources if (s, code) not in q and pd.notna(vals[(s, code)]))

    received = total("III.dossiers_district_received")
    assert app.value("III.dossiers_district_received") == received
    assert received < sum(vals[(s, "III.dossiers_district_received")] for s in sources)  # the flawed one left out
    on_time, resolved = total("III.dossiers_district_on_time"), total("III.dossiers_district_resolved")
    rate = app.ratios.set_index("indicator").loc["dossiers_district_on_time"]
    assert rate["value"] == pytest.approx(on_time / resolved * 100) and rate["units"] == 11
    note = app.rows.set_index("code").loc["III.dossiers_district_on_time", "note"]
    assert note == "Tổng hợp từ 11/14 đơn vị; không tính: thành phố Minh Họa 03 (số liệu có lỗi L1)"
    paths = write_appendix(app, tmp_path)
    assert [p.name for p in paths] == ["phu-luc-tong-hop-annual.xlsx", "phu-luc-tong-hop-annual.docx"]
    back = load_appendix(paths[0])
    assert (back["level"].iloc[0], back["year"].iloc[0], back["period"].iloc[0]) == ("province", 2023, "annual")
    got = back.drop_duplicates("code").set_index("code")["value"]
    assert got["III.dossiers_district_received"] == received and got["III.dossiers_district_on_time"] == on_time
    assert got["I.plan_completion_pct"] == pytest.approx(app.value("I.plan_completion_pct"))
    from openpyxl import load_workbook

    wb = load_workbook(paths[0])
    inputs = wb["Số liệu từng đơn vị"]
    counted = sum(1 for r in app.rows.itertuples() if r.kind in ("count", "flag", "category", "percent"))
    assert inputs.max_row == 1 + counted * 12


def test_a_rate_each_unit_reports_itself_adds_up_only_from_its_counts(demo):
    """Satisfaction is weighted by the survey forms behind it (indicators.yaml weight); a rate with no counts
    (communication against plan) is never added up: the range of the units' rates is given."""
    from cchc_tools.cycle.appendix import consolidated_appendix

    app = consolidated_appendix(demo.table, demo.findings, 2023, "annual")
    rows = app.rows.set_index("code")
    t = demo.table[(demo.table["year"] == 2023) & (demo.table["period"] == "annual")]
    v = t.drop_duplicates(["source", "code"]).pivot(index="source", columns="code", values="value")
    both = v[["I.survey_satisfaction_pct", "I.survey_forms"]].dropna()
    expected = (both["I.survey_satisfaction_pct"] * both["I.survey_forms"]).sum() / both["I.survey_forms"].sum()
    assert rows.loc["I.survey_satisfaction_pct", "value"] == pytest.approx(round(expected, 2))
    assert "Bình quân theo số lượng phiếu khảo sát" in rows.loc["I.survey_satisfaction_pct", "note"]
    plan = rows.loc["I.communication_plan_pct"]
    low, high = v["I.communication_plan_pct"].min(), v["I.communication_plan_pct"].max()
    assert pd.isna(plan["value"]) and "không cộng" in plan["note"]
    assert fmt_percent(low) in plan["note"] and fmt_percent(high) in plan["note"]


# -- the digest -------------------------------------------------------------------------------------

def test_digest_of_the_demo_year_fits_and_names_doubt_without_its_figures(demo):
    from cchc_tools.cycle.appendix import consolidated_appendix
    from cchc_tools.cycle.digest import build_digest

    app = consolidated_appendix(demo.table, demo.findings, 2023, "annual")
    dg = build_digest(None, app, demo.assessed, demo.findings)
    assert len(dg.text) <= 2000
    assert "DỮ LIỆU MẪU" in dg.text and "CCHC năm 2023" in dg.text
    assert "- thành phố Minh Họa 03 [L1]" in dg.text
    flawed = demo.assessed[(demo.assessed["unit"] == "minh-hoa-03") & (demo.assessed["status"] == "doubtful")]
    lowest = dg.text.split("Đơn vị thấp nhất:")[1].split("Số liệu cần xem lại")[0]
    for r in flawed.itertuples():  # a doubtful figure is never ranked among the lowest
        assert r.name_vi not in lowest or "Minh Họa 03" not in lowest.split(r.name_vi)[1].split("\n")[0]
    assert "Biên chế" not in lowest  # a staffing level is context, never among the lowest
    assert "chưa đạt mục tiêu ≥ 50% theo Quyết định số 766/QĐ-TTg (chưa đối chiếu văn bản gốc)" in dg.text
    from cchc_tools.analysis.assess import consolidate
    from cchc_tools.numbers import fmt_percent

    shown = consolidate(demo.table[demo.table["year"] == 2023], findings=demo.findings).ratios
    same = build_digest(None, app, demo.assessed, demo.findings, ratios=shown)
    commune = shown[shown["indicator"] == "dossiers_commune_on_time"].iloc[0]
    line = same.text.split("cấp xã giải quyết đúng hạn:")[1].split("\n")[0]  # the comparison's total, not another
    assert line.startswith(f" {fmt_percent(commune['value'])} (") and f"; {int(commune['units'])} đơn vị)" in line
    short = build_digest(None, app, demo.assessed, demo.findings, limit=400)
    assert len(short.text) <= 400 and short.dropped and "Xem chi tiết" in short.text


def test_lowest_units_name_ties():
    from cchc_tools.cycle.digest import _lowest_text, lowest_units

    names = [f"xã {c}" for c in "ABCDEFGHIJKL"]
    values = [90.0, 91.0, 92.0, 93.0, 94.0, 94.0] + [99.0] * 6  # below the median (no target): A to F
    a = pd.DataFrame({"indicator": "x", "unit_name": names, "value": values, "status": "no_target"})
    a.loc[0, "status"] = "doubtful"  # never ranked
    groups = lowest_units(a, "x")
    assert [n for _, ns in groups for n in ns] == ["xã B", "xã C", "xã D", "xã E", "xã F"]
    a.loc[0, "status"] = "no_target"
    groups = lowest_units(a, "x")
    assert groups[-1] == (94.0, ["xã E", "xã F"])  # the fifth place is shared: both named
    assert _lowest_text(groups).endswith("xã E, xã F (cùng 94%)")


# -- the index and the command line ------------------------------------------------------------------

def test_cycle_command_writes_everything_and_the_index_shows_the_period(can_tho, tmp_path):
    from cchc_tools.cli import main

    out = tmp_path / "out"
    assert main(["cycle", "--project", str(can_tho), "--year", "2026", "--period", "Q1", "--out", str(out),
                 "--date", "07/12/2026"]) == 0
    year = out / "2026"
    for name in ("status-q1.html", "status-q1.xlsx", "phu-luc-tong-hop-q1.xlsx", "phu-luc-tong-hop-q1.docx",
                 "digest-q1.txt", "letters-q1/register.xlsx", "letters-q1/cong-van-vinh-hai.docx"):
        assert (year / name).exists(), name
    assert len((year / "digest-q1.txt").read_text(encoding="utf-8")) <= 2001
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Quý I năm 2026" in index and "3/104 đơn vị đã nộp báo cáo (1 nộp muộn), 101 chưa nộp" in index
    assert "hạn nộp 15/04/2026" in index and "1 báo cáo của đơn vị ngoài địa bàn" in index
    assert 'href="2026/phu-luc-tong-hop-q1.docx"' in index and "Chưa nộp báo cáo (101 đơn vị)" in index
    assert 'href="2026/letters-q1/cong-van-vinh-hai.docx"' in index


def test_index_without_cycle_state_is_unchanged():
    from cchc_tools.render.export import IndexEntry, render_index

    html = render_index([IndexEntry("unit", "thị xã Vĩnh Châu", {"html": "2022/vinh-chau/briefing.html"},
                                    slug="vinh-chau", year=2022)])
    assert "Tình hình nộp báo cáo" not in html and "thị xã Vĩnh Châu" in html


