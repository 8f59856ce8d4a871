"""One line: "next push in 4 min 12 s" / "pushing: upload 40%" / "read-only: no pushes".

Updated every second by the Snapshots screen; only this one-line widget redraws, and only
when its text changed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def countdown_text(remaining: float | None, pushing: str | None, read_only: bool) -> str:
    if read_only:
        return "read-only: background pushes are off"
    if pushing is not None:
        return f"pushing: {pushing}"
    if remaining is None:
        return "next push: not scheduled"
    secs = max(0, int(remaining + 0.5))
    minutes, secs = divmod(secs, 60)
    return f"next push in {minutes} min {secs:02d} s" if minutes else f"next push in {secs} s"


class SnapshotCountdown(Static):
    DEFAULT_CSS = """
    SnapshotCountdown { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(Text(""), **kw)
        self.current = ""

    def show(self, remaining: float | None, pushing: str | None, read_only: bool) -> None:
        text = countdown_text(remaining, pushing, read_only)
        if text != self.current:
            self.current = text
            self.update(Text(text))
