"""The Agents screen: one panel per tenant (3x3 at 80x24), and the live-watching glue.

:func:`start_live` wires the core watcher into the app through the shell's documented
entry points (``request_reload`` / ``set_polling`` / ``report_shared``, docs/ui-shell.md):
a thread worker ``run_watch`` maps each change to its tenant and asks the app to re-read
only that tenant; a slow sweep re-evaluates ages and pid liveness when nothing is written;
a tenant turning unhealthy (or recovering) raises a notification and a JSON log line.
It is idempotent; the Agents screen calls it on mount, and the app may call it at start-up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.css.query import NoMatches
from textual.worker import get_current_worker

from catalyst_tui.core.applog import AppLog, JsonLinesHandler, default_path
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.health import WINDOWS, AgentStatus, ChangeSet, SharedProblem, WorkspaceWatcher
from catalyst_tui.core.models import Health
from catalyst_tui.ui.messages import AgentsRefreshed
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.widgets.agent_panel import AgentPanel

if TYPE_CHECKING:
    from catalyst_tui.ui.app import CatalystApp

SWEEP_S = 10.0  # while watching: re-evaluate ages and pid liveness even if no file changes
INDEX_SOURCES = frozenset({"index", "audit", "board"})


class LiveWatch:
    """The watcher, the sweep and the health-transition notifier of one app."""

    def __init__(self, app: CatalystApp) -> None:
        self.app = app
        ws = app.ws
        self._file_log = AppLog(default_path(ws.internal_dir))
        self._memory_log = AppLog(None)
        self.health: dict[str, Health] = {}
        self.mode = "starting"
        self.watcher = WorkspaceWatcher(ws.root, ws.config.agent_names, ws.config.watch, self._changed,
                                        self._mode_changed, ws.config.ports.file)

    @property
    def log(self) -> AppLog:
        """The JSON-lines log; in memory only while the app is read-only (no writes at all)."""
        return self._memory_log if self.app.read_only else self._file_log

    def start(self) -> None:
        app = self.app
        self.health = {name: st.health for name, st in app.statuses.items()}  # what is known: no alarm
        app.watch(app, "triage", self._triage_changed, init=False)
        self.handler = JsonLinesHandler(lambda: self.log)  # the shell's own log lines join ours
        logging.getLogger("catalyst_tui").addHandler(self.handler)
        app.run_worker(self.run_watch, thread=True, name="run_watch", group="watch", exit_on_error=False)
        app.call_on_exit(self.watcher.stop)  # the watcher blocks in watchfiles: wake it to end
        if app.ws.config.metrics.serve:
            self.serve_metrics()

    def serve_metrics(self) -> None:
        """``[metrics] serve = true``: the dashboard's own figures on /metrics (127.0.0.1 by default)."""
        from catalyst_tui.core.health import MetricsServer  # prometheus_client: only when serving
        from catalyst_tui.core.outcomes import read_outcomes

        ws = self.app.ws
        cfg = ws.config.metrics
        try:
            self.metrics = MetricsServer(self.app.monitor, cfg.port, cfg.bind, source=self._statuses,
                                         jobs=lambda: read_outcomes(ws.root, ws.config)).start()
        except OSError as exc:
            self.app.notify(f"metrics: cannot listen on {cfg.bind}:{cfg.port}: {os_reason(exc)}",
                            title="metrics", severity="error", timeout=10)
            return
        self.log.event("metrics", f"serving /metrics on {cfg.bind}:{self.metrics.port}")

    def _statuses(self) -> list[AgentStatus]:  # HTTP thread: a copy of the app's latest statuses
        for _ in range(5):
            try:
                return list(self.app.statuses.values())
            except RuntimeError:  # the dict grew while we copied it (first load only)
                continue
        return []

    def run_watch(self) -> None:
        worker = get_current_worker()
        self.watcher.keep_going = lambda: not worker.is_cancelled
        try:
            self.watcher.run()
        finally:  # the app is closing: its log handler goes with it
            logging.getLogger("catalyst_tui").removeHandler(self.handler)
            if not self.watcher.stop_event.is_set():  # it died (an exception): never "live" while stale
                self._call(self._show_mode, "polling", "the file watcher stopped unexpectedly")

    def _call(self, fn: Any, *args: Any, **kw: Any) -> None:
        try:
            self.app.call_from_thread(fn, *args, **kw)
        except RuntimeError:  # the app is closing
            self.watcher.stop()

    def _changed(self, change: ChangeSet) -> None:  # watcher thread
        self._call(self.app.request_reload, index=bool(change.shared & INDEX_SOURCES), agents=change.agents)
        if "ports" in change.shared:
            self._call(self._ports_changed)

    def _ports_changed(self) -> None:
        """PORTS.md changed: the Ports screen (mounted from start-up) re-parses and re-checks now."""
        for stack in self.app._screen_stacks.values():
            for screen in stack:
                changed = getattr(screen, "ports_changed", None)
                if changed is not None:
                    changed()

    def _mode_changed(self, mode: str, reason: str | None) -> None:  # watcher thread
        self._call(self._show_mode, mode, reason)

    def _show_mode(self, mode: str, reason: str | None) -> None:
        app = self.app
        was, self.mode = self.mode, mode
        if mode == "watching":
            app.set_polling(False)
            app.report_shared("watch", [])
            self.log.event("watch", f"watching {app.ws.root}")
            if was == "starting":
                app.set_timer(SWEEP_S, self._sweep)
            else:
                app.notify("file watching is back", title="watch")
        else:
            app.set_polling(True)
            text = f"polling every {app.ws.config.watch.poll_interval_s:g} s: {reason}"
            app.report_shared("watch", [SharedProblem("watch", text, agents=())])
            app.notify(text, title="watch", severity="warning", timeout=10)
            self.log.event("watch", text, level="warning")

    def _sweep(self) -> None:
        if self.mode == "watching":
            self.app.run_worker(self.run_sweep, thread=True, name="run_sweep", group="sweep", exit_on_error=False)

    def run_sweep(self) -> None:
        """Re-judge every agent without reading its logs (ages, pid liveness, sliding windows)."""
        with self.app.monitor_lock:
            statuses = self.app.monitor.status_all()
        self._call(self._swept, statuses)

    def _swept(self, statuses: dict[str, AgentStatus]) -> None:
        """Pass on only what changed: an unchanged sweep draws nothing and sends no byte."""
        known = self.app.statuses
        changed = {n: st for n, st in statuses.items()
                   if n not in known or (known[n].health, known[n].reasons) != (st.health, st.reasons)}
        if changed:
            self.app.post_message(AgentsRefreshed(changed))
        self.app.set_timer(SWEEP_S, self._sweep)  # re-armed after each run: never overlapping

    def _triage_changed(self, _triage: object) -> None:
        for name, st in self.app.statuses.items():
            before = self.health.get(name)
            self.health[name] = st.health
            if before is None or before == st.health or not (before.affected or st.health.affected):
                continue  # a tenant's first heartbeat (waiting -> ok) is no news
            reason = st.reasons[0] if st.reasons else ""
            if st.health is Health.OK:
                self.app.notify(f"{name} recovered", title="triage", timeout=6)
                self.log.tenant(name, "health", f"{name} recovered", health=st.health.value, was=before.value)
            elif st.health.worse_than(before) and st.health.affected:
                if self.app.ws.config.notify.bell:  # [notify] bell: someone across the room hears it
                    self.app.bell()
                self.app.notify(f"{name} {st.health.value}: {reason}", title="triage", timeout=8,
                                severity="warning" if st.health is Health.DEGRADED else "error")
                self.log.tenant(name, "health", f"{name} turned {st.health.value}", level="warning",
                                health=st.health.value, was=before.value, reason=reason)



def start_live(app: CatalystApp) -> LiveWatch:
    """Start live watching for ``app`` once (later calls return the running one)."""
    live: LiveWatch | None = getattr(app, "_catalyst_live", None)
    if live is None:
        live = LiveWatch(app)
        app._catalyst_live = live  # type: ignore[attr-defined]
        live.start()
    return live


class AgentsScreen(CatalystScreen):
    BINDINGS = [
        Binding("enter", "open_detail", "Detail", id="agents.detail"),
        Binding("w", "cycle_window", "Window", id="agents.window"),
        Binding("left", "move(-1, 0)", "Left", show=False, id="agents.left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="agents.right"),
        Binding("up", "move(0, -1)", "Up", show=False, id="agents.up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="agents.down"),
    ]
    DEFAULT_CSS = """
    AgentsScreen #agents-grid { grid-size: 3; grid-gutter: 0 0; height: 1fr; }
    """
    COLUMNS = 3

    def compose_body(self) -> ComposeResult:
        rows = max(1, -(-len(self.catalyst.ws.config.agent_names) // self.COLUMNS))
        grid = Grid(id="agents-grid")
        grid.styles.grid_size_rows = rows
        with grid:
            for name in self.catalyst.ws.config.agent_names:
                yield AgentPanel(name)

    def on_mount(self) -> None:
        self.live = start_live(self.catalyst)
        self._window_title()
        self.agents_refreshed(self.catalyst.statuses)
        panels = list(self.query(AgentPanel))
        if panels:
            panels[0].focus()

    def _window_title(self) -> None:
        monitor = self.catalyst.monitor
        shown = monitor.shown_window or monitor.window
        judged = "" if shown == monitor.window else f" (judged on {monitor.window})"
        self.sub_title = f"{self.catalyst.sub_title} · window {shown}{judged}"

    def agents_refreshed(self, statuses: dict[str, AgentStatus]) -> None:
        for name, status in statuses.items():
            try:
                panel = self.query_one(f"#agent-{name}", AgentPanel)
            except NoMatches:  # an agent not on this screen
                continue
            panel.show(status, status.series)

    def panel(self, name: str) -> AgentPanel:
        return self.query_one(f"#agent-{name}", AgentPanel)

    def action_move(self, dx: int, dy: int) -> None:
        panels = list(self.query(AgentPanel))
        focused = self.focused
        i = panels.index(focused) if isinstance(focused, AgentPanel) and focused in panels else 0
        j = i + dx + dy * self.COLUMNS
        if 0 <= j < len(panels):
            panels[j].focus()

    def action_cycle_window(self) -> None:
        """Show another window's figures. Display only: health is judged on [metrics] window."""
        from catalyst_tui.core.health.history import LONG_WINDOWS

        names = [*WINDOWS, *LONG_WINDOWS]  # 24 h and 7 d come from the agents' history files
        monitor = self.catalyst.monitor
        shown = names[(names.index(monitor.shown_window or monitor.window) + 1) % len(names)]
        monitor.shown_window = None if shown == monitor.window else shown
        self._window_title()
        self.notify(f"figures over {shown} (health is judged on {monitor.window})", timeout=3)
        self.catalyst.request_reload(agents=self.catalyst.ws.config.agent_names)

    def action_open_detail(self) -> None:
        focused = self.focused
        if isinstance(focused, AgentPanel):
            from catalyst_tui.ui.screens.agent_detail import AgentDetailScreen

            self.app.push_screen(AgentDetailScreen(focused.agent))
