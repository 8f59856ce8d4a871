"""Dispatch histories for the triage tests: constant latency per tenant, one dispatch every 10 s."""

from __future__ import annotations

import msgspec

from catalyst_tui.core.agents import own_state, write_state
from catalyst_tui.core.models import DispatchRecord
from catalyst_tui.core.workspace import Workspace


def write_history(ws: Workspace, name: str, spans: list[tuple[float, float, float]], now: float,
                  torn: bool = False, state: bool = True) -> None:
    """``spans``: (from seconds ago, to seconds ago, latency ms) before ``now``."""
    paths = ws.agent(name)
    if state:
        write_state(paths, own_state(paths))
    lines = []
    for start, end, ms in spans:
        ago = start
        while ago > end:
            rec = DispatchRecord(ts=now - ago, id=f"{name}-{ago:.0f}", event="finished", status="ok", latency_ms=ms)
            lines.append(msgspec.json.encode(rec))
            ago -= 10
    data = b"\n".join(lines) + b"\n"
    if torn:
        data += b'{"ts": 1, "id": "half'  # a write cut short: no newline, never finished
    paths.dispatch.write_bytes(data)
