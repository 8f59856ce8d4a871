"""The board (placeholder while the real board is built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from catalyst_tui.ui.screens.base import CatalystScreen


class BoardScreen(CatalystScreen):
    def compose_body(self) -> ComposeResult:
        yield Static(id="board-body")
