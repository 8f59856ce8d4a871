"""Live watching, measured on the real dashboard in a real tmux (and over real ssh).

    python benchmarks/bench_watch.py            # full: 100 writes, 60 s load / idle / ssh phases
    python benchmarks/bench_watch.py --quick    # smoke run < 20 s (add --only ...,ssh for ssh)
    python benchmarks/bench_watch.py --only latency,idle

* latency: an ``enqueued`` record appended to one agent's log, until its panel shows the new
  queue depth (tmux capture-pane polled every 5 ms): p50 / p95, idle and under the load below.
  The pane is read through one persistent control-mode client (``tmux -C``): the same
  capture-pane of the same pane, without a fork and exec of tmux per look (~4 ms of CPU each
  on this machine, a core's worth at that rate, taken from the dashboard being measured;
  ``--fork-capture`` measures the old way). Beside it, in the same run, a trivial process
  that redraws "q N" on the same file change (inotify, one write) through the same tmux path:
  the floor of the harness, the kernel and tmux.
  Two cadences: "lone" writes, each more than a panel's redraw spell (0.5 s) after the last
  one shown, drawn at once (the leading edge); and "stream" writes 50-130 ms apart, which a
  panel shows at most twice a second (the trailing edge: up to a spell later, by design).
* load: 9 agents x 100 dispatch records/s; the dashboard's CPU, and its own counts (its
  ``/metrics``, ``[metrics] serve = true``) against what was written: dropped/miscounted = 0.
* idle: CPU of the dashboard (board, then Agents screen, watcher on) vs a bare Textual app in
  the same run, and bytes written to the terminal (tmux pipe-pane) per second.
* ssh: bytes per minute the dashboard sends through ``ssh -t`` (a real non-root sshd on
  127.0.0.1, tests/sshd_harness.py), idle and under the load.
Targets (docs/performance.md): lone writes p95 <= 50 ms idle and under load, stream writes
p95 <= 550 ms; load: dashboard <= 10 % of a core, 0 dropped; idle <= bare + 0.1 points and
0 B/s on both screens; ssh -t at 80x24 <= 120 KB/min (2 KB/s) under load, 0 idle.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import _ttytrace  # noqa: E402  (benchmarks/_ttytrace.py)
from _load import Load  # noqa: E402  (benchmarks/_load.py)
from _sshtty import sshd_with_tty  # noqa: E402  (benchmarks/_sshtty.py)
from _tmux import ControlClient, TmuxSession, cpu_seconds, wait_for  # noqa: E402  (benchmarks/_tmux.py)

from catalyst_tui.core.agents import write_state  # noqa: E402
from catalyst_tui.core.models import AgentState  # noqa: E402
from catalyst_tui.core.storage import append_line  # noqa: E402
from catalyst_tui.core.workspace import Workspace  # noqa: E402

PY = sys.executable
SETTLE = {"dash": 1.0, "idle": 3.0, "ssh": 3.0, "drain": 2.0}  # seconds; --quick shortens them
BARE_APP = ("from textual.app import App\nfrom textual.widgets import Footer, Header, Static\n"
            "class Bare(App):\n    def compose(self):\n        yield Header()\n"
            "        yield Static('a bare Textual app')\n        yield Footer()\nBare().run()\n")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The floor of the latency phase: a process that shows "q N" (N: the enqueued lines of the log)
# as soon as inotify says the log changed; one write to the terminal per change.
FLOOR_APP = ("import os, sys\nfrom inotify_simple import INotify, flags\npath = sys.argv[1]\n"
             "ino = INotify()\nino.add_watch(path, flags.MODIFY)\nfd = os.open(path, os.O_RDONLY)\n"
             "n = 0\nos.write(1, b'\\x1b[2J\\x1b[Hfloor ready')\nwhile True:\n    ino.read()\n"
             "    while chunk := os.read(fd, 1 << 20):\n        n += chunk.count(b'\"enqueued\"')\n"
             "    os.write(1, f'\\x1b[H\\x1b[2Kq {n}'.encode())\n")
FORK_CAPTURE = [False]  # --fork-capture: one tmux process per look, as before


def make_workspace(base: Path, name: str = "ws") -> Workspace:
    ws = Workspace.create(base / name)
    now = time.time()
    for agent in ws.config.agent_names:  # running, fresh heartbeat, no pid (liveness not in play)
        write_state(ws.agent(agent), AgentState(agent=agent, status="running", heartbeat=now, updated=now))
    return ws


# Heartbeats are written once: without these, all nine tenants turn "heartbeat lost" two minutes
# in (a real change, rightly shown and notified, but not what the idle and ssh phases measure).
QUIET_HEARTBEATS = {"CATALYST_HEALTH__HEARTBEAT_STALE_S": "3600", "CATALYST_HEALTH__HEARTBEAT_OFFLINE_S": "7200"}
TRACE_DIR: Path | None = None  # --trace: the ssh phase's stream, timed, and where its bytes went
TRACE: _ttytrace.Trace | None = None
WATCH_ENV: dict[str, str] = {}  # --step / --debounce: CATALYST_WATCH__* for every dashboard started
DASH_CMD = [PY, "-m", "catalyst_tui"]


def start_dashboard(base: Path, ws: Workspace, name: str = "dash", env: dict[str, str] | None = None,
                    agents_screen: bool = True) -> TmuxSession:
    t = TmuxSession(base, name)
    t.start(shlex.join([*DASH_CMD, "--workspace", str(ws.root)]), {**WATCH_ENV, **(env or {})})
    wait_for(lambda: "healthy" in t.capture() or "affected" in t.capture(), 60, "the dashboard's triage line")
    if agents_screen:
        t.keys("F2")
        wait_for(lambda: "slash" in t.capture() and "p95" in t.capture(), 30, "the Agents screen")
        time.sleep(SETTLE["dash"])  # the watcher is up and polling is off
    return t


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


# ---------------------------------------------------------------------- phases
SPELL_S = 0.5  # ui/widgets/agent_panel.py REDRAW_EVERY_S: a panel redraws at most this often while streaming
CADENCES = {"lone": lambda k: SPELL_S + 0.05 + (k % 5) * 0.04,  # 0.55-0.71 s: each write a lone change
            "stream": lambda k: 0.05 + (k % 5) * 0.02}  # 50-130 ms: the panel streams (capped at 2 Hz)
TARGET_MS = {"lone": 50, "stream": SPELL_S * 1000 + 50}


def _measure(ws: Workspace, look: object, count: int, cadence: str, depth: list[int]) -> list[float]:
    """``count`` writes to joni's log, each until ``look()`` shows its queue depth."""
    lat: list[float] = []
    time.sleep(CADENCES["lone"](0))  # the first write of each run is a lone one either way
    for _ in range(count):
        depth[0] += 1
        pat = re.compile(rf"\bq {depth[0]}\b")
        start = time.monotonic()
        append_line(ws.agent("joni").dispatch,
                    f'{{"event":"enqueued","id":"j{depth[0]}","ts":{time.time():.3f}}}\n'.encode())
        while not pat.search(look()):  # type: ignore[operator]
            if time.monotonic() - start > 10:
                raise SystemExit(f"write {depth[0]} not on screen after 10 s")
            time.sleep(0.005)
        lat.append((time.monotonic() - start) * 1000)
        time.sleep(CADENCES[cadence](depth[0]))
    return lat


def phase_latency(base: Path, n: int, load_too: bool, n_stream: int, n_floor: int) -> dict[str, float]:
    ws = make_workspace(base, "lat")
    # quiet heartbeats: two minutes in, nine "heartbeat lost" toasts (8 s each) covered joni's
    # panel in the middle of the load writes (the 8 s "stalls" of earlier runs)
    t = start_dashboard(base, ws, "lat", env=QUIET_HEARTBEATS)
    ws.agent("joni").dispatch.touch()  # the floor process opens it at start
    floor_py = base / "floor_app.py"
    floor_py.write_text(FLOOR_APP)
    floor = TmuxSession(base, "floor")
    floor.start(f"{shlex.quote(PY)} {shlex.quote(str(floor_py))} {shlex.quote(str(ws.agent('joni').dispatch))}")
    wait_for(lambda: "floor ready" in floor.capture(), 30, "the floor process")
    looks = {"dashboard": t.capture, "floor": floor.capture}
    clients: list[ControlClient] = []
    if not FORK_CAPTURE[0]:
        clients = [ControlClient(t), ControlClient(floor)]
        looks = {"dashboard": clients[0].capture, "floor": clients[1].capture}
    out: dict[str, float] = {}
    try:
        depth = [0]
        for label in ["idle", "load"] if load_too else ["idle"]:
            ctx = Load(ws, 100.0, [a for a in ws.config.agent_names if a != "joni"]) if label == "load" \
                else contextlib.nullcontext()
            with ctx:
                time.sleep(1.0 if label == "load" else 0.2)
                for who, cadence, count in (("dashboard", "lone", n), ("dashboard", "stream", n_stream),
                                            ("floor", "lone", n_floor)):
                    lat = _measure(ws, looks[who], count, cadence, depth)
                    key = f"{label}_{cadence}" if who == "dashboard" else f"{label}_floor"
                    out[f"{key}_p50_ms"] = statistics.median(lat)
                    out[f"{key}_p95_ms"] = pct(lat, 95)
                    what = f"{cadence} writes" if who == "dashboard" else "the floor: a trivial process, lone writes"
                    target = f" (target p95 <= {TARGET_MS[cadence]:.0f} ms)" if who == "dashboard" else ""
                    print(f"latency ({label}, {what}): {count} writes, p50 {out[f'{key}_p50_ms']:.0f} ms, "
                          f"p95 {out[f'{key}_p95_ms']:.0f} ms, max {max(lat):.0f} ms{target}")
    finally:
        for c in clients:
            c.close()
        t.kill()
        floor.kill()
    return out


def scrape(port: int) -> dict[tuple[str, str], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[tuple[str, str], float] = {}
    for m in re.finditer(r'^(catalyst_\w+)\{agent="(\w+)"[^}]*\} (\S+)$', text, re.M):
        out.setdefault((m.group(1), m.group(2)), float(m.group(3)))
    return out


def phase_load(base: Path, seconds: float) -> dict[str, float]:
    ws = make_workspace(base, "load")
    port = free_port()
    t = start_dashboard(base, ws, "load", env={"CATALYST_METRICS__SERVE": "true",
                                                "CATALYST_METRICS__PORT": str(port)})
    try:
        pid = t.pid()
        c0, w0 = cpu_seconds(pid), time.monotonic()
        with Load(ws, 100.0) as load:
            time.sleep(seconds)
        c1, w1 = cpu_seconds(pid), time.monotonic()
        time.sleep(SETTLE["drain"])  # the last batch reaches the dashboard
        seen = scrape(port)
        wrong = 0
        for agent, n in load.written.items():
            got = seen.get(("catalyst_dispatch_records_total", agent), -1)
            wrong += abs(int(got) - n)
            qd = seen.get(("catalyst_dispatch_queue_depth", agent), -1)
            wrong += int(qd) if qd > 1 else 0  # at most the last pair half-written at the stop
        total = sum(load.written.values())
        cpu = 100 * (c1 - c0) / (w1 - w0)
        print(f"load: {total} records in {seconds:g} s ({total / seconds / 9:.0f}/s per agent x 9); "
              f"dashboard CPU {cpu:.1f} % of a core (target <= 10); dropped/miscounted {wrong} (target 0)")
        return {"records": total, "cpu_pct": cpu, "miscounted": wrong}
    finally:
        t.kill()


def phase_idle(base: Path, seconds: float) -> dict[str, float]:
    """The board (the default screen, with cards on it) and then the Agents screen, each for
    ``seconds``, against a bare Textual app measured over the same windows."""
    ws = make_workspace(base, "idle")
    now = time.time()
    for i, agent in enumerate(ws.config.agent_names):  # cards a day old: their ages read "1 d" / "24 h"
        ws.board.clock = lambda i=i: now - 86_400 - i
        ws.board.add(agent, f"{agent}: an idle card")
    dash = start_dashboard(base, ws, "idle", env=QUIET_HEARTBEATS, agents_screen=False)
    bare_py = base / "bare_app.py"
    bare_py.write_text(BARE_APP)
    bare = TmuxSession(base, "bare")
    bare.start(f"{shlex.quote(PY)} {shlex.quote(str(bare_py))}")
    wait_for(lambda: "a bare Textual app" in bare.capture(), 30, "the bare app")
    res: dict[str, float] = {}
    try:
        pids = {"dashboard": dash.pid(), "bare": bare.pid()}
        for screen in ("board", "agents"):
            if screen == "agents":
                dash.keys("F2")
                wait_for(lambda: "slash" in dash.capture() and "p95" in dash.capture(), 30, "the Agents screen")
            time.sleep(SETTLE["idle"])
            dash.pipe()
            bare.pipe()
            c0 = {k: cpu_seconds(p) for k, p in pids.items()}
            w0 = time.monotonic()
            time.sleep(seconds)
            c1 = {k: cpu_seconds(p) for k, p in pids.items()}
            w1 = time.monotonic()
            cpu = {k: 100 * (c1[k] - c0[k]) / (w1 - w0) for k in pids}
            dash_bytes, bare_bytes = dash.piped_bytes() / (w1 - w0), bare.piped_bytes() / (w1 - w0)
            res.update({f"{screen}_dashboard_cpu_pct": cpu["dashboard"], f"{screen}_bare_cpu_pct": cpu["bare"],
                        f"{screen}_dashboard_bytes_per_s": dash_bytes, f"{screen}_bare_bytes_per_s": bare_bytes})
            diff = cpu["dashboard"] - cpu["bare"]
            print(f"idle {seconds:g} s on the {screen} screen: dashboard {cpu['dashboard']:.2f} % CPU, bare Textual "
                  f"{cpu['bare']:.2f} % -> {diff:+.2f} points (target <= +0.1); terminal bytes/s: "
                  f"dashboard {dash_bytes:.1f}, bare {bare_bytes:.1f} (target 0)")
        return res
    finally:
        dash.kill()
        bare.kill()


def phase_ssh(base: Path, seconds: float, idle_s: float) -> dict[str, float]:
    import fcntl
    import pty
    import struct
    import termios

    if shutil.which("sshd") is None and not Path("/usr/sbin/sshd").exists():
        print("ssh: skipped (no sshd binary)")
        return {}
    with sshd_with_tty(Path(tempfile.mkdtemp(prefix="c4-sshd-"))) as server:
        ws = make_workspace(server.scratch("ws"), "ws")  # type: ignore[attr-defined]
        server.grant_read(ws.root)  # type: ignore[attr-defined]
        quiet = [f"{k}={v}" for k, v in QUIET_HEARTBEATS.items()]  # as in the idle phase: no tenant goes stale
        argv = server.remote(["env", "TERM=screen-256color", *quiet, server.python, *DASH_CMD[1:],  # type: ignore[attr-defined]
                              "--read-only", "--workspace", str(ws.root)])
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        proc = subprocess.Popen([argv[0], "-t", *argv[1:]], stdin=slave, stdout=slave, stderr=slave,
                                env={**os.environ, "TERM": "screen-256color"}, start_new_session=True)
        os.close(slave)
        counted = [0]
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return
                if not data:
                    return
                counted[0] += len(data)
                if TRACE is not None:
                    TRACE.add(time.monotonic(), data)

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        try:
            wait_for(lambda: counted[0] > 2000, 30, "the dashboard over ssh")
            time.sleep(SETTLE["ssh"])
            os.write(master, b"\x1bOQ")  # F2: the Agents screen
            time.sleep(SETTLE["ssh"])
            b0, w0 = counted[0], time.monotonic()
            time.sleep(idle_s)
            idle = (counted[0] - b0) / (time.monotonic() - w0) * 60
            with Load(ws, 100.0):
                b0, w0 = counted[0], time.monotonic()
                time.sleep(seconds)
                busy = (counted[0] - b0) / (time.monotonic() - w0) * 60
            if TRACE is not None and TRACE_DIR is not None:
                TRACE.save(TRACE_DIR, "ssh")
                n = int(seconds)
                print(_ttytrace.report(TRACE, w0, n, ((0, n), (0, min(n, 10)), (max(0, n - 10), n))))
            print(f"ssh -t (80x24, TERM=screen-256color): {idle / 1024:.1f} KB/min idle, "
                  f"{busy / 1024:.1f} KB/min under 9 x 100 records/s (targets: 0 idle, <= 120 under load)")
            return {"idle_bytes_per_min": idle, "load_bytes_per_min": busy}
        finally:
            stop.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
            os.close(master)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: few writes, short phases")
    ap.add_argument("--only", default=None,
                    help="comma-separated phases (default: latency,load,idle,ssh; with --quick: no ssh)")
    ap.add_argument("--idle", type=float, default=60.0,
                    help="seconds of the idle phases (the ssh phase's idle window: at most 60)")
    ap.add_argument("--fork-capture", action="store_true",
                    help="latency: look at the pane with one tmux process per look (the previous harness)")
    ap.add_argument("--step", type=int, help="override [watch] step_ms for this run")
    ap.add_argument("--debounce", type=int, help="override [watch] debounce_ms for this run")
    ap.add_argument("--trace", type=Path, help="ssh phase: save the stream here and print bytes by second and row")
    args = ap.parse_args()
    if args.trace:
        global TRACE, TRACE_DIR
        TRACE, TRACE_DIR = _ttytrace.Trace(), args.trace
    FORK_CAPTURE[0] = args.fork_capture
    if args.step:
        WATCH_ENV["CATALYST_WATCH__STEP_MS"] = str(args.step)
    if args.debounce:
        WATCH_ENV["CATALYST_WATCH__DEBOUNCE_MS"] = str(args.debounce)
    if WATCH_ENV:
        print("watch settings:", WATCH_ENV)
    if shutil.which("tmux") is None:
        print("tmux is required (apt-get install tmux)", file=sys.stderr)
        return 2
    phases = set((args.only or ("latency,load,idle" if args.quick else "latency,load,idle,ssh")).split(","))
    if args.quick:
        SETTLE.update(dash=0.5, idle=1.0, ssh=1.0, drain=1.0)
    base = Path(tempfile.mkdtemp(prefix="c4-bench-"))
    print("load average (1/5/15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))  # a shared machine
    try:
        if "latency" in phases:
            phase_latency(base, 8 if args.quick else 100, load_too=True, n_stream=8 if args.quick else 30,
                          n_floor=8 if args.quick else 30)
        if "load" in phases:
            phase_load(base, 2.0 if args.quick else 60.0)
        if "idle" in phases:
            phase_idle(base, 2.0 if args.quick else args.idle)
        if "ssh" in phases:
            phase_ssh(base, 1.0 if args.quick else 60.0, 1.0 if args.quick else min(60.0, args.idle))
    finally:
        shutil.rmtree(base, ignore_errors=True)
        print("load average (1/5/15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
