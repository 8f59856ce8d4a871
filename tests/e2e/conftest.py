"""End-to-end fixtures: a private tmux server, live "agent" processes, the real sshd."""

from __future__ import annotations

import grp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sshd_harness
from sshd_harness import SshServer, find_sshd

from catalyst_tui.core.agents import write_state
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.procs import hostname, process_start_time
from catalyst_tui.core.workspace import Workspace


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.base = ["tmux", "-S", str(socket), "-f", "/dev/null"]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=15, check=True)

    def start(self, cmd: str, width: int = 80, height: int = 24) -> None:
        self.run("new-session", "-d", "-s", "dash", "-x", str(width), "-y", str(height), cmd)

    def capture(self) -> str:
        return subprocess.run([*self.base, "capture-pane", "-p", "-t", "dash"], capture_output=True, text=True,
                              timeout=15).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "dash", *keys)

    def triage_line(self) -> str:
        for line in self.capture().splitlines():
            if "healthy" in line or "affected" in line:
                return line
        return ""


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux binary not installed (CI installs it)")
    t = Tmux(tmp_path / "tmux.sock")
    yield t
    subprocess.run([*t.base, "kill-server"], capture_output=True, timeout=10)  # only our private server


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "", step: float = 0.05,
             show: Callable[[], str] | None = None) -> float:
    """Wait until ``predicate()``; returns the seconds it took (on failure, ``show()`` is in the message)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}" + (f":\n{show()}" if show else ""))


def quiet_ports(ws: Workspace) -> None:
    """A PORTS.md that documents no service: no hub runs in these tests, and a hub port "down"
    would (rightly) make every tenant affected. The triage of tenants is what is tested here."""
    from catalyst_tui.core.workspace import DEFAULT_PORTS_MD

    kept = [line for line in DEFAULT_PORTS_MD.splitlines() if not line.startswith(("| 3131", "| 18800", "| 19100"))]
    ws.ports_path.write_text("\n".join(kept) + "\n")


class Agents:
    """One real process per agent, recorded in its state.json (pid + start time), heartbeat now."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start_all(self) -> None:
        for name in self.ws.config.agent_names:
            proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            self.procs[name] = proc
            start = None
            while start is None:
                start = process_start_time(proc.pid)
            write_state(self.ws.agent(name), AgentState(agent=name, status="running", pid=proc.pid,
                                                        pid_start=start, host=hostname(),
                                                        heartbeat=time.time()))

    def kill(self, name: str) -> int:
        proc = self.procs[name]
        proc.kill()
        proc.wait(10)
        return proc.pid

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def agents_factory() -> Iterator[Callable[[Workspace], Agents]]:
    made: list[Agents] = []

    def make(ws: Workspace) -> Agents:
        quiet_ports(ws)
        a = Agents(ws)
        a.start_all()
        made.append(a)
        return a

    yield make
    for a in made:
        a.stop_all()


@pytest.fixture(scope="module")
def sshd_tty() -> Iterator[SshServer]:
    """The shared sshd harness, able to give ``ssh -t`` a pty.

    A non-root sshd must hand the new pty to group ``tty`` (``chown`` fails otherwise); it may
    when ``tty`` is one of its groups. The harness starts sshd with no supplementary groups, so
    here its ``Popen`` gets the ``tty`` group added; nothing else about the harness changes.
    """
    if find_sshd() is None:
        pytest.skip("no sshd binary on this machine (CI installs openssh-server)")
    real_popen = subprocess.Popen
    tty_gid = grp.getgrnam("tty").gr_gid

    def popen(argv, *args, **kw):  # type: ignore[no-untyped-def]
        if os.geteuid() == 0 and "extra_groups" in kw and str(argv[0]).endswith("sshd"):
            kw["extra_groups"] = [*kw["extra_groups"], tty_gid]
        return real_popen(argv, *args, **kw)

    workdir = Path(tempfile.mkdtemp(prefix="catalyst-sshd-"))
    sshd_harness.subprocess.Popen = popen  # type: ignore[misc]
    try:
        with SshServer.start(workdir) as server:
            sshd_harness.subprocess.Popen = real_popen  # type: ignore[misc]
            yield server
    finally:
        sshd_harness.subprocess.Popen = real_popen  # type: ignore[misc]
        shutil.rmtree(workdir, ignore_errors=True)
