"""What the runtime tells its subscribers (the dashboard, the daemon's log, notifications).

Events are posted from the runtime's threads, in order per source. A subscriber must be
quick and thread-safe (the dashboard's ``post_message`` is); one that raises is logged and
kept, and never stops the others or the runtime.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from catalyst_tui.core.runtime.state import JobState, RuntimeState

if TYPE_CHECKING:
    from catalyst_tui.core.config import WorkspaceConfig
    from catalyst_tui.core.health import AgentStatus, SharedProblem
    from catalyst_tui.core.ports import PortsReport

log = logging.getLogger("catalyst_tui.runtime")


class AgentsUpdated(msgspec.Struct, frozen=True):
    """Fresh statuses of some agents (only those whose files were read, or whose verdict moved)."""

    statuses: dict[str, AgentStatus]


class HealthChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant's health moved (``ok`` -> ``degraded``, ``offline`` -> ``ok``, ...).

    Raised only on a change after the first reading of the agent (starting up is no alarm).
    ``worse`` tells a turn for the worse from a recovery. This is the alerting hook.
    """

    agent: str
    health: str
    was: str
    reason: str
    worse: bool
    ts: float


class IndexChanged(msgspec.Struct, frozen=True):
    """The board's index (or audit journal) changed on disk: re-read it."""


class PortsScanned(msgspec.Struct, frozen=True):
    """A port scan finished: the report, or why PORTS.md could not be read."""

    report: PortsReport | None
    error: str | None = None


class SharedProblemsChanged(msgspec.Struct, frozen=True):
    """The shared-layer problems reported by ``source`` (``janitor``, ``snapshot``, ``watch``...)."""

    source: str
    problems: list[SharedProblem]


class JobChanged(msgspec.Struct, frozen=True):
    """A job started, progressed or finished (``job`` is a copy of its state)."""

    job: JobState


class StateChanged(msgspec.Struct, frozen=True):
    """The runtime's published state as a whole: the holder's own, or what a viewer read."""

    state: RuntimeState | None
    role: str  # "holder" / "viewer"
    holder: str | None  # "daemon pid 4242", None when nobody holds the workspace


class ConfigReloaded(msgspec.Struct, frozen=True):
    """``catalyst.toml`` was re-read: ``config`` now runs (restart keys keep their old value)."""

    config: WorkspaceConfig
    restart_needed: list[str]
    error: str | None = None


class WatchModeChanged(msgspec.Struct, frozen=True):
    mode: str  # "watching" / "polling"
    reason: str | None


RuntimeEvent = (AgentsUpdated | HealthChanged | IndexChanged | PortsScanned | SharedProblemsChanged | JobChanged
                | StateChanged | ConfigReloaded | WatchModeChanged)
Listener = Callable[[Any], None]


class EventHub:
    """Subscribers and delivery; ``holder_only`` listeners hear nothing while this is a viewer."""

    def __init__(self, is_holder: Callable[[], bool]) -> None:
        self._listeners: list[tuple[Listener, bool, tuple[type, ...] | None]] = []
        self._lock = threading.Lock()
        self._is_holder = is_holder

    def subscribe(self, listener: Listener, *, holder_only: bool = False,
                  kinds: tuple[type, ...] | None = None) -> Callable[[], None]:
        entry = (listener, holder_only, kinds)
        with self._lock:
            self._listeners = [*self._listeners, entry]

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = [e for e in self._listeners if e is not entry]

        return unsubscribe

    def emit(self, event: object) -> None:
        holder = self._is_holder()
        for listener, holder_only, kinds in self._listeners:  # a copy: subscribing mid-emit is safe
            if (holder_only and not holder) or (kinds is not None and not isinstance(event, kinds)):
                continue
            try:
                listener(event)
            except Exception:  # one broken subscriber must not stop the runtime or the others
                log.exception("runtime subscriber %r failed on %s", listener, type(event).__name__)
