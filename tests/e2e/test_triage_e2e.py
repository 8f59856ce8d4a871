"""The 2 AM case, for real: one tenant fails, its name is in the triage line within 2 s.

First in a local tmux at 80x24, then through ``ssh -t`` to a real non-root OpenSSH sshd on
127.0.0.1 (tests/sshd_harness.py), inside tmux at 80x24 with TERM=screen-256color.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Agents, Tmux, wait_for
from sshd_harness import SshServer

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.workspace import Workspace

pytestmark = [pytest.mark.tmux, pytest.mark.slow]
NAMES = ("aretha", "bjork", "bowie", "cher", "joni", "nina", "ozzy", "prince", "slash")


def fail(ws: Workspace, agents: Agents, name: str) -> int:
    """Errors in its dispatch log and a dead pid."""
    pid = agents.kill(name)
    for i in range(12):
        record_dispatch(ws.agent(name), id=f"boom-{i}", event="finished", status="error", latency_ms=900.0,
                        error="upstream timeout")
    return pid


def healthy_then_fail(tmux: Tmux, ws: Workspace, agents: Agents, victim: str) -> tuple[float, str]:
    wait_for(lambda: "all 9 healthy" in tmux.capture(), what="the dashboard to show all 9 healthy",
             show=tmux.capture)
    tmux.keys("F2")  # the Agents screen: the grid of panels
    wait_for(lambda: all(n in tmux.capture() for n in NAMES), what="the nine panels", show=tmux.capture)
    time.sleep(0.5)  # let the watcher settle: the clock starts at the failure
    start = time.monotonic()
    pid = fail(ws, agents, victim)
    wait_for(lambda: victim in tmux.triage_line(), timeout=10, what=f"{victim} in the triage line",
             show=tmux.capture)
    took = time.monotonic() - start
    line = tmux.triage_line()
    screen = tmux.capture()
    assert len(screen.splitlines()) <= 24 and all(len(row) <= 80 for row in screen.splitlines())
    assert f"pid {pid} not running" in screen  # the victim's panel says why
    return took, line


def test_failing_tenant_named_in_tmux_within_2s(tmp_path: Path, tmux: Tmux,
                                                agents_factory: Callable[[Workspace], Agents]) -> None:
    ws = Workspace.create(tmp_path / "ws")
    agents = agents_factory(ws)
    tmux.start(f"env TERM=screen-256color {shlex.quote(sys.executable)} -m catalyst_tui "
               f"--workspace {shlex.quote(str(ws.root))}")
    took, line = healthy_then_fail(tmux, ws, agents, "slash")
    print(f"local tmux: slash named after {took:.2f} s: {line.strip()}")
    assert took < 2.0, f"slash named after {took:.2f} s"
    assert line.strip().startswith("○ 1 of 9 affected: slash pid")


def test_failing_tenant_named_over_ssh_in_tmux(sshd_tty: SshServer, tmux: Tmux,
                                               agents_factory: Callable[[Workspace], Agents]) -> None:
    sshd = sshd_tty
    ws = Workspace.create(sshd.scratch("ws") / "ws")
    agents = agents_factory(ws)
    sshd.grant_read(ws.root)
    remote = sshd.remote(["env", "TERM=screen-256color", sshd.python, "-m", "catalyst_tui", "--read-only",
                          "--workspace", str(ws.root)])
    ssh = [remote[0], "-t", *remote[1:]]  # -t: a real pty on the far side
    tmux.start("env TERM=screen-256color " + shlex.join(ssh))
    took, line = healthy_then_fail(tmux, ws, agents, "bjork")
    print(f"over ssh: bjork named after {took:.2f} s: {line.strip()}")
    assert took < 2.0, f"bjork named after {took:.2f} s over ssh"
    assert line.strip().startswith("○ 1 of 9 affected: bjork pid")
