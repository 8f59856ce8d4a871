"""Triage inputs from the shared layer.

Features that watch shared infrastructure (the port map, the snapshot push, the index, the
janitor) report their problems as :class:`SharedProblem`. ``agents=None`` means the problem
affects every tenant (a hub port down, a failed snapshot push). The triage line combines
these with the per-agent statuses (issue 4 builds the summary on top of this module).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from catalyst_tui.core.health import AgentStatus
from catalyst_tui.core.models import Health


@dataclass(frozen=True, slots=True)
class SharedProblem:
    source: str  # "ports", "snapshot", "index", "janitor", ...
    text: str  # short, operator-readable: "hub port 3131 down"
    agents: tuple[str, ...] | None = None  # None: every tenant is affected


def _reason_text(status: AgentStatus) -> str:
    reason = ", ".join(status.reasons) if status.reasons else status.health.value
    return f"{status.name} {reason}"


def summarize(statuses: Iterable[AgentStatus], shared: Iterable[SharedProblem] = ()) -> str:
    """The one-line answer to "which tenant is affected?" (first simple version; issue 4 refines it).

    ``all 9 healthy`` or ``2 of 9 affected: bjork p95 4.2 s, slash heartbeat lost 6 min``;
    shared-layer problems follow (``shared: hub port 3131 down``).
    """
    statuses = list(statuses)
    problems = list(shared)
    total = len(statuses)
    affected = [s for s in statuses if s.health is not Health.OK]
    if problems:
        everyone = [p for p in problems if p.agents is None]
        named = {a for p in problems if p.agents for a in p.agents}
        names = {s.name for s in affected} | named
        count = total if everyone else len(names & {s.name for s in statuses})
    else:
        count = len(affected)
    if not affected and not problems:
        return f"all {total} healthy"
    head = f"{count} of {total} affected"
    parts: list[str] = [_reason_text(s) for s in affected]
    text = head + (": " + ", ".join(parts) if parts else "")
    if problems:
        text += "; shared: " + ", ".join(p.text for p in problems)
    return text
