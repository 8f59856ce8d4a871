"""Every board key, driven by Pilot, asserting the STORED state (index + audit journal) after each."""

from __future__ import annotations

from catalyst_tui.core.models import Card
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, settle, wait_for_data


def stored(ws: Workspace, title: str) -> Card:
    """The card as it is on disk now (a fresh read of index.json)."""
    matches = [c for c in ws.board.load().cards.values() if c.title == title]
    assert len(matches) == 1, matches
    return matches[0]


def where(ws: Workspace, title: str) -> tuple[str, str]:
    c = stored(ws, title)
    return c.agent, c.column


def focused(app) -> Card | None:
    return app.screen.view.focused_card()


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


async def test_shift_right_left_and_angle_brackets_move_and_persist(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")  # bjork's first card: todo / "Fix the router" (backlog is empty)
        assert focused(app).title == "Fix the router"
        await pilot.press("shift+right")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "doing")
        assert focused(app).title == "Fix the router"  # the focus follows the card
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "review")
        await pilot.press("shift+left")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "doing")
        await pilot.press("less_than_sign")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "todo")
        events = [e for e in seeded.board.history(stored(seeded, "Fix the router").id) if e.action == "move"]
        assert [e.dst["column"] for e in events] == ["doing", "review", "doing", "todo"]
        assert all(e.by == "operator" for e in events)


async def test_shift_up_down_reassign_lane(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")
        await pilot.press("shift+down")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bowie", "todo")
        assert app.screen.view.lane.agent == "bowie"
        await pilot.press("shift+up", )
        await settle(pilot)
        await pilot.press("shift+up")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("aretha", "todo")


async def test_move_picker_sends_card_anywhere(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("9")  # slash / backlog: "Heartbeat watchdog"
        await pilot.press("m")
        await pilot.pause()
        from catalyst_tui.ui.screens.move_picker import MovePickerScreen

        picker = app.screen
        assert isinstance(picker, MovePickerScreen)
        target = picker.targets.index(("cher", "review"))
        picker.query_one("OptionList").highlighted = target
        await pilot.press("enter")
        await settle(pilot)
        assert where(seeded, "Heartbeat watchdog") == ("cher", "review")
        await pilot.press("m")
        await pilot.press("escape")  # cancel: nothing moves
        await settle(pilot)
        assert where(seeded, "Heartbeat watchdog") == ("cher", "review")


async def test_undo_redo_from_the_journal(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2", "shift+right")
        await settle(pilot)
        await pilot.press("shift+right")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "review")
        await pilot.press("u")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "doing")
        await pilot.press("u")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "todo")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "doing")
        actions = [e.action for e in seeded.board.audit()[0] if e.by == "operator"][-5:]
        assert actions == ["move", "move", "undo", "undo", "redo"]
        await pilot.press("ctrl+r", "ctrl+r")  # one left to redo, then nothing: a warning, no change
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "review")
        assert any("nothing to redo" in n.message for n in app._notifications)


async def test_new_edit_archive(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("4")  # cher's first card: doing
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Drain queue", "enter")
        await settle(pilot)
        card = stored(seeded, "Drain queue")
        assert (card.agent, card.column) == ("cher", "doing")
        assert focused(app).id == card.id
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("Input").value = "Drain the queue"
        await pilot.press("enter")
        await settle(pilot)
        assert stored(seeded, "Drain the queue").id == card.id
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # declined: still there
        await settle(pilot)
        assert card.id in seeded.board.load().cards
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert card.id not in seeded.board.load().cards and card.id in seeded.board.archived(["cher"]).cards
        assert card.id not in {c.id for lane in app.screen.view.lanes for col in lane.cards for c in col}


async def test_enter_shows_details(seeded: Workspace) -> None:
    from catalyst_tui.core.agents import record_work
    from catalyst_tui.ui.screens.card_detail import CardDetailScreen

    card = stored(seeded, "Fix the router")
    record_work(seeded.agent("bjork"), "rerouted 3 upstreams", card=card.id)
    seeded.board.move(card.id, column="doing")
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2", "right", "enter")  # todo / "Tune p95 alerts", then doing
        await settle(pilot)
        assert isinstance(app.screen, CardDetailScreen)
        det = app.screen.details
        assert det is not None
        assert det.body.startswith("# Fix the router")
        assert [e.action for e in det.history] == ["add", "move"]
        assert [r.text for r in det.worklog] == ["rerouted 3 upstreams"]
        from catalyst_tui.core.cardview import show_card

        shown = show_card(seeded, card.id)  # `card show`: the same one core call
        assert [r["text"] for r in shown["worklog"]] == ["rerouted 3 upstreams"] and shown["body"] == det.body
        await pilot.press("escape")
        assert app.current_mode == "board" and not isinstance(app.screen, CardDetailScreen)


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


async def test_help_palette_and_quit(seeded: Workspace) -> None:
    from catalyst_tui.ui.screens.help import HelpScreen

    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {b.id for _, bindings in app.screen.sections for b in bindings}
        assert {"board.next_column", "board.undo", "board.redo", "board.filter", "app.quit"} <= ids
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Jump to agent nina")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.view.lane.agent == "nina"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert not app.is_running


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


async def test_bindings_are_remappable_by_id(seeded: Workspace) -> None:
    import orjson

    cfg = seeded.root / ".test-config"
    cfg.mkdir()
    (cfg / "settings.json").write_bytes(orjson.dumps({"keymap": {"board.next_column": "x", "board.undo": "z"}}))
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2", "x")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "doing")
        await pilot.press("z")
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "todo")


async def test_a_refused_move_is_shown_then_undone_on_screen(seeded: Workspace, monkeypatch) -> None:
    from catalyst_tui.core.errors import CardError

    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")
        card = focused(app)

        def refuse(*a, **k):
            raise CardError(f"card {card.id} was moved since")

        monkeypatch.setattr(app.board, "move", refuse)
        app.screen.action_shift_column(1)
        lane = app.screen.view.lane
        assert card.id in [c.id for c in lane.cards[2]]  # the preview: shown at once, in "doing"
        await settle(pilot)
        assert card.id in [c.id for c in lane.cards[1]] and card.id not in [c.id for c in lane.cards[2]]
        assert where(seeded, "Fix the router") == ("bjork", "todo")
        assert any("was moved since" in n.message for n in app._notifications)


async def test_a_reload_during_a_move_does_not_undo_its_preview(seeded: Workspace, monkeypatch) -> None:
    import threading

    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")
        card = focused(app)
        gate = threading.Event()
        real_move = seeded.board.move

        def slow_move(*a, **k):
            gate.wait(5)  # the write is slow (a busy disk)
            return real_move(*a, **k)

        monkeypatch.setattr(seeded.board, "move", slow_move)
        await pilot.press("shift+right")
        lane = app.screen.view.lane
        assert card.id in [c.id for c in lane.cards[2]]
        app.request_reload(index=True)  # e.g. the watcher saw an unrelated change: the old index
        await pilot.pause(0.2)
        assert card.id in [c.id for c in lane.cards[2]]  # the preview stays
        gate.set()
        await settle(pilot)
        assert where(seeded, "Fix the router") == ("bjork", "doing")
        assert card.id in [c.id for c in lane.cards[2]]


async def test_palette_switch_theme_and_toggle_read_only(seeded: Workspace) -> None:
    import orjson

    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Switch theme: night-shift")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "night-shift"
        saved = orjson.loads((seeded.root / ".test-config" / "settings.json").read_bytes())
        assert saved["theme"] == "night-shift"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Toggle read-only")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.read_only


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



async def test_move_picker_filters_as_you_type(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("9")
        await pilot.press("m")
        await pilot.pause()
        from catalyst_tui.ui.screens.move_picker import MovePickerScreen

        picker = app.screen
        assert isinstance(picker, MovePickerScreen)
        await pilot.press(*"cher rev")
        await pilot.pause()
        assert picker.shown == [("cher", "review")]
        assert picker.query_one("OptionList").option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert where(seeded, "Heartbeat watchdog") == ("cher", "review")
        await pilot.press("m")
        await pilot.press(*"bjork")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, MovePickerScreen) and {a for a, _ in picker.shown} == {"bjork"}
        await pilot.press("down", "enter")  # the second of bjork's columns
        await settle(pilot)
        assert where(seeded, "Heartbeat watchdog") == ("bjork", seeded.config.board.columns[1])
