"""One agent's panel on the Agents screen: status colour, key figures, two sparklines.

The panel redraws only when what it shows changed at the resolution shown (each line's text,
each sparkline's bars as drawn), never on a clock: ages are shown only once they matter (a
lost heartbeat), so an idle dashboard sends nothing. A tenant writing a hundred records a
second changes its figures on every read: those redraws are capped at one per
``REDRAW_EVERY_S`` per panel, on ticks shared by all panels. The first change after a quiet spell is drawn at once (the
leading edge), the latest one at the end of the spell (the trailing edge); a health
transition (and a change of the window shown) is drawn at once, always, with everything pending.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from catalyst_tui.core.health import WINDOWS, AgentStatus
from catalyst_tui.core.humanize import latency, rate, size
from catalyst_tui.core.models import Health
from catalyst_tui.core.text import visible
from catalyst_tui.ui.widgets.sparkline_bars import CompactSparkline, drawn_bars

HEALTH_CLASSES = {h: f"-{h.value}" for h in Health}
REDRAW_EVERY_S = 0.5  # per panel: at most two redraws a second while its figures stream
TICK_SLACK_S = 0.1  # a timer firing up to this late still lands on the next tick
MIN_TIMER_S = 0.001  # the shortest trailing timer (see show)
Series = tuple[list[float], list[float]]


def spell_end(drawn_at: float) -> float:
    """When a panel drawn at ``drawn_at`` may draw again: the first tick of a shared
    ``REDRAW_EVERY_S`` grid about that long after. Streaming panels then redraw on the same
    ticks, together: one compositor pass for all of them, not one per panel. A draw made by a
    tick's timer runs a little after the tick: ``TICK_SLACK_S`` keeps it from skipping the next."""
    return math.ceil((drawn_at + REDRAW_EVERY_S - TICK_SLACK_S) / REDRAW_EVERY_S) * REDRAW_EVERY_S


def plotted(series: Series | None, window: str) -> Series | None:
    """What the sparklines plot of a live window's series: the latency of complete buckets only.
    The newest bucket is still filling, and the mean of its first few records moves on nearly
    every read (the bar wobbling a step up and down each second, redrawn each time); it holds
    the previous bucket's mean until it closes (5 s at 5 min). Errors are counts: the bucket
    still filling only grows, and a burst shows at once."""
    if series is None or window not in WINDOWS or len(series[0]) < 2:
        return series
    lat, errs = series
    return [*lat[:-1], lat[-2]], errs


def figures_text(status: AgentStatus) -> Text:
    """``p95 4.2 s err 12% q 3``: the figures the thresholds judge, over the window shown (p95
    at two significant figures, like the throughput)."""
    f = status.view
    p95 = latency(f.p95_ms) if f.p95_ms is not None else "-"
    return Text(f"p95 {p95} err {f.error_rate:.0%} q {f.queue_depth}", no_wrap=True, overflow="ellipsis")


def detail_text(status: AgentStatus) -> Text:
    """The first reason when there is one, else ``12/min cpu 3% 41.0 MiB`` (``2.1k/min``)."""
    if status.reasons:
        return Text(visible(status.reasons[0]), no_wrap=True, overflow="ellipsis")
    bits = [f"{rate(status.view.throughput_per_s * 60)}/min"]
    p = status.proc
    if p is not None and p.alive:
        if p.cpu_percent is not None:
            bits.append(f"cpu {p.cpu_percent:.0f}%")
        if p.rss_bytes is not None:
            bits.append(size(p.rss_bytes))
    return Text(visible(" ".join(bits)), no_wrap=True, overflow="ellipsis")


class AgentPanel(Vertical, can_focus=True):
    DEFAULT_CSS = """
    AgentPanel {
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        height: 1fr;
        padding: 0 0 0 1;
    }
    AgentPanel:focus { background: $boost; border: heavy $accent; }
    AgentPanel.-ok { border: round $status-ok; }
    AgentPanel.-degraded { border: round $status-degraded; border-subtitle-color: $status-degraded; }
    AgentPanel.-quarantined { border: round $status-quarantined; border-subtitle-color: $status-quarantined; }
    AgentPanel.-offline { border: round $status-offline; border-subtitle-color: $status-offline; }
    AgentPanel:focus.-ok, AgentPanel:focus.-degraded, AgentPanel:focus.-quarantined,
    AgentPanel:focus.-offline { border: heavy $accent; }
    AgentPanel .figures { height: 1; width: 1fr; }
    AgentPanel .spark-row { height: 1fr; min-height: 1; max-height: 6; }
    AgentPanel .spark-label { width: 4; color: $text-muted; }
    AgentPanel Sparkline { height: 1fr; width: 1fr; margin: 0; }
    AgentPanel .sparkline-errors > .sparkline--max-color { color: $error; }
    AgentPanel .sparkline-errors > .sparkline--min-color { color: $panel; }
    AgentPanel .reason { height: 1; width: 1fr; color: $text-muted; }
    """

    clock: Callable[[], float] = time.monotonic  # tests step it by hand

    def __init__(self, agent: str, **kw: object) -> None:
        super().__init__(id=f"agent-{agent}", **kw)  # type: ignore[arg-type]
        self.agent = agent
        self.status: AgentStatus | None = None
        self.redraws = 0  # draws that changed something on screen (tests count them)
        self._health: Health | None = None
        self._window: str | None = None
        self._texts: tuple[str, str] | None = None  # figures and detail lines as drawn
        self._bars: tuple[object, object] = (None, None)  # each sparkline's levels as drawn
        self._series: Series | None = None  # the latest data, drawn or not (a resize redraws it)
        self._drawn_at = -REDRAW_EVERY_S
        self._latest: tuple[AgentStatus, Series | None] | None = None
        self._timer = False
        self._keys: tuple[object, object] | None = None  # the latest series' bars, once computed
        self._spark_widgets: tuple[Sparkline, Sparkline] | None = None
        self.border_title = Text(agent)
        self.border_subtitle = "…"

    def compose(self) -> ComposeResult:
        yield Static(Text("waiting for data…"), classes="figures")
        # each sparkline says what it plots; the span is the window in the screen's sub-title
        with Horizontal(classes="spark-row"):
            yield Static("lat", classes="spark-label")
            yield CompactSparkline([0.0], classes="sparkline-latency")
        with Horizontal(classes="spark-row"):
            yield Static("err", classes="spark-label")
            yield CompactSparkline([0.0], classes="sparkline-errors")
        yield Static(Text(""), classes="reason")

    @property
    def pending(self) -> bool:
        """A change is waiting for the end of the panel's redraw spell."""
        return self._timer

    def show(self, status: AgentStatus, series: Series | None) -> bool:
        """Take a fresh status; returns True when it changes what the panel shows.

        Drawn now when the health or the window shown changed (the operator's `w`), or when the
        panel has not redrawn for ``REDRAW_EVERY_S``; otherwise once that spell ends (one
        timer, the latest status wins).
        """
        self.status = status
        series = plotted(series, status.view.window)
        self._latest = (status, series)
        self._keys = None
        if (status.health is not self._health or status.view.window != self._window
                or self.clock() - self._drawn_at >= REDRAW_EVERY_S):
            return self._draw()
        if self._timer or not self._differs(status, series):
            return self._timer
        self._timer = True
        # never a 0 s timer: Textual's Timer divides by its delay when it fires late (a spell
        # that ended a moment ago, on a loaded machine, raised ZeroDivisionError)
        self.set_timer(max(MIN_TIMER_S, spell_end(self._drawn_at) - self.clock()), self.draw_pending)
        return True

    def draw_pending(self) -> None:
        """The spell ended: draw the latest status (the timer's callback)."""
        self._timer = False
        self._draw()

    def _spark_keys(self, series: Series | None) -> tuple[object, object]:
        """The bars the latest series draws (computed once per status)."""
        if series is None:
            return self._bars
        if self._keys is None:
            lat, errs = self._sparklines()
            self._keys = (drawn_bars(series[0] or [0.0], lat.size.width, lat.size.height),
                          drawn_bars(series[1] or [0.0], errs.size.width, errs.size.height))
        return self._keys

    def _sparklines(self) -> tuple[Sparkline, Sparkline]:
        if self._spark_widgets is None:
            self._spark_widgets = (self.query_one(".sparkline-latency", Sparkline),
                                   self.query_one(".sparkline-errors", Sparkline))
        return self._spark_widgets

    def _differs(self, status: AgentStatus, series: Series | None) -> bool:
        bars = self._spark_keys(series)
        return ((figures_text(status).plain, detail_text(status).plain) != self._texts
                or bars != self._bars or None in bars)

    def _draw(self) -> bool:
        if self._latest is None:
            return False
        status, series = self._latest
        changed = False
        if status.health is not self._health:
            self._health = status.health
            for h, cls in HEALTH_CLASSES.items():
                self.set_class(status.health is h, cls)
            self.border_subtitle = status.health.badge  # glyph and word: readable without colour
            changed = True
        if status.view.window != self._window:
            span = status.view.window
            self.query_one(".sparkline-latency", Sparkline).tooltip = f"mean latency per bucket, last {span}"
            self.query_one(".sparkline-errors", Sparkline).tooltip = f"errors per bucket, last {span}"
        self._window = status.view.window
        figures, detail = figures_text(status), detail_text(status)
        was = self._texts
        self._texts = (figures.plain, detail.plain)
        if was is None or figures.plain != was[0]:  # each line redraws alone (no layout: fixed size)
            self.query_one(".figures", Static).update(figures, layout=False)
            changed = True
        if was is None or detail.plain != was[1]:
            self.query_one(".reason", Static).update(detail, layout=False)
            changed = True
        if series is not None:
            bars = self._spark_keys(series)
            self._series = series
            for i, spark in enumerate(self._sparklines()):
                if bars[i] is None or bars[i] != self._bars[i]:  # None: not laid out yet, give it the data
                    spark.data = series[i] or [0.0]
                    changed = True
            self._bars = bars
        if changed:
            self.redraws += 1
            self._drawn_at = self.clock()
        return changed

    def on_resize(self) -> None:
        """New sizes draw other bars: give the sparklines the latest data (their keys follow)."""
        if self._series is not None:
            for spark, data in zip(self._sparklines(), self._series, strict=True):
                spark.data = data or [0.0]
            self._bars = (None, None)
            self._keys = None
