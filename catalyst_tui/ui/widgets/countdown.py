"""One line: "next run in 29 min 12 s" / "walking: 12,345 files" / "read-only: ... off".

A periodic job's countdown (the janitor's next run, the next snapshot push), from the job's
published state (``next_due``, ``progress``). It ticks once a second only while its screen is
shown (the screen calls :meth:`Countdown.resume` / :meth:`Countdown.pause`); it redraws only
when its text changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

# (seconds until the next run or None, the busy line or None, read-only)
Source = Callable[[], tuple[float | None, str | None, bool]]


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

    def __init__(self, noun: str, read_only_text: str, busy_prefix: str = "", source: Source | None = None,
                 **kw: Any) -> None:
        super().__init__(Text(""), **kw)
        self.noun = noun
        self.read_only_text = read_only_text
        self.busy_prefix = busy_prefix
        self.source = source
        self.current = ""
        self.updates = 0  # how many times the text actually changed (tests: no needless redraws)
        self._ticker: Timer | None = None

    @property
    def ticking(self) -> bool:
        return self._ticker is not None

    def resume(self) -> None:
        """Shown: tick once a second (one line, no disk work)."""
        self.tick()
        if self._ticker is None:
            self._ticker = self.set_interval(1.0, self.tick)

    def pause(self) -> None:
        """Hidden: no timer at all."""
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def tick(self) -> None:
        if self.source is not None:
            self.show(*self.source())

    def show(self, remaining: float | None, busy: str | None, read_only: bool) -> None:
        text = countdown_text(self.noun, remaining, busy, read_only, self.read_only_text, self.busy_prefix)
        if text != self.current:
            self.current = text
            self.updates += 1
            self.update(Text(text))
