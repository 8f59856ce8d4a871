"""The dashboard's undo is its own session's; every undo/redo/archive/restore says what it did; `r` restores."""

from __future__ import annotations

from board_state import stored

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, settle, wait_for_data


def _notes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def test_u_undoes_this_dashboards_archive_not_a_cli_move(seeded: Workspace) -> None:
    router = stored(seeded, "Fix the router")
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        # a CLI invocation moves a card while the dashboard runs (its own session)
        Workspace.open(seeded.root).board.move(router.id, "review", agent="slash")
        await pilot.press("4", "d", "y")  # cher's first card (doing): archive "Index compaction"
        await settle(pilot)
        compaction = seeded.board.archived(["cher"]).cards
        assert len(compaction) == 1
        cid = next(iter(compaction))
        assert any(n == f"{cid} \u201cIndex compaction\u201d: cher/doing \u2192 archive" for n in _notes(app))
        await pilot.press("u")
        await settle(pilot)
        assert seeded.board.get(cid).column == "doing"  # the archive was undone
        assert (seeded.board.get(router.id).agent, seeded.board.get(router.id).column) == ("slash", "review")
        assert f"undo: {cid} \u201cIndex compaction\u201d: archive \u2192 cher/doing" in _notes(app)
        assert app.screen.view.focused_card().id == cid  # the board follows the restored card
        await pilot.press("u")
        await settle(pilot)
        assert any("nothing to undo in this session" in n for n in _notes(app))
        assert seeded.board.get(router.id).agent == "slash"  # still the CLI's move, untouched
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert cid not in seeded.board.load().cards
        assert f"redo: {cid} \u201cIndex compaction\u201d: cher/doing \u2192 archive" in _notes(app)


async def test_r_restores_one_of_the_lanes_archived_cards(seeded: Workspace) -> None:
    shipped = stored(seeded, "Ship 0.1")
    seeded.board.archive(shipped.id)
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2", "r")  # bjork's archive is empty
        await settle(pilot)
        assert any("bjork's archive holds no card" in n for n in _notes(app))
        await pilot.press("3", "r")  # bowie
        await settle(pilot)
        from catalyst_tui.ui.screens.restore_picker import RestorePickerScreen

        assert isinstance(app.screen, RestorePickerScreen)
        assert [c.id for c in app.screen.cards] == [shipped.id]
        await pilot.press("enter")
        await settle(pilot)
        assert seeded.board.get(shipped.id).column == "done"
        assert f"{shipped.id} \u201cShip 0.1\u201d: archive \u2192 bowie/done" in _notes(app)
        assert app.screen.view.focused_card().id == shipped.id
        await pilot.press("u")  # a restore is undoable too
        await settle(pilot)
        assert shipped.id not in seeded.board.load().cards


async def test_the_palette_offers_restore(seeded: Workspace) -> None:
    from catalyst_tui.ui.commands import CatalystCommands

    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        provider = CatalystCommands(app.screen)
        names = [name for name, _, _ in provider._commands()]
        assert "Restore an archived card" in names
        callback = dict((n, cb) for n, cb, _ in provider._commands())["Restore an archived card"]
        await pilot.press("3")
        callback()
        await settle(pilot)
        assert any("bowie's archive holds no card" in n for n in _notes(app))
