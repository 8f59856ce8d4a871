"""A viewer's side of the runtime: follow the holder's ``runtime.json`` (a cheap stat each
``FOLLOW_S``), show its duties' state and shared problems, and take the jobs over when the
holder is gone, continuing its schedule where it left it (a due run happens once).

A part of :class:`~catalyst_tui.core.runtime.runtime.Runtime` (a mixin, like ``AgentsFeed``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from catalyst_tui.core.runtime import state as published
from catalyst_tui.core.runtime.events import StateChanged
from catalyst_tui.core.runtime.jobs import janitor_shared_problems
from catalyst_tui.core.runtime.scheduler import JobContext, Outcome
from catalyst_tui.core.runtime.state import JanitorSummary, RuntimeState
from catalyst_tui.core.storage import FileSignature

if TYPE_CHECKING:
    from catalyst_tui.core.health import SharedProblem
    from catalyst_tui.core.runtime.events import EventHub
    from catalyst_tui.core.runtime.scheduler import Scheduler
    from catalyst_tui.core.workspace import Workspace

FOLLOW_S = 1.0  # a viewer's cheap stat of runtime.json
DUTIES = ("janitor", "snapshot")


class ViewerFollow:
    ws: Workspace
    clock: Callable[[], float]
    events: EventHub
    feeds: Scheduler
    duties: Scheduler
    role_wanted: str
    followed: RuntimeState | None
    _followed_sig: FileSignature | tuple[()] | None
    _last_takeover: float
    _previous: RuntimeState | None

    if TYPE_CHECKING:  # the runtime's own
        @property
        def is_holder(self) -> bool: ...
        def _try_hold(self) -> bool: ...
        def runs_jobs_text(self) -> str: ...
        def report_shared(self, source: str, problems: list[SharedProblem]) -> None: ...

    def _follow(self, ctx: JobContext) -> Outcome:
        """A viewer: read the holder's state when it changed; try to take over now and then."""
        now = time.monotonic()
        if (self.role_wanted != "viewer" and not self.is_holder
                and now - self._last_takeover >= self.ws.config.runtime.takeover_s):
            self._last_takeover = now
            self._previous = published.read(self.ws.internal_dir) or self._previous
            if self._try_hold():
                self.feeds.jobs["follow"].interval = lambda: 3600.0  # nothing to follow any more
                return Outcome("took over the jobs")
        if self.is_holder:
            return Outcome("holder")
        sig = published.signature(self.ws.internal_dir)
        if sig != self._followed_sig:
            self._followed_sig = sig
            self.followed = published.read(self.ws.internal_dir)
            self._viewer_shared()
            self.events.emit(StateChanged(self.followed, "viewer", self.runs_jobs_text()))
        return Outcome("following")

    def _viewer_shared(self) -> None:
        from catalyst_tui.core.health import SharedProblem

        jobs = self.followed.jobs if self.followed is not None else {}
        for name in DUTIES:
            job = jobs.get(name)
            problems: list[SharedProblem] = []
            if job is not None and job.result == "error":
                problems = [SharedProblem(name, f"{name} failed in {self.runs_jobs_text().removeprefix('runs in ')}",
                                          agents=None)]
            elif job is not None and isinstance(job.detail, JanitorSummary):
                problems = janitor_shared_problems(job.detail)
            self.report_shared(name, problems)

    def _due_in(self, name: str, never_run: float | None = None) -> float:
        """Seconds until ``name`` is due, continuing the previous holder's schedule (a job never
        run is due one interval after start-up, or ``never_run``)."""
        interval = self.duties.jobs[name].interval()
        prev = getattr(self, "_previous", None)
        job = prev.jobs.get(name) if prev is not None else None
        if job is None or job.last_run is None:
            return interval if never_run is None else never_run
        return max(0.0, job.last_run + interval - self.clock())
