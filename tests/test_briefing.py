"""Briefings end to end: papermill run, offline HTML, CSVs, index, failures kept and reported."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from cchc_tools import UnknownUnitError, paths
from cchc_tools.analysis.selection import pick_report
from cchc_tools.batch.runner import (
    BriefingError,
    run_notebook,
    run_tasks,
    trend_task,
    unit_task,
)
from cchc_tools.cli import main
from cchc_tools.content.views import UnitBriefing
from cchc_tools.goldens import MARK
from cchc_tools.project import load_project
from cchc_tools.render.html import render_block
from cchc_tools.site import brief_unit

KIT = load_project(paths.KIT_ROOT)  # the kit's own repository as a project


@pytest.fixture(scope="module")
def briefed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    brief_unit(KIT, 2022, "vinh-chau", out_root=out)
    return out


def test_unit_briefing_outputs(briefed):
    unit = briefed / "2022" / "vinh-chau"
    names = {p.name for p in unit.iterdir()}
    assert {"briefing.html", "briefing.ipynb", "briefing.provenance.json"} <= names
    assert not [n for n in names if ".tmp" in n or n.endswith(".failed.ipynb")]
    index = (briefed / "index.html").read_text(encoding="utf-8")
    assert "2022/vinh-chau/briefing.html" in index and "thị xã Vĩnh Châu" in index


def test_html_is_for_readers_and_offline(briefed):
    html = (briefed / "2022" / "vinh-chau" / "briefing.html").read_text(encoding="utf-8")
    # Vietnamese figures and narrative, in Vietnamese number format
    assert "Năm 2022, thị xã Vĩnh Châu hoàn thành 25/27 nhiệm vụ của Kế hoạch CCHC, đạt 92,59%." in html
    assert "99,87%" in html and "24.407" in html and "Chất lượng số liệu" in html
    # judgement (issue 10): assessment, the unit's own figure, cut-off, notes, honest blank count
    assert "Đánh giá chung" in html and "Đề nghị đơn vị giải trình" in html
    assert "99,60% (đơn vị báo cáo)" in html and "99,61%" not in html
    assert "Số liệu tính đến ngày 16/12/2022" in html and "bỏ trống (chưa báo cáo): 24 " in html
    assert "15.349" in html  # the note of line 85 stands beside its figures
    assert "Theo số liệu đơn vị báo cáo, xử lý kỷ luật" in html
    # no code, no prompts, no scripts, nothing fetched from the internet; images embedded
    assert "UnitBriefing.load" not in html and "b.section(" not in html and MARK not in html
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)=[\"']https?://", html)
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == 3 and all('src="data:image/png;base64,' in i for i in imgs)
    assert 'alt="Kết quả giải quyết hồ sơ TTHC – Năm 2022. Nguồn: Phụ lục' in imgs[0]
    assert "No description has been provided" not in html


def test_briefing_notebook_is_executed_with_string_parameters(briefed):
    nb = nbformat.read(briefed / "2022" / "vinh-chau" / "briefing.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'year = "2022"' in injected[0].source and 'unit = "vinh-chau"' in injected[0].source
    out_dir = str(briefed / "2022" / "vinh-chau")
    assert f"out_dir = {out_dir!r}".replace("'", '"') in injected[0].source
    assert 'formats = "html,docx,pdf,xlsx"' in injected[0].source
    assert nb.metadata.papermill["parameters"]["unit"] == "vinh-chau"


def test_input_text_is_escaped(tmp_path, seed_text):
    folder = tmp_path / "data" / "2022" / "x"
    folder.mkdir(parents=True)
    evil = seed_text.replace("\tKhác\tThủ tục\t0\t", "\tKhác\tThủ tục\t0\t\n\t<img src=x onerror=alert(1)>\tCái\t3\t")
    (folder / "a.txt").write_text(evil, encoding="utf-8")
    b = UnitBriefing.load(2022, "vinh-chau", tmp_path / "data")
    html = render_block(b.quality())
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html


def test_unknown_unit_or_year_lists_what_exists():
    with pytest.raises(UnknownUnitError, match=r"available: vinh-chau: 2022 annual"):
        brief_unit(KIT, 2021, "vinh-chau")
    with pytest.raises(UnknownUnitError, match="no annual appendix for unit 'soc-trang'"):
        brief_unit(KIT, 2022, "soc-trang")


@pytest.mark.parametrize("unit", ["../x", "a/b", "..", "VINH", ""])
def test_unit_slug_can_never_name_a_path(unit, tmp_path):
    with pytest.raises(UnknownUnitError, match="invalid unit"):
        unit_task(KIT, 2022, unit, paths.raw_dir(), tmp_path)


def test_failed_notebook_is_kept_and_reported(tmp_path):
    task = unit_task(KIT, 2022, "khong-co", paths.raw_dir(), tmp_path)
    with pytest.raises(BriefingError) as info:
        run_notebook(task)
    assert "UnknownUnitError" in str(info.value) and info.value.notebook.exists()
    assert info.value.notebook.name == "briefing.failed.ipynb"
    assert not (tmp_path / "2022" / "khong-co" / "briefing.html").exists()


@pytest.mark.parametrize("year", ["../../x", "20222", "2022/.."])
def test_a_year_that_is_not_a_year_is_a_clean_error(year, capsys):
    assert main(["brief", "--year", year, "--unit", "vinh-chau"]) == 2
    assert "invalid year" in capsys.readouterr().err


def test_one_failure_never_stops_the_others(tmp_path):
    tasks = [unit_task(KIT, 2022, "khong-co", paths.raw_dir(), tmp_path),
             trend_task(KIT, "vinh-chau", paths.raw_dir(), tmp_path)]
    outcomes = {o.task.kind: o for o in run_tasks(tasks, jobs=2, progress=False)}
    assert not outcomes["unit"].ok and "khong-co" in outcomes["unit"].error
    assert outcomes["trend"].ok and (tmp_path / "trend" / "vinh-chau.html").exists()


def test_demo_data_never_goes_into_raw():
    with pytest.raises(Exception, match="never goes under"):
        main(["demo-data", "--units", "1", "--out", str(paths.raw_dir() / "demo")])


def test_pick_report_year_as_string(seed_df):
    assert pick_report(seed_df, "2022", "vinh-chau")["unit_name"] == "thị xã Vĩnh Châu"


def test_loaded_folder_is_reused_across_processes_and_rebuilt_on_change(tmp_path, seed_text, monkeypatch):
    from cchc_tools.ingest import snapshot as report
    from cchc_tools.pipeline import load_data

    folder = tmp_path / "data" / "2022" / "x"
    folder.mkdir(parents=True)
    f = folder / "a.txt"
    f.write_text(seed_text, encoding="utf-8")
    first = load_data(KIT, tmp_path / "data")
    report._load_cached.cache_clear()  # as a new process would start

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again although nothing changed")

    monkeypatch.setattr(report, "load_appendices", no_parsing)
    again = load_data(KIT, tmp_path / "data")
    assert again.table["value"].fillna(-1).tolist() == first.table["value"].fillna(-1).tolist()
    assert again.table["line"].tolist() == first.table["line"].tolist()
    monkeypatch.undo()
    f.write_text(seed_text.replace("\t24.407\t", "\t24.408\t"), encoding="utf-8")
    report._load_cached.cache_clear()
    changed = load_data(KIT, tmp_path / "data").table
    assert changed.loc[changed["line"] == 85, "value"].item() == 24408


def test_indicator_rows_looked_up_by_indicator_are_the_rows_a_filter_gives(tmp_path):
    """The indicator tables find each indicator's first row by indicator: the values ``ind[ind.indicator == i]
    .iloc[0]`` gives, and each section's assessed rows as a filter and ``itertuples`` give them, on the bundled
    appendix and on generated units."""
    import pandas as pd

    from cchc_tools.demo import generate

    generate(tmp_path / "demo", units=3, years=[2022, 2023])
    views = [UnitBriefing.load(2022, "vinh-chau")] + [UnitBriefing.load(y, u, tmp_path / "demo")
                                                      for y in (2022, 2023) for u in ("minh-hoa-01", "minh-hoa-03")]
    for b in views:
        assert len(b._ind_first) == b.ind["indicator"].nunique() > 10
        for ident in b.ind["indicator"].unique():
            row = b.ind[b.ind["indicator"] == ident].iloc[0]
            kept = b._ind_first[ident]
            assert kept[2] == row["reason"] and type(kept[2]) is str
            for value, expected in zip(kept[:2], (row["numerator"], row["denominator"]), strict=True):
                assert (pd.isna(value) and pd.isna(expected)) or value == expected
        sections = [a["section"] for rows in b._assessed_by_section.values() for a in rows]
        assert sorted(sections) == sorted(b.assessed["section"]) and len(b._assessed_by_section) > 3
        for section, rows in b._assessed_by_section.items():  # the rows a filter gives, in order, as itertuples
            expected = [t._asdict() for t in b.assessed[b.assessed["section"] == section].itertuples(index=False)]
            assert [a["indicator"] for a in rows] == [a["indicator"] for a in expected]
            # the same values (a missing rank is None rather than pd.NA, a count an int rather than numpy's: the same
            # to ``pd.notna``, ``int`` and the text)
            for a, e in zip(rows, expected, strict=True):
                assert list(a) == list(e)
                assert all((pd.isna(a[k]) and pd.isna(e[k])) or (a[k] == e[k] and str(a[k]) == str(e[k])) for k in a)


def test_the_verdict_names_each_missed_target_with_its_source():
    from cchc_tools.content.document import plain_text
    from cchc_tools.content.views import UnitBriefing

    text = plain_text(UnitBriefing.load(2022, "vinh-chau", project=KIT).verdict())
    assert "tỷ lệ hồ sơ tiếp nhận trực tuyến 0,50% so với mục tiêu 50% theo Quyết định số 766/QĐ-TTg " \
           "(chưa đối chiếu văn bản gốc), còn thiếu 49,50 điểm phần trăm" in text
    assert "1 lỗi và 4 cảnh báo" in text and "3 điểm cần chỉnh sửa theo mẫu" in text
