"""An agent panel under a stream of statuses: what it draws, and how often (Pilot, state asserted).

The panel's clock is stepped by hand and its trailing redraw is called directly, so nothing here
depends on how fast the machine is; the rates themselves are measured in benchmarks/bench_watch.py.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.renderables.sparkline import Sparkline as SparklineRenderable
from textual.widgets import Sparkline, Static

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.health import AgentStatus, WorkspaceMonitor
from catalyst_tui.core.models import Health
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes
from catalyst_tui.ui.messages import AgentsRefreshed
from catalyst_tui.ui.testing import FROZEN_NOW, FrozenClock, make_app, seed_workspace, wait_for_data
from catalyst_tui.ui.widgets.agent_panel import REDRAW_EVERY_S, TICK_SLACK_S, AgentPanel, spell_end
from catalyst_tui.ui.widgets.sparkline_bars import STEPS_PER_ROW, drawn_bars
from catalyst_tui.ui.widgets.status_bar import StatusBar


# ---------------------------------------------------------------- the bars Textual draws
def textual_glyphs(data: list[float], width: int, height: int) -> list[str]:
    """The rows Textual's own sparkline renderable draws, top row first."""
    console = Console(width=width, color_system=None, legacy_windows=False)
    lines = console.render_lines(SparklineRenderable(data, width=width, height=height), pad=False)
    return ["".join(seg.text for seg in line) for line in lines]


def glyphs_of(levels: tuple[int, ...], width: int, height: int) -> list[str]:
    bars = "▁▂▃▄▅▆▇█"
    if levels == (-1,):
        return ["█" * width] * height
    if not levels:
        return [""] * (height - 1) + ["▁" * width]
    rows = []
    for row in reversed(range(height)):
        low, high = row * STEPS_PER_ROW, (row + 1) * STEPS_PER_ROW
        rows.append("".join(" " if lv < low else "█" if lv >= high else bars[lv % STEPS_PER_ROW] for lv in levels))
    return rows


@pytest.mark.parametrize("n,width,height", [(60, 24, 1), (60, 25, 2), (60, 23, 3), (60, 75, 6), (10, 24, 2),
                                            (1, 24, 2), (0, 24, 1), (2, 7, 1)])
def test_drawn_bars_are_the_bars_textual_draws(n: int, width: int, height: int) -> None:
    """If Textual changes how a sparkline is drawn, this fails (and panels would freeze a bar)."""
    rng = random.Random(n * 1000 + width * 10 + height)
    for _ in range(50):
        data = [rng.choice([0.0, rng.uniform(0, 500), float(rng.randint(0, 12))]) for _ in range(n)]
        levels = drawn_bars(data, width, height)
        assert levels is not None
        assert glyphs_of(levels, width, height) == textual_glyphs(data, width, height), data


def test_drawn_bars_ignore_what_is_not_drawn() -> None:
    base = [float(i % 7) for i in range(60)]
    assert drawn_bars(base, 24, 1) == drawn_bars([2 * v for v in base], 24, 1)  # the same shape, scaled
    assert drawn_bars(base, 24, 1) != drawn_bars([*base[:-1], 6.0], 24, 1)  # the newest column rose
    assert drawn_bars(base, 0, 1) is None  # not laid out yet: unknown


# ---------------------------------------------------------------- the panel's redraws
class PanelApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return themes.variable_defaults()  # the panel's $status-* colours

    def compose(self) -> ComposeResult:
        yield AgentPanel("bjork")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return seed_workspace(tmp_path / "ws")


class Feed:
    """Real statuses from a real monitor: records appended to bjork's dispatch log, then read."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.monitor: WorkspaceMonitor = ws.monitor()
        self.monitor.clock = lambda: FROZEN_NOW
        self.n = 0

    def write(self, event: str = "enqueued", **fields: object) -> AgentStatus:
        self.n += 1
        record_dispatch(self.ws.agent("bjork"), id=f"d{self.n}", event=event, ts=FROZEN_NOW - 1, **fields)
        return self.monitor.refresh("bjork")


def figures(panel: AgentPanel) -> str:
    return str(panel.query_one(".figures", Static).render())


async def started(pilot: object, feed: Feed) -> tuple[AgentPanel, FrozenClock]:
    panel = pilot.app.query_one(AgentPanel)  # type: ignore[attr-defined]
    clock = FrozenClock(1000.0)
    panel.clock = clock
    status = feed.monitor.refresh("bjork")
    assert panel.show(status, status.series)
    await pilot.pause()  # type: ignore[attr-defined]
    assert panel.redraws == 1 and "q 0" in figures(panel)
    return panel, clock


async def test_a_lone_change_is_drawn_at_once(ws: Workspace) -> None:
    feed = Feed(ws)
    async with PanelApp().run_test(size=(30, 8)) as pilot:
        panel, clock = await started(pilot, feed)
        clock.advance(REDRAW_EVERY_S)  # a quiet spell
        status = feed.write()
        assert panel.show(status, status.series)
        assert "q 1" in figures(panel) and panel.redraws == 2 and not panel.pending


async def test_a_burst_draws_the_first_at_once_and_the_last_at_the_end_of_the_spell(ws: Workspace) -> None:
    feed = Feed(ws)
    async with PanelApp().run_test(size=(30, 8)) as pilot:
        panel, clock = await started(pilot, feed)
        clock.advance(REDRAW_EVERY_S)
        for _ in range(50):  # fifty reads within one spell (the clock does not move)
            status = feed.write()
            panel.show(status, status.series)
        assert "q 1" in figures(panel)  # the leading edge: the first of the burst
        assert panel.redraws == 2 and panel.pending  # the rest: one redraw, later
        clock.advance(REDRAW_EVERY_S)
        panel.draw_pending()  # what the timer calls
        assert "q 50" in figures(panel) and panel.redraws == 3 and not panel.pending


async def test_the_trailing_redraw_comes_by_itself(ws: Workspace) -> None:
    feed = Feed(ws)
    async with PanelApp().run_test(size=(30, 8)) as pilot:
        panel, _clock = await started(pilot, feed)
        status = feed.write()  # within the first spell: waits for its end
        panel.show(status, status.series)
        assert panel.pending and "q 0" in figures(panel)
        for _ in range(100):  # the real timer fires within REDRAW_EVERY_S (state is asserted, not time)
            await pilot.pause(0.02)
            if not panel.pending:
                break
        assert "q 1" in figures(panel) and panel.redraws == 2


async def test_a_spell_already_ended_arms_no_zero_second_timer(ws: Workspace) -> None:
    feed = Feed(ws)
    async with PanelApp().run_test(size=(30, 8)) as pilot:
        panel, clock = await started(pilot, feed)
        clock.advance(0.6)
        status = feed.write()
        assert panel.show(status, status.series) and panel.redraws == 2  # drawn at once
        drawn_at = clock.now
        assert spell_end(drawn_at) < drawn_at + REDRAW_EVERY_S  # its tick comes before a whole spell
        clock.now = (spell_end(drawn_at) + drawn_at + REDRAW_EVERY_S) / 2  # past the tick, within the spell
        delays: list[float] = []
        real = panel.set_timer
        panel.set_timer = lambda delay, callback: (delays.append(delay), real(delay, callback))[1]  # type: ignore[method-assign, assignment]
        status = feed.write()
        assert panel.show(status, status.series) and panel.pending
        assert delays and delays[0] > 0  # a 0 s Textual Timer divides by zero when it fires late
        for _ in range(100):
            await pilot.pause(0.02)
            if not panel.pending:
                break
        assert "q 2" in figures(panel) and panel.redraws == 3


async def test_nothing_is_drawn_when_nothing_shown_changed(ws: Workspace) -> None:
    feed = Feed(ws)
    async with PanelApp().run_test(size=(30, 8)) as pilot:
        panel, clock = await started(pilot, feed)
        clock.advance(REDRAW_EVERY_S)
        status = feed.monitor.refresh("bjork")
        lat, errs = status.series or ([], [])
        doubled = ([2 * v for v in lat], [2 * v for v in errs])  # other numbers, the same bars
        assert not panel.show(status, doubled)
        assert not panel.show(status, status.series)  # the same status again
        assert panel.redraws == 1 and not panel.pending  # no redraw, no timer armed
        before = panel.query_one(".sparkline-latency", Sparkline).data
        for _ in range(5):  # within a spell, unchanged figures arm no timer either
            assert not panel.show(status, status.series)
        assert not panel.pending and panel.query_one(".sparkline-latency", Sparkline).data is before


async def test_a_health_transition_is_never_delayed(ws: Workspace) -> None:
    feed = Feed(ws)
    async with PanelApp().run_test(size=(30, 8)) as pilot:
        panel, _clock = await started(pilot, feed)
        status = feed.write()  # a change within the spell: pending
        panel.show(status, status.series)
        assert panel.pending
        for _ in range(6):  # still within the same spell: six failures turn bjork degraded
            status = feed.write("finished", status="error", latency_ms=10.0)
        assert status.health is Health.DEGRADED
        assert panel.show(status, status.series)
        assert panel.has_class("-degraded") and not panel.has_class("-ok")  # drawn now, with its figures
        assert str(panel.border_subtitle).endswith("degraded") and "err 100%" in figures(panel)
        assert str(panel.query_one(".reason", Static).render()).startswith("errors 100%")


# ---------------------------------------------------------------- the app's side of a burst
async def test_reads_queued_behind_a_busy_loop_are_handled_as_one(ws: Workspace) -> None:
    app = make_app(ws)
    feed = Feed(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        published: list[set[str]] = []
        app.agents_signal.subscribe(app.screen, lambda statuses: published.append(set(statuses)))
        first = feed.monitor.refresh_many(["bjork", "cher"])
        feed.write()
        newest = feed.monitor.refresh_many(["bjork"])
        triages: list[int] = []
        real = app._update_triage
        app._update_triage = lambda: (triages.append(1), real())[1]
        app.post_message(AgentsRefreshed(first))  # both queued before the loop runs again
        app.post_message(AgentsRefreshed(newest))
        await pilot.pause()
        await pilot.pause()
        assert published == [{"bjork", "cher"}]  # one message, the union
        assert app.statuses["bjork"] is newest["bjork"]  # the newest status of each agent wins
        assert app.statuses["bjork"].view.queue_depth == 1
        assert triages == []  # health and findings unchanged: the triage line is not recomputed
        for _ in range(6):
            sick = feed.write("finished", status="error", latency_ms=10.0)
        app.post_message(AgentsRefreshed({"bjork": sick}))
        await pilot.pause()
        assert triages == [1] and app.triage.text.startswith("1 of 9 affected: bjork")


async def test_the_status_bar_is_not_rebuilt_within_the_second_it_shows(ws: Workspace) -> None:
    clock = FrozenClock()
    app = make_app(ws, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        app.live = True
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        built: list[int] = []
        real = bar.stamp_text
        bar.stamp_text = lambda: (built.append(1), real())[1]  # type: ignore[method-assign]
        for _ in range(20):  # twenty reads within the same second
            app.last_updated = clock.now + 0.5
        assert built == []
        clock.advance(1)
        app.last_updated = clock.now + 0.5  # the next second: shown
        assert len(built) == 1 and time.strftime("%H:%M:%S", time.localtime(clock.now)) in str(bar._shown[1])


def test_streaming_panels_redraw_on_shared_ticks() -> None:
    drawn = (10.0, 10.03, 10.08, 10.2, 10.49)
    ticks = [spell_end(t) for t in drawn]
    assert ticks == [10.5, 10.5, 10.5, 11.0, 11.0]  # panels drawn at different moments meet on common ticks
    assert all(end - t >= REDRAW_EVERY_S - TICK_SLACK_S for t, end in zip(drawn, ticks, strict=True))
    assert spell_end(10.5 + 0.04) == 11.0  # drawn by a tick's (late) timer: the very next tick, not one more


async def test_panels_take_new_statuses_inside_the_apps_handler(ws: Workspace) -> None:
    """Delivered later (a callback on the screen's own queue), a panel's refresh missed the frame
    the status bar had already started, and a lone write reached the screen a frame late."""
    from catalyst_tui.ui.screens.agents import AgentsScreen

    app = make_app(ws)
    feed = Feed(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, AgentsScreen)
        panel = app.screen.panel("bjork")
        status = feed.write()
        app.on_agents_refreshed(AgentsRefreshed({"bjork": status}))  # no pause: nothing else has run yet
        assert panel.status is status
