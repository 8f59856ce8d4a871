"""Cards as the machine-readable faces show them: ``card list --json``, ``card show --json`` and the
MCP server's ``list_cards`` / ``show_card`` return these same documents (docs/cli.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from catalyst_tui.core import storage
from catalyst_tui.core.board import board_order
from catalyst_tui.core.errors import CardError
from catalyst_tui.core.models import Card
from catalyst_tui.core.workspace import Workspace


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
    """One card, its body (``None`` when the file is missing) and its history from the journal."""
    card, archived = ws.board.find(card_id)
    body = None
    if card.refs.body:
        try:  # a path from data: under the root, no symlink, no '..', capped, never a FIFO
            body = storage.read_under(ws.root, card.refs.body, "body").decode("utf-8", errors="replace")
        except FileNotFoundError:
            body = None
    history = ws.board.history(card.id)
    return {"card": card_json(card, archived), "body": body,
            "history": [{"ts": e.ts, "by": e.by, "action": e.action, "from": e.src, "to": e.dst} for e in history]}
