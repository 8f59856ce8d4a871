"""The runtime's faces as real processes: the daemon, dashboards in a real tmux (own -L server),
hang-ups, takeover after kill -9, and signals in the middle of a janitor run and of a push."""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import psutil
import pytest
from demo_ports import demo_ports
from rt_helpers import set_config

import catalyst_tui
from catalyst_tui.core.janitor import JanitorPaths, pending, read
from catalyst_tui.core.runtime import state as published
from catalyst_tui.core.snapshot import Mirror
from catalyst_tui.core.snapshot.targets import FileTarget
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import seed_workspace

pytestmark = [pytest.mark.slow]
CLI = [sys.executable, "-m", "catalyst_tui"]
REPO = Path(catalyst_tui.__file__).resolve().parents[1]


def until(cond, timeout: float = 20.0, what: str = "condition", step: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[list[str]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux binary not installed (CI installs it)")
    base = ["tmux", "-L", f"runtime-{os.getpid()}-{tmp_path.name}"]
    yield base
    subprocess.run([*base, "kill-server"], capture_output=True, timeout=10)  # only our private server


def capture(tmux: list[str]) -> str:
    return subprocess.run([*tmux, "capture-pane", "-p", "-t", "dash"], capture_output=True, text=True,
                          timeout=10).stdout


def start_in_tmux(tmux: list[str], cmd: str, env: dict[str, str] | None = None) -> int:
    env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
    subprocess.run([*tmux, "new-session", "-d", "-s", "dash", "-x", "100", "-y", "30", f"exec {cmd}"],
                   check=True, env=env, timeout=10)
    out = subprocess.run([*tmux, "list-panes", "-t", "dash", "-F", "#{pane_pid}"], capture_output=True, text=True,
                         check=True, timeout=10)
    return int(out.stdout.split()[0])


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _command(p: psutil.Process) -> str:
    """A process's command line, "" once it is gone or a zombie (a demo child that exited at once,
    e.g. a hub stand-in whose port another process holds, is a zombie until its parent reaps it)."""
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def _running(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def listening_ports(procs: list[psutil.Process]) -> set[int]:
    pids = {p.pid for p in procs}
    return {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.pid in pids}


def dashboard(ws: Workspace) -> str:
    return " ".join(shlex.quote(a) for a in [*CLI, "--workspace", str(ws.root)])


def kill_session_and_check(tmux: list[str], procs: list[psutil.Process]) -> None:
    ports = listening_ports(procs)
    t0 = time.monotonic()
    subprocess.run([*tmux, "kill-session", "-t", "dash"], check=True, timeout=10)
    _, alive = psutil.wait_procs(procs, timeout=2.0)
    took = time.monotonic() - t0
    alive = [p for p in alive if _running(p)]  # a zombie has ended (its parent, tmux, reaps it later)
    for p in alive:
        p.kill()
    assert alive == [], f"still running {took:.1f} s after the hang-up: {[p.pid for p in alive]}"
    pids = {p.pid for p in procs}
    still = {c.laddr.port for c in psutil.net_connections("tcp")
             if c.status == psutil.CONN_LISTEN and c.pid in pids and c.laddr.port in ports}
    assert still == set()


@pytest.mark.tmux
def test_killing_the_tmux_session_ends_the_dashboard_within_2_s(tmp_path: Path, tmux: list[str]) -> None:
    ws = seed_workspace(tmp_path / "ws", {"bjork": [("todo", "Fix the router")]})
    pid = start_in_tmux(tmux, dashboard(ws))
    until(lambda: "Fix the router" in capture(tmux), what="the board")
    until(lambda: published.read(ws.internal_dir) is not None, what="the embedded runtime")
    kill_session_and_check(tmux, tree(pid))
    assert published.read(ws.internal_dir) is not None  # it held the jobs ...
    rt_lock = ws.internal_dir / "runtime.lock"
    assert until(lambda: not _held(rt_lock), timeout=2, what="the lock")  # ... and nobody holds them now


@pytest.mark.tmux
def test_killing_a_make_demo_session_ends_everything_it_started(tmp_path: Path, tmux: list[str]) -> None:
    if shutil.which("make") is None or not (REPO / "Makefile").exists():
        pytest.skip("make or the Makefile is not here")
    venv = Path(sys.executable).parent.parent
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "VENV": str(venv)}
    with demo_ports(require_free=False):  # its hub stand-ins must not take another run's demo ports meanwhile
        pid = start_in_tmux(tmux, f"make -s -C {shlex.quote(str(REPO))} demo", env)
        demo_ws = tmp_path / "data" / "catalyst-tui" / "demo"
        until(lambda: "bjork" in capture(tmux) and (demo_ws / ".catalyst" / "runtime.json").exists(), timeout=40,
              what="the demo dashboard")
        procs = until(lambda: (t := tree(pid)) and any("simulate" in _command(p) for p in t) and t,
                      what="the demo's children")  # the simulator, the hub stand-ins (when their ports are free) ...
        kill_session_and_check(tmux, procs)


def test_a_second_demo_says_so_and_exits_1(tmp_path: Path) -> None:
    where = tmp_path / "demo"
    first = subprocess.Popen([*CLI, "demo", str(where), "--no-ui", "--no-hub", "--duration", "30"],
                             stderr=subprocess.PIPE, text=True)
    try:
        until(lambda: (where / "catalyst.toml").exists(), what="the first demo")
        before = (where / "catalyst.toml").stat().st_ino
        second = subprocess.run([*CLI, "demo", str(where), "--no-ui", "--no-hub", "--duration", "1"],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert f"a demo is already running on {where} (pid {first.pid})" in second.stderr
        assert (where / "catalyst.toml").stat().st_ino == before  # not re-seeded
    finally:
        first.terminate()
        first.wait(10)


def _held(lock: Path) -> bool:
    import fcntl

    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _daemon(ws: Workspace, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLI, "daemon", "--workspace", str(ws.root), *extra], stderr=subprocess.PIPE, text=True)


def _reports(ws: Workspace) -> list[dict[str, object]]:
    runs = JanitorPaths(ws.root).runs
    return [msgspec.json.decode(p.read_bytes()) for p in sorted(runs.glob("*.json"))] if runs.exists() else []


def test_a_second_daemon_refuses_naming_the_holder(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws")
    first = _daemon(ws)
    try:
        until(lambda: published.read(ws.internal_dir) is not None, what="the first daemon")
        second = subprocess.run([*CLI, "daemon", "--workspace", str(ws.root)], capture_output=True, text=True,
                                timeout=30)
        assert second.returncode == 1
        assert second.stderr.strip().endswith(f"the workspace's jobs already run in daemon pid {first.pid}")
        assert len(second.stderr.strip().splitlines()) == 1
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
    lines = [msgspec.json.decode(line) for line in first.stderr.read().splitlines() if line.startswith("{")]
    assert any(line.get("event") == "watch" for line in lines) and lines[-1]["msg"] == "stopped"
    assert all("agent" in line for line in lines if line.get("event") == "health")


@pytest.mark.tmux
def test_dashboard_shows_the_daemons_runs_and_takes_over_after_kill_9(tmp_path: Path, tmux: list[str]) -> None:
    ws = seed_workspace(tmp_path / "ws", {"bjork": [("todo", "Fix the router")]})
    set_config(ws, "janitor", interval_s=2.0)
    set_config(ws, "runtime", takeover_s=1.0)
    daemon = _daemon(ws)
    try:
        until(lambda: (st := published.read(ws.internal_dir)) is not None and st.pid == daemon.pid,
              what="the daemon holds")
        pid = start_in_tmux(tmux, dashboard(ws))
        until(lambda: "Fix the router" in capture(tmux), what="the board")
        subprocess.run([*tmux, "send-keys", "-t", "dash", "F4"], check=True, timeout=10)
        until(lambda: f"janitor runs in daemon pid {daemon.pid}" in capture(tmux), what="who runs the janitor")
        start = len(_reports(ws))
        time.sleep(7.0)
        reports = _reports(ws)[start:]
        assert 2 <= len(reports) <= 4, len(reports)  # once per 2 s interval (plus its run time), never twice
        starts = sorted(float(r["started"]) for r in reports)  # type: ignore[arg-type]
        assert all(b - a >= 1.9 for a, b in itertools.pairwise(starts)), starts
        newest = str(reports[-1]["run"])
        until(lambda: newest[:16] in capture(tmux), what="the daemon's newest run on the dashboard")
        daemon.kill()  # kill -9: no clean-up at all
        daemon.wait(10)
        t0 = time.monotonic()
        until(lambda: (st := published.read(ws.internal_dir)) is not None and st.kind == "dashboard"
              and st.pid in {p.pid for p in tree(pid)}, timeout=30, what="the takeover")
        assert time.monotonic() - t0 < 30
        until(lambda: "janitor runs in this dashboard" in capture(tmux), what="the screen says so")
        taken = len(_reports(ws))
        until(lambda: len(_reports(ws)) > taken, timeout=10, what="a janitor run in the dashboard")
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(10)


def _many_old_files(ws: Workspace, n: int) -> None:
    old = time.time() - 30 * 86400
    for i in range(n):
        f = ws.root / "agents" / "cher" / "locks" / f"stale-{i:05d}.lock"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
        os.utime(f, (old, old))


def test_sigterm_during_a_janitor_run_leaves_nothing_half_done(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws")
    n = 1500
    _many_old_files(ws, n)
    (ws.root / "catalyst.toml").write_text((ws.root / "catalyst.toml").read_text().replace(
        "[janitor]", '[janitor]\nrules = [{ pattern = "agents/*/locks/*.lock", ttl_s = 60, action = "archive" }]', 1))
    set_config(Workspace.open(ws.root), "janitor", interval_s=0.5)
    daemon = _daemon(ws)
    paths = JanitorPaths(ws.root)
    try:
        until(lambda: paths.journal.exists() and b'"phase":"done"' in paths.journal.read_bytes(), timeout=30,
              step=0.01, what="the janitor acting")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    records, problems = read(paths)
    assert problems == [] and pending(records) == []  # every intent has its done: nothing to recover
    assert any(r.get("action") == "run-end" for r in records)
    left = set((ws.root / "agents/cher/locks").glob("*.lock"))
    archived = {p.name for p in (ws.root / "archive").rglob("*.lock")}
    assert len(left) + len(archived) == n and not ({p.name for p in left} & archived)  # each file in one place
    assert archived  # it did act before stopping


def test_sigterm_during_a_push_rolls_it_back_and_keeps_the_lock_until_it_ended(tmp_path: Path) -> None:
    """SIGTERM mid-push: the push stops at its next object (nothing committed, no lease) or, when
    its commit had begun, finishes; the runtime lock is let go only after that, never under it."""
    from catalyst_tui.core import storage
    from catalyst_tui.core.errors import LockTimeout
    from catalyst_tui.core.runtime import RuntimeLock
    from catalyst_tui.core.snapshot.hub import PUSH_LOCK

    ws = Workspace.create(tmp_path / "ws")
    for i in range(8):
        (ws.root / "agents" / "bowie" / f"blob-{i}.bin").write_bytes(os.urandom(4 << 20))
    set_config(ws, "snapshot", interval_s=0.3)
    (ws.root / "catalyst.toml").write_text((ws.root / "catalyst.toml").read_text().replace(
        'include = ["', 'include = ["agents/*/blob-*.bin", "', 1))
    daemon = _daemon(ws)
    lock = RuntimeLock(ws.internal_dir)
    try:
        until(lambda: (st := published.read(ws.internal_dir)) is not None and "snapshot" in st.jobs
              and st.jobs["snapshot"].running, timeout=30, step=0.002, what="a push in progress")
        daemon.send_signal(signal.SIGTERM)
        until(lambda: lock.try_acquire("dashboard"), timeout=60, step=0.001, what="the lock let go")
        # the very moment we hold it: no push runs any more, and none left its lease
        try:
            with storage.locked(ws.internal_dir / PUSH_LOCK, timeout=0):
                pass
        except LockTimeout:
            raise AssertionError("the runtime lock was let go while the push still ran") from None
        assert not list((ws.root / "mirror").glob("staging/*"))
        assert daemon.wait(60) == 0
    finally:
        lock.release()
        if daemon.poll() is None:
            daemon.kill()
    st = published.read(ws.internal_dir)
    assert st is not None and not st.jobs["snapshot"].running and st.jobs["snapshot"].result == "ok"
    mirror = Mirror(FileTarget(ws.root / "mirror"))
    current = mirror.current()
    if st.jobs["snapshot"].summary.startswith("stopped before its commit"):
        assert current is None  # the first push, cut: the mirror points at nothing yet
    else:  # the signal came during the commit: it finished
        assert current is not None and mirror.verify() == []
