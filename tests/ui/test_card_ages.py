"""Card ages on the board: kept true twice a minute, only the lanes whose drawn ages changed."""

from __future__ import annotations

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import make_app, wait_for_data


async def test_card_ages_stay_true_and_only_changed_lanes_redraw(seeded: Workspace) -> None:
    """Ages are data: twice a minute the lanes whose shown ages changed are redrawn, no others,
    and nothing while the board is hidden (it catches up when shown again)."""
    from catalyst_tui.ui.testing import FrozenClock
    from catalyst_tui.ui.widgets.lane import lane_age

    assert [lane_age(s) for s in (0, 59.9, 60, 3599, 7200)] == ["new", "new", "1 min", "60 min", "2 h"]

    clock = FrozenClock()
    app = make_app(seeded, clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        await pilot.pause()
        view = app.screen.view
        lane = view.lane_of["bjork"]
        assert lane._ages and all(shown == "24 h" for _moved, shown in lane._ages.values())
        assert view.refresh_ages() == 0  # nothing changed: nothing redrawn
        clock.advance(86_400)
        await pilot.press("f2")  # hidden: the minute check draws nothing
        await pilot.pause()
        before = [ln.redraws for ln in view.lanes]
        view._check_ages()
        assert [ln.redraws for ln in view.lanes] == before
        await pilot.press("f1")  # shown again: the lanes with cards on screen are redrawn at once
        await pilot.pause()
        redrawn = [ln.agent for ln, b in zip(view.lanes, before, strict=True) if ln.redraws > b]
        assert "bjork" in redrawn and all(view.lane_of[a].cards != [[]] * 5 for a in redrawn)
        await pilot.pause()
        assert lane._ages and all(shown == "2 d" for _moved, shown in lane._ages.values())
        assert view.refresh_ages() == 0
