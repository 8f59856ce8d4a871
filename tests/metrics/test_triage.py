"""The triage line: which tenant, and when to look at the shared layer instead."""

from __future__ import annotations

from catalyst_tui.core.health import (
    SHARED_HINT,
    AgentStatus,
    DispatchStats,
    Kind,
    Reason,
    SharedProblem,
    summarize,
    triage,
)
from catalyst_tui.core.models import Health

NAMES = ["aretha", "bjork", "bowie", "cher", "joni", "nina", "ozzy", "prince", "slash"]
FIG = DispatchStats(clock=lambda: 0.0).figures("5m", 0.0)


KINDS = {"p95": Kind.P95_BASELINE, "heartbeat": Kind.HEARTBEAT_LOST, "queue": Kind.QUEUE, "errors": Kind.ERRORS,
         "pid": Kind.PROCESS_DEAD, "quarantined:": Kind.QUARANTINED, "no": Kind.NO_STATE}


def reason(health: Health, text: str, strength: float = 1.0) -> Reason:
    return Reason(KINDS[text.split()[0]], health, strength, text, text.split(" (")[0])


def st(name: str, health: Health = Health.OK, *reasons: str) -> AgentStatus:
    return AgentStatus(name, health, [reason(health, r) for r in reasons], None, FIG, 0, [], None)


def nine(**bad: tuple[Health, str]) -> list[AgentStatus]:
    return [st(n, *bad[n]) if n in bad else st(n) for n in NAMES]


def test_all_healthy() -> None:
    assert summarize(nine()) == "all 9 healthy"
    assert triage(nine()).scope == "none"


def test_two_affected_named_with_their_reason() -> None:
    out = triage(nine(bjork=(Health.DEGRADED, "p95 4.2 s (5x its 1 h baseline)"),
                      slash=(Health.DEGRADED, "heartbeat lost 6 min")))
    assert out.text == "2 of 9 affected: bjork p95 4.2 s (5x its 1 h baseline), slash heartbeat lost 6 min"
    assert out.scope == "tenant" and out.affected == ("bjork", "slash")


def test_most_severe_first_and_more_than_three() -> None:
    out = triage(nine(aretha=(Health.DEGRADED, "queue 80"), bowie=(Health.DEGRADED, "errors 20% (2 of 10)"),
                      slash=(Health.OFFLINE, "pid 4242 not running"),
                      cher=(Health.QUARANTINED, "quarantined: state.json: corrupt JSON")))
    assert out.text.startswith("4 of 9 affected: cher quarantined: state.json: corrupt JSON, "
                               "slash pid 4242 not running, aretha queue 80, +1 more")
    assert out.affected == ("cher", "slash", "aretha", "bowie")


def test_most_tenants_affected_points_at_the_shared_layer() -> None:
    bad = {n: (Health.DEGRADED, "heartbeat lost 7 min") for n in NAMES[:5]}
    bad.update({n: (Health.OFFLINE, "no state.json") for n in NAMES[5:7]})
    out = triage(nine(**bad))
    assert out.scope == "shared"
    assert out.text == f"7 of 9 affected (5 heartbeat lost, 2 no state.json): {SHARED_HINT}"
    # just under the fraction: still per tenant
    five = {n: (Health.DEGRADED, "queue 80") for n in NAMES[:5]}
    assert triage(nine(**five)).scope == "tenant"
    assert triage(nine(**five), shared_fraction=0.5).scope == "shared"


def test_shared_problems_count_their_tenants() -> None:
    out = triage(nine(), [SharedProblem("ports", "hub port 3131 down")])
    assert out.text == f"9 of 9 affected: {SHARED_HINT}; shared: hub port 3131 down"
    out = triage(nine(), [SharedProblem("janitor", "bjork locks stale", agents=("bjork", "ghost"))])
    assert out.text == "1 of 9 affected; shared: bjork locks stale"
    assert out.affected == ("bjork",)


def test_reason_labels_group_kinds() -> None:
    assert Kind.P95_PEERS.label == Kind.P95_BASELINE.label == "p95"
    assert Kind.PROCESS_DEAD.label == "process dead"
    assert Kind.NO_STATE.label == "no state.json"
    assert {k.label for k in Kind} >= {"heartbeat lost", "quarantined", "errors", "torn line", "bad lines"}


def test_tenant_failures_stay_named_during_a_shared_outage() -> None:
    hub = SharedProblem("ports", "hub port 3131/tcp (catalyst-hub) down")
    out = triage(nine(slash=(Health.OFFLINE, "pid 12 not running")), [hub])
    assert out.text == "9 of 9 affected: slash pid 12 not running; shared: hub port 3131/tcp (catalyst-hub) down"
    assert out.scope == "shared" and out.affected[0] == "slash"
    many = {n: (Health.DEGRADED, "heartbeat lost 7 min") for n in NAMES[:6]}
    assert triage(nine(**many), [hub]).text == (
        f"9 of 9 affected (6 heartbeat lost): {SHARED_HINT}; shared: hub port 3131/tcp (catalyst-hub) down")


def test_health_has_one_severity_order() -> None:
    from catalyst_tui.core.models import Health

    worst_first = sorted(Health, key=lambda h: h.rank)
    assert worst_first == [Health.QUARANTINED, Health.OFFLINE, Health.DEGRADED, Health.WAITING, Health.OK]
    assert [h for h in Health if h.affected] == [Health.DEGRADED, Health.QUARANTINED, Health.OFFLINE]
    assert Health.OFFLINE.worse_than(Health.DEGRADED) and not Health.OK.worse_than(Health.OK)
