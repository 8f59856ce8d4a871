"""Per-tenant health: the change feed (watch), the windowed figures (metrics), the monitor that
reads each agent's files incrementally, the triage and the Prometheus exporter.

This face is lazy (as Textual's ``widgets`` package): a name is imported from its module on
first use, so importing one part does not load the others (the dashboard's first frame needs
few of them)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalyst_tui.core.health.exporter import CatalystCollector, MetricsServer, render
    from catalyst_tui.core.health.metrics import WINDOWS, DispatchStats, bin_of, bin_value, hist_percentile, percentile
    from catalyst_tui.core.health.monitor import AgentMonitor, AgentStatus, WorkspaceMonitor, seek_since, wilson_lower
    from catalyst_tui.core.health.verdict import SHARED_HINT, SharedProblem, reason_kind, summarize, triage
    from catalyst_tui.core.health.watch import ChangeSet, WorkspaceWatcher, classify

_WHERE = {
    "AgentMonitor": "monitor",
    "AgentStatus": "monitor",
    "CatalystCollector": "exporter",
    "ChangeSet": "watch",
    "DispatchStats": "metrics",
    "MetricsServer": "exporter",
    "SHARED_HINT": "verdict",
    "SharedProblem": "verdict",
    "WINDOWS": "metrics",
    "WorkspaceMonitor": "monitor",
    "WorkspaceWatcher": "watch",
    "bin_of": "metrics",
    "bin_value": "metrics",
    "classify": "watch",
    "hist_percentile": "metrics",
    "percentile": "metrics",
    "reason_kind": "verdict",
    "render": "exporter",
    "seek_since": "monitor",
    "summarize": "verdict",
    "triage": "verdict",
    "wilson_lower": "monitor",
}
__all__ = [
    "SHARED_HINT",
    "WINDOWS",
    "AgentMonitor",
    "AgentStatus",
    "CatalystCollector",
    "ChangeSet",
    "DispatchStats",
    "MetricsServer",
    "SharedProblem",
    "WorkspaceMonitor",
    "WorkspaceWatcher",
    "bin_of",
    "bin_value",
    "classify",
    "hist_percentile",
    "percentile",
    "reason_kind",
    "render",
    "seek_since",
    "summarize",
    "triage",
    "wilson_lower",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
