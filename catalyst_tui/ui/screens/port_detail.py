"""``enter`` on the Ports screen: one port's documentation and the processes listening on it.

Everything shown comes from the scan already taken (no new process lookups on the event loop).
Command lines and PORTS.md cells are untrusted: rendered as literal ``Text``, control
characters made visible.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from catalyst_tui.core.ports import PortRow
from catalyst_tui.core.text import visible
from catalyst_tui.ui.screens.detail import DetailScreen


def describe(row: PortRow) -> tuple[Text, Text, Text]:
    """(summary, documentation, listeners) of ``row``, as literal text."""
    head = Text(f"{row.port}/{row.protocol}  ", style="bold")
    head.append(row.status.value, style="bold reverse")
    head.append(f"  band: {row.band_label}")
    if row.agent:
        head.append(f"  agent: {visible(row.agent)}")
    for reason in row.reasons:
        head.append("\n  · " + visible(reason))
    doc = Text()
    for e in row.entries:
        doc.append(f"line {e.line}: ", style="dim")
        doc.append(visible(f"{e.service}  class {e.cls}  owner {e.owner}"))
        if e.process:
            doc.append(visible(f"  process ~ {e.process}"))
        if e.notes:
            doc.append("\n    " + visible(e.notes))
        doc.append("\n")
    if not row.entries:
        doc.append("not in PORTS.md", style="dim")
    live = Text()
    for lst in row.listeners:
        live.append(f"{lst.endpoint}  ({lst.scope}, IPv{lst.family})\n", style="bold")
        proc = lst.process
        if lst.owner_known and proc is not None:
            live.append(visible(f"  pid {proc.pid}  {proc.name}  user {proc.username or '?'}"
                                  f"  parent {proc.ppid or '?'}") + "\n")
            live.append("  " + (visible(proc.command) or "(no command line)") + "\n", style="italic")
        else:
            live.append("  " + visible(lst.owner_note) + "\n")
    if not row.listeners:
        live.append("nothing listening", style="dim")
    return head, doc, live


class PortDetailScreen(DetailScreen):
    DEFAULT_CSS = """
    PortDetailScreen > VerticalScroll { height: 80%; }
    """

    def __init__(self, row: PortRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        head, doc, live = describe(self.row)
        with VerticalScroll(id="port-detail"):
            yield Static(head, id="port-detail-head")
            yield Static(Text("PORTS.md"), classes="section")
            yield Static(doc, id="port-detail-doc")
            yield Static(Text("Listening"), classes="section")
            yield Static(live, id="port-detail-live")

