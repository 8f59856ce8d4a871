"""What the janitor flagged (or, after a preview, would do), each with its agent.

File names and reasons are untrusted: rendered as ``Text`` with control characters shown.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from catalyst_tui.ui.board_model import printable


class JanitorItems(DataTable[Text]):
    DEFAULT_CSS = """
    JanitorItems { height: 1fr; border-top: solid $panel; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.rows_shown: list[tuple[str, str, str]] = []

    def on_mount(self) -> None:
        for col in ("agent", "item", "why"):
            self.add_column(col, key=col)

    def show(self, title: str, items: list[dict[str, Any]]) -> None:
        rows = [(str(i.get("agent") or "(shared)"), str(i.get("what", "")), str(i.get("why", ""))) for i in items]
        self.border_title = title
        if rows == self.rows_shown:
            return
        self.clear()
        for agent, what, why in rows:
            self.add_row(Text(printable(agent)), Text(printable(what)), Text(printable(why)))
        self.rows_shown = rows
