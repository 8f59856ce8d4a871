"""One line: "next run in 29 min 12 s" / "walking: 12,345 files" / "read-only: scheduled runs off".

Updated every second by the Janitor screen; only this one-line widget redraws, and only when
its text changed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def countdown_text(remaining: float | None, running: str | None, read_only: bool) -> str:
    if running is not None:
        return running
    if read_only:
        return "read-only: scheduled runs are off (p previews a dry run)"
    if remaining is None:
        return "next run: not scheduled"
    secs = max(0, int(remaining + 0.5))
    minutes, secs = divmod(secs, 60)
    return f"next run in {minutes} min {secs:02d} s" if minutes else f"next run in {secs} s"


class JanitorCountdown(Static):
    DEFAULT_CSS = """
    JanitorCountdown { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(Text(""), **kw)
        self.current = ""
        self.updates = 0  # how many times the text actually changed (tests: no needless redraws)

    def show(self, remaining: float | None, running: str | None, read_only: bool) -> None:
        text = countdown_text(remaining, running, read_only)
        if text != self.current:
            self.current = text
            self.updates += 1
            self.update(Text(text))
