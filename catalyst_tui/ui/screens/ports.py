"""The Ports screen (F3): PORTS.md checked against the live listeners, grouped by band.

It only displays: the runtime's port scan (every ``[ports] scan_interval_s``, and at once when
the change feed sees PORTS.md change) arrives through ``app.ports_signal``; ``r`` asks the
runtime for a scan now. An unchanged report costs no redraw at all.
"""

from __future__ import annotations

import os

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from catalyst_tui.core.ports import PortsReport
from catalyst_tui.core.text import visible
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.screens.port_detail import PortDetailScreen
from catalyst_tui.ui.widgets.ports_table import PortsTable

MAX_PARSE_LINES = 5


class PortsScreen(CatalystScreen):
    BINDINGS = [
        Binding("r", "rescan", "Rescan", id="ports.rescan"),
        Binding("a", "jump_agent", "Agent lane", id="ports.jump_agent"),
    ]
    DEFAULT_CSS = """
    PortsScreen #ports-summary { height: 1; padding: 0 1; background: $boost; }
    PortsScreen #ports-parse { height: auto; max-height: 6; padding: 0 1; color: $warning; display: none; }
    PortsScreen #ports-parse.has-problems { display: block; }
    PortsScreen #ports-table { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.report: PortsReport | None = None
        self.error: str | None = None
        self.scans = 0  # reports received (tests wait on it)
        self._shown: tuple[object, ...] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(Text("scanning…"), id="ports-summary")
        yield Static(Text(""), id="ports-parse")
        yield PortsTable(id="ports-table")

    @property
    def table(self) -> PortsTable:
        return self.query_one(PortsTable)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self.app.ports_signal.subscribe(self, self._scanned)
        if self.app.ports_report is not None or self.app.ports_error is not None:
            self._scanned(self.app.ports_report)

    def _scanned(self, report: PortsReport | None) -> None:
        self.scans += 1
        if report is None:
            error = self.app.ports_error or "PORTS.md"
            self.error, self.report, self._shown = error, None, None  # the next good scan is shown in full
            self.query_one("#ports-summary", Static).update(Text(visible(error), style="bold"))
            return
        self.error = None
        self.report = report
        seen = _fingerprint(report)
        if seen != self._shown:  # an unchanged scan (the usual case) costs no redraw at all
            self._shown = seen
            self._show(report)

    def _show(self, report: PortsReport) -> None:
        self.table.show(report)
        problems = len(report.problem_rows) + len(report.parse_problems)
        up = sum(1 for r in report.rows if not r.status.is_problem)
        summary = Text()
        summary.append(f"{problems} problem{'s' if problems != 1 else ''}" if problems else "all well",
                       style="bold")
        summary.append(f" · {len(report.rows)} ports, {up} up · {len(report.scan.listeners)} listeners"
                       f" ({report.unbanded} outside the bands)")
        if report.scan.error:
            summary.append(" · scan: " + visible(report.scan.error), style="bold")
        self.query_one("#ports-summary", Static).update(summary)
        parse = self.query_one("#ports-parse", Static)
        lines = [visible(p.render(os.path.basename(report.source))) for p in report.parse_problems]
        if len(lines) > MAX_PARSE_LINES:
            lines = [*lines[:MAX_PARSE_LINES - 1], f"… and {len(lines) - MAX_PARSE_LINES + 1} more (ports check)"]
        parse.update(Text("\n".join(lines)))
        parse.set_class(bool(lines), "has-problems")

    def _theme_changed(self) -> None:
        self.table.refresh_theme()
        if self.report is not None:
            self.table.show(self.report)

    # ------------------------------------------------------------------ actions
    def action_rescan(self) -> None:
        self.app.rescan_ports()

    def action_details(self) -> None:
        row = self.table.row_for_cursor()
        if row is not None:
            self.app.push_screen(PortDetailScreen(row))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_jump_agent(self) -> None:
        row = self.table.row_for_cursor()
        if row is None:
            return
        if row.agent is None:
            who = "the hub (shared by every agent)" if row.owner == "hub" else "no known agent"
            self.notify(f"port {row.port}: owned by {who}", severity="information")
            return
        self.app.action_jump_agent(row.agent)


def _fingerprint(report: PortsReport) -> tuple[object, ...]:
    """Everything the screen shows of a report: equal fingerprints, identical screens."""
    rows = tuple((r.port, r.protocol, r.status, tuple(r.reasons), r.agent, r.owner, r.process_label,
                  tuple(sorted({(lst.address, lst.pid) for lst in r.listeners}, key=repr)))
                 for r in report.rows)
    return (report.source, rows, len(report.scan.listeners), report.unbanded, report.scan.error,
            tuple(p.render(report.source) for p in report.parse_problems))
