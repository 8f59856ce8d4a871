"""The app's side of the workspace runtime: the one :class:`~catalyst_tui.core.runtime.Runtime`
it owns, and the latest of what that runtime reports (agents' statuses, the triage, the port
scan, the jobs), published to the screens through Textual signals (docs/ui-shell.md).

The runtime is embedded (it runs the jobs) when no process holds the workspace, a viewer when a
daemon does, always a viewer when read-only or on a mirror. It is created on first use, after
the first frame: its imports are not the board's. Its events arrive on its threads and become
typed messages (``ui/bridge.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from textual import work
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.signal import Signal

from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.text import visible, visible_block
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.messages import AgentsRefreshed, RuntimeNoticed
from catalyst_tui.ui.startup import FastStartApp

if TYPE_CHECKING:
    from catalyst_tui.core.applog import AppLog
    from catalyst_tui.core.health import (  # loaded after the first frame
        AgentStatus,
        SharedProblem,
        Triage,
        WorkspaceMonitor,
    )
    from catalyst_tui.core.ports import PortsReport
    from catalyst_tui.core.runtime import JobState, Runtime

log = logging.getLogger("catalyst_tui.ui")

JOB_WRITES = {"janitor": "janitor run", "snapshot": "snapshot push"}  # guard_write's names for the jobs


class RuntimeShell(FastStartApp):
    read_only: reactive[bool] = reactive(False)
    # None until the first statuses are in; its watchers repaint their own widgets (a repaint of
    # the app is the whole screen: ~12 KB over ssh each time a shared problem came or went)
    triage: reactive[Triage | None] = reactive(None, repaint=False)
    last_updated: reactive[float] = reactive(0.0, repaint=False)  # the StatusBar redraws itself
    live: reactive[bool] = reactive(False, repaint=False)  # the change feed is watching: the screen is current

    def __init__(self, ws: Workspace, *, read_only: bool, clock: Callable[[], float] = time.time,
                 viewer: bool = False) -> None:
        super().__init__()
        self.ws = ws
        self.clock = clock
        self.index_fallback: str | None = None  # the board's: a shared-layer problem of the triage
        self.statuses: dict[str, AgentStatus] = {}
        self.shared_problems: dict[str, list[SharedProblem]] = {}
        self.ports_report: PortsReport | None = None
        self.ports_error: str | None = None
        self.jobs: dict[str, JobState] = {}
        self.jobs_runner = "starting"  # "runs in this dashboard" / "runs in daemon pid 4242"
        self.restart_needed: list[str] = []
        self.watch_mode = "starting"  # the change feed: "watching" / "polling"
        self._agents_busy = False
        self._agents_pending: set[str] = set()
        self.set_reactive(RuntimeShell.read_only, read_only)
        self.viewer = viewer or read_only
        self.agents_signal: Signal[dict[str, AgentStatus]] = Signal(self, "agents")
        self.ports_signal: Signal[PortsReport | None] = Signal(self, "ports")
        self.jobs_signal: Signal[dict[str, JobState]] = Signal(self, "jobs")

    @cached_property
    def runtime(self) -> Runtime:
        """The workspace's runtime, created on first use: after the first frame (its imports are
        not the board's)."""
        from catalyst_tui.core.applog import AppLog, default_path
        from catalyst_tui.core.runtime import Runtime
        from catalyst_tui.ui import bridge

        self._file_log = AppLog(None if self.viewer else default_path(self.ws.internal_dir))
        self._memory_log = AppLog(None)
        runtime = Runtime(self.ws, kind="dashboard", role="viewer" if self.viewer else "auto",
                          clock=lambda: self.clock(), log=self._memory_log if self.read_only else self._file_log)
        runtime.paused = lambda: self.read_only
        runtime.subscribe(lambda event: bridge.post(self, event))  # runtime threads -> messages
        return runtime

    @property
    def app_log(self) -> AppLog:
        """The JSON-lines log; in memory only while the app is read-only (no writes at all)."""
        if "runtime" not in self.__dict__:
            _ = self.runtime  # the logs are made with it
        return self._memory_log if self.read_only else self._file_log

    @property
    def monitor(self) -> WorkspaceMonitor:
        """Agents' health and metrics (the runtime's), created on first use after the first frame."""
        return self.runtime.monitor

    @property
    def monitor_lock(self) -> Any:
        return self.runtime.monitor_lock

    def _start_runtime(self) -> None:
        from catalyst_tui.core.applog import JsonLinesHandler

        handler = JsonLinesHandler(lambda: self.app_log)  # the shell's own log lines join the runtime's
        logging.getLogger("catalyst_tui").addHandler(handler)
        self.call_on_exit(lambda: logging.getLogger("catalyst_tui").removeHandler(handler))
        self.call_on_exit(self._stop_runtime)
        self.run_worker(self.runtime.start, thread=True, name="runtime start", group="runtime", exit_on_error=False)

    def _stop_runtime(self) -> None:
        """On exit: the watcher, the jobs, the exporter; a run in progress ends first, whole."""
        if not self.runtime.stop():
            log.warning("the runtime's threads did not all end in time")

    def watch_read_only(self, _on: bool) -> None:
        if "runtime" in self.__dict__:  # created: its log follows
            self.runtime.log = self.app_log

    # ------------------------------------------------------------------ writes
    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification is shown literally: its text carries file names, log lines, titles
        (untrusted), so markup is never parsed and control characters are shown, not obeyed."""
        super().notify(visible_block(str(message)), title=visible(title), severity=severity, timeout=timeout,
                       markup=False)

    def guard_write(self, what: str) -> bool:
        """Call before any write: False (and a notification) when the app is read-only."""
        if self.read_only:
            self.notify(f"read-only: {what} not done", severity="warning")
            return False
        return True

    # ------------------------------------------------------------------ jobs
    def run_job_now(self, name: str) -> bool:
        """``r`` on the Janitor screen, ``p`` on Snapshots: a run now, in the process that runs the jobs."""
        if not self.guard_write(JOB_WRITES.get(name, f"{name} run")):
            return False
        job = self.jobs.get(name)
        if job is not None and job.running:
            self.notify(f"the {name} is already running", severity="warning")
            return False
        try:
            self.runtime.kick(name)
        except CatalystError as exc:  # RoleError: this process is a viewer
            self.notify(str(exc), title=name, severity="warning", markup=False)
            return False
        return True

    def jobs_paused(self) -> bool:
        """No scheduled runs at all: this dashboard would run them, and it is read-only."""
        return self.read_only and (self.runtime.is_holder or not self.jobs_runner.startswith("runs in"))

    def rescan_ports(self) -> None:
        self.runtime.ports_job.forget_file()
        self.runtime.feeds.kick("ports")

    # ------------------------------------------------------------------ triage
    def report_shared(self, source: str, problems: list[SharedProblem]) -> None:
        """Replace the shared-layer problems reported by ``source`` (main thread only)."""
        if problems:
            self.shared_problems[source] = list(problems)
        else:
            self.shared_problems.pop(source, None)
        self._update_triage()

    def _update_triage(self) -> None:
        from catalyst_tui.core.health import SharedProblem, triage

        shared = [p for ps in self.shared_problems.values() for p in ps]
        if self.index_fallback:
            shared.append(SharedProblem("index", "index fallback to last good copy"))
        if self.statuses or shared:
            order = self.ws.config.agent_names
            ordered = [self.statuses[n] for n in order if n in self.statuses]
            self.triage = triage(ordered, shared, self.ws.config.health.shared_fraction)

    # ------------------------------------------------------------------ agents
    def _start_agents(self, names: set[str]) -> None:
        _ = self.runtime  # created here, on the main thread, before any worker can race to it
        self._agents_busy = True
        self.run_refresh_agents(names)

    def _request_agents(self, names: set[str]) -> None:
        """Re-read these agents now, or right after the read in progress (main thread)."""
        if self._agents_busy:
            self._agents_pending |= names
        else:
            self._start_agents(names)

    def _agents_done(self) -> None:
        self._agents_busy = False
        if self._agents_pending:
            names, self._agents_pending = self._agents_pending, set()
            self._start_agents(names)

    @work(thread=True, group="agents", exit_on_error=False)
    def run_refresh_agents(self, names: set[str]) -> None:
        self.runtime.refresh_agents(names)  # its AgentsUpdated event comes back as AgentsRefreshed

    def on_agents_refreshed(self, msg: AgentsRefreshed) -> None:
        known = self.statuses
        judged = any(name not in known or (known[name].health, known[name].findings) != (st.health, st.findings)
                     for name, st in msg.statuses.items())
        known.update(msg.statuses)
        self.last_updated = self.clock()
        if judged or self.triage is None:  # the triage line reads only health and findings
            self._update_triage()
        self.agents_signal.publish(msg.statuses)

    def on_runtime_noticed(self, msg: RuntimeNoticed) -> None:
        from catalyst_tui.ui import bridge

        bridge.handle(self, msg.event)
