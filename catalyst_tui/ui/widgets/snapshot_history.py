"""The hub's push history (newest first): age, id, seq, size, files, objects sent."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.timer import Timer
from textual.widgets import DataTable

from catalyst_tui.core.humanize import age, age_changes_in, size
from catalyst_tui.core.text import visible

COLUMNS = (("age", "age"), ("id", "id"), ("seq", "seq"), ("size", "size"), ("files", "files"), ("sent", "objects sent"))


class SnapshotHistory(DataTable[Text]):
    DEFAULT_CSS = """
    SnapshotHistory { height: 1fr; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.shown: list[tuple[str, ...]] = []
        self._history: list[dict[str, Any]] = []
        self._ager: Timer | None = None

    def _aged(self) -> None:
        self._ager = None
        self.show(self._history, self.app.clock())  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, history: list[dict[str, Any]], now: float) -> None:
        self._history = history
        if self._ager is not None:
            self._ager.stop()
        ages = [now - float(h.get("created", now)) for h in history]
        # the age column advances when its text would change, not only when a push happens
        self._ager = self.set_timer(min(age_changes_in(a) for a in ages), self._aged) if ages else None
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
