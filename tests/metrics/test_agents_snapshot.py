"""Snapshot of the Agents screen at 80x24 and 160x48, always with Pilot assertions on state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.models import Health
from catalyst_tui.ui.testing import FROZEN_NOW, make_app, seed_workspace, wait_for_data, without_ports
from catalyst_tui.ui.widgets.agent_panel import AgentPanel


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_agents_screen_snapshot(tmp_path: Path, snap_compare: Any, size: tuple[int, int],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from catalyst_tui.core.ports import ScanResult
    from catalyst_tui.core.runtime.jobs import PortsJob

    monkeypatch.setattr(PortsJob, "scan_source", staticmethod(ScanResult))  # no listener, nothing documented
    ws = without_ports(seed_workspace(tmp_path / "ws"))
    for i in range(20):  # bjork: slow and failing; cher: a steady, healthy stream
        record_dispatch(ws.agent("bjork"), id=f"b{i}", event="finished", status="error" if i % 2 else "ok",
                        latency_ms=4200.0, ts=FROZEN_NOW - 100 + i * 5)
        record_dispatch(ws.agent("cher"), id=f"c{i}", event="finished", status="ok",
                        latency_ms=100.0 + i * 10, ts=FROZEN_NOW - 100 + i * 5)
    app = make_app(ws, services=True)  # the runtime's watcher: the status bar says "live"
    checked: dict[str, Any] = {}

    async def run_before(pilot: Any) -> None:
        await wait_for_data(pilot)
        for _ in range(200):
            if app.live:
                break
            await pilot.pause(0.02)
        await pilot.press("f2")
        for _ in range(200):
            await pilot.pause(0.02)
            panels = list(app.screen.query(AgentPanel))
            if len(panels) == 9 and all(p.status is not None and not p.pending for p in panels):
                break
        await pilot.pause(0.6)  # past a panel's redraw spell: the last data is drawn
        checked["triage"] = app.triage
        checked["bjork"] = app.statuses["bjork"].health
        checked["classes"] = {p.agent: p.has_class("-ok") for p in app.screen.query(AgentPanel)}
        checked["live"] = app.live  # the watcher runs: the status bar says "live", and does not tick

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    # 10 of 20 failed is stronger evidence (50 %, 3x the threshold at 95 % confidence) than the slow p95
    assert checked["triage"].text == "1 of 9 affected: bjork errors 50% (10 of 20)"
    assert checked["triage"].entries[0].reasons[1].key == "p95 4.2 s"
    assert checked["bjork"] is Health.DEGRADED
    assert checked["classes"] == {n: n != "bjork" for n in ws.config.agent_names}
    assert checked["live"] is True
