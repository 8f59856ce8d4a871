"""A read-only detail modal: a centred, scrolling panel with titled sections, closed by
``escape`` / ``enter`` / ``q``. The card details and the port details are two of them."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen


class DetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > VerticalScroll { width: 95%; max-width: 120; height: 90%; border: thick $primary;
                                    background: $surface; padding: 0 1; }
    DetailScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    """
    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="detail.close")]

    def action_close(self) -> None:
        self.dismiss(None)
