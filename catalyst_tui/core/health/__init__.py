"""Per-tenant health: the change feed (watch), the windowed figures (metrics), the monitor that
reads each agent's files incrementally, the triage and the Prometheus exporter.

A lazy face (core/faces.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.health.agent_status import AgentStatus
    from catalyst_tui.core.health.buckets import bin_of, bin_value, hist_percentile, percentile
    from catalyst_tui.core.health.exporter import CatalystCollector, MetricsServer, render
    from catalyst_tui.core.health.metrics import WINDOWS, DispatchStats
    from catalyst_tui.core.health.monitor import AgentMonitor, WorkspaceMonitor
    from catalyst_tui.core.health.reasons import NO_PEERS, Kind, Peers, Reason, fleet, ranked, wilson_lower
    from catalyst_tui.core.health.tail_seek import seek_since
    from catalyst_tui.core.health.verdict import SHARED_HINT, SharedProblem, Triage, TriageEntry, summarize, triage
    from catalyst_tui.core.health.watch import ChangeSet, WorkspaceWatcher, classify

_WHERE = {
    "AgentMonitor": "monitor",
    "AgentStatus": "agent_status",
    "CatalystCollector": "exporter",
    "ChangeSet": "watch",
    "DispatchStats": "metrics",
    "MetricsServer": "exporter",
    "SHARED_HINT": "verdict",
    "SharedProblem": "verdict",
    "WINDOWS": "metrics",
    "WorkspaceMonitor": "monitor",
    "WorkspaceWatcher": "watch",
    "bin_of": "buckets",
    "bin_value": "buckets",
    "classify": "watch",
    "hist_percentile": "buckets",
    "percentile": "buckets",
    "render": "exporter",
    "seek_since": "tail_seek",
    "summarize": "verdict",
    "triage": "verdict",
    "wilson_lower": "reasons",
    "Kind": "reasons",
    "NO_PEERS": "reasons",
    "Peers": "reasons",
    "Reason": "reasons",
    "fleet": "reasons",
    "ranked": "reasons",
    "Triage": "verdict",
    "TriageEntry": "verdict",
}
__all__ = [
    "NO_PEERS",
    "SHARED_HINT",
    "WINDOWS",
    "AgentMonitor",
    "AgentStatus",
    "CatalystCollector",
    "ChangeSet",
    "DispatchStats",
    "Kind",
    "MetricsServer",
    "Peers",
    "Reason",
    "SharedProblem",
    "Triage",
    "TriageEntry",
    "WorkspaceMonitor",
    "WorkspaceWatcher",
    "bin_of",
    "bin_value",
    "classify",
    "fleet",
    "hist_percentile",
    "percentile",
    "ranked",
    "render",
    "seek_since",
    "summarize",
    "triage",
    "wilson_lower",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
