"""The triage: which tenants are affected, why, and when to look at the shared layer instead.

Features that watch shared infrastructure (the port map, the snapshot push, the index, the
janitor) report their problems as :class:`SharedProblem`. ``agents=None`` means the problem
affects every tenant (a hub port down, a failed snapshot push). :func:`triage` combines them
with the per-agent statuses into a :class:`Triage`: typed, ordered data (the exporter, the
alert rules and ``status --json`` read it) plus its line, composed to fit any width
(:meth:`Triage.fit`): names and key figures first, never a figure or a path cut in half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from catalyst_tui.core.health.agent_status import AgentStatus
from catalyst_tui.core.health.reasons import Reason
from catalyst_tui.core.models import Health


@dataclass(frozen=True, slots=True)
class SharedProblem:
    source: str  # "ports", "snapshot", "index", "janitor", ...
    text: str  # short, operator-readable: "hub port 3131 down"
    agents: tuple[str, ...] | None = None  # None: every tenant is affected


SHARED_HINT = "look at the shared layer (index, disk, hub)"
SHORT_HINT = "look at the shared layer"
MAX_NAMED = 3
WAITING_TEXT = "waiting for their first heartbeat"


@dataclass(frozen=True, slots=True)
class TriageEntry:
    """One affected tenant and every reason it has, strongest first."""

    agent: str
    health: Health
    reasons: tuple[Reason, ...]

    def part(self, form: str) -> str:
        """``bjork p95 5.8 s (10x the fleet's 550 ms)`` (text), ``bjork p95 5.8 s`` (key), ``bjork``."""
        if form == "name" or not self.reasons:
            return self.agent if self.reasons or form == "name" else f"{self.agent} {self.health.value}"
        first = self.reasons[0]
        return f"{self.agent} {first.text if form == 'text' else first.key}"

    def to_json(self) -> dict[str, object]:
        return {"agent": self.agent, "health": self.health.value, "reasons": [r.to_json() for r in self.reasons]}


@dataclass(frozen=True)
class Triage:
    text: str  # the whole line, unabridged (status, logs, notifications)
    affected: tuple[str, ...]  # most severe first (tenants hit by a shared problem last)
    scope: str  # "none", "tenant" or "shared"
    total: int = 0
    entries: tuple[TriageEntry, ...] = ()  # the affected tenants with their own reasons, most severe first
    waiting: tuple[str, ...] = ()  # no state.json yet, within the start-up grace
    shared: tuple[SharedProblem, ...] = ()
    groups: tuple[tuple[str, int], ...] = ()  # scope "shared": (reason label, tenants), most common first
    _forms: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def alarm(self) -> bool:
        """Some tenant is affected: the line is drawn as an alarm."""
        return self.scope != "none"

    def fit(self, width: int, measure: Callable[[str], int] = len) -> str:
        """The richest form of the line no wider than ``width`` (``measure``: its cell width).

        Forms shed detail in order: the comparisons behind each figure, the shared problems'
        texts, the later tenants' figures, the later tenants; the first tenant's name and key
        figure go last. No form is ever cut: when none fits, the shortest is returned."""
        forms = self._forms or (self.text,)
        for form in forms:
            if measure(form) <= width:
                return form
        return forms[-1]

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "scope": self.scope, "affected": list(self.affected), "total": self.total,
                "entries": [e.to_json() for e in self.entries], "waiting": list(self.waiting),
                "shared": [{"source": p.source, "text": p.text, "agents": None if p.agents is None else list(p.agents)}
                           for p in self.shared]}


def _severity(status: AgentStatus) -> tuple[int, float, str]:
    strength = status.findings[0].strength if status.findings else 0.0
    return status.health.rank, -strength, status.name


def _tails(shared: list[SharedProblem]) -> list[str]:
    if not shared:
        return [""]
    forms = ["; shared: " + ", ".join(p.text for p in shared)]
    if len(shared) > 1:
        forms.append(f"; shared: {shared[0].text}, +{len(shared) - 1} more")
    return [*forms, f"; +{len(shared)} shared"]


def _tenant_forms(head: str, entries: list[TriageEntry], more: int, tails: list[str], waiting: str) -> Iterator[str]:
    def line(parts: list[str], extra: int, tail: str) -> str:
        if extra:
            parts = [*parts, f"+{extra} more"]
        return f"{head}: {', '.join(parts)}{tail}{waiting}"

    n = len(entries)
    full = tails[0]
    yield line([e.part("text") for e in entries], more, full)
    yield line([entries[0].part("text"), *(e.part("key") for e in entries[1:])], more, full)
    for tail in tails:
        yield line([e.part("key") for e in entries], more, tail)
    short = tails[-1]
    yield line([entries[0].part("key"), *(e.part("name") for e in entries[1:])], more, short)
    for k in range(n - 1, 0, -1):
        yield line([entries[0].part("key"), *(e.part("name") for e in entries[1:k])], more + n - k, short)
    yield line([entries[0].part("name")], more + n - 1, short)
    yield f"{head}{short}{waiting}"


def _shared_forms(head: str, groups: list[tuple[str, int]], tails: list[str], waiting: str) -> Iterator[str]:
    def line(k: int, hint: str, tail: str) -> str:
        g = ", ".join(f"{n} {label}" for label, n in groups[:k])
        return f"{head}{f' ({g})' if g else ''}: {hint}{tail}{waiting}"

    for tail in tails:  # what the shared problem is says more than the groups, they more than the hint
        for k in range(len(groups), -1, -1):
            for hint in (SHARED_HINT, SHORT_HINT):
                yield line(k, hint, tail)
    yield f"{head}: shared layer{tails[-1]}"


def triage(statuses: Iterable[AgentStatus], shared: Iterable[SharedProblem] = (),
           shared_fraction: float = 0.6) -> Triage:
    """Which tenant is affected? The size of the answer says where to look.

    * ``all 9 healthy``; a fresh workspace: ``9 waiting for their first heartbeat``
    * ``2 of 9 affected: bjork p95 5.8 s (10x the fleet's 550 ms), slash heartbeat lost 6 min``
      (most severe and strongest first, each with its strongest reason; beyond three: ``+2 more``)
    * when at least ``shared_fraction`` of the tenants are affected at once, or a shared
      problem hits everyone: ``7 of 9 affected (5 heartbeat lost, 2 no state.json): look at
      the shared layer (index, disk, hub)``
    * a shared problem hits everyone while a few tenants fail on their own: those are still
      named first (``9 of 9 affected: slash pid 12 not running; shared: hub port 3131 down``)
    Shared-layer problems follow: ``; shared: hub port 3131 down``; tenants still waiting for
    their first heartbeat last: ``; 2 waiting``.
    """
    statuses = sorted(statuses, key=_severity)
    problems = list(shared)
    total = len(statuses)
    names = {s.name for s in statuses}
    affected = [s for s in statuses if s.health.affected]
    waiting = tuple(s.name for s in statuses if s.health is Health.WAITING)
    everyone = any(p.agents is None for p in problems)
    hit = {s.name for s in affected} | {a for p in problems if p.agents for a in p.agents if a in names}
    count = total if everyone else len(hit)
    tails = _tails(problems)
    entries = [TriageEntry(s.name, s.health, tuple(s.findings)) for s in affected]

    def made(forms: Iterable[str], order: tuple[str, ...], scope: str,
             groups: tuple[tuple[str, int], ...] = ()) -> Triage:
        unique = tuple(dict.fromkeys(forms))
        return Triage(unique[0], order, scope, total, tuple(entries), waiting, tuple(problems), groups, unique)

    if count == 0:
        ok = total - len(waiting)
        if not waiting:
            head = f"all {total} healthy"
        elif ok:
            head = f"{ok} healthy, {len(waiting)} {WAITING_TEXT}"
        else:
            head = f"{len(waiting)} {WAITING_TEXT}"
        return made((head + t for t in tails), (), "none")
    order = tuple(s.name for s in affected) + tuple(sorted(hit - {s.name for s in affected}))
    head = f"{count} of {total} affected"
    soon = f"; {len(waiting)} waiting" if waiting else ""
    named, more = entries[:MAX_NAMED], max(0, len(entries) - MAX_NAMED)
    most = total >= 3 and len(affected) / total >= shared_fraction
    if everyone and affected and not most:  # a shared outage, and a few tenants failing on their own
        return made(_tenant_forms(head, named, more, tails, soon), order, "shared")
    if everyone or (total >= 3 and count / total >= shared_fraction):
        kinds = Counter(s.findings[0].kind.label if s.findings else s.health.value for s in affected)
        groups = kinds.most_common(3)
        return made(_shared_forms(head, groups, tails, soon), order, "shared", tuple(groups))
    if not named:  # only tenants named by a shared problem
        return made((f"{head}{t}{soon}" for t in tails), order, "tenant")
    return made(_tenant_forms(head, named, more, tails, soon), order, "tenant")


def summarize(statuses: Iterable[AgentStatus], shared: Iterable[SharedProblem] = (),
              shared_fraction: float = 0.6) -> str:
    """The triage line's text (see :func:`triage`)."""
    return triage(statuses, shared, shared_fraction).text
