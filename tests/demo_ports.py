"""The demo's hub services listen on their documented ports (3131, 18800, 19100): a contract, so the
tests that play them use those very ports. On a machine shared by several test runs (worktrees,
CI jobs) that is one resource: :func:`demo_ports` takes a machine-wide lock for the test's
duration (every test that starts the demo's hub takes it), then waits for the ports to be free
(an operator's demo may hold them) and fails with one clear line naming the holder if they stay
busy. Without it, a second run's stand-ins fail to bind, the first run's check sees the other
run's services up, and "all released afterwards" fails on ports that were never ours.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

DEMO_PORTS = (3131, 18800, 19100)  # cli/demo.py's stand-ins and `metrics serve` ([metrics] port)
LOCK = Path(tempfile.gettempdir()) / "catalyst-tui-tests-demo-ports.lock"


def in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the stand-ins bind
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def holder(port: int) -> str:
    """Who listens on ``port`` (for the failure message), as far as this user may see."""
    try:
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                with contextlib.suppress(psutil.Error):
                    return f"pid {conn.pid} ({' '.join(psutil.Process(conn.pid).cmdline())[:120]})"
                return f"pid {conn.pid}"
    except psutil.Error:
        pass
    return "a process this user cannot see"


@contextlib.contextmanager
def demo_ports(wait_s: float = 60.0, require_free: bool = True) -> Iterator[None]:
    """Hold the machine-wide lock on the demo's ports; with ``require_free``, also wait (at most
    ``wait_s``, lock wait included) until nothing listens on them."""
    deadline = time.monotonic() + wait_s
    fd = os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test run on this machine has held {LOCK} for {wait_s:.0f} s "
                                f"(it plays the demo's hub on ports {DEMO_PORTS})")
                time.sleep(0.2)
        while require_free and (busy := [p for p in DEMO_PORTS if in_use(p)]):
            if time.monotonic() > deadline:
                pytest.fail("the demo's documented ports must be free for this test; still in use after "
                            f"{wait_s:.0f} s: " + ", ".join(f"{p} by {holder(p)}" for p in busy))
            time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # releases the lock
