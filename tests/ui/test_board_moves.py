"""Moving cards with the board's keys, driven by Pilot, asserting the STORED state (index + audit
journal) after each: shift+arrows and < >, the move picker, undo / redo, a refused move, a reload
during a move."""

from __future__ import annotations

from board_state import focused, stored, where

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, settle, wait_for_data


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
