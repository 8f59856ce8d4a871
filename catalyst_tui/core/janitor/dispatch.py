"""Abandoned dispatches: pending entries (enqueued or started, never finished) of an agent
that is not running, older than ``[janitor] dispatch_ttl_s``.

Each agent's ``dispatch.jsonl`` is read incrementally (:class:`jsonl.JsonlTail` from the
offset the last real run reached; a rotated or truncated log is read again from the start),
and the still-open entries are kept in ``.catalyst/janitor/dispatch-state.json``, so a run
costs what was appended since the last one, not the size of the logs. A malformed line is
reported once, with its file and line, by the run that reads it. Dry runs read the state but
never write it.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.agents import AgentPaths, read_state
from catalyst_tui.core.jsonl import JsonlTail
from catalyst_tui.core.models import decode_dispatch
from catalyst_tui.core.procs import owner_liveness


class AgentLog(msgspec.Struct):
    inode: int = 0
    offset: int = 0
    line: int = 0
    pending: dict[str, tuple[float, str, str | None]] = msgspec.field(default_factory=dict)  # id -> ts, event, card


class DispatchState(msgspec.Struct):
    agents: dict[str, AgentLog] = msgspec.field(default_factory=dict)


_DECODER = msgspec.json.Decoder(DispatchState)


def load_state(path: Path) -> DispatchState:
    try:
        return _DECODER.decode(storage.read_bytes(path, "record", follow=False))
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return DispatchState()  # start over: the logs are simply read again from the start


def encode_state(state: DispatchState) -> bytes:
    return msgspec.json.encode(state)


def scan(path: Path, label: str, old: AgentLog | None, problems: list[str]) -> AgentLog:
    """Bring one agent's pending entries up to date with what was appended to its log."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return AgentLog()
    log = AgentLog() if old is None or old.inode != st.st_ino or st.st_size < old.offset else AgentLog(
        old.inode, old.offset, old.line, dict(old.pending))
    tail = JsonlTail(path, decode_dispatch, offset=log.offset, line_no=log.line,
                     inode=log.inode or None, label=label)
    records, errors = tail.read_new()
    problems.extend(str(e) for e in errors)
    for rec in records:
        if rec.event in ("finished", "abandoned"):
            log.pending.pop(rec.id, None)
            continue
        prev = log.pending.get(rec.id)
        card = rec.card or (prev[2] if prev else None)
        ts, event = (rec.ts, rec.event) if prev is None or rec.ts >= prev[0] else (prev[0], prev[1])
        log.pending[rec.id] = (ts, event, card)
    log.inode = tail.inode or st.st_ino
    log.offset = tail.offset
    log.line = tail.line_no
    return log


def agent_running(paths: AgentPaths) -> tuple[bool, str]:
    sr = read_state(paths)
    if sr.state is None:
        return False, "has no readable state" if not sr.missing else "has no state file"
    st = sr.state
    if st.status == "stopped":
        return False, "is stopped"
    live = owner_liveness(st.pid, st.pid_start, st.host)
    return live.alive, ("is running" if live.alive else f"is not running ({live.reason})")
