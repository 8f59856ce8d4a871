"""The Janitor screen: last runs with their reports, next-run countdown, flagged items with
their agent, a progress line while it walks; ``r`` runs now, ``p`` previews (a dry run),
``f`` toggles the per-agent disk footprint over time; the highlighted run's items are shown.

Scheduled runs every ``[janitor] interval_s`` (default 30 min): a thread worker
(``run_janitor``), re-armed with ``set_timer`` only after the previous run finished, so runs
never overlap; the core's single-instance lock keeps a CLI run and this one apart too. A failed
run is reported to the triage line (``app.report_shared("janitor", ...)``), naming the agents
whose files could not be handled when it knows them. Read-only: no scheduled or manual runs
(a preview writes nothing and stays available).
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ProgressBar

from catalyst_tui.core.errors import CatalystError, os_error_text
from catalyst_tui.core.health import SharedProblem
from catalyst_tui.core.humanize import size
from catalyst_tui.core.janitor import Janitor, JanitorBusy, agent_of, flagged_items, footprint_rows, load_footprint
from catalyst_tui.ui.screens.scheduled import ScheduledScreen
from catalyst_tui.ui.widgets.countdown import Countdown
from catalyst_tui.ui.widgets.janitor_items import JanitorItems
from catalyst_tui.ui.widgets.janitor_runs import JanitorRuns
from catalyst_tui.ui.widgets.quiet_progress import QuietProgressBar

PROGRESS_EVERY_S = 0.1
FOOTPRINT_COLUMNS = ("agent", "footprint", "over time")
REPORTS_SHOWN = 10


class JanitorFinished(Message):
    def __init__(self, report: dict[str, Any], reports: list[dict[str, Any]],
                 footprint: list[dict[str, Any]]) -> None:
        super().__init__()
        self.report = report
        self.reports = reports
        self.footprint = footprint


class JanitorFailed(Message):
    def __init__(self, error: str, busy: bool = False) -> None:
        super().__init__()
        self.error = error
        self.busy = busy


class JanitorProgressed(Message):
    def __init__(self, scanned: int) -> None:
        super().__init__()
        self.scanned = scanned


class JanitorReportsLoaded(Message):
    def __init__(self, reports: list[dict[str, Any]], problems: list[str],
                 footprint: list[dict[str, Any]]) -> None:
        super().__init__()
        self.reports = reports
        self.problems = problems
        self.footprint = footprint


def preview_items(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A dry run's plan as rows: what it would do to which file, for which agent."""
    rows = [{"agent": a["agent"], "what": f"would {a['action']} {a['path']}", "why": a["reason"]}
            for a in report.get("actions", [])]
    return rows + flagged_items(report)


def shared_problems(report: dict[str, Any]) -> list[SharedProblem]:
    """Failed actions of a run, as triage input naming the affected agents."""
    errors = report.get("errors", [])
    if not errors:
        return []
    agents = sorted({a for a in (agent_of(str(e).split(":", 1)[0]) for e in errors) if a})
    text = f"janitor: {len(errors)} action(s) failed"
    return [SharedProblem("janitor", text, agents=tuple(agents) if agents else None)]


class JanitorScreen(ScheduledScreen):
    BINDINGS = [
        Binding("r", "run_now", "Run now", id="janitor.run"),
        Binding("p", "preview", "Preview (dry run)", id="janitor.preview"),
        Binding("f", "toggle_footprint", "Footprint", id="janitor.footprint"),
    ]
    DEFAULT_CSS = """
    JanitorScreen #janitor-progress { padding: 0 1; height: 1; }
    JanitorScreen #janitor-items { border-title-color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[dict[str, Any]] = []
        self.last: dict[str, Any] | None = None  # the newest real run's report
        self.preview: dict[str, Any] | None = None  # the newest dry run's report
        self.selected: dict[str, Any] | None = None  # the run highlighted in the runs table
        self.footprint: list[dict[str, Any]] = []  # footprint_rows() of the history
        self.show_footprint = False
        self.error: str | None = None
        self.running: str | None = None  # "run" / "preview" while a worker runs
        self.scanned = 0
        self.run_count = 0
        self._last_progress = 0.0

    @property
    def interval(self) -> float:
        return self.catalyst.ws.config.janitor.interval_s

    def compose_body(self) -> ComposeResult:
        yield Countdown("run", "read-only: scheduled runs are off (p previews a dry run)", id="janitor-next")
        # determinate (still) until a walk starts: an indeterminate bar animates at 15 fps, even hidden
        bar = QuietProgressBar(total=100, show_percentage=False, id="janitor-progress")
        bar.display = False  # shown (pulsing, with the file count above it) only while walking
        yield bar
        yield JanitorRuns(id="janitor-runs")
        yield JanitorItems(id="janitor-items")

    def on_mount(self) -> None:
        self.run_load_reports()
        self._arm()
        self._refresh()

    # ------------------------------------------------------------------ scheduling (ScheduledScreen)
    def job_busy(self) -> bool:
        return self.running is not None

    def start_scheduled(self) -> None:
        self._start("run")

    def _start(self, kind: str) -> None:
        if kind == "run":
            self._disarm()
        self.running = kind
        self.scanned = 0
        bar = self.query_one("#janitor-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._refresh_countdown()
        self.run_janitor(kind == "preview")

    def action_run_now(self) -> None:
        if not self.catalyst.guard_write("janitor run"):
            return
        if self.running is not None:
            self.notify("the janitor is already running", severity="warning")
            return
        self._start("run")

    def action_toggle_footprint(self) -> None:
        self.show_footprint = not self.show_footprint
        self._refresh()

    def on_data_table_row_highlighted(self, event: JanitorRuns.RowHighlighted) -> None:
        if not isinstance(event.data_table, JanitorRuns):
            return
        run = event.row_key.value
        chosen = next((r for r in self.reports if r.get("run") == run), None)
        if chosen is not None and chosen is not self.selected:
            self.selected = chosen
            self.preview = None
            self._refresh()

    def action_preview(self) -> None:
        if self.running is not None:
            self.notify("the janitor is already running", severity="warning")
            return
        self._start("preview")

    # ------------------------------------------------------------------ workers (threads)
    @work(thread=True, group="janitor", exit_on_error=False)
    def run_janitor(self, dry_run: bool) -> None:
        janitor = Janitor(self.catalyst.ws, clock=self.catalyst.clock)
        try:
            report = janitor.run(dry_run=dry_run, progress=self._progress)
            reports, _ = janitor.reports(REPORTS_SHOWN)
            footprint = footprint_rows(load_footprint(janitor.paths)[0])
        except JanitorBusy as exc:
            self.post_message(JanitorFailed(str(exc), busy=True))
            return
        except CatalystError as exc:
            self.post_message(JanitorFailed(str(exc)))
            return
        except OSError as exc:
            self.post_message(JanitorFailed(os_error_text(exc)))
            return
        self.post_message(JanitorFinished(report, reports, footprint))

    def _progress(self, scanned: int) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = now
            self.post_message(JanitorProgressed(scanned))

    @work(thread=True, group="janitor-reports", exit_on_error=False)
    def run_load_reports(self) -> None:
        janitor = Janitor(self.catalyst.ws, clock=self.catalyst.clock)
        reports, problems = janitor.reports(REPORTS_SHOWN)
        history, errors = load_footprint(janitor.paths)
        problems += [str(e) for e in errors]
        self.post_message(JanitorReportsLoaded(reports, problems, footprint_rows(history)))

    # ------------------------------------------------------------------ message handlers
    def on_janitor_reports_loaded(self, msg: JanitorReportsLoaded) -> None:
        self.reports = msg.reports
        self.footprint = msg.footprint
        if self.last is None and msg.reports:
            self.last = msg.reports[0]
        for problem in msg.problems[:3]:
            self.notify(problem, title="janitor report unreadable", severity="warning")
        self._refresh()

    def on_janitor_progressed(self, msg: JanitorProgressed) -> None:
        if self.running is None:
            return
        self.scanned = msg.scanned
        self._refresh_countdown()

    def on_janitor_finished(self, msg: JanitorFinished) -> None:
        kind, self.running = self.running, None
        self.run_count += 1
        self.error = None
        report = msg.report
        self._hide_progress()
        if report.get("dry_run"):
            self.preview = report
            t = report["totals"]
            self.notify(f"would archive {t['archived']}, remove {t['removed']}, flag {t['flagged']}",
                        title="janitor preview")
        else:
            self.preview = None
            self.last = self.selected = report
            self.reports = msg.reports
            self.footprint = msg.footprint
            self.catalyst.report_shared("janitor", shared_problems(report))
            if report.get("flagged_cards") or report.get("actions"):
                self.catalyst.request_reload(index=True)  # the board shows the new flags
        if kind == "run":
            self._arm()
        self._refresh()

    def _hide_progress(self) -> None:
        bar = self.query_one("#janitor-progress", ProgressBar)
        bar.update(total=100, progress=0)  # back to a still bar: no animation while idle
        bar.display = False

    def on_janitor_failed(self, msg: JanitorFailed) -> None:
        kind, self.running = self.running, None
        self.run_count += 1
        self._hide_progress()
        if msg.busy:
            self.notify(msg.error, title="janitor", severity="warning")
        else:
            self.error = msg.error
            self.catalyst.report_shared("janitor", [SharedProblem("janitor", "janitor run failed", agents=None)])
            self.notify(msg.error, title="janitor run failed", severity="error", timeout=10)
        if kind == "run":
            self._arm()
        self._refresh()

    # ------------------------------------------------------------------ display
    def busy_text(self) -> str | None:
        if self.running is None:
            return None
        what = "previewing (dry run)" if self.running == "preview" else "running"
        return f"{what}: walked {self.scanned:,} files"

    def _refresh(self) -> None:
        self.query_one(JanitorRuns).show(self.reports)
        items = self.query_one(JanitorItems)
        shown = self.selected or self.last
        if self.show_footprint:
            rows = [(r["agent"], f"{size(r['bytes'])} in {r['files']:,} files",
                     f"{r['spark']} {'+' if r['growth'] >= 0 else '-'}{size(abs(r['growth']))} over {r['points']} runs")
                    for r in self.footprint]
            items.show_rows("disk footprint per agent (f: back to the items)", FOOTPRINT_COLUMNS, rows)
        elif self.preview is not None:
            items.show(f"preview {self.preview['run']}: what a run would do", preview_items(self.preview))
        elif shown is not None:
            items.show(f"flagged by run {shown.get('run')}", flagged_items(shown))
        else:
            items.show("no janitor run yet: r runs now, p previews", [])
        self._refresh_countdown()
