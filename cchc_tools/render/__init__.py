"""Renderers of the content: the reader's HTML (jinja2 templates), Word, Excel and PDF; the one place that writes
a document.

``save(view, out_dir, formats)`` writes a view's files (``publish.py``); ``register_notebook_display()`` shows
the blocks as HTML in a notebook (``html.py``); the output formats are registered in ``formats.py``. The names
are imported when first used (PEP 562): importing a renderer does not import the others.
"""

from __future__ import annotations

from cchc_tools.lazy import lazy_exports

_EXPORTS = {
    "save": "cchc_tools.render.publish",
    "write_summary": "cchc_tools.render.publish",
    "register_notebook_display": "cchc_tools.render.html",
    "parse_formats": "cchc_tools.render.formats",
    "register_format": "cchc_tools.render.formats",
    "write_document": "cchc_tools.render.formats",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
