"""``catalyst-tui demo [PATH] [--no-ui]``: seed, simulate in the background, open the dashboard.

Besides the simulator, the demo plays the hub's own services on their documented ports
(127.0.0.1 only): stand-ins for the hub (3131) and the inference router (18800), and the real
Prometheus exporter (``metrics serve``, 19100), so the port map has something true to check.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from catalyst_tui.cli.common import number, path
from catalyst_tui.core.demo import default_demo_path, seed
from catalyst_tui.core.text import visible

HUB_STAND_INS = (("catalyst-hub", 3131), ("inference-router", 18800))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="seed a demo workspace, simulate agents and open the dashboard")
    p.add_argument("path", type=path, metavar="PATH", nargs="?", help=f"where (default: {default_demo_path()})")
    p.add_argument("--no-ui", action="store_true", help="seed and simulate without the dashboard")
    p.add_argument("--no-hub", action="store_true", help="do not play the hub's services on their ports")
    p.add_argument("--duration", type=number(0, 10_000_000), default=None, help="with --no-ui: seconds to simulate")
    p.add_argument("--rate", type=number(0, 10_000), default=20.0, help="simulated dispatches per second")
    p.set_defaults(func=run)


def _background(ws_root: Path, hub: bool, rate: float) -> list[subprocess.Popen[bytes]]:
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = []
    if hub:
        for service, port in HUB_STAND_INS:
            procs.append(subprocess.Popen([sys.executable, "-m", "catalyst_tui.core.demo.hub", service, str(port)],
                                          **quiet))  # type: ignore[call-overload]
        procs.append(subprocess.Popen([sys.executable, "-m", "catalyst_tui", "metrics", "serve",
                                       "--workspace", str(ws_root)], **quiet))  # type: ignore[call-overload]
    return procs


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else default_demo_path()
    ws = seed(path)
    print(f"demo workspace: {visible(str(ws.root))}", file=sys.stderr)
    sim = [sys.executable, "-m", "catalyst_tui", "simulate", "--workspace", str(ws.root), "--rate", str(args.rate)]
    procs = _background(ws.root, not args.no_hub, args.rate)
    try:
        if args.no_ui:
            if args.duration is not None:
                sim += ["--duration", str(args.duration)]
            return subprocess.call(sim)
        procs.append(subprocess.Popen(sim, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from catalyst_tui.ui.launch import launch

        return launch(workspace=str(ws.root), read_only=args.read_only, theme=args.theme, from_mirror=None)
    finally:
        _stop(procs)
