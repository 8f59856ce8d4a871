"""The runtime: one holder per workspace, viewers that follow it, takeover, live configuration."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from rt_helpers import set_config, until

from catalyst_tui.core.agents import record_dispatch, write_state
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.runtime import (
    HealthChanged,
    JanitorSummary,
    JobState,
    RoleError,
    Runtime,
    SnapshotSummary,
    StateChanged,
)
from catalyst_tui.core.runtime import state as published
from catalyst_tui.core.workspace import Workspace


@pytest.fixture
def fast_ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws")
    set_config(ws, "janitor", interval_s=0.3)
    set_config(ws, "snapshot", interval_s=0.4)
    set_config(ws, "runtime", takeover_s=0.2)
    return Workspace.open(ws.root)


def test_the_holder_runs_the_duties_and_publishes_them(fast_ws: Workspace) -> None:
    rt = Runtime(fast_ws, kind="daemon", role="holder").start(watch=False)
    try:
        assert rt.is_holder and rt.runs_jobs_text() == "runs in this daemon"
        until(lambda: rt.jobs()["janitor"].runs >= 2 and rt.jobs()["snapshot"].runs >= 1, what="duties ran")
        st = published.read(fast_ws.internal_dir)
        assert st is not None and st.pid == os.getpid() and st.kind == "daemon"
        janitor = st.jobs["janitor"]
        assert janitor.result == "ok" and isinstance(janitor.detail, JanitorSummary)
        assert janitor.next_due is not None and janitor.last_run is not None
        assert janitor.next_due == pytest.approx(janitor.last_run + 0.3, abs=0.05)  # re-armed after the run
        assert isinstance(st.jobs["snapshot"].detail, SnapshotSummary)
    finally:
        assert rt.stop(10)
    assert not rt.is_holder and rt.holder() is None
    final = published.read(fast_ws.internal_dir)
    assert final is not None and not any(j.running for j in final.jobs.values())


def test_a_second_holder_is_refused_naming_the_first(fast_ws: Workspace) -> None:
    first = Runtime(fast_ws, kind="daemon", role="holder").start(watch=False)
    try:
        with pytest.raises(RoleError, match=f"already run in daemon pid {os.getpid()}"):
            Runtime(fast_ws, kind="daemon", role="holder").start(watch=False)
    finally:
        first.stop()


def test_a_viewer_follows_the_holder_and_never_runs_its_duties(fast_ws: Workspace) -> None:
    holder = Runtime(fast_ws, kind="daemon", role="holder").start(watch=False)
    viewer = Runtime(fast_ws, role="viewer")
    seen: list[StateChanged] = []
    viewer.subscribe(seen.append, kinds=(StateChanged,))
    viewer.start(watch=False)
    try:
        assert viewer.role == "viewer" and viewer.runs_jobs_text() == f"runs in daemon pid {os.getpid()}"
        until(lambda: (viewer.jobs()["janitor"].runs or 0) >= 2, what="the viewer sees the holder's runs")
        assert viewer.duties.jobs["janitor"].state.runs == 0  # its own janitor never ran
        assert seen and seen[-1].role == "viewer" and seen[-1].holder == f"runs in daemon pid {os.getpid()}"
    finally:
        holder.stop()
        viewer.stop()
    assert viewer.duties.jobs["janitor"].state.runs == 0  # a forced viewer never takes over


def test_a_waiting_dashboard_takes_over_and_continues_the_schedule(fast_ws: Workspace) -> None:
    holder = Runtime(fast_ws, kind="daemon", role="holder").start(watch=False)
    until(lambda: holder.jobs()["janitor"].runs >= 1, what="a first run")
    waiting = Runtime(fast_ws).start(watch=False)
    try:
        assert waiting.role == "viewer"
        holder.stop()
        until(lambda: waiting.is_holder, timeout=5, what="the takeover")
        assert waiting.runs_jobs_text() == "runs in this dashboard"
        until(lambda: waiting.duties.jobs["janitor"].state.runs >= 1, what="the janitor in the new holder")
        st = published.read(fast_ws.internal_dir)
        assert st is not None and st.kind == "dashboard"
    finally:
        waiting.stop()


def test_a_failing_duty_is_recorded_and_the_others_go_on(fast_ws: Workspace) -> None:
    set_config(fast_ws, "snapshot", target="sftp://nobody@127.0.0.1:1/nowhere")
    ws = Workspace.open(fast_ws.root)
    rt = Runtime(ws, kind="daemon", role="holder").start(watch=False)
    try:
        until(lambda: rt.jobs()["snapshot"].runs >= 1 and rt.jobs()["janitor"].runs >= 2, what="runs")
        snap = rt.jobs()["snapshot"]
        assert snap.result == "error" and snap.error is not None and snap.error.message
        assert rt.jobs()["janitor"].result == "ok"
        assert [p.text for p in rt.shared["snapshot"]] == ["snapshot push failed"]
    finally:
        rt.stop()


def test_a_changed_threshold_changes_the_verdict_without_a_restart(fast_ws: Workspace) -> None:
    now = time.time()
    write_state(fast_ws.agent("bjork"), AgentState(agent="bjork", status="running", heartbeat=now - 200,
                                                    updated=now - 200))
    rt = Runtime(fast_ws, kind="daemon", role="holder")
    changes: list[HealthChanged] = []
    rt.subscribe(changes.append, kinds=(HealthChanged,), holder_only=True)
    rt.start()  # with the watcher
    try:
        until(lambda: rt.watch_mode == "watching", what="watching")
        rt.refresh_agents({"bjork"})
        assert rt.statuses["bjork"].health.value == "degraded"  # 200 s > heartbeat_stale_s = 120
        set_config(fast_ws, "health", heartbeat_stale_s=300.0)
        until(lambda: rt.statuses["bjork"].health.value == "ok", what="the new threshold")
        assert rt.ws.config.health.heartbeat_stale_s == 300.0
        assert changes and changes[-1].agent == "bjork" and changes[-1].was == "degraded" and not changes[-1].worse
        set_config(fast_ws, "metrics", port=19155)
        until(lambda: rt.restart_needed == ["metrics.port"], what="restart to apply")
        assert rt.ws.config.metrics.port == 19100  # still the running one
    finally:
        rt.stop()


def test_run_once_runs_each_due_duty_once(fast_ws: Workspace) -> None:
    # A stepped clock: "due" is the published last run + the interval against the runtime's clock,
    # so the test never depends on how long a run takes on a loaded machine.
    set_config(fast_ws, "janitor", interval_s=1.0)
    ws = Workspace.open(fast_ws.root)  # the fixture's object keeps the 0.3 s it was opened with
    assert ws.config.janitor.interval_s == 1.0
    now = [time.time()]

    def once() -> dict[str, JobState]:
        return Runtime(ws, kind="daemon", role="holder", clock=lambda: now[0]).run_once()

    first = once()
    assert first["janitor"].runs == 1 and first["snapshot"].runs == 1  # never run before: due
    now[0] += 0.95
    again = once()
    assert again["janitor"].runs == 0  # ran 0.95 s ago: not due yet
    now[0] += 0.1
    later = once()
    assert later["janitor"].runs == 1 and later["ports"].runs == 1
    assert later["ports"].result == "ok", later["ports"].error  # the default PORTS.md parses and is checked
    assert published.read(ws.internal_dir) is not None


def test_janitor_failures_carry_their_file_and_tenant() -> None:
    from catalyst_tui.core.runtime.jobs import janitor_shared_problems, janitor_summary

    report = {"run": "r1", "started": 1.0, "finished": 2.0, "duration_s": 1.0, "capped": False, "scanned": 3,
              "totals": {"archived": 0, "removed": 0, "flagged": 0},
              "errors": ["agents/bjork/x.lock: archive failed: Permission denied"],
              "failures": [{"path": "agents/bjork/x.lock", "agent": "bjork",
                            "message": "archive failed: Permission denied"}]}
    summary = janitor_summary(report)
    assert summary.errors[0].agent == "bjork" and summary.errors[0].path == "agents/bjork/x.lock"
    assert summary.errors[0].line() == "agents/bjork/x.lock: archive failed: Permission denied"
    (problem,) = janitor_shared_problems(summary)
    assert problem.agents == ("bjork",) and problem.text == "janitor: 1 action(s) failed"


def test_what_tenants_wrote_before_the_start_is_judged_at_once(fast_ws: Workspace) -> None:
    """The change feed tells only of new writes: the first health run reads every log, so a
    tenant failing before the daemon started is degraded from the start, never "turned" later."""
    now = time.time()
    paths = fast_ws.agent("bjork")
    write_state(paths, AgentState(agent="bjork", status="running", heartbeat=now, updated=now))
    for i in range(10):
        record_dispatch(paths, id=f"e{i}", event="finished", status="error" if i < 4 else "ok", latency_ms=50.0,
                        ts=now - 5)
    rt = Runtime(fast_ws, kind="daemon", role="holder")
    changes: list[HealthChanged] = []
    rt.subscribe(changes.append, kinds=(HealthChanged,), holder_only=True)
    rt.start(watch=False)
    try:
        until(lambda: "bjork" in rt.statuses, timeout=3.0, what="the first health run")
        st = rt.statuses["bjork"]
        assert st.health.value == "degraded" and st.reasons[0] == "errors 40% (4 of 10)"
        assert not changes  # judged once, from its logs: no transition to tell
    finally:
        rt.stop()


def test_stop_keeps_the_lock_while_a_duty_still_runs(fast_ws: Workspace) -> None:
    """A push stuck past stop's bound (a stalled target): the lock is not let go under it."""
    import threading

    from catalyst_tui.core.runtime import RuntimeLock
    from catalyst_tui.core.runtime.scheduler import Outcome

    release = threading.Event()
    set_config(fast_ws, "snapshot", interval_s=3600.0)
    rt = Runtime(Workspace.open(fast_ws.root), kind="daemon", role="holder")
    rt.duties.jobs["snapshot"].run = lambda ctx: Outcome("done") if release.wait(30) else Outcome("timed out")
    rt.start(watch=False)
    other = RuntimeLock(fast_ws.internal_dir)
    try:
        rt.kick("snapshot")
        until(lambda: rt.jobs()["snapshot"].running, what="the stuck push")
        assert rt.stop(0.3) is False  # not everything ended within the bound
        assert not other.try_acquire("dashboard")  # still held: nobody can start a push beside it
        assert rt.holder() is not None and rt.holder().pid == os.getpid()  # type: ignore[union-attr]
        release.set()
        until(lambda: other.try_acquire("dashboard"), what="the lock let go once the push ended")
        final = published.read(fast_ws.internal_dir)
        assert final is not None and not final.jobs["snapshot"].running and final.jobs["snapshot"].summary == "done"
    finally:
        release.set()
        other.release()


def test_a_lock_nobody_can_take_is_named_to_the_viewer_with_its_reason(fast_ws: Workspace, tmp_path: Path) -> None:
    (fast_ws.internal_dir / "runtime.lock").symlink_to(tmp_path / "elsewhere")
    seen: list[StateChanged] = []
    rt = Runtime(fast_ws)
    rt.subscribe(seen.append, kinds=(StateChanged,))
    rt.start(watch=False)
    try:
        assert rt.role == "viewer"
        assert rt.runs_jobs_text() == "nobody runs the jobs: runtime.lock: a symbolic link, never followed"
        until(lambda: bool(seen), what="the viewer's state")
        assert seen[-1].holder == rt.runs_jobs_text()
        assert rt.duties.jobs["janitor"].state.runs == 0
    finally:
        rt.stop()
    assert not (tmp_path / "elsewhere").exists()  # never followed
