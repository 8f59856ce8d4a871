"""Reasons ranked by evidence; every tenant against its own baseline AND its peers.

Hand-computed cases on a real workspace read by the real monitor: latencies are constant per
tenant, so each p95 is that constant (to the histogram's 1 %: ``bin_value(bin_of(ms))``).
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from triage_helpers import write_history

from catalyst_tui.core.health import Kind, Peers, Reason, bin_of, bin_value, fleet, ranked, triage
from catalyst_tui.core.health import monitor as monitor_mod
from catalyst_tui.core.health.reasons import figure_reasons
from catalyst_tui.core.humanize import duration_ms
from catalyst_tui.core.models import Health
from catalyst_tui.core.workspace import Workspace

NOW = time.time()
FAST, SLOW = 550.0, 5500.0


def p95(ms: float) -> float:
    """What the engine reports for a constant latency (its histogram bin)."""
    return round(bin_value(bin_of(ms)), 3)


def history(ws: Workspace, name: str, spans: list[tuple[float, float, float]], torn: bool = False) -> None:
    write_history(ws, name, spans, NOW, torn)


def judge(ws: Workspace) -> dict[str, monitor_mod.AgentStatus]:
    mon = ws.monitor()
    mon.clock = lambda: NOW
    return mon.refresh_all()


def test_one_always_slow_tenant_among_eight_fast_is_named_against_its_peers(ws: Workspace) -> None:
    """bjork has been slow for its whole hour: its own baseline is as slow, so only the peers see it."""
    for name in ws.config.agent_names:
        history(ws, name, [(3500, 0, SLOW if name == "bjork" else FAST)])
    statuses = judge(ws)
    bjork = statuses["bjork"]
    assert bjork.health is Health.DEGRADED
    first = bjork.findings[0]
    assert first.kind is Kind.P95_PEERS
    assert first.text == f"p95 {duration_ms(p95(SLOW))} (10x the fleet's {duration_ms(p95(FAST))})"
    assert first.text == "p95 5.5 s (10x the fleet's 550 ms)"
    assert (first.value, first.reference) == (p95(SLOW), p95(FAST))
    assert first.strength == pytest.approx(p95(SLOW) / p95(FAST) / 3.0)  # multiples of peer_p95_ratio (3x)
    assert Kind.P95_BASELINE not in {r.kind for r in bjork.findings}  # its own hour was as slow
    assert bjork.peers == Peers(8, p95(FAST), 0.0)
    assert all(s.health is Health.OK for n, s in statuses.items() if n != "bjork")  # 550 ms vs (550, 5500 ...)
    t = triage(statuses.values())
    assert t.text == "1 of 9 affected: bjork p95 5.5 s (10x the fleet's 550 ms)"
    assert t.fit(40) == "1 of 9 affected: bjork p95 5.5 s"  # the key figure, never half of it
    assert [e.agent for e in t.entries] == ["bjork"] and t.entries[0].reasons[0] is first


def test_all_nine_slow_points_at_the_shared_layer(ws: Workspace) -> None:
    """Nine tenants 10x slower than their own hour, all at once: no one is slow against the fleet."""
    for name in ws.config.agent_names:
        history(ws, name, [(3500, 400, FAST), (250, 0, SLOW)])
    statuses = judge(ws)
    for s in statuses.values():
        assert [r.kind for r in s.findings] == [Kind.P95_BASELINE], s.name
        assert s.findings[0].text == "p95 5.5 s (10x its 1 h baseline)"
        assert s.peers.p95_ms == p95(SLOW)  # the fleet is as slow: no peer reason
    t = triage(statuses.values())
    assert t.scope == "shared" and t.groups == (("p95", 9),)
    assert t.text == "9 of 9 affected (9 p95): look at the shared layer (index, disk, hub)"


def test_one_torn_line_only(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_mod, "TORN_GRACE_S", 0.0)  # the write is not still in progress
    for name in ws.config.agent_names:
        history(ws, name, [(3500, 0, FAST)], torn=name == "cher")
    statuses = judge(ws)
    cher = statuses["cher"]
    assert cher.health is Health.DEGRADED
    assert [r.kind for r in cher.findings] == [Kind.TORN_LINE]
    assert cher.findings[0].text.startswith("agents/cher/dispatch.jsonl:") and "unterminated" in cher.findings[0].text
    t = triage(statuses.values())
    assert t.text == f"1 of 9 affected: cher {cher.findings[0].text}"
    assert t.fit(40) == "1 of 9 affected: cher torn line"  # the path is never cut in half


def test_strong_figures_outrank_a_torn_line_and_bad_lines(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's case: bjork is slow and has one torn line; the slow p95 leads."""
    monkeypatch.setattr(monitor_mod, "TORN_GRACE_S", 0.0)
    for name in ws.config.agent_names:
        history(ws, name, [(3500, 0, SLOW if name == "bjork" else FAST)], torn=name == "bjork")
    bjork = judge(ws)["bjork"]
    assert [r.kind for r in bjork.findings] == [Kind.P95_PEERS, Kind.TORN_LINE]
    assert triage([bjork]).text.startswith("1 of 1 affected: bjork p95 5.5 s")


def test_ranking_severity_then_strength_then_figures_first() -> None:
    d, off = Health.DEGRADED, Health.OFFLINE
    torn = Reason(Kind.TORN_LINE, d, 1.0, "agents/x/dispatch.jsonl:9: unterminated last line", "torn line")
    slow = Reason(Kind.P95_PEERS, d, 10 / 3, "p95 5.5 s (10x the fleet's 550 ms)", "p95 5.5 s")
    errs = Reason(Kind.ERRORS, d, 2.2, "errors 30% (30 of 100)", "errors 30%")
    queue = Reason(Kind.QUEUE, d, 1.0, "queue 50", "queue 50")
    dead = Reason(Kind.PROCESS_DEAD, off, 1.0, "pid 7 not running", "pid 7 dead")
    assert ranked([torn, errs, queue, slow, dead]) == [dead, slow, errs, queue, torn]


def test_thirty_percent_errors_outrank_a_torn_line_by_the_numbers(ws: Workspace) -> None:
    fig = judge(ws)["bjork"].figures  # an empty window, to build on
    f = replace(fig, finished=100, errors=30, error_rate=0.30)
    (errs,) = figure_reasons(f, ws.config.health)
    assert errs.kind is Kind.ERRORS and errs.text == "errors 30% (30 of 100)"
    assert errs.strength > 2.0  # the 95 % lower bound (22.6 %) is 2.3 times the 10 % threshold


def test_errors_against_the_peers(ws: Workspace) -> None:
    """11 % errors is under the 10 % limit with 95 % confidence, but 5x a fleet failing 2 % of the time."""
    t = ws.config.health
    fig = judge(ws)["bjork"].figures
    f = replace(fig, finished=600, errors=66, error_rate=0.11)
    assert figure_reasons(f, t) == []  # alone: noise at the 10 % threshold
    (r,) = figure_reasons(f, t, Peers(8, None, 0.02))
    assert r.kind is Kind.ERRORS_PEERS and r.text == "errors 11% (6x the fleet's 2.0%)"


def test_too_few_peers_with_data_make_no_fleet(ws: Workspace) -> None:
    t = ws.config.health
    fig = judge(ws)["bjork"].figures
    busy = replace(fig, finished=50, p95_ms=500.0)
    idle = replace(fig, finished=3, p95_ms=20.0)
    assert fleet("bjork", {"a": busy, "b": busy, "c": idle, "bjork": busy}, t) == Peers(2, None, None)
    assert fleet("bjork", {"a": busy, "b": busy, "c": busy, "bjork": idle}, t) == Peers(3, 500.0, 0.0)


def test_the_verdict_does_not_depend_on_the_window_shown(ws: Workspace) -> None:
    """`w` on the Agents screen changes what a panel shows, never who is affected or why."""
    for name in ws.config.agent_names:
        history(ws, name, [(3500, 400, FAST), (250, 0, SLOW if name == "bjork" else FAST)])
    mon = ws.monitor()
    mon.clock = lambda: NOW
    judged = mon.refresh_all()
    for shown in ("1m", "1h"):
        mon.shown_window = shown
        again = mon.status_all()
        assert {n: (s.health, s.reasons) for n, s in again.items()} == {
            n: (s.health, s.reasons) for n, s in judged.items()}
        assert again["bjork"].view.window == shown and again["bjork"].figures.window == "5m"
    assert judged["bjork"].health is Health.DEGRADED
