"""The runtime of one workspace: the one owner of its background jobs (see the package face).

Two kinds of work, on plain threads:

* **feeds**, which only read and run in every process that shows the workspace: the change feed
  (the watcher), the agents' health (read on change, swept every ``SWEEP_S``) with its
  transitions, the port scan, and, in a viewer, following ``runtime.json``;
* **duties**, which write or speak for the workspace and run only in the lock's holder: the
  janitor's schedule, the snapshot schedule, publishing ``runtime.json`` and the exporter.

A viewer that may take over (not ``role="viewer"``) tries the lock every
``[runtime] takeover_s``; when it gets it, the duties start where the dead holder's schedule
left them (a due run happens once, not twice).

This module is the life of it (start, stop, hold, kick, run once), live configuration,
shared problems and publishing; the health feeds are in ``agents_feed.py``, a viewer's
following and takeover in ``follow.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from catalyst_tui.core.errors import CatalystError, os_reason
from catalyst_tui.core.runtime import state as published
from catalyst_tui.core.runtime.agents_feed import AgentsFeed
from catalyst_tui.core.runtime.events import ConfigReloaded, EventHub, Listener, SharedProblemsChanged, StateChanged
from catalyst_tui.core.runtime.follow import DUTIES, FOLLOW_S, ViewerFollow
from catalyst_tui.core.runtime.jobs import SWEEP_S, HealthSweep, HistoryJob, JanitorJob, PortsJob, SnapshotJob
from catalyst_tui.core.runtime.liveconfig import merge
from catalyst_tui.core.runtime.lock import Holder, RuntimeLock, me
from catalyst_tui.core.runtime.scheduler import Job, Scheduler
from catalyst_tui.core.runtime.state import JobState, RuntimeState
from catalyst_tui.core.storage import FileSignature

if TYPE_CHECKING:
    from catalyst_tui.core.applog import AppLog
    from catalyst_tui.core.health import AgentStatus, SharedProblem, WorkspaceMonitor, WorkspaceWatcher
    from catalyst_tui.core.workspace import Workspace

log = logging.getLogger("catalyst_tui.runtime")

HISTORY_S = 60.0  # a minute: the history file's grain
STOP_GRACE_S = 30.0  # how long stop() waits for a run in progress (both stop at their next file or object)
__all__ = ["RoleError", "Runtime"]


class RoleError(CatalystError):
    """A duty was asked of a viewer (``daemon`` on a held workspace, ``kick`` in a viewer)."""


class Runtime(AgentsFeed, ViewerFollow):
    def __init__(self, ws: Workspace, *, kind: str = "dashboard", role: str = "auto",
                 clock: Callable[[], float] = time.time, log: AppLog | None = None) -> None:
        """``role``: ``auto`` (hold when free, else view and take over), ``holder`` (hold or raise),
        ``viewer`` (never take the lock, never write: read-only dashboards, mirrors, web sessions)."""
        if role not in ("auto", "holder", "viewer"):
            raise ValueError(f"role {role!r}")
        self.ws = ws
        self.kind = kind
        self.role_wanted = role
        self.clock = clock
        self.log = log
        self.paused: Callable[[], bool] = lambda: False  # e.g. a dashboard switched to read-only: duties skip
        self.lock = RuntimeLock(ws.internal_dir)
        self.events = EventHub(lambda: self.is_holder)
        self.monitor_lock = threading.RLock()  # the monitor reads files with saved offsets: one reader at a time
        self._monitor: WorkspaceMonitor | None = None
        self.statuses: dict[str, AgentStatus] = {}
        self._health: dict[str, str] = {}
        self.shared: dict[str, list[SharedProblem]] = {}
        self.watch_mode: str = "starting"
        self.watch_reason: str | None = None
        self.restart_needed: list[str] = []
        self.config_error: str | None = None
        self.followed: RuntimeState | None = None  # a viewer: the holder's state as last read
        self._followed_sig: FileSignature | tuple[()] | None = ()  # never a signature: the first follow tells
        self._last_takeover = 0.0
        self._publish_lock = threading.Lock()
        self._started = self._stopped = False
        self.watcher: WorkspaceWatcher | None = None
        self._watch_thread: threading.Thread | None = None
        self.exporter: Any = None
        self.alerting: Any = None
        self.ports_job = PortsJob(self)
        self.feeds = Scheduler(self._job_changed, clock)
        if self.ws.mirror is None:  # a mirror's snapshot: this machine's listeners say nothing of its hub
            self.feeds.add(Job("ports", self.ports_job, lambda: self.ws.config.ports.scan_interval_s,
                               lambda: max(30.0, self.ws.config.ports.scan_interval_s), first_delay=lambda: 0.0,
                               publish=False))
        self.feeds.add(Job("health", HealthSweep(self), lambda: SWEEP_S, lambda: 30.0, first_delay=lambda: 0.0,
                           publish=False))
        self.duties = Scheduler(self._job_changed, clock)
        self.duties.add(Job("history", HistoryJob(self), lambda: HISTORY_S, lambda: 30.0, publish=False))
        self.duties.add(Job("janitor", JanitorJob(self), lambda: self.ws.config.janitor.interval_s,
                            lambda: self.ws.config.janitor.max_runtime_s + 30.0,
                            first_delay=lambda: self._due_in("janitor")))
        self.duties.add(Job("snapshot", SnapshotJob(self), lambda: self.ws.config.snapshot.interval_s,
                            lambda: max(60.0, self.ws.config.snapshot.interval_s),
                            first_delay=lambda: self._due_in("snapshot")))

    # ------------------------------------------------------------------ the public face
    def subscribe(self, listener: Listener, *, holder_only: bool = False,
                  kinds: tuple[type, ...] | None = None) -> Callable[[], None]:
        """Call ``listener(event)`` for every event (``kinds``: only these classes). Returns the
        unsubscribe function. ``holder_only``: only while this process runs the jobs (notifications
        must be sent once per workspace, not once per open dashboard)."""
        return self.events.subscribe(listener, holder_only=holder_only, kinds=kinds)

    def emit(self, event: object) -> None:
        """Deliver ``event`` to the subscribers (the jobs' own events go out this way)."""
        self.events.emit(event)

    @property
    def is_holder(self) -> bool:
        return self.lock.held

    @property
    def role(self) -> str:
        return "holder" if self.is_holder else "viewer"

    def holder(self) -> Holder | None:
        """Who runs the jobs (this process when it holds the lock), None when nobody does."""
        return self.lock.holder()

    def runs_jobs_text(self) -> str:
        """``runs in this dashboard`` / ``runs in daemon pid 4242`` / ``nobody runs the jobs``."""
        if self.is_holder:
            return f"runs in this {self.kind}"
        h = self.holder()
        if h is not None:
            return f"runs in {h.describe()}"
        if self.lock.problem is not None:  # an operator must learn why no process can run them
            return f"nobody runs the jobs: {self.lock.path.name}: {self.lock.problem}"
        return "nobody runs the jobs (read-only view)"

    @property
    def monitor(self) -> WorkspaceMonitor:
        """Agents' health and figures, created on first use (the board's first frame needs none)."""
        with self.monitor_lock:
            if self._monitor is None:
                self._monitor = self.ws.monitor()
                self._monitor.clock = lambda: self.clock()
            return self._monitor

    def jobs(self) -> dict[str, JobState]:
        """Every job's state: the duties are the holder's (this process's, or as last published)."""
        out = self.feeds.snapshot()
        if self.is_holder or self.followed is None:
            out.update(self.duties.snapshot())
        else:
            out.update({k: v for k, v in self.followed.jobs.items() if k in DUTIES})
        return out

    def state(self) -> RuntimeState:
        h = self.lock.holder_info or me(self.kind)
        return RuntimeState(pid=h.pid, start=h.start, host=h.host, kind=self.kind, updated=self.clock(),
                            watch=self.watch_mode, watch_reason=self.watch_reason,
                            restart_needed=list(self.restart_needed), config_error=self.config_error,
                            jobs={**self.feeds.snapshot(), **self.duties.snapshot()})

    # ------------------------------------------------------------------ life
    def start(self, watch: bool = True) -> Runtime:
        """Take the lock if free (or raise :class:`RoleError` for ``role="holder"``), start the feeds,
        and the duties when holding. ``watch=False``: no change feed (tests drive it)."""
        if self._started:
            return self
        self._started = True
        self._previous = published.read(self.ws.internal_dir)
        if self.role_wanted != "viewer" and not self._try_hold() and self.role_wanted == "holder":
            self._started = False
            raise RoleError(self.lock.refusal())
        if not self.is_holder:
            self.feeds.add(Job("follow", self._follow, lambda: FOLLOW_S, lambda: 30.0, first_delay=lambda: 0.0,
                               publish=False))
        if watch:
            self._start_watcher()
        from catalyst_tui.core.runtime.alerting import Alerting

        self.alerting = Alerting(self)  # tells someone about transitions, while this process holds
        self.feeds.start()
        return self

    def _try_hold(self) -> bool:
        if not self.lock.try_acquire(self.kind):
            return False
        self._publish()
        self.duties.start()
        self._start_exporter()
        self._event("runtime", f"{self.kind} pid {self.lock.holder_info.pid if self.lock.holder_info else '?'} "
                               f"runs the jobs of {self.ws.root}")
        self.events.emit(StateChanged(self.state(), "holder", self.runs_jobs_text()))
        return True

    def stop(self, timeout: float = STOP_GRACE_S) -> bool:
        """Stop every job and thread this runtime started; a run in progress ends first (the
        janitor stops at its next file, whole; a push at its next object or before its commit,
        the mirror untouched; a commit begun finishes). True: everything ended within
        ``timeout``. The lock is let go only once no duty runs any more: a duty still running
        then keeps it until it ends (or the process exits)."""
        if self._stopped:
            return True
        self._stopped = True
        if self.watcher is not None:
            self.watcher.stop()
        ended = self.feeds.stop(timeout)
        duties_ended = self.duties.stop(timeout)
        ended = duties_ended and ended
        if self._watch_thread is not None:
            self._watch_thread.join(5)
            ended = ended and not self._watch_thread.is_alive()
        if self.alerting is not None:
            self.alerting.stop()
        if self.exporter is not None:
            try:
                self.exporter.stop()
            except Exception:  # the process is ending: never let a clean-up stop the others
                log.exception("metrics exporter stop failed")
        if self.is_holder:
            self._publish()
            if duties_ended:
                self.lock.release()
            else:  # a push stuck past the bound (a stalled target): nobody else may start one meanwhile
                self._event("runtime", f"{self.lock.path}: kept while a duty still runs (released when it ends, "
                                       "or when this process exits)", level="warning")
                threading.Thread(target=self._release_after_duties, name="run_release", daemon=True).start()
        return ended

    def _release_after_duties(self) -> None:
        self.duties.stop(None)  # joins the duty threads: they are past re-arming already
        self._publish()
        self.lock.release()

    def run_once(self) -> dict[str, JobState]:
        """``daemon --once``: hold the lock, run each due duty (and one port scan and health pass), stop."""
        self._previous = published.read(self.ws.internal_dir)
        if not self.lock.try_acquire(self.kind):
            raise RoleError(self.lock.refusal())
        try:
            for sched in (self.feeds, self.duties):
                for job in list(sched.jobs.values()):
                    if sched is self.feeds or self._due_in(job.name, never_run=0.0) <= 0:
                        sched.run_now(job)
            return self.jobs()
        finally:
            self._stopped = True
            self._publish()
            self.lock.release()

    def kick(self, name: str) -> None:
        """Run a duty now (``r`` on the Janitor screen, ``p`` on Snapshots); only the holder may."""
        if not self.is_holder:
            raise RoleError(f"{name} {self.runs_jobs_text()}: run it there (or `catalyst-tui {name}`)")
        if not self.duties.kick(name):
            raise RoleError(f"no job {name!r}")

    def reload_config(self) -> None:
        """Re-read catalyst.toml: what can apply now applies; the rest is named (restart to apply)."""
        from catalyst_tui.core.config import load_config
        from catalyst_tui.core.errors import CatalystError

        try:
            edited = load_config(self.ws.root)
        except CatalystError as exc:
            self.config_error = str(exc)
            self._event("config", f"{exc} (the previous configuration keeps running)", level="warning")
            self.events.emit(ConfigReloaded(self.ws.config, list(self.restart_needed), str(exc)))
            self._publish()
            return
        running, live, restart = merge(self.ws.config, edited)
        self.config_error = None
        self.ws.config = running
        with self.monitor_lock:
            if self._monitor is not None:
                self._monitor.config = running
                for mon in self._monitor.agents.values():
                    mon.thresholds = running.health
        self.restart_needed = restart
        if live or restart:
            self._event("config", f"catalyst.toml re-read: {len(live)} key(s) applied"
                                  + (f"; restart to apply: {', '.join(restart)}" if restart else ""),
                        applied=live, restart=restart)
        if any(k.startswith("ports.") for k in live):  # PORTS.md is parsed with them: not only when it changes
            self.ports_job.forget_file()
            self.feeds.kick("ports")
        self.feeds.reschedule()
        self.duties.reschedule()
        self.statuses_swept(self.sweep())  # the new thresholds judge now, not at the next sweep
        self.events.emit(ConfigReloaded(running, restart))
        self._publish()

    # ------------------------------------------------------------------ shared problems
    def report_shared(self, source: str, problems: list[SharedProblem]) -> None:
        if not problems and source not in self.shared:
            return
        if problems:
            if self.shared.get(source) == problems:
                return
            self.shared[source] = list(problems)
        else:
            self.shared.pop(source, None)
        self.events.emit(SharedProblemsChanged(source, list(problems)))

    # ------------------------------------------------------------------ publishing
    def _job_changed(self, job: Job, publish: bool) -> None:
        from catalyst_tui.core.runtime.events import JobChanged

        st = job.state
        if publish and not st.running and st.runs and self.log is not None:
            fields: dict[str, Any] = {"job": st.name, "result": st.result, "duration_s": st.duration_s}
            if st.error is not None:
                fields.update(error=st.error.message, path=st.error.path)
                if st.error.agent:
                    fields["agent"] = st.error.agent
            self.log.event("job", f"{st.name}: {st.error.line() if st.error else st.summary}",
                           level="error" if st.error else "info", **fields)
        self.events.emit(JobChanged(st))
        if publish and self.is_holder and not self._stopped:
            self._publish()

    def _publish(self) -> None:
        if not self.is_holder:
            return
        with self._publish_lock:
            try:
                published.publish(self.ws.internal_dir, self.state())
            except OSError as exc:  # a full disk: shown, the jobs go on
                self._event("runtime", f"{published.state_path(self.ws.internal_dir)}: {os_reason(exc)}",
                            level="error")

    def _start_exporter(self) -> None:
        cfg = self.ws.config.metrics
        if not cfg.serve:
            return
        from catalyst_tui.core.health import MetricsServer
        from catalyst_tui.core.outcomes import read_outcomes

        ws = self.ws
        try:
            self.exporter = MetricsServer(self.monitor, cfg.port, cfg.bind,
                                          source=lambda: list(self.statuses.values()),
                                          jobs=lambda: read_outcomes(ws.root, ws.config)).start()
        except OSError as exc:
            self._event("metrics", f"cannot listen on {cfg.bind}:{cfg.port}: {os_reason(exc)}", level="error")
            return
        self._event("metrics", f"serving /metrics on {cfg.bind}:{self.exporter.port}")

    def _event(self, event: str, msg: str, level: str = "info", **fields: Any) -> None:
        if self.log is not None:
            self.log.event(event, msg, level, **fields)

