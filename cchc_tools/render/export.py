"""Pages for readers: an executed notebook as a self-contained HTML page, the index (a document as a page:
``html.document_html``, imported here too).

The notebook goes through the kit's own nbconvert template (``templates/nbconvert/cchc-reader``,
based on nbconvert's ``base`` template): only what the cells show, no code, no prompts, no scripts,
nothing fetched from the internet, cells tagged ``hide-in-html`` left out. JupyterLab's stylesheet
(about 450 KB) is not carried: the page has the kit's ``style.css`` and ``page.css`` (screen and
print: A4, NĐ 30/2020 margins, page numbers, the production date, no stranded headings).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from cchc_tools.periods import date_vi, newest_first
from cchc_tools.render.formats import names as format_names
from cchc_tools.render.html import page_html, render, stylesheet
from cchc_tools.vocabulary import SYNTHETIC_BANNER, SYNTHETIC_NOTE

NBCONVERT_TEMPLATES = Path(__file__).resolve().parent / "templates" / "nbconvert"
READER_TEMPLATE = "cchc-reader"
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.DOTALL | re.IGNORECASE)
_REMOTE_LINK = re.compile(r"<link\b[^>]*href=[\"']?(?:https?:)?//[^>]*>", re.IGNORECASE)
_ANCHOR = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
# A chart as the kit's blocks write it (``block.html.j2``), spelled in the page as nbconvert's exporter spelled it
# (its BeautifulSoup pass): attributes in alphabetical order, the void element closed. An alt of the kit's is
# escaped by Jinja (no quote in it), so its text is kept as written.
_CHART_IMG = re.compile(r'<img src="(data:image/png;base64,[A-Za-z0-9+/=]*)" alt="([^"<>]*)">')


# One page at a time per process: a batch's worker builds its exporter in a thread while its first notebook runs
# (``batch.runner.warm_worker``), and its first page waits for it; nbconvert's exporter is not made for two
# pages at once.
_EXPORTING = threading.Lock()


@lru_cache(maxsize=1)
def _exporter():
    """The reader's HTML exporter, one per process: its Jinja environment and compiled template are reused
    by every page (as ``jupyter nbconvert`` does for many notebooks); validated once per notebook, after all
    preprocessors, rather than after each."""
    from nbconvert import HTMLExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReaderExporter(HTMLExporter):
        """nbconvert's HTML exporter (7.17, pinned) without its last step, which parses the whole page again with
        BeautifulSoup and writes it back, to give an image without alternative text a placeholder and JupyterLab's
        cells (``.jp-Notebook``) a ``tabindex``. The reader's template writes every image with its alt and has no
        JupyterLab cells, so that step changed only how the same document is spelled (attributes in alphabetical
        order, ``<img .../>``, character references written as characters); the page is spelled as that step
        spelled it (the charts' images, ``_CHART_IMG``; each markdown cell, ``_as_parsed``). It was half of a
        briefing's export. Everything else is ``HTMLExporter.from_notebook_node``'s."""

        def from_notebook_node(self, nb, resources=None, **kw):
            info = nb.metadata.get("language_info", {})
            highlight = self.filters.get("highlight_code", Highlight2HTML(
                pygments_lexer=info.get("pygments_lexer", info.get("name", None)), parent=self))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return super(HTMLExporter, self).from_notebook_node(nb, resources, **kw)

    exporter = ReaderExporter(extra_template_basedirs=[str(NBCONVERT_TEMPLATES)], template_name=READER_TEMPLATE,
                              filters=READER_FILTERS)
    exporter.exclude_input = exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    exporter.optimistic_validation = True
    return exporter


def _as_parsed(html: str) -> str:
    """A fragment of markdown's HTML as nbconvert's BeautifulSoup pass spelled it (character references written as
    characters: ``C&#225;c`` is ``Các``): the reader's template passes each markdown cell through it."""
    from bs4 import BeautifulSoup

    return str(BeautifulSoup(html, features="html.parser"))


READER_FILTERS = {"as_parsed": _as_parsed}  # the reader's template's own filters


def _reader_body(nb) -> str:
    body, _ = _exporter().from_notebook_node(nb)
    body = _ANCHOR.sub("", body)
    body = _SCRIPT.sub("", body)
    body = _REMOTE_LINK.sub("", body)
    body = _CHART_IMG.sub(r'<img alt="\2" src="\1"/>', body)
    # the notebook shows the kit's stylesheet through a Style block; the page has it in its head
    return re.sub(r"<style>\s*" + re.escape(stylesheet().strip()) + r"\s*</style>", "", body)


def notebook_to_html(nb_path, title: str, produced: date | None = None, landscape: bool = False) -> str:
    """Reader's HTML of an executed notebook (a path or a notebook node): one self-contained page.

    ``title`` is the tab title (the unit's full name); ``produced`` (default today) is printed at the
    foot of every printed page; ``landscape`` prints on landscape A4 (the comparison). A page whose cells
    show the synthetic-data banner prints it on every page.
    """
    import nbformat

    nb = nb_path if isinstance(nb_path, nbformat.NotebookNode) else nbformat.read(str(nb_path), as_version=4)
    with _EXPORTING:
        body = _reader_body(nb)
    return page_html(body, title, produced, 'class="cchc-banner"' in body, landscape)


@dataclass
class IndexEntry:
    """One line of the index.

    ``kind`` is ``unit``, ``compare`` or ``trend``; ``name`` is what the reader sees (the unit's full
    name, "So sánh các đơn vị"); ``year`` and ``period`` (``annual``, ``6-month``, ``Q3``...) group the
    entries (a trend has no year); ``files`` maps a format (html, docx, pdf, xlsx) to its path relative
    to the index page, for the files present on disk; ``period_label`` overrides the group's title.
    """

    kind: str
    name: str
    files: dict[str, str] = field(default_factory=dict)
    slug: str = ""
    code: str = ""
    year: int | None = None
    period: str = "annual"
    period_label: str = ""
    summary: dict[str, str] = field(default_factory=dict)  # a unit's leader's summary: format -> path


def entry_files(out_dir: Path, stem: str, index_dir: Path, present: set[str] | None = None) -> dict[str, str]:
    """The formats of ``out_dir/stem.*`` present on disk, as paths relative to ``index_dir``. ``present``: the names
    of the files in ``out_dir``, when the caller listed it (one listing per folder rather than a look per format)."""
    found = {}
    for fmt in format_names():
        name = f"{stem}.{fmt}"
        if name in present if present is not None else (out_dir / name).is_file():
            found[fmt] = (out_dir / name).relative_to(index_dir).as_posix()
    return found


def _group_label(e: IndexEntry) -> str:
    if e.period_label:
        return e.period_label
    from cchc_tools.periods import period_phrase

    return period_phrase(e.period, e.year)


def _by_code(e: IndexEntry) -> tuple:
    """Units by official code (mã đơn vị hành chính), those without one after, by name."""
    return (e.code == "", e.code.zfill(5), e.name.casefold())


_STATE_VI = {"received": "đã nộp", "late": "nộp muộn", "unreadable": "tệp không đọc được", "missing": "chưa nộp",
             "overdue": "quá hạn", "not_due": "chưa đến hạn", "extra": "ngoài danh sách",
             "outside": "ngoài địa bàn", "misfiled": "ghi kỳ khác thư mục"}


def _period_box(state: dict) -> dict:
    """The reporting state of a period as the index shows it: one summary line, the headline totals, links.
    ``state`` is what the cycle recorded of the period (``cycle.status.period_states``), its files' paths
    relative to the index."""
    from cchc_tools.numbers import fmt_percent

    t = state.get("totals")
    summary = ""
    if t:
        summary = (f"{t['received'] + t['late']}/{t['roster']} đơn vị đã nộp báo cáo"
                   + (f" ({t['late']} nộp muộn)" if t["late"] else "") + f", {t['missing']} chưa nộp"
                   + (f", {t['unreadable']} tệp không đọc được" if t["unreadable"] else "")
                   + (f"; {t['extra']} báo cáo của đơn vị ngoài danh sách" if t.get("extra") else "")
                   + (f"; {t['outside']} báo cáo của đơn vị ngoài địa bàn" if t.get("outside") else ""))
        if state.get("due"):
            summary += f"; hạn nộp {date_vi(state['due'])}"
        summary += "."
    headline = [f"{h['name']}: {fmt_percent(h['value'])} ({h['units']} đơn vị)" for h in state.get("headline", [])
                if h.get("value") is not None]
    files = state.get("files", {})
    labels = [("status", "html", "Tình hình nộp báo cáo"), ("status", "xlsx", "(Excel)"),
              ("phu-luc-tong-hop", "docx", "Phụ lục tổng hợp (Word)"), ("phu-luc-tong-hop", "xlsx", "(Excel)"),
              ("register", "xlsx", "Sổ theo dõi công văn đề nghị giải trình"), ("digest", "txt", "Tin nhắn tóm tắt")]
    links = []
    for prefix, ext, label in labels:
        hit = next((v for k, v in files.items() if k.startswith(prefix) and k.endswith("." + ext)), None)
        if hit:
            links.append((label, hit))
    letters = {k: v for k, v in state.get("letters", {}).items() if v.get("kind") != "reminder"}
    reminders = sorted(((v.get("name") or k.split(":", 1)[-1], v["file"]) for k, v in state.get("letters", {}).items()
                        if v.get("kind") == "reminder" and v.get("file")), key=lambda x: x[0])
    units = {slug: {"name": u.get("name", slug), "state": _STATE_VI.get(u["state"], u["state"]),
                    "late": u["state"] == "late",
                    "points": u.get("points", 0), "letter": letters.get(slug, {}).get("file", "")}
             for slug, u in state.get("units", {}).items()}
    for slug, info in letters.items():
        units.setdefault(slug, {"name": info.get("name") or slug, "state": "", "late": False,
                                "points": info["points"], "letter": info["file"]})
    return {"summary": summary, "headline": headline, "links": links, "missing": state.get("missing", []),
            "units": units, "reminders": reminders, "coverage_low": state.get("coverage_low", "")}


def render_index(entries: Iterable[IndexEntry], failures: Iterable[tuple[str, str]] = (), synthetic: bool = False,
                 produced: date | None = None, not_briefed: Iterable[tuple[str, str]] = (),
                 periods: dict[tuple[int, str], dict] | None = None) -> str:
    """The index page: briefings grouped by year (newest first) and period, each unit by its full name
    (sorted by official code) with links to every format present; comparisons first in their group; trends
    last; then the files
    that failed (``(path, reason)``) and the units not briefed (``(name, reason)``).

    ``periods`` (``cycle.status.period_states``) makes each period's group its front page: the reporting state, the
    headline totals, links to the status, the consolidated appendix, the letters and the digest, and beside
    each unit its state, its number of points to explain and its letter."""
    produced = produced or date.today()
    entries = list(entries)
    periods = periods or {}
    dated = [e for e in entries if e.kind != "trend"]
    keys = sorted({(e.year or 0, e.period) for e in dated} | set(periods),
                  key=lambda k: (-k[0], newest_first(k[1]), k[1]))
    groups = []
    for year, period in keys:
        mine = [e for e in dated if (e.year or 0, e.period) == (year, period)]
        mine.sort(key=lambda e: (e.kind != "compare", *_by_code(e)))
        label = _group_label(mine[0] if mine else IndexEntry("compare", "", year=year, period=period))
        box = _period_box(periods[(year, period)]) if (year, period) in periods else None
        if box:  # units of the period without a briefing on disk: their state and letter all the same
            briefed = {e.slug for e in mine}
            box["others"] = [u for slug, u in box["units"].items() if slug not in briefed]
        groups.append({"label": label, "entries": mine, "state": box})
    trends = sorted((e for e in entries if e.kind == "trend"), key=_by_code)
    body = render("site_index.html.j2", groups=groups, trends=trends, failures=list(failures),
                  not_briefed=list(not_briefed), synthetic=synthetic, banner=SYNTHETIC_BANNER,
                  banner_note=SYNTHETIC_NOTE, produced_text=date_vi(produced), order=format_names())
    return page_html(body, "Báo cáo tóm tắt cải cách hành chính", produced, synthetic)
