"""Core data models.

* Hot path (dispatch records, read by the million): ``msgspec`` Structs, decoded straight
  from bytes (see docs/performance.md for the measurement behind the choice).
* Records and cards hold only scalars, strings and tuples, so they can never be part of a
  reference cycle: they are ``gc=False`` Structs, invisible to the cyclic garbage collector (a
  board of 4,500 cards no longer lengthens every full collection; docs/performance.md).
* Edges: the index and state files are validated by msgspec on decode (type and range checks,
  errors naming the field); ``catalyst.toml`` and themes by msgspec too (core/schema.py).
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec


class Health(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    QUARANTINED = "quarantined"
    OFFLINE = "offline"
    WAITING = "waiting"  # no state.json yet, within [health] startup_grace_s of being created

    @property
    def rank(self) -> int:
        """Severity, the one order (triage lists, alerts, "turned worse"): 0 is the worst.

        Quarantined first: its writes are refused, so it loses work until someone acts;
        offline next (nothing runs), then degraded (slow or failing), then waiting (no
        state.json yet, within the start-up grace: not affected), then ok.
        """
        return _HEALTH_RANK[self]

    def worse_than(self, other: Health) -> bool:
        return self.rank < other.rank

    @property
    def affected(self) -> bool:
        """Counts as an affected tenant (a tenant still starting up does not)."""
        return self.rank < _HEALTH_RANK[Health.WAITING]

    @property
    def glyph(self) -> str:
        """A shape per state, so the meaning survives without colour (NO_COLOR, monochrome)."""
        return _HEALTH_GLYPH[self]

    @property
    def badge(self) -> str:
        """Glyph and word: ``▲ degraded``."""
        return f"{_HEALTH_GLYPH[self]} {self.value}"


_HEALTH_RANK = {Health.QUARANTINED: 0, Health.OFFLINE: 1, Health.DEGRADED: 2, Health.WAITING: 3, Health.OK: 4}
_HEALTH_GLYPH = {Health.QUARANTINED: "■", Health.OFFLINE: "○", Health.DEGRADED: "▲", Health.WAITING: "◌",
                 Health.OK: "●"}


class DispatchRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One line of ``agents/<name>/dispatch.jsonl``.

    ``event`` is ``enqueued``, ``started`` or ``finished``; a finished record carries
    ``status`` (``ok`` / ``error``) and ``latency_ms``. ``id`` ties the three together.
    """

    ts: float
    id: str
    event: Literal["enqueued", "started", "finished", "abandoned"]  # abandoned: marked by the janitor
    agent: str | None = None
    status: Literal["ok", "error"] | None = None
    latency_ms: float | None = None
    card: str | None = None
    error: str | None = None


DISPATCH_DECODER = msgspec.json.Decoder(DispatchRecord)


def decode_dispatch(raw: bytes) -> DispatchRecord:
    return DISPATCH_DECODER.decode(raw)


class WorkRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One line of ``worklog.jsonl`` (and of the chat archive)."""

    ts: float
    text: str
    card: str | None = None
    kind: str = "log"


WORK_DECODER = msgspec.json.Decoder(WorkRecord)


def decode_work(raw: bytes) -> WorkRecord:
    return WORK_DECODER.decode(raw)


class AgentState(msgspec.Struct, kw_only=True):
    """``agents/<name>/state.json``: written only by its agent (or the simulator).

    Unknown keys an agent adds are ignored when read (and not written back by us).
    """

    agent: str
    status: Literal["running", "idle", "stopped"] = "idle"
    pid: Annotated[int, msgspec.Meta(ge=1)] | None = None
    pid_start: float | None = None  # psutil create_time() of pid: guards against pid reuse
    host: str | None = None
    heartbeat: float | None = None
    current_card: str | None = None
    updated: float = msgspec.field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


class CardRefs(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    body: str | None = None
    log: str | None = None


class Card(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One entry of the shared index (content lives in the agent's own files).

    Frozen: a change makes a new Card (``msgspec.structs.replace``), so index views handed
    to readers never change under them.
    """

    id: str
    agent: str
    column: str
    order: float
    title: str
    created: float
    moved: float
    flags: tuple[str, ...] = ()
    refs: CardRefs = msgspec.field(default_factory=CardRefs)
    archived: bool = False

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One line of ``board/audit.jsonl``: who moved what, when, from where to where.

    ``abort`` (written by the next writer, ``seq`` only) voids the events of a transaction that
    was journaled but whose index write never happened (a writer killed in between).
    """

    id: str
    ts: float
    by: str
    action: Literal["add", "move", "edit", "archive", "restore", "undo", "redo", "flag", "abort"]
    card: str  # "" for an abort
    src: dict[str, str] | None = None  # {"agent": ..., "column": ...}
    dst: dict[str, str] | None = None
    ref: str | None = None  # the event an undo/redo refers to
    detail: str | None = None
    title: str | None = None  # the card's title after an add / edit / restore (lets the index be rebuilt)
    old_title: str | None = None  # an edit's title before it (an undone edit puts it back)
    effect: str | None = None  # what an undo/redo did: move, edit, archive or restore
    seq: int | None = None  # the index version this event is part of (None: written by 0.1)
    session: str | None = None  # the dashboard or CLI invocation that did it (None: written by 0.1)


AUDIT_DECODER = msgspec.json.Decoder(AuditEvent)


def decode_audit(raw: bytes) -> AuditEvent:
    return AUDIT_DECODER.decode(raw)
