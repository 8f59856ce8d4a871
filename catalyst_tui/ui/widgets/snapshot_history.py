"""The hub's push history (newest first): age, id, seq, size, files, objects sent."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from catalyst_tui.core.humanize import age, size
from catalyst_tui.core.text import visible

COLUMNS = (("age", "age"), ("id", "id"), ("seq", "seq"), ("size", "size"), ("files", "files"), ("sent", "objects sent"))


class SnapshotHistory(DataTable[Text]):
    DEFAULT_CSS = """
    SnapshotHistory { height: 1fr; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.shown: list[tuple[str, ...]] = []

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, history: list[dict[str, Any]], now: float) -> None:
        rows: list[tuple[str, ...]] = [
            (
                f"{age(now - float(h.get('created', now)))} ago",
                str(h.get("id", ""))[:12],
                str(h.get("seq", "")),
                size(float(h.get("size", 0))),
                str(h.get("files", "")),
                f"{h.get('objects_sent', 0)}/{h.get('objects_total', 0)}",
            )
            for h in reversed(history)
        ]
        if rows == self.shown:
            return
        self.shown = rows
        self.clear()
        for i, row in enumerate(rows):
            self.add_row(*(Text(visible(cell)) for cell in row), key=f"push-{i}")
