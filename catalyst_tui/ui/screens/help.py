"""``?``: every key of the screen below and of the app, from the bindings themselves."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

KEY_NAMES = {"greater_than_sign": ">", "less_than_sign": "<", "question_mark": "?", "slash": "/",
             "escape": "esc", "enter": "enter"}


def _rows(bindings: list[BindingType]) -> list[tuple[str, str, str]]:
    rows = []
    for b in bindings:
        if not isinstance(b, Binding):
            continue
        keys = ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in b.key.split(","))
        what = b.tooltip or b.description or b.action
        rows.append((keys, what, b.id or ""))
    return rows


# What only the palette offers, and the keys Textual itself binds: listed so they are found.
PALETTE_ROWS: list[tuple[str, str, str]] = [
    ("ctrl+p", "command palette: go to a screen, jump to an agent's lane, restore a card", ""),
    ("ctrl+p", "themes: type 'theme' (the product's own themes first; the choice is kept)", ""),
    ("ctrl+p", "read-only: type 'read-only' to turn writes off or on (also --read-only)", ""),
    ("t", "triage list: every reason of every affected tenant, strongest first", "app.triage"),
]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, title: str, sections: list[tuple[str, list[BindingType]]],
                 extra: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.sections = sections
        self.extra = PALETTE_ROWS if extra is None else extra

    @classmethod
    def for_screen(cls, app: App[Any], screen: Screen[Any]) -> HelpScreen:
        """The keys of ``screen`` (by its class name), then the app's, then the palette's."""
        name = type(screen).__name__.removesuffix("Screen") or "Screen"
        return cls("catalyst-tui keys", [(name, list(screen.BINDINGS)), ("App", list(app.BINDINGS))])

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(self.title_text, style="bold"))
            for name, bindings in self.sections:
                table = Table(title=name, title_justify="left", expand=True, show_edge=False)
                table.add_column("keys", no_wrap=True, style="bold")
                table.add_column("what")
                table.add_column("binding id", style="dim", no_wrap=True)
                for keys, what, bid in _rows(bindings):
                    table.add_row(Text(keys), Text(what), Text(bid))
                yield Static(table)
            if self.extra:
                table = Table(title="Palette and more", title_justify="left", expand=True, show_edge=False)
                table.add_column("keys", no_wrap=True, style="bold")
                table.add_column("what")
                table.add_column("binding id", style="dim", no_wrap=True)
                for keys, what, bid in self.extra:
                    table.add_row(Text(keys), Text(what), Text(bid))
                yield Static(table)
            yield Static(Text("Remap any key by its binding id (docs/dashboard.md). esc closes.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
