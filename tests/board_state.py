"""The board as the Pilot tests read it: a card as stored on disk now, and the card in focus."""

from __future__ import annotations

from typing import Any

from catalyst_tui.core.models import Card
from catalyst_tui.core.workspace import Workspace


def stored(ws: Workspace, title: str) -> Card:
    """The card as it is on disk now (a fresh read of index.json)."""
    matches = [c for c in ws.board.load().cards.values() if c.title == title]
    assert len(matches) == 1, matches
    return matches[0]


def where(ws: Workspace, title: str) -> tuple[str, str]:
    c = stored(ws, title)
    return c.agent, c.column


def focused(app: Any) -> Card | None:
    return app.screen.view.focused_card()

