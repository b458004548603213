"""The charts' canvas: renderers shared between charts, glyph layouts kept, PNG without alpha; the pixels of plain
matplotlib."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from cchc_tools.content import charts
from cchc_tools.content.narrative import Facts


@pytest.fixture(scope="module")
def facts(seed_df) -> Facts:
    from cchc_tools import indicators

    return Facts(seed_df, indicators(seed_df))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def plain_agg(fig, dpi: int = charts.Chart.dpi, **kwargs) -> bytes:
    """The figure as matplotlib's own Agg canvas writes it (a canvas of its own, its own renderers)."""
    own = fig.canvas
    try:
        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, **kwargs)
        return buf.getvalue()
    finally:
        fig.set_canvas(own)


def makers(facts, source: str = "Phụ lục CCHC năm 2022 của thị xã Vĩnh Châu"):
    return [lambda: charts.dossiers_chart(facts, "Năm 2022", source, True),
            lambda: charts.staff_chart(facts, "Năm 2022", source),
            lambda: charts.edocs_chart(facts, "Năm 2022", source),
            lambda: charts.rates_chart(["Xã A", "Phường B $1$"], [50.0, 99.5], "Tỷ lệ", source, doubts=["L1", ""]),
            lambda: charts.small_trends({"Tỷ lệ A": [("2021", 90.0, ""), ("2022", 95.5, "C1")],
                                         "Tỷ lệ B": [("2021", 80.0, ""), ("2022", 82.0, "")]}, "Diễn biến", source),
            lambda: charts.trend_chart({"Tỷ lệ": [("2021", 90.0), ("2022", 95.5)]}, "Diễn biến", source, True)]


def test_every_chart_has_the_pixels_of_matplotlibs_own_canvas(facts):
    """Shared renderers and a PNG without alpha change no pixel: each chart, drawn after the others in the same
    renderers, equals the figure drawn by a fresh Agg canvas; the PNG is RGB (opaque figures), at 150 dpi."""
    made = [make() for make in makers(facts)]
    pngs = [c.png() for c in made]
    again = [make() for make in makers(facts)]  # the same charts drawn again, after all the others, shared renderers
    for chart, png, second in zip(made, pngs, again, strict=True):
        assert isinstance(chart.figure.canvas, charts.ChartCanvas)
        image = Image.open(io.BytesIO(png))
        assert image.mode == "RGB" and round(image.info["dpi"][0]) == charts.Chart.dpi
        assert "Matplotlib" in image.info["Software"]
        assert (pixels(png) == pixels(plain_agg(chart.figure))).all()
        assert second.png() == png
    assert len({p for p in pngs}) == len(pngs)  # six different pictures, not one renderer's last
    assert charts._LAYOUTS  # the second drawing placed its texts' glyphs as the first had: the same pixels


def test_a_text_with_its_own_features_is_laid_out_as_matplotlib_does(facts):
    chart = charts.rates_chart(["Xã A", "Phường B"], [50.0, 99.5], "Tỷ lệ", "nguồn")
    title = chart.figure.texts[0]
    title.set_fontfeatures(["-kern"])  # a list: not a key of the kept layouts, laid out each time
    title.set_language("vi")
    assert (pixels(plain_agg(chart.figure)) == pixels(chart.png())).all()


def test_a_transparent_figure_keeps_its_alpha(facts):
    chart = charts.staff_chart(facts, "Năm 2022", "nguồn")
    buf = io.BytesIO()
    chart.figure.savefig(buf, format="png", transparent=True)
    image = Image.open(io.BytesIO(buf.getvalue()))
    assert image.mode == "RGBA" and np.asarray(image)[..., 3].min() == 0
    assert (pixels(buf.getvalue()) == pixels(plain_agg(chart.figure, 100, transparent=True))).all()


def test_an_rc_change_is_measured_afresh(facts):
    """Text measures live with a renderer; a font setting changed between charts gets a renderer of its own."""
    with matplotlib.rc_context({"font.size": 14}):
        big = charts.rates_chart(["Xã A"], [50.0], "Tỷ lệ", "nguồn")
        assert (pixels(big.png()) == pixels(plain_agg(big.figure))).all()
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        other = charts.rates_chart(["Xã A"], [50.0], "Tỷ lệ", "nguồn")
        assert (pixels(other.png()) == pixels(plain_agg(other.figure))).all()
    plain = charts.rates_chart(["Xã A"], [50.0], "Tỷ lệ", "nguồn")
    assert (pixels(plain.png()) == pixels(plain_agg(plain.figure))).all()
    assert plain.png() != big.png()
    assert len(charts._RENDERERS) <= charts._KEEP_RENDERERS


def test_new_figure_is_pyplots_figure_without_pyplot(facts):
    import matplotlib.pyplot as plt

    fig, ax = charts.new_figure(figsize=(8, 3))
    ref, ref_ax = plt.subplots(figsize=(8, 3))
    try:
        assert all(plt.figure(n) is not fig for n in plt.get_fignums())  # never registered with pyplot
        for a in (ax, ref_ax):
            a.bar(["Được giao", "Có mặt"], [10, 9])
            a.set_title("Biên chế")
        assert (pixels(plain_agg(fig)) == pixels(plain_agg(ref))).all()
    finally:
        plt.close(ref)


def test_a_tall_chart_has_a_renderer_of_its_own():
    """A league of many units is a tall picture: drawn on a renderer freed with it, never kept with the shared."""
    names = [f"Xã {k}" for k in range(120)]
    tall = charts.rates_chart(names, [50.0 + k / 4 for k in range(120)], "Tỷ lệ", "nguồn")
    png = tall.png()
    w, h = tall.figure.get_size_inches() * charts.Chart.dpi
    assert w * h > charts._SHARE_PIXELS
    assert all(r is not tall.figure.canvas.renderer for r in charts._RENDERERS.values())
    assert (pixels(png) == pixels(plain_agg(tall.figure))).all()


def test_the_layout_measured_once_is_matplotlibs_own(facts, monkeypatch):
    """``finish`` measures each Axes once for tight layout's two passes: every chart's Axes sit where matplotlib's
    own tight layout puts them, measured half as often, and keep their method; the pixels are the same."""
    import contextlib

    from matplotlib.axes import Axes

    calls = []
    real = Axes.get_tightbbox

    def counted(self, *args, **kwargs):
        calls.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "get_tightbbox", counted)
    ours, theirs = [], []
    for make in makers(facts):
        calls.clear()
        chart = make()
        ours.append(([ax.get_position().bounds for ax in chart.figure.axes], len(calls), chart.png()))
        assert all("get_tightbbox" not in ax.__dict__ for ax in chart.figure.axes)  # the Axes' own method again
    monkeypatch.setattr(charts, "_boxes_measured_once", lambda fig: contextlib.nullcontext())  # matplotlib's own
    for make in makers(facts):
        calls.clear()
        chart = make()
        theirs.append(([ax.get_position().bounds for ax in chart.figure.axes], len(calls), chart.png()))
    for (where, measured, png), (where_mpl, measured_mpl, png_mpl) in zip(ours, theirs, strict=True):
        assert where == where_mpl
        assert measured * 2 == measured_mpl > 0
        assert (pixels(png) == pixels(png_mpl)).all()


LONG_SOURCE = ("Phụ lục kèm theo Báo cáo số 123/BC-UBND ngày 16/12/2022 của Ủy ban nhân dân phường Vĩnh Châu, "
               "tỉnh Cần Thơ "
               "(tệp /home/so-noi-vu/du-lieu/cai-cach-hanh-chinh/2025/quy-4/phuong-vinh-chau/"
               "phu-luc-cchc-quy-4-2025-phuong-vinh-chau-ban-chinh-thuc.txt). Số liệu cần xem lại (cột gạch chéo): "
               "Đã giải quyết (cấp huyện) [L1]; Giải quyết đúng hạn (cấp huyện) [L1]")


@pytest.mark.parametrize("synthetic", [True, False])
def test_a_long_source_line_never_runs_over_the_axes_labels(facts, synthetic):
    """A source wrapped to three lines or more (a long file name) as the PNG draws it, at 150 dpi: its top stays
    under every Axes with its tick labels and axis label (the bottom 5 % held two lines only: it ran over them)."""
    from matplotlib import cbook
    from matplotlib.backends.backend_agg import RendererAgg

    for make in (charts.dossiers_chart, charts.staff_chart, charts.edocs_chart):
        fig = make(facts, "Năm 2022", LONG_SOURCE, synthetic).figure
        with cbook._setattr_cm(fig, dpi=charts.Chart.dpi):
            renderer = RendererAgg(int(fig.bbox.width), int(fig.bbox.height), fig.dpi)
            source = next(t for t in fig.texts if "Nguồn:" in t.get_text())
            source._renderer = renderer
            wrapped = source._get_wrapped_text()
            with source._cm_set(text=wrapped):
                top = source.get_window_extent(renderer).y1
            lowest = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes)
        assert wrapped.count("\n") >= 2
        assert top < lowest


def test_a_tall_ranking_keeps_the_bands_of_a_chart_of_six_inches():
    """A ranking of 200 units (51 inches): the title, the source and the first and last bars sit as close to the
    edges as in a chart of ``BANDS_HEIGHT`` (not 4.5 inches of blank above the title, ten bars' blank in the axes);
    a chart up to that height keeps matplotlib's fractions."""
    names = [f"Xã {i:03d}" for i in range(200)]
    tall = charts.rates_chart(names, [50 + i / 4 for i in range(200)], "Tỷ lệ", "nguồn").figure
    short = charts.rates_chart(names[:6], [50.0, 60.0, 70.0, 80.0, 90.0, 99.0], "Tỷ lệ", "nguồn").figure
    h = tall.get_figheight()
    title = tall._suptitle
    source = next(t for t in tall.texts if "Nguồn:" in t.get_text())
    assert h > 40 and (1 - title.get_position()[1]) * h == pytest.approx(0.02 * charts.BANDS_HEIGHT)
    assert source.get_position()[1] * h == pytest.approx(0.01 * charts.BANDS_HEIGHT)
    assert (1 - tall.axes[0].get_position().y1) * h < 1.0  # the axes start within an inch of the top
    low, high = tall.axes[0].get_ylim()
    assert -0.4 - low <= 0.5 + 1e-9 and high - 199.4 <= 0.5 + 1e-9  # half a bar's room at each end
    assert short.get_figheight() <= charts.BANDS_HEIGHT
    assert short._suptitle.get_position()[1] == pytest.approx(0.98)
    assert next(t for t in short.texts if "Nguồn:" in t.get_text()).get_position()[1] == 0.01
    assert short.axes[0].margins()[1] == pytest.approx(0.05)


def test_rgb_png_has_the_pixels_resolution_and_texts_pil_reads():
    """The kit's own PNG of an opaque picture: PIL reads back the same pixels (noise, flat colour, odd sizes), the
    resolution and the texts."""
    rng = np.random.default_rng(7)
    for h, w in ((1, 1), (3, 5), (37, 61)):
        rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        rgba[..., 3] = 255
        rgba[: h // 2, : w // 2, :3] = 200  # a flat block, as charts mostly are
        image = Image.open(io.BytesIO(charts.rgb_png(rgba, 150, {"Software": "kit", "Title": "Tỉnh"[:1]})))
        assert image.mode == "RGB" and image.size == (w, h)
        assert (np.asarray(image) == rgba[..., :3]).all()
        assert round(image.info["dpi"][0]) == 150 and image.info["Software"] == "kit" and image.info["Title"] == "T"


def test_a_chart_saved_to_a_file_or_with_texts_pil_must_write(facts, tmp_path):
    """A path or a file object, and metadata that is not Latin-1 (PIL writes it as iTXt): the same pixels."""
    chart = charts.staff_chart(facts, "Năm 2022", "nguồn")
    chart.figure.savefig(tmp_path / "a.png", dpi=charts.Chart.dpi)
    buf = io.BytesIO()
    chart.figure.savefig(buf, format="png", dpi=charts.Chart.dpi, metadata={"Title": "Biên chế"})
    assert Image.open(io.BytesIO(buf.getvalue())).info["Title"] == "Biên chế"
    assert (pixels((tmp_path / "a.png").read_bytes()) == pixels(chart.png())).all()
    assert (pixels(buf.getvalue()) == pixels(chart.png())).all()


def test_glyphs_rendered_once_are_placed_as_freetype_renders_them():
    """Texts at many places within a pixel, rotated, and without antialiasing, drawn twice on the shared renderers
    (the second time from the kept glyph pictures, moved by whole pixels): matplotlib's own pixels both times."""
    def figure(shift: float):
        fig, ax = charts.new_figure(figsize=(4, 3))
        ax.set_axis_off()
        pixel = 1 / (4 * charts.Chart.dpi)
        for row, rotation in enumerate((0, 0, 20, 90)):  # in a row, the same glyphs a quarter of a pixel apart
            for col in range(6):
                fig.text(0.05 + col * (0.15 + 0.25 * pixel) + shift, 0.1 + row * 0.22, "Hồ sơ 1.070",
                         rotation=rotation, antialiased=(row, col) != (1, 3), fontsize=7)
        return fig

    charts._GLYPHS.clear()
    first = [figure(0.0), figure(0.0), figure(2 / (4 * charts.Chart.dpi))]  # the last: two whole pixels to the right
    pngs = []
    for fig in first:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=charts.Chart.dpi)
        pngs.append(buf.getvalue())
        assert (pixels(buf.getvalue()) == pixels(plain_agg(fig))).all()
    assert charts._GLYPHS and pngs[0] == pngs[1] != pngs[2]
    assert (pixels(pngs[2])[:, 2:] == pixels(pngs[0])[:, :-2]).all()


def test_a_text_is_measured_once_for_every_renderer_of_its_resolution(monkeypatch):
    """Renderers of other sizes at the same resolution and font settings share measures (Agg measures once); another
    resolution or font setting is measured afresh; every measure is plain Agg's."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    calls = []
    real = RendererAgg.get_text_width_height_descent

    def counted(self, s, prop, ismath):
        calls.append((self.dpi, s))
        return real(self, s, prop, ismath)

    monkeypatch.setattr(RendererAgg, "get_text_width_height_descent", counted)
    prop, text = FontProperties(size=8), "Xã Vĩnh Hải 1.070 đo một lần"
    rc = ("a",)
    measures = [charts.ChartRenderer(w, h, dpi, r).get_text_width_height_descent(text, prop, False)
                for w, h, dpi, r in ((10, 10, 150, rc), (300, 20, 150, rc), (10, 10, 100, rc), (10, 10, 150, ("b",)))]
    assert calls == [(150, text), (100, text), (150, text)]
    assert measures[0] == measures[1] == measures[3] == real(RendererAgg(5, 5, 150), text, prop, False)
    assert measures[2] == real(RendererAgg(5, 5, 100), text, prop, False) != measures[0]
