"""The explorer as a web page for colleagues (``make explore``): Voilà with the kit's own template, safe to serve.

``python -m cchc_tools.workbench.serve notebooks/explore.ipynb --port 8866 [--allow-host NAME] [--max-kernels N]
[--cull-idle SECONDS] [VOILA OPTIONS]`` starts Voilà on 127.0.0.1 with:

- the kit's template ``cchc`` (``cchc_tools/data/jupyter/voila/templates/cchc``): ``lang="vi"``, a Vietnamese
  title, nothing fetched from another server, only the cells tagged ``cchc-page`` drawn;
- the page's cells only: Voilà's prelaunch hook (:func:`prelaunch`) drops every cell not tagged ``parameters``,
  ``cchc-setup`` or ``cchc-page`` before the kernel runs (the analyst's guide and its test cells never run for a
  colleague's page);
- the ``Host`` header checked by jupyter-server itself (``allow_remote_access`` off, ``local_hostnames``:
  ``localhost`` and each ``--allow-host``; an IP address must be a loopback one), and in the hook the ``Origin``
  (when sent) must be the page's own host, and a request another site makes (``Sec-Fetch-Site: cross-site``, a
  hidden ``<img src>``) is refused before any kernel starts;
- one kernel per browser session (a cookie; the session's former kernel is shut down when it loads the page
  again), at most ``--max-kernels`` kernels (at the cap, the longest idle one without an open page is shut down;
  when every one has an open page the request gets 503 and a Vietnamese message), and idle kernels culled by
  jupyter-server (``MappingKernelManager.cull_idle_timeout``, ``cull_interval``, ``cull_connected``).
"""

from __future__ import annotations

import argparse
import contextvars
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlparse

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Int

TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "jupyter"
TEMPLATE = "cchc"
PAGE_TAGS = {"parameters", "cchc-setup", "cchc-page"}
COOKIE = "cchc_session"
MAX_KERNELS = 4
CULL_IDLE = 1800  # seconds without any execution: a page left open over lunch gives its kernel back
SESSION: contextvars.ContextVar[str | None] = contextvars.ContextVar("cchc_session", default=None)
FULL = "Máy chủ đang phục vụ tối đa {n} trang khám phá số liệu; hãy đóng bớt một trang rồi tải lại sau ít phút."


def prelaunch(req: web.RequestHandler, notebook, cwd: str):
    """Voilà's prelaunch hook, run before each page's kernel starts: refuse what another site asks for, give the
    browser its session, keep only the page's cells."""
    headers = req.request.headers
    if headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise web.HTTPError(403, "cross-site request refused")
    origin = headers.get("Origin")
    if origin and urlparse(origin).netloc.lower() != req.request.host.lower():
        raise web.HTTPError(403, "foreign Origin refused")
    session = req.get_cookie(COOKIE)
    if not session or len(session) > 64 or not session.replace("-", "").replace("_", "").isalnum():
        session = secrets.token_urlsafe(24)
        req.set_cookie(COOKIE, session, httponly=True, samesite="Strict", path="/")
    SESSION.set(session)
    notebook.cells = [c for c in notebook.cells if PAGE_TAGS & set(c.get("metadata", {}).get("tags", []))]
    return notebook


class SessionKernelManager(AsyncMappingKernelManager):
    """jupyter-server's kernel manager with one kernel per browser session and a cap on their number."""

    max_kernels = Int(MAX_KERNELS, config=True, help="At most this many kernels (pages) at once.")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._sessions: dict[str, str] = {}

    async def start_kernel(self, *args, **kwargs) -> str:
        session = SESSION.get()
        old = self._sessions.pop(session, None) if session else None
        if old and old in self:
            await self.shutdown_kernel(old)
        if len(self.list_kernel_ids()) >= self.max_kernels:
            idle = [k for k in self.list_kernel_ids() if not self._kernel_connections.get(k)]
            if not idle:
                raise web.HTTPError(503, FULL.format(n=self.max_kernels), reason="Service Unavailable")
            oldest = min(idle, key=lambda k: self.get_kernel(k).last_activity)
            await self.shutdown_kernel(oldest)
            self._sessions = {s: k for s, k in self._sessions.items() if k != oldest}
        kernel_id = await super().start_kernel(*args, **kwargs)
        if session:
            self._sessions[session] = kernel_id
        return kernel_id


def voila_config(allow_hosts: list[str], max_kernels: int, cull_idle: int):
    """Voilà's settings: 127.0.0.1, the kit's template, the hook, the kernel manager and its limits."""
    from traitlets.config import Config

    c = Config()
    c.Voila.ip = "127.0.0.1"
    c.Voila.open_browser = False
    # jupyter-server's own Host check, which standalone Voilà turns off (allow_remote_access=True)
    c.Voila.tornado_settings = {"allow_remote_access": False, "local_hostnames": ["localhost", *allow_hosts]}
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.theme = "light"
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.prelaunch_hook = prelaunch
    c.VoilaConfiguration.multi_kernel_manager_class = SessionKernelManager
    c.SessionKernelManager.max_kernels = max_kernels
    c.MappingKernelManager.cull_idle_timeout = cull_idle
    c.MappingKernelManager.cull_interval = 60
    c.MappingKernelManager.cull_connected = True  # a page left open but unused gives its kernel back too
    return c


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m cchc_tools.workbench.serve",
                                description="The explorer for colleagues: Voilà, the kit's template, safe to serve.")
    p.add_argument("notebook")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a host name colleagues use to reach this machine (besides 127.0.0.1 and localhost)")
    p.add_argument("--max-kernels", type=int, default=MAX_KERNELS)
    p.add_argument("--cull-idle", type=int, default=CULL_IDLE, metavar="SECONDS")
    args, rest = p.parse_known_args(argv)
    from voila.app import Voila

    # the kit's template is found where Voilà looks for templates: a Jupyter data folder
    os.environ["JUPYTER_PATH"] = os.pathsep.join(x for x in (str(TEMPLATES), os.environ.get("JUPYTER_PATH")) if x)
    allow = [h.strip() for h in args.allow_host if h.strip()]
    Voila.launch_instance(argv=[args.notebook, f"--port={args.port}", *rest],
                          config=voila_config(allow, args.max_kernels, args.cull_idle))


if __name__ == "__main__":
    main(sys.argv[1:])
