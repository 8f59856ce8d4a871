"""Periodic jobs: each re-armed ``interval`` after its previous run finished, never overlapping.

One thread per job sleeps until the job is due (or kicked, or stopped), runs it, records the
outcome and re-arms. A job that raises records its error (the others go on); a run longer
than its cap is recorded as ``overran`` (jobs get the deadline in their :class:`JobContext`
and the long ones, the janitor's walk, stop at it). ``stop()`` lets a run in progress end:
nothing is abandoned half-way (what a kill leaves is the janitor's and the push's own
recovery's to finish).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from catalyst_tui.core.runtime.state import JobDetail, JobError, JobState


@dataclass
class JobContext:
    deadline: float  # time.monotonic() value the run should end by
    stopping: threading.Event
    progress: Callable[[str], None]
    kicked: bool = False  # asked for now (a key, an edit): a job that may skip a quiet run must not


@dataclass(frozen=True)
class Outcome:
    summary: str
    detail: JobDetail | None = None


@dataclass
class Job:
    name: str
    run: Callable[[JobContext], Outcome]
    interval: Callable[[], float]  # read at each re-arm: an edited interval applies from the next run
    cap: Callable[[], float]
    first_delay: Callable[[], float] | None = None  # default: one interval
    publish: bool = True  # its start and end are published (the janitor, pushes), not only changes
    state: JobState = field(init=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False)
    _kicked: bool = field(default=False, init=False)
    _due: float = field(default=0.0, init=False)  # time.monotonic() of the next run (the clock may be frozen)
    _thread: threading.Thread | None = field(default=None, init=False)


class Scheduler:
    def __init__(self, on_change: Callable[[Job, bool], None], clock: Callable[[], float] = time.time) -> None:
        """``on_change(job, publish)``: the job's state moved (main outcome when ``publish``)."""
        self.jobs: dict[str, Job] = {}
        self.clock = clock
        self.on_change = on_change
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def add(self, job: Job) -> Job:
        job.state = JobState(name=job.name, interval_s=job.interval(), cap_s=job.cap())
        self.jobs[job.name] = job
        return job

    def start(self) -> None:
        for job in self.jobs.values():
            self._start(job)

    def _start(self, job: Job) -> None:
        if job._thread is None:
            job._thread = threading.Thread(target=self._loop, args=(job,), name=f"run_job_{job.name}", daemon=True)
            job._thread.start()

    def kick(self, name: str) -> bool:
        """Run ``name`` now (or right after the run in progress). False: no such job."""
        job = self.jobs.get(name)
        if job is None:
            return False
        job._kicked = True
        job._wake.set()
        return True

    def stop(self, timeout: float | None = None) -> bool:
        """Stop re-arming, wake every sleeping job, wait for runs in progress. True: all ended."""
        self.stopping.set()
        for job in self.jobs.values():
            job._wake.set()
        end = None if timeout is None else time.monotonic() + timeout
        ended = True
        for job in self.jobs.values():
            if job._thread is not None and job._thread is not threading.current_thread():
                job._thread.join(None if end is None else max(0.0, end - time.monotonic()))
                ended = ended and not job._thread.is_alive()
        return ended

    def _loop(self, job: Job) -> None:
        delay = (job.first_delay or job.interval)()
        job._due = time.monotonic() + delay
        self._set(job, next_due=self.clock() + delay)
        while not self.stopping.is_set():
            if not job._kicked:
                job._wake.wait(max(0.0, job._due - time.monotonic()))
            job._wake.clear()
            if self.stopping.is_set():
                break
            if not job._kicked and time.monotonic() < job._due:
                continue  # woken early (an interval changed): sleep the rest
            self.run_now(job)

    def run_now(self, job: Job) -> None:
        """One run of ``job`` on this thread (the loop, or ``--once``), then re-armed."""
        kicked, job._kicked = job._kicked, False
        cap = job.cap()
        started, t0 = self.clock(), time.monotonic()
        self._set(job, running=True, started=started, progress=None, cap_s=cap, publish=job.publish)
        ctx = JobContext(t0 + cap, self.stopping, lambda text: self._set(job, progress=text), kicked)
        error: JobError | None = None
        outcome: Outcome | None = None
        try:
            outcome = job.run(ctx)
        except Exception as exc:  # noqa: BLE001 - recorded and shown; the job is re-armed like any other run
            error = JobError.from_exception(exc)
        took = time.monotonic() - t0
        interval = job.interval()
        job._due = time.monotonic() + interval
        changes: dict[str, object] = dict(
            running=False, last_run=self.clock(), duration_s=round(took, 3), overran=took > cap,
            result="ok" if error is None else "error", error=error, progress=None, runs=job.state.runs + 1,
            interval_s=interval, next_due=None if self.stopping.is_set() else self.clock() + interval)
        if outcome is not None:
            changes.update(summary=outcome.summary, detail=outcome.detail or job.state.detail)
        visible = (job.state.result, job.state.error, job.state.summary) != (
            changes["result"], changes["error"], changes.get("summary", job.state.summary))
        self._set(job, publish=job.publish or visible, **changes)

    def reschedule(self) -> None:
        """Intervals may have changed: each sleeping job re-arms from its last run."""
        for job in self.jobs.values():
            st = job.state
            if st.running or st.next_due is None:
                continue
            change = job.interval() - st.interval_s
            if not change:
                continue
            job._due += change
            self._set(job, interval_s=job.interval(), next_due=st.next_due + change, publish=True)
            job._wake.set()

    def _set(self, job: Job, publish: bool = False, **changes: object) -> None:
        with self._lock:
            job.state = msgspec.structs.replace(job.state, **changes)
        self.on_change(job, publish)

    def snapshot(self) -> dict[str, JobState]:
        with self._lock:
            return {name: job.state for name, job in self.jobs.items()}
