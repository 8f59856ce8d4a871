"""The runtime's periodic jobs: the janitor's run, the snapshot push, the port scan, the health sweep.

Each is a callable ``(JobContext) -> Outcome`` built on a :class:`JobHost` (the runtime): it
reads the workspace's *current* configuration at each run, reports shared-layer problems and
posts its own events through the host, and raises on failure (the scheduler records it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from catalyst_tui.core.runtime.events import PortsScanned
from catalyst_tui.core.runtime.scheduler import JobContext, Outcome
from catalyst_tui.core.runtime.state import FlaggedItem, JanitorSummary, JobError, PortsSummary, SnapshotSummary
from catalyst_tui.core.storage import FileSignature, file_signature

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus, SharedProblem
    from catalyst_tui.core.ports import PortsDoc, ScanResult
    from catalyst_tui.core.workspace import Workspace

PROGRESS_EVERY_S = 0.2  # progress lines reach the screens at most this often
SWEEP_S = 10.0  # re-judge ages and pid liveness even when no file changes
SWEEP_IDLE_MAX_S = 30.0  # while nothing changes at all, the full re-judge stretches up to this


class JobHost(Protocol):
    ws: Workspace
    clock: Callable[[], float]
    paused: Callable[[], bool]
    statuses: dict[str, AgentStatus]

    def emit(self, event: object) -> None: ...
    def report_shared(self, source: str, problems: list[SharedProblem]) -> None: ...
    def statuses_swept(self, statuses: dict[str, AgentStatus]) -> None: ...
    def refresh_agents(self, names: set[str] | list[str]) -> dict[str, AgentStatus]: ...
    def sweep(self) -> dict[str, AgentStatus]: ...
    def flush_history(self) -> int: ...


def _throttled(progress: Callable[[str], None]) -> Callable[[str], None]:
    last = [0.0]

    def say(text: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            progress(text)

    return say


def janitor_summary(report: dict[str, Any]) -> JanitorSummary:
    """A real run's report (the JSON edge) as the typed result the screens show."""
    from catalyst_tui.core.janitor import flagged_items

    failures = [JobError(message=str(f.get("message")), path=f.get("path"), agent=f.get("agent"))
                for f in report.get("failures", [])]
    return JanitorSummary(
        run=str(report["run"]), started=float(report["started"]), finished=float(report["finished"]),
        duration_s=float(report["duration_s"]), capped=bool(report["capped"]), scanned=int(report["scanned"]),
        totals={k: int(v) for k, v in report["totals"].items()},
        flagged=[FlaggedItem(agent=i.get("agent"), what=str(i.get("what")), why=str(i.get("why")))
                 for i in flagged_items(report)],
        errors=failures, changed_board=bool(report.get("flagged_cards") or report.get("actions")))


def janitor_shared_problems(summary: JanitorSummary) -> list[SharedProblem]:
    """Failed actions as triage input naming the affected agents (from the errors' own fields)."""
    from catalyst_tui.core.health import SharedProblem

    if not summary.errors:
        return []
    agents = sorted({e.agent for e in summary.errors if e.agent})
    return [SharedProblem("janitor", f"janitor: {len(summary.errors)} action(s) failed",
                          agents=tuple(agents) if agents else None)]


class SharedDuty:
    """A duty of the holder that the triage hears of: skipped while the app is read-only; when a run
    raises, its :meth:`failure` text is a shared-layer problem until a run reports otherwise."""

    source = ""
    failed = ""  # the problem's text when a run raises

    def __init__(self, host: JobHost) -> None:
        self.host = host

    def __call__(self, ctx: JobContext) -> Outcome:
        from catalyst_tui.core.health import SharedProblem

        if self.host.paused():
            return Outcome("skipped: read-only")
        try:
            return self.run(ctx, _throttled(ctx.progress))
        except Exception as exc:
            self.host.report_shared(self.source, [SharedProblem(self.source, self.failure(exc), agents=None)])
            raise

    def failure(self, exc: Exception) -> str:
        """The shared problem's text for a run that raised ``exc``."""
        return self.failed

    def run(self, ctx: JobContext, say: Callable[[str], None]) -> Outcome:
        raise NotImplementedError


class JanitorJob(SharedDuty):
    source, failed = "janitor", "janitor run failed"

    def run(self, ctx: JobContext, say: Callable[[str], None]) -> Outcome:
        from catalyst_tui.core.janitor import Janitor

        # A stop asked during the run ends it at the next file, whole (the run's own time cap).
        stopping = ctx.stopping
        monotonic = lambda: time.monotonic() + (1e9 if stopping.is_set() else 0.0)  # noqa: E731
        report = Janitor(self.host.ws, clock=self.host.clock, monotonic=monotonic).run(
            progress=lambda n: say(f"walked {n:,} files"))
        summary = janitor_summary(report)
        self.host.report_shared(self.source, janitor_shared_problems(summary))
        t = summary.totals
        return Outcome(f"archived {t.get('archived', 0)}, removed {t.get('removed', 0)}, "
                       f"flagged {t.get('flagged', 0)}" + (" (capped)" if summary.capped else ""), summary)


class SnapshotJob(SharedDuty):
    """A push, cut at its cap or when the process stops, between two objects and before the
    commit (the mirror keeps its current snapshot; what was sent is not sent again)."""

    source, failed = "snapshot", "snapshot push failed"

    def failure(self, exc: Exception) -> str:
        from catalyst_tui.core.snapshot import PushInterrupted

        return "snapshot push cut at its cap" if isinstance(exc, PushInterrupted) else self.failed

    def run(self, ctx: JobContext, say: Callable[[str], None]) -> Outcome:
        from catalyst_tui.core.snapshot import PushInterrupted, push

        def progress(phase: str, done: int, total: int) -> None:
            say(f"{phase} {100.0 * done / total if total else 0.0:.0f}%")

        def stop() -> str | None:
            if ctx.stopping.is_set():
                return "stopping"
            return "at its cap" if time.monotonic() >= ctx.deadline else None

        try:
            result = push(self.host.ws, progress=progress, clock=self.host.clock, stop=stop)
        except PushInterrupted as exc:
            if exc.reason == "stopping":  # a stop is no failed push (a cap is: raised on)
                return Outcome("stopped before its commit: the mirror keeps its snapshot")
            raise
        self.host.report_shared(self.source, [])
        rec = result.record
        summary = SnapshotSummary(url=result.url, id=rec.id, seq=rec.seq, noop=result.noop, files=rec.files,
                                  size=rec.size, bytes_sent=result.bytes_sent, duration_s=round(result.duration_s, 3),
                                  created=rec.created, objects_sent=result.objects_sent,
                                  objects_total=result.objects_total)
        return Outcome("unchanged: nothing sent" if result.noop else f"pushed {rec.id[:12]} ({rec.files} files)",
                       summary)


class PortsJob:
    """PORTS.md re-parsed only when its stat signature changed; listeners scanned each run."""

    scan_source: Callable[[], ScanResult] | None = None  # tests inject a frozen scan

    def __init__(self, host: JobHost) -> None:
        self.host = host
        self._doc: PortsDoc | None = None
        self._sig: FileSignature | None = None
        self._scanner: Callable[[], ScanResult] | None = None

    def forget_file(self) -> None:
        """PORTS.md changed (the watcher says so): the next run re-parses it."""
        self._sig = None

    def __call__(self, ctx: JobContext) -> Outcome:
        from catalyst_tui.core.health import SharedProblem
        from catalyst_tui.core.ports import ListenerScanner, PortsFileError, check, load_ports_md

        ws = self.host.ws
        path = ws.ports_path
        agents = ws.config.agent_names
        now_sig = file_signature(path)
        if self._doc is None or now_sig is None or now_sig != self._sig:
            try:
                self._doc = load_ports_md(path, agents, ephemeral=ws.config.ports.ephemeral_check)
            except PortsFileError as exc:
                self._doc, self._sig = None, None
                self.host.report_shared("ports", [SharedProblem("ports", str(exc), ())])
                self.host.emit(PortsScanned(None, str(exc)))
                raise
            self._sig = now_sig
        if self._scanner is None:
            # An unchanged socket table (the usual case) costs ~0.2 ms instead of a walk of every process.
            self._scanner = ListenerScanner()
        scan = (self.scan_source or self._scanner)()
        report = check(self._doc, scan, agents)
        self.host.report_shared("ports", report.shared_problems())
        self.host.emit(PortsScanned(report))
        problems = len(report.problem_rows) + len(report.parse_problems)
        return Outcome(f"{len(report.rows)} ports, {problems} problem(s)",
                       PortsSummary(ports=len(report.rows), problems=problems, listeners=len(scan.listeners)))


class HealthSweep:
    """Re-judge every agent without reading its logs: ages advance, pids die, windows slide.

    The first run reads every agent's logs: the change feed only tells of what is written after
    it started, so without this read a daemon would judge what its tenants did before it started
    by no figures at all (and turn them "worse" a minute later, when the history duty read them).

    Idle back-off: the job wakes every ``SWEEP_S``; while nothing at all changes (no agent judged
    since, no verdict moved by the last sweep) the full re-judge is stretched, doubling up to
    ``SWEEP_IDLE_MAX_S``, and each wake in between only checks that every live agent pid is still
    the same process (one ``/proc`` read each). A pid dying re-judges at once; any change brings
    the cadence back to ``SWEEP_S``. So a pid's death is seen within ``SWEEP_S``; what only the
    clock moves (a heartbeat turning stale, an error burst sliding out of the window) within
    ``SWEEP_IDLE_MAX_S`` on a workspace where nothing else happens. A kicked run always re-judges.
    """

    def __init__(self, host: JobHost, every_s: float = SWEEP_S, idle_max_s: float = SWEEP_IDLE_MAX_S,
                 stamp: Callable[[int], bytes | None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        from catalyst_tui.core.procs import start_stamp

        self.host = host
        self.monotonic = monotonic
        self.read_once = False
        self.every_s, self.idle_max_s = every_s, idle_max_s
        self.stamp = stamp or start_stamp
        self.quiet_s = every_s  # the stretch before the next full re-judge
        self.full_sweeps = 0
        self._next_full = 0.0  # time.monotonic()
        self._seen: object = None  # host.statuses as the last full sweep left it (replaced whole on any judgement)
        self._pids: dict[int, bytes | None] = {}
        self._last = Outcome("")

    def __call__(self, ctx: JobContext) -> Outcome:
        if not self.read_once:
            self.read_once = True
            statuses = self.host.refresh_agents(self.host.ws.config.agent_names)
            self._after(False)
            self._last = _swept(statuses)  # the sweeps' own words: an unchanged summary publishes nothing
            return self._last
        if (not ctx.kicked and self.monotonic() < self._next_full and self.host.statuses is self._seen
                and all(start is not None and self.stamp(pid) == start for pid, start in self._pids.items())):
            return self._last  # nothing moved: the same outcome (nothing published, nothing sent)
        before = self.host.statuses
        statuses = self.host.sweep()
        self.host.statuses_swept(statuses)
        self.full_sweeps += 1
        self._after(self.host.statuses is not before)
        self._last = _swept(statuses)
        return self._last

    def _after(self, changed: bool) -> None:
        self.quiet_s = self.every_s if changed else min(self.quiet_s * 2, self.idle_max_s)
        self._next_full = self.monotonic() + self.quiet_s - 0.5  # the wake due then runs it
        self._seen = self.host.statuses
        pids = {st.proc.pid for st in self._seen.values() if st.proc is not None and st.proc.alive}
        self._pids = {pid: self.stamp(pid) for pid in pids}


def _swept(statuses: dict[str, AgentStatus]) -> Outcome:
    bad = sum(1 for s in statuses.values() if s.health.value != "ok")
    return Outcome(f"{len(statuses)} agents, {bad} not ok")


class HistoryJob:
    """Each minute: every agent's completed minutes appended to its ``history.jsonl`` (one writer:
    a duty of the holder)."""

    def __init__(self, host: JobHost) -> None:
        self.host = host

    def __call__(self, ctx: JobContext) -> Outcome:
        return Outcome(f"{self.host.flush_history()} minute(s) written")
