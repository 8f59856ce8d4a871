"""One line of text (``n`` new card, ``e`` edit title). ``enter`` accepts, ``esc`` cancels (None)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class TextPromptScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    TextPromptScreen { align: center middle; }
    TextPromptScreen > Vertical { width: 72; max-width: 100%; height: auto; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    TextPromptScreen #prompt-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, label: str, value: str = "", blink: bool = True) -> None:
        super().__init__()
        self.label = label
        self.value = value
        self.blink = blink

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.label))
            yield Input(value=self.value, id="prompt-input", max_length=2000)
            yield Static(id="prompt-error")

    def on_mount(self) -> None:
        inp = self.query_one(Input)
        inp.cursor_blink = self.blink
        inp.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = " ".join(event.value.split())
        if not value:
            self.query_one("#prompt-error", Static).update(Text("a title cannot be empty"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
