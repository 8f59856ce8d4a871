"""``catalyst-tui demo [PATH] [--no-ui]``: seed, simulate in the background, open the dashboard.

Besides the simulator, the demo plays the hub's own services on their documented ports
(127.0.0.1 only): stand-ins for the hub (3131) and the inference router (18800), and the real
Prometheus exporter (``metrics serve``, 19100), so the port map has something true to check.

One demo per path: a second one while the first runs says so and exits 1 (it never re-seeds a
workspace in use). Everything it starts ends with it: on a normal exit, when its terminal is
lost (``ui/hangup.py``), and, as the last resort, when the demo process itself dies (the
children ask the kernel for SIGTERM when their parent goes: ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from catalyst_tui.cli.common import number, path
from catalyst_tui.core.demo import default_demo_path, seed
from catalyst_tui.core.errors import CatalystError
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


def _die_with_parent() -> None:  # in the child, before exec (Linux; elsewhere a no-op)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def _one_demo(where: Path) -> Iterator[None]:
    """Hold ``.<name>.demo.lock`` beside the workspace (seeding replaces its directory) while the demo runs."""
    lock = where.absolute().with_name(f".{where.name}.demo.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise DemoRunning(f"a demo is already running on {visible(str(where))} (pid {visible(holder)}); "
                              "not re-seeding it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


class DemoRunning(CatalystError):
    pass


def _background(ws_root: Path, hub: bool, rate: float) -> list[subprocess.Popen[bytes]]:
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "preexec_fn": _die_with_parent}
    procs = []
    if hub:
        for service, port in HUB_STAND_INS:
            procs.append(subprocess.Popen([sys.executable, "-m", "catalyst_tui.core.demo.hub", service, str(port)],
                                          **quiet))  # type: ignore[call-overload]
        procs.append(subprocess.Popen([sys.executable, "-m", "catalyst_tui", "metrics", "serve",
                                       "--workspace", str(ws_root)], **quiet))  # type: ignore[call-overload]
    return procs


def _stop(procs: list[subprocess.Popen[bytes]], grace: float = 5.0) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(args: argparse.Namespace) -> int:
    where = Path(args.path) if args.path else default_demo_path()
    with _one_demo(where):  # DemoRunning (a CatalystError): one line, exit 1
        return _run(args, where)


def _run(args: argparse.Namespace, where: Path) -> int:
    ws = seed(where)
    print(f"demo workspace: {visible(str(ws.root))}", file=sys.stderr)
    sim = [sys.executable, "-m", "catalyst_tui", "simulate", "--workspace", str(ws.root), "--rate", str(args.rate)]
    procs = _background(ws.root, not args.no_hub, args.rate)
    try:
        if args.no_ui:
            if args.duration is not None:
                sim += ["--duration", str(args.duration)]
            return subprocess.call(sim)
        procs.append(subprocess.Popen(sim, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      preexec_fn=_die_with_parent))
        from catalyst_tui.ui import hangup
        from catalyst_tui.ui.launch import launch

        hangup.on_lost(lambda: _stop(procs, grace=0.3))  # the terminal went: everything started here goes too
        return launch(workspace=str(ws.root), read_only=args.read_only, theme=args.theme, from_mirror=None)
    finally:
        _stop(procs)
