"""The runtime's feeds of agents' health, in every process that shows the workspace: the change
feed (the watcher's thread: whose files changed), the agents read on change and swept, and
their transitions (``HealthChanged``, told once per workspace by the holder's listeners).

A part of :class:`~catalyst_tui.core.runtime.runtime.Runtime` (a mixin: the state it reads and
writes is the runtime's, declared below for the type checker).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from catalyst_tui.core.models import Health
from catalyst_tui.core.runtime.events import AgentsUpdated, EventHub, HealthChanged, IndexChanged, WatchModeChanged

if TYPE_CHECKING:
    from catalyst_tui.core.applog import AppLog
    from catalyst_tui.core.health import AgentStatus, ChangeSet, SharedProblem, WorkspaceMonitor, WorkspaceWatcher
    from catalyst_tui.core.runtime.jobs import PortsJob
    from catalyst_tui.core.runtime.scheduler import Scheduler
    from catalyst_tui.core.workspace import Workspace

log = logging.getLogger("catalyst_tui.runtime")

INDEX_SOURCES = frozenset({"index", "audit", "board"})


class AgentsFeed:
    ws: Workspace
    log: AppLog | None
    clock: Callable[[], float]
    events: EventHub
    feeds: Scheduler
    ports_job: PortsJob
    monitor_lock: threading.RLock
    statuses: dict[str, AgentStatus]
    _health: dict[str, str]
    watch_mode: str
    watch_reason: str | None
    watcher: WorkspaceWatcher | None
    _watch_thread: threading.Thread | None

    if TYPE_CHECKING:  # the runtime's own
        @property
        def monitor(self) -> WorkspaceMonitor: ...
        def reload_config(self) -> None: ...
        def report_shared(self, source: str, problems: list[SharedProblem]) -> None: ...
        def _publish(self) -> None: ...
        def _event(self, event: str, msg: str, level: str = "info", **fields: Any) -> None: ...

    def refresh_agents(self, names: set[str] | list[str]) -> dict[str, AgentStatus]:
        """Read the named agents' new lines now (from any thread); posts AgentsUpdated."""
        with self.monitor_lock:  # read together, judged together: each tenant against its peers
            statuses = self.monitor.refresh_many(set(names))
        self._judged(statuses)
        return statuses

    def flush_history(self) -> int:
        """Append the agents' completed minutes to their history files (a duty: the holder only)."""
        with self.monitor_lock:
            return self.monitor.flush_history()

    def sweep(self) -> dict[str, AgentStatus]:
        with self.monitor_lock:
            return self.monitor.status_all()

    def statuses_swept(self, statuses: dict[str, AgentStatus]) -> None:
        """Pass on only what changed: an unchanged sweep draws nothing and sends no byte."""
        known = self.statuses
        self._judged({n: st for n, st in statuses.items()
                      if n not in known or (known[n].health, known[n].reasons) != (st.health, st.reasons)})

    def _judged(self, statuses: dict[str, AgentStatus]) -> None:
        if not statuses:
            return
        self.statuses = {**self.statuses, **statuses}  # replaced whole: readers on other threads see one or the other
        self.events.emit(AgentsUpdated(statuses))
        for name, st in statuses.items():
            now, before = st.health.value, self._health.get(name)
            self._health[name] = now
            if before is None or before == now:
                continue
            reason = st.reasons[0] if st.reasons else ""
            worse = st.health.worse_than(Health(before))
            if self.log is not None:
                text = f"{name} turned {now}" if worse else f"{name} {'recovered' if now == 'ok' else now}"
                self.log.tenant(name, "health", text, level="warning" if worse else "info", health=now, was=before,
                                reason=reason)
            self.events.emit(HealthChanged(agent=name, health=now, was=before, reason=reason, worse=worse,
                                           ts=self.clock()))

    # ------------------------------------------------------------------ the change feed
    def _start_watcher(self) -> None:
        from catalyst_tui.core.health import WorkspaceWatcher

        cfg = self.ws.config
        self.watcher = WorkspaceWatcher(self.ws.root, cfg.agent_names, cfg.watch, self._changed, self._mode_changed,
                                        cfg.ports.file)
        self._watch_thread = threading.Thread(target=self._watch, name="run_watch", daemon=True)
        self._watch_thread.start()

    def _watch(self) -> None:
        assert self.watcher is not None
        try:
            self.watcher.run()
        except Exception:  # never "watching" while stale: say so, and keep the other jobs going
            log.exception("the file watcher failed")
            self._mode_changed("polling", "the file watcher stopped unexpectedly")

    def _changed(self, change: ChangeSet) -> None:  # watcher thread
        if change.shared & INDEX_SOURCES:
            self.events.emit(IndexChanged())
        if "config" in change.shared:
            self.reload_config()
        if "ports" in change.shared:
            self.ports_job.forget_file()
            self.feeds.kick("ports")
        if change.agents:
            self.refresh_agents(set(change.agents))

    def _mode_changed(self, mode: str, reason: str | None) -> None:  # watcher thread
        from catalyst_tui.core.health import SharedProblem

        self.watch_mode, self.watch_reason = mode, reason
        # the mode first: a view must never read the reason a watcher stopped while it still
        # shows the feed as live (the shared problem below reaches it as a second event)
        self.events.emit(WatchModeChanged(mode, reason))
        if mode == "watching":
            self.report_shared("watch", [])
            self._event("watch", f"watching {self.ws.root}")
        else:
            text = f"polling every {self.ws.config.watch.poll_interval_s:g} s: {reason}"
            self.report_shared("watch", [SharedProblem("watch", text, agents=())])
            self._event("watch", text, level="warning")
        self._publish()
