"""Per-agent health: ok / degraded / quarantined / offline, with the reasons.

A :class:`WorkspaceMonitor` keeps one :class:`AgentMonitor` per agent. Each reads its own
agent's files incrementally (saved offsets), so refreshing one agent never touches another,
and bad data in one agent's files only ever affects that agent.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from catalyst_tui.core.agents import AgentPaths, read_state
from catalyst_tui.core.config import HealthConfig, WorkspaceConfig
from catalyst_tui.core.humanize import age, duration_ms
from catalyst_tui.core.jsonl import JsonlTail, ParseError
from catalyst_tui.core.metrics import DispatchStats, Figures
from catalyst_tui.core.models import AgentState, Health, decode_dispatch, decode_work
from catalyst_tui.core.procs import owner_liveness

KEEP_ERRORS = 20
TORN_GRACE_S = 2.0  # an unterminated last line older than this is reported (a writer is never that slow)


@dataclass
class AgentStatus:
    name: str
    health: Health
    reasons: list[str]
    state: AgentState | None
    figures: Figures
    parse_errors: int
    recent_parse_errors: list[ParseError]
    heartbeat_age_s: float | None

    def to_json(self) -> dict[str, object]:
        f = self.figures
        return {
            "agent": self.name,
            "health": self.health.value,
            "reasons": self.reasons,
            "parse_errors": self.parse_errors,
            "recent_parse_errors": [str(e) for e in self.recent_parse_errors],
            "heartbeat_age_s": None if self.heartbeat_age_s is None else round(self.heartbeat_age_s, 3),
            "pid": self.state.pid if self.state else None,
            "current_card": self.state.current_card if self.state else None,
            "status": self.state.status if self.state else None,
            "figures": {
                "records": f.records, "finished": f.finished, "errors": f.errors,
                "error_rate": round(f.error_rate, 4), "queue_depth": f.queue_depth,
                "p50_ms": f.p50_ms, "p95_ms": f.p95_ms, "p99_ms": f.p99_ms,
            },
        }


@dataclass
class AgentMonitor:
    paths: AgentPaths
    thresholds: HealthConfig
    stats: DispatchStats = field(default_factory=DispatchStats)
    parse_errors: int = 0
    recent_errors: deque[ParseError] = field(default_factory=lambda: deque(maxlen=KEEP_ERRORS))

    def __post_init__(self) -> None:
        rel = f"agents/{self.paths.name}"
        self.dispatch_tail = JsonlTail(self.paths.dispatch, decode_dispatch, label=f"{rel}/dispatch.jsonl")
        self.worklog_tail = JsonlTail(self.paths.worklog, decode_work, label=f"{rel}/worklog.jsonl")

    def _note(self, errors: list[ParseError]) -> None:
        self.parse_errors += len(errors)
        self.recent_errors.extend(errors)

    def read_logs(self) -> int:
        """Read what was appended since last time; returns the number of new records."""
        resets = self.dispatch_tail.resets
        records, errors = self.dispatch_tail.read_new()
        if self.dispatch_tail.resets != resets:
            self.stats = DispatchStats()  # truncated or rotated: figures restart from the new file
        for rec in records:
            self.stats.observe(rec)
        self._note(errors)
        work, werrors = self.worklog_tail.read_new()
        self._note(werrors)
        return len(records) + len(work)

    def status(self, now: float | None = None) -> AgentStatus:
        now = time.time() if now is None else now
        read = read_state(self.paths)
        figures = self.stats.figures()
        reasons: list[str] = []
        hb_age = None
        if read.problem:
            health, reasons = Health.QUARANTINED, [read.problem]
        elif read.missing or read.state is None:
            health, reasons = Health.OFFLINE, ["no state.json"]
        else:
            st = read.state
            health = Health.OK
            hb_age = None if st.heartbeat is None else now - st.heartbeat
            live = owner_liveness(st.pid, st.pid_start, st.host) if st.pid else None
            t = self.thresholds
            if st.status == "stopped":
                health, reasons = Health.OFFLINE, ["stopped"]
            elif live is not None and not live.alive:
                health, reasons = Health.OFFLINE, [live.reason]
            elif hb_age is not None and hb_age > t.heartbeat_offline_s:
                health, reasons = Health.OFFLINE, [f"heartbeat lost {age(hb_age)}"]
            else:
                if hb_age is not None and hb_age > t.heartbeat_stale_s:
                    reasons.append(f"heartbeat stale {age(hb_age)}")
                if figures.p95_ms is not None and figures.p95_ms > t.p95_abs_ms:
                    reasons.append(f"p95 {duration_ms(figures.p95_ms)}")
                if figures.finished and figures.error_rate > t.error_rate:
                    reasons.append(f"errors {figures.error_rate:.0%}")
                if figures.queue_depth > t.queue_depth:
                    reasons.append(f"queue {figures.queue_depth}")
                if reasons:
                    health = Health.DEGRADED
            torn = [t for t in (self.dispatch_tail.torn_tail(TORN_GRACE_S),
                                self.worklog_tail.torn_tail(TORN_GRACE_S)) if t is not None]
            problems = [str(t) for t in torn] + [u for u in (self.dispatch_tail.unreadable,
                                                             self.worklog_tail.unreadable) if u]
            for t in problems:
                reasons.append(t)
                if health is Health.OK:
                    health = Health.DEGRADED
            if health is not Health.QUARANTINED and self.parse_errors:
                first = self.recent_errors[-1] if self.recent_errors else None
                reasons.append(f"{self.parse_errors} bad line(s), last {first}" if first else "bad lines")
                if health is Health.OK:
                    health = Health.DEGRADED
        return AgentStatus(self.paths.name, health, reasons, read.state, figures, self.parse_errors,
                           list(self.recent_errors), hb_age)


@dataclass
class WorkspaceMonitor:
    root: Path
    config: WorkspaceConfig
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.agents = {a.name: AgentMonitor(AgentPaths(self.root, a.name), self.config.health)
                       for a in self.config.agents}

    def refresh(self, name: str) -> AgentStatus:
        mon = self.agents[name]
        mon.read_logs()
        return mon.status(self.clock())

    def refresh_all(self) -> dict[str, AgentStatus]:
        return {name: self.refresh(name) for name in self.agents}
