"""Cards as the machine-readable faces show them: ``card list --json``, ``card show --json`` and the
MCP server's ``list_cards`` / ``show_card`` return these same documents (docs/cli.md)."""

from __future__ import annotations

from typing import Any

from catalyst_tui.core.board import board_order
from catalyst_tui.core.errors import CardError
from catalyst_tui.core.models import Card
from catalyst_tui.core.workspace import Workspace


def card_json(card: Card) -> dict[str, Any]:
    d = card.to_dict()
    d["refs"] = {k: v for k, v in d["refs"].items() if v is not None}
    return d


def list_cards(ws: Workspace, agent: str | None = None, column: str | None = None) -> dict[str, Any]:
    """Live cards in board order (lanes in config order, then columns, then ``order``)."""
    if agent:
        ws.agent(agent)  # a clear error for an unknown or invalid name
    cols = ws.config.board.columns
    if column and column not in cols:
        raise CardError(f"unknown column {column!r} (columns: {', '.join(cols)})")
    view = ws.board.load()
    cards = [c for c in view.cards.values() if not c.archived
             and (not agent or c.agent == agent) and (not column or c.column == column)]
    cards.sort(key=board_order(cols, ws.config.agent_names))
    return {"cards": [card_json(c) for c in cards], "seq": view.seq, "fallback": view.fallback}


def show_card(ws: Workspace, card_id: str) -> dict[str, Any]:
    """One card, its body (``None`` when the file is missing) and its history from the journal."""
    card = ws.board.get(card_id)
    body = None
    if card.refs.body:
        try:
            body = (ws.root / card.refs.body).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            body = None
    history = ws.board.history(card.id)
    return {"card": card_json(card), "body": body,
            "history": [{"ts": e.ts, "by": e.by, "action": e.action, "from": e.src, "to": e.dst} for e in history]}
