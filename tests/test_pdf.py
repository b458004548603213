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
from cchc_tools.render.html import page_html

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


# A browser speaking just enough of the DevTools protocol on fds 3 and 4 to print, that counts the browsers
# started and dies (exit 9, mid-print) at the print calls listed in FAKE_DIE_AT (1-based, counted over all).
FAKE_BROWSER = r'''
import base64, json, os, sys
def bump(name):
    path = os.path.join(os.environ["FAKE_DIR"], name)
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    open(path, "w").write(str(n))
    return n
bump("browsers")
die_at = {int(x) for x in os.environ.get("FAKE_DIE_AT", "").split(",") if x}
buf = b""
def send(obj):
    os.write(4, json.dumps(obj).encode() + b"\0")
while True:
    chunk = os.read(3, 1 << 16)
    if not chunk:
        sys.exit(0)
    buf += chunk
    while b"\0" in buf:
        raw, _, buf = buf.partition(b"\0")
        msg = json.loads(raw)
        m, i = msg["method"], msg["id"]
        if m == "Target.getTargets":
            send({"id": i, "result": {"targetInfos": [{"type": "page", "targetId": "T"}]}})
        elif m == "Target.attachToTarget":
            send({"id": i, "result": {"sessionId": "S"}})
        elif m == "Page.navigate":
            send({"id": i, "result": {"loaderId": f"L{i}"}})
            send({"sessionId": "S", "method": "Page.lifecycleEvent", "params": {"name": "load", "loaderId": f"L{i}"}})
        elif m == "Page.printToPDF":
            if bump("prints") in die_at:
                sys.stderr.write("Received signal 11 SEGV_MAPERR\n")
                os._exit(9)
            send({"id": i, "result": {"data": base64.b64encode(b"%PDF-1.4 fake").decode()}})
        else:
            send({"id": i, "result": {}})
            if m == "Browser.close":
                sys.exit(0)
'''


@pytest.fixture
def fake_browser(tmp_path, monkeypatch):
    import sys

    folder = tmp_path / "fake"
    folder.mkdir()
    script = folder / "fake-chromium"
    script.write_text(f"#!{sys.executable}\n{FAKE_BROWSER}")
    script.chmod(0o755)
    monkeypatch.setenv("CCHC_CHROMIUM", str(script))
    monkeypatch.setenv("FAKE_DIR", str(folder))

    def count(name: str) -> int:
        path = folder / name
        return int(path.read_text()) if path.exists() else 0

    return count


def _pages(tmp_path, n: int):
    pages = []
    for k in range(n):
        page = tmp_path / f"p{k}.html"
        page.write_text(page_html(f"<p>{k}</p>", "t", PRODUCED), encoding="utf-8")
        pages.append(page)
    return pages


def test_the_page_a_kept_browser_died_printing_is_printed_on_a_new_one(tmp_path, monkeypatch, fake_browser):
    monkeypatch.setenv("FAKE_DIE_AT", "2")  # the kept browser dies printing the second page
    a, b = _pages(tmp_path, 2)
    with pdf.session():
        assert pdf.print_pdf(a, tmp_path / "a.pdf")
        assert pdf.print_pdf(b, tmp_path / "b.pdf")
    assert (tmp_path / "b.pdf").read_bytes()[:5] == b"%PDF-"
    assert fake_browser("browsers") == 2 and fake_browser("prints") == 3


def test_a_page_is_retried_once_only_and_the_next_page_gets_a_new_browser(tmp_path, monkeypatch, fake_browser):
    monkeypatch.setenv("FAKE_DIE_AT", "2,3")  # dies on the kept browser and again on the new one
    a, b, c = _pages(tmp_path, 3)
    with pdf.session():
        pdf.print_pdf(a, tmp_path / "a.pdf")
        with pytest.raises(pdf.PdfError, match=r"it exited, code 9\): Received signal 11.*died printing it before"):
            pdf.print_pdf(b, tmp_path / "b.pdf")
        assert fake_browser("browsers") == 2 and fake_browser("prints") == 3  # once more, not again and again
        assert pdf.print_pdf(c, tmp_path / "c.pdf")
    assert not (tmp_path / "b.pdf").exists() and (tmp_path / "c.pdf").exists()
    assert fake_browser("browsers") == 3


def test_a_browser_that_dies_printing_outside_a_session_is_retried_too(tmp_path, monkeypatch, fake_browser):
    monkeypatch.setenv("FAKE_DIE_AT", "1")
    (a,) = _pages(tmp_path, 1)
    assert pdf.print_pdf(a, tmp_path / "a.pdf")
    assert fake_browser("browsers") == 2 and (tmp_path / "a.pdf").exists()


@needs_chromium
def test_a_chromium_killed_while_printing_is_replaced_for_the_same_page(tmp_path, monkeypatch):
    page, other = _page(tmp_path, "a", "Trang"), _page(tmp_path, "b", "Trang")
    real_call = pdf.Printer._call
    killed: list[int] = []

    def call(self, method, params, deadline, session=False):
        if method == "Page.printToPDF" and len(killed) == 0 and self.proc is not None and pids:
            killed.append(self.proc.pid)
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return real_call(self, method, params, deadline, session)

    pids: list[int] = []
    monkeypatch.setattr(pdf.Printer, "_call", call)
    with pdf.session():
        assert pdf.print_pdf(page, tmp_path / "1.pdf")  # the browser is kept after this page
        pids.append(pdf._session.proc.pid)
        assert pdf.print_pdf(other, tmp_path / "2.pdf")  # killed while printing it: printed on a new one
        assert killed == pids and pdf._session.proc.pid != pids[0]
    assert (tmp_path / "2.pdf").read_bytes()[:5] == b"%PDF-"
