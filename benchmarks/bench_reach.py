"""The agent's call through MCP against shelling out to the CLI, on 9 lanes x 50 cards.

What an agent pays to ask the workspace something:

1. ``list_cards`` (one lane) and ``add_card`` as tool calls in one ``catalyst-tui mcp`` session
   (the SDK's own client over stdio), median over N calls;
2. the same two as ``catalyst-tui card list --agent A --json`` / ``card add`` processes (what an
   agent without MCP does), median over N, in the same run;
3. the session's start: process spawn to the first ``list_tools`` answer.

The ratio reported is CLI / MCP per call (higher: MCP saves more). The machine is shared and
loaded: read the ratios, not the absolute figures.

    .venv/bin/python benchmarks/bench_reach.py [--quick]
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report
from mcp import Client, StdioServerParameters

from catalyst_tui.core.workspace import Workspace


def _seed(root: Path, per_lane: int) -> Workspace:
    ws = Workspace.create(root)
    for agent in ws.config.agent_names:
        for i in range(per_lane):
            ws.board.add(agent, f"{agent} task {i}", ws.config.board.columns[i % 5])
    return ws


async def _mcp(ws: Workspace, n: int) -> tuple[float, list[float], list[float]]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "catalyst_tui", "mcp", "-w", str(ws.root),
                                                                 "--agent", "bjork"])
    t0 = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        start = time.perf_counter() - t0
        lists, adds = [], []
        for i in range(n):
            t = time.perf_counter()
            result = await client.call_tool("list_cards", {"agent": "bjork"})
            lists.append(time.perf_counter() - t)
            assert not result.is_error
            t = time.perf_counter()
            result = await client.call_tool("add_card", {"title": f"mcp {i}"})
            adds.append(time.perf_counter() - t)
            assert not result.is_error
    return start, lists, adds


def _cli(ws: Workspace, n: int) -> tuple[list[float], list[float]]:
    base = [sys.executable, "-m", "catalyst_tui", "card"]
    lists, adds = [], []
    for i in range(n):
        t = time.perf_counter()
        subprocess.run([*base, "list", "--agent", "bjork", "--json", "-w", str(ws.root)], check=True,
                       capture_output=True)
        lists.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([*base, "add", "bjork", f"cli {i}", "--by", "bjork", "-w", str(ws.root)], check=True,
                       capture_output=True)
        adds.append(time.perf_counter() - t)
    return lists, adds


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    n = 5 if args.quick else 30
    with tempfile.TemporaryDirectory() as tmp:
        ws = _seed(Path(tmp) / "ws", 10 if args.quick else 50)
        start, mcp_list, mcp_add = asyncio.run(_mcp(ws, n))
        cli_list, cli_add = _cli(ws, n)
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    report([
        ("calls", str(n)),
        ("mcp session start (spawn -> tools listed)", f"{start * 1000:.0f} ms"),
        ("list_cards: mcp / cli process", f"{ms(mcp_list):.1f} ms / {ms(cli_list):.0f} ms "
                                          f"(cli/mcp {ms(cli_list) / ms(mcp_list):.0f}x)"),
        ("add_card:   mcp / cli process", f"{ms(mcp_add):.1f} ms / {ms(cli_add):.0f} ms "
                                          f"(cli/mcp {ms(cli_add) / ms(mcp_add):.0f}x)"),
    ])


if __name__ == "__main__":
    main()
