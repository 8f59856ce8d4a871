"""Per-agent health over the windowed engine: real files, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from catalyst_tui.core.agents import own_state, record_dispatch, write_state
from catalyst_tui.core.health import AgentMonitor, Kind, seek_since
from catalyst_tui.core.jsonl import JsonlTail
from catalyst_tui.core.models import AgentState, Health, decode_dispatch
from catalyst_tui.core.workspace import Workspace


def _write_history(path: Path, start: float, n: int, step: float) -> None:
    with open(path, "wb") as fh:
        for i in range(n):
            ts = start + i * step
            fh.write(orjson.dumps({"ts": ts, "id": f"d{i}", "event": "finished", "status": "ok",
                                   "latency_ms": 100.0}) + b"\n")


def test_seek_since_reads_only_the_recent_tail(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.jsonl"
    now = 1_700_000_000.0
    _write_history(path, now - 36_000, 36_000, 1.0)  # 10 h, one record a second
    tail = JsonlTail(path, decode_dispatch)
    seek_since(tail, now - 3600)
    size = path.stat().st_size
    assert 0 < size - tail.offset < size / 8  # about an hour of ten, never the whole file
    recs, errors = tail.read_new()
    assert not errors
    first = min(r.ts for r in recs)
    assert now - 3600 <= first < now - 3600 + 1  # starts at the first record inside the window
    assert recs[-1].id == "d35999"


def test_seek_since_small_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "dispatch.jsonl"
    _write_history(path, 1000.0, 50, 1.0)
    tail = JsonlTail(path, decode_dispatch)
    seek_since(tail, 1e12)
    assert tail.offset == 0 and len(tail.read_new()[0]) == 50


def test_monitor_startup_counts_the_last_hour_exactly(ws: Workspace) -> None:
    now = time.time()
    paths = ws.agent("bjork")
    _write_history(paths.dispatch, now - 20_000, 20_000, 1.0)
    write_state(paths, own_state(paths))
    mon = AgentMonitor(paths, ws.config.health, "1h", clock=lambda: now)
    mon.read_logs()
    f = mon.stats.figures("1h", now)
    head = int(now // 60)
    expected = sum(1 for i in range(20_000) if int((now - 20_000 + i) // 60) > head - 60)
    assert f.finished == expected
    assert mon.stats.records < 20_000 / 3  # the rest of the history was never read


def test_status_reasons_and_health(ws: Workspace) -> None:
    paths = ws.agent("bjork")
    write_state(paths, own_state(paths))
    mon = AgentMonitor(paths, ws.config.health, "1m")
    now = time.time()
    for i in range(10):
        record_dispatch(paths, id=f"e{i}", event="finished", status="error" if i < 4 else "ok",
                        latency_ms=50.0, ts=now)
    mon.read_logs()
    st = mon.status()
    assert st.health is Health.DEGRADED
    assert st.reasons[0] == "errors 40% (4 of 10)"
    assert st.proc is not None and st.proc.alive and st.proc.pid == os.getpid()
    assert st.disk_bytes and st.disk_bytes > 0


def test_dead_pid_is_offline_and_reused_pid_is_not_the_agent(ws: Workspace) -> None:
    paths = ws.agent("slash")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    write_state(paths, AgentState(agent="slash", status="running", pid=child.pid, heartbeat=time.time()))
    st = AgentMonitor(paths, ws.config.health).status()
    assert st.health is Health.OFFLINE and st.reasons == [f"pid {child.pid} not running"]
    # our own pid but a different start time: a reused pid, not the agent
    write_state(paths, AgentState(agent="slash", status="running", pid=os.getpid(), pid_start=1.0,
                                  heartbeat=time.time()))
    st = AgentMonitor(paths, ws.config.health).status()
    assert st.health is Health.OFFLINE and "reused" in st.reasons[0]


def test_heartbeat_lost_and_corrupt_state(ws: Workspace) -> None:
    paths = ws.agent("slash")
    write_state(paths, AgentState(agent="slash", status="running", heartbeat=time.time() - 360))
    st = AgentMonitor(paths, ws.config.health).status()
    assert st.health is Health.DEGRADED and st.headline == "heartbeat lost 6 min"
    paths.state.write_bytes(b'{"agent": "slash", "status": ')
    st = AgentMonitor(paths, ws.config.health).status()
    assert st.health is Health.QUARANTINED
    assert st.headline.startswith("quarantined: state.json: corrupt JSON")


def test_bad_dispatch_line_is_reported_with_file_and_line(ws: Workspace) -> None:
    paths = ws.agent("cher")
    write_state(paths, own_state(paths))
    record_dispatch(paths, id="x", event="enqueued")
    with open(paths.dispatch, "ab") as fh:
        fh.write(b"{not json\n")
    record_dispatch(paths, id="x", event="finished", status="ok", latency_ms=5.0)
    mon = AgentMonitor(paths, ws.config.health)
    mon.read_logs()
    st = mon.status()
    assert st.parse_errors == 1
    assert "agents/cher/dispatch.jsonl:2: malformed record" in st.reasons[-1]
    assert st.figures.finished == 1 and st.figures.queue_depth == 0  # nothing else lost


def test_p95_ratio_reason_names_the_baseline(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = ws.agent("bjork")
    write_state(paths, own_state(paths))
    now = time.time()
    for i in range(300):
        record_dispatch(paths, id=f"o{i}", event="finished", status="ok", latency_ms=800.0, ts=now - 3000 + i)
    for i in range(30):
        record_dispatch(paths, id=f"n{i}", event="finished", status="ok", latency_ms=4200.0, ts=now - 100 + i)
    mon = AgentMonitor(paths, ws.config.health, "5m", clock=lambda: now)
    mon.read_logs()
    st = mon.status(now)
    assert st.reasons == ["p95 4.2 s (5x its 1 h baseline)"]
    assert st.health.rank == 2 and st.health.worse_than(Health.OK) and not st.health.worse_than(Health.OFFLINE)
    assert st.health is Health.DEGRADED and st.findings[0].kind is Kind.P95_BASELINE
    assert st.findings[0].reference == pytest.approx(800, rel=0.02)  # what it was compared with


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seek_since_lands_on_the_first_record_inside_for_any_cutoff(tmp_path: Path, seed: int) -> None:
    import random

    rng = random.Random(seed)
    path = tmp_path / "dispatch.jsonl"
    stamps = []
    ts = 1_000_000.0
    with open(path, "wb") as fh:
        for i in range(20_000):
            ts += rng.uniform(0.0, 2.0)
            stamps.append(ts)
            if i % 997 == 0:
                fh.write(b'{"this is": "not a dispatch record"\n')  # bad lines are stepped over, never fatal
            fh.write(orjson.dumps({"ts": ts, "id": f"d{i}", "event": "enqueued"}) + b"\n")
    for _ in range(5):
        cutoff = rng.uniform(stamps[3000], stamps[-10])
        tail = JsonlTail(path, decode_dispatch)
        seek_since(tail, cutoff)
        recs, _errors = tail.read_new()
        expected = [s for s in stamps if s >= cutoff]
        assert recs[0].ts == expected[0]  # the first record inside, nothing inside skipped
        assert len(recs) == len(expected)


def test_agent_clock_behind_becomes_a_reason(ws: Workspace) -> None:
    paths = ws.agent("joni")
    write_state(paths, own_state(paths))
    t = [time.time()]
    mon = AgentMonitor(paths, ws.config.health, "5m", clock=lambda: t[0])
    mon.read_logs()  # the start-up read (history) never judges the clock
    for i in range(2):
        t[0] += 1
        record_dispatch(paths, id=f"j{i}", event="enqueued", ts=t[0] - 600)  # joni's clock: 10 min late
        mon.read_logs()
    assert mon.status(t[0]).reasons == ["clock 10 min behind"]


def test_error_rate_is_judged_with_confidence_not_on_noise() -> None:
    from catalyst_tui.core.health import wilson_lower

    assert wilson_lower(0, 0) == 0.0
    assert wilson_lower(3, 21) < 0.10 < 3 / 21  # 14 % of a small sample: noise at a 10 % threshold
    assert wilson_lower(14, 66) > 0.10  # 21 % of 66: real
    assert wilson_lower(4, 10) > 0.10  # 40 % of 10: real
    assert abs(wilson_lower(50, 100) - 0.4187) < 0.001  # textbook value (z = 1.645)
    assert wilson_lower(10, 10) > wilson_lower(9, 10) > wilson_lower(1, 10)
