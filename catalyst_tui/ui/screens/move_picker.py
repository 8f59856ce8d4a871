"""``m``: send the focused card to any agent and column. Dismisses with (agent, column) or None.

Typing filters the targets as you go (``cher rev`` leaves cher / review); ``up``/``down`` move
through what is left and ``enter`` picks the highlighted one.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from catalyst_tui.core.models import Card
from catalyst_tui.core.text import visible


class MovePickerScreen(ModalScreen[tuple[str, str] | None]):
    DEFAULT_CSS = """
    MovePickerScreen { align: center middle; }
    MovePickerScreen > Vertical { width: 60; max-width: 100%; height: 80%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    MovePickerScreen OptionList { height: 1fr; }
    MovePickerScreen #picker-filter { height: 1; border: none; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "step(1)", "Next", show=False, id="picker.down"),
        Binding("up", "step(-1)", "Previous", show=False, id="picker.up"),
    ]

    def __init__(self, card: Card, agents: list[str], columns: list[str]) -> None:
        super().__init__()
        self.card = card
        self.targets = [(a, c) for a in agents for c in columns if (a, c) != (card.agent, card.column)]
        self.shown = list(self.targets)  # after the filter

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Move ") + Text(visible(self.card.title[:200]), style="bold")
                         + Text(f"  ({self.card.agent}/{self.card.column}) to:"))
            yield Input(placeholder="type to filter: agent, column", id="picker-filter")
            yield OptionList(*[Option(Text(f"{a} / {c}"), id=f"{a}/{c}") for a, c in self.targets],
                             id="picker-options")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.query_one(OptionList).highlighted = 0 if self.shown else None

    def on_input_changed(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        self.shown = [t for t in self.targets if all(w in f"{t[0]} / {t[1]}" for w in words)]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(f"{a} / {c}"), id=f"{a}/{c}") for a, c in self.shown])
        options.highlighted = 0 if self.shown else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and 0 <= options.highlighted < len(self.shown):
            self.dismiss(self.shown[options.highlighted])

    def action_step(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            options.highlighted = max(0, min(len(self.shown) - 1, (options.highlighted or 0) + step))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        agent, _, column = (event.option.id or "").partition("/")
        self.dismiss((agent, column))

    def action_cancel(self) -> None:
        self.dismiss(None)
