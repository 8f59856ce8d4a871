"""``catalyst-tui web [--host H] [--port P] [--token [T]] [--allow-writes]``: the dashboard in a browser.

Served through textual-serve (docs/web.md). Loopback only by default; any other bind needs a
token. Each browser tab is a viewer session: it never runs the janitor or a snapshot push, and
it is read-only unless ``--allow-writes``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from catalyst_tui.cli.common import UsageError, add_workspace_arg, open_workspace, text
from catalyst_tui.core.errors import CatalystError, os_reason
from catalyst_tui.core.text import visible

DEFAULT_PORT = 19101  # the dashboards band (191xx) of PORTS.md; 19100 is the metrics exporter
TOKEN_ENV = "CATALYST_WEB_TOKEN"
GENERATE = "generate"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the dashboard to a browser (textual-serve; docs/web.md)")
    add_workspace_arg(p)
    p.add_argument("--host", type=text, default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; anything but loopback needs a token)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    p.add_argument("--token", nargs="?", const=GENERATE, default=None, metavar="TOKEN",
                   help=f"require this token (bare --token: generate one and print it once; "
                        f"default: ${TOKEN_ENV} if set)")
    p.add_argument("--max-sessions", type=int, default=8, metavar="N",
                   help="at most N browser tabs at once, each one dashboard process (default 8)")
    p.add_argument("--allow-writes", action="store_true",
                   help="let web sessions move and add cards (default: read-only)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    if not 0 < args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a TCP port")
    if args.max_sessions < 1:
        raise UsageError(f"--max-sessions {args.max_sessions}: at least 1")
    from_env = os.environ.pop(TOKEN_ENV, None)  # popped: the sessions never inherit it
    token = args.token or from_env or None
    generated = token == GENERATE
    if generated:
        token = secrets.token_urlsafe(24)
    try:
        from catalyst_tui.serve.web_server import WebDashboard, is_loopback
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("textual_serve", "aiohttp"):
            raise
        raise CatalystError("catalyst-tui web needs textual-serve: pip install 'catalyst-tui[web]'") from None
    if not is_loopback(args.host) and not token:
        raise UsageError(f"--host {args.host} is not loopback: a token is required "
                         f"(--token TOKEN, ${TOKEN_ENV}, or a bare --token to generate one)")
    if args.allow_writes and not token:
        # loopback is not one person: every local account on the hub could reach 127.0.0.1
        raise UsageError(f"--allow-writes needs a token: any local user could move cards "
                         f"(--token TOKEN, ${TOKEN_ENV}, or a bare --token to generate one)")
    dash = WebDashboard(ws.root, host=args.host, port=args.port, token=token, allow_writes=args.allow_writes,
                        max_sessions=args.max_sessions)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{args.port}/"
    mode = "writes allowed" if args.allow_writes else "read-only"

    def announce() -> None:
        if generated:  # printed once, here, and nowhere else
            print(visible(f"serving the dashboard on {url}?token={token} ({mode}; workspace {ws.root})"), flush=True)
        else:
            print(visible(f"serving the dashboard on {url} ({mode}{'; token required' if token else ''}; "
                          f"workspace {ws.root})"), flush=True)

    # one line a record on stderr; the server's own requests are not logged (a URL may carry the token)
    from catalyst_tui.core.applog import log_to_stderr

    log_to_stderr("catalyst-tui web")
    try:
        dash.serve(announce)
    except OSError as exc:
        raise CatalystError(f"cannot listen on {args.host}:{args.port}: {os_reason(exc)}") from None
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    return 0
