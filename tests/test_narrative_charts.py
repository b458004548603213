from __future__ import annotations

import json
from functools import partial

import pytest

from cchc_tools import paths
from cchc_tools.analysis.specs import placeholders
from cchc_tools.catalog import by_code
from cchc_tools.content import charts
from cchc_tools.content.document import Paragraph, Span, Table
from cchc_tools.content.narrative import (
    Facts,
    change_phrase,
    period_phrase,
    plain,
    section_sentences,
)
from cchc_tools.goldens import MARK
from cchc_tools.render.html import render_block


@pytest.fixture(scope="module")
def facts(seed_df) -> Facts:
    from cchc_tools import indicators

    return Facts(seed_df, indicators(seed_df))


@pytest.mark.parametrize(("period", "text"), [("annual", "Năm 2022"), ("Q3", "Quý III năm 2022"),
                                              ("6-month", "6 tháng đầu năm 2022"), ("9-month", "9 tháng năm 2022"),
                                              ("H2", "6 tháng cuối năm 2022"), ("Q1", "Quý I năm 2022")])
def test_period_phrase(period, text):
    assert period_phrase(period, 2022) == text


def test_one_home_for_periods_order_names_files_and_deadlines():
    import datetime as dt

    from cchc_tools.periods import PERIODS, due_date, file_suffix, from_file_suffix, period_order

    assert sorted(PERIODS, key=period_order) == ["Q1", "Q2", "6-month", "Q3", "9-month", "Q4", "H2", "annual"]
    assert all(from_file_suffix("briefing" + file_suffix(p)) == p for p in PERIODS)
    assert file_suffix("H2") == "-h2" and file_suffix("annual") == ""
    assert due_date("Q1", 2026, {"quarter": 15}) == dt.date(2026, 4, 15)
    assert due_date("annual", 2025, {"annual": 31}) == dt.date(2026, 1, 31)
    assert due_date("H2", 2025, {"6-month": 10}) == dt.date(2026, 1, 10) and due_date("Q2", 2026, {}) is None


def test_an_h2_report_is_titled_in_words(seed_text, tmp_path):
    from cchc_tools import load_appendix
    from cchc_tools.content.views import UnitBriefing
    from cchc_tools.project import load_project

    folder = tmp_path / "data" / "2023" / "vinh-chau"
    folder.mkdir(parents=True)
    text = seed_text.replace("HÀNH CHÍNH NĂM 2022", "HÀNH CHÍNH 6 THÁNG CUỐI NĂM 2023").replace(
        "ngày 16 tháng 12 năm 2022", "ngày 16 tháng 12 năm 2023")
    (folder / "h2.txt").write_text(text, encoding="utf-8")
    assert load_appendix(folder / "h2.txt")["period"].iloc[0] == "H2"
    b = UnitBriefing.load(2023, "vinh-chau", tmp_path / "data", "H2", project=load_project(tmp_path, env={}))
    assert b.when == "6 tháng cuối năm 2023" and "Kỳ H2" not in b.key_figures()


def said(section, facts, who="thị xã Vĩnh Châu", when="Năm 2022") -> list[str]:
    return [plain(s) for s in section_sentences(section, facts, who, when)]


def test_section_sentences_from_the_seed(facts):
    who, when = "thị xã Vĩnh Châu", "Năm 2022"
    assert said("I", facts)[0] == (
        "Năm 2022, thị xã Vĩnh Châu hoàn thành 25/27 nhiệm vụ của Kế hoạch CCHC, đạt 92,59%.")
    iii = " ".join(said("III", facts))
    assert "Cấp huyện tiếp nhận 24.407 hồ sơ, đã giải quyết 23.856, trong đó đúng hạn 23.826/23.856 (99,87%)." in iii
    vii = " ".join(said("VII", facts))
    assert "12.425/42.002 văn bản (29,58%)" in vii and "221 dịch vụ công trực tuyến" in vii
    for sec in ["I", "II", "III", "IV", "V", "VI", "VII"]:
        assert section_sentences(sec, facts, who, when), sec


def test_sections_with_no_data_say_so(seed_df):
    empty = Facts(seed_df.assign(value=float("nan")))
    assert section_sentences("III", empty, "x", "Năm 2022") == []


def test_every_code_and_indicator_the_narrative_names_exists():
    from cchc_tools.analysis.specs import indicator_specs
    from cchc_tools.content.charts import CODES_USED

    known, ids = by_code(), {s["id"] for s in indicator_specs()}
    for name in placeholders() | CODES_USED:
        assert (name[1:] in ids) if name.startswith("=") else (name in known), name


def test_doubtful_figure_is_marked_and_attributed(seed_df):
    f = Facts(seed_df, doubt={"V.discipline": ["C2"]})
    v = section_sentences("V", f, "x", "Năm 2022")
    discipline = [s for s in v if "kỷ luật" in plain(s)][0]
    assert plain(discipline) == "Theo số liệu đơn vị báo cáo, xử lý kỷ luật 7 [C2] cán bộ, công chức, viên chức."
    assert Span("7", "C2") in discipline
    plain_facts = [plain(s) for s in section_sentences("V", Facts(seed_df), "x", "Năm 2022")]
    assert "Xử lý kỷ luật 7 cán bộ, công chức, viên chức." in plain_facts


def test_unit_figure_is_quoted_where_it_agrees(seed_df):
    from cchc_tools import indicators

    f = Facts(seed_df, indicators(seed_df), quoted={"dossiers_commune_on_time": "99,60%"})
    assert "trong đó đúng hạn 100.167/100.564 (99,60%)" in " ".join(said("III", f))


def test_blocks_escape_input_text():
    html = render_block(Table.of(["a"], [["<b>"]]))
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "&lt;i&gt;" in render_block(Paragraph.of("<i>x</i>"))


def test_change_phrase():
    assert change_phrase(99.87, 98.67, "năm 2021") == "tăng 1,20 điểm phần trăm so với năm 2021"
    assert change_phrase(90.0, 92.5, "năm 2021") == "giảm 2,50 điểm phần trăm so với năm 2021"
    assert change_phrase(90.0, 90.0, "") == "không đổi"
    assert change_phrase(90.0, None, "năm 2021") == ""


def _texts(chart) -> list[str]:
    fig = chart.figure
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
    return out


def test_charts_have_vietnamese_title_axes_and_source(facts):
    chart = charts.dossiers_chart(facts, "Năm 2022", "Phụ lục X")
    fig = chart.figure
    assert fig._suptitle.get_text() == "Kết quả giải quyết hồ sơ TTHC – Năm 2022"
    assert chart.png().startswith(b"\x89PNG")
    assert 'alt="Kết quả giải quyết hồ sơ TTHC – Năm 2022. Nguồn: Phụ lục X"' in render_block(chart)
    texts = _texts(chart)
    assert "Số hồ sơ" in texts and "Cấp giải quyết" in texts and "Nguồn: Phụ lục X" in texts
    assert charts.SYNTHETIC_BANNER not in texts
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any("." in lab for lab in labels if len(lab) > 4)  # 20.000, Vietnamese grouping


def test_synthetic_charts_carry_the_banner(facts):
    fig = charts.edocs_chart(facts, "Năm 2022", "x", synthetic=True)
    assert charts.SYNTHETIC_BANNER in _texts(fig)


class _TightLayoutAsBefore:
    """``fig.tight_layout(rect=...)``, the way charts were laid out before (a placeholder engine left behind)."""

    def __init__(self, rect):
        self.rect = rect

    def execute(self, fig):
        fig.tight_layout(rect=self.rect)


@pytest.mark.parametrize(("synthetic", "autolayout"), [(False, False), (True, False), (False, True)])
def test_charts_render_in_one_pass_to_the_same_pixels(facts, monkeypatch, synthetic, autolayout):
    """One layout, one draw per PNG: byte for byte the PNG of ``fig.tight_layout`` (which drew twice)."""
    long_source = "Phụ lục kèm theo Báo cáo số 123/BC-UBND ngày 16/12/2022 của UBND thị xã Vĩnh Châu " * 2
    makers = [lambda: charts.dossiers_chart(facts, "Năm 2022", long_source, synthetic),
              lambda: charts.staff_chart(facts, "Năm 2022", "x", synthetic),
              lambda: charts.edocs_chart(facts, "Năm 2022", long_source, synthetic),
              lambda: charts.rates_chart(["Xã A", "Phường B $1$"], [50.0, 99.5], "Tỷ lệ", "y", synthetic),
              lambda: charts.trend_chart({"Tỷ lệ": [("2021", 90.0), ("2022", 95.5)]}, "Diễn biến", "z", synthetic)]
    import matplotlib

    with matplotlib.rc_context({"figure.autolayout": autolayout}):  # a user's rc may ask for automatic layout
        now = [make() for make in makers]
        if not autolayout:
            assert all(c.figure.get_layout_engine() is None for c in now)  # so savefig lays nothing out again
        with monkeypatch.context() as m:
            m.setattr(charts, "TightLayoutEngine", _TightLayoutAsBefore)
            before = [make() for make in makers]
        assert before[0].figure.get_layout_engine() is not None
        assert [c.png() for c in now] == [c.png() for c in before]


@pytest.mark.slow
def test_source_lines_wrap_as_matplotlib_wraps_them(facts):
    """The source line's widths, measured once per process, wrap it where matplotlib wraps it: same PNG bytes,
    first and second time (kept measures), short and long lines, literal dollars, other resolutions."""
    import io

    sources = ["Phụ lục X", "Phụ lục kèm theo Báo cáo số 99/BC-UBND ngày 15/12/2023 của UBND huyện Minh Họa 10 "
               "(tệp data/raw/2023/minh-hoa-10/phu-luc-cchc-2023-minh-hoa-10.txt)", "giá $5 và $6 " * 30,
               "một_từ_rất_dài_không_có_dấu_cách_" * 8]

    def matplotlib_alone(chart):
        line = next(t for t in chart.figure.texts if t.get_wrap())
        del line._get_rendered_text_width, line._get_wrapped_text  # the hooks: matplotlib's own wrap again
        return chart

    for source in sources:
        for synthetic in (False, True):
            ours = [charts.dossiers_chart(facts, "Năm 2022", source, synthetic) for _ in range(2)]
            plain = matplotlib_alone(charts.dossiers_chart(facts, "Năm 2022", source, synthetic))
            assert ours[0].png() == ours[1].png() == plain.png(), source
            wrapped = next(t for t in ours[0].figure.texts if t.get_wrap())._get_wrapped_text()
            assert ("\n" in wrapped) == (source != sources[0])  # the long lines were wrapped indeed
            for dpi in (72, 300):
                a, b = io.BytesIO(), io.BytesIO()
                ours[0].savefig(a, format="png", dpi=dpi)
                plain.savefig(b, format="png", dpi=dpi)
                assert a.getvalue() == b.getvalue(), (source, dpi)
    svg = io.StringIO()
    charts.dossiers_chart(facts, "Năm 2022", sources[1]).savefig(svg, format="svg")  # another renderer: its own
    assert "Minh Họa 10" in svg.getvalue() or "<svg" in svg.getvalue()


def test_source_lines_break_where_matplotlib_breaks_them():
    """``charts._wrapped_text`` finds the break by bisection: on lines of every length, with double spaces, long words
    and empty lines, at several resolutions and widths, the lines are matplotlib's own (``Text._get_wrapped_text``)."""
    import random

    from matplotlib.text import Text

    rng = random.Random(28)
    words = ["Phụ", "lục", "kèm", "theo", "Báo", "cáo", "số", "99/BC-UBND", "ngày", "15/12/2023", "của", "UBND",
             "xã", "Minh", "Họa", "(tệp", "data/raw/2023/minh-hoa-10/phu-luc-cchc-2023-minh-hoa-10.txt)", "", "I",
             "WWWWWWWW", "ỹỹỹ", "$5", "và", "một_từ_rất_dài_không_có_dấu_cách_" * 6]
    checked = 0
    for dpi in (72, 100, 150, 300):
        for width in (3.0, 6.4, 9.0):
            fig, _ = charts.new_figure(figsize=(width, 3))
            for _ in range(15):
                said = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
                said = said if rng.random() < 0.8 else said.replace(" ", "\n", 1)
                line = fig.text(0.01, 0.01, said, fontsize=7.5, wrap=True)
                line._get_rendered_text_width = partial(charts._wrap_width, line)
                fig.dpi = dpi
                line._renderer = charts._measurer(dpi)
                assert charts._wrapped_text(line) == Text._get_wrapped_text(line), (said, dpi, width)
                checked += "\n" in Text._get_wrapped_text(line)
                line.remove()
    assert checked > 50  # most of them were wrapped indeed


def test_chart_without_data_is_none(seed_df):
    assert charts.staff_chart(Facts(seed_df.assign(value=float("nan"))), "Năm 2022", "x") is None


def test_notebooks_store_only_golden_outputs_and_no_machine_paths():
    for nb_path in sorted(paths.notebooks_dir().glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        text = nb_path.read_text(encoding="utf-8")
        assert "/root/" not in text and "/home/" not in text and "/tmp/" not in text, nb_path
        params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1, nb_path.name  # explore.ipynb too: papermill runs it on other data (-p DATA ...)
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and MARK not in "".join(cell["source"]):
                assert cell["outputs"] == [], (nb_path.name, cell["source"])
        golden = [c for c in nb["cells"] if MARK in "".join(c["source"])]
        assert golden and all(c["outputs"] for c in golden), nb_path.name


def test_zero_is_said_in_words_blank_is_left_out(facts, seed_df):
    iv = " ".join(said("IV", facts))
    assert "biên chế công chức được giao 88, có mặt 86; trong kỳ chưa tinh giản biên chế" in iv.lower()
    assert "đã tinh giản 32 người" in iv
    blank = Facts(seed_df.assign(value=seed_df["value"].where(seed_df["code"] != "IV.civil_streamlined")))
    assert "tinh giản biên chế" not in " ".join(said("IV", blank))


def test_unit_names_never_reach_matplotlib_as_markup():
    name = r"Phường $\undefinedcmd$ 1"
    chart = charts.rates_chart([name, "Xã A"], [50.0, 60.0], f"Tỷ lệ – {name}", name)
    assert chart.png().startswith(b"\x89PNG")  # renders: no math text parsed
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert charts.literal(name) in labels


@pytest.mark.parametrize("make", ["dossiers_chart", "edocs_chart", "staff_chart"])
def test_no_text_of_a_chart_overlaps_another(facts, make):
    """Checked on the drawn boxes: the source line (with the synthetic mark), the axis labels, the tick labels and
    the legend never cover one another (the faint watermark across the middle aside)."""
    chart = getattr(charts, make)(facts, "Năm 2022", "Phụ lục CCHC năm 2022 của thị xã Vĩnh Châu, dòng 151-184 "
                                  "(ví dụ một nguồn dài, đủ để xuống dòng trên hình)", synthetic=True)
    if chart is None:
        pytest.skip("no chart for these facts")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = chart.figure
    canvas = FigureCanvasAgg(fig)  # the figure as the PNG draws it
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = []
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        if not t.get_visible() or not str(t.get_text()).strip() or (t.get_alpha() or 1) < 1:
            continue
        boxes.append((t.get_text(), t.get_window_extent(renderer)))
    legend = fig.axes[0].get_legend()
    if legend is not None:
        boxes.append(("legend", legend.get_window_extent(renderer)))
    if legend is not None:  # the legend never covers a bar
        for bar in fig.axes[0].patches:
            box = bar.get_window_extent(renderer)
            if box.width > 1 and box.height > 1:
                assert not legend.get_window_extent(renderer).overlaps(box), ("legend", bar)
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            if a == "legend" and b in {t.get_text() for t in legend.get_texts()}:
                continue
            if b == "legend" and a in {t.get_text() for t in legend.get_texts()}:
                continue
            assert not box_a.overlaps(box_b), (a, b)
