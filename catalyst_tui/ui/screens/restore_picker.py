"""``r``: bring one of a lane's archived cards back. Dismisses with the card id or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from catalyst_tui.core.humanize import clock
from catalyst_tui.core.models import Card
from catalyst_tui.core.text import visible


class RestorePickerScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    RestorePickerScreen { align: center middle; }
    RestorePickerScreen > Vertical { width: 80; max-width: 100%; height: 80%; border: thick $primary;
                                     background: $surface; padding: 0 1; }
    RestorePickerScreen OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="restore.cancel")]

    def __init__(self, agent: str, cards: list[Card]) -> None:
        super().__init__()
        self.agent = agent
        self.cards = cards

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Restore a card of {self.agent}'s archive (most recently archived first):"))
            yield OptionList(*[Option(self._label(c), id=c.id) for c in self.cards], id="restore-options")

    @staticmethod
    def _label(card: Card) -> Text:
        when = clock(card.moved, "%Y-%m-%d", utc=True)
        return Text(f"{card.id}  {card.column:<8} {when}  ") + Text(visible(card.title[:200]))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
