"""``catalyst-tui simulate [--rate N] [--duration S]``."""

from __future__ import annotations

import argparse

from catalyst_tui.cli.common import UsageError, add_workspace_arg, number, open_workspace
from catalyst_tui.core.demo import Simulator


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="realistic agent activity (dispatches, heartbeats, chat, card moves)")
    add_workspace_arg(p)
    p.add_argument("--rate", type=number(0, 10_000), default=20.0,
                   help="dispatches per second across all agents (default 20)")
    p.add_argument("--duration", type=number(0, 10_000_000), default=None,
                   help="seconds to run (default: until interrupted)")
    p.add_argument("--slow-agent", default="bjork", help="the misbehaving agent ('' for none)")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.rate < 0 or (args.duration is not None and args.duration < 0):
        raise UsageError("simulate: --rate and --duration must be >= 0")
    ws = open_workspace(args)
    sim = Simulator(ws, rate=args.rate, slow_agent=args.slow_agent or None, seed=args.seed)
    try:
        sim.run(args.duration)
    except KeyboardInterrupt:
        pass
    s = sim.stats
    print(f"simulated {s['dispatches']} dispatches, {s['moves']} card moves, {s['heartbeats']} heartbeat rounds")
    return 0
