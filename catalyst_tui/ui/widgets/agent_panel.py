"""One agent's panel on the Agents screen: status colour, key figures, two sparklines.

The panel redraws only when what it shows changed (a render key), never on a clock: ages
are shown only once they matter (a lost heartbeat), so an idle dashboard sends nothing.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from catalyst_tui.core.health import AgentStatus
from catalyst_tui.core.humanize import duration_ms, size
from catalyst_tui.core.models import Health
from catalyst_tui.core.text import visible

HEALTH_CLASSES = {h: f"-{h.value}" for h in Health}
SPARK_EVERY_S = 1.0


def figures_text(status: AgentStatus) -> Text:
    """``p95 4.2 s err 12% q 3``: the figures the thresholds judge, over the window shown."""
    f = status.view
    p95 = duration_ms(f.p95_ms) if f.p95_ms is not None else "-"
    return Text(f"p95 {p95} err {f.error_rate:.0%} q {f.queue_depth}", no_wrap=True, overflow="ellipsis")


def detail_text(status: AgentStatus) -> Text:
    """The first reason when there is one, else ``12/min cpu 3% 41.0 MiB``."""
    if status.reasons:
        return Text(visible(status.reasons[0]), no_wrap=True, overflow="ellipsis")
    bits = [f"{status.view.throughput_per_s * 60:.0f}/min"]
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
    AgentPanel Sparkline { height: 1fr; min-height: 1; max-height: 6; width: 1fr; margin: 0; }
    AgentPanel .sparkline-errors > .sparkline--max-color { color: $error; }
    AgentPanel .sparkline-errors > .sparkline--min-color { color: $panel; }
    AgentPanel .reason { height: 1; width: 1fr; color: $text-muted; }
    """

    def __init__(self, agent: str, **kw: object) -> None:
        super().__init__(id=f"agent-{agent}", **kw)  # type: ignore[arg-type]
        self.agent = agent
        self.status: AgentStatus | None = None
        self._key: tuple[Health, str, str] | None = None
        self._series_key: object = None
        self._pending: tuple[list[float], list[float]] | None = None
        self._spark_at = 0.0
        self._spark_timer = False
        self.border_title = Text(agent)
        self.border_subtitle = "…"

    def compose(self) -> ComposeResult:
        yield Static(Text("waiting for data…"), classes="figures")
        yield Sparkline([0.0], classes="sparkline-latency")
        yield Sparkline([0.0], classes="sparkline-errors")
        yield Static(Text(""), classes="reason")

    def show(self, status: AgentStatus, series: tuple[list[float], list[float]] | None) -> bool:
        """Update from a fresh status; returns False when nothing visible changed.

        Text is redrawn without a layout pass (its size is fixed); sparklines at most once
        per ``SPARK_EVERY_S`` (the last data is applied by a timer), so a stream of records
        costs a few small redraws, not a re-layout of the grid.
        """
        key = (status.health, figures_text(status).plain, detail_text(status).plain)
        changed = False
        self.status = status
        if key != self._key:
            if self._key is None or status.health is not self._key[0]:
                for h, cls in HEALTH_CLASSES.items():
                    self.set_class(status.health is h, cls)
                self.border_subtitle = status.health.badge  # glyph and word: readable without colour
            self._key = key
            self.query_one(".figures", Static).update(figures_text(status), layout=False)
            self.query_one(".reason", Static).update(detail_text(status), layout=False)
            changed = True
        if series is not None:
            series_key = (status.view.records, status.view.window, status.health)
            if series_key != self._series_key:
                self._series_key = series_key
                self._pending = series
                changed = True
                wait = self._spark_at + SPARK_EVERY_S - time.monotonic()
                if wait <= 0:
                    self._apply_series()
                elif not self._spark_timer:
                    self._spark_timer = True
                    self.set_timer(wait, self._apply_series)
        return changed

    def _apply_series(self) -> None:
        self._spark_timer = False
        if self._pending is None:
            return
        lat, errs = self._pending
        self._pending = None
        self._spark_at = time.monotonic()
        self.query_one(".sparkline-latency", Sparkline).data = lat or [0.0]
        self.query_one(".sparkline-errors", Sparkline).data = errs or [0.0]
