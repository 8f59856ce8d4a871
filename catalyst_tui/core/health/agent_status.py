"""What the monitor says of one agent at one moment: :class:`AgentStatus`.

Health, the ranked reasons, the figures judged and the ones shown, the process and the state
file as read. Built by ``monitor.AgentMonitor.status``; read by the screens, the triage line,
the exporter and ``status --json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalyst_tui.core.health.metrics import Figures
from catalyst_tui.core.health.reasons import NO_PEERS, Peers, Reason
from catalyst_tui.core.jsonl import ParseError
from catalyst_tui.core.models import AgentState, Health
from catalyst_tui.core.procs import ProcInfo


@dataclass
class AgentStatus:
    name: str
    health: Health
    findings: list[Reason]  # ranked: most severe, then strongest evidence, first
    state: AgentState | None
    figures: Figures  # the judged window ([metrics] window): the verdict never depends on a display toggle
    parse_errors: int
    recent_parse_errors: list[ParseError]
    heartbeat_age_s: float | None
    proc: ProcInfo | None = None
    disk_bytes: int | None = None
    checked: float = 0.0
    series: tuple[list[float], list[float]] | None = None  # sparklines of `view`: mean latency, errors per bucket
    shown: Figures | None = None  # the window the operator chose to look at (None: the judged one)
    peers: Peers = NO_PEERS

    @property
    def reasons(self) -> list[str]:
        """The reasons' texts, strongest first."""
        return [r.text for r in self.findings]

    @property
    def headline(self) -> str:
        """The strongest reason, for the triage line."""
        return self.findings[0].text if self.findings else self.health.value

    @property
    def view(self) -> Figures:
        """What a panel shows: the operator's window when one was chosen."""
        return self.shown or self.figures

    def to_json(self) -> dict[str, object]:
        return {
            "agent": self.name,
            "health": self.health.value,
            "reasons": self.reasons,
            "findings": [r.to_json() for r in self.findings],
            "peers": self.peers.to_json(),
            "parse_errors": self.parse_errors,
            "recent_parse_errors": [str(e) for e in self.recent_parse_errors],
            "heartbeat_age_s": None if self.heartbeat_age_s is None else round(self.heartbeat_age_s, 3),
            "pid": self.state.pid if self.state else None,
            "current_card": self.state.current_card if self.state else None,
            "status": self.state.status if self.state else None,
            "process": self.proc.to_json() if self.proc else None,
            "disk_bytes": self.disk_bytes,
            "figures": self.figures.to_json(),
        }
