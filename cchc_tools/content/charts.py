"""matplotlib figures for briefings: Vietnamese titles, labelled axes, a source line.

Figures are returned (and detached from pyplot), so a notebook cell that ends
with one shows it once. Figures built from synthetic data carry a banner.
"""

from __future__ import annotations

import base64
import io
import math
import struct
import zlib
from contextlib import contextmanager
from functools import partial

import matplotlib
import matplotlib.pyplot as plt  # noqa: E402  (after matplotlib, to keep the backend untouched)
import numpy as np
from matplotlib import cbook
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure
from matplotlib.ft2font import RenderMode
from matplotlib.layout_engine import TightLayoutEngine
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from cchc_tools.content.document import Block
from cchc_tools.content.narrative import Facts
from cchc_tools.content.palette import COLORS
from cchc_tools.numbers import fmt_number, fmt_percent
from cchc_tools.vocabulary import SYNTHETIC_BANNER

matplotlib.rcParams["font.family"] = "DejaVu Sans"  # covers Vietnamese


def vn_axis(ax, axis: str = "y", percent: bool = False) -> None:
    """Tick labels of an axis (``"y"`` or ``"x"``) in Vietnamese number format: ``1.000``, ``80%`` with ``percent``
    (whole numbers: a tick needs no decimals)."""
    fmt = FuncFormatter(lambda v, _: (fmt_number(v, 0) + "%") if percent else fmt_number(v, 0))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` for a chart of the kit: the same figure and axes (pyplot's defaults, the rcParams in force),
    on :class:`ChartCanvas`, and never registered with pyplot (a chart is shown as its PNG, once)."""
    fig = Figure(figsize=kwargs.pop("figsize", None))
    ChartCanvas(fig)
    return fig, fig.subplots(nrows, ncols, **kwargs)


# Each Agg renderer keeps its own cache of text measures (``matplotlib.text``), and a figure makes its own
# renderers: every chart measured every tick label, title and legend anew, though most are the same from one unit
# to the next. Charts share renderers here, one per size, resolution and the rcParams that change what a text
# measures (``_WRAP_RC``: an rcParams change is a new renderer, never a stale measure); a few are kept.
_RENDERERS: dict[tuple, RendererAgg] = {}
_KEEP_RENDERERS = 8
_SHARE_PIXELS = 4_000_000  # at most 16 MB of pixels per renderer kept (a briefing's charts at 150 dpi: 0.5-1.8 Mpx)


class ChartCanvas(FigureCanvasAgg):
    """The Agg canvas of the kit's charts: renderers shared by every chart (see ``_RENDERERS``), and a PNG written
    without its alpha channel when the figure is opaque (the same pixels; a smaller file, written faster)."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            rc = tuple(str(matplotlib.rcParams[k]) for k in _WRAP_RC)
            if w * h > _SHARE_PIXELS:  # a tall chart (a league of hundreds of units): its own, freed with it
                self.renderer, self._lastKey = ChartRenderer(w, h, self.figure.dpi, rc), key
                return self.renderer
            shared = _RENDERERS.pop((*key, rc), None) or ChartRenderer(w, h, self.figure.dpi, rc)
            _RENDERERS[(*key, rc)] = shared  # the most recently used last
            while len(_RENDERERS) > _KEEP_RENDERERS:
                del _RENDERERS[next(iter(_RENDERERS))]
            self.renderer, self._lastKey = shared, key
        return self.renderer

    def print_png(self, filename_or_obj, *, metadata=None, pil_kwargs=None, **_kwargs):
        # ``_kwargs``: what ``savefig`` has applied to the figure already (dpi, facecolor...), as Agg ignores it
        from PIL import Image, PngImagePlugin

        # drawn and read at once: the renderer is shared, its pixels are those of the figure drawn last
        FigureCanvasAgg.draw(self)
        rgba = np.asarray(self.get_renderer().buffer_rgba())
        said = {"Software": f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/", **(metadata or {})}
        said = {k: v for k, v in said.items() if v is not None}
        if not pil_kwargs and rgba[..., 3].min() == 255 and _latin1(said):
            png = rgb_png(rgba, self.figure.dpi, said)
            if hasattr(filename_or_obj, "write"):
                filename_or_obj.write(png)
            else:
                with open(filename_or_obj, "wb") as fh:
                    fh.write(png)
            return
        image = Image.fromarray(rgba if rgba[..., 3].min() < 255 else np.ascontiguousarray(rgba[..., :3]))
        kwargs = dict(pil_kwargs or {})
        if "pnginfo" not in kwargs:
            info = PngImagePlugin.PngInfo()
            for k, v in said.items():
                info.add_text(k, v)
            kwargs["pnginfo"] = info
        kwargs.setdefault("dpi", (self.figure.dpi, self.figure.dpi))
        kwargs.setdefault("compress_level", PNG_LEVEL)
        image.save(filename_or_obj, format="png", **kwargs)


def _latin1(texts: dict[str, str]) -> bool:
    """Whether every key and text can go in a PNG ``tEXt`` chunk (Latin-1; PIL writes others as ``iTXt``)."""
    try:
        for k, v in texts.items():
            k.encode("latin-1"), v.encode("latin-1")
    except (UnicodeEncodeError, AttributeError):
        return False
    return True


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def rgb_png(rgba: np.ndarray, dpi: float, texts: dict[str, str]) -> bytes:
    """An opaque picture (Agg's RGBA buffer, every alpha 255) as an 8-bit RGB PNG: its resolution (``pHYs``, as PIL
    writes it), ``texts`` as ``tEXt`` chunks (Latin-1), the rows unfiltered (PNG filter 0) and compressed by zlib at
    ``PNG_LEVEL``. The same pixels as PIL's PNG of the same array; PIL also tries the four other filters on every row,
    which costs twice the compression for a larger file on charts (mostly flat colour)."""
    h, w = rgba.shape[:2]
    raw = np.zeros((h, w * 3 + 1), np.uint8)  # each row: its filter type (0), then its pixels
    np.ndarray((h, w, 3), np.uint8, raw, offset=1, strides=(w * 3 + 1, 3, 1))[...] = rgba[..., :3]
    ppm = int(dpi / 0.0254 + 0.5)  # pixels per metre, rounded as PIL does
    return b"".join([b"\x89PNG\r\n\x1a\n",
                     _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
                     _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
                     *(_chunk(b"tEXt", k.encode("latin-1") + b"\0" + v.encode("latin-1")) for k, v in texts.items()),
                     _chunk(b"IDAT", zlib.compress(raw.data, PNG_LEVEL)),
                     _chunk(b"IEND", b"")])


class ChartRenderer(RendererAgg):
    """Agg's renderer, the glyphs of each text placed once per process: FreeType's layout of a string (about 60 µs
    a character) is kept, keyed by the font object (its file, fallbacks and hinting factor), size, resolution,
    hinting and the text's features and language; every glyph is still drawn by Agg as before. The title, axis
    labels, legend and ticks are mostly the same from one chart to the next. ``rc``: the font settings in force
    when it was made (``_WRAP_RC``), which its measures of texts are kept under."""

    def __init__(self, width, height, dpi, rc: tuple = ()) -> None:
        super().__init__(width, height, dpi)
        self.rc = rc

    def get_text_width_height_descent(self, s, prop, ismath):
        """Agg's measure of a text, kept per process by resolution, font settings, font and text, and shared by every
        renderer: matplotlib keeps its measures per renderer, so a chart of another size, the layout's renderer and
        the one that draws measured the same text again (a source line of 150 characters: 5-10 ms)."""
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        measure = _METRICS.get((self.dpi, self.rc, prop, s))
        if measure is None:
            measure = super().get_text_width_height_descent(s, prop, ismath)
            if len(_METRICS) > 20_000:
                _METRICS.clear()
            _METRICS[self.dpi, self.rc, prop.copy(), s] = measure
        return measure

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        key = (font, size, self.dpi, s, flags, features, language)
        try:
            items = _LAYOUTS.get(key)
        except TypeError:  # features or language given as a list: laid out every time
            key, items = None, None
        if items is None:
            items = tuple(font._layout(s, flags=flags, features=features, language=language))
            if key is not None:
                if len(_LAYOUTS) > 20_000:
                    _LAYOUTS.clear()
                _LAYOUTS[key] = items
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((item.ft_object, size, item.glyph_index, 0, 1, item.x, item.y) for item in items), [])


    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        """Agg's drawing of glyphs (matplotlib 3.11's, pinned), each glyph's picture rendered by FreeType once per
        process: kept by font object, size, resolution, glyph, hinting, antialiasing, rotation and where the glyph
        falls within a pixel (1/64ths), and placed at its whole pixel. FreeType renders a glyph moved by whole pixels
        as the same picture moved, so the pixels are matplotlib's. Rules of math text (``boxes``) as matplotlib."""
        if boxes:
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        flags = get_hinting_flag()
        antialiased = gc.get_antialiased()
        matrices: dict = {}
        for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
            matrix = matrices.get((slant, extend))
            if matrix is None:
                matrix = matrices[slant, extend] = (0x10000 * np.array([[cos, -sin], [sin, cos]])
                                                    @ [[extend, extend * slant], [0, 1]]).round().astype(int)
            # FreeType's y is upwards; 26.6 fixed point
            px, py = round(0x40 * (x + dx * cos - dy * sin)), round(0x40 * (self.height - y + dx * sin + dy * cos))
            key = (font, size, self.dpi, glyph_index, flags, antialiased, matrix.tobytes(), px & 63, py & 63)
            kept = _GLYPHS.get(key)
            if kept is None:
                font.set_size(size, self.dpi)
                font._set_transform(matrix, [px, py])
                bitmap = font._render_glyph(glyph_index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
                buffer = np.array(bitmap.buffer)  # a copy of its own
                if not antialiased:
                    buffer *= 0xff
                if len(_GLYPHS) > 50_000:
                    _GLYPHS.clear()
                kept = _GLYPHS[key] = (buffer, bitmap.left - (px >> 6), bitmap.top - (py >> 6))
            buffer, left, top = kept
            # draw_text_image's y is downwards and the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + (px >> 6),
                                           int(self.height) - (top + (py >> 6)) + buffer.shape[0], 0, gc)


_LAYOUTS: dict = {}
_GLYPHS: dict = {}
_METRICS: dict = {}
PNG_LEVEL = 2  # zlib's effort: of RGB pixels, a file no larger than the RGBA one at the default level, in half the time


class Chart(Block):
    """A finished figure that shows itself in notebooks as one embedded PNG with alternative text.

    The layout is fixed when the chart is built, so it renders in a single pass (the inline
    backend's default ``bbox_inches="tight"`` would draw it again). ``figure`` is the
    matplotlib Figure, for analysts who want to adjust or save it.
    """

    kind = "figure"
    dpi = 150  # print resolution for Word and PDF; the page scales it down

    def __init__(self, figure: Figure, title: str = "", source: str = "") -> None:
        self.figure, self.title, self.source = figure, title, source
        self._png: bytes | None = None

    def png(self) -> bytes:
        """The figure as PNG, rendered once and shared by every rendering."""
        if self._png is None:
            buf = io.BytesIO()
            self.figure.savefig(buf, format="png", dpi=self.dpi)
            self._png = buf.getvalue()
        return self._png

    @property
    def alt(self) -> str:
        """Alternative text: the chart's title and source."""
        return f"{self.title}. Nguồn: {self.source}" if self.source else self.title

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png()).decode("ascii")

    def savefig(self, *args, **kwargs) -> None:
        self.figure.savefig(*args, **kwargs)


def literal(text: str) -> str:
    """Text from an input file, shown as written: matplotlib would read ``$...$`` as math markup."""
    return str(text).replace("$", r"\$")


SOURCE_LINES = 2  # the source line's lines that the bottom 5 % of a chart holds, under the axes and their labels
# The title's band and the source's are fractions of a chart's height (5 %) up to this height, in inches; a taller
# chart (a ranking of a province's 170 units: 78 inches) keeps the bands of a chart of this height, not 4 inches of
# blank page above the title and under the axes.
BANDS_HEIGHT = 6.0


def _band(fig: Figure) -> float:
    """The part of the figure's height that 1 % of a chart's bands stands for: 1 % up to ``BANDS_HEIGHT``, less in
    a taller chart (the same inches)."""
    return 0.01 * min(1.0, BANDS_HEIGHT / fig.get_figheight())


def _bottom(fig: Figure, line: Text) -> float:
    """Where the Axes and their labels may start, as a fraction of the figure's height: 5 % (of a chart up to
    ``BANDS_HEIGHT``), which holds a source line wrapped to two lines; a longer one (a long file name: three lines,
    four...) raises it by its extra lines, so that it never runs over the x axis's label."""
    # wrapped as the PNG draws it, at its resolution (widths do not scale exactly with it: a line that fits at 100 dpi
    # may not at 150), measured by a renderer of one pixel at that resolution (``_wrap_width``'s)
    with cbook._setattr_cm(fig, dpi=Chart.dpi):
        renderer = line._renderer = _measurer(Chart.dpi)  # matplotlib sets it when it draws and wraps the text
        wrapped = line._get_wrapped_text()
        lines = wrapped.count("\n") + 1
        if lines <= SOURCE_LINES:
            return 5 * _band(fig)
        with line._cm_set(text=wrapped):  # as drawn: wrapped
            height = line.get_window_extent(renderer).height
        return 5 * _band(fig) + height * (lines - SOURCE_LINES) / lines / fig.bbox.height


@contextmanager
def _boxes_measured_once(fig: Figure):
    """While a tight layout is computed: each Axes' box with its labels measured once, not twice.

    Given a ``rect``, matplotlib's tight layout (``_tight_layout.get_tight_layout_figure``) runs its
    adjustment twice on the unchanged figure (the second time only to fit the rect), measuring every Axes
    with all its tick labels again: the same boxes, computed anew (about a third of a chart's layout). Here
    each Axes answers the second time from the first, for the same renderer and arguments; nothing is moved
    between the two passes, so the layout and the pixels are the same. The Axes' own method is restored after.
    """
    boxes: dict = {}

    def measured(ax, renderer=None, *args, **kwargs):
        key = (id(ax), id(renderer), args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # an argument that is not a plain value (a list of artists): measured as asked
            return type(ax).get_tightbbox(ax, renderer, *args, **kwargs)
        if key not in boxes:
            boxes[key] = type(ax).get_tightbbox(ax, renderer, *args, **kwargs)
        return boxes[key]

    for ax in fig.axes:
        ax.get_tightbbox = partial(measured, ax)
    try:
        yield
    finally:
        for ax in fig.axes:
            ax.__dict__.pop("get_tightbbox", None)


def finish(fig: Figure, title: str, source: str, synthetic: bool = False) -> Chart:
    """Title, source line and (for synthetic data) the banner; detach from pyplot."""
    band = _band(fig)  # 1 % of a chart's height, the same inches in a taller one
    fig.suptitle(literal(title), fontsize=12, fontweight="bold", **({"y": 1 - 2 * band} if band < 0.01 else {}))
    # the synthetic mark opens the source line rather than sitting beside it: two texts on one baseline overlap
    # as soon as the source wraps to the full width
    said = f"{SYNTHETIC_BANNER}. Nguồn: {source}" if synthetic else f"Nguồn: {source}"
    line = fig.text(0.01, band, literal(said), fontsize=7.5, color="#b00020" if synthetic else "#444", ha="left",
                    va="bottom", wrap=True)
    line._get_rendered_text_width = partial(_wrap_width, line)  # see _wrap_width
    line._get_wrapped_text = partial(_wrapped_text, line)  # see _wrapped_text
    if synthetic:
        fig.text(0.5, 0.5, SYNTHETIC_BANNER, fontsize=20, color="#b00020", alpha=0.25, ha="center",
                 va="center", rotation=20, fontweight="bold")
    # Laid out here, once, as ``fig.tight_layout`` does, but without the placeholder layout engine it leaves
    # on the figure: with it, every ``savefig`` runs a whole extra layout pass before drawing (same pixels).
    with _boxes_measured_once(fig):
        TightLayoutEngine(rect=(0, _bottom(fig, line), 1, 1 - 5 * band)).execute(fig)
    if fig.get_layout_engine() is not None:  # an rc asked for automatic layout: keep this one, as tight_layout does
        fig.set_layout_engine("none")
    plt.close(fig)
    return Chart(fig, title, source)


# matplotlib wraps a text by measuring every prefix of its words, anew for every figure (its measures are cached
# per renderer, and each figure has its own): about 30 ms per chart for a source line, the same line in all three
# charts of a briefing and mostly the same words from one unit to the next. The widths are measured here by one
# renderer per resolution, which keeps its measures (``ChartRenderer``, ``_METRICS``). Same wrap, same pixels; any
# other renderer (PDF, SVG) measures as matplotlib does. Were matplotlib to stop calling the hook, it would wrap
# as before, only slower.
_WRAP_RC = ("text.hinting", "text.kerning_factor",
            *(k for k in matplotlib.rcParams if k.startswith(("font.", "mathtext."))))  # fonts and their metrics
_MEASURERS: dict = {}


def _measurer(dpi: float) -> ChartRenderer:
    """A renderer of one pixel at ``dpi`` for the fonts in force (``_WRAP_RC``), kept: it measures texts only."""
    rc = tuple(str(matplotlib.rcParams[k]) for k in _WRAP_RC)
    if (dpi, rc) not in _MEASURERS:
        _MEASURERS[dpi, rc] = ChartRenderer(1, 1, dpi, rc)
    return _MEASURERS[dpi, rc]


def _wrap_width(text: Text, line: str) -> int:
    """``Text._get_rendered_text_width`` (``ceil`` of the line's width in pixels), measured once per process."""
    renderer = getattr(text, "_renderer", None)
    if type(renderer) not in (RendererAgg, ChartRenderer):
        return Text._get_rendered_text_width(text, line)
    w, _, _ = _measurer(renderer.dpi).get_text_width_height_descent(line, text.get_fontproperties(),
                                                                    ismath=is_math_text(line))
    return math.ceil(w)


def _wrapped_text(text: Text) -> str:
    """``Text._get_wrapped_text``: the same lines, found with a few measures rather than one per word.

    matplotlib breaks each line before the first word whose prefix (the words up to it, joined by spaces) is wider
    than the wrap width, measuring every prefix from two words up: a source line of 150 characters in 25 words asks
    for about 25 measures of ever longer texts (FreeType lays each out afresh: 60 µs a character). A prefix's glyphs
    sit where they sit in any longer prefix (each glyph is placed after the ones before it), so a longer prefix is
    never narrower, and the first too-wide prefix is found by bisection: the same break, five measures. Other
    renderers (PDF, SVG) wrap as matplotlib does."""
    renderer = getattr(text, "_renderer", None)
    if type(renderer) not in (RendererAgg, ChartRenderer) or not text.get_wrap() or text.get_usetex():
        return Text._get_wrapped_text(text)
    width = text._get_wrap_line_width()
    wrapped = []
    for unwrapped in text.get_text().split("\n"):
        words = unwrapped.split(" ")
        while words:
            lo, hi = 2, len(words) + 1  # the first prefix of lo..len(words) words that is too wide; hi: none is
            while lo < hi:
                mid = (lo + hi) // 2
                if text._get_rendered_text_width(" ".join(words[:mid])) > width:
                    hi = mid
                else:
                    lo = mid + 1
            cut = lo - 1  # the words that fit (one at least, as matplotlib keeps a word wider than the line)
            wrapped.append(" ".join(words[:cut]))
            words = words[cut:]
    return "\n".join(wrapped)


def _bar_labels(ax, bars, percent: bool = False, marks: list[str] | None = None) -> None:
    for b, d in zip(bars, marks or [""] * len(bars), strict=True):
        h = b.get_height()
        if not math.isnan(h):
            text = (fmt_percent(h) if percent else fmt_number(h)) + (f"\n[{d}]" if d else "")
            ax.annotate(text, (b.get_x() + b.get_width() / 2, h),
                        ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")


LEVELS = [("district", "Cấp huyện"), ("commune", "Cấp xã")]


def _by_level(f: Facts, pattern: str, kinds: list[tuple[str, str]], ylabel: str, xlabel: str, title: str,
              source: str, synthetic: bool) -> Chart | None:
    """Grouped bars: one group per level, one bar per kind; ``pattern`` names the code by level and kind.

    A bar whose figure a finding questions is hatched, its label carries the reference and the
    caption names it."""
    data = {lv: [f.get(pattern.format(level=lv, kind=k)) for k, _ in kinds] for lv, _ in LEVELS}
    refs = {lv: [", ".join(f.doubt.get(pattern.format(level=lv, kind=k), [])) for k, _ in kinds] for lv, _ in LEVELS}
    marked: dict[str, str] = {}
    levels = [(lv, name) for lv, name in LEVELS if any(v is not None for v in data[lv])]
    if not levels:
        return None
    fig, ax = new_figure(figsize=(8, 4.2))
    x = np.arange(len(levels))
    width = 0.8 / len(kinds)
    for i, (_, kname) in enumerate(kinds):
        vals = [data[lv][i] if data[lv][i] is not None else np.nan for lv, _ in levels]
        bars = ax.bar(x + (i - (len(kinds) - 1) / 2) * width, vals, width, label=kname, color=COLORS[i])
        marks = [refs[lv][i] for lv, _ in levels]
        _bar_labels(ax, bars, marks=marks)
        for b, d, (_, lname) in zip(bars, marks, levels, strict=True):
            if d:
                b.set_hatch("///")
                b.set_edgecolor(DOUBT_COLOR)
                marked[f"{kname} ({lname.lower()})"] = d
    ax.set_xticks(x, [name for _, name in levels])
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    vn_axis(ax)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    note = doubt_note(marked)
    return finish(fig, title, source + (". " + note if note else ""), synthetic)


DOSSIERS = ("III.dossiers_{level}_{kind}",
            [("received", "Tiếp nhận"), ("resolved", "Đã giải quyết"), ("on_time", "Giải quyết đúng hạn")])
EDOCS = ("VII.edocs_{level}_{kind}",
         [("out", "Tổng số văn bản đi"), ("electronic", "Hoàn toàn điện tử"), ("parallel", "Điện tử song song giấy")])
STAFF = [("IV.civil_quota", "IV.civil_present", "Công chức"),
         ("IV.sncl_staff_quota", "IV.sncl_staff_present", "Người làm việc (SNCL)")]
CODES_USED = ({pattern.format(level=lv, kind=k) for pattern, kinds in (DOSSIERS, EDOCS)
               for lv, _ in LEVELS for k, _ in kinds}
              | {c for quota, present, _ in STAFF for c in (quota, present)})


def dossiers_chart(f: Facts, when: str, source: str, synthetic: bool = False) -> Chart | None:
    """Dossiers received, resolved and resolved on time, by level."""
    return _by_level(f, *DOSSIERS, "Số hồ sơ", "Cấp giải quyết",
                     f"Kết quả giải quyết hồ sơ TTHC – {when}", source, synthetic)


def edocs_chart(f: Facts, when: str, source: str, synthetic: bool = False) -> Chart | None:
    """Outgoing documents: all, fully electronic, electronic alongside paper, by level."""
    return _by_level(f, *EDOCS, "Số văn bản", "Cấp hành chính",
                     f"Văn bản đi gửi dưới dạng điện tử – {when}", source, synthetic)


def staff_chart(f: Facts, when: str, source: str, synthetic: bool = False) -> Chart | None:
    """Staff assigned against staff in post."""
    groups = [g for g in STAFF if f.get(g[0]) is not None]
    if not groups:
        return None
    fig, axes = new_figure(1, len(groups), figsize=(8, 3.6), squeeze=False)
    marked: dict[str, str] = {}
    for ax, (quota, present, name) in zip(axes[0], groups, strict=True):
        vals = [f.get(quota), f.get(present)]
        bars = ax.bar(["Được giao", "Có mặt"], [np.nan if v is None else v for v in vals],
                      color=[COLORS[2], COLORS[0]])
        marks = [", ".join(f.doubt.get(c, [])) for c in (quota, present)]
        for b, d, what in zip(bars, marks, ("được giao", "có mặt"), strict=True):
            if d:
                b.set_hatch("///")
                marked[f"{name} {what}"] = d
        _bar_labels(ax, bars, marks=marks)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("Số người")
        vn_axis(ax)
        ax.spines[["top", "right"]].set_visible(False)
    note = doubt_note(marked)
    return finish(fig, f"Biên chế được giao và có mặt – {when}", source + (". " + note if note else ""), synthetic)


DOUBT_COLOR = "#c9a227"  # a bar or point whose figure a finding questions: another colour, hatched, its reference


def doubt_note(marked: dict[str, str], how: str = "cột gạch chéo") -> str:
    """The caption's line for questioned figures: ``Số liệu cần xem lại (...): huyện Minh Họa 03 [L1]``."""
    if not marked:
        return ""
    return f"Số liệu cần xem lại ({how}): " + "; ".join(f"{k} [{v}]" for k, v in marked.items())


BAR_INCHES = 0.45  # a ranking's bar pitch, up to ``BANDS_HEIGHT`` worth of bars
DENSE_BAR_INCHES = 0.25  # the least pitch of a longer ranking: eight-point labels still clear of each other


def rates_chart(names: list[str], values: list[float], title: str, source: str,
                synthetic: bool = False, doubts: list[str] | None = None,
                gap: tuple[int, str] | None = None) -> Chart | None:
    """Horizontal bars of percentages, labelled in Vietnamese format, the first at the top.

    ``doubts``: per bar, the references of the findings that question it (``"L1"``): that bar is
    hatched in another colour, its label carries the reference, and the caption names it.
    ``gap``: ``(k, label)``: a row without a bar after the first ``k`` bars, labelled ``label`` (the units a ranking
    leaves out between its highest and its lowest). Bars are ``BAR_INCHES`` apart, closer (down to
    ``DENSE_BAR_INCHES``) in a chart of more rows than a page of print holds at that pitch."""
    doubts = list(doubts) if doubts is not None else [""] * len(names)
    after, gap_label = gap if gap else (len(names), "")
    rows = [(n, v, d, i < after) for i, (n, v, d) in enumerate(zip(names, values, doubts, strict=True))
            if v is not None and not math.isnan(v)]
    if not rows:
        return None
    rows.reverse()  # the first bar at the top
    below = sum(not top for *_, top in rows)  # bars under the gap
    gapped = bool(gap) and 0 < below < len(rows)
    ys = [k + (1 if gapped and k >= below else 0) for k in range(len(rows))]
    slots = len(rows) + gapped
    pitch = min(BAR_INCHES, max(DENSE_BAR_INCHES, (BANDS_HEIGHT - 1.4) / slots))
    fig, ax = new_figure(figsize=(8, pitch * slots + 1.4))
    labels = [literal(n) + (f" [{d}]" if d else "") for n, _, d, _ in rows]
    bars = ax.barh(ys, [v for _, v, _, _ in rows], color=[DOUBT_COLOR if d else COLORS[0] for _, _, d, _ in rows])
    for b, (_, v, d, _) in zip(bars, rows, strict=True):
        if d:
            b.set_hatch("///")
        ax.annotate(fmt_percent(v) + (f" [{d}]" if d else ""), (b.get_width(), b.get_y() + b.get_height() / 2),
                    va="center", fontsize=8, xytext=(3, 0), textcoords="offset points")
    ticks = ys + ([below] if gapped else [])
    ax.set_yticks(ticks, labels + ([literal(gap_label)] if gapped else []))
    if gapped:
        ax.get_yticklabels()[-1].set(fontstyle="italic", color="#555")
    # above the first bar and under the last, half a bar's room at most: 5 % of 200 bars would be ten bars of blank
    ax.margins(y=min(ax.margins()[1], 0.5 / slots))
    ax.set_xlabel("Tỷ lệ (%)")
    ax.set_xlim(0, max(100.0, max(v for _, v, _, _ in rows)) * 1.2)
    vn_axis(ax, "x", percent=True)
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    note = doubt_note({n: d for n, _, d, _ in reversed(rows) if d})
    return finish(fig, title, source + (". " + note if note else ""), synthetic)


def small_trends(series: dict[str, list[tuple[str, float, str]]], title: str, source: str,
                 synthetic: bool = False) -> Chart | None:
    """One small line chart per indicator: ``{name: [(period label, value, doubt refs), ...]}``.

    A point a finding questions is drawn hollow in another colour with its reference beside it, and
    the caption names it."""
    series = {k: v for k, v in series.items() if any(not math.isnan(x) for _, x, _ in v)}
    if not series:
        return None
    n = len(series)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    fig, axes = new_figure(rows, cols, figsize=(8, 2.3 * rows + 0.8), squeeze=False)
    marked: dict[str, str] = {}
    for ax, (name, pts) in zip(axes.flat, series.items(), strict=False):
        xs = [literal(p) for p, _, _ in pts]
        ys = [v for _, v, _ in pts]
        ax.plot(xs, ys, marker="o", color=COLORS[0])
        for x, y, (p, _, d) in zip(xs, ys, pts, strict=True):
            if d and not math.isnan(y):
                ax.plot([x], [y], marker="o", markersize=9, markerfacecolor="white", markeredgecolor=DOUBT_COLOR,
                        markeredgewidth=2)
                ax.annotate(f"[{d}]", (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7,
                            color="#7a5c00")
                marked[f"{name} {p}"] = d
        for x, y in zip(xs, ys, strict=True):
            if not math.isnan(y):
                ax.annotate(fmt_percent(y), (x, y), xytext=(0, -11), textcoords="offset points", fontsize=7,
                            ha="center")
        ax.set_title(literal(name), fontsize=8.5, wrap=True)
        vn_axis(ax, percent=True)
        ax.tick_params(labelsize=7.5)
        lo, hi = min(y for y in ys if not math.isnan(y)), max(y for y in ys if not math.isnan(y))
        pad = max(2.0, (hi - lo) * 0.3)
        ax.set_ylim(lo - pad, hi + pad)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    note = doubt_note(marked, "điểm rỗng màu vàng")
    return finish(fig, title, source + (". " + note if note else ""), synthetic)


def trend_chart(series: dict[str, list[tuple[str, float]]], title: str, source: str,
                synthetic: bool = False) -> Chart | None:
    """Lines of percentages over periods: ``{name: [(period label, value), ...]}``."""
    series = {k: v for k, v in series.items() if any(not math.isnan(x) for _, x in v)}
    if not series:
        return None
    fig, ax = new_figure(figsize=(8, 5.2))
    palette = plt.get_cmap("tab10").colors
    for i, (name, pts) in enumerate(series.items()):
        ax.plot([literal(p) for p, _ in pts], [v for _, v in pts], marker="o", label=literal(name),
                color=palette[i % len(palette)])
    ax.set_ylabel("Tỷ lệ (%)")
    ax.set_xlabel("Kỳ báo cáo")
    vn_axis(ax, percent=True)
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    return finish(fig, title, source, synthetic)
