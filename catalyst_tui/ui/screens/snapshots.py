"""The Snapshots screen: last push, next-push countdown, progress, history; push now, verify.

The background push runs every ``[snapshot] interval_s`` (default 300 s): a thread worker
(``run_push``), re-armed with ``set_timer`` only after the previous run finished, so pushes
never overlap. A failed push is reported to the triage line as a shared problem (it affects
every tenant); the next successful push clears it. Read-only: no pushes at all (verify, which
only reads the mirror, is allowed).
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ProgressBar
from textual.worker import Worker, WorkerState

from catalyst_tui.core.errors import CatalystError, os_error_text
from catalyst_tui.core.health import SharedProblem
from catalyst_tui.core.snapshot import Mirror, PushResult, hub_history, open_target, push
from catalyst_tui.ui.screens.scheduled import ScheduledScreen
from catalyst_tui.ui.widgets.countdown import Countdown
from catalyst_tui.ui.widgets.quiet_progress import QuietProgressBar
from catalyst_tui.ui.widgets.snapshot_history import SnapshotHistory
from catalyst_tui.ui.widgets.snapshot_status import SnapshotStatus

PROGRESS_EVERY_S = 0.1


class SnapshotPushed(Message):
    def __init__(self, result: PushResult, history: list[dict[str, Any]]) -> None:
        super().__init__()
        self.result = result
        self.history = history


class SnapshotPushFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class SnapshotProgressed(Message):
    def __init__(self, phase: str, done: int, total: int) -> None:
        super().__init__()
        self.phase = phase
        self.done = done
        self.total = total


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
    BINDINGS = [
        Binding("p", "push_now", "Push now", id="snapshots.push"),
        Binding("v", "verify", "Verify mirror", id="snapshots.verify"),
    ]
    DEFAULT_CSS = """
    SnapshotsScreen #snap-progress { padding: 0 1; height: 1; }
    SnapshotsScreen #snap-history { border-top: solid $panel; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.error: str | None = None
        self.pushing: str | None = None  # phase text while a push runs
        self.push_count = 0
        self.verify_result: list[str] | None = None
        self._last_progress = 0.0

    @property
    def url(self) -> str:
        return self.catalyst.ws.config.snapshot.target

    @property
    def interval(self) -> float:
        return self.catalyst.ws.config.snapshot.interval_s

    def compose_body(self) -> ComposeResult:
        yield SnapshotStatus(id="snap-status")
        yield Countdown("push", "read-only: background pushes are off", busy_prefix="pushing: ", id="snap-next")
        yield QuietProgressBar(total=100, id="snap-progress")
        yield SnapshotHistory(id="snap-history")

    def on_mount(self) -> None:
        self.run_load_history()
        self._arm()
        self._refresh()

    # ------------------------------------------------------------------ scheduling (ScheduledScreen)
    def job_busy(self) -> bool:
        return self.pushing is not None

    def busy_text(self) -> str | None:
        return self.pushing

    def start_scheduled(self) -> None:
        self._start_push()

    def _start_push(self) -> None:
        self._disarm()
        self.pushing = "snapshot"
        self.query_one("#snap-progress", ProgressBar).update(total=100, progress=0)
        self._refresh()
        self.run_push()

    def action_push_now(self) -> None:
        if not self.catalyst.guard_write("snapshot push"):
            return
        if self.pushing is not None:
            self.notify("a push is already running", severity="warning")
            return
        self._start_push()

    def action_verify(self) -> None:
        self.run_verify()

    # ------------------------------------------------------------------ workers (threads)
    @work(thread=True, group="snapshot", exit_on_error=False)
    def run_push(self) -> None:
        ws = self.catalyst.ws
        try:
            result = push(ws, progress=self._progress, clock=self.catalyst.clock)
        except CatalystError as exc:
            self.post_message(SnapshotPushFailed(str(exc)))
            return
        except OSError as exc:
            self.post_message(SnapshotPushFailed(os_error_text(exc)))
            return
        self.post_message(SnapshotPushed(result, hub_history(ws)))

    def _progress(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = now
            self.post_message(SnapshotProgressed(phase, done, total))

    @work(thread=True, group="snapshot-verify", exit_on_error=False)
    def run_verify(self) -> None:
        url = self.url
        try:
            with open_target(url, base=self.catalyst.ws.root) as target:
                problems = Mirror(target).verify()
        except (CatalystError, OSError) as exc:
            problems = [str(exc)]
        self.post_message(MirrorVerified(url, problems))

    @work(thread=True, group="snapshot-history", exit_on_error=False)
    def run_load_history(self) -> None:
        self.post_message(SnapshotHistoryLoaded(hub_history(self.catalyst.ws)))

    # ------------------------------------------------------------------ message handlers
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A push that crashed (not a CatalystError) still ends the push and re-arms the timer.

        The app's own handler notifies the error; this one only keeps the schedule alive.
        """
        if event.worker.group == "snapshot" and event.state is WorkerState.ERROR and self.pushing is not None:
            err = event.worker.error
            self.on_snapshot_push_failed(SnapshotPushFailed(f"{type(err).__name__}: {err}"))
    def on_snapshot_history_loaded(self, msg: SnapshotHistoryLoaded) -> None:
        self.history = msg.history
        if self.last is None and msg.history:
            self.last = msg.history[-1]
        self._refresh()

    def on_snapshot_progressed(self, msg: SnapshotProgressed) -> None:
        pct = 100.0 * msg.done / msg.total if msg.total else 0.0
        self.pushing = f"{msg.phase} {pct:.0f}%"
        self.query_one("#snap-progress", ProgressBar).update(total=100, progress=pct)
        self._refresh_countdown()

    def on_snapshot_pushed(self, msg: SnapshotPushed) -> None:
        self.pushing = None
        self.push_count += 1
        self.last = msg.result.to_json()
        self.history = msg.history
        self.error = None
        self.query_one("#snap-progress", ProgressBar).update(total=100, progress=100)
        self.catalyst.report_shared("snapshot", [])
        self._arm()
        self._refresh()

    def on_snapshot_push_failed(self, msg: SnapshotPushFailed) -> None:
        self.pushing = None
        self.push_count += 1
        self.error = msg.error
        self.catalyst.report_shared("snapshot", [SharedProblem("snapshot", "snapshot push failed", agents=None)])
        self.notify(msg.error, title="snapshot push failed", severity="error", timeout=10, markup=False)
        self._arm()
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
        now = self.catalyst.clock()
        self.query_one(SnapshotStatus).show(self.url, self.last, now, self.error)
        self.query_one(SnapshotHistory).show(self.history, now)
        self._refresh_countdown()
