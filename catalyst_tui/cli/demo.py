"""``catalyst-tui demo [PATH] [--no-ui]``: seed, simulate in the background, open the dashboard."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from catalyst_tui.core.demo import default_demo_path, seed


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="seed a demo workspace, simulate agents and open the dashboard")
    p.add_argument("path", metavar="PATH", nargs="?", help=f"where (default: {default_demo_path()})")
    p.add_argument("--no-ui", action="store_true", help="seed and simulate without the dashboard")
    p.add_argument("--duration", type=float, default=None, help="with --no-ui: seconds to simulate")
    p.add_argument("--rate", type=float, default=20.0, help="simulated dispatches per second")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else default_demo_path()
    ws = seed(path)
    print(f"demo workspace: {ws.root}", file=sys.stderr)
    cmd = [sys.executable, "-m", "catalyst_tui", "simulate", "--workspace", str(ws.root), "--rate", str(args.rate)]
    if args.no_ui:
        if args.duration is not None:
            cmd += ["--duration", str(args.duration)]
        return subprocess.call(cmd)
    sim = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from catalyst_tui.ui.launch import launch

        return launch(workspace=str(ws.root), read_only=args.read_only, theme=args.theme, from_mirror=None)
    finally:
        sim.terminate()
        try:
            sim.wait(5)
        except subprocess.TimeoutExpired:
            sim.kill()
