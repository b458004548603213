"""The explorer as colleagues get it (``make explore``: ``cchc_tools.workbench.serve``), in a real browser.

The data are a Cần Thơ project of the 2026 demo with several kinds of period and no 2022 (2025 Q4 and year,
2026 Q1 and six months). Voilà serves notebooks/explore.ipynb on a free port of 127.0.0.1 with the kit's
template; Playwright drives the system Chromium: the page is Vietnamese and fetches nothing off 127.0.0.1, twenty
changes of year, period, level, indicator and unit keep every other choice still valid (and say so when one
cannot be kept), a foreign Host and a cross-site request are refused, and twenty page loads leave at most the
kernel cap.

Skipped, saying why, where Chromium or Playwright is missing. Every wait is bounded; the server and its kernels
are stopped after the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cchc_tools.paths import KIT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
CAP = 3
CHOICES = ("Năm", "Kỳ", "Cấp", "Chỉ số", "Đơn vị")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); "
                                                "the real-browser test of the explorer is skipped"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install "
                                                                   "-e '.[dev]'); the real-browser test is skipped")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"voila did not listen on 127.0.0.1:{port} within {timeout} s")


def _kernels(pid: int) -> list[int]:
    """The kernels the server runs: its child processes running ipykernel."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"ipykernel" in cmd:
            out.append(int(d.name))
    return out


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from tests.demo2026 import make_project

    project = make_project(tmp_path_factory.mktemp("explore"), periods=("2025-Q4", "2025-annual", "2026-Q1",
                                                                        "2026-6-month"), units=6)
    port = _free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    env = {**os.environ, "CCHC_EXPLORE_DATA": str(project.root)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cchc_tools.workbench.serve", "notebooks/explore.ipynb",
                                 f"--port={port}", f"--max-kernels={CAP}"],
                                cwd=KIT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}/", proc, log, project
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # voila and the kernels it started: its own process group
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _select(page, label: str):
    return page.locator(f".cchc-explorer .widget-dropdown:has(label:text-is('{label}')) select")


def _state(page) -> dict[str, tuple[str, list[str]]]:
    """Each list: the chosen entry's text and every entry's text."""
    out = {}
    for label in CHOICES:  # ipywidgets writes the spaces of an entry as no-break spaces
        got, options = _select(page, label).evaluate(
            "s => [s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : '', Array.from(s.options, o => o.text)]")
        out[label] = (got.replace("\xa0", " "), [o.replace("\xa0", " ") for o in options])
    return out


def _drawn(page) -> int:
    return int(page.locator(".cchc-explorer .cchc-drawn").get_attribute("data-n"))


def test_the_explorer_keeps_every_choice_offline_and_in_vietnamese(app, tmp_path):
    url, proc, log, project = app
    external: list[str] = []
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
            page.set_default_timeout(30_000)

            def offline(route):
                if not route.request.url.startswith(LOCAL):
                    external.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", offline)
            page.goto(url, timeout=60_000)
            try:
                page.wait_for_selector(".cchc-explorer .cchc-chart img", timeout=120_000)
            except playwright_api.TimeoutError:
                page.screenshot(path=str(tmp_path / "explorer.png"))
                pytest.fail(f"the explorer did not appear; voila log:\n{log.read_text(errors='replace')[-3000:]}")
            assert page.evaluate("document.documentElement.lang") == "vi"
            assert page.title() == "Khám phá số liệu cải cách hành chính"
            body = page.inner_text("body")
            for developer in ("import ", "ws.explorer", "DATA", "make demo", "Dành cho chuyên viên", "Traceback",
                              str(project.root), "There was an error", "NBVAL"):
                assert developer not in body, developer
            heading = page.locator("h1").first
            assert heading.is_visible() and heading.inner_text().startswith("Khám phá số liệu cải cách hành chính")
            first = _state(page)
            assert first["Năm"][0] == "2026" and first["Kỳ"][0] == "6 tháng đầu năm"  # the latest, never 2022
            assert "2022" not in first["Năm"][1] and first["Kỳ"][1] == ["Quý I", "6 tháng đầu năm"]
            indicators = [x for x in first["Chỉ số"][1]]
            x_ind, y_ind = indicators[2], indicators[4]

            wish: dict[str, str] = {}

            def change(label: str, text: str) -> dict:
                n = _drawn(page)
                _select(page, label).select_option(index=_state(page)[label][1].index(text))
                page.wait_for_function(f"() => Number(document.querySelector('.cchc-explorer .cchc-drawn')"
                                       f".dataset.n) > {n}", timeout=30_000)
                wish[label] = text
                state = _state(page)
                notice = page.locator(".cchc-explorer .cchc-notice").all_inner_texts()
                for lab, want in wish.items():  # every choice still possible is kept; one that is not is named
                    got, options = state[lab]
                    if want in options:
                        assert got == want, (label, text, lab, state, notice)
                    else:
                        assert notice, (label, text, lab, state)
                return state

            change("Đơn vị", "Long Mỹ (phường)")
            change("Chỉ số", x_ind)
            change("Kỳ", "Quý I")
            change("Cấp", "cấp xã")
            s = change("Năm", "2025")  # no Q1 in 2025: the year's latest, said in words
            assert s["Kỳ"][0] == "Cả năm" or s["Kỳ"][0] == s["Kỳ"][1][-1]
            assert any("không có kỳ «Quý I»" in t for t in page.locator(".cchc-notice").all_inner_texts())
            s = change("Năm", "2026")  # Q1 again: the choice was held
            assert s["Kỳ"][0] == "Quý I" and not page.locator(".cchc-notice").count()
            change("Kỳ", "6 tháng đầu năm")
            change("Đơn vị", "Trung Hưng (xã)")
            change("Cấp", "Tất cả")
            s = change("Cấp", "sở, ban, ngành")  # a commune cannot be kept among departments: said
            assert s["Đơn vị"][0].startswith("Sở ") and any(
                "Trung Hưng" in t for t in page.locator(".cchc-notice").all_inner_texts())
            s = change("Cấp", "cấp xã")  # ... and comes back with its indicator
            assert s["Đơn vị"][0] == "Trung Hưng (xã)" and s["Chỉ số"][0] == x_ind
            change("Chỉ số", y_ind)
            change("Năm", "2025")
            change("Kỳ", "Quý IV")
            change("Đơn vị", "Hòa An (xã)")
            change("Năm", "2026")
            change("Chỉ số", x_ind)
            change("Kỳ", "Quý I")
            change("Đơn vị", "Vĩnh Châu (phường)")
            s = change("Cấp", "Tất cả")
            assert s["Đơn vị"][0] == "Vĩnh Châu (phường)" and s["Chỉ số"][0] == x_ind and s["Kỳ"][0] == "Quý I"
            caption = page.locator(".cchc-explorer table caption").first.inner_text()
            assert caption.startswith(x_ind) and "Quý I năm 2026" in caption
            assert "Vĩnh Châu" in page.locator(".cchc-explorer .cchc-chart img").get_attribute("alt")
        finally:
            browser.close()
    assert not external, external  # nothing fetched off 127.0.0.1: no CDN font, no MathJax


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, list[str], bytes]:
    """Status, the cookies set, the body of a page load."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.headers.get_all("Set-Cookie") or [], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get_all("Set-Cookie") or [], e.read()


def _settle(pid: int, most: int, timeout: float = 30) -> list[int]:
    end = time.monotonic() + timeout
    while True:
        k = _kernels(pid)
        if len(k) <= most or time.monotonic() > end:
            return k
        time.sleep(0.5)


def test_a_foreign_host_or_site_is_refused_and_page_loads_leave_at_most_the_cap(app):
    url, proc, log, _ = app
    before = _kernels(proc.pid)
    status, _, _ = _get(url, {"Host": "attacker.example"})  # DNS rebinding: the page under another name
    assert status == 403
    status, _, _ = _get(url, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"})  # <img src> elsewhere
    assert status == 403
    status, _, _ = _get(url, {"Origin": "http://attacker.example"})
    assert status == 403
    assert len(_kernels(proc.pid)) <= len(before)  # refused before any kernel started

    status, cookies, body = _get(url)
    assert status == 200 and 'lang="vi"' in body.decode()
    cookie = next(c for c in cookies if c.startswith("cchc_session=")).split(";", 1)[0]
    for _ in range(9):  # one browser session loading the page again and again: one kernel
        assert _get(url, {"Cookie": cookie})[0] == 200
    mine = _settle(proc.pid, len(before) + 1)
    assert len(mine) <= min(len(before) + 1, CAP), (before, mine)
    for _ in range(10):  # ten new sessions: never more kernels than the cap
        assert _get(url)[0] == 200
        assert len(_kernels(proc.pid)) <= CAP
    assert len(_settle(proc.pid, CAP)) <= CAP
