"""Per-agent files: ``agents/<name>/``. A write by one agent touches only files it owns.

Layout (docs/workspace.md)::

    agents/<name>/state.json       status, pid + start time, host, heartbeat, current card
    agents/<name>/state.json.lock  the filelock guarding state.json rewrites
    agents/<name>/dispatch.jsonl   enqueued / started / finished records
    agents/<name>/worklog.jsonl    work log lines
    agents/<name>/chat.jsonl       chat archive (rotated into chat-<ts>.jsonl.gz by the janitor)
    agents/<name>/cards/<id>.md    card bodies
    agents/<name>/locks/<session>.lock   session lock files (JSON: pid, pid_start, host)
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import msgspec
import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.names import validate_agent_name

_SESSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class AgentPaths(msgspec.Struct, frozen=True):
    root: Path
    name: str

    def __post_init__(self) -> None:
        validate_agent_name(self.name)

    @property
    def dir(self) -> Path:
        return self.root / "agents" / self.name

    @property
    def state(self) -> Path:
        return self.dir / "state.json"

    @property
    def dispatch(self) -> Path:
        return self.dir / "dispatch.jsonl"

    @property
    def worklog(self) -> Path:
        return self.dir / "worklog.jsonl"

    @property
    def chat(self) -> Path:
        return self.dir / "chat.jsonl"

    @property
    def cards(self) -> Path:
        return self.dir / "cards"

    @property
    def locks(self) -> Path:
        return self.dir / "locks"

    def ensure(self) -> None:
        for d in (self.dir, self.cards, self.locks):
            d.mkdir(parents=True, exist_ok=True)


class StateRead(msgspec.Struct, frozen=True):
    state: AgentState | None
    problem: str | None  # set when the file is corrupt: the agent is quarantined
    missing: bool = False


def read_state(paths: AgentPaths) -> StateRead:
    """Read ``state.json``; never raises on bad data (the reason is returned instead)."""
    path = paths.state
    try:  # never blocks (a FIFO here must not stall the other tenants), capped, no symlink followed
        raw = storage.read_bytes(path, "state", follow=False)
    except FileNotFoundError:
        return StateRead(None, None, missing=True)
    except OSError as exc:
        return StateRead(None, f"{path}: unreadable: {os_reason(exc)}")
    if not raw.strip():
        return StateRead(None, f"{path}: empty (truncated write?)")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return StateRead(None, f"{path}: corrupt JSON: {str(exc)[:120]}")
    if not isinstance(data, dict):
        return StateRead(None, f"{path}: expected a JSON object, got {type(data).__name__}")
    try:
        state = msgspec.convert(data, AgentState, strict=False)
    except msgspec.ValidationError as exc:
        return StateRead(None, f"{path}: {exc}")
    if state.agent != paths.name:
        return StateRead(None, f"{path}: belongs to agent {state.agent!r}, not {paths.name!r}")
    return StateRead(state, None)


def write_state(paths: AgentPaths, state: AgentState) -> None:
    paths.dir.mkdir(parents=True, exist_ok=True)
    storage.locked_write_json(paths.state, state.to_dict())


def own_state(paths: AgentPaths, status: str = "running", **extra: Any) -> AgentState:
    """A state record for an agent run by *this* process (used by the simulator)."""
    from catalyst_tui.core.procs import hostname, process_start_time  # not the dashboard's start-up path

    pid = os.getpid()
    now = time.time()
    return AgentState(agent=paths.name, status=status, pid=pid,  # type: ignore[arg-type]
                      pid_start=process_start_time(pid), host=hostname(), heartbeat=now, updated=now, **extra)


def record_dispatch(paths: AgentPaths, **fields: Any) -> None:
    fields.setdefault("ts", time.time())
    fields.setdefault("agent", paths.name)
    storage.append_jsonl(paths.dispatch, fields)


def record_work(paths: AgentPaths, text: str, card: str | None = None, kind: str = "log") -> None:
    storage.append_jsonl(paths.worklog, {"ts": time.time(), "text": text, "card": card, "kind": kind})


def record_chat(paths: AgentPaths, text: str, role: str = "agent") -> None:
    storage.append_jsonl(paths.chat, {"ts": time.time(), "text": text, "kind": role})


def write_session_lock(paths: AgentPaths, session: str, pid: int | None = None,
                       pid_start: float | None = None, host: str | None = None,
                       created: float | None = None) -> Path:
    """A session lock file: who holds the session (pid + start time + host)."""
    if not _SESSION_RE.fullmatch(session):
        raise ValueError(f"invalid session name {session!r}")
    from catalyst_tui.core.procs import hostname, process_start_time  # not the dashboard's start-up path

    paths.locks.mkdir(parents=True, exist_ok=True)
    path = paths.locks / f"{session}.lock"
    pid = os.getpid() if pid is None else pid
    record = {"pid": pid, "pid_start": pid_start if pid_start is not None else process_start_time(pid),
              "host": host or hostname(), "session": session, "created": created or time.time()}
    storage.atomic_write_json(path, record)
    return path
