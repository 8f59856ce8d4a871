"""Why a tenant is not healthy: typed reasons, ranked by severity and strength of evidence.

Every reason says what it alone would make the tenant (``health``) and how strong the
evidence is (``strength``: multiples of its threshold, so ``>= 1`` when it counts). Reasons
are ranked most severe first, then strongest first: a p95 ten times the fleet's (strength
3.3 at the default 3x) or 30 % errors over 100 dispatches (2.2 at 10 %) outrank one torn
line (1.0). The triage line, ``status --json`` and the exporter show them in this order.

Figures are judged twice: against the tenant's own 1 h baseline (a change) and against its
peers, the median of the *other* tenants over the same window (a tenant that has always been
slow is still slow). Thresholds: ``[health]`` in catalyst.toml (docs/metrics.md).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from catalyst_tui.core.config import HealthConfig
from catalyst_tui.core.health.metrics import Figures
from catalyst_tui.core.humanize import age, duration_ms
from catalyst_tui.core.models import Health

ERROR_CONFIDENCE_Z = 1.645  # one-sided 95 %
DATA_STRENGTH = 1.0  # a torn or bad line: real, but the weakest evidence of trouble
UNREADABLE_STRENGTH = 2.0  # a log that cannot be read hides every figure of the tenant
DECISIVE = 100.0  # a fact, not a measure (a dead pid, a corrupt state.json); finite, so JSON can carry it


class Kind(StrEnum):
    """What a reason is about; stable names for alert rules and JSON (``status --json``)."""

    QUARANTINED = "quarantined"
    STOPPED = "stopped"
    PROCESS_DEAD = "process_dead"
    NO_STATE = "no_state"
    HEARTBEAT_LOST = "heartbeat_lost"
    WAITING = "waiting"
    P95_PEERS = "p95_peers"
    P95_BASELINE = "p95_baseline"
    P95_ABSOLUTE = "p95_absolute"
    ERRORS = "errors"
    ERRORS_PEERS = "errors_peers"
    QUEUE = "queue"
    CLOCK_AHEAD = "clock_ahead"
    CLOCK_BEHIND = "clock_behind"
    UNREADABLE_LOG = "unreadable_log"
    TORN_LINE = "torn_line"
    BAD_LINES = "bad_lines"

    @property
    def label(self) -> str:
        """The group a reason counts in when many tenants share it: ``5 heartbeat lost``."""
        return _LABELS[self]


_LABELS = {
    Kind.QUARANTINED: "quarantined", Kind.STOPPED: "stopped", Kind.PROCESS_DEAD: "process dead",
    Kind.NO_STATE: "no state.json", Kind.HEARTBEAT_LOST: "heartbeat lost", Kind.WAITING: "waiting",
    Kind.P95_PEERS: "p95", Kind.P95_BASELINE: "p95", Kind.P95_ABSOLUTE: "p95",
    Kind.ERRORS: "errors", Kind.ERRORS_PEERS: "errors", Kind.QUEUE: "queue",
    Kind.CLOCK_AHEAD: "clock", Kind.CLOCK_BEHIND: "clock", Kind.UNREADABLE_LOG: "unreadable log",
    Kind.TORN_LINE: "torn line", Kind.BAD_LINES: "bad lines",
}
_TIE_ORDER = {k: i for i, k in enumerate(Kind)}  # equal strength: figures before data quality


@dataclass(frozen=True, slots=True)
class Reason:
    kind: Kind
    health: Health  # what this reason alone makes the tenant
    strength: float  # multiples of its threshold
    text: str  # the whole reason: "p95 5.8 s (10x the fleet's 550 ms)"
    key: str  # its key figure, for a narrow triage line: "p95 5.8 s"
    value: float | None = None  # the observed figure (ms, rate, count or seconds)
    reference: float | None = None  # what it was compared with (fleet median, baseline, threshold)

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "health": self.health.value, "strength": round(self.strength, 2),
                "text": self.text, "key": self.key, "value": self.value, "reference": self.reference}


def ranked(reasons: Iterable[Reason]) -> list[Reason]:
    """Most severe first, then strongest, then figures before data quality."""
    return sorted(reasons, key=lambda r: (r.health.rank, -r.strength, _TIE_ORDER[r.kind]))


@dataclass(frozen=True, slots=True)
class Peers:
    """The fleet around one tenant: medians over the other tenants with data in the window."""

    tenants: int  # other tenants with at least [health] peer_min_finished dispatches
    p95_ms: float | None  # None when fewer than peer_min_tenants have data
    error_rate: float | None

    def to_json(self) -> dict[str, object]:
        return {"tenants": self.tenants, "p95_ms": self.p95_ms,
                "error_rate": None if self.error_rate is None else round(self.error_rate, 4)}


NO_PEERS = Peers(0, None, None)


def fleet(name: str, figures: dict[str, Figures], t: HealthConfig) -> Peers:
    """The median p95 and error rate of every tenant but ``name``, over the same window."""
    others = [f for n, f in figures.items() if n != name and f.finished >= t.peer_min_finished]
    if len(others) < t.peer_min_tenants:
        return Peers(len(others), None, None)
    p95s = [f.p95_ms for f in others if f.p95_ms is not None]
    p95 = statistics.median(p95s) if len(p95s) >= t.peer_min_tenants else None
    return Peers(len(others), p95, statistics.median(f.error_rate for f in others))


def wilson_lower(errors: int, n: int, z: float = ERROR_CONFIDENCE_Z) -> float:
    """The lower bound of the Wilson score interval of an error rate.

    An agent is judged over its threshold only when its error rate is above it with 95 %
    confidence: 3 errors in 21 dispatches (14 %) is noise at a 10 % threshold and must not make
    a tenant flap between degraded and recovered; 14 in 66 (21 %) is not.
    """
    if n <= 0:
        return 0.0
    p = errors / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z2 / n))


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 2 else f"{ratio:.1f}x"


def _pct(rate: float) -> str:
    return f"{rate:.0%}" if rate >= 0.095 or rate == 0 else f"{rate:.1%}"


def figure_reasons(f: Figures, t: HealthConfig, peers: Peers = NO_PEERS) -> list[Reason]:
    """What the windowed figures say, against the baseline, the peers and the absolute limits."""
    out: list[Reason] = []
    d = Health.DEGRADED
    if f.p95_ms is not None and f.p95_ms > t.p95_min_ms:
        p95 = duration_ms(f.p95_ms)
        judged_alone = True
        if peers.p95_ms and f.finished >= t.peer_min_finished:
            judged_alone = False
            ratio = f.p95_ms / peers.p95_ms
            if ratio > t.peer_p95_ratio:
                out.append(Reason(Kind.P95_PEERS, d, ratio / t.peer_p95_ratio,
                                  f"p95 {p95} ({_times(ratio)} the fleet's {duration_ms(peers.p95_ms)})",
                                  f"p95 {p95}", f.p95_ms, peers.p95_ms))
        if f.baseline_p95_ms and f.p95_ratio is not None:
            judged_alone = False
            if f.p95_ratio > t.p95_ratio:
                out.append(Reason(Kind.P95_BASELINE, d, f.p95_ratio / t.p95_ratio,
                                  f"p95 {p95} ({_times(f.p95_ratio)} its 1 h baseline)", f"p95 {p95}",
                                  f.p95_ms, f.baseline_p95_ms))
        if judged_alone and f.p95_ms > t.p95_abs_ms:  # nothing to compare with yet
            out.append(Reason(Kind.P95_ABSOLUTE, d, f.p95_ms / t.p95_abs_ms, f"p95 {p95}", f"p95 {p95}",
                              f.p95_ms, t.p95_abs_ms))
    if f.finished >= t.error_min_finished:
        low = wilson_lower(f.errors, f.finished)
        err = f"errors {_pct(f.error_rate)}"
        if low > t.error_rate:
            out.append(Reason(Kind.ERRORS, d, low / t.error_rate if t.error_rate else 1.0 + low,
                              f"{err} ({f.errors} of {f.finished})", err, f.error_rate, t.error_rate))
        elif peers.error_rate is not None and f.finished >= t.peer_min_finished:
            bar = max(peers.error_rate * t.peer_error_ratio, t.peer_error_floor)
            if low > bar and bar > 0:
                ratio = f.error_rate / peers.error_rate if peers.error_rate else math.inf
                vs = f"{_times(ratio)} the fleet's {_pct(peers.error_rate)}" if peers.error_rate else "the fleet's 0%"
                out.append(Reason(Kind.ERRORS_PEERS, d, low / bar, f"{err} ({vs})", err, f.error_rate,
                                  peers.error_rate))
    if f.queue_depth > t.queue_depth:
        out.append(Reason(Kind.QUEUE, d, f.queue_depth / t.queue_depth, f"queue {f.queue_depth}",
                          f"queue {f.queue_depth}", f.queue_depth, t.queue_depth))
    for kind, lead, word in ((Kind.CLOCK_AHEAD, f.clock_skew_s, "ahead"), (Kind.CLOCK_BEHIND, f.clock_behind_s,
                                                                           "behind")):
        if lead > t.clock_skew_s:
            text = f"clock {age(lead)} {word}"
            out.append(Reason(kind, d, lead / t.clock_skew_s, text, text, lead, t.clock_skew_s))
    return out


def heartbeat_reason(hb_age: float, t: HealthConfig) -> Reason | None:
    """A heartbeat older than the stale limit (degraded) or the offline limit (offline)."""
    if hb_age <= t.heartbeat_stale_s:
        return None
    text = f"heartbeat lost {age(hb_age)}"
    if hb_age > t.heartbeat_offline_s:
        return Reason(Kind.HEARTBEAT_LOST, Health.OFFLINE, hb_age / t.heartbeat_offline_s, text, text, hb_age,
                      t.heartbeat_offline_s)
    return Reason(Kind.HEARTBEAT_LOST, Health.DEGRADED, hb_age / t.heartbeat_stale_s, text, text, hb_age,
                  t.heartbeat_stale_s)


def plain(kind: Kind, health: Health, text: str, key: str | None = None,
          strength: float = DATA_STRENGTH, value: float | None = None) -> Reason:
    """A reason without a threshold to measure against (a dead pid, a torn line)."""
    return Reason(kind, health, strength, text, key or text, value)
