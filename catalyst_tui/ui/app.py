"""The app shell: the screens (one Textual mode each), the runtime it owns, and the data it
passes to the screens (docs/ui-shell.md).

The app owns one :class:`~catalyst_tui.core.runtime.Runtime`: embedded (it runs the jobs) when
no process holds the workspace, a viewer when a daemon does, always a viewer when read-only or
on a mirror. The runtime's events arrive on its threads and become typed messages
(``ui/bridge.py``); the app keeps the latest data and publishes it to the screens through
Textual signals (``cards_signal``, ``agents_signal``, ``ports_signal``, ``jobs_signal``).
Screens only display.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from catalyst_tui.core.board import Board, IndexView, describe
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.models import AuditEvent
from catalyst_tui.core.storage import FileSignature
from catalyst_tui.core.text import visible, visible_block
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes
from catalyst_tui.ui.commands import CatalystCommands
from catalyst_tui.ui.messages import (
    AgentsRefreshed,
    ArchivedListed,
    BoardOpFailed,
    CardsReloaded,
    IndexChangedOnDisk,
    RuntimeNoticed,
)
from catalyst_tui.ui.registry import SCREENS, load_screen_class
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.startup import FastStartApp

if TYPE_CHECKING:
    from catalyst_tui.core.applog import AppLog
    from catalyst_tui.core.health import (  # loaded after the first frame
        AgentStatus,
        SharedProblem,
        Triage,
        WorkspaceMonitor,
    )
    from catalyst_tui.core.ports import PortsReport
    from catalyst_tui.core.runtime import JobState, Runtime

log = logging.getLogger("catalyst_tui.ui")

CardsUpdate = tuple[IndexView, "str | None", "str | None"]  # (view, focus, op)
NOTIFIED_OPS = frozenset({"undo", "redo", "archive", "restore"})  # their notification says what they did
ARCHIVE_PICK = 50  # the restore picker shows a lane's most recently archived cards
JOB_WRITES = {"janitor": "janitor run", "snapshot": "snapshot push"}  # guard_write's names for the jobs


class CatalystApp(FastStartApp):
    TITLE = "catalyst-tui"
    DEFAULT_MODE = "board"
    COMMANDS = App.COMMANDS | {CatalystCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("t", "show_triage", "Why", id="app.triage", tooltip="triage list: every reason of every tenant"),
        Binding("question_mark", "help", "Help", show=False, id="app.help"),
        *[Binding(e.key, f"go('{name}')", e.title, id=f"app.screen.{name}", show=False)
          for name, e in SCREENS.items()],
    ]

    runs_jobs = True  # False: always a viewer of the workspace's runtime (web sessions)
    read_only: reactive[bool] = reactive(False)
    triage: reactive[Triage | None] = reactive(None)  # None until the first statuses are in
    last_updated: reactive[float] = reactive(0.0, repaint=False)  # the StatusBar redraws itself
    live: reactive[bool] = reactive(False, repaint=False)  # the change feed is watching: the screen is current

    def __init__(self, ws: Workspace, read_only: bool = False, theme_name: str | None = None,
                 clock: Callable[[], float] = time.time, cursor_blink: bool = True,
                 config_dir: Path | None = None, services: bool = True, viewer: bool = False) -> None:
        """``services``: start the runtime after the first frame (tests drive the app without it).
        ``viewer``: never run the jobs (web sessions, mirrors); read-only implies it."""
        super().__init__()
        self.ws = ws
        # this dashboard is one session of the board: `u` / ctrl+r step through its own actions only
        self.board: Board = ws.board.new_session()
        self.clock = clock
        self.cursor_blink = cursor_blink
        self.services = services
        self.config_dir = config_dir or themes.config_dir()
        self.index: IndexView = IndexView({}, 0, 0.0)
        self.index_fallback: str | None = None
        self.statuses: dict[str, AgentStatus] = {}
        self.shared_problems: dict[str, list[SharedProblem]] = {}
        self.ports_report: PortsReport | None = None
        self.ports_error: str | None = None
        self.jobs: dict[str, JobState] = {}
        self.jobs_runner = "starting"  # "runs in this dashboard" / "runs in daemon pid 4242"
        self.restart_needed: list[str] = []
        self.watch_mode = "starting"  # the change feed: "watching" / "polling"
        self._index_sig: FileSignature | None = None
        self._agents_busy = False
        self._agents_pending: set[str] = set()
        self._startup_problems: list[str] = []
        self._requested_theme = theme_name
        self.set_reactive(CatalystApp.read_only, read_only)
        self.viewer = viewer or read_only or not self.runs_jobs
        self.cards_signal: Signal[CardsUpdate] = Signal(self, "cards")
        self.agents_signal: Signal[dict[str, AgentStatus]] = Signal(self, "agents")
        self.ports_signal: Signal[PortsReport | None] = Signal(self, "ports")
        self.jobs_signal: Signal[dict[str, JobState]] = Signal(self, "jobs")
        self.add_modes(list(SCREENS))
        self.sub_title = str(ws.root)
        self._load_themes()
        self._preload_index()

    @cached_property
    def runtime(self) -> Runtime:
        """The workspace's runtime, created on first use: after the first frame (its imports are
        not the board's)."""
        from catalyst_tui.core.applog import AppLog, default_path
        from catalyst_tui.core.runtime import Runtime
        from catalyst_tui.ui import bridge

        self._file_log = AppLog(None if self.viewer else default_path(self.ws.internal_dir))
        self._memory_log = AppLog(None)
        runtime = Runtime(self.ws, kind="dashboard", role="viewer" if self.viewer else "auto",
                          clock=lambda: self.clock(), log=self._memory_log if self.read_only else self._file_log)
        runtime.paused = lambda: self.read_only
        runtime.subscribe(lambda event: bridge.post(self, event))  # runtime threads -> messages
        return runtime

    @property
    def app_log(self) -> AppLog:
        """The JSON-lines log; in memory only while the app is read-only (no writes at all)."""
        if "runtime" not in self.__dict__:
            _ = self.runtime  # the logs are made with it
        return self._memory_log if self.read_only else self._file_log

    @property
    def monitor(self) -> WorkspaceMonitor:
        """Agents' health and metrics (the runtime's), created on first use after the first frame."""
        return self.runtime.monitor

    @property
    def monitor_lock(self) -> Any:
        return self.runtime.monitor_lock

    def _preload_index(self) -> None:
        """Read the index once before the event loop starts, so the first frame is the full
        board (not an empty one redrawn a moment later). Later reads happen in workers."""
        try:
            self._index_sig = self._index_signature()
            self.index = self.board.load()
        except (CatalystError, OSError) as exc:
            self._index_sig = None
            self._startup_problems.append(f"index: {exc}")  # shown once the app runs; a worker retries
        else:
            self.index_fallback = self.index.fallback
            if self.index.fallback:
                self._startup_problems.append(self.index.fallback)

    # ------------------------------------------------------------------ set-up
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return themes.variable_defaults()

    def _load_themes(self) -> None:
        """Before the first frame: so the stylesheet is built once, with the right theme."""
        loaded = themes.load_all(self.config_dir)
        self.product_themes = list(loaded.themes)  # shipped and the user's: the palette offers these first
        for theme in loaded.themes.values():
            self.register_theme(theme)
        chosen = themes.choose(self._requested_theme, self.config_dir, loaded, no_color=self.no_color)
        self.start_theme(chosen.name)
        self._startup_problems = [*loaded.problems, *chosen.problems]
        keymap, problem = themes.read_keymap(self.config_dir)
        if problem:
            self._startup_problems.append(problem)
        if keymap:
            self.set_keymap(keymap)  # {"board.undo": "z"}: remap any binding by its id

    def make_screen(self, mode: str) -> CatalystScreen:
        return load_screen_class(mode)()

    def on_mount(self) -> None:
        for problem in self._startup_problems:
            self.notify(problem, title="start-up", severity="warning", timeout=10, markup=False)
        if self.index.seq:
            self.last_updated = self.clock()
        self._theme_ready = True  # from here on, every theme change is saved
        if not self.index.seq:
            self.run_load_index()
        # Agents' logs can be large: read them right after the first frame, not before it.
        self.call_after_refresh(self._start_agents, set(self.ws.config.agent_names))
        if self.services:
            self.call_after_refresh(self._start_runtime)  # after the first frame
        if not self.is_headless:
            from catalyst_tui.ui import hangup

            hangup.watch(self)  # losing the terminal ends the process

    def _start_runtime(self) -> None:
        from catalyst_tui.core.applog import JsonLinesHandler

        handler = JsonLinesHandler(lambda: self.app_log)  # the shell's own log lines join the runtime's
        logging.getLogger("catalyst_tui").addHandler(handler)
        self.call_on_exit(lambda: logging.getLogger("catalyst_tui").removeHandler(handler))
        self.call_on_exit(self._stop_runtime)
        self.run_worker(self.runtime.start, thread=True, name="runtime start", group="runtime", exit_on_error=False)

    def _stop_runtime(self) -> None:
        """On exit: the watcher, the jobs, the exporter; a run in progress ends first, whole."""
        if not self.runtime.stop():
            log.warning("the runtime's threads did not all end in time")

    def watch_theme(self, name: str) -> None:
        if getattr(self, "_theme_ready", False) and not self.read_only:  # read-only: no writes at all
            self.run_save_settings({"theme": name})

    def watch_read_only(self, _on: bool) -> None:
        if "runtime" in self.__dict__:  # created: its log follows
            self.runtime.log = self.app_log

    # ------------------------------------------------------------------ screens
    def action_go(self, name: str) -> None:
        """Switch to the registered screen ``name`` (a Textual mode)."""
        if name in SCREENS:
            self.switch_mode(name)

    def action_jump_agent(self, agent: str) -> None:
        """Show the board with ``agent``'s lane focused."""
        self.switch_mode("board")
        jump = getattr(self.screen, "jump_to_agent", None)
        if jump is not None:
            jump(agent)

    def action_restore_card(self) -> None:
        """The board's restore picker for its focused lane (palette)."""
        self.switch_mode("board")
        restore = getattr(self.screen, "action_restore", None)
        if restore is not None:
            restore()

    def action_set_theme(self, name: str) -> None:
        """Switch theme (palette); the choice is saved to settings.json."""
        self.theme = name

    # ------------------------------------------------------------------ read-only
    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification is shown literally: its text carries file names, log lines, titles
        (untrusted), so markup is never parsed and control characters are shown, not obeyed."""
        super().notify(visible_block(str(message)), title=visible(title), severity=severity, timeout=timeout,
                       markup=False)

    def guard_write(self, what: str) -> bool:
        """Call before any write: False (and a notification) when the app is read-only."""
        if self.read_only:
            self.notify(f"read-only: {what} not done", severity="warning")
            return False
        return True

    def can_toggle_read_only(self) -> bool:
        """Whether this session may turn writes on and off (a read-only web session may not)."""
        return True

    def action_show_triage(self) -> None:
        """The triage list: what the one-line triage could not fit (every reason, strongest first)."""
        from catalyst_tui.ui.screens.triage_list import TriageScreen

        if not isinstance(self.screen, TriageScreen):
            self.push_screen(TriageScreen())

    def action_help(self) -> None:
        """``?`` on any screen: its keys, the app's, and what only the palette offers."""
        from catalyst_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen.for_screen(self, self.screen))

    def action_toggle_read_only(self) -> None:
        self.read_only = not self.read_only
        self.notify("read-only on: no writes" if self.read_only else "read-only off: writes allowed")

    # ------------------------------------------------------------------ jobs
    def run_job_now(self, name: str) -> bool:
        """``r`` on the Janitor screen, ``p`` on Snapshots: a run now, in the process that runs the jobs."""
        if not self.guard_write(JOB_WRITES.get(name, f"{name} run")):
            return False
        job = self.jobs.get(name)
        if job is not None and job.running:
            self.notify(f"the {name} is already running", severity="warning")
            return False
        try:
            self.runtime.kick(name)
        except CatalystError as exc:  # RoleError: this process is a viewer
            self.notify(str(exc), title=name, severity="warning", markup=False)
            return False
        return True

    def jobs_paused(self) -> bool:
        """No scheduled runs at all: this dashboard would run them, and it is read-only."""
        return self.read_only and (self.runtime.is_holder or not self.jobs_runner.startswith("runs in"))

    def rescan_ports(self) -> None:
        self.runtime.ports_job.forget_file()
        self.runtime.feeds.kick("ports")

    # ------------------------------------------------------------------ triage
    def report_shared(self, source: str, problems: list[SharedProblem]) -> None:
        """Replace the shared-layer problems reported by ``source`` (main thread only)."""
        if problems:
            self.shared_problems[source] = list(problems)
        else:
            self.shared_problems.pop(source, None)
        self._update_triage()

    def _update_triage(self) -> None:
        from catalyst_tui.core.health import SharedProblem, triage

        shared = [p for ps in self.shared_problems.values() for p in ps]
        if self.index_fallback:
            shared.append(SharedProblem("index", "index fallback to last good copy"))
        if self.statuses or shared:
            order = self.ws.config.agent_names
            ordered = [self.statuses[n] for n in order if n in self.statuses]
            self.triage = triage(ordered, shared, self.ws.config.health.shared_fraction)

    # ------------------------------------------------------------------ data: entry points
    def request_reload(self, index: bool = False, agents: Iterable[str] = ()) -> None:
        """Re-read the index and/or some agents now (main thread)."""
        if index:
            self.run_load_index()
        names = set(agents)
        if names:
            if self._agents_busy:
                self._agents_pending |= names
            else:
                self._start_agents(names)

    def _index_signature(self) -> FileSignature | None:
        return self.board.signature()

    def _start_agents(self, names: set[str]) -> None:
        _ = self.runtime  # created here, on the main thread, before any worker can race to it
        self._agents_busy = True
        self.run_refresh_agents(names)

    # ------------------------------------------------------------------ workers (threads)
    @work(thread=True, group="index", exit_on_error=False)
    def run_load_index(self, force: bool = False) -> None:
        sig = self._index_signature()
        view = self.board.load()
        self.post_message(CardsReloaded(view, op="reload" if force else None, sig=sig))

    @work(thread=True, group="agents", exit_on_error=False)
    def run_refresh_agents(self, names: set[str]) -> None:
        self.runtime.refresh_agents(names)  # its AgentsUpdated event comes back as AgentsRefreshed

    @work(thread=True, group="board", exit_on_error=False)
    def run_board_op(self, op: str, fn: Callable[[Board], Any], focus: str | None = None) -> None:
        """Run ``fn(board)`` off the event loop, then post the new index (``CardsReloaded``)."""
        try:
            result = fn(self.board)
        except CatalystError as exc:
            self.post_message(BoardOpFailed(op, str(exc)))
            return
        card_id = getattr(result, "card", None) or getattr(result, "id", None) or focus
        sig = self._index_signature()
        note = describe(result) if op in NOTIFIED_OPS and isinstance(result, AuditEvent) else None
        self.post_message(CardsReloaded(self.board.load(), focus=card_id, op=op, sig=sig, note=note))

    @work(thread=True, group="archive", exit_on_error=False)
    def run_list_archived(self, agent: str, limit: int = ARCHIVE_PICK) -> None:
        """One lane's archived cards, newest first (for the board's restore picker)."""
        records = sorted(self.board.archived([agent]).cards.values(), key=lambda r: r.ts, reverse=True)
        self.post_message(ArchivedListed(agent, [r.card for r in records[:limit]]))

    @work(thread=True, group="settings", exit_on_error=False)
    def run_save_settings(self, changes: dict[str, Any]) -> None:
        themes.save_settings(self.config_dir, changes)

    # ------------------------------------------------------------------ message handlers
    def on_cards_reloaded(self, msg: CardsReloaded) -> None:
        if msg.op is None and (msg.view.seq < self.index.seq or self._board_op_running()):
            return  # an older read finished late, or a board op's own read (with the move) follows
        if msg.sig is not None:
            self._index_sig = msg.sig
        self.index = msg.view
        if msg.view.fallback != self.index_fallback:
            self.index_fallback = msg.view.fallback
            if msg.view.fallback:
                self.notify(msg.view.fallback, title="index", severity="warning", timeout=10, markup=False)
            self._update_triage()
        self.last_updated = self.clock()
        if msg.note:  # every undo / redo / archive / restore says what it did: card, title, lanes, from -> to
            self.notify(visible(msg.note), title=msg.op or "", markup=False)
        self.cards_signal.publish((msg.view, msg.focus, msg.op))

    def on_index_changed_on_disk(self, _msg: IndexChangedOnDisk) -> None:
        if self._index_signature() != self._index_sig:
            self.run_load_index()

    def _board_op_running(self) -> bool:
        """A move is being written: a plain reload now would briefly undo its preview."""
        return any(w.group == "board" and not w.is_finished for w in self.workers)

    def on_agents_refreshed(self, msg: AgentsRefreshed) -> None:
        known = self.statuses
        judged = any(name not in known or (known[name].health, known[name].findings) != (st.health, st.findings)
                     for name, st in msg.statuses.items())
        known.update(msg.statuses)
        self.last_updated = self.clock()
        if judged or self.triage is None:  # the triage line reads only health and findings
            self._update_triage()
        self.agents_signal.publish(msg.statuses)

    def on_archived_listed(self, msg: ArchivedListed) -> None:
        show = getattr(self.screen, "archived_listed", None)  # the board, if it is still the screen shown
        if show is not None:
            show(msg.agent, msg.cards)

    def on_runtime_noticed(self, msg: RuntimeNoticed) -> None:
        from catalyst_tui.ui import bridge

        bridge.handle(self, msg.event)

    def on_board_op_failed(self, msg: BoardOpFailed) -> None:
        self.notify(f"{msg.op}: {msg.error}", severity="warning", markup=False)
        self.run_load_index(force=True)  # the truth replaces any preview the board showed

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "agents" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                         WorkerState.CANCELLED):
            self._agents_done()
        if event.state is WorkerState.ERROR:
            err = worker.error
            text = str(err) if isinstance(err, CatalystError) else f"{type(err).__name__}: {err}"
            log.error("worker %s failed: %s", worker.name, text, exc_info=err)
            self.notify(text, title=f"{worker.name} failed", severity="error", timeout=10, markup=False)

    def _agents_done(self) -> None:
        self._agents_busy = False
        if self._agents_pending:
            names, self._agents_pending = self._agents_pending, set()
            self._start_agents(names)
