"""The last janitor runs, newest first: start (UTC; the run id carries the date), files
scanned, archived, removed, flagged, bytes freed, duration."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from catalyst_tui.core.humanize import clock, size
from catalyst_tui.core.text import visible

COLUMNS = ("run", "UTC", "files", "archived", "removed", "flagged", "freed", "took")


class JanitorRuns(DataTable[Text]):
    DEFAULT_CSS = """
    JanitorRuns { height: 7; border-top: solid $panel; scrollbar-size-horizontal: 0; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.shown: list[str] = []  # run ids, in display order

    def on_mount(self) -> None:
        for col in COLUMNS:
            self.add_column(col, key=col)

    def show(self, reports: list[dict[str, Any]]) -> None:
        ids = [str(r.get("run")) for r in reports]
        if ids == self.shown:
            return  # nothing new: no redraw
        self.clear()
        for r in reports:
            t = r.get("totals", {})
            when = clock(r.get("started", 0), "%H:%M", utc=True)
            cells = (str(r.get("run", "?")), when, str(r.get("scanned", 0)), str(t.get("archived", 0)),
                     str(t.get("removed", 0)), str(t.get("flagged", 0)), size(t.get("bytes_reclaimed", 0)),
                     f"{float(r.get('duration_s', 0)):.1f}s")
            self.add_row(*(Text(visible(c)) for c in cells), key=str(r.get("run")))
        self.shown = ids
