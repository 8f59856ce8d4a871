"""The Ports screen (F3): PORTS.md checked against the live listeners, grouped by band.

* A thread worker ``run_scan`` parses PORTS.md (only when its stat signature changed), scans the
  listeners and computes the statuses, then posts :class:`PortsScanned`; the screen never
  touches the disk or psutil on the event loop.
* Listeners are rescanned every ``[ports] scan_interval_s``: the timer is re-armed after each
  scan finishes (never overlapping). PORTS.md edits are noticed by a cheap ``os.stat`` every
  ``[ports] file_poll_s``; the watcher may call :meth:`PortsScreen.ports_changed`
  instead.
* Problems go to the triage line through ``app.report_shared("ports", ...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static

from catalyst_tui.core.health import SharedProblem
from catalyst_tui.core.ports import (
    ListenerScanner,
    PortsDoc,
    PortsFileError,
    PortsReport,
    ScanResult,
    check,
    load_ports_md,
)
from catalyst_tui.core.storage import FileSignature, file_signature
from catalyst_tui.core.text import visible
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.screens.port_detail import PortDetailScreen
from catalyst_tui.ui.widgets.ports_table import PortsTable

MAX_PARSE_LINES = 5


class PortsScanned(Message):
    """``run_scan`` finished: a report, or the reason PORTS.md could not be read."""

    def __init__(self, report: PortsReport | None, doc: PortsDoc | None, sig: FileSignature | None,
                 error: str | None = None) -> None:
        super().__init__()
        self.report = report
        self.doc = doc
        self.sig = sig
        self.error = error


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

    # Tests inject a frozen scan here (live listeners vary from machine to machine).
    scan_source: ClassVar[Callable[[], ScanResult] | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.report: PortsReport | None = None
        self.error: str | None = None
        self.scans = 0  # completed scans (tests wait on it)
        self._doc: PortsDoc | None = None
        self._sig: FileSignature | None = None
        self._busy = False
        self._pending = False
        self._tick_timer: Timer | None = None
        # An unchanged socket table (the usual case) costs ~0.2 ms instead of a walk of every
        # process; every 6th scan is a full one (owners that changed behind the same socket).
        self._scanner = ListenerScanner()

    def compose_body(self) -> ComposeResult:
        yield Static(Text("scanning…"), id="ports-summary")
        yield Static(Text(""), id="ports-parse")
        yield PortsTable(id="ports-table")

    @property
    def table(self) -> PortsTable:
        return self.query_one(PortsTable)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self.request_scan()  # the 1 s PORTS.md poll starts when the screen is shown (on_screen_resume)

    def on_screen_resume(self) -> None:
        if self.is_current:  # not when mounted in the background at start-up
            self._arm_file_poll()

    def on_screen_suspend(self) -> None:
        if self._file_timer is not None:  # hidden: the scan interval (and the watcher) cover PORTS.md
            self._file_timer.stop()
            self._file_timer = None

    def _arm_file_poll(self) -> None:
        if self._file_timer is None:
            self._file_timer = self.set_timer(self.catalyst.ws.config.ports.file_poll_s, self._poll_file)

    # ------------------------------------------------------------------ scheduling
    def request_scan(self) -> None:
        """Scan now, or right after the scan in progress (runs never overlap)."""
        if self._busy:
            self._pending = True
            return
        self._busy = True
        if self._tick_timer is not None:
            self._tick_timer.stop()
            self._tick_timer = None
        self.run_scan(self._doc, self._sig)

    def ports_changed(self) -> None:
        """PORTS.md changed (the watcher's entry point, main thread): re-parse and re-check."""
        self._sig = None
        self.request_scan()

    def _tick(self) -> None:
        self._tick_timer = None
        self.request_scan()

    def _poll_file(self) -> None:
        """While shown: a cheap stat a second, so an edit of PORTS.md shows at once."""
        self._file_timer = None
        if file_signature(self.catalyst.ws.ports_path) != self._sig and not self._busy:
            self.request_scan()
        if self.is_current:
            self._arm_file_poll()

    # ------------------------------------------------------------------ worker (thread)
    @work(thread=True, group="ports", exit_on_error=False)
    def run_scan(self, doc: PortsDoc | None, sig: FileSignature | None) -> None:
        ws = self.catalyst.ws
        path = ws.ports_path
        now_sig = file_signature(path)
        agents = ws.config.agent_names
        if doc is None or now_sig != sig or now_sig is None:
            try:
                doc = load_ports_md(path, agents, ephemeral=ws.config.ports.ephemeral_check)
            except PortsFileError as exc:
                self.post_message(PortsScanned(None, None, now_sig, str(exc)))
                return
        scan = (type(self).scan_source or self._scanner)()
        self.post_message(PortsScanned(check(doc, scan, agents), doc, now_sig))

    # ------------------------------------------------------------------ main thread
    def on_ports_scanned(self, msg: PortsScanned) -> None:
        msg.stop()
        self._busy = False
        self.scans += 1
        self._doc, self._sig = msg.doc, msg.sig
        if msg.report is None:
            self.error = msg.error
            self.report = None
            self._shown = None  # the next good scan is shown and reported in full
            self.query_one("#ports-summary", Static).update(Text(visible(msg.error or "?"), style="bold"))
            self.catalyst.report_shared("ports", [SharedProblem("ports", visible(msg.error or "PORTS.md"), ())])
        else:
            self.error = None
            self.report = msg.report
            seen = _fingerprint(msg.report)
            if seen != self._shown:  # an unchanged scan (the usual case) costs no redraw at all
                self._shown = seen
                self._show(msg.report)
                self.catalyst.report_shared("ports", msg.report.shared_problems())
        if self._pending:
            self._pending = False
            self.request_scan()
        else:
            self._tick_timer = self.set_timer(self.catalyst.ws.config.ports.scan_interval_s, self._tick)

    _shown: tuple[object, ...] | None = None
    _file_timer: Timer | None = None

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
        self.ports_changed()

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
        self.catalyst.action_jump_agent(row.agent)


def _fingerprint(report: PortsReport) -> tuple[object, ...]:
    """Everything the screen shows of a report: equal fingerprints, identical screens."""
    rows = tuple((r.port, r.protocol, r.status, tuple(r.reasons), r.agent, r.owner, r.process_label,
                  tuple(sorted({(lst.address, lst.pid) for lst in r.listeners}, key=repr)))
                 for r in report.rows)
    return (report.source, rows, len(report.scan.listeners), report.unbanded, report.scan.error,
            tuple(p.render(report.source) for p in report.parse_problems))
