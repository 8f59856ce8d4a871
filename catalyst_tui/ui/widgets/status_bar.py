"""One line under the Header: READ-ONLY marker and screen keys on the left, and on the right
when the data last changed.

"updated 03:12:05" names the time of the last data change. While the file watcher is live
("live 03:12:05": live, last change at 03:12:05) the screen is current by construction (a change shows within
~0.1 s), so nothing here changes with the clock and an idle dashboard writes nothing at all to
the terminal. When it is not (starting, polling after the watcher failed), the age is added from
one minute on ("updated 03:12:05, 4 min ago") and advances once a minute: then the age is the
point. Each part redraws only when its own text changes, only on the screen being shown: the
right part is a widget of its own, so a stamp that moves every second under load repaints its
dozen cells, not the whole line (Textual repaints a widget's whole region).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Static

from catalyst_tui.core.humanize import age, clock
from catalyst_tui.ui.registry import SCREENS

if TYPE_CHECKING:
    from catalyst_tui.ui.app import CatalystApp


class StatusBar(Horizontal):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusBar > .tabs { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusBar > .stamp { width: auto; height: 1; margin-left: 1; }
    """

    if TYPE_CHECKING:
        app: CatalystApp

    _timer: Timer | None = None
    _shown: tuple[Text, Text] | None = None  # the tabs and the stamp, as drawn
    _drawn_key: tuple[object, ...] | None = None  # what the text depends on while live, as last drawn

    def compose(self) -> ComposeResult:
        yield Static(classes="tabs")
        yield Static(classes="stamp")

    def on_mount(self) -> None:
        app = self.app
        self.watch(app, "read_only", self._changed, init=False)
        self.watch(app, "last_updated", self._changed, init=False)
        self.watch(app, "live", self._changed, init=False)
        self.watch(app, "current_mode", self._changed, init=False)
        self._changed()

    def refresh_now(self) -> None:
        """Bring the text up to date (the screen calls it when it is shown again)."""
        self._drawn_key = None
        self._changed()

    def _changed(self, _value: object = None) -> None:
        app = self.app
        # while live the text shows last_updated to the second: a stream of reads within one
        # second changes nothing shown, so it is not even rebuilt (no timer runs while live)
        key = (app.read_only, app.current_mode, app.live, int(app.last_updated), app.index_fallback)
        if app.live and self._timer is None and key == self._drawn_key:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.is_attached and not self.screen.is_current:
            return  # a hidden screen's bar catches up when it is shown again
        self._drawn_key = key
        tabs, stamp = self.tabs_text(), self.stamp_text()
        was = self._shown
        self._shown = (tabs, stamp)
        if was is None or tabs != was[0]:
            self.query_one(".tabs", Static).update(tabs, layout=False)
        if was is None or stamp != was[1]:
            # the stamp's width is its text's: a layout pass only when that width changes
            self.query_one(".stamp", Static).update(stamp, layout=was is None or stamp.cell_len != was[1].cell_len)
        delay = self._next_change()
        if delay is not None:
            self._timer = self.set_timer(delay, self._changed)  # re-armed: never overlapping

    def _age(self) -> float | None:
        last = self.app.last_updated
        return max(0.0, self.app.clock() - last) if last else None

    def _next_change(self) -> float | None:
        """Seconds until the age text changes: at the next whole minute of age (never while live)."""
        elapsed = self._age()
        if elapsed is None or self.app.live:
            return None
        return 60.0 - (elapsed % 60.0) + 0.05

    def tabs_text(self) -> Text:
        """The left part: READ-ONLY and the screens' keys (cut with an ellipsis when cramped)."""
        app = self.app
        text = Text(no_wrap=True, overflow="ellipsis")
        if app.read_only:
            text.append(" READ-ONLY ", style="reverse bold")
            text.append(" ")
        current = app.current_mode
        for i, (name, entry) in enumerate(SCREENS.items()):
            if i:
                text.append(" │ ", style="dim")
            text.append(f"{entry.key.upper()} {entry.title}", style="bold underline" if name == current else "")
        return text

    def stamp_text(self) -> Text:
        """The right part: where the data comes from and when it last changed."""
        app = self.app
        text = Text(no_wrap=True)
        elapsed = self._age()
        origin = app.ws.mirror
        if origin is not None:  # a snapshot, not the hub: say which one and how old, never "live"
            old = age(max(0.0, app.clock() - origin.created))
            text.append("mirror", style="bold")
            text.append(f" {origin.snapshot_id[:12]} seq {origin.seq}, {old} old")
        elif elapsed is None:
            text.append("loading…")
        else:
            stamp = clock(app.last_updated, "%H:%M:%S")
            if app.live:
                text.append("live", style="bold")
                text.append(f" {stamp}")
            else:
                text.append(f"updated {stamp}" + (f", {age(elapsed // 60 * 60)} ago" if elapsed >= 60 else ""))
        if app.index_fallback:
            text.append("  index: last good copy", style="bold")
        return text
