"""The kept browser: one Chromium per process prints page after page, the same pages as a browser
started for each; a browser that dies or hangs is replaced; one whose owner dies exits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from datetime import date

import pytest

from cchc_tools.render import pdf
from cchc_tools.render.export import page_html

needs_chromium = pytest.mark.skipif(not pdf.chromium_available(), reason="Chromium is not installed")
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
PRODUCED = date(2026, 11, 29)


def _page(tmp_path, name: str, words: str):
    body = "".join(f"<h2>Mục {i}</h2><p class='cchc-body'>{words} {i}: 24.407 hồ sơ, 99,87%.</p>" for i in range(60))
    page = tmp_path / f"{name}.html"
    page.write_text(page_html(body, f"Trang {name}", PRODUCED), encoding="utf-8")
    return page


def _text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purpose
        return f.read().split(")")[-1].split()[0] != "Z"


@needs_chromium
@needs_poppler
def test_one_browser_prints_many_pages_the_same_as_a_browser_each(tmp_path):
    pages = [_page(tmp_path, n, w) for n, w in (("a", "Đơn vị Vĩnh Châu"), ("b", "Sở Nội vụ"), ("c", "Xã Lai Hòa"))]
    for p in pages:  # a browser per page (outside a session)
        assert pdf.print_pdf(p, p.with_suffix(".alone.pdf"))
    pids = set()
    with pdf.session():
        for p in pages:
            assert pdf.print_pdf(p, p.with_suffix(".pdf"))
            pids.add(pdf._session.proc.pid)
        browser = pdf._session.proc.pid
    assert len(pids) == 1  # one browser for the three pages
    assert pdf._session is None and not _alive(browser)  # and gone when the session ends
    for p in pages:
        kept, alone = _text(p.with_suffix(".pdf")), _text(p.with_suffix(".alone.pdf"))
        assert kept == alone and kept.count("\f") >= 2
        assert p.stem != "a" or "Đơn vị Vĩnh Châu 59: 24.407 hồ sơ, 99,87%." in kept
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary left beside the outputs


@needs_chromium
def test_a_browser_killed_between_pages_is_replaced(tmp_path):
    page = _page(tmp_path, "a", "Trang")
    with pdf.session():
        pdf.print_pdf(page, tmp_path / "1.pdf")
        first = pdf._session.proc.pid
        os.killpg(first, signal.SIGKILL)
        pdf._session.proc.wait()
        assert pdf.print_pdf(page, tmp_path / "2.pdf")
        assert pdf._session.proc.pid != first
    assert (tmp_path / "2.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_hung_or_silent_browser_fails_the_page_and_the_next_page_gets_a_new_one(tmp_path, monkeypatch):
    page = tmp_path / "p.html"
    page.write_text(page_html("<p>x</p>", "t", PRODUCED), encoding="utf-8")
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CCHC_CHROMIUM", str(fake))
    with pdf.session():
        t = time.monotonic()
        with pytest.raises(pdf.PdfError, match="did not finish printing within 0.5 s"):
            pdf.print_pdf(page, tmp_path / "p.pdf", timeout=0.5)
        assert time.monotonic() - t < 10
        hung = pdf._session
        assert hung.proc is None  # the hung browser was killed, not kept
        fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
        with pytest.raises(pdf.PdfError, match=r"gave no PDF \(it exited, code 3\): cannot open display"):
            pdf.print_pdf(page, tmp_path / "p.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-chromium", "p.html"]


@needs_chromium
def test_the_browser_exits_when_its_owner_dies_abruptly(tmp_path):
    page = _page(tmp_path, "a", "Trang")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the owner: prints one page, keeps its browser and dies without closing it
        os.close(read)
        try:
            with pdf.session():
                pdf.print_pdf(page, tmp_path / "a.pdf")
                os.write(write, str(pdf._session.proc.pid).encode())
        finally:
            os._exit(0)
    os.close(write)
    browser = int(os.read(read, 32) or b"0")
    os.close(read)
    os.waitpid(child, 0)
    assert browser
    deadline = time.monotonic() + 20
    while _alive(browser) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(browser)


@needs_chromium
@needs_poppler
def test_a_late_load_event_of_the_page_before_is_not_taken_for_this_pages(tmp_path, monkeypatch):
    """The blank page a tab is cleared to after each print fires its load event late, sometimes after the
    next page's navigation was sent: the printer prints only once its own navigation's document loaded."""
    page = _page(tmp_path, "a", "Xã Lai Hòa")
    seen: list[str] = []
    with pdf.Printer(pdf.chromium_path()) as printer:
        real_call, real_read = printer._call, printer._read

        def call(method, params, deadline, session=False):
            result = real_call(method, params, deadline, session)
            seen.append(method)
            if method == "Page.navigate" and params["url"].startswith("file:"):
                seen.append("loader " + result["loaderId"])
                stale = {"sessionId": printer.session_id}
                printer._events += [{**stale, "method": "Page.loadEventFired", "params": {}},
                                    {**stale, "method": "Page.lifecycleEvent",
                                     "params": {"name": "load", "loaderId": "the-page-before"}}]
            return result

        def read(deadline):
            ev = real_read(deadline)
            if ev.get("method") == "Page.lifecycleEvent" and ev["params"].get("name") == "load":
                seen.append("load " + ev["params"]["loaderId"])
            return ev

        monkeypatch.setattr(printer, "_call", call)
        monkeypatch.setattr(printer, "_read", read)
        printer.print(page, tmp_path / "a.pdf")
    loader = next(s for s in seen if s.startswith("loader ")).split()[1]
    assert seen.index(f"load {loader}") < seen.index("Page.printToPDF")
    assert "Xã Lai Hòa 59: 24.407 hồ sơ, 99,87%." in _text(tmp_path / "a.pdf")
