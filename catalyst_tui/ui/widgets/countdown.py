"""One line: "next run in 29 min 12 s" / "walking: 12,345 files" / "read-only: ... off".

A periodic job's countdown (the janitor's next run, the next snapshot push). Its screen calls
:meth:`Countdown.show` every second; only this one-line widget redraws, and only when its
text changed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


def countdown_text(noun: str, remaining: float | None, busy: str | None, read_only: bool,
                   read_only_text: str, busy_prefix: str = "") -> str:
    """``noun`` names the next event ("run", "push")."""
    if busy is not None:  # a run in progress (a dry-run preview, even when read-only)
        return busy_prefix + busy
    if read_only:
        return read_only_text
    if remaining is None:
        return f"next {noun}: not scheduled"
    secs = max(0, int(remaining + 0.5))
    minutes, secs = divmod(secs, 60)
    return f"next {noun} in {minutes} min {secs:02d} s" if minutes else f"next {noun} in {secs} s"


class Countdown(Static):
    DEFAULT_CSS = """
    Countdown { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, noun: str, read_only_text: str, busy_prefix: str = "", **kw: Any) -> None:
        super().__init__(Text(""), **kw)
        self.noun = noun
        self.read_only_text = read_only_text
        self.busy_prefix = busy_prefix
        self.current = ""
        self.updates = 0  # how many times the text actually changed (tests: no needless redraws)

    def show(self, remaining: float | None, busy: str | None, read_only: bool) -> None:
        text = countdown_text(self.noun, remaining, busy, read_only, self.read_only_text, self.busy_prefix)
        if text != self.current:
            self.current = text
            self.updates += 1
            self.update(Text(text))
