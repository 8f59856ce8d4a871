"""Helpers of the exporter and alert-rule tests: promtool, and a workspace with one failing tenant."""

from __future__ import annotations

import shutil
import time

import pytest

from catalyst_tui.core import outcomes
from catalyst_tui.core.agents import own_state, record_dispatch, write_state
from catalyst_tui.core.health.exporter import render
from catalyst_tui.core.workspace import Workspace


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not installed (Debian package prometheus; CI installs it)")
    return found


def populate(ws: Workspace, failing: str = "slash") -> None:
    """Every tenant alive with one fast dispatch; ``failing`` with eight slow errors."""
    for name in ws.config.agent_names:
        p = ws.agent(name)
        write_state(p, own_state(p))
        record_dispatch(p, id="d1", event="finished", status="ok", latency_ms=10)
    for i in range(8):
        record_dispatch(ws.agent(failing), id=f"x{i}", event="finished", status="error", latency_ms=2500)


def populated_scrape(ws: Workspace) -> str:
    """What one scrape serves when every family has a sample (both jobs ran, a baseline exists)."""
    populate(ws)
    for i in range(30):
        record_dispatch(ws.agent("cher"), id=f"old{i}", event="finished", status="ok", latency_ms=10,
                        ts=time.time() - 1200 + i)
    outcomes.record(ws.root, "janitor", True)
    outcomes.record(ws.root, "snapshot_push", True)
    return render(ws.monitor().refresh_all().values(), jobs=outcomes.read_outcomes(ws.root, ws.config))
