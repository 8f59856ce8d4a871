"""Cards as every face shows them: ``card list`` / ``card show`` (and their ``--json``), the MCP
server's ``list_cards`` / ``show_card`` and the dashboard's card details read them here (docs/cli.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.board import Board, board_order
from catalyst_tui.core.errors import CardError, os_error_text
from catalyst_tui.core.models import AuditEvent, Card, WorkRecord, decode_work
from catalyst_tui.core.workspace import Workspace

WORKLOG_TAIL_BYTES = 64 * 1024  # the card's lines are looked for in the work log's last 64 KiB
WORKLOG_TAIL_LINES = 15


@dataclass
class CardDetails:
    """One card with what its files say: the body, its moves, its agent's latest work-log lines."""

    card: Card
    archived: bool = False  # in its agent's archive, not in the index
    body: str | None = None  # None: the card has no body file, or it is missing
    history: list[AuditEvent] = field(default_factory=list)
    worklog: list[WorkRecord] = field(default_factory=list)  # oldest first
    problems: list[str] = field(default_factory=list)  # one line each: unreadable body, bad log lines


def card_details(board: Board, card: Card, archived: bool = False, *, strict: bool = False) -> CardDetails:
    """Read a card's body, history and work-log tail. A file that cannot be read (refused: outside
    the workspace, a link, a FIFO) is a problem line, or, with ``strict`` (``card show``: exit 1),
    the error itself."""
    det = CardDetails(card, archived)
    if card.refs.body:
        try:
            det.body = storage.read_under(board.root, card.refs.body, "body").decode("utf-8", errors="replace")
        except FileNotFoundError:
            det.body = None
        except OSError as exc:
            if strict:
                raise
            det.problems.append(os_error_text(exc) if exc.filename else f"{card.refs.body}: {exc}")
    det.history = board.history(card.id)
    if card.refs.log:
        try:
            records, bad = _worklog_tail(board.root, card.refs.log)
        except FileNotFoundError:
            records, bad = [], 0
        except OSError as exc:
            if strict:
                raise
            records, bad = [], 0
            det.problems.append(os_error_text(exc) if exc.filename else f"{card.refs.log}: {exc}")
        det.worklog = [r for r in records if r.card == card.id][-WORKLOG_TAIL_LINES:]
        if bad:
            det.problems.append(f"{card.refs.log}: {bad} unreadable line(s) in the tail")
    return det


def _worklog_tail(root: Path, rel: str) -> tuple[list[WorkRecord], int]:
    """The whole lines of the log's last :data:`WORKLOG_TAIL_BYTES` and how many did not decode.

    The path comes from data: opened under the root (no symlink, never blocking on a FIFO)."""
    with storage.open_under(root, rel) as (fd, st):
        data = os.pread(fd, WORKLOG_TAIL_BYTES, max(0, st.st_size - WORKLOG_TAIL_BYTES))
    lines = data.split(b"\n")
    if st.st_size > WORKLOG_TAIL_BYTES:
        lines = lines[1:]  # the first line is probably cut
    records, bad = [], 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            records.append(decode_work(raw))
        except (msgspec.DecodeError, msgspec.ValidationError):
            bad += 1
    return records, bad


def card_json(card: Card, archived: bool = False) -> dict[str, Any]:
    d = card.to_dict()
    d["archived"] = archived  # in its agent's archive, not in the index
    d["refs"] = {k: v for k, v in d["refs"].items() if v is not None}
    return d


def list_cards(ws: Workspace, agent: str | None = None, column: str | None = None,
               archived: bool = False) -> dict[str, Any]:
    """Live cards in board order (lanes in config order, then columns, then ``order``); with
    ``archived``, the archived ones after them (read from the lanes' archives; unreadable
    lines are listed in ``problems``)."""
    if agent:
        ws.agent(agent)  # a clear error for an unknown or invalid name
    cols = ws.config.board.columns
    if column and column not in cols:
        raise CardError(f"unknown column {column!r} (columns: {', '.join(cols)})")
    view = ws.board.load()
    key = board_order(cols, ws.config.agent_names)

    def chosen(cards: Iterable[Card]) -> list[Card]:
        return sorted((c for c in cards if (not agent or c.agent == agent) and (not column or c.column == column)),
                      key=key)

    doc: dict[str, Any] = {"cards": [card_json(c) for c in chosen(view.cards.values())], "seq": view.seq,
                           "fallback": view.fallback}
    if archived:
        found = ws.board.archived([agent] if agent else None)
        doc["cards"] += [card_json(c, True) for c in chosen(rec.card for rec in found.cards.values())]
        doc["problems"] = [*found.unreadable, *(str(p) for p in found.problems)]
    return doc


def show_card(ws: Workspace, card_id: str) -> dict[str, Any]:
    """One card, its body (``None`` when the file is missing), its history from the journal and
    its latest work-log lines (:func:`card_details`, as the dashboard shows them)."""
    card, archived = ws.board.find(card_id)
    det = card_details(ws.board, card, archived, strict=True)
    return {"card": card_json(card, archived), "body": det.body,
            "history": [{"ts": e.ts, "by": e.by, "action": e.action, "from": e.src, "to": e.dst} for e in det.history],
            "worklog": [{"ts": r.ts, "text": r.text, "kind": r.kind} for r in det.worklog],
            "problems": det.problems}
