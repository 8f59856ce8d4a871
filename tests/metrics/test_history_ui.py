"""The Agents screen shows 1 h / 24 h / 7 d: the long windows come from the history files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from textual.widgets import Static

from catalyst_tui.core.health import history as hist
from catalyst_tui.core.health.buckets import Bucket, bin_of
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.screens.agents import AgentsScreen
from catalyst_tui.ui.testing import FROZEN_NOW, make_app, seed_workspace, until, wait_for_data
from catalyst_tui.ui.widgets.agent_panel import AgentPanel


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return seed_workspace(tmp_path / "ws", {})



def _bad_minute(ts: float) -> hist.Minute:
    b = Bucket()
    for i in range(12):
        b.add(True, i < 10, bin_of(2500.0), 2500.0)
    return hist.to_minute(ts, b)


async def test_w_cycles_to_24h_and_7d_from_history(ws: Workspace) -> None:
    two_days_ago = math.floor((FROZEN_NOW - 2 * 86400) / 60) * 60
    hist.append(hist.path_of(ws.agent("bjork").dir), [_bad_minute(two_days_ago)])
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, AgentsScreen))
        seen = []
        for _ in range(3):
            await pilot.press("w")
            seen.append(app.monitor.shown_window)
        assert seen == ["1h", "24h", "7d"]
        await until(pilot, lambda: app.statuses["bjork"].view.window == "7d")
        assert app.monitor.window == "5m" and app.statuses["bjork"].figures.window == "5m"  # judged
        week = app.statuses["bjork"].view
        assert (week.finished, week.errors) == (12, 10)
        panel = app.screen.query_one("#agent-bjork", AgentPanel)
        assert "err 83%" in str(panel.query_one(".figures", Static).render())
        assert panel.has_class("-ok")  # the week's errors are shown, never judged
        assert "window 7d" in app.screen.sub_title
        await pilot.press("w")
        await until(pilot, lambda: app.statuses["bjork"].view.window == "1m")
        assert app.statuses["bjork"].view.errors == 0
