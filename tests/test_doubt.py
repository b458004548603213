"""Doubt travels with the figure: a value a finding questions never reaches any page, in any format, bare.

A demo batch gets error-level inconsistencies planted in two units; every output of ``brief --all``
(HTML text, Word text, PDF text where Chromium exists, Excel cells) is scanned for the questioned
values, and each appearance must carry a finding's reference. Province totals must leave those units
out, equal the sums over the others, and name them.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from cchc_tools.analysis.assess import assess, consolidate
from cchc_tools.analysis.checks import validate
from cchc_tools.analysis.figures import Figure, FigureBook
from cchc_tools.analysis.indicators import indicators
from cchc_tools.content.document import Cell, Span
from cchc_tools.numbers import fmt_number, fmt_percent

pytestmark = pytest.mark.slow  # a batch of briefings built once for the module


PLANTED = {"minh-hoa-01": "commune_on_time", "minh-hoa-02": "edocs"}
# a reference right after the figure (a space, a line break or a closing parenthesis between at most), or
# after the ratio it is the first term of ("136.768/142.886 [L1]": the mark is the ratio's)
_MARK = re.compile(r"^(?:/[\d.,]+%?)?[\s)]{0,3}\[(?:L|C)\d+")


def _plant(data: Path) -> None:
    """Rewrite two units' 2022 appendices with figures that cannot all be true."""
    import random

    from cchc_tools.demo import appendix_text, generate_values, unit_names

    names = dict(unit_names(3))
    for slug, kind in PLANTED.items():
        values = generate_values(random.Random(f"plant-{slug}"), 0.9)
        if kind == "commune_on_time":
            values["III.dossiers_commune_on_time"] = (values["III.dossiers_commune_resolved"] or 0) + 7
        else:
            values["VII.edocs_district_electronic"] = (values["VII.edocs_district_out"] or 0) + 3
        path = data / "2022" / slug / f"phu-luc-cchc-2022-{slug}.txt"
        path.write_text(appendix_text(names[slug], 2022, values), encoding="utf-8")


@pytest.fixture(scope="module")
def planted_batch(tmp_path_factory):
    from cchc_tools.cli import main

    root = tmp_path_factory.mktemp("doubt")
    data, out = root / "demo", root / "out"
    assert main(["demo-data", "--units", "3", "--years", "2021,2022", "--out", str(data)]) == 0
    _plant(data)
    assert main(["brief", "--all", "--data", str(data), "--out", str(out), "--jobs", "2", "--quiet"]) == 0
    from cchc_tools.pipeline import load_data
    from cchc_tools.project import load_project

    table = load_data(load_project(), data).table
    return data, out, table


def _questioned(table: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """Per planted unit: the texts of its questioned percentages and counts (error findings)."""
    findings = validate(table)
    a = assess(table, findings=findings)
    out = {}
    for slug in PLANTED:
        src = table[(table["unit"] == slug) & (table["year"] == 2022)]["source"].iloc[0]
        mine = a[(a["source"] == src) & (a["status"] == "doubtful")]
        pct = sorted({fmt_percent(v) for v in mine["value"] if pd.notna(v)})
        errs = findings[(findings["source"] == src) & (findings["severity"] == "error")]
        codes = {c for cs in errs["codes"] for c in cs.split("; ")}
        rows = table[(table["source"] == src) & table["code"].isin(codes)]
        counts = sorted({fmt_number(v) for v in rows["value"] if pd.notna(v) and v >= 1000})
        assert pct and counts, f"nothing planted for {slug}"
        out[slug] = {"percent": pct, "count": counts, "values": sorted(set(mine["value"].dropna()))}
    return out


def _bare(text: str, figure: str) -> list[str]:
    """The places in ``text`` where ``figure`` stands without a reference after it."""
    bad = []
    # a finding quoting the figure it is about («label» (136.768)) is the reference itself: a PDF's table cells
    # interleave, so its messages cannot always be taken out whole
    for m in re.finditer(r"(?<![\d.,])(?<!» \()" + re.escape(figure) + r"(?![\d]|,\d)", text):
        if not _MARK.match(text[m.end():m.end() + 12]):
            bad.append(text[max(0, m.start() - 60):m.end() + 20].replace("\n", " "))
    return bad


def _html_text(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["style", "script", "img"]):
        tag.decompose()
    return soup.get_text("")


def _docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def _pdf_text(path: Path) -> str:
    # -raw: the text in the order Chromium drew it (the page's own order), so that a table cell is never
    # interleaved with its neighbours' lines, wherever the page breaks fall
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _without_messages(text: str, messages: list[str]) -> str:
    """The text without the findings' own messages: a finding quoting the figures it questions is the
    reference itself (it stands beside its code, in the findings table and the list of points to explain)."""
    text = " ".join(text.split())
    for m in sorted(messages, key=len, reverse=True):
        text = text.replace(" ".join(m.split()), "")
    return text


def test_every_appearance_of_a_questioned_value_carries_its_reference(planted_batch):
    data, out, table = planted_batch
    questioned = _questioned(table)
    messages = list(validate(table)["message_vi"])
    pages = {slug: [out / "2022" / slug, out / "trend"] for slug in PLANTED}
    seen = cells = 0
    for slug, q in questioned.items():
        files = [p for d in pages[slug] for p in sorted(d.glob("*"))
                 if p.is_file() and (p.parent.name == slug or p.stem == slug)]
        files += [out / "2022" / f"compare.{ext}" for ext in ("html", "docx", "pdf", "xlsx")]
        for path in files:
            if path.suffix not in (".html", ".docx", ".pdf") or not path.exists():
                continue
            if path.suffix == ".pdf" and not shutil.which("pdftotext"):
                continue
            text = {".html": _html_text, ".docx": _docx_text, ".pdf": _pdf_text}[path.suffix](path)
            text = _without_messages(text, messages)
            figures = q["percent"] + (q["count"] if path.parent.name == slug else [])
            for fig in figures:
                seen += text.count(fig)
                assert not _bare(text, fig), f"{path.relative_to(out)}: {fig} without its reference: {_bare(text, fig)}"
        for path in [out / "2022" / slug / "briefing.xlsx", out / "2022" / "compare.xlsx",
                     out / "trend" / f"{slug}.xlsx"]:
            cells += _check_workbook(path, q["values"])
    assert seen >= 10 and cells >= 4  # the scan did find the figures it checks


def _check_workbook(path: Path, values: list[float]) -> int:
    """Every percentage cell holding a questioned value carries the comment and the fill; how many there were."""
    import openpyxl

    wb, n = openpyxl.load_workbook(path), 0
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, (int, float)) and c.number_format.endswith("%") \
                        and any(math.isclose(c.value * 100, v, abs_tol=1e-9) for v in values):
                    assert c.comment is not None and "L" in c.comment.text, f"{path.name}!{c.coordinate} bare"
                    assert c.fill.fgColor.rgb.endswith("FFF2CC")
                    n += 1
    return n


def test_province_totals_leave_out_and_name_the_questioned_units(planted_batch):
    data, out, table = planted_batch
    t2022 = table[table["year"] == 2022]
    ind = indicators(t2022)
    cons = consolidate(t2022, ind=ind)
    names = t2022.drop_duplicates("unit").set_index("unit")["unit_name"]
    for ident, slug in (("dossiers_commune_on_time", "minh-hoa-01"), ("edocs_district_electronic", "minh-hoa-02")):
        r = cons.ratios[cons.ratios["indicator"] == ident].iloc[0]
        others = ind[(ind["indicator"] == ident) & (ind["unit"] != slug) & ind["value"].notna()]
        assert r["excluded"] == names[slug] and r["units_excluded"] == 1 and r["units"] == len(others)
        assert r["numerator"] == others["numerator"].sum() and r["denominator"] == others["denominator"].sum()
        assert r["value"] == pytest.approx(others["numerator"].sum() / others["denominator"].sum() * 100)
    counts = cons.totals.set_index("code")
    assert counts.loc["III.dossiers_commune_on_time", "excluded"] == names["minh-hoa-01"]
    page = _html_text(out / "2022" / "compare.html")
    assert f"không tính 1 đơn vị có số liệu cần xem lại: {names['minh-hoa-01']}" in page
    assert f"không tính 1 đơn vị có số liệu cần xem lại: {names['minh-hoa-02']}" in page
    assert not re.search(r"\d,\d%", page)  # one number style: never one decimal


def test_summary_is_at_most_two_pages_and_lists_ties(planted_batch):
    data, out, table = planted_batch
    unit = out / "2022" / "minh-hoa-03"
    assert (unit / "summary.html").exists() and (unit / "summary.docx").exists()
    pdf = unit / "summary.pdf"
    if pdf.exists() and shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 2


def test_a_figure_and_its_blocks_keep_the_markers():
    f = Figure.percent(100.02, ("L1", "C2"), ("L1",))
    assert f.doubt == "L1, C2" and f.doubtful and str(f) == "100,02% [L1, C2]"
    assert Cell.of(f).doubt == "L1, C2" and Cell.of(f).fmt == "percent" and Cell.of(f).value == 100.02
    assert Span.of(f.with_text("100%")).doubt == "L1, C2"
    assert not Figure.count(24407).questioned and Cell.of(Figure.count(24407)).fmt == "count"


def test_figure_book_reads_rows_and_indicators_with_their_findings(seed_df):
    findings = validate(seed_df)
    a = assess(seed_df, findings=findings)
    book = FigureBook(seed_df, findings, a)
    src = seed_df["source"].iloc[0]
    out_182 = book.line(src, 182)  # the L1 denominator: every finding on it
    assert out_182.text == "9.375" and "L1" in out_182.refs and out_182.doubtful
    assert book.indicator(src, "edocs_district_electronic").doubtful
    assert not book.indicator(src, "dossiers_district_on_time").questioned
    assert list(book.questioned("edocs_district_electronic")) == [src]


def test_percentages_have_two_decimals_and_whole_numbers_whole():
    assert [fmt_percent(v) for v in (0.5, 94.3, 99.874, 100, 0, 100.0001)] == \
        ["0,50%", "94,30%", "99,87%", "100%", "0%", "100%"]
