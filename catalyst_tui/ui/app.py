"""The Textual app shell (minimal: agents and their health; the board lands in issue 3)."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header

from catalyst_tui.core.health import AgentStatus
from catalyst_tui.core.workspace import Workspace


class CatalystApp(App[int]):
    TITLE = "catalyst-tui"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(self, ws: Workspace, read_only: bool = False, theme_name: str | None = None) -> None:
        super().__init__()
        self.ws = ws
        self.read_only = read_only
        self.monitor = ws.monitor()

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="agents", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("agent", "health", "dispatches", "reasons")
        self.sub_title = str(self.ws.root)
        self.run_refresh()

    @work(thread=True, exclusive=True, group="refresh")
    def run_refresh(self) -> None:
        statuses = self.monitor.refresh_all()
        self.call_from_thread(self._show, statuses)

    def _show(self, statuses: dict[str, AgentStatus]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for s in statuses.values():
            table.add_row(s.name, s.health.value, str(s.figures.records), "; ".join(s.reasons))
        self.set_timer(2.0, self.run_refresh)
