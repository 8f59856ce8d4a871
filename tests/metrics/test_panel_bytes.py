"""What the Agents screen sends while tenants stream: the same screen in fewer bytes, and figures
that move only when what they measure does (Pilot, state asserted; the bytes themselves are
measured over a real ``ssh -t`` in benchmarks/bench_watch.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Sparkline, Static

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.health import AgentStatus
from catalyst_tui.ui import themes
from catalyst_tui.ui.testing import FROZEN_NOW, FrozenClock, seed_workspace
from catalyst_tui.ui.widgets.agent_panel import REDRAW_EVERY_S, AgentPanel
from catalyst_tui.ui.widgets.sparkline_bars import CompactSparkline

DATA = [0.0] * 40 + [180.0, 190.0, 200.0, 200.0, 210.0, 200.0, 195.0, 205.0, 200.0, 200.0]


class TwoSparklines(App[None]):
    CSS = "Sparkline { height: 2; width: 24; }"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return themes.variable_defaults()

    def compose(self) -> ComposeResult:
        yield Sparkline(DATA, id="plain")
        yield CompactSparkline(DATA, id="compact")


def cells(strip: Strip) -> list[tuple[str, object]]:
    return [(ch, seg.style) for seg in strip for ch in seg.text]


def escapes(strip: Strip) -> int:
    return sum(1 for seg in strip if seg.style is not None and seg.text)


async def test_a_compact_sparkline_draws_the_same_cells_in_fewer_runs() -> None:
    async with TwoSparklines().run_test(size=(30, 6)) as pilot:
        await pilot.pause()
        plain, compact = pilot.app.query_one("#plain", Sparkline), pilot.app.query_one("#compact", Sparkline)
        for y in range(2):
            a, b = plain.render_line(y), compact.render_line(y)
            assert cells(a) == cells(b)  # the same glyph and style in every cell
            assert escapes(b) < escapes(a) / 3, (escapes(a), escapes(b))  # one colour code per run, not per cell
            assert all(x.style != y.style for x, y in zip(list(b), list(b)[1:], strict=False)
                       if isinstance(x, Segment) and isinstance(y, Segment))  # no two neighbours alike


class OnePanel(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return themes.variable_defaults()

    def compose(self) -> ComposeResult:
        yield AgentPanel("bjork")


async def test_the_latency_sparkline_plots_complete_buckets_and_errors_plot_at_once(tmp_path: Path) -> None:
    """The bucket still filling: its mean latency moves on nearly every read (not plotted until
    it closes); its error count only grows (plotted at once)."""
    ws = seed_workspace(tmp_path / "ws")
    monitor = ws.monitor()
    now = FROZEN_NOW + 2.0  # 2 s into a 5 s bucket of the 5 min window
    monitor.clock = lambda: now
    agent = ws.agent("bjork")
    record_dispatch(agent, id="older", event="finished", status="ok", latency_ms=500.0, ts=FROZEN_NOW - 18)
    record_dispatch(agent, id="old", event="finished", status="ok", latency_ms=100.0, ts=FROZEN_NOW - 3)
    record_dispatch(agent, id="new", event="finished", status="error", latency_ms=900.0, ts=now - 1)
    status = monitor.refresh("bjork")
    lat, errs = status.series or ([], [])
    assert lat[-2:] == [pytest.approx(100, rel=0.01), pytest.approx(900, rel=0.01)] and errs[-1] == 1
    async with OnePanel().run_test(size=(30, 8)) as pilot:
        panel = pilot.app.query_one(AgentPanel)
        panel.clock = FrozenClock(1000.0)
        panel.show(status, status.series)
        await pilot.pause()
        spark_lat = panel.query_one(".sparkline-latency", Sparkline)
        spark_err = panel.query_one(".sparkline-errors", Sparkline)
        assert list(spark_lat.data or [])[-1] == pytest.approx(100, rel=0.01)  # the filling bucket: not yet
        assert list(spark_lat.data or [])[:-1] == lat[:-1]
        assert list(spark_err.data or []) == errs  # errors: the filling bucket's count at once
        now = FROZEN_NOW + 5.5  # the bucket closed: its mean is plotted
        status = monitor.refresh("bjork")
        panel.clock.advance(REDRAW_EVERY_S)  # a quiet spell since the first draw
        panel.show(status, status.series)
        await pilot.pause()
        assert list(spark_lat.data or [])[-2] == pytest.approx(900, rel=0.01)


async def test_the_p95_shown_moves_only_at_two_significant_figures(tmp_path: Path) -> None:
    """327 and 334 ms, read one after the other: both "330 ms" (no redraw of the figures line);
    a real move (to 410 ms) is shown."""
    ws = seed_workspace(tmp_path / "ws")
    monitor = ws.monitor()
    monitor.clock = lambda: FROZEN_NOW
    agent = ws.agent("bjork")
    n = 0

    def finished(ms: float, count: int) -> AgentStatus:
        nonlocal n
        for _ in range(count):
            n += 1
            record_dispatch(agent, id=f"d{n}", event="finished", status="ok", latency_ms=ms, ts=FROZEN_NOW - 1)
        return monitor.refresh("bjork")

    async with OnePanel().run_test(size=(30, 8)) as pilot:
        panel = pilot.app.query_one(AgentPanel)
        clock = panel.clock = FrozenClock(1000.0)
        shown = []
        for ms, count in ((327.0, 20), (334.0, 400), (410.0, 4000)):
            status = finished(ms, count)
            clock.advance(REDRAW_EVERY_S)
            panel.show(status, status.series)
            await pilot.pause()
            shown.append((status.view.p95_ms, str(panel.query_one(".figures", Static).render())))
        (p1, first), (p2, second), (_p3, third) = shown
        assert p1 is not None and p2 is not None and abs(p2 - p1) > 3  # the percentile itself moved
        assert first.startswith("p95 330 ms ") and second == first
        assert third.startswith("p95 410 ms ")
