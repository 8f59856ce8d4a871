"""Triage inputs from the shared layer.

Features that watch shared infrastructure (the port map, the snapshot push, the index, the
janitor) report their problems as :class:`SharedProblem`. ``agents=None`` means the problem
affects every tenant (a hub port down, a failed snapshot push). The triage line combines
these with the per-agent statuses (issue 4 builds the summary on top of this module).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from catalyst_tui.core.health.monitor import AgentStatus
from catalyst_tui.core.models import Health


@dataclass(frozen=True, slots=True)
class SharedProblem:
    source: str  # "ports", "snapshot", "index", "janitor", ...
    text: str  # short, operator-readable: "hub port 3131 down"
    agents: tuple[str, ...] | None = None  # None: every tenant is affected


SHARED_HINT = "look at the shared layer (index, disk, hub)"
MAX_NAMED = 3
_KIND = re.compile(r"^[A-Za-z][\w.]*(?: [A-Za-z][\w.]*)*")


def reason_kind(reason: str) -> str:
    """The kind of a reason, for grouping: ``heartbeat lost 6 min`` -> ``heartbeat lost``."""
    if reason.startswith("pid ") and ("not running" in reason or "zombie" in reason or "reused" in reason):
        return "process dead"
    m = _KIND.match(reason)
    return m.group(0) if m else reason


@dataclass(frozen=True)
class Triage:
    text: str
    affected: tuple[str, ...]  # most severe first
    scope: str  # "none", "tenant" or "shared"


def _severity(status: AgentStatus) -> tuple[int, str]:
    return status.health.rank, status.name


def _reason_text(status: AgentStatus) -> str:
    reason = status.reasons[0] if status.reasons else status.health.value
    return f"{status.name} {reason}"


def triage(statuses: Iterable[AgentStatus], shared: Iterable[SharedProblem] = (),
           shared_fraction: float = 0.6) -> Triage:
    """Which tenant is affected? The size of the answer says where to look.

    * ``all 9 healthy``
    * ``2 of 9 affected: bjork p95 4.2 s (5x its 1 h baseline), slash heartbeat lost 6 min``
      (most severe first, each with its most telling reason; beyond three: ``+2 more``)
    * when at least ``shared_fraction`` of the tenants are affected at once, or a shared
      problem hits everyone: ``7 of 9 affected (5 heartbeat lost, 2 no state.json): look at
      the shared layer (index, disk, hub)``
    * a shared problem hits everyone while a few tenants fail on their own: those are still
      named first (``9 of 9 affected: slash pid 12 not running; shared: hub port 3131 down``)
    Shared-layer problems follow: ``; shared: hub port 3131 down``.
    """
    statuses = sorted(statuses, key=_severity)
    problems = list(shared)
    total = len(statuses)
    names = {s.name for s in statuses}
    affected = [s for s in statuses if s.health is not Health.OK]
    everyone = any(p.agents is None for p in problems)
    hit = {s.name for s in affected} | {a for p in problems if p.agents for a in p.agents if a in names}
    count = total if everyone else len(hit)
    tail = ("; shared: " + ", ".join(p.text for p in problems)) if problems else ""
    if count == 0:
        return Triage(f"all {total} healthy" + tail, (), "none")
    order = tuple(s.name for s in affected) + tuple(sorted(hit - {s.name for s in affected}))
    head = f"{count} of {total} affected"
    parts = [_reason_text(s) for s in affected[:MAX_NAMED]]
    if len(affected) > MAX_NAMED:
        parts.append(f"+{len(affected) - MAX_NAMED} more")
    most = total >= 3 and len(affected) / total >= shared_fraction
    if everyone and affected and not most:  # a shared outage, and a few tenants failing on their own
        return Triage(f"{head}: {', '.join(parts)}{tail}", order, "shared")
    if everyone or (total >= 3 and count / total >= shared_fraction):
        kinds = Counter(reason_kind(s.reasons[0]) if s.reasons else s.health.value for s in affected)
        groups = ", ".join(f"{n} {k}" for k, n in kinds.most_common(3))
        return Triage(f"{head}{f' ({groups})' if groups else ''}: {SHARED_HINT}{tail}", order, "shared")
    body = ": " + ", ".join(parts) if parts else ""
    return Triage(head + body + tail, order, "tenant")


def summarize(statuses: Iterable[AgentStatus], shared: Iterable[SharedProblem] = (),
              shared_fraction: float = 0.6) -> str:
    """The triage line's text (see :func:`triage`)."""
    return triage(statuses, shared, shared_fraction).text
