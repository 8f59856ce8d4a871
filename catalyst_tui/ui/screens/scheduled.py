"""A screen that shows a job of the runtime (the janitor's runs, the snapshot pushes).

It runs nothing itself: the job's state (``app.jobs[name]``: next due, progress, last result)
arrives through ``app.jobs_signal``; the first line says which process runs the job ("runs in
daemon pid 4242" / "runs in this dashboard") and any catalyst.toml key that waits for a restart.
The one-line :class:`Countdown` ticks once a second only while the screen is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.widgets import Static

from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.widgets.countdown import Countdown

if TYPE_CHECKING:
    from catalyst_tui.core.runtime import JobState


class ScheduledScreen(CatalystScreen):
    job_name: ClassVar[str]

    def job(self) -> JobState | None:
        return self.app.jobs.get(self.job_name)

    def runner_line(self) -> Static:
        return Static(Text(""), id=f"{self.job_name}-runner", classes="runner")

    def on_mount(self) -> None:
        self.app.jobs_signal.subscribe(self, self._jobs_changed)
        self.query_one(Countdown).source = self._countdown
        self._jobs_changed(self.app.jobs)

    # ------------------------------------------------------------------ for subclasses
    def job_changed(self, job: JobState | None) -> None:
        """The job's state moved (started, progressed, finished, re-armed)."""

    def busy_text(self, job: JobState) -> str:
        return job.progress or "running"

    # ------------------------------------------------------------------ display
    def _jobs_changed(self, jobs: dict[str, JobState]) -> None:
        app = self.app
        text = Text(f"{self.job_name} {app.jobs_runner}", style="bold" if not app.runtime.is_holder else "")
        if app.restart_needed:
            text.append(f" · restart to apply: {', '.join(app.restart_needed)}", style="bold")
        self.query_one(f"#{self.job_name}-runner", Static).update(text)
        self.query_one(Countdown).tick()
        self.job_changed(jobs.get(self.job_name))

    def _countdown(self) -> tuple[float | None, str | None, bool]:
        app = self.app
        job = self.job()
        if job is not None and job.running:
            return None, self.busy_text(job), False
        remaining = None if job is None or job.next_due is None else job.next_due - app.clock()
        return remaining, None, app.jobs_paused()

    def on_screen_resume(self) -> None:
        if self.is_current:
            self.query_one(Countdown).resume()

    def on_screen_suspend(self) -> None:
        self.query_one(Countdown).pause()  # hidden: no timer at all
