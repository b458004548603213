"""PDF printed from a kit page by headless Chromium (Debian's ``chromium`` package; nothing downloaded).

The page's own print stylesheet (``templates/page.css``) sets A4, the margins, the page numbers
(CSS ``@page`` margin boxes) and the production date; Chromium's own header and footer are off.
Chromium is optional: ``chromium_available()`` says whether PDFs can be made, and
``pdf_skipped_message()`` is what to tell the reader, once, when they cannot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from cchc_tools.atomic import atomic_path
from cchc_tools.errors import CchcError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge")
DEFAULT_TIMEOUT = 120


class PdfError(CchcError):
    """Chromium ran but gave no PDF (it failed, or took longer than the timeout)."""


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


def print_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Print ``html_path`` to ``pdf_path`` (whole or not at all). False when Chromium is not installed.

    Raises ``PdfError`` when Chromium fails or runs longer than ``timeout`` seconds (it is then
    killed with every process it started, so a hung browser never hangs a batch).
    """
    browser = chromium_path()
    if browser is None:
        return False
    html_path = Path(html_path).resolve()
    if not html_path.exists():
        raise PdfError(f"{html_path}: no such page to print")
    with tempfile.TemporaryDirectory(prefix="cchc-chromium-") as profile, atomic_path(pdf_path) as tmp:
        tmp.unlink()  # Chromium writes the file itself; an empty leftover must not pass for a PDF
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
               "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
               f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={tmp}", html_path.as_uri()]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env={**os.environ, "HOME": profile})
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise PdfError(f"{html_path}: Chromium did not finish printing within {timeout:g} s") from None
        finally:
            _kill(proc)
        if not tmp.exists() or tmp.stat().st_size == 0 or tmp.read_bytes()[:5] != b"%PDF-":
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfError(f"{html_path}: Chromium gave no PDF (exit {proc.returncode}): {' | '.join(tail)}")
    return True


def _kill(proc: subprocess.Popen) -> None:
    """End the browser's process group (only the processes this call started; on Windows, the browser)."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.poll() is None:
            proc.kill()
    proc.wait()
