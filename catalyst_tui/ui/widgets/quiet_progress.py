"""A ProgressBar that costs nothing while nothing runs.

Textual's ProgressBar refreshes itself every second (for its ETA, which we never show) and an
indeterminate bar animates at 15 fps — both even on a screen that is not shown. The Janitor
and Snapshots screens live in the background for the whole session, so their bars must be
still unless a run is in progress.
"""

from __future__ import annotations

from textual import events
from textual.widgets import ProgressBar


class QuietProgressBar(ProgressBar):
    def __init__(self, **kw: object) -> None:
        kw.setdefault("show_eta", False)
        super().__init__(**kw)  # type: ignore[arg-type]

    def on_mount(self, event: events.Mount) -> None:  # type: ignore[override]
        event.prevent_default()  # no once-a-second ETA refresh
        self.update()
