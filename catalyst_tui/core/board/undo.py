"""Undo and redo as data: which action is next, what reverses it, and the words for it.

An actor's (or a session's) undoable actions are moves (reassignments included), title edits,
archives and restores. Undo and redo events refer (``ref``) to the action they reverse or
repeat and say what they did (``effect``), so the stacks are rebuilt from the journal alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from catalyst_tui.core.models import AuditEvent

UNDOABLE = frozenset({"move", "edit", "archive", "restore"})
ARCHIVE = "archive"


def stacks(events: Iterable[AuditEvent]) -> tuple[list[AuditEvent], list[AuditEvent]]:
    """Actions that can be undone (last = next), and undone ones that can be redone."""
    done: list[AuditEvent] = []
    undone: list[AuditEvent] = []
    for ev in events:
        if ev.action in UNDOABLE:
            done.append(ev)
            undone.clear()
        elif ev.action == "undo" and ev.ref and done and done[-1].id == ev.ref:
            undone.append(done.pop())
        elif ev.action == "redo" and ev.ref and undone and undone[-1].id == ev.ref:
            done.append(undone.pop())
    return done, undone


class Step(msgspec.Struct, frozen=True):
    """What reversing (or repeating) one action means: the card must be ``expect``; it becomes ``then``.

    ``expect``/``then`` are ``{"agent", "column"}`` places, or ``ARCHIVE``; ``title`` steps change a
    title from ``expect_title`` to ``then_title``.
    """

    effect: str  # move | edit | archive | restore
    expect: dict[str, str] | str | None
    then: dict[str, str] | str | None
    expect_title: str | None = None
    then_title: str | None = None


def step_for(ev: AuditEvent, action: str) -> Step:
    """The step that undoes (``action="undo"``) or redoes ``ev``."""
    fwd = action == "redo"
    if ev.action == "move":
        return Step("move", ev.src if fwd else ev.dst, ev.dst if fwd else ev.src)
    if ev.action == "edit":
        old = ev.old_title if ev.old_title is not None else _legacy_old_title(ev)
        return Step("edit", None, None, old if fwd else ev.title, ev.title if fwd else old)
    if ev.action == "archive":
        return Step("archive", ev.src, ARCHIVE) if fwd else Step("restore", ARCHIVE, ev.src)
    if ev.action == "restore":
        return Step("restore", ARCHIVE, ev.dst) if fwd else Step("archive", ev.dst, ARCHIVE)
    raise ValueError(f"{ev.action} cannot be undone")


def _legacy_old_title(ev: AuditEvent) -> str | None:
    prefix = "title was: "
    return ev.detail[len(prefix):] if ev.detail and ev.detail.startswith(prefix) else None


def _place(where: dict[str, str] | None) -> str:
    return f"{where['agent']}/{where['column']}" if where else "?"


def describe(ev: AuditEvent, title: str | None = None) -> str:
    """One plain line: what an event did — card, title, tenant(s), from -> to. Not escaped:
    each face escapes it (the title is untrusted)."""
    effect = ev.effect or ev.action
    title = title if title is not None else ev.title
    name = f"{ev.card} \u201c{title}\u201d" if title else ev.card
    if effect == "edit":
        what = f"{ev.card}: title \u201c{ev.old_title}\u201d \u2192 \u201c{ev.title}\u201d"
    elif effect == "archive":
        what = f"{name}: {_place(ev.src)} \u2192 archive"
    elif effect == "restore":
        what = f"{name}: archive \u2192 {_place(ev.dst)}"
    else:
        what = f"{name}: {_place(ev.src)} \u2192 {_place(ev.dst)}"
    return f"{ev.action}: {what}" if ev.action in ("undo", "redo") else what
