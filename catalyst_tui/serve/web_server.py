"""``catalyst-tui web``: the dashboard in a browser, served through textual-serve, safely.

textual-serve runs one dashboard process per browser tab and bridges its terminal to xterm.js
over a websocket. This module serves that bridge (its public ``Server.handle_websocket`` and
``handle_download``) from an aiohttp application of its own, so that every request first passes:

* the **host check**: on a loopback bind, the ``Host`` header must name a loopback host, so a web
  page elsewhere cannot reach the dashboard through DNS rebinding;
* the **origin check** on the websocket: a browser page from another origin cannot drive a
  session (websockets are not bound by the same-origin policy; the browser's ``Origin`` is);
* the **token** when one is set (required on anything but loopback): a request without it gets
  401. ``/?token=...`` sets an HttpOnly, SameSite=Strict cookie and redirects to ``/``, so the
  token leaves the address bar; scripts may send ``Authorization: Bearer <token>``. The token is
  compared in constant time and never logged (there is no access log: a URL can carry it).

The page is textual-serve's own with its fonts served from its statics: nothing is fetched from
the internet. Each session runs ``catalyst_tui.ui.web_session`` (a viewer: no jobs; read-only
unless ``--allow-writes``).
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import logging
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from textual_serve.server import Server

PAGE = Path(__file__).with_name("web_page.html")
COOKIE = "catalyst_web_token"
SHUTDOWN_S = 3.0
log = logging.getLogger("catalyst_tui.web")

Handler = Any  # aiohttp's handler type (a coroutine function of the request)


def is_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` and ``localhost`` (a name that resolves elsewhere is not loopback)."""
    host = host.strip("[]")
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    """``127.0.0.1:19101`` -> ``127.0.0.1``; ``[::1]:19101`` -> ``::1``."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header


def _font_size(text: str) -> int:
    """The page's ``?fontsize=``: ASCII digits within 6-72 (``str.isdigit`` also says yes to '²'), else 16."""
    if text.isascii() and text.isdigit() and 6 <= int(text) <= 72:
        return int(text)
    return 16


@dataclass
class WebDashboard:
    workspace: Path
    host: str = "127.0.0.1"
    port: int = 19101
    token: str | None = None
    allow_writes: bool = False
    title: str = "catalyst-tui"
    max_sessions: int = 8  # each open tab is one dashboard process (~40 MB): a bound on what tabs cost

    def __post_init__(self) -> None:
        self.loopback = is_loopback(self.host)
        if not self.loopback and not self.token:
            raise ValueError("a token is required on a non-loopback bind")
        command = [sys.executable, "-m", "catalyst_tui.ui.web_session", "--workspace", str(self.workspace)]
        if self.allow_writes:
            command.append("--allow-writes")
        # textual-serve starts the command through a shell: every word is quoted.
        self.bridge = Server(shlex.join(command), host=self.host, port=self.port, title=self.title)
        self.sessions = 0

    @property
    def command(self) -> str:
        return self.bridge.command

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.add_routes([
            web.get("/", self._index),
            web.get("/ws", self._session),
            web.get("/download/{key}", self.bridge.handle_download),
            web.static("/static", self.bridge.statics_path, show_index=False),
        ])
        return app

    # ------------------------------------------------------------------ the checks
    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.loopback and not is_loopback(_hostname(request.host)):
            return web.Response(status=421, text="421: this dashboard answers on loopback names only\n")
        if request.path == "/ws" and not self._same_origin(request):
            return web.Response(status=403, text="403: a session must come from this dashboard's own page\n")
        if self.token:
            supplied = self._supplied_token(request)
            # surrogateescape: a header byte that is not UTF-8 is a wrong token, not a 500
            if supplied is None or not hmac.compare_digest(supplied.encode("utf-8", "surrogateescape"),
                                                           self.token.encode()):
                return web.Response(status=401, text="401: this dashboard needs its token (open /?token=...)\n",
                                    headers={"WWW-Authenticate": 'Bearer realm="catalyst-tui"'})
            if request.path == "/" and "token" in request.query:  # keep it out of the address bar and history
                response = web.HTTPSeeOther("/")
                response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict", path="/")
                return response
        return await handler(request)

    def _supplied_token(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ").strip()
        return request.query.get("token") or request.cookies.get(COOKIE)

    @staticmethod
    def _same_origin(request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser (browsers always send Origin on a websocket)
            return True
        return origin in (f"http://{request.host}", f"https://{request.host}")

    async def _session(self, request: web.Request) -> web.StreamResponse:
        """One browser tab's dashboard process, while fewer than ``max_sessions`` are open."""
        if self.sessions >= self.max_sessions:
            return web.Response(status=503, text=f"503: {self.sessions} sessions open already "
                                                 f"(--max-sessions {self.max_sessions}); close a tab\n")
        self.sessions += 1
        try:
            return await self.bridge.handle_websocket(request)
        finally:
            self.sessions -= 1

    # ------------------------------------------------------------------ the page
    async def _index(self, request: web.Request) -> web.Response:
        page = (PAGE.read_text(encoding="utf-8")
                .replace("{{ title }}", html.escape(self.title))
                .replace("{{ font_size }}", str(_font_size(request.query.get("fontsize", "")))))
        return web.Response(text=page, content_type="text/html",
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    # ------------------------------------------------------------------ running
    def serve(self, announce: Callable[[], None] = lambda: None) -> None:
        """Serve until SIGINT / SIGTERM; ``announce`` is called once the socket listens.

        No access log: a URL may carry the token. Open sessions get a few seconds to close.
        """
        web.run_app(self.make_app(), host=self.host, port=self.port, access_log=None,
                    print=lambda *_: announce(), handle_signals=True, shutdown_timeout=SHUTDOWN_S)
