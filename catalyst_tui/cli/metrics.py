"""``catalyst-tui metrics serve [--port 19100] [--bind 127.0.0.1]``: Prometheus exporter."""

from __future__ import annotations

import argparse
import sys

from catalyst_tui.cli.common import add_workspace_arg, number, open_workspace, text
from catalyst_tui.core.errors import CatalystError, os_reason
from catalyst_tui.core.text import visible


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("metrics", help="per-agent metrics for Prometheus")
    msub = p.add_subparsers(dest="metrics_command", metavar="ACTION", required=True)
    serve = msub.add_parser("serve", help="serve /metrics (Prometheus text format, `agent` label)")
    add_workspace_arg(serve)
    serve.add_argument("--port", type=number(1, 65535, integer=True), default=None,
                       help="TCP port (default: [metrics] port, 19100)")
    serve.add_argument("--bind", type=text, default=None, help="address to bind (default: [metrics] bind, 127.0.0.1)")
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from catalyst_tui.core.health import MetricsServer
    from catalyst_tui.core.outcomes import read_outcomes

    ws = open_workspace(args)
    port = ws.config.metrics.port if args.port is None else args.port
    bind = args.bind or ws.config.metrics.bind
    if not 0 <= port <= 65535:
        raise CatalystError(f"--port {port}: not a TCP port")
    server = MetricsServer(ws.monitor(), port, bind, jobs=lambda: read_outcomes(ws.root, ws.config))
    try:
        server.start()
    except OSError as exc:
        raise CatalystError(f"cannot listen on {bind}:{port}: {os_reason(exc)}") from None
    print(visible(f"serving per-agent metrics on http://{bind}:{server.port}/metrics (workspace {ws.root})"),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    sys.stdout.flush()
    return 0
