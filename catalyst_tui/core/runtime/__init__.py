"""The headless runtime: the one owner of a workspace's background jobs.

One :class:`Runtime` per process and workspace. Exactly one process per workspace *holds* it
(``.catalyst/runtime.lock``: pid + start time + host) and runs the duties (the janitor's and
the snapshot's schedules, the exporter), publishing ``.catalyst/runtime.json`` atomically; every
other process is a *viewer*: it runs only the read-only feeds it needs to draw (change feed,
health, port scan) and shows the holder's state. The dashboard, ``catalyst-tui daemon`` and web
sessions are its faces (docs/runtime.md)::

    rt = Runtime(ws, kind="daemon", role="holder", log=app_log).start()   # RoleError if held
    rt = Runtime(ws, role="viewer")            # never takes the lock, never writes
    rt.runs_jobs_text()                        # "runs in daemon pid 4242"

Subscribing (notifications, the dashboard, the web viewer)::

    unsubscribe = rt.subscribe(listener)                              # every event
    rt.subscribe(send_webhook, kinds=(HealthChanged,), holder_only=True)

``listener(event)`` is called on a runtime thread, in order per source; it must be quick and
thread-safe, and an exception in it is logged and ignored. ``holder_only=True`` delivers only
while this process runs the jobs, so a notification goes out once per workspace, not once per
open dashboard (a viewer that takes over starts hearing them). Events (``events.py``):
:class:`HealthChanged` (a tenant's health moved: agent, health, was, reason, worse, ts; the
alerting hook), :class:`AgentsUpdated`, :class:`IndexChanged`, :class:`PortsScanned`,
:class:`SharedProblemsChanged`, :class:`JobChanged` (a job's :class:`JobState`, with the typed
:class:`JanitorSummary` / :class:`SnapshotSummary` of its last run), :class:`StateChanged`,
:class:`ConfigReloaded`, :class:`WatchModeChanged`.

Inside: ``runtime.py`` (life, lock, live configuration, publishing) with its two parts
``agents_feed.py`` (change feed, health reads and sweeps, transitions) and ``follow.py`` (a
viewer following the holder, takeover); ``scheduler.py``, ``jobs.py``, ``lock.py``,
``state.py``, ``events.py``, ``liveconfig.py``, ``alerting.py``. A lazy face (core/faces.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.runtime.events import (
        AgentsUpdated,
        ConfigReloaded,
        HealthChanged,
        IndexChanged,
        JobChanged,
        PortsScanned,
        RuntimeEvent,
        SharedProblemsChanged,
        StateChanged,
        WatchModeChanged,
    )
    from catalyst_tui.core.runtime.follow import DUTIES
    from catalyst_tui.core.runtime.liveconfig import RESTART_KEYS
    from catalyst_tui.core.runtime.lock import Holder, RuntimeLock
    from catalyst_tui.core.runtime.runtime import RoleError, Runtime
    from catalyst_tui.core.runtime.state import (
        FlaggedItem,
        JanitorSummary,
        JobError,
        JobState,
        PortsSummary,
        RuntimeState,
        SnapshotSummary,
    )

_WHERE = {
    "AgentsUpdated": "events",
    "ConfigReloaded": "events",
    "DUTIES": "follow",
    "FlaggedItem": "state",
    "HealthChanged": "events",
    "Holder": "lock",
    "IndexChanged": "events",
    "JanitorSummary": "state",
    "JobChanged": "events",
    "JobError": "state",
    "JobState": "state",
    "PortsScanned": "events",
    "PortsSummary": "state",
    "RESTART_KEYS": "liveconfig",
    "RoleError": "runtime",
    "Runtime": "runtime",
    "RuntimeEvent": "events",
    "RuntimeLock": "lock",
    "RuntimeState": "state",
    "SharedProblemsChanged": "events",
    "SnapshotSummary": "state",
    "StateChanged": "events",
    "WatchModeChanged": "events",
}
__all__ = [
    "DUTIES",
    "RESTART_KEYS",
    "AgentsUpdated",
    "ConfigReloaded",
    "FlaggedItem",
    "HealthChanged",
    "Holder",
    "IndexChanged",
    "JanitorSummary",
    "JobChanged",
    "JobError",
    "JobState",
    "PortsScanned",
    "PortsSummary",
    "RoleError",
    "Runtime",
    "RuntimeEvent",
    "RuntimeLock",
    "RuntimeState",
    "SharedProblemsChanged",
    "SnapshotSummary",
    "StateChanged",
    "WatchModeChanged",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
