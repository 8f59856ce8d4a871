"""What ``catalyst-tui status --json`` reports: every tenant's health, the triage line, the index.

One builder for every face that reports health in JSON (the ``status`` command, the MCP server's
``tenant_health`` and ``triage`` tools), so an agent asking through MCP reads exactly what a
script reading ``status --json`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalyst_tui.core.board import IndexView
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.workspace import Workspace

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus, WorkspaceMonitor
    from catalyst_tui.core.health.verdict import Triage


@dataclass(frozen=True)
class StatusReport:
    workspace: Workspace
    window: str  # judged ([metrics] window)
    statuses: dict[str, AgentStatus]
    view: IndexView
    triage: Triage
    shown_window: str | None = None  # the figures shown (``--window``); never changes the verdict

    @property
    def unhealthy(self) -> list[AgentStatus]:
        """The affected tenants (one still waiting for its first heartbeat is not)."""
        return [s for s in self.statuses.values() if s.health.affected]

    def triage_json(self) -> dict[str, Any]:
        return self.triage.to_json()

    def to_json(self) -> dict[str, Any]:
        """The ``status --json`` document (docs/cli.md)."""
        return {
            "workspace": str(self.workspace.root),
            "window": self.window,
            "shown_window": self.shown_window or self.window,
            "healthy": not self.unhealthy,
            "affected": list(self.triage.affected),
            "waiting": list(self.triage.waiting),
            "triage": self.triage_json(),
            "index": {"seq": self.view.seq, "cards": len(self.view.cards), "fallback": self.view.fallback},
            "agents": [s.to_json() for s in self.statuses.values()],
        }


def status_report(ws: Workspace, monitor: WorkspaceMonitor | None = None, window: str | None = None) -> StatusReport:
    """Read every tenant's files (incrementally when ``monitor`` is reused) and the index.

    Tenants are judged on ``[metrics] window``; ``window`` picks only the figures shown."""
    from catalyst_tui.core.health import WINDOWS, triage

    monitor = monitor or ws.monitor()
    if window and window not in WINDOWS:
        raise CatalystError(f"unknown metrics window {window!r} (windows: {', '.join(WINDOWS)})")
    monitor.shown_window = window or None
    statuses = monitor.refresh_all()
    view = ws.board.load()
    tri = triage(statuses.values(), shared_fraction=ws.config.health.shared_fraction)
    return StatusReport(ws, monitor.window, statuses, view, tri, monitor.shown_window)
