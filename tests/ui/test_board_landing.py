"""Where the board's cursor lands (first frame, number keys) and the filter's collapsed lanes.

Every move is checked on disk (a fresh read of index.json), not on the screen's preview.
"""

from __future__ import annotations

from pathlib import Path

from board_state import stored

from catalyst_tui.ui.testing import make_app, seed_workspace, settle, wait_for_data

# aretha's backlog is empty (the cursor's first column): the first frame used to sit on it
# while the summary named "Rotate hub keys", and a first shift+right did nothing.
CARDS = {
    "aretha": [("doing", "Rotate hub keys"), ("review", "Audit the vault")],
    "bjork": [("todo", "Fix the router")],
    "joni": [("todo", "Draft the release notes"), ("review", "Proofread the FAQ")],
    "slash": [("backlog", "Heartbeat watchdog")],
}


def summary(app, agent: str) -> str:
    return app.screen.view.lane_of[agent].render_line(0).text


async def test_after_start_up_shift_right_moves_the_card_the_summary_names(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws", CARDS)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        view = app.screen.view
        assert view.lane.agent == "aretha"
        assert "Rotate hub keys" in summary(app, "aretha")
        assert view.focused_card().title == "Rotate hub keys"
        await pilot.press("shift+right")
        await settle(pilot)
        assert stored(ws, "Rotate hub keys").column == "review"
        assert stored(ws, "Audit the vault").column == "review"


async def test_a_number_key_lands_on_the_lanes_first_card(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws", CARDS)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("5")
        view = app.screen.view
        assert view.lane.agent == "joni"
        assert view.focused_card().title == "Draft the release notes"
        await pilot.press("shift+right")
        await settle(pilot)
        assert stored(ws, "Draft the release notes").column == "doing"
        assert stored(ws, "Proofread the FAQ").column == "review"
        # a lane's cursor already on a card stays there when the operator comes back
        await pilot.press("right", "1", "5")
        assert view.focused_card().title == "Proofread the FAQ"


async def test_a_filter_collapses_the_lanes_it_empties_and_clearing_restores_them(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws", CARDS)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        view = app.screen.view
        await pilot.press("slash", *"release", "enter")
        await pilot.pause()
        shown = [lane.agent for lane in view.lanes if lane.display]
        assert shown == ["joni"]
        assert all(lane.size.height == 0 for lane in view.lanes if lane.agent != "joni")
        assert view.lane_of["joni"].size.height >= 8  # the room of the collapsed lanes
        # the cursor left aretha's (collapsed) lane for the match
        assert view.lane.agent == "joni" and view.focused_card().title == "Draft the release notes"
        await pilot.press("1")  # a collapsed lane: refused, said
        assert view.lane.agent == "joni"
        assert any("aretha" in str(n.message) for n in app._notifications)
        await pilot.press("down")  # no other lane shown: stays
        assert view.lane.agent == "joni"
        await pilot.press("escape")
        await pilot.pause()
        assert [lane.display for lane in view.lanes] == [True] * 9
        heights = [lane.size.height for lane in view.lanes]
        assert heights[4] > 1 and all(h == 1 for i, h in enumerate(heights) if i != 4)


async def test_up_and_down_skip_collapsed_lanes(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws", CARDS)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        view = app.screen.view
        app.screen.set_filter("column:todo")
        await pilot.pause()
        assert [lane.agent for lane in view.lanes if lane.display] == ["bjork", "joni"]
        assert view.lane.agent == "bjork"
        await pilot.press("down")
        assert view.lane.agent == "joni" and view.focused_card().title == "Draft the release notes"
        await pilot.press("up")
        assert view.lane.agent == "bjork"
