"""The Snapshots screen: last push, next-push countdown, progress, history; push now, verify.

The background push (every ``[snapshot] interval_s``) belongs to the runtime: in this
dashboard when it runs the jobs, else in the process named on the first line. This screen
shows the job's state (``app.jobs["snapshot"]``, with the typed
:class:`~catalyst_tui.core.runtime.SnapshotSummary` of the last push) and re-reads the push
history when a push finished. ``p`` asks the runtime for a push now; read-only: no pushes
(verify, which only reads the mirror, is allowed).
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ProgressBar

from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.runtime import JobState, SnapshotSummary
from catalyst_tui.core.snapshot import Mirror, hub_history, open_target
from catalyst_tui.ui.screens.scheduled import ScheduledScreen
from catalyst_tui.ui.widgets.countdown import Countdown
from catalyst_tui.ui.widgets.quiet_progress import QuietProgressBar
from catalyst_tui.ui.widgets.snapshot_history import SnapshotHistory
from catalyst_tui.ui.widgets.snapshot_status import SnapshotStatus


class MirrorVerified(Message):
    def __init__(self, url: str, problems: list[str]) -> None:
        super().__init__()
        self.url = url
        self.problems = problems


class SnapshotHistoryLoaded(Message):
    def __init__(self, history: list[dict[str, Any]]) -> None:
        super().__init__()
        self.history = history


class SnapshotsScreen(ScheduledScreen):
    job_name = "snapshot"
    BINDINGS = [
        Binding("p", "push_now", "Push now", id="snapshots.push"),
        Binding("v", "verify", "Verify mirror", id="snapshots.verify"),
    ]
    DEFAULT_CSS = """
    SnapshotsScreen .runner { padding: 0 1; height: 1; }
    SnapshotsScreen #snap-progress { padding: 0 1; height: 1; }
    SnapshotsScreen #snap-history { border-top: solid $panel; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.last: SnapshotSummary | None = None
        self.history: list[dict[str, Any]] = []
        self.error: str | None = None
        self.verify_result: list[str] | None = None
        self.runs_seen = -1  # the job's run count when the history was last read

    @property
    def url(self) -> str:
        return self.app.ws.config.snapshot.target

    def compose_body(self) -> ComposeResult:
        yield self.runner_line()
        yield SnapshotStatus(id="snap-status")
        yield Countdown("push", "read-only: background pushes are off", busy_prefix="pushing: ", id="snap-next")
        yield QuietProgressBar(total=100, id="snap-progress")
        yield SnapshotHistory(id="snap-history")

    # ------------------------------------------------------------------ the job (ScheduledScreen)
    def busy_text(self, job: JobState) -> str:
        return job.progress or "snapshot"

    def job_changed(self, job: JobState | None) -> None:
        bar = self.query_one("#snap-progress", ProgressBar)
        if job is not None and job.running:
            pct = _percent(job.progress)
            bar.update(total=100, progress=pct if pct is not None else 0)
            return
        if job is None:
            if self.runs_seen < 0:
                self.runs_seen = 0
                self.run_load_history()
            return
        self.error = job.error.line() if job.result == "error" and job.error else None
        if isinstance(job.detail, SnapshotSummary):
            self.last = job.detail
            bar.update(total=100, progress=100)
        if job.runs != self.runs_seen:
            self.runs_seen = job.runs
            self.run_load_history()  # a push finished (here or in the daemon)
        self._refresh()

    # ------------------------------------------------------------------ actions
    def action_push_now(self) -> None:
        self.app.run_job_now("snapshot")

    def action_verify(self) -> None:
        self.run_verify()

    # ------------------------------------------------------------------ one-shot reads (threads)
    @work(thread=True, group="snapshot-verify", exit_on_error=False)
    def run_verify(self) -> None:
        url = self.url
        try:
            with open_target(url, base=self.app.ws.root) as target:
                problems = Mirror(target).verify()
        except (CatalystError, OSError) as exc:
            problems = [str(exc)]
        self.post_message(MirrorVerified(url, problems))

    @work(thread=True, group="snapshot-history", exit_on_error=False)
    def run_load_history(self) -> None:
        self.post_message(SnapshotHistoryLoaded(hub_history(self.app.ws)))

    # ------------------------------------------------------------------ message handlers
    def on_snapshot_history_loaded(self, msg: SnapshotHistoryLoaded) -> None:
        self.history = msg.history
        if self.last is None and msg.history:
            self.last = SnapshotSummary.from_record(msg.history[-1])
        self._refresh()

    def on_mirror_verified(self, msg: MirrorVerified) -> None:
        self.verify_result = msg.problems
        if msg.problems:
            more = f" (+{len(msg.problems) - 1} more)" if len(msg.problems) > 1 else ""
            self.notify(msg.problems[0] + more, title="mirror verify failed", severity="error", timeout=10,
                        markup=False)
        else:
            self.notify(f"{msg.url}: current snapshot whole and verified", title="mirror verified", markup=False)

    # ------------------------------------------------------------------ display
    def _refresh(self) -> None:
        now = self.app.clock()
        self.query_one(SnapshotStatus).show(self.url, self.last, now, self.error)
        self.query_one(SnapshotHistory).show(self.history, now)
        self.query_one(Countdown).tick()


def _percent(progress: str | None) -> float | None:
    """``"upload 40%"`` -> 40.0 (the job's progress line)."""
    if not progress or not progress.endswith("%"):
        return None
    try:
        return float(progress.rsplit(" ", 1)[-1].rstrip("%"))
    except ValueError:
        return None
