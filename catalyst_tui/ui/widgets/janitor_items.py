"""What the janitor flagged (or, after a preview, would do), each with its agent.

File names and reasons are untrusted: rendered as ``Text`` with control characters shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from catalyst_tui.core.text import visible

ITEM_COLUMNS = ("agent", "item", "why")


class JanitorItems(DataTable[Text]):
    DEFAULT_CSS = """
    JanitorItems { height: 1fr; border-top: solid $panel; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.rows_shown: list[tuple[str, ...]] = []
        self.columns_shown: tuple[str, ...] = ()

    def on_mount(self) -> None:
        self._set_columns(ITEM_COLUMNS)

    def _set_columns(self, columns: tuple[str, ...]) -> None:
        self.clear(columns=True)
        for col in columns:
            self.add_column(col, key=col)
        self.columns_shown = columns
        self.rows_shown = []

    def show(self, title: str, items: list[dict[str, Any]]) -> None:
        """Rows of ``{"agent", "what", "why"}``: what a run flagged / would do."""
        rows = [(str(i.get("agent") or "(shared)"), str(i.get("what", "")), str(i.get("why", ""))) for i in items]
        self.show_rows(title, ITEM_COLUMNS, rows)

    def show_rows(self, title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        self.border_title = Text(visible(title))  # a run id read back from a report file: no markup, no controls
        if columns != self.columns_shown:
            self._set_columns(columns)
        if list(rows) == self.rows_shown:
            return  # unchanged: no redraw
        self.clear()
        for row in rows:
            self.add_row(*(Text(visible(c)) for c in row))
        self.rows_shown = list(rows)
