"""One data model, many renderings: the blocks a briefing, a comparison or a trend is made of.

Views (``content.views``) build these blocks from the computed tables; the page (HTML from
jinja2 templates, shown by the notebook), the Word file and the workbook are renderings of the
same blocks, never conversions of one another. In a notebook the blocks show as HTML once the
renderer is registered with IPython (``cchc_tools.render.register_notebook_display()``, the notebook's first
cell); elsewhere they print as plain text. Text in a block is plain text: renderers escape it. Blocks know
nothing of their renderers: ``cchc_tools.render`` reads them, never the other way round.

A figure that a data-quality finding puts in doubt carries that finding's reference
(``doubt``, e.g. ``"L1"``), so every rendering marks it and points to the finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cchc_tools.vocabulary import SYNTHETIC_BANNER, SYNTHETIC_NOTE


@dataclass(frozen=True)
class Span:
    """A piece of a sentence; ``doubt`` names the findings that question it (e.g. ``"L1, C2"``)."""

    text: str
    doubt: str = ""
    strong: bool = False

    @classmethod
    def of(cls, figure, strong: bool = False) -> Span:
        """A figure (``analysis.figures.Figure``) with its markers."""
        return cls(figure.text, figure.doubt, strong)


class Block:
    """Base of every block (shown as HTML in a notebook by the renderer registered with IPython).

    Kinds: heading, paragraph, bullets, cards, table, banner, style, group, and figure
    (``content.charts.Chart``: ``png()`` bytes, ``alt``, ``title``, ``source``).
    """

    kind = "block"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """Plain text where HTML is not shown (a terminal, a text export): what a reader would read."""
        printer.text(plain_text(self))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {plain_text(self)[:60]!r}>"


@dataclass(repr=False)
class Heading(Block):
    text: str
    level: int = 2
    kind = "heading"


@dataclass(repr=False)
class Paragraph(Block):
    """A paragraph of spans; ``style`` is ``body``, ``note`` (small, italic) or ``lead`` (opening summary)."""

    spans: list[Span]
    style: str = "body"
    kind = "paragraph"

    @classmethod
    def of(cls, text: str, style: str = "body") -> Paragraph:
        return cls([Span(text)], style)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(repr=False)
class Bullets(Block):
    """A list; each item is a list of spans."""

    items: list[list[Span]]
    title: str = ""
    kind = "bullets"


@dataclass
class Card:
    value: str
    label: str
    detail: str = ""
    doubt: str = ""

    @classmethod
    def of(cls, figure, label: str, detail: str = "") -> Card:
        return cls(figure.text, label, detail, figure.doubt)


@dataclass(repr=False)
class Cards(Block):
    cards: list[Card]
    notes: list[str] = field(default_factory=list)
    kind = "cards"


@dataclass
class Cell:
    """A table cell: its text as shown, and for numbers the value and how it is formatted.

    ``fmt`` is ``text``, ``count`` (whole numbers, ``#.##0``) or ``percent`` (the value is in
    percent points, 92.59 for 92,59%); workbooks store ``value`` as a number with that format.
    """

    text: str
    value: float | None = None
    fmt: str = "text"
    doubt: str = ""

    @classmethod
    def of(cls, figure, fmt: str = "") -> Cell:
        """A figure (``analysis.figures.Figure``) as a cell: its text, its value, its markers.

        ``fmt`` defaults to ``percent`` for a figure in %, ``count`` for a number, else ``text``."""
        if not fmt:
            fmt = "percent" if figure.uom == "%" else "count" if figure.value is not None else "text"
        return cls(figure.text, None if fmt == "text" else figure.value, fmt, figure.doubt)

    @property
    def numeric(self) -> bool:
        return self.value is not None and not (isinstance(self.value, float) and math.isnan(self.value))


@dataclass(repr=False)
class Table(Block):
    """A table with a header row; ``notes`` are lines shown under it (definitions, sources)."""

    headers: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    caption: str = ""
    wide: bool = False  # needs a landscape page in print
    kind = "table"

    @classmethod
    def of(cls, headers: list[str], rows: list[list[str | Cell]], **kw) -> Table:
        return cls(headers, [[c if isinstance(c, Cell) else Cell(str(c)) for c in r] for r in rows], **kw)


@dataclass(repr=False)
class Banner(Block):
    """The synthetic-data warning, on every page of a briefing built from synthetic data."""

    text: str
    note: str = ""
    kind = "banner"


@dataclass(repr=False)
class Style(Block):
    """The kit's stylesheet, for a notebook's display (exported pages carry it in their head); ``css`` empty:
    the kit's own stylesheet, which the HTML renderer supplies (``render.html.stylesheet``)."""

    css: str = ""
    kind = "style"


@dataclass(repr=False)
class Group(Block):
    """Several blocks shown together (what one notebook cell displays); ``keep``: printed on one page
    when it fits (a short block such as the provenance stamp)."""

    blocks: list[Block]
    keep: bool = False
    kind = "group"

    def __iter__(self):
        return iter(self.blocks)


@dataclass
class Document:
    """A whole briefing: its title, whether it is synthetic, and its blocks in reading order."""

    title: str
    blocks: list[Block]
    synthetic: bool = False
    subtitle: str = ""
    landscape: bool = False

    def flat(self) -> list[Block]:
        """The blocks with groups opened, in order."""
        out: list[Block] = []
        for b in self.blocks:
            out.extend(b.blocks if isinstance(b, Group) else [b])
        return out


def page_head(synthetic: bool) -> list[Block]:
    """The blocks every page of the kit starts with: the stylesheet (for a notebook's display) and, for synthetic
    data, the banner that says so."""
    return [Style()] + ([Banner(SYNTHETIC_BANNER, SYNTHETIC_NOTE)] if synthetic else [])


def plain_text(block) -> str:
    """A block as plain text: headings, sentences (doubt marks as ``[C2]``), tables as tab-separated lines."""
    kind = getattr(block, "kind", "")
    if kind == "group":
        return "\n".join(t for t in (plain_text(b) for b in block.blocks if b is not None) if t)
    if kind == "heading":
        return block.text
    if kind == "paragraph":
        return "".join(s.text + (f" [{s.doubt}]" if s.doubt else "") for s in block.spans)
    if kind == "bullets":
        items = ["- " + "".join(s.text + (f" [{s.doubt}]" if s.doubt else "") for s in item) for item in block.items]
        return "\n".join(([block.title] if block.title else []) + items)
    if kind == "cards":
        return "\n".join(f"{c.label}: {c.value}" + (f" [{c.doubt}]" if c.doubt else "") for c in block.cards)
    if kind == "table":
        rows = ["\t".join(block.headers)] + ["\t".join(c.text + (f" [{c.doubt}]" if c.doubt else "") for c in r)
                                            for r in block.rows]
        return "\n".join(rows + list(block.notes))
    if kind == "banner":
        return f"⚠ {block.text}"
    if kind == "figure":
        return f"[Biểu đồ] {block.alt}"
    return ""
