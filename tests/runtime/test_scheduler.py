"""The scheduler: re-armed after each run, never overlapping, errors recorded, caps noted."""

from __future__ import annotations

import threading
import time

from rt_helpers import until

from catalyst_tui.core.runtime.scheduler import Job, JobContext, Outcome, Scheduler


def _sched() -> tuple[Scheduler, list[tuple[str, bool]]]:
    changes: list[tuple[str, bool]] = []
    return Scheduler(lambda job, publish: changes.append((job.name, publish))), changes


def test_runs_never_overlap_and_rearm_after_the_previous_run_finished() -> None:
    sched, _ = _sched()
    running = 0
    overlaps = 0
    ends: list[float] = []
    starts: list[float] = []
    lock = threading.Lock()

    def slow(ctx: JobContext) -> Outcome:
        nonlocal running, overlaps
        with lock:
            running += 1
            overlaps += running > 1
        starts.append(time.monotonic())
        time.sleep(0.15)  # longer than the interval
        ends.append(time.monotonic())
        with lock:
            running -= 1
        return Outcome("done")

    sched.add(Job("slow", slow, lambda: 0.05, lambda: 5.0, first_delay=lambda: 0.0))
    sched.start()
    until(lambda: len(ends) >= 3, what="three runs")
    sched.kick("slow")  # a kick during a run waits for it
    assert sched.stop(5)
    assert overlaps == 0
    for end, nxt in zip(ends, starts[1:], strict=False):
        assert nxt >= end  # the next run began after the previous one ended
    assert sched.jobs["slow"].state.runs == len(ends)


def test_a_failing_job_records_its_error_and_the_others_go_on() -> None:
    sched, _ = _sched()
    good: list[int] = []

    def bad(ctx: JobContext) -> Outcome:
        raise OSError(28, "No space left on device", "/ws/.catalyst/x")

    def fine(ctx: JobContext) -> Outcome:
        good.append(1)
        return Outcome(f"run {len(good)}")

    sched.add(Job("bad", bad, lambda: 0.05, lambda: 5.0, first_delay=lambda: 0.0))
    sched.add(Job("fine", fine, lambda: 0.05, lambda: 5.0, first_delay=lambda: 0.0))
    sched.start()
    until(lambda: sched.jobs["bad"].state.runs >= 3 and len(good) >= 3, what="both jobs re-armed")
    sched.stop(5)
    st = sched.jobs["bad"].state
    assert st.result == "error" and st.error is not None
    assert st.error.path == "/ws/.catalyst/x" and st.error.message == "/ws/.catalyst/x: No space left on device"
    assert sched.jobs["fine"].state.result == "ok" and sched.jobs["fine"].state.error is None


def test_a_run_past_its_cap_is_recorded_and_given_its_deadline() -> None:
    sched, _ = _sched()
    deadlines: list[float] = []

    def long(ctx: JobContext) -> Outcome:
        deadlines.append(ctx.deadline - time.monotonic())
        time.sleep(0.12)
        return Outcome("long")

    job = sched.add(Job("long", long, lambda: 60.0, lambda: 0.05))
    sched.run_now(job)
    assert job.state.overran and job.state.result == "ok"
    assert 0 < deadlines[0] <= 0.05
    assert job.state.next_due is not None and job.state.next_due > time.time() + 50  # re-armed one interval on


def test_only_visible_changes_of_quiet_jobs_are_published() -> None:
    sched, changes = _sched()
    results = iter([Outcome("same"), Outcome("same"), Outcome("other")])
    job = sched.add(Job("feed", lambda ctx: next(results), lambda: 60.0, lambda: 5.0, publish=False))
    for _ in range(3):
        sched.run_now(job)
    finished = [p for name, p in changes if name == "feed"][1::2]  # (start, end) pairs: the ends
    assert finished == [True, False, True]  # first result, unchanged, changed
