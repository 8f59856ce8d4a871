"""``catalyst-tui mcp --agent NAME | --operator``: an MCP server over stdio (docs/mcp.md)."""

from __future__ import annotations

import argparse

from catalyst_tui.cli.common import add_workspace_arg, open_workspace, text
from catalyst_tui.core.board import OPERATOR
from catalyst_tui.core.errors import CatalystError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mcp", help="serve the board and health as MCP tools over stdio (docs/mcp.md)")
    add_workspace_arg(p)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--agent", type=text, metavar="NAME",
                     help="act as this agent: read everything, change only its own lane's cards")
    who.add_argument("--operator", action="store_true", help="act as the operator: may change any card")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from catalyst_tui.core.agent_api import AgentAPI

    api = AgentAPI(open_workspace(args), OPERATOR if args.operator else args.agent)
    try:
        from catalyst_tui.serve.mcp_server import serve_stdio  # the SDK only when serving
    except ModuleNotFoundError as exc:
        if exc.name != "mcp" and not (exc.name or "").startswith("mcp."):
            raise
        raise CatalystError("catalyst-tui mcp needs the MCP SDK: pip install 'catalyst-tui[mcp]'") from None
    serve_stdio(api)
    return 0
