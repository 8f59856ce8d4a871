"""``catalyst-tui status [--json] [--window 1m|5m|1h]``: per-agent health from the metrics engine.

The same :class:`~catalyst_tui.core.health.monitor.WorkspaceMonitor` and triage as the dashboard, so
scripts and alerting see what the screen shows: tenants are judged on ``[metrics] window``
against their own baseline and their peers; ``--window`` changes only the figures printed.

Exit codes (docs/cli.md): 0 no tenant affected (tenants still waiting for their first heartbeat
within ``[health] startup_grace_s`` are not affected), 1 a tenant affected or the index on its
fallback copy, 2 usage and workspace errors (not a workspace, unreadable ``catalyst.toml``).
"""

from __future__ import annotations

import argparse

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, open_workspace, print_json
from catalyst_tui.core.health import WINDOWS
from catalyst_tui.core.humanize import duration_ms
from catalyst_tui.core.status import status_report
from catalyst_tui.core.text import visible


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="per-agent health (exit 1 when a tenant is affected, 2 when no workspace)")
    add_workspace_arg(p)
    add_json_flag(p)
    p.add_argument("--window", choices=list(WINDOWS), default=None,
                   help="figures shown over this window (the verdict is always on [metrics] window)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # no workspace (NoWorkspace, ConfigError): exit 2 from cli.main, like every command (a typo
    # in a path is not a tenant down)
    report = status_report(open_workspace(args), window=getattr(args, "window", None))
    tri, view = report.triage, report.view
    if args.json:
        print_json(report.to_json())
    else:
        print(visible(tri.text) + (f"  (index: {visible(view.fallback)})" if view.fallback else ""))
        for s in report.statuses.values():
            f = s.view
            p95 = duration_ms(f.p95_ms) if f.p95_ms is not None else "-"
            print(f"{s.name:<12} {s.health.value:<12} finished {f.finished:>6}  errors {f.error_rate:>5.1%}  "
                  f"p95 {p95:>8}  queue {f.queue_depth:>4}  {visible('; '.join(s.reasons))}")
    return 1 if report.unhealthy or view.fallback else 0
