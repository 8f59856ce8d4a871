"""One line under the Header: READ-ONLY marker, screen keys, and the "updated N s ago" age.

Only this small widget redraws every second; nothing big is refreshed by the clock.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from catalyst_tui.core.humanize import age
from catalyst_tui.ui.screens import SCREENS


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        app = self.app
        self.watch(app, "read_only", self._changed, init=False)
        self.watch(app, "last_updated", self._changed, init=False)
        self.watch(app, "current_mode", self._changed, init=False)
        self._tick()

    def _changed(self, _value: object = None) -> None:
        self.update(self.render_text())

    def _tick(self) -> None:
        self.update(self.render_text())
        self.set_timer(1.0, self._tick)  # re-armed: never overlapping

    def render_text(self) -> Text:
        app = self.app
        text = Text(no_wrap=True, overflow="ellipsis")
        if getattr(app, "read_only", False):
            text.append(" READ-ONLY ", style="reverse bold")
            text.append(" ")
        current = app.current_mode
        for name, entry in SCREENS.items():
            label = f"{entry.key.upper()} {entry.title}"
            text.append(label, style="bold underline" if name == current else "")
            text.append(" │ ", style="dim")
        last = getattr(app, "last_updated", 0.0)
        clock = getattr(app, "clock", None)
        if last and clock is not None:
            text.append(f"updated {age(max(0.0, clock() - last))} ago")
        else:
            text.append("loading…")
        fallback = getattr(app, "index_fallback", None)
        if fallback:
            text.append("  index: last good copy", style="bold")
        return text
