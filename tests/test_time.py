"""Time as data (issue 24): periods named "quý I năm 2026" everywhere, a commitment whose date has passed is never
quoted as still to come, a trend compares each period with the one before it and with the same period a year
earlier, a legacy unit's trend names every unit it was arranged into, "điểm phần trăm" and "toàn thành phố".

Quarterly appendices are the bundled 2022 appendix with another title line, report date and unit, written to
tmp_path (never under data/raw).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cchc_tools import paths
from cchc_tools.content.narrative import change_phrase, commitments, report_end
from cchc_tools.periods import date_vi, period_end, period_in_sentence, previous_period, year_earlier
from tests.form_fixtures import seed_variant, write

COMMUNE = "của Ủy ban nhân dân xã Vĩnh Hải, thành phố Cần Thơ)"
TITLE = "THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH {period}"
ATTACH = "(Kèm theo Báo cáo số 5/BC-UBND ngày {day} tháng {month} năm {year}"
PROMISE = "còn 02 nhiệm vụ sẽ hoàn thành từ nay đến ngày 31/12/2022"
LOWER_NUMERAL = re.compile(r"quý [ivx]+\b")  # "quý i năm 2026": a Roman numeral lowered with its phrase


def _appendix(seed_text, seed_df, period: str, date: tuple[int, int, int], done: int | None = None,
              unit: str = COMMUNE) -> str:
    """The seed as a commune's appendix of ``period`` (its title's words), dated ``date`` (day, month, year);
    ``done``: the plan's completed tasks instead of 25 (of 27), with the rate the unit writes beside it."""
    d, m, y = date
    text = seed_variant(seed_text, seed_df, title=TITLE.format(period=period), attach=ATTACH.format(day=d, month=m,
                        year=y), new_terms=True, level="commune", unit=unit)
    if done is not None:
        rate = f"{done / 27 * 100:.2f}".replace(".", ",")
        assert text.count("\t92,59\tĐã hoàn thành 25/27") == 1 and text.count("Nhiệm vụ\t25\t") == 1
        text = text.replace("\t92,59\tĐã hoàn thành 25/27", f"\t{rate}\tĐã hoàn thành {done}/27")
        text = text.replace("Nhiệm vụ\t25\t", f"Nhiệm vụ\t{done}\t")
    return text


@pytest.fixture
def quarters(tmp_path, seed_text, seed_df):
    """xã Vĩnh Hải: quý I năm 2025 (26/27 tasks), quý IV năm 2025 (24/27) and quý I năm 2026 (25/27)."""
    from cchc_tools import pipeline as computed_mod

    data = tmp_path / "data"
    write(data / "2025/vinh-hai/q1.txt", _appendix(seed_text, seed_df, "QUÝ I NĂM 2025", (10, 4, 2025), 26))
    write(data / "2025/vinh-hai/q4.txt", _appendix(seed_text, seed_df, "QUÝ IV NĂM 2025", (15, 12, 2025), 24))
    write(data / "2026/vinh-hai/q1.txt", _appendix(seed_text, seed_df, "QUÝ I NĂM 2026", (10, 4, 2026)))
    computed_mod._CACHE.clear()
    return data


# --- periods ----------------------------------------------------------------------------------------

def test_the_period_before_a_quarter_a_half_and_a_cumulative_report():
    assert previous_period("Q1", 2026) == ("Q4", 2025)
    assert [previous_period(q, 2026) for q in ("Q2", "Q3", "Q4")] == [("Q1", 2026), ("Q2", 2026), ("Q3", 2026)]
    assert previous_period("H2", 2026) == ("6-month", 2026)
    # from January: the cumulative report before it in the same year, never last year's (that is year_earlier)
    assert previous_period("9-month", 2026) == ("6-month", 2026)
    assert previous_period("annual", 2026) == ("9-month", 2026)
    assert previous_period("6-month", 2026) == ("Q1", 2026)
    # what the unit reported decides between the candidates: a province reporting by halves
    assert previous_period("6-month", 2026, {("H2", 2025), ("annual", 2025)}) == ("H2", 2025)
    assert previous_period("6-month", 2026, {("Q1", 2026), ("H2", 2025)}) == ("Q1", 2026)
    assert previous_period("Q1", 2026, {("annual", 2025), ("Q1", 2025)}) is None  # Q1 follows Q4 only
    assert previous_period("annual", 2022, {("annual", 2021)}) is None  # the year before is year_earlier's
    assert year_earlier("9-month", 2026) == ("9-month", 2025) and year_earlier("Q1", "2026") == ("Q1", 2025)
    assert previous_period("Kỳ X", 2026) is None and previous_period("Q1", None) is None
    assert year_earlier("Q1", float("nan")) is None


def test_period_names_keep_their_roman_numerals_upper_case():
    assert [period_in_sentence(p, 2026) for p in ("Q1", "Q2", "Q3", "Q4")] == [
        "quý I năm 2026", "quý II năm 2026", "quý III năm 2026", "quý IV năm 2026"]
    assert period_in_sentence("annual", 2022) == "năm 2022"
    assert change_phrase(99.87, 98.67, "năm 2021") == "tăng 1,20 điểm phần trăm so với năm 2021"


def test_one_date_formatter_for_every_page_letter_and_message():
    """``dd/mm/yyyy`` from a date, a time, a pandas timestamp or the tidy table's ISO text; nothing known: ""."""
    import pandas as pd

    assert date_vi(dt.date(2026, 3, 5)) == "05/03/2026" == date_vi(dt.datetime(2026, 3, 5, 23, 59))
    assert date_vi(pd.Timestamp("2022-12-16")) == "16/12/2022" == date_vi("2022-12-16")
    assert [date_vi(x) for x in (None, "", " ", float("nan"), pd.NaT)] == [""] * 5


# --- commitments --------------------------------------------------------------------------------------

def test_a_commitment_dated_before_the_period_end_is_past_and_on_or_after_it_is_still_to_come():
    note = f"Đã hoàn thành 25/27 nhiệm vụ, {PROMISE}"
    notes = [(10, note), (11, "Kế hoạch số 02/KH-UBND ngày 19/01/2022"), (12, "")]
    [year_end] = commitments(notes, period_end("annual", 2022))  # due 31/12/2022, period ends 31/12/2022
    assert (year_end.line, year_end.due, year_end.past) == (10, dt.date(2022, 12, 31), False)
    assert year_end.spans()[0].text == f"«{note}» (dòng 10)"
    [quarter] = commitments(notes, period_end("Q1", 2026))
    assert quarter.past and quarter.spans()[0].text == f"«{note}» (dòng 10): hạn 31/12/2022 đã qua"
    [q3_2022] = commitments(notes, period_end("Q3", 2022))  # 30/9/2022: the date is still ahead
    assert not q3_2022.past
    [odd] = commitments([(3, "sẽ hoàn thành trước ngày 31/02/2022")], period_end("Q1", 2026))
    assert odd.due is None and not odd.past  # not a day: quoted as written, never judged
    assert report_end("Q1", 2026) == dt.date(2026, 3, 31) and report_end("Kỳ X", 2026) is None
    assert not commitments([(10, note)], None)[0].past  # no period end: nothing is said to be past


def test_a_2026_briefing_quotes_the_2022_commitment_as_past_and_the_2022_one_as_to_come(quarters):
    from cchc_tools.content.document import plain_text
    from cchc_tools.content.views import UnitBriefing

    q1 = plain_text(UnitBriefing.load(2026, "vinh-hai", quarters, "Q1").commitments())
    assert PROMISE in q1 and "hạn 31/12/2022 đã qua" in q1
    own = plain_text(UnitBriefing.load(2022, "vinh-chau", paths.raw_dir()).commitments())
    assert PROMISE in own and "đã qua" not in own


def test_a_quoted_commitment_whose_note_a_finding_questions_keeps_its_mark(tmp_path, seed_text, seed_df):
    """The note "25/27" beside a count of 29 tasks done: the verdict quotes it with the finding's reference."""
    from cchc_tools import pipeline as computed_mod
    from cchc_tools.content.document import plain_text
    from cchc_tools.content.views import UnitBriefing

    text = _appendix(seed_text, seed_df, "QUÝ I NĂM 2026", (10, 4, 2026))
    write(tmp_path / "data/2026/vinh-hai/q1.txt", text.replace("Nhiệm vụ\t25\t", "Nhiệm vụ\t29\t"))
    computed_mod._CACHE.clear()
    b = UnitBriefing.load(2026, "vinh-hai", tmp_path / "data", "Q1")
    said = plain_text(b.commitments())
    refs = b.book.line(b.report["source"], 10).doubt
    assert refs and PROMISE in said and f"[{refs}]" in said


# --- the trend --------------------------------------------------------------------------------------

def _trend(data: Path, unit: str):
    from cchc_tools.content.views import UnitTrend

    return UnitTrend.load(unit, data)


def test_a_quarter_is_compared_with_the_quarter_before_and_the_same_quarter_a_year_earlier(quarters):
    from cchc_tools.content.document import plain_text

    t = _trend(quarters, "vinh-hai")
    table = t.table()
    assert table.headers == ["Chỉ số", "Quý I năm 2025", "Quý IV năm 2025", "Quý I năm 2026", "So với kỳ trước",
                             "So với cùng kỳ năm trước"]
    plan = next(r for r in table.rows if r[0].text == "Tỷ lệ hoàn thành Kế hoạch CCHC")
    assert [c.text for c in plan[1:4]] == ["96,30%", "88,89%", "92,59%"]
    # plan completion counts from January: quý I năm 2026 is never set against the year-end of 2025
    # the change between the figures the page prints (the unit's own 92,59% and 96,30%), not hidden decimals
    assert plan[4].text == "—" and plan[5].text == "giảm 3,71 điểm phần trăm"
    note = " ".join(table.notes)
    assert "Tỷ lệ hoàn thành Kế hoạch CCHC: tính lũy kế từ đầu năm, nên không so sánh với kỳ trước" in note
    assert "So với kỳ trước: quý I năm 2026 so với quý IV năm 2025" in note
    assert "So với cùng kỳ năm trước: quý I năm 2026 so với quý I năm 2025" in note
    said = plain_text(t.sentences())
    assert ("Tỷ lệ hoàn thành Kế hoạch CCHC quý I năm 2026: 92,59%, giảm 3,71 điểm phần trăm so với quý I năm "
            "2025 (96,30%).") in said
    assert [b.kind for b in t.document().flat()].count("figure") == 1  # one figure of small charts


def test_a_cumulative_report_is_compared_with_the_cumulative_one_before_never_with_a_quarter(tmp_path, seed_text,
                                                                                           seed_df):
    from cchc_tools import pipeline as computed_mod

    data = tmp_path / "data"
    write(data / "2026/vinh-hai/q2.txt", _appendix(seed_text, seed_df, "QUÝ II NĂM 2026", (10, 7, 2026), 20))
    write(data / "2026/vinh-hai/h1.txt", _appendix(seed_text, seed_df, "6 THÁNG ĐẦU NĂM 2026", (10, 7, 2026), 24))
    write(data / "2026/vinh-hai/q3.txt", _appendix(seed_text, seed_df, "QUÝ III NĂM 2026 (LŨY KẾ TỪ ĐẦU NĂM)",
                                                   (10, 10, 2026)))
    computed_mod._CACHE.clear()
    t = _trend(data, "vinh-hai")
    table = t.table()
    assert table.headers[1:4] == ["Quý II năm 2026", "6 tháng đầu năm 2026", "9 tháng năm 2026"]
    plan = next(r for r in table.rows if r[0].text == "Tỷ lệ hoàn thành Kế hoạch CCHC")
    assert plan[4].text == "tăng 3,70 điểm phần trăm"  # 25/27 against the 6 months' 24/27, not the quarter's 20/27
    assert plan[5].text == "—"  # no 9 months of 2025
    note = " ".join(table.notes)
    assert "So với kỳ trước: 9 tháng năm 2026 so với 6 tháng đầu năm 2026" in note
    assert "So với cùng kỳ năm trước: chưa có phụ lục 9 tháng năm 2025 để so sánh" in note


def test_a_unit_with_one_period_gets_one_table_and_no_chart(kit):
    from cchc_tools.content.document import Table
    from cchc_tools.content.views import UnitTrend

    t = UnitTrend.load("vinh-chau", project=kit)
    assert t.chart() is None
    assert t.table().headers == ["Chỉ số", "2022"]  # nothing to compare with: no change columns
    doc = t.document()
    assert "figure" not in [b.kind for b in doc.flat()]
    assert sum(isinstance(b, Table) for b in doc.flat()) == 1


def test_a_legacy_units_trend_names_every_unit_it_was_arranged_into(kit, quarters, seed_text):
    from cchc_tools.content.document import plain_text
    from cchc_tools.content.views import UnitTrend

    header = plain_text(UnitTrend.load("vinh-chau", project=kit).header())
    assert ("Thị xã Vĩnh Châu đã sắp xếp thành phường Vĩnh Châu, phường Khánh Hòa, xã Vĩnh Hải, phường Vĩnh "
            "Phước, xã Lai Hòa") in header
    write(quarters / "2022/vinh-chau/a.txt", seed_text)
    from cchc_tools import pipeline as computed_mod

    computed_mod._CACHE.clear()
    current = _trend(quarters, "vinh-hai")
    assert "đã sắp xếp thành" not in plain_text(current.header())  # a current unit: its predecessors' table
    block = plain_text(current.predecessors_table())
    assert "thị xã Vĩnh Châu (trước sắp xếp)" in block and "không cộng dồn" in block
    assert ("thị xã Vĩnh Châu đã sắp xếp thành phường Vĩnh Châu, phường Khánh Hòa, xã Vĩnh Hải, phường Vĩnh "
            "Phước, xã Lai Hòa") in block  # the district became five units, never this commune alone


# --- words -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("province", "said"), [("Cần Thơ", "Tổng hợp toàn thành phố:"),
                                                 ("Sóc Trăng", "Tổng hợp toàn tỉnh:")])
def test_the_digest_says_the_whole_city_or_the_whole_province(kit, province, said):
    from cchc_tools.cycle.appendix import consolidated_appendix
    from cchc_tools.cycle.digest import build_digest
    from cchc_tools.pipeline import computed

    data = computed(kit)
    app = consolidated_appendix(data.table, data.findings, 2022, "annual")
    text = build_digest(None, app, data.assessed, data.findings, province=province).text
    assert said in text and ("toàn tỉnh" in text) == (province == "Sóc Trăng")


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "img"]):
        tag.decompose()
    return soup.get_text(" ")


def _docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs] + [doc.core_properties.title or ""]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)


def _rendered(view, out: Path, stem: str) -> dict[str, str]:
    """A view's page (HTML text), Word text and Excel cells."""
    from cchc_tools.render import save
    from cchc_tools.render.html import document_html

    written = save(view, out, "docx,xlsx", stem=stem if stem == "trend" else "")
    texts = {"html": _html_text(document_html(view.document()))}
    for p in written:
        if p.suffix == ".docx":
            texts[p.name] = _docx_text(p)
        elif p.suffix == ".xlsx":
            texts[p.name] = _xlsx_text(p)
        elif p.suffix == ".html":
            texts[p.name] = _html_text(p.read_text(encoding="utf-8"))
    assert any(k.endswith(".docx") for k in texts) and any(k.endswith(".xlsx") for k in texts)
    return texts


def test_no_page_writes_a_lowered_numeral_or_diem_percent(kit, quarters, tmp_path):
    from cchc_tools.content.views import UnitBriefing, UnitTrend

    views = {"briefing 2022": UnitBriefing.load(2022, "vinh-chau", project=kit),
             "trend 2022": UnitTrend.load("vinh-chau", project=kit),
             "briefing Q1 2026": UnitBriefing.load(2026, "vinh-hai", quarters, "Q1"),
             "trend Q1 2026": _trend(quarters, "vinh-hai")}
    seen = 0
    for name, view in views.items():
        out = tmp_path / "out" / name.replace(" ", "-")
        for fmt, text in _rendered(view, out, "trend" if name.startswith("trend") else "briefing").items():
            assert "điểm %" not in text, (name, fmt)
            assert not LOWER_NUMERAL.search(text), (name, fmt, LOWER_NUMERAL.search(text).group(0))
            seen += "điểm phần trăm" in text
    assert seen >= 4  # the changes are there, in words
    q1 = _rendered(views["briefing Q1 2026"], tmp_path / "again", "briefing")["html"]
    assert "quý I năm 2026" in q1 and "hạn 31/12/2022 đã qua" in q1


def test_a_figure_an_error_questions_is_no_base_for_a_change(tmp_path, seed_text):
    from cchc_tools import pipeline as computed_mod
    from cchc_tools.content.document import plain_text

    data = tmp_path / "data"
    write(data / "2022/vinh-chau/a.txt", seed_text)
    write(data / "2021/vinh-chau/a.txt", seed_text.replace("CẢI CÁCH HÀNH CHÍNH NĂM 2022", "CẢI CÁCH HÀNH CHÍNH NĂM "
                                                            "2021").replace("tháng 12 năm 2022", "tháng 12 năm 2021"))
    computed_mod._CACHE.clear()
    t = _trend(data, "vinh-chau")
    table = t.table()
    assert table.headers == ["Chỉ số", "2021", "2022", "So với kỳ trước", "So với cùng kỳ năm trước"]
    rows = {r[0].text: r for r in table.rows}
    edocs = rows["Tỷ lệ văn bản đi hoàn toàn điện tử (cấp huyện)"]  # its inputs cannot all be true (L1)
    assert edocs[4].text == "chưa tính (số liệu cần xem lại)" and edocs[3].text == "—"  # no 9 months of 2022
    assert rows["Tỷ lệ hoàn thành Kế hoạch CCHC"][4].text == "không đổi"
    said = plain_text(t.sentences())
    assert "(chưa so sánh với năm 2021 vì số liệu cần xem lại)" in said
    assert "Tỷ lệ hoàn thành Kế hoạch CCHC năm 2022: 92,59%, không đổi so với năm 2021 (92,59%)." in said
    assert "So với kỳ trước: chưa có phụ lục 9 tháng năm 2022 để so sánh" in " ".join(table.notes)
