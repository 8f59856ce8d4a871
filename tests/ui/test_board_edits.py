"""A card's own keys, driven by Pilot, asserting the STORED state after each: new, edit, archive, and
the details shown on enter."""

from __future__ import annotations

from board_state import focused, stored

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, settle, wait_for_data


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
