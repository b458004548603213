"""Renderers of the content: the reader's HTML (jinja2 templates), Word, Excel and PDF."""
