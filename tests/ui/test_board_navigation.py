"""The board's focus and what it shows, driven by Pilot: arrows / hjkl, the number keys, the filter
(text and flags), long lanes scrolled to the cursor, larger terminals."""

from __future__ import annotations

from board_state import focused, stored

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, settle, wait_for_data


async def test_arrows_and_hjkl_move_the_focus(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        view = app.screen.view
        assert focused(app).title == "Write the runbook"  # aretha / backlog
        for keys in (["right", "right"], ["l", "l"]):
            view.lane.col = 0
            await pilot.press(*keys)
            assert view.lane.col == 2 and focused(app).title == "Rotate hub keys"
        await pilot.press("left")
        assert view.lane.col == 1 and focused(app) is None  # aretha has nothing in todo
        await pilot.press("h")
        assert view.lane.col == 0
        await pilot.press("down")  # last card of the column: down goes to the next lane
        assert view.lane.agent == "bjork"
        await pilot.press("l")
        assert focused(app).title == "Fix the router"
        await pilot.press("j")
        assert focused(app).title == "Tune p95 alerts"
        await pilot.press("k")
        assert focused(app).title == "Fix the router"
        await pilot.press("up")
        assert view.lane.agent == "aretha"
        await pilot.press("k")  # already the first lane: stays
        assert view.lane.agent == "aretha"


async def test_number_keys_jump_to_lanes(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        for i, agent in enumerate(seeded.config.agent_names, start=1):
            await pilot.press(str(i))
            assert app.screen.view.lane.agent == agent
            heights = [lane.size.height for lane in app.screen.view.lanes]
            await pilot.pause()
            heights = [lane.size.height for lane in app.screen.view.lanes]
            assert heights[i - 1] > 1 and all(h == 1 for j, h in enumerate(heights) if j != i - 1)


async def test_filter_and_escape(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        view = app.screen.view
        await pilot.press("slash", *"router", "enter")
        await pilot.pause()
        shown = [c.title for lane in view.lanes for col in lane.cards for c in col]
        assert shown == ["Fix the router"]
        assert view.focused_card() is not None or view.lane.agent != "bjork"
        app.screen.set_filter("agent:bjork column:todo")
        shown = sorted(c.title for lane in view.lanes for col in lane.cards for c in col)
        assert shown == ["Fix the router", "Tune p95 alerts"]
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.filter.active
        assert sum(len(col) for lane in view.lanes for col in lane.cards) == 8


async def test_flags_show_on_cards_and_filter_by_flag(seeded: Workspace) -> None:
    card = stored(seeded, "Tune p95 alerts")
    seeded.board.set_flag(card.id, "log-missing")
    app = make_app(seeded)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")
        lane = app.screen.view.lane
        text = "\n".join(lane.render_line(y).text for y in range(lane.size.height))
        assert "⚑log-missing" in text
        app.screen.set_filter("flag:log-missing")
        shown = [c.title for ln in app.screen.view.lanes for col in ln.cards for c in col]
        assert shown == ["Tune p95 alerts"]


async def test_a_lane_with_500_cards_scrolls_to_the_cursor(tmp_path) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_board import build_workspace

    ws = build_workspace(tmp_path / "ws", 500)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("3")
        view = app.screen.view
        lane = view.lane
        assert sum(len(c) for c in lane.cards) == 500
        lane.go_to_row(90)  # backlog holds 100 of them
        await pilot.pause()
        target = lane.focused_card()
        text = "\n".join(lane.render_line(y).text for y in range(lane.size.height))
        assert target.title[:10] in text and target.id in text
        assert lane.render_line(0).text.split()[3:8] == ["100", "100", "100", "100", "100"]
        await pilot.press("j", "j")
        assert lane.rows[0] == 92
        moving = lane.focused_card()
        await pilot.press("shift+right")
        await settle(pilot)
        assert ws.board.load().cards[moving.id].column == "todo"
        assert lane.focused_card().id == moving.id  # followed into the 101-card column


async def test_larger_terminals_show_more_of_every_lane(seed_factory) -> None:
    ws = seed_factory(per_lane=20)
    app = make_app(ws)
    async with app.run_test(size=(240, 60)) as pilot:
        await wait_for_data(pilot)
        view = app.screen.view
        heights = [lane.size.height for lane in view.lanes]
        assert heights[0] == max(heights) and all(h == 4 for h in heights[1:])
        other = view.lanes[4]  # an unfocused lane: three cards of every column under its summary
        rows = [other.render_line(y).text for y in range(1, 4)]
        assert all(row.count(other.agent + " task") == 5 for row in rows)
