"""Class 1 on the dashboard: one tenant's hostile file never delays the others, and `q` still quits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_files import SPECIALS, plant

from catalyst_tui.core.models import Health
from catalyst_tui.ui.testing import make_app, seed_workspace, wait_for_data

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("kind", SPECIALS)
async def test_one_agents_state_json_is_hostile_the_other_eight_are_shown_and_q_quits(
        tmp_path: Path, kind: str) -> None:
    ws = seed_workspace(tmp_path / "ws", {"bjork": [("todo", "Fix the router")], "cher": [("todo", "calm")]})
    plant(ws.agent("bjork").state, kind)
    if kind == "fifo":
        plant(ws.agent("bjork").worklog, "fifo")  # and its log: no reader blocks on either
    app = make_app(ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)  # every tenant's status arrived, none waits for bjork
        statuses = app.statuses
        assert len(statuses) == 9
        assert statuses["bjork"].health == Health.QUARANTINED
        assert any("state.json" in r for r in statuses["bjork"].reasons)
        others = [s for name, s in statuses.items() if name != "bjork"]
        assert len(others) == 8 and all(s.health != Health.QUARANTINED for s in others)
        assert any(c.title == "calm" for c in app.index.cards.values())  # the board is there too
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
