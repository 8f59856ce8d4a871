"""``m``: send the focused card to any agent and column. Dismisses with (agent, column) or None."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from catalyst_tui.core.models import Card
from catalyst_tui.core.text import visible


class MovePickerScreen(ModalScreen[tuple[str, str] | None]):
    DEFAULT_CSS = """
    MovePickerScreen { align: center middle; }
    MovePickerScreen > Vertical { width: 60; max-width: 100%; height: 80%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    MovePickerScreen OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, card: Card, agents: list[str], columns: list[str]) -> None:
        super().__init__()
        self.card = card
        self.targets = [(a, c) for a in agents for c in columns if (a, c) != (card.agent, card.column)]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Move ") + Text(visible(self.card.title[:200]), style="bold")
                         + Text(f"  ({self.card.agent}/{self.card.column}) to:"))
            yield OptionList(*[Option(Text(f"{a} / {c}"), id=f"{a}/{c}") for a, c in self.targets],
                             id="picker-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        agent, _, column = (event.option.id or "").partition("/")
        self.dismiss((agent, column))

    def action_cancel(self) -> None:
        self.dismiss(None)
