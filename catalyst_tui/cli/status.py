"""``catalyst-tui status [--json]``: exit 0 when all tenants are healthy, 1 when any is not."""

from __future__ import annotations

import argparse

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, open_workspace, print_json
from catalyst_tui.core.humanize import duration_ms
from catalyst_tui.core.models import Health


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("status", help="per-agent health (exit 1 when any tenant is not healthy)")
    add_workspace_arg(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    statuses = ws.monitor().refresh_all()
    view = ws.board.load()
    unhealthy = [s for s in statuses.values() if s.health is not Health.OK]
    if args.json:
        print_json({
            "workspace": str(ws.root),
            "healthy": not unhealthy,
            "affected": [s.name for s in unhealthy],
            "index": {"seq": view.seq, "cards": len(view.cards), "fallback": view.fallback},
            "agents": [s.to_json() for s in statuses.values()],
        })
    else:
        summary = f"all {len(statuses)} healthy" if not unhealthy else f"{len(unhealthy)} of {len(statuses)} affected"
        print(summary + (f"  (index: {view.fallback})" if view.fallback else ""))
        for s in statuses.values():
            f = s.figures
            p95 = duration_ms(f.p95_ms) if f.p95_ms is not None else "-"
            print(f"{s.name:<12} {s.health.value:<12} dispatches {f.records:>7}  errors {f.error_rate:>5.1%}  "
                  f"p95 {p95:>8}  queue {f.queue_depth:>4}  {'; '.join(s.reasons)}")
    return 1 if unhealthy or view.fallback else 0
