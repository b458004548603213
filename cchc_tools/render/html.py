"""HTML renderings of the document blocks and pages, from jinja2 templates with autoescaping.

Every template lives in ``render/templates``; nothing in the kit assembles HTML by hand.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import jinja2
from markupsafe import Markup

from cchc_tools.content.document import Block, Document
from cchc_tools.periods import date_vi
from cchc_tools.text import visible
from cchc_tools.vocabulary import SYNTHETIC_BANNER


def _visible(value):
    """What a template prints, without bidi controls or invisible characters (markup stays markup)."""
    return type(value)(visible(value)) if isinstance(value, str) and not value.isascii() else value


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("cchc_tools.render", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined,
                             finalize=_visible)
    env.globals["table_layout"] = table_layout
    env.globals["stylesheet"] = stylesheet  # an empty ``Style`` block: the kit's own stylesheet
    return env


# the print sizes of page.css: a table header's font, a wide table's
TH_PT, WIDE_TH_PT = 10, 8.5


def table_layout(table) -> dict:
    """How a table prints: ``landscape`` (a wide table that does not fit the portrait page) and ``header_em``
    (each header's least width in em, so that no header wraps to more than three lines; 0: none needed)."""
    from cchc_tools.render.layout import LANDSCAPE_TEXT_MM, PORTRAIT_TEXT_MM, PT_MM, header_min_em, needs_landscape

    landscape = needs_landscape(table)
    th_pt = WIDE_TH_PT if table.wide else TH_PT
    budget = (LANDSCAPE_TEXT_MM if landscape else PORTRAIT_TEXT_MM) / PT_MM / th_pt * 0.85
    return {"landscape": landscape, "header_em": header_min_em(table, budget)}


def render_block(block: Block) -> str:
    """One block (or a group of blocks) as an HTML fragment."""
    return environment().get_template("block.html.j2").render(block=block)


def register_notebook_display() -> None:
    """Show every block as its HTML in the running IPython (a notebook, JupyterLab, a kernel of a batch).

    IPython's own registry of formatters, filled explicitly by the notebook's first cell
    (``from cchc_tools.render import register_notebook_display``): the content layer never imports a renderer.
    Outside IPython this does nothing and blocks print as plain text.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel, a dependency
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(Block, render_block)


def render(template: str, **context) -> str:
    """A named template (a page or a fragment) with its context."""
    return environment().get_template(template).render(**context)


def stylesheet() -> str:
    """The kit's CSS, one source for the notebook display, the exported pages and the index."""
    return environment().get_template("style.css").render()


def _css_string(text: str) -> Markup:
    """A CSS string literal (for ``content:``), safe inside a <style> element."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    return Markup(f'"{body}"')


def page_css(produced: date, synthetic: bool, landscape: bool = False) -> str:
    """The kit's block styles and the page styles (screen and print), for one page."""
    page = environment().get_template("page.css").render(
        produced_label=_css_string(f"Ngày lập: {date_vi(produced)}"),
        banner_label=_css_string(SYNTHETIC_BANNER), synthetic=synthetic, landscape=landscape)
    return stylesheet() + "\n" + page


def page_html(body: str, title: str, produced: date | None = None, synthetic: bool = False,
              landscape: bool = False) -> str:
    """A whole page around ``body`` (HTML the kit made): lang vi, ``title`` in the tab, print styles
    (A4, portrait or ``landscape``)."""
    produced = produced or date.today()
    return render("page.html.j2", body=Markup(body), title=title, produced=produced, synthetic=synthetic,
                  css=Markup(page_css(produced, synthetic, landscape)))


def document_html(document: Document, produced: date | None = None) -> str:
    """A Document as a whole page (the same blocks the notebook shows)."""
    body = "".join(render_block(b) for b in document.blocks if b is not None and b.kind != "style")
    return page_html(body, document.title, produced, document.synthetic, document.landscape)
