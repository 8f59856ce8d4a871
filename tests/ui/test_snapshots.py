"""Snapshot tests (pytest-textual-snapshot), each paired with Pilot assertions on state.

Deterministic: seeded workspace (fixed ids and times), frozen clock, no polling.
Update baselines with ``--snapshot-update`` and look at the SVGs before accepting them.
"""

from __future__ import annotations

import pytest

from catalyst_tui.ui.screens.card_detail import CardDetailScreen
from catalyst_tui.ui.screens.help import HelpScreen
from catalyst_tui.ui.testing import make_app, settle, wait_for_data
from catalyst_tui.ui.widgets.triage_line import TriageLine


@pytest.fixture(autouse=True)
def _only_the_board_tab(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other issues' screens register themselves; the board's snapshots must not change with them."""
    from catalyst_tui.ui.registry import SCREENS

    monkeypatch.setattr("catalyst_tui.ui.widgets.status_bar.SCREENS", {"board": SCREENS["board"]})


@pytest.fixture
def _app(seed_factory):
    def build(theme: str | None = None, per_lane: int = 0):
        return make_app(seed_factory(per_lane), theme_name=theme)
    return build


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_board_snapshot(_app, snap_compare, size: tuple[int, int]) -> None:
    app = _app(per_lane=7)
    seen = {}

    async def run_before(pilot) -> None:
        await wait_for_data(pilot)
        await pilot.press("2", "right")
        await settle(pilot)
        view = pilot.app.screen.view
        seen["focused"] = view.focused_card().title
        seen["heights"] = [lane.size.height for lane in view.lanes]
        seen["triage"] = str(pilot.app.screen.query_one(TriageLine).render())

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert seen["focused"] == "Fix the router"
    assert seen["triage"] == "● all 9 healthy"
    heights = seen["heights"]
    assert len(heights) == 9 and heights[1] == max(heights)
    assert all(h == (1 if size == (80, 24) else 2) for i, h in enumerate(heights) if i != 1)


@pytest.mark.parametrize("theme", ["catalyst-dark", "night-shift", "catalyst-light", "catalyst-ansi"])
def test_theme_snapshot(_app, snap_compare, theme: str) -> None:
    app = _app(theme=theme)
    seen = {}

    async def run_before(pilot) -> None:
        await wait_for_data(pilot)
        await pilot.press("2", "shift+right")
        await settle(pilot)
        seen["theme"] = pilot.app.theme
        seen["where"] = next(c.column for c in pilot.app.board.cards_for("bjork") if c.title == "Fix the router")
        seen["ok"] = pilot.app.theme_variables["status-ok"]

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert seen["theme"] == theme and seen["where"] == "doing"
    assert seen["ok"] == app.available_themes[theme].variables["status-ok"]


def test_help_snapshot(_app, snap_compare) -> None:
    app = _app()
    seen = {}

    async def run_before(pilot) -> None:
        await wait_for_data(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = pilot.app.screen
        seen["help"] = isinstance(screen, HelpScreen)
        seen["ids"] = {b.id for _, bs in screen.sections for b in bs}

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert seen["help"]
    assert {"board.up", "board.next_column", "board.lane_up", "board.pick", "board.undo", "board.redo",
            "board.new", "board.edit", "board.details", "board.archive", "board.restore", "board.filter",
            "board.clear_filter", "board.lane_1", "board.lane_9", "board.help", "app.quit"} <= seen["ids"]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_card_detail_snapshot(_app, snap_compare, size: tuple[int, int]) -> None:
    app = _app()
    seen = {}

    async def run_before(pilot) -> None:
        await wait_for_data(pilot)
        await pilot.press("2", "shift+right")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        seen["detail"] = isinstance(screen, CardDetailScreen)
        seen["history"] = [e.action for e in screen.details.history]

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert seen["detail"] and seen["history"] == ["add", "move"]
