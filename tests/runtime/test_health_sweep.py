"""The health feed's idle back-off: the full re-judge stretches while nothing changes, a pid's
death is seen at the next wake, and any change brings the cadence back (a real agent process)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from catalyst_tui.core.agents import write_state
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.procs import hostname, process_start_time, start_stamp
from catalyst_tui.core.runtime import HealthChanged, Runtime
from catalyst_tui.core.runtime.jobs import HealthSweep
from catalyst_tui.core.runtime.scheduler import JobContext
from catalyst_tui.core.workspace import Workspace


def test_the_sweep_backs_off_while_idle_and_a_dying_pid_is_seen_at_once(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws")
    agent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        start = process_start_time(agent.pid)
        assert start is not None and start_stamp(agent.pid) is not None
        now = time.time()
        for name in ws.config.agent_names:  # every agent runs as this one real process
            write_state(ws.agent(name), AgentState(agent=name, status="running", pid=agent.pid, pid_start=start,
                                                    host=hostname(), heartbeat=now + 3600, updated=now))
        rt = Runtime(ws, kind="daemon", role="holder")
        changes: list[HealthChanged] = []
        rt.subscribe(changes.append, kinds=(HealthChanged,))
        clock = [0.0]
        sweep = HealthSweep(rt, every_s=10.0, idle_max_s=30.0, monotonic=lambda: clock[0])
        ctx = JobContext(1e18, threading.Event(), lambda _text: None)

        sweep(ctx)  # the first run reads every log
        assert rt.statuses["bjork"].health.value == "ok" and sweep.full_sweeps == 0
        fulls = []
        for _ in range(10):  # ten wakes, 10 s apart, nothing changing
            clock[0] += 10.0
            sweep(ctx)
            fulls.append(sweep.full_sweeps)
        assert fulls == [0, 1, 1, 1, 2, 2, 2, 3, 3, 3]  # full at 20 s, then every 30 s
        assert sweep.quiet_s == 30.0 and not changes

        sweep(JobContext(1e18, threading.Event(), lambda _text: None, kicked=True))  # asked for: always
        assert sweep.full_sweeps == 4
        rt.refresh_agents({"bjork"})  # activity (the change feed read a tenant): the next wake re-judges
        clock[0] += 10.0
        sweep(ctx)
        assert sweep.full_sweeps == 5

        agent.kill()
        agent.wait(5)
        clock[0] += 10.0  # the very next wake, well inside the back-off
        sweep(ctx)
        assert sweep.full_sweeps == 6
        assert rt.statuses["bjork"].health.value == "offline"
        assert f"pid {agent.pid} not running" in rt.statuses["bjork"].reasons[0]
        assert {c.agent for c in changes if c.worse} == set(ws.config.agent_names)
        assert sweep.quiet_s == 10.0  # a change: back to the normal cadence
        clock[0] += 10.0
        sweep(ctx)
        assert sweep.full_sweeps == 7
    finally:
        agent.kill()
        agent.wait(5)
