"""The app's keys and palette on the board, driven by Pilot: help, the palette's jumps, themes and
read-only toggle, quit, bindings remapped by id."""

from __future__ import annotations

from board_state import where

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, settle, wait_for_data


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
