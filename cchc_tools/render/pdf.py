"""PDF printed from a kit page by headless Chromium (Debian's ``chromium`` package; nothing downloaded).

The page's own print stylesheet (``templates/page.css``) sets A4, the margins, the page numbers
(CSS ``@page`` margin boxes) and the production date; Chromium's own header and footer are off.
Chromium is optional: ``chromium_available()`` says whether PDFs can be made, and
``pdf_skipped_message()`` is what to tell the reader, once, when they cannot.

A browser costs a second or more of CPU to start and several hundred MB while it runs, so it is
started once and kept: a ``Printer`` drives one headless Chromium over the DevTools protocol on a
pipe (``--remote-debugging-pipe``: commands on its fd 3, answers on its fd 4, each a JSON message
ended by a NUL byte) and prints page after page in one tab. Inside ``session()`` (a batch worker,
a one-briefing run) ``print_pdf`` uses that process's printer, started at its first PDF; outside
it, a printer is started for the one page and closed. A browser that fails or hangs is killed
with every process it started and the next page gets a new one; a browser whose parent dies sees
its pipe close and exits. The page a browser was printing when it died (a crash, the OOM killer)
is printed once more on a new browser before it fails: a kept browser may die of something an
earlier page did. A page that hangs the browser is not retried (it would hang the next one too).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cchc_tools.atomic import atomic_path
from cchc_tools.errors import CchcError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge")
DEFAULT_TIMEOUT = 120
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio", "--disable-dev-shm-usage", "--renderer-process-limit=1",
         "--disable-breakpad", "--disable-crash-reporter", "--no-zygote", "--in-process-gpu",
         "--remote-debugging-pipe")
# Page.printToPDF: the page's own @page rules (size, margins, margin boxes) and colours, no browser header.
PRINT_OPTIONS = {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False,
                 "generateTaggedPDF": True}


class PdfError(CchcError):
    """Chromium ran but gave no PDF (it failed, or took longer than the timeout)."""


class BrowserDied(PdfError):
    """The browser exited (crashed, or was killed) while it was printing a page, after it had started well."""


def chromium_path() -> str | None:
    """The browser to print with: ``$CCHC_CHROMIUM`` if set (empty disables PDFs), else the first found."""
    env = os.environ.get("CCHC_CHROMIUM")
    if env is not None:
        return shutil.which(env) if env else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def chromium_available() -> bool:
    return chromium_path() is not None


def pdf_skipped_message() -> str:
    """What to tell the reader when PDFs cannot be made (Vietnamese, with how to get them)."""
    return ("Chưa tạo tệp PDF: máy này chưa cài trình duyệt Chromium, công cụ dùng để in trang báo cáo ra PDF. "
            "Các tệp HTML, Word và Excel vẫn được tạo đầy đủ. Để có PDF, cài Chromium "
            "(Debian/Ubuntu: sudo apt-get install chromium) rồi chạy lại lệnh; "
            "hoặc mở tệp .html bằng trình duyệt và chọn In > Lưu dưới dạng PDF.")


class _Gone(Exception):
    """The browser closed its pipe (it exited or crashed)."""


class Printer:
    """One headless Chromium, kept for many pages; ``print`` is whole-or-nothing for each page."""

    def __init__(self, browser: str) -> None:
        self.browser = browser
        self.proc: subprocess.Popen | None = None
        self.profile: tempfile.TemporaryDirectory | None = None
        self.session_id = ""
        self.target_id = ""
        self._next_id = 0
        self._buf = b""
        self._events: list[dict] = []
        self._log: Path | None = None

    # -- the browser's life ----------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _start(self, deadline: float) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="cchc-chromium-")
        cmd_r, self._cmd_w = os.pipe()  # we write commands; Chromium reads them on its fd 3
        self._out_r, out_w = os.pipe()  # Chromium writes answers on its fd 4; we read them

        def fds() -> None:
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        # Its messages go to a file (a pipe nobody reads while it prints would fill and stall it).
        self._log = Path(self.profile.name) / "chromium.log"
        try:
            with open(self._log, "wb") as log:
                self.proc = subprocess.Popen(
                    [self.browser, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, pass_fds=(3, 4),
                    preexec_fn=fds, start_new_session=True, env={**os.environ, "HOME": self.profile.name})
        finally:
            os.close(cmd_r)
            os.close(out_w)
        self._buf, self._events, self._next_id = b"", [], 0
        pages = [t["targetId"] for t in self._call("Target.getTargets", {}, deadline).get("targetInfos", [])
                 if t.get("type") == "page"]  # the tab the browser opened with, else a new one
        target = pages[0] if pages else self._call("Target.createTarget", {"url": "about:blank"}, deadline)["targetId"]
        self.session_id = ""
        self.session_id = self._call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                     deadline)["sessionId"]
        self.target_id = target
        self._call("Page.enable", {}, deadline, session=True)
        self._call("Page.setLifecycleEventsEnabled", {"enabled": True}, deadline, session=True)

    def close(self, graceful: bool = False) -> None:
        """End the browser and every process it started; remove its profile.

        ``graceful`` first asks the browser to close (it then ends its own processes and its exit
        counts their CPU time); whatever is left after a few seconds, or without it, is killed.
        """
        if self.proc is not None:
            if graceful and self.alive():
                with contextlib.suppress(_Gone, TimeoutError, PdfError, OSError, ValueError):
                    self._call("Browser.close", {}, time.monotonic() + 5)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(5)
            with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                if hasattr(os, "killpg"):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:
                    self.proc.kill()
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                self.proc.wait(5)
            for fd in (self._cmd_w, self._out_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.proc = None
        if self.profile is not None:
            with contextlib.suppress(OSError):
                self.profile.cleanup()
            self.profile = None

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc) -> None:
        self.close(graceful=exc[0] is None)

    # -- the DevTools protocol on the pipe ----------------------------------------------------------
    def _call(self, method: str, params: dict, deadline: float, session: bool = False) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session_id
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._cmd_w, data):]
        except (BrokenPipeError, OSError):
            raise _Gone from None
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise PdfError(f"Chromium refused {method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._out_r], [], [], left)
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    raise _Gone
                self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def _wait_loaded(self, loader_id: str, deadline: float) -> None:
        """Until the document of navigation ``loader_id`` has fired its load event. Matched by loader,
        so that a late event of the page before (the blank page it was cleared to) is never taken
        for this one's."""
        def done(ev: dict) -> bool:
            p = ev.get("params", {})
            return (ev.get("method") == "Page.lifecycleEvent" and ev.get("sessionId") == self.session_id
                    and p.get("name") == "load" and p.get("loaderId") == loader_id)

        while not any(done(ev) for ev in self._events):
            self._events.clear()
            ev = self._read(deadline)
            if "method" in ev:
                self._events.append(ev)
        self._events.clear()

    # -- printing -----------------------------------------------------------------------------------
    def print(self, html_path: Path, pdf_path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Print one page; on any failure the browser is closed (the next page starts a new one)."""
        deadline = time.monotonic() + timeout
        started = False  # whether the browser was up and attached to its tab when this page began
        try:
            if not self.alive():
                self.close()
                self._start(deadline)
            started = True
            self._events.clear()
            nav = self._call("Page.navigate", {"url": html_path.as_uri()}, deadline, session=True)
            if nav.get("errorText"):
                raise PdfError(f"{html_path}: Chromium could not open the page: {nav['errorText']}")
            self._wait_loaded(nav.get("loaderId", ""), deadline)
            self._call("Runtime.evaluate", {"expression": "document.fonts.ready.then(() => true)",
                                            "awaitPromise": True}, deadline, session=True)
            data = self._call("Page.printToPDF", PRINT_OPTIONS, deadline, session=True).get("data", "")
            pdf = base64.b64decode(data)
            if pdf[:5] != b"%PDF-":
                raise PdfError(f"{html_path}: Chromium gave no PDF")
            with atomic_path(pdf_path) as tmp:
                tmp.write_bytes(pdf)
            self._call("Page.navigate", {"url": "about:blank"}, deadline, session=True)  # the page's memory freed
        except TimeoutError:
            self.close()
            raise PdfError(f"{html_path}: Chromium did not finish printing within {timeout:g} s") from None
        except _Gone:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2)  # it closed its pipe: let it finish exiting, for its code and last words
            err = self._stderr_tail()
            code = self.proc.poll() if self.proc else None
            self.close()
            raise (BrowserDied if started else PdfError)(
                f"{html_path}: Chromium gave no PDF (it exited, code {code}){err}") from None
        except BaseException:
            self.close()
            raise

    def _stderr_tail(self) -> str:
        try:
            lines = self._log.read_bytes()[-4096:].decode("utf-8", "replace").strip().splitlines()[-3:]
        except (OSError, AttributeError):
            return ""
        return f": {' | '.join(lines)}" if lines else ""


_session: Printer | None = None
_in_session = False


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Within this block, this process keeps one browser for all its PDFs (started at the first one)."""
    global _in_session
    outer = _in_session
    _in_session = True
    try:
        yield
    finally:
        _in_session = outer
        if not outer:
            close_session(graceful=True)


def close_session(graceful: bool = False) -> None:
    """End this process's kept browser, if any; without ``graceful``, killed at once (signal handlers)."""
    global _session
    printer, _session = _session, None
    if printer is not None:
        printer.close(graceful)


def print_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Print ``html_path`` to ``pdf_path`` (whole or not at all). False when Chromium is not installed.

    Raises ``PdfError`` when Chromium fails or runs longer than ``timeout`` seconds (it is then
    killed with every process it started, so a hung browser never hangs a batch).
    """
    global _session
    browser = chromium_path()
    if browser is None:
        return False
    html_path = Path(html_path).resolve()
    if not html_path.exists():
        raise PdfError(f"{html_path}: no such page to print")
    if not _in_session:
        with Printer(browser) as printer:
            _print_retrying(printer, html_path, pdf_path, timeout)
        return True
    if _session is None or _session.browser != browser:
        close_session()
        _session = Printer(browser)
    _print_retrying(_session, html_path, pdf_path, timeout)
    return True


def _print_retrying(printer: Printer, html_path: Path, pdf_path: str | Path, timeout: float) -> None:
    """``printer.print``; when the browser dies while printing, once more on a new browser (the printer
    starts one, the dead one was closed with its processes), and then the page fails naming both tries."""
    try:
        printer.print(html_path, pdf_path, timeout)
    except BrowserDied as first:
        try:
            printer.print(html_path, pdf_path, timeout)
        except PdfError as second:
            raise type(second)(f"{second}; the browser had died printing it before ({first})") from None
