"""The base class of every top-level screen: the same chrome everywhere (docs/ui-shell.md).

Header, a status bar (READ-ONLY marker, screen keys, "updated N s ago"), the triage line,
then the screen's own body, then the Footer. Subclasses implement :meth:`compose_body` and,
optionally, the data hooks the app calls on the main thread when new data arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from catalyst_tui.core.board import IndexView
from catalyst_tui.ui.widgets.status_bar import StatusBar
from catalyst_tui.ui.widgets.triage_line import TriageLine

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus
    from catalyst_tui.ui.app import CatalystApp


class CatalystScreen(Screen[Any]):
    """Subclass this; never add your own Header/Footer."""

    DEFAULT_CSS = """
    CatalystScreen { layout: vertical; }
    """

    if TYPE_CHECKING:
        app: CatalystApp  # the one app these screens run in (the annotation only types it)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield StatusBar()
        yield TriageLine()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets (between the triage line and the Footer)."""
        yield from ()

    def on_mount(self) -> None:
        # Every screen hears the app's data (subclasses' own on_mount handlers run as well).
        app = self.app
        app.cards_signal.subscribe(self, lambda update: self.cards_reloaded(*update))
        # immediate: the panels take new statuses inside the app's handler, with the status bar's
        # clock; delivered later, their refresh missed the frame the status bar had started and
        # waited for the next one (a lone write drawn a frame late)
        app.agents_signal.subscribe(self, self.agents_refreshed, immediate=True)

    def on_screen_resume(self) -> None:
        # A hidden screen's status bar skips updates; it catches up here, when shown again
        # (Textual sends ScreenResume to the screen only, never to its widgets).
        for bar in self.query(StatusBar):
            bar.refresh_now()

    # Data hooks: called on the main thread (through the app's signals) for every live screen.
    def cards_reloaded(self, view: IndexView, focus: str | None, op: str | None) -> None:
        """A new index was read (``app.index`` already holds it)."""

    def agents_refreshed(self, statuses: dict[str, AgentStatus]) -> None:
        """Some agents' statuses were refreshed (``app.statuses`` already holds them)."""
