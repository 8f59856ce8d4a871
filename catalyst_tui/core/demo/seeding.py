"""Seed a demo workspace: nine agents, ~60 cards, hours of dispatch history, and trouble.

Trouble on purpose: one misbehaving agent (a malformed dispatch line and a slow p95), stale
session lock files left by dead sessions, and a PORTS.md to check.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.agents import AgentPaths, own_state, write_session_lock, write_state
from catalyst_tui.core.errors import WorkspaceError
from catalyst_tui.core.workspace import Workspace

DEMO_MARKER = ".catalyst-demo"
MISBEHAVING = "bjork"
TITLES = (
    "Route inference traffic through 18800", "Rotate the hub session keys", "Archive last week's chat logs",
    "Fix flaky dispatch retry", "Add per-agent p95 alert", "Document the 191xx band",
    "Migrate worklog to JSONL", "Investigate queue depth spike", "Tune janitor TTLs",
    "Snapshot the index every 5 min", "Write the incident runbook", "Triage the 2 AM page",
    "Shrink the blast radius of chat", "Review PORTS.md drift", "Upgrade the sandbox image",
    "Cache model warm-up", "Trim stale lock files", "Answer operator questions",
    "Refactor the kanban lane order", "Backfill missing card bodies",
)


def default_demo_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "catalyst-tui" / "demo"


def _dead_pid() -> tuple[int, float]:
    """A pid that certainly belonged to a process that is gone now."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid, time.time() - 3600


def seed(path: Path, *, hours: float = 3.0, per_hour: int = 90, seed: int = 7, now: float | None = None) -> Workspace:
    path = Path(path).expanduser().absolute()
    if path.exists() and any(path.iterdir()):
        if not (path / DEMO_MARKER).exists():
            raise WorkspaceError(f"{path}: exists and is not a demo workspace; refusing to overwrite it")
        shutil.rmtree(path)
    ws = Workspace.create(path)
    (path / DEMO_MARKER).write_text("seeded by catalyst-tui demo; safe to delete\n")
    rng = random.Random(seed)
    now = time.time() if now is None else now
    cols = ws.config.board.columns
    names = ws.config.agent_names

    # ~60 cards across every lane and column
    for i in range(60):
        agent = names[i % len(names)]
        column = cols[rng.randrange(len(cols))] if i >= len(cols) else cols[i]
        ws.board.add(agent, f"{TITLES[i % len(TITLES)]} #{i + 1}", column, by=agent,
                     body=f"# {TITLES[i % len(TITLES)]}\n\nSeeded demo card for {agent}.\n")
    # one hostile title: shown literally, never interpreted
    ws.board.add("slash", "[red]markup[/red] and \x1b[31mescapes\x1b[0m stay literal", "todo", by="slash")

    for name in names:
        paths = AgentPaths(ws.root, name)
        lines: list[bytes] = []
        t = now - hours * 3600
        step = 3600 / per_hour
        i = 0
        torn = False
        while t < now:
            lat = rng.lognormvariate(5.5, 0.45)
            if name == MISBEHAVING and rng.random() < 0.3 and t > now - 1800:
                lat *= 15
            err = rng.random() < (0.12 if name == MISBEHAVING and t > now - 1800 else 0.02)
            did = f"d-{name[:3]}{i:06d}"
            lines.append(orjson.dumps({"ts": t, "id": did, "event": "enqueued", "agent": name}))
            lines.append(orjson.dumps({"ts": t + 0.01, "id": did, "event": "started", "agent": name}))
            lines.append(orjson.dumps({"ts": t + lat / 1000, "id": did, "event": "finished", "agent": name,
                                       "status": "error" if err else "ok", "latency_ms": round(lat, 1)}))
            if name == MISBEHAVING and not torn and t > now - 900:  # 15 min ago: inside every window
                lines.append(b'{"ts": 1, "id": "d-broken", "event": "finis')  # a torn write
                torn = True
            t += step * rng.uniform(0.5, 1.5)
            i += 1
        paths.dispatch.write_bytes(b"\n".join(lines) + b"\n")
        work = [orjson.dumps({"ts": now - k * 300, "text": f"{rng.choice(TITLES)}: step {k}", "kind": "log"})
                for k in range(24, 0, -1)]
        paths.worklog.write_bytes(b"\n".join(work) + b"\n")
        chat = [orjson.dumps({"ts": now - k * 600, "text": f"{name}: status update {k}", "kind": "agent"})
                for k in range(12, 0, -1)]
        paths.chat.write_bytes(b"\n".join(chat) + b"\n")
        state = own_state(paths, status="running")
        write_state(paths, state)

    # stale session locks from sessions that are long gone (the janitor's business)
    dead_pid, dead_start = _dead_pid()
    for name in (MISBEHAVING, "ozzy"):
        lock = write_session_lock(AgentPaths(ws.root, name), f"session-{name}-old", pid=dead_pid,
                                  pid_start=dead_start, created=now - 7200)
        os.utime(lock, (now - 7200, now - 7200))
    # an orphan temp file from an interrupted atomic write
    orphan = storage.tmp_name(AgentPaths(ws.root, "cher").state)
    orphan.write_text('{"agent": "cher", "sta')
    os.utime(orphan, (now - 7200, now - 7200))
    return ws
