"""The explorer in a real browser: Voilà serves notebooks/explore.ipynb on a free port of 127.0.0.1, Playwright
drives the system Chromium, changes the unit and the indicator, and the league table and the chart follow.

Skipped, saying why, where Chromium or Playwright is missing (``.ci/run`` installs Chromium in CI).
Every wait is bounded; the server and its kernel are stopped after the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cchc_tools.paths import KIT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
# Voilà's lab template links Font Awesome from a CDN; the explorer uses no icon, so offline the page works
# without it (the test blocks every request that leaves 127.0.0.1 and checks the page still works).
KNOWN_EXTERNAL = "https://cdn.jsdelivr.net/npm/@fortawesome/"

pytestmark = [
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


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from cchc_tools.demo import generate

    data = tmp_path_factory.mktemp("explore-data")
    generate(data, units=12, years=[2021, 2022])
    port = _free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    env = {**os.environ, "CCHC_EXPLORE_DATA": str(data), "CCHC_EXPLORE_UNIT": "Minh Họa 01"}
    voila = Path(sys.executable).with_name("voila")
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(voila), "notebooks/explore.ipynb", "--no-browser", "--Voila.ip=127.0.0.1",
                                 f"--port={port}", "--theme=light", "--show_tracebacks=True"],
                                cwd=KIT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # voila and the kernel it started: its own process group
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _select(page, label: str):
    return page.locator(f".cchc-explorer .widget-dropdown:has(label:text-is('{label}')) select")


def test_explorer_follows_unit_and_indicator_in_a_real_browser(app, tmp_path):
    url, log = app
    external: list[str] = []
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox"] if os.geteuid() == 0 else [])
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
            body = page.inner_text("body")
            assert "import " not in body and "ws.explorer" not in body  # no code on the page
            caption = page.locator(".cchc-explorer table caption").first
            chart = page.locator(".cchc-explorer .cchc-chart img")
            assert "Tỷ lệ hồ sơ giải quyết đúng hạn (cả hai cấp)" in caption.inner_text()
            assert "huyện Minh Họa 01 (tô màu cam)" in chart.get_attribute("alt")
            first_png = chart.get_attribute("src")

            _select(page, "Đơn vị").select_option(label="huyện Minh Họa 06")
            page.wait_for_function("() => document.querySelector('.cchc-explorer .cchc-chart img')"
                                   ".alt.includes('huyện Minh Họa 06')", timeout=30_000)
            assert chart.get_attribute("src") != first_png  # the chosen unit's bar is drawn in its colour
            page.wait_for_function("() => document.querySelectorAll('.cchc-explorer table')[1]"
                                   ".innerText.includes('minh-hoa-06')", timeout=30_000)  # the trace, drawn after
            trace = page.locator(".cchc-explorer table").nth(1).inner_text()
            assert "minh-hoa-06" in trace and "Dòng" in trace

            _select(page, "Chỉ số").select_option(label="Tỷ lệ hoàn thành Kế hoạch CCHC")
            page.wait_for_function("() => document.querySelector('.cchc-explorer table caption')"
                                   ".innerText.startsWith('Tỷ lệ hoàn thành Kế hoạch CCHC')", timeout=30_000)
            page.wait_for_function("() => document.querySelector('.cchc-explorer .cchc-chart img')"
                                   ".alt.includes('Tỷ lệ hoàn thành Kế hoạch CCHC')", timeout=30_000)
            rows = page.locator(".cchc-explorer table").first.locator("tbody tr")
            assert rows.count() == 12
            assert "%" in rows.first.inner_text() and "." not in rows.first.locator("td").nth(3).inner_text()

            _select(page, "Chỉ số").select_option(label="Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn")
            page.wait_for_function("() => document.querySelector('.cchc-explorer table caption')"
                                   ".innerText.includes('Không xếp hạng 1 đơn vị')", timeout=30_000)
            league = page.locator(".cchc-explorer table").first.inner_text()
            assert "thành phố Minh Họa 03" in league and "không xếp hạng" in league and "[L1]" in league
        finally:
            browser.close()
    assert all(u.startswith(KNOWN_EXTERNAL) for u in external), external
