"""A screen that owns a periodic background job (the janitor's run, the snapshot push).

The job is armed ``interval`` seconds after the previous run finished (``set_timer``, never
``set_interval``), so runs never overlap; a due run is skipped (and re-armed) while read-only
or while a run is in progress. The one-line :class:`Countdown` ticks once a second only while
the screen is shown: a screen living in the background keeps no display timer.
"""

from __future__ import annotations

from textual.timer import Timer

from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.widgets.countdown import Countdown


class ScheduledScreen(CatalystScreen):
    next_due: float | None = None  # app.clock() time of the next scheduled run
    _timer: Timer | None = None
    _countdown_timer: Timer | None = None

    # ------------------------------------------------------------------ for subclasses
    @property
    def interval(self) -> float:
        raise NotImplementedError

    def job_busy(self) -> bool:
        """True while a run of the job is in progress."""
        raise NotImplementedError

    def busy_text(self) -> str | None:
        """The countdown line while a run is in progress."""
        return None

    def start_scheduled(self) -> None:
        """Start a scheduled run (the timer has already been cleared)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ scheduling
    def _arm(self) -> None:
        """(Re-)arm the job, ``interval`` after the last run finished."""
        self._disarm()
        self.next_due = self.catalyst.clock() + self.interval
        self._timer = self.set_timer(self.interval, self._scheduled)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.next_due = None

    def _scheduled(self) -> None:
        self._timer = None
        if self.catalyst.read_only or not self.catalyst.runs_jobs or self.job_busy():
            self._arm()
            return
        self.start_scheduled()

    # ------------------------------------------------------------------ the countdown line
    def on_screen_resume(self) -> None:
        if not self.is_current:  # mounted in the background at start-up (a "mode:" service)
            return
        self._refresh_countdown()
        if self._countdown_timer is None:
            self._countdown_timer = self.set_interval(1.0, self._refresh_countdown)  # one line, no disk work

    def on_screen_suspend(self) -> None:
        if self._countdown_timer is not None:  # living in the background: no timer at all
            self._countdown_timer.stop()
            self._countdown_timer = None

    def _refresh_countdown(self) -> None:
        remaining = None if self.next_due is None else self.next_due - self.catalyst.clock()
        self.query_one(Countdown).show(remaining, self.busy_text(), self.catalyst.read_only)
