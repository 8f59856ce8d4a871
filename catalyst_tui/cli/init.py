"""``catalyst-tui init PATH``."""

from __future__ import annotations

import argparse

from catalyst_tui.cli.common import path
from catalyst_tui.core.text import visible
from catalyst_tui.core.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a new workspace with nine default agents")
    p.add_argument("path", type=path, metavar="PATH")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ws = Workspace.create(args.path)
    names = ", ".join(ws.config.agent_names)
    print(f"created workspace {visible(str(ws.root))} with {len(ws.config.agents)} agents: {names}")
    return 0
