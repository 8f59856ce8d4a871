"""The status bar: its two parts (tabs, data stamp) drawn from the injected clock, redrawn only
when their text changes, still while the watcher is live, catching up when its screen is shown."""

from __future__ import annotations

import time

from catalyst_tui.core.runtime import WatchModeChanged
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import bridge
from catalyst_tui.ui.testing import make_app, wait_for_data
from catalyst_tui.ui.widgets.status_bar import StatusBar


def drawn(bar: StatusBar) -> tuple[str, str]:
    """The status bar's two parts as drawn: the tabs (left) and the data stamp (right)."""
    return str(bar.query_one(".tabs").render()), str(bar.query_one(".stamp").render())


async def test_status_bar_age_comes_from_the_injected_clock(seeded: Workspace) -> None:
    from catalyst_tui.ui.testing import FrozenClock

    clock = FrozenClock()
    app = make_app(seeded, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        bar = app.screen.query_one(StatusBar)
        stamp = time.strftime("%H:%M:%S", time.localtime(app.last_updated))
        assert str(bar.stamp_text()) == f"updated {stamp}"  # under a minute: the time only
        clock.advance(59)
        assert str(bar.stamp_text()) == f"updated {stamp}"
        clock.advance(66)
        assert str(bar.stamp_text()) == f"updated {stamp}, 2 min ago"  # then the age, by the minute


async def test_status_bar_redraws_only_when_its_text_changes(seeded: Workspace) -> None:
    """An idle dashboard writes nothing: no per-second redraw, no layout pass, hidden bars stay still."""
    from catalyst_tui.ui.testing import FrozenClock

    clock = FrozenClock()
    app = make_app(seeded, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        bar = app.screen.query_one(StatusBar)
        updates = watch_updates(bar)
        bar._changed()
        bar._changed()
        assert updates == []  # same text: nothing redrawn
        assert bar._timer is not None and 59 < bar._timer._interval <= 60.1  # next change in a minute, not a second
        clock.advance(61)
        bar._changed()
        assert updates == [("stamp", {"layout": True})]  # ", 1 min ago" widens the stamp: its layout only
        app.last_updated = clock()
        await pilot.pause()
        assert len(updates) == 2 and "ago" not in drawn(bar)[1]


async def test_a_stamp_moving_every_second_repaints_the_stamp_only(seeded: Workspace) -> None:
    """Under load the data changes every second: the stamp is its own widget of a fixed width,
    so its repaint is a dozen cells, not the whole line (Textual repaints a widget's region).
    Read-only at 80 columns the tabs do not all fit: they give way, the stamp stays in view."""
    from catalyst_tui.ui.testing import FrozenClock

    clock = FrozenClock()
    app = make_app(seeded, clock=clock, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        bridge.handle(app, WatchModeChanged("watching", None))
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        tabs = drawn(bar)[0]
        updates = watch_updates(bar)
        for _ in range(5):
            clock.advance(1)
            app.last_updated = clock()
            await pilot.pause()
        stamp = time.strftime("%H:%M:%S", time.localtime(app.last_updated))
        assert updates == [("stamp", {"layout": False})] * 5 and drawn(bar) == (tabs, f"live {stamp}")
        stamp_region = bar.query_one(".stamp").region
        assert stamp_region.width == len(f"live {stamp}") and stamp_region.right <= 79  # visible at 80 columns
        assert app.screen.get_widget_at(stamp_region.x, stamp_region.y)[0] is bar.query_one(".stamp")
        assert bar.query_one(".tabs").region.right < stamp_region.x  # the tabs are cut before it


def watch_updates(bar: StatusBar) -> list[tuple[str, dict[str, object]]]:
    """Each part's ``update`` calls from now on, in order: (part, keyword arguments)."""
    from textual.widgets import Static

    seen: list[tuple[str, dict[str, object]]] = []
    for part in ("tabs", "stamp"):
        widget = bar.query_one(f".{part}", Static)
        real = widget.update
        widget.update = lambda *a, _p=part, _r=real, **k: (seen.append((_p, k)), _r(*a, **k))  # type: ignore[method-assign]
    return seen


async def test_status_bar_is_still_while_the_watcher_is_live(seeded: Workspace) -> None:
    """Live: the screen is current by construction, so the bar does not tick at all (0 bytes idle);
    polling again (the watcher failed): the age is back and advances by the minute."""
    from catalyst_tui.ui.testing import FrozenClock

    clock = FrozenClock()
    app = make_app(seeded, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        bar = app.screen.query_one(StatusBar)
        stamp = time.strftime("%H:%M:%S", time.localtime(app.last_updated))
        bridge.handle(app, WatchModeChanged("watching", None))  # the runtime's watcher watches
        await pilot.pause()
        assert app.live and str(bar.stamp_text()) == f"live {stamp}" == drawn(bar)[1]
        assert bar._timer is None  # nothing scheduled: no redraw until the data changes
        clock.advance(3600)
        bar._changed()
        assert str(bar.stamp_text()) == f"live {stamp}" and bar._timer is None
        bridge.handle(app, WatchModeChanged("polling", "inotify limit"))  # the watcher failed
        await pilot.pause()
        assert not app.live and str(bar.stamp_text()) == f"updated {stamp}, 1 h ago" == drawn(bar)[1]
        assert bar._timer is not None


async def test_a_hidden_screens_status_bar_catches_up_when_shown(seeded: Workspace) -> None:
    from catalyst_tui.ui.testing import FrozenClock

    clock = FrozenClock()
    app = make_app(seeded, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        board_bar = app.screen.query_one(StatusBar)
        await pilot.press("f2")
        await pilot.pause()
        clock.advance(3725)
        app.last_updated = clock()  # data changed while the board was hidden
        await pilot.pause()
        assert "01:02:05" not in drawn(board_bar)[1]  # skipped while hidden
        await pilot.press("f1")
        await pilot.pause()
        assert drawn(board_bar)[1] == str(board_bar.stamp_text()) and "01:02:05" in drawn(board_bar)[1]
