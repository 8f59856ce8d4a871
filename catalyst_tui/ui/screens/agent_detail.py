"""One agent in detail: its figures, its cards, its dispatch and work-log tail, with a filter.

Pushed on the Agents screen's stack by ``enter`` on a panel; ``escape`` goes back. The
tails come from the app's monitor (read in a thread worker under ``app.monitor_lock``);
every line is untrusted text, rendered literally.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, RichLog, Static, TabbedContent, TabPane

from catalyst_tui.core.board import board_order
from catalyst_tui.core.health import AgentStatus
from catalyst_tui.core.humanize import age, clock, duration_ms, size
from catalyst_tui.core.models import DispatchRecord, WorkRecord
from catalyst_tui.core.text import visible
from catalyst_tui.ui.screens.base import CatalystScreen

TAIL_SHOWN = 200


class AgentDetailLoaded(Message):
    """``run_load_detail`` copied one agent's tails out of the monitor."""

    def __init__(self, agent: str, dispatch: list[DispatchRecord], work: list[WorkRecord]) -> None:
        super().__init__()
        self.agent = agent
        self.dispatch = dispatch
        self.work = work


def _hms(ts: float) -> str:
    return clock(ts, "%H:%M:%S", utc=True)  # a tenant's record may hold any float ("?" then)


def dispatch_line(r: DispatchRecord) -> str:
    bits = [_hms(r.ts), r.event, r.id]
    if r.status:
        bits.append(r.status)
    if r.latency_ms is not None:
        bits.append(duration_ms(r.latency_ms))
    if r.card:
        bits.append(r.card)
    if r.error:
        bits.append(r.error)
    return visible("  ".join(bits))


def work_line(r: WorkRecord) -> str:
    return visible("  ".join(b for b in (_hms(r.ts), r.kind, r.card or "", r.text) if b))


def identity_line(st: AgentStatus, now: float) -> str:
    """``heartbeat 2 s ago · pid 4242 alive · rss 41.0 MiB · …``: who and whether it runs, first."""
    hb = "-" if st.heartbeat_age_s is None else age(max(0.0, now - st.checked + st.heartbeat_age_s))
    bits = [f"heartbeat {hb} ago" if hb != "-" else "no heartbeat"]
    p = st.proc
    if p is None:
        bits.append("no pid")
    else:
        bits.append(f"pid {p.pid} {'alive' if p.alive else 'dead'}")
        if p.alive and p.rss_bytes is not None:
            bits.append(f"rss {size(p.rss_bytes)}")
        if p.alive and p.cpu_percent is not None:
            bits.append(f"cpu {p.cpu_percent:.0f}%")
    card = st.state.current_card if st.state and st.state.current_card else "-"
    bits.append(f"card {card}")
    if p is not None and p.open_files is not None:
        bits.append(f"files {p.open_files}")
    bits.append(f"disk {size(st.disk_bytes) if st.disk_bytes is not None else '-'}")
    return " · ".join(bits)


def summary_text(st: AgentStatus, now: float) -> Text:
    """Four lines, one each, never wrapped: the identity line first (whatever the width and
    however long the reasons), then health and reasons (strongest first), then the figures."""
    f = st.view
    ms = lambda v: duration_ms(v) if v is not None else "-"  # noqa: E731
    why = "; ".join(st.reasons) or "all figures within thresholds"
    lines = [
        identity_line(st, now),
        f"{st.health.badge}: {why}",
        f"window {f.window}: p50 {ms(f.p50_ms)}  p95 {ms(f.p95_ms)}  p99 {ms(f.p99_ms)}  "
        f"1 h baseline p95 {ms(f.baseline_p95_ms)}",
        f"errors {f.error_rate:.1%} ({f.errors} of {f.finished})  {f.throughput_per_s * 60:.1f}/min  "
        f"queue {f.queue_depth}  bad lines {st.parse_errors}",
    ]
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, line in enumerate(lines):
        text.append(visible(" ".join(line.splitlines())))  # a reason quoting a log line never adds a row
        if i < len(lines) - 1:
            text.append("\n")
    return text


class AgentDetailScreen(CatalystScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="agent_detail.back"),
        Binding("slash", "filter", "Filter", id="agent_detail.filter"),
    ]
    DEFAULT_CSS = """
    AgentDetailScreen #detail-summary { height: 4; padding: 0 1; background: $boost; }
    AgentDetailScreen #detail-filter { height: 1; border: none; padding: 0 1; }
    AgentDetailScreen TabbedContent { height: 1fr; }
    AgentDetailScreen RichLog { height: 1fr; }
    """

    def __init__(self, agent: str) -> None:
        super().__init__()
        self.agent = agent
        self.dispatch: list[DispatchRecord] = []
        self.work: list[WorkRecord] = []
        self.shown: dict[str, list[str]] = {"cards": [], "dispatch": [], "work": []}  # after the filter

    def compose_body(self) -> ComposeResult:
        yield Static(Text(f"{self.agent}: loading…"), id="detail-summary")
        box = Input(placeholder=f"filter {self.agent}'s lines (/)", id="detail-filter")
        box.cursor_blink = self.app.cursor_blink
        yield box
        with TabbedContent(id="detail-tabs"):
            with TabPane("Cards", id="tab-cards"):
                yield RichLog(id="detail-cards", markup=False, wrap=False, auto_scroll=False)
            with TabPane("Dispatch", id="tab-dispatch"):
                yield RichLog(id="detail-dispatch", markup=False, wrap=False)
            with TabPane("Work log", id="tab-work"):
                yield RichLog(id="detail-work", markup=False, wrap=False)

    def on_mount(self) -> None:
        self.sub_title = f"agent {self.agent}"
        self._show_status()
        self.cards_reloaded(None, None, None)
        self.run_load_detail()
        self.query_one("#detail-tabs ContentTabs").focus()  # keys go to the screen, not the filter

    @work(thread=True, group="agent-detail", exclusive=True, exit_on_error=False)
    def run_load_detail(self) -> None:
        app = self.app
        with app.monitor_lock:
            mon = app.monitor.agents.get(self.agent)
            dispatch = list(mon.dispatch_recent) if mon else []
            work_ = list(mon.work_recent) if mon else []
        self.post_message(AgentDetailLoaded(self.agent, dispatch[-TAIL_SHOWN:], work_[-TAIL_SHOWN:]))

    def on_agent_detail_loaded(self, msg: AgentDetailLoaded) -> None:
        self.dispatch, self.work = msg.dispatch, msg.work
        self._fill()

    @property
    def needle(self) -> str:
        return self.query_one("#detail-filter", Input).value.strip().lower()

    def _fill(self) -> None:
        needle = self.needle
        for key, lines in (("dispatch", [dispatch_line(r) for r in self.dispatch]),
                           ("work", [work_line(r) for r in self.work])):
            self._write(key, [line for line in lines if needle in line.lower()])

    def _write(self, key: str, lines: list[str]) -> None:
        self.shown[key] = lines
        log = self.query_one(f"#detail-{key}", RichLog)
        log.clear()
        for line in lines:
            log.write(Text(line))

    def _show_status(self) -> None:
        st = self.app.statuses.get(self.agent)
        if st is not None:
            self.query_one("#detail-summary", Static).update(summary_text(st, self.app.clock()))

    def cards_reloaded(self, view: object, focus: str | None, op: str | None) -> None:
        needle = self.needle
        cards = sorted((c for c in self.app.index.cards.values() if c.agent == self.agent and not c.archived),
                       key=board_order(self.app.ws.config.board.columns))
        lines = [visible(f"{c.column:<8} {c.id}  {c.title}") for c in cards]
        self._write("cards", [line for line in lines if needle in line.lower()])

    def agents_refreshed(self, statuses: dict[str, AgentStatus]) -> None:
        if self.agent in statuses:
            self._show_status()
            self.run_load_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill()
        self.cards_reloaded(None, None, None)

    def action_filter(self) -> None:
        self.query_one("#detail-filter", Input).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
