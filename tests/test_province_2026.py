"""Issue 24, done when: a Cần Thơ project of communes, wards and departments for Q4 2025 and Q1 2026 (the 2026
province demo) beside the bundled 2022 appendix of thị xã Vĩnh Châu, briefed with `cchc brief --all`, read as a
Sở Nội vụ specialist reads it."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from cchc_tools.analysis.specs import indicator_specs
from cchc_tools.cli import main
from cchc_tools.demo2026 import LOW_EDOCS, PAST_COMMITMENT
from tests.demo2026 import make_project

pytestmark = pytest.mark.slow  # a batch of briefings built once for the module


def _text(path) -> str:
    t = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)).split())


@pytest.fixture(scope="module")
def briefed(tmp_path_factory):
    proj = make_project(tmp_path_factory.mktemp("province"), periods=("2025-Q4", "2026-Q1"), units=6,
                        departments=2, with_2022=True)
    out = proj.root / "outputs"
    assert main(["brief", "--all", "--project", str(proj.root), "--formats", "html", "--jobs", "2", "--quiet"]) == 0
    return proj, out


def test_no_page_says_quy_i_in_lower_case_or_diem_percent(briefed):
    _, out = briefed
    pages = list(out.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        text = _text(page)
        assert not re.search(r"quý (i|ii|iii|iv)\b", text), page
        assert "điểm %" not in text, page


def test_no_commune_page_names_a_district_only_indicator(briefed):
    _, out = briefed
    district_only = [s["name_vi"] for s in indicator_specs() if "commune" not in s["levels"]]
    pages = [p for p in out.glob("2026/*/*.html")] + [p for p in out.glob("2025/*/*.html")]
    communes = [p for p in pages if "Sở " not in _text(p)[:400]]
    assert communes
    for page in communes:
        text = _text(page)
        assert "cả hai cấp" not in text, page
        for name in district_only:
            assert name not in text, (page, name)


def test_the_league_ranks_every_commune_not_questioned_by_an_error(briefed):
    proj, out = briefed
    for csv in out.glob("2026/*/indicators-q1.csv"):
        ind = pd.read_csv(csv)
        if (ind["level"] == "commune").any():
            row = ind[ind["indicator"] == "dossiers_commune_on_time"].iloc[0]
            assert pd.notna(row["rank"]) or row["status"] == "doubtful", csv


def test_the_030_percent_unit_is_in_the_weak_lists_of_the_comparison_and_the_digest(briefed):
    proj, out = briefed
    low = proj.unit(LOW_EDOCS)
    compare = _text(out / "2026" / "compare-q1.html")
    lowest = compare[compare.index("Đơn vị có kết quả thấp nhất"):]
    assert f"{low.name[:1].lower()}{low.name[1:]} (0,30%)" in lowest
    digest = (out / "2026" / "digest-q1.txt").read_text(encoding="utf-8")
    assert "(0,30%)" in digest[digest.index("Đơn vị thấp nhất"):]


def test_a_2026_page_quotes_no_past_commitment_as_future(briefed):
    proj, out = briefed
    unit = proj.unit(PAST_COMMITMENT)
    text = _text(out / "2026" / unit.slug / "briefing-q1.html")
    assert "31/12/2025" in text and "hạn 31/12/2025 đã qua" in text


def test_the_trend_of_a_commune_shows_q1_2026_beside_q4_2025(briefed):
    proj, out = briefed
    unit = next(u for u in proj.units if u.level == "commune" and u.slug != "vinh-chau")
    text = _text(out / "trend" / f"{unit.slug}.html")
    assert "Quý IV năm 2025" in text and "Quý I năm 2026" in text
    assert "So với kỳ trước" in text and "quý I năm 2026 so với quý IV năm 2025" in text


def test_the_letter_about_vinh_chau_2022_names_its_successors(briefed):
    from docx import Document

    _, out = briefed
    letters = list(out.glob("2022/letters-annual/*.docx"))
    assert letters
    text = " ".join(p.text for p in Document(str(letters[0])).paragraphs)
    assert "Vĩnh Châu" in text
    for successor in ("phường Vĩnh Châu", "phường Khánh Hòa", "xã Vĩnh Hải"):
        assert successor in text, successor
    assert "Kính gửi: Ủy ban nhân dân thị xã Vĩnh Châu" not in text  # dissolved on 1/7/2025


MACHINE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b(?:commune|district|department)-20\d\d\b|\b[IVX]+\.[a-z_]+\b")
# English words of the kit's own code and settings (a Vietnamese page names its files, levels and periods in
# Vietnamese); "PDF", "Word", "Excel", "HTML" are the names a Vietnamese office uses too.
ENGLISH = re.compile(r"\b(?:briefing|summary|digest|comparison|trend|formats?|unit|units|level|commune|ward|"
                     r"department|district|province|period|annual|quarter|error|warning|info|finding|none|nan|"
                     r"true|false|null|parameters?|file|output|outputs|project|status|letter|register|"
                     r"consolidated|appendix|rate|value|code)\b", re.I)
CODE_COLUMNS = {"Mã chỉ tiêu", "Mã chỉ số", "Mã quy tắc", "Mã ĐVHC", "Tệp nguồn"}  # ids kept last, for machines


def test_no_machine_words_on_any_page_letter_workbook_or_digest(briefed):
    """Issue 26: snake_case ids, form ids and catalog codes never reach what a reader reads (the hidden code
    column of the appendix and the id columns at the end of a workbook are for machines)."""
    import openpyxl
    from docx import Document
    from openpyxl.utils import get_column_letter

    _, out = briefed
    found = {}
    for path in out.rglob("*"):
        if path.suffix == ".html":
            texts = [_text(path)]
        elif path.suffix == ".docx":
            doc = Document(str(path))
            texts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
        elif path.suffix == ".xlsx":
            texts = []
            for ws in openpyxl.load_workbook(path).worksheets:
                heads = [c.value for c in ws[1]]
                skip = {i for i, h in enumerate(heads) if h in CODE_COLUMNS}
                skip |= {i for i in range(ws.max_column) if ws.column_dimensions[get_column_letter(i + 1)].hidden}
                texts += [str(v) for row in ws.iter_rows(values_only=True) for i, v in enumerate(row)
                          if v is not None and i not in skip]
        elif path.suffix == ".txt":
            texts = [path.read_text(encoding="utf-8")]
        else:
            continue
        for text in texts:
            for word in MACHINE.findall(text) + ENGLISH.findall(text):
                found.setdefault(word, str(path.relative_to(out)))
    assert not found, found


def test_a_unit_s_own_figure_is_the_one_every_page_prints(briefed):
    """Issue 26, one figure one value: where a unit's own rate agrees with its counts only after rounding or
    truncation (95,42% written, 95,43% computed), the comparison, its summary and the digest print the unit's."""
    from cchc_tools.numbers import fmt_percent
    from cchc_tools.pipeline import computed
    from cchc_tools.project import load_project

    proj, out = briefed
    a = computed(load_project(proj.root, env={})).assessed
    a = a[(a["year"] == 2026) & (a["period"] == "Q1") & a["shown"].notna()]
    differ = a[a["shown"].round(2) != a["value"].round(2)]
    assert len(differ)  # the demo has such figures
    pages = _text(out / "2026" / "compare-q1.html") + (out / "2026" / "digest-q1.txt").read_text(encoding="utf-8")
    for r in differ.itertuples():
        name = r.unit_name[:1].lower() + r.unit_name[1:]
        assert f"{name} ({fmt_percent(r.value)})" not in pages, (name, r.indicator)
