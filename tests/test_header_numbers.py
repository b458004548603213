from __future__ import annotations

import math

import pytest

from cchc_tools.ingest.header import parse_title, unit_level, unit_slug
from cchc_tools.numbers import fmt_count, fmt_number, fmt_percent, parse_number


@pytest.mark.parametrize(("text", "value"), [
    ("92,59", 92.59), ("24.407", 24407.0), ("1.070", 1070.0), ("100", 100.0), ("0", 0.0),
    ("100.580", 100580.0), ("99,87%", 99.87), (" 1.707 ", 1707.0), ("1.234.567", 1234567.0),
    ("1 070", 1070.0), ("24\u00a0407", 24407.0), ("99,87 %", 99.87), ("-3", -3.0),
])
def test_parse_vietnamese_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["85.27", "1.5", "abc", "", "25/27", "1.0700", "x 12", "1 5", "12 34", "07.283"])
def test_ambiguous_or_non_numbers_are_refused(text):
    assert parse_number(text) is None


def test_formatting():
    assert fmt_percent(23826 / 23856 * 100) == "99,87%"
    assert fmt_count(24407, "hồ sơ") == "24.407 hồ sơ"
    assert fmt_number(1070) == "1.070"
    assert fmt_number(92.5926, 2) == "92,59"
    assert fmt_percent(math.nan) == "—"


@pytest.mark.parametrize(("lines", "expect"), [
    (["PHỤ LỤC", "THỐNG KÊ ... CẢI CÁCH HÀNH CHÍNH QUÝ III NĂM 2023",
      "(Kèm theo Báo cáo số 12/BC-UBND ngày 5 tháng 9 năm 2023 của UBND huyện Trần Đề)"],
     {"period": "Q3", "year": 2023, "unit": "tran-de", "level": "district", "report_no": "12/BC-UBND",
      "report_date": "2023-09-05"}),
    (["THỐNG KÊ ... CẢI CÁCH HÀNH CHÍNH 6 THÁNG ĐẦU NĂM 2024",
      "(Kèm theo Báo cáo số 7/BC-UBND ngày 10 tháng 6 năm 2024 của Ủy ban nhân dân phường 5)"],
     {"period": "6-month", "year": 2024, "unit": "5", "level": "commune"}),
    (["... NĂM 2025", "(Kèm theo Báo cáo số 1/BC-UBND ngày 1 tháng 12 năm 2025 của UBND thành phố Cần Thơ)"],
     {"period": "annual", "year": 2025, "unit": "can-tho", "level": "province"}),
    (["... NĂM 2025", "(Kèm theo Báo cáo số 3/BC-SNV ngày 1 tháng 12 năm 2025 của Sở Nội vụ)"],
     {"unit": "noi-vu", "level": "department", "report_no": "3/BC-SNV"}),
    (["PHỤ LỤC ... NĂM 2023", "(Kèm theo Báo cáo số 245/BC-UBND ngày 16/12/2023 của UBND xã Vĩnh Hải)"],
     {"unit": "vinh-hai", "level": "commune", "report_no": "245/BC-UBND", "report_date": "2023-12-16"}),
])
def test_title_metadata(lines, expect):
    meta = parse_title(lines).as_dict()
    assert {k: meta[k] for k in expect} == expect


def test_unit_helpers():
    assert unit_slug("thị xã Vĩnh Châu") == "vinh-chau"
    assert unit_slug("xã Đại Ân 2") == "dai-an-2"
    assert unit_level("thành phố Sóc Trăng", 2022) == "district"
    assert unit_level("thành phố Sóc Trăng", 2026) == "province"
    assert unit_level("thị trấn Mỹ Xuyên") == "commune"


def test_fast_path_agrees_with_babel_on_random_cells():
    """The direct reading of canonical shapes gives exactly what babel's strict parser gives."""
    import random

    from babel.numbers import format_decimal

    from cchc_tools.numbers import _CANONICAL, parse_with_babel

    rng = random.Random(7)
    cells = []
    for _ in range(3000):
        x = rng.choice([rng.randint(0, 999), rng.randint(1000, 10**9), round(rng.uniform(0, 10**6), rng.randint(1, 4))])
        cells.append(format_decimal(x, locale="vi_VN"))
        cells.append(str(x))  # also the unformatted, possibly dotted, form
    cells += ["".join(rng.choice("0123456789.,") for _ in range(rng.randint(1, 9))) for _ in range(3000)]
    cells += ["07.283", "0.123", "0123", "00", "0,5", "1.234,50", "12.345,", "1.2345"]
    checked = 0
    for cell in cells:
        if _CANONICAL.fullmatch(cell):
            checked += 1
            assert parse_number(cell) == parse_with_babel(cell), cell
    assert checked > 3000


# --- periods ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "period", "year", "cumulative"), [
    ("THỐNG KÊ SỐ LIỆU CCHC QUÝ I NĂM 2023", "Q1", 2023, False),
    ("THỐNG KÊ SỐ LIỆU CCHC QUÝ III/2023", "Q3", 2023, False),
    ("THỐNG KÊ SỐ LIỆU CCHC QUÝ 4 NĂM 2023 (LŨY KẾ TỪ ĐẦU NĂM)", "Q4", 2023, True),
    ("THỐNG KÊ SỐ LIỆU CCHC 6 THÁNG ĐẦU NĂM 2023", "6-month", 2023, False),
    ("THỐNG KÊ SỐ LIỆU CCHC SÁU THÁNG ĐẦU NĂM 2023", "6-month", 2023, False),
    ("THỐNG KÊ SỐ LIỆU CCHC 9 THÁNG NĂM 2023", "9-month", 2023, False),
    ("THỐNG KÊ SỐ LIỆU CCHC 6 THÁNG CUỐI NĂM 2023", "H2", 2023, False),
    ("THỐNG KÊ SỐ LIỆU CCHC NĂM 2023", "annual", 2023, False),
])
def test_period_titles(title, period, year, cumulative):
    meta = parse_title([title, "(Kèm theo Báo cáo số 1/BC-UBND ngày 5 tháng 10 năm 2023 của UBND huyện Trần Đề)"])
    assert (meta.period, meta.year, meta.cumulative) == (period, year, cumulative)


def test_periods_sort_in_calendar_order():
    from cchc_tools.periods import period_order

    shuffled = ["annual", "9-month", "Q1", "H2", "6-month", "Q4", "Q3", "Q2", "?"]
    assert sorted(shuffled, key=period_order) == ["Q1", "Q2", "6-month", "Q3", "9-month", "Q4", "H2", "annual", "?"]


def test_a_cumulative_figure_covers_the_year_to_date():
    from cchc_tools.ingest.header import is_cumulative
    from cchc_tools.periods import coverage

    assert coverage("Q3", True) == "9-month" and coverage("Q3", False) == "Q3"
    assert coverage("Q2", True) == "6-month" and coverage("Q4", True) == "annual"
    assert coverage("Q1", True) == "Q1" and coverage("annual", True) == "annual"
    assert is_cumulative("Tỷ lệ hoàn thành Kế hoạch CCHC năm (Luỹ kế đến thời điểm báo cáo)")
    assert not is_cumulative("Số nhiệm vụ đã hoàn thành")


def test_quarterly_and_half_year_appendices_of_one_unit_sort_in_order(tmp_path, seed_text, seed_df):
    from cchc_tools import load_appendices, load_appendix
    from cchc_tools.analysis.selection import reports
    from tests.form_fixtures import seed_variant, write

    base = "THỐNG KÊ SỐ LIỆU VÀ KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH "
    made = {}
    for name, when, date in (("nam", "NĂM 2023", "15 tháng 12"), ("q1", "QUÝ I NĂM 2023", "15 tháng 3"),
                             ("6t", "6 THÁNG ĐẦU NĂM 2023 (LŨY KẾ)", "15 tháng 6")):
        made[name] = write(tmp_path / "2023" / "vinh-chau" / f"{name}.txt", seed_variant(
            seed_text, seed_df, title=base + when, attach=f"(Kèm theo Báo cáo số 3/BC-UBND ngày {date} năm 2023",
            new_terms=True))
    table = load_appendices(tmp_path).table
    reps = reports(table)
    assert reps["period"].tolist() == ["Q1", "6-month", "annual"]
    assert set(reps["unit_code"]) == {"950"} and set(reps["form"]) == {"district-2023"}
    q1 = load_appendix(made["q1"])
    half = load_appendix(made["6t"])
    # a figure is cumulative when its label says so, or the whole appendix does
    assert q1.loc[q1["code"] == "I.plan_completion_pct", "cumulative"].item()
    assert not q1.loc[q1["code"] == "I.plan_tasks", "cumulative"].item() and half["cumulative"].all()
    one_quarter = reps[(reps["year"] == 2023) & (reps["period"] == "Q1")]
    assert one_quarter["source"].tolist() == [table.loc[table["period"] == "Q1", "source"].iloc[0]]


def test_title_names_the_province_or_the_units_own_cell():
    from cchc_tools.ingest.header import split_province

    meta = parse_title(["... NĂM 2026", "(Kèm theo Báo cáo số 5/BC-UBND ngày 10/12/2026 của UBND xã Vĩnh Hải, "
                                        "thành phố Cần Thơ)"])
    assert (meta.unit_name, meta.province, meta.unit, meta.level) == ("xã Vĩnh Hải", "thành phố Cần Thơ",
                                                                      "vinh-hai", "commune")
    assert split_province("phường 1 (tỉnh Sóc Trăng)") == ("phường 1", "tỉnh Sóc Trăng")
    assert split_province("thành phố Cần Thơ") == ("thành phố Cần Thơ", "")
    blank = ["... NĂM 2026", "(Kèm theo Báo cáo số ……/BC-UBND ngày …… của Ủy ban nhân dân ……… (ghi tên đơn vị))",
             "Tên đơn vị báo cáo:"]
    assert parse_title(blank).unit_name == ""
    filled = parse_title(blank + ["phường Vĩnh Châu"])
    assert (filled.unit_name, filled.level) == ("phường Vĩnh Châu", "commune")
    assert parse_title(["... NĂM 2023", "Tên đơn vị: huyện Trần Đề"]).unit == "tran-de"


def test_fmt_number_writes_what_babel_writes():
    """The direct formatting agrees with babel's vi_VN formatting, on random values and on the edges."""
    import random

    from cchc_tools.numbers import fmt_number_babel

    rng = random.Random(11)
    values = [0.0, -0.0, 0.5, 1.5, 2.5, -0.004, -0.005, 0.125, 99.995, 99.985, 1070.0, 24407.0, 92.5926,
              1e15, 1e300, -1e300, 5e-324, 123456789.125]
    for _ in range(3000):
        k = rng.random()
        if k < 0.3:
            values.append(float(rng.randint(-10**7, 10**7)))
        elif k < 0.6:
            values.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 6)))
        elif k < 0.8:
            values.append(rng.uniform(-1, 1) * 10 ** rng.randint(-12, 20))
        else:
            values.append(rng.randint(0, 100_000) / 8 * rng.choice([1, -1]))
    for v in values:
        for decimals in (None, 0, 1, 2, 4):
            for trim in (False, True):
                d = decimals if decimals is not None else (0 if v.is_integer() else 2)
                assert fmt_number(v, decimals, trim) == fmt_number_babel(v, d, trim), (v, decimals, trim)
