"""History that survives a restart: per-agent minutes, the 1 h baseline at once, 24 h / 7 d views,
one tenant's corrupt file costing only its history, the janitor's prune."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_tui.core.agents import own_state, record_dispatch, write_state
from catalyst_tui.core.health import WorkspaceMonitor
from catalyst_tui.core.health import history as hist
from catalyst_tui.core.health.tail_seek import seek_since
from catalyst_tui.core.models import Health
from catalyst_tui.core.workspace import Workspace

T = 1_800_000_000.0  # a multiple of 60: minute starts are round


class Clock:
    def __init__(self, now: float = T) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _alive(ws: Workspace) -> None:
    for name in ws.config.agent_names:
        p = ws.agent(name)
        st = own_state(p)
        write_state(p, type(st)(**{**st.to_dict(), "heartbeat": T, "updated": T}))


def _minutes_of_traffic(ws: Workspace, agent: str, minutes_ago: range, latency_ms: float = 100.0,
                        status: str = "ok") -> None:
    p = ws.agent(agent)
    for m in minutes_ago:
        for i in range(3):
            record_dispatch(p, id=f"{agent}-{m}-{i}-{status}", event="finished", status=status,
                            latency_ms=latency_ms, ts=T - m * 60 + 10 + i)


def test_after_a_restart_the_1h_baseline_is_there_at_once(ws: Workspace) -> None:
    _alive(ws)
    _minutes_of_traffic(ws, "bjork", range(50, 10, -1))  # 40 minutes, 120 dispatches at 100 ms
    clock = Clock()
    first = WorkspaceMonitor(ws.root, ws.config, clock=clock)
    before = first.refresh("bjork").figures.baseline_p95_ms
    assert before == pytest.approx(100, rel=0.011)
    assert first.flush_history() == 40 and first.flush_history() == 0  # each minute once
    ws.agent("bjork").dispatch.write_text("")  # the log rotated away while the dashboard was down
    # a restart without the history file: no baseline for an hour (the control)
    path = hist.path_of(ws.agent("bjork").dir)
    saved = path.read_bytes()
    path.unlink()
    assert WorkspaceMonitor(ws.root, ws.config, clock=clock).refresh("bjork").figures.baseline_p95_ms is None
    path.write_bytes(saved)
    restarted = WorkspaceMonitor(ws.root, ws.config, clock=clock)
    again = restarted.refresh("bjork")
    assert again.figures.baseline_p95_ms == pytest.approx(100, rel=0.08)  # coarse history bins: ~8 %
    lat, _errs = restarted.agents["bjork"].stats.series("1h", T)
    assert sum(1 for v in lat if v) == 40  # the sparkline of the last hour, from history


def test_minutes_are_appended_as_they_complete(ws: Workspace) -> None:
    _alive(ws)
    clock = Clock()
    mon = WorkspaceMonitor(ws.root, ws.config, clock=clock)
    _minutes_of_traffic(ws, "cher", range(3, 0, -1))
    mon.refresh("cher")
    assert mon.agents["cher"].flush_history() == 3
    p = ws.agent("cher")
    record_dispatch(p, id="now-1", event="finished", status="error", latency_ms=40, ts=T + 5)
    mon.refresh("cher")
    assert mon.agents["cher"].flush_history() == 0  # the current minute is still filling
    clock.now = T + 61
    assert mon.agents["cher"].flush_history() == 1
    minutes = [hist.decode_minute(line) for line in hist.path_of(p.dir).read_bytes().splitlines()]
    assert [m.ts for m in minutes] == [T - 180, T - 120, T - 60, T]
    assert (minutes[-1].f, minutes[-1].e, minutes[-1].c, minutes[-1].s) == (1, 1, 1, 40.0)
    assert all(len(line) < 300 for line in hist.path_of(p.dir).read_bytes().splitlines())


def test_one_tenants_corrupt_history_costs_only_its_history(ws: Workspace) -> None:
    _alive(ws)
    for agent in ("bjork", "nina"):
        _minutes_of_traffic(ws, agent, range(40, 20, -1))
    clock = Clock()
    mon = WorkspaceMonitor(ws.root, ws.config, clock=clock)
    mon.refresh_all()
    mon.flush_history()
    bad = hist.path_of(ws.agent("bjork").dir)
    lines = bad.read_bytes().splitlines()
    bad.write_bytes(b"\n".join([lines[0], b"{not json", b'{"ts": 7, "n": -1}', *lines[1:]]) + b"\n")
    for agent in ("bjork", "nina"):
        ws.agent(agent).dispatch.write_text("")
    after = WorkspaceMonitor(ws.root, ws.config, clock=clock)
    statuses = after.refresh_all()
    assert statuses["bjork"].health is Health.OK and statuses["bjork"].parse_errors == 0
    assert len(after.agents["bjork"].history_problems) == 2
    assert "history.jsonl" in str(after.agents["bjork"].history_problems[0])
    assert after.agents["nina"].history_problems == []
    for agent in ("bjork", "nina"):  # both keep their baseline: the bad lines are skipped
        assert statuses[agent].figures.baseline_p95_ms == pytest.approx(100, rel=0.08)


def test_24h_and_7d_views_come_from_history_and_never_judge_health(ws: Workspace) -> None:
    _alive(ws)
    clock = Clock()
    p = ws.agent("ozzy")
    old = [hist.Minute(T - 3 * 86400, 10, 10, 10, 10 * 900.0, 10, []),  # a bad hour three days ago
           hist.Minute(T - 12 * 3600, 5, 5, 0, 5 * 50.0, 5, [])]
    hist.append(hist.path_of(p.dir), [hist.to_minute(m.ts, _bucket(m.f, m.e, m.s / m.c)) for m in old])
    _minutes_of_traffic(ws, "ozzy", range(5, 2, -1), latency_ms=20)  # 9 live dispatches, not yet written
    mon = WorkspaceMonitor(ws.root, ws.config, clock=clock)
    mon.refresh("ozzy")
    week = mon.agents["ozzy"].status(T, "7d")
    day = mon.agents["ozzy"].status(T, "24h")
    assert (week.view.window, week.view.finished, week.view.errors) == ("7d", 24, 10)
    assert (day.view.finished, day.view.errors) == (14, 0)
    assert week.health is Health.OK and week.reasons == []  # judged on the 5 min window, not the week
    assert week.figures.window == "5m"
    assert week.view.p99_ms == pytest.approx(900, rel=0.08)
    lat, errs = week.series
    assert len(lat) == 60 and sum(errs) == 10
    assert mon.agents["ozzy"].status(T, "5m").figures.finished == 9


def _bucket(finished: int, errors: int, latency_ms: float):  # type: ignore[no-untyped-def]
    from catalyst_tui.core.health.buckets import Bucket, bin_of

    b = Bucket()
    for i in range(finished):
        b.add(True, i < errors, bin_of(latency_ms), latency_ms)
    return b


def test_the_janitor_prunes_history_past_keep_days(ws: Workspace) -> None:
    from catalyst_tui.core.janitor import Janitor

    p = hist.path_of(ws.agent("joni").dir)
    keep = ws.config.history.keep_days * 86400
    minutes = [hist.to_minute(T - keep - 120, _bucket(1, 0, 5)), hist.to_minute(T - keep + 4 * 3600, _bucket(2, 0, 5)),
               hist.to_minute(T - 60, _bucket(3, 1, 5))]
    hist.append(p, minutes)
    view = hist.LongView(p, seek_since, "7d")
    from catalyst_tui.core.health.metrics import DispatchStats

    base = DispatchStats(lambda: T).figures("5m", T)
    assert view.figures(T, base, [])[0].finished == 5  # the oldest is outside the week (window edges: one slot, 2.8 h)
    report = Janitor(ws, clock=lambda: T).run()
    assert report["history_pruned"] == {"joni": 1}
    assert [m.ts for m in (hist.decode_minute(x) for x in p.read_bytes().splitlines())] == [m.ts for m in minutes[1:]]
    hist.append(p, [hist.to_minute(T, _bucket(4, 0, 5))])  # appends go on after the rewrite
    assert view.figures(T + 60, base, [])[0].finished == 9  # re-read once, no minute twice
    assert Janitor(ws, clock=lambda: T).run()["history_pruned"] == {}


def test_the_runtime_holder_writes_history(ws: Workspace, tmp_path: Path) -> None:
    from catalyst_tui.core.runtime import Runtime

    _alive(ws)
    import time

    now = time.time()
    p = ws.agent("prince")
    for i in range(4):
        record_dispatch(p, id=f"r{i}", event="finished", status="ok", latency_ms=30, ts=now - 300 + i * 60)
    rt = Runtime(ws, role="holder")
    rt.run_once()
    lines = hist.path_of(p.dir).read_bytes().splitlines()
    assert len(lines) == 4 and all(hist.decode_minute(x).f == 1 for x in lines)
