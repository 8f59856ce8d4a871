"""``t``: the triage list — every reason of every affected tenant, strongest first.

What the one-line triage could not fit at this width is here: each affected tenant (most severe
first) with all its reasons and how strong each is, the tenants still waiting for their first
heartbeat, and the shared-layer problems. Untrusted text (reasons quote file names and log
lines) is rendered literally. It follows ``app.triage`` while open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from catalyst_tui.core.models import Health
from catalyst_tui.core.text import visible

if TYPE_CHECKING:
    from catalyst_tui.core.health import Triage


def triage_table(triage: Triage | None) -> Table:
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("tenant", no_wrap=True, style="bold")
    table.add_column("health", no_wrap=True)
    table.add_column("why (strongest first)", ratio=1)
    if triage is None:
        table.add_row(Text("-"), Text(""), Text("waiting for data"))
        return table
    for entry in triage.entries:
        for i, reason in enumerate(entry.reasons or ()):
            table.add_row(Text(visible(entry.agent) if i == 0 else ""), Text(entry.health.badge if i == 0 else ""),
                          Text(visible(f"{reason.text}  ×{reason.strength:.1f}" if reason.strength < 100
                                       else reason.text)))
        if not entry.reasons:
            table.add_row(Text(visible(entry.agent)), Text(entry.health.badge), Text(""))
    for name in triage.waiting:
        table.add_row(Text(visible(name)), Text(Health.WAITING.badge), Text("waiting for its first heartbeat"))
    for problem in triage.shared:
        who = "every tenant" if problem.agents is None else (", ".join(problem.agents) or "no tenant")
        table.add_row(Text("shared"), Text(visible(problem.source)), Text(visible(f"{problem.text} ({who})")))
    if not (triage.entries or triage.waiting or triage.shared):
        table.add_row(Text("all"), Text(Health.OK.badge), Text(f"all {triage.total} healthy"))
    return table


class TriageScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TriageScreen { align: center middle; }
    TriageScreen > VerticalScroll { width: 100%; max-width: 120; height: 90%; border: thick $error;
                                    background: $surface; padding: 0 1; }
    TriageScreen #triage-head { text-style: bold; }
    """
    BINDINGS = [Binding("escape,t,q", "close", "Close", id="triage.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="triage-body"):
            yield Static(id="triage-head")
            yield Static(id="triage-table")
            yield Static(Text("×N: the evidence, in multiples of its threshold ([health], docs/metrics.md). "
                              "esc closes.", style="dim"))

    def on_mount(self) -> None:
        self.watch(self.app, "triage", self._show, init=True)

    def _show(self, triage: Triage | None) -> None:
        head = visible(triage.text) if triage else "triage: waiting for data"
        self.query_one("#triage-head", Static).update(Text(head))
        self.query_one("#triage-table", Static).update(triage_table(triage))

    def action_close(self) -> None:
        self.dismiss(None)
