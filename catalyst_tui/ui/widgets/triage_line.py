"""The triage line, visible on every screen: which tenant is affected (app.triage)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TriageLine(Static):
    DEFAULT_CSS = """
    TriageLine { height: 1; padding: 0 1; background: $boost; color: $text; }
    TriageLine.-affected { background: $error 30%; text-style: bold; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "triage", self._show, init=True)

    def _show(self, triage: str) -> None:
        self.set_class(bool(triage) and not triage.startswith("all "), "-affected")
        self.update(Text(triage or "triage: waiting for data…", no_wrap=True, overflow="ellipsis"))
