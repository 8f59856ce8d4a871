"""The Agents screen: one panel per tenant (3x3 at 80x24).

It only displays: the statuses come from the app (the runtime reads the agents' files when they
change and re-judges them on its sweep; ``app.agents_signal`` brings them here).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.css.query import NoMatches

from catalyst_tui.core.health import WINDOWS, AgentStatus
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.widgets.agent_panel import AgentPanel


class AgentsScreen(CatalystScreen):
    BINDINGS = [
        Binding("enter", "open_detail", "Detail", id="agents.detail"),
        Binding("w", "cycle_window", "Window", id="agents.window"),
        Binding("left", "move(-1, 0)", "Left", show=False, id="agents.left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="agents.right"),
        Binding("up", "move(0, -1)", "Up", show=False, id="agents.up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="agents.down"),
    ]
    DEFAULT_CSS = """
    AgentsScreen #agents-grid { grid-size: 3; grid-gutter: 0 0; height: 1fr; }
    """
    COLUMNS = 3

    def compose_body(self) -> ComposeResult:
        rows = max(1, -(-len(self.app.ws.config.agent_names) // self.COLUMNS))
        grid = Grid(id="agents-grid")
        grid.styles.grid_size_rows = rows
        with grid:
            for name in self.app.ws.config.agent_names:
                yield AgentPanel(name)

    def on_mount(self) -> None:
        self._window_title()
        self.agents_refreshed(self.app.statuses)
        panels = list(self.query(AgentPanel))
        if panels:
            panels[0].focus()

    def _window_title(self) -> None:
        monitor = self.app.monitor
        shown = monitor.shown_window or monitor.window
        judged = "" if shown == monitor.window else f" (judged on {monitor.window})"
        self.sub_title = f"{self.app.sub_title} · window {shown}{judged}"

    def agents_refreshed(self, statuses: dict[str, AgentStatus]) -> None:
        for name, status in statuses.items():
            try:
                panel = self.query_one(f"#agent-{name}", AgentPanel)
            except NoMatches:  # an agent not on this screen
                continue
            panel.show(status, status.series)

    def panel(self, name: str) -> AgentPanel:
        return self.query_one(f"#agent-{name}", AgentPanel)

    def action_move(self, dx: int, dy: int) -> None:
        panels = list(self.query(AgentPanel))
        focused = self.focused
        i = panels.index(focused) if isinstance(focused, AgentPanel) and focused in panels else 0
        j = i + dx + dy * self.COLUMNS
        if 0 <= j < len(panels):
            panels[j].focus()

    def action_cycle_window(self) -> None:
        """Show another window's figures. Display only: health is judged on [metrics] window."""
        from catalyst_tui.core.health.history import LONG_WINDOWS

        names = [*WINDOWS, *LONG_WINDOWS]  # 24 h and 7 d come from the agents' history files
        monitor = self.app.monitor
        shown = names[(names.index(monitor.shown_window or monitor.window) + 1) % len(names)]
        monitor.shown_window = None if shown == monitor.window else shown
        self._window_title()
        self.notify(f"figures over {shown} (health is judged on {monitor.window})", timeout=3)
        self.app.request_reload(agents=self.app.ws.config.agent_names)

    def action_open_detail(self) -> None:
        focused = self.focused
        if isinstance(focused, AgentPanel):
            from catalyst_tui.ui.screens.agent_detail import AgentDetailScreen

            self.app.push_screen(AgentDetailScreen(focused.agent))
