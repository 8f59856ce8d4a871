"""The Janitor screen: last runs with their reports, next-run countdown, flagged items with
their agent, a progress line while it walks; ``r`` runs now, ``p`` previews (a dry run),
``f`` toggles the per-agent disk footprint over time; the highlighted run's items are shown.

The scheduled run (every ``[janitor] interval_s``) belongs to the runtime: in this dashboard
when it runs the jobs, else in the process named on the first line ("runs in daemon pid
4242"). This screen shows the job's state (``app.jobs["janitor"]``: a typed
:class:`~catalyst_tui.core.runtime.JanitorSummary` of the last run) and re-reads the run
reports when a run finished. ``r`` asks the runtime for a run now; read-only: no runs (a
preview writes nothing and stays available).
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ProgressBar

from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.humanize import size
from catalyst_tui.core.janitor import Janitor, flagged_items, footprint_rows, load_footprint
from catalyst_tui.core.runtime import JanitorSummary, JobState
from catalyst_tui.ui.screens.scheduled import ScheduledScreen
from catalyst_tui.ui.widgets.countdown import Countdown
from catalyst_tui.ui.widgets.janitor_items import JanitorItems
from catalyst_tui.ui.widgets.janitor_runs import JanitorRuns
from catalyst_tui.ui.widgets.quiet_progress import QuietProgressBar

FOOTPRINT_COLUMNS = ("agent", "footprint", "over time")
REPORTS_SHOWN = 10


class JanitorPreviewed(Message):
    def __init__(self, report: dict[str, Any] | None, error: str | None = None) -> None:
        super().__init__()
        self.report = report
        self.error = error


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


class JanitorScreen(ScheduledScreen):
    job_name = "janitor"
    BINDINGS = [
        Binding("r", "run_now", "Run now", id="janitor.run"),
        Binding("p", "preview", "Preview (dry run)", id="janitor.preview"),
        Binding("f", "toggle_footprint", "Footprint", id="janitor.footprint"),
    ]
    DEFAULT_CSS = """
    JanitorScreen .runner { padding: 0 1; height: 1; }
    JanitorScreen #janitor-progress { padding: 0 1; height: 1; }
    JanitorScreen #janitor-items { border-title-color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[dict[str, Any]] = []
        self.last: dict[str, Any] | None = None  # the newest real run's report
        self.summary: JanitorSummary | None = None  # the newest real run, as the runtime published it
        self.preview: dict[str, Any] | None = None  # the newest dry run's report
        self.selected: dict[str, Any] | None = None  # the run highlighted in the runs table
        self.footprint: list[dict[str, Any]] = []  # footprint_rows() of the history
        self.show_footprint = False
        self.error: str | None = None
        self.previewing = False
        self.runs_seen = -1  # the job's run count when the reports were last read

    def compose_body(self) -> ComposeResult:
        yield self.runner_line()
        yield Countdown("run", "read-only: scheduled runs are off (p previews a dry run)", id="janitor-next")
        # determinate (still) until a walk starts: an indeterminate bar animates at 15 fps, even hidden
        bar = QuietProgressBar(total=100, show_percentage=False, id="janitor-progress")
        bar.display = False  # shown (pulsing, with the file count above it) only while walking
        yield bar
        yield JanitorRuns(id="janitor-runs")
        yield JanitorItems(id="janitor-items")

    # ------------------------------------------------------------------ the job (ScheduledScreen)
    def busy_text(self, job: JobState) -> str:
        return f"running: {job.progress}" if job.progress else "running"

    def job_changed(self, job: JobState | None) -> None:
        busy = self.previewing or (job is not None and job.running)
        bar = self.query_one("#janitor-progress", ProgressBar)
        if busy != bar.display:
            bar.update(total=None if busy else 100, progress=0)  # still while idle: no animation
            bar.display = busy
        if job is None or job.running:
            if job is None and self.runs_seen < 0:
                self.runs_seen = 0
                self.run_load_reports()
            return
        self.error = job.error.line() if job.result == "error" and job.error else None
        if isinstance(job.detail, JanitorSummary):
            self.summary = job.detail
        if job.runs != self.runs_seen or (self.summary and self.last and self.summary.run != self.last.get("run")):
            self.runs_seen = job.runs
            self.run_load_reports()  # a run finished (here or in the daemon): its report is on disk
        self._refresh()

    # ------------------------------------------------------------------ actions
    def action_run_now(self) -> None:
        self.app.run_job_now("janitor")

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
        job = self.job()
        if self.previewing or (job is not None and job.running):
            self.notify("the janitor is already running", severity="warning")
            return
        self.previewing = True
        self.job_changed(job)
        self.run_preview()

    # ------------------------------------------------------------------ one-shot reads (threads)
    @work(thread=True, group="janitor-preview", exit_on_error=False)
    def run_preview(self) -> None:
        """A dry run: plans, writes nothing (allowed read-only and in a viewer)."""
        try:
            report = Janitor(self.app.ws, clock=self.app.clock).run(dry_run=True)
        except (CatalystError, OSError) as exc:
            self.post_message(JanitorPreviewed(None, str(exc)))
            return
        self.post_message(JanitorPreviewed(report))

    @work(thread=True, group="janitor-reports", exit_on_error=False)
    def run_load_reports(self) -> None:
        janitor = Janitor(self.app.ws, clock=self.app.clock)
        reports, problems = janitor.reports(REPORTS_SHOWN)
        history, errors = load_footprint(janitor.paths)
        problems += [str(e) for e in errors]
        self.post_message(JanitorReportsLoaded(reports, problems, footprint_rows(history)))

    # ------------------------------------------------------------------ message handlers
    def on_janitor_reports_loaded(self, msg: JanitorReportsLoaded) -> None:
        self.reports = msg.reports
        self.footprint = msg.footprint
        newest = msg.reports[0] if msg.reports else None
        if newest is not None and (self.last is None or newest.get("run") != self.last.get("run")):
            self.last = newest
            self.selected = None  # the newest run is shown
            self.preview = None
        for problem in msg.problems[:3]:
            self.notify(problem, title="janitor report unreadable", severity="warning", markup=False)
        self._refresh()

    def on_janitor_previewed(self, msg: JanitorPreviewed) -> None:
        self.previewing = False
        self.job_changed(self.job())
        if msg.report is None:
            self.notify(msg.error or "?", title="janitor preview failed", severity="error", markup=False)
            return
        self.preview = msg.report
        t = msg.report["totals"]
        self.notify(f"would archive {t['archived']}, remove {t['removed']}, flag {t['flagged']}",
                    title="janitor preview")
        self._refresh()

    # ------------------------------------------------------------------ display
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
        self.query_one(Countdown).tick()
