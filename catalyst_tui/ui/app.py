"""The app shell: screens (one Textual mode each), shared data, workers and the triage line.

The contract for screens written by other issues is docs/ui-shell.md: read it before
touching this file.
"""

from __future__ import annotations

import logging
import threading
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
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from catalyst_tui.core.board import Board, IndexView, describe
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.models import AuditEvent
from catalyst_tui.core.storage import FileSignature
from catalyst_tui.core.text import visible, visible_block
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes
from catalyst_tui.ui.commands import CatalystCommands
from catalyst_tui.ui.messages import AgentsRefreshed, ArchivedListed, BoardOpFailed, CardsReloaded
from catalyst_tui.ui.registry import SCREENS, SERVICES, load_screen_class, load_target
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.startup import FastStartApp

if TYPE_CHECKING:
    from catalyst_tui.core.health import (  # loaded after the first frame
        AgentStatus,
        SharedProblem,
        Triage,
        WorkspaceMonitor,
    )

log = logging.getLogger("catalyst_tui.ui")

INDEX_POLL_S = 0.5  # cheap stat of index.json until the watcher takes over
AGENTS_POLL_S = 2.0
NOTIFIED_OPS = frozenset({"undo", "redo", "archive", "restore"})  # their notification says what they did
ARCHIVE_PICK = 50  # the restore picker shows a lane's most recently archived cards


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

    runs_jobs = True  # False in a web session: a viewer never runs the janitor or a snapshot push
    read_only: reactive[bool] = reactive(False)
    triage: reactive[Triage | None] = reactive(None)  # None until the first statuses are in
    last_updated: reactive[float] = reactive(0.0, repaint=False)  # the StatusBar redraws itself
    live: reactive[bool] = reactive(False, repaint=False)  # the watcher is watching: the screen is current

    def __init__(self, ws: Workspace, read_only: bool = False, theme_name: str | None = None,
                 clock: Callable[[], float] = time.time, poll: bool = True,
                 cursor_blink: bool = True, config_dir: Path | None = None, services: bool = True) -> None:
        super().__init__()
        self.ws = ws
        # this dashboard is one session of the board: `u` / ctrl+r step through its own actions only
        self.board: Board = ws.board.new_session()
        self.clock = clock
        self.poll = poll
        self.cursor_blink = cursor_blink
        self.services = services
        self.config_dir = config_dir or themes.config_dir()
        self.index: IndexView = IndexView({}, 0, 0.0)
        self.index_fallback: str | None = None
        self.statuses: dict[str, AgentStatus] = {}
        self.shared_problems: dict[str, list[SharedProblem]] = {}
        self.monitor_lock = threading.Lock()
        self._index_sig: FileSignature | None = None
        self._agents_busy = False
        self._agents_pending: set[str] = set()
        self._index_timer: Timer | None = None
        self._agents_timer: Timer | None = None
        self._startup_problems: list[str] = []
        self._requested_theme = theme_name
        self.set_reactive(CatalystApp.read_only, read_only)
        self.add_modes(list(SCREENS))
        self.sub_title = str(ws.root)
        self._load_themes()
        self._preload_index()

    @cached_property
    def monitor(self) -> WorkspaceMonitor:
        """Agents' health and metrics: created on first use, after the first frame."""
        monitor = self.ws.monitor()
        monitor.clock = self.clock
        return monitor

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
        if self.poll:
            self._index_timer = self.set_timer(INDEX_POLL_S, self._poll_index)
        if self.services:
            self.call_after_refresh(self._start_services)  # after the first frame

    def _start_services(self) -> None:
        """Start the registered background services (ui/registry.py ``SERVICES``)."""
        for target in SERVICES:
            try:
                if target.startswith("mode:"):
                    self.mount_mode(target.removeprefix("mode:"))
                    continue
                start = load_target(target)
                start(self)  # type: ignore[operator]
            except Exception as exc:  # one broken service must not stop the app
                log.exception("service %s failed to start", target)
                self.notify(f"{target}: {type(exc).__name__}: {exc}", title="service failed", severity="error",
                            markup=False)

    def watch_theme(self, name: str) -> None:
        if getattr(self, "_theme_ready", False) and not self.read_only:  # read-only: no writes at all
            self.run_save_settings({"theme": name})

    # ------------------------------------------------------------------ screens
    def action_go(self, name: str) -> None:
        """Switch to the registered screen ``name`` (a Textual mode)."""
        if name in SCREENS:
            self.switch_mode(name)

    def mount_mode(self, name: str) -> None:
        """Create and mount the screen registered as ``name`` without showing it.

        Its on_mount (timers, workers) runs now; switching to it later shows this same screen.
        """
        if name in SCREENS and not self._screen_stacks.get(name):
            self._init_mode(name)

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

    def catalyst_screens(self) -> Iterable[CatalystScreen]:
        """Every live screen of every mode (the data hooks go to each).

        A screen not mounted yet takes the app's data in its own ``on_mount``; one being torn
        down (the app exiting while a worker's message is in flight) gets nothing.
        """
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, CatalystScreen) and screen.is_mounted and not (
                        screen._closing or screen._closed or screen._pruning):
                    yield screen

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
        """Re-read the index and/or some agents now (the watcher's entry point; main thread)."""
        if index:
            self.run_load_index()
        names = set(agents)
        if names:
            if self._agents_busy:
                self._agents_pending |= names
            else:
                self._start_agents(names)

    def set_polling(self, on: bool) -> None:
        """The watcher turns polling off while it runs, and on again when it fails."""
        was, self.poll = self.poll, on
        self.live = not on
        if not on:  # stop the pending polls: a later set_polling(True) starts exactly one chain each
            for timer in (self._index_timer, self._agents_timer):
                if timer is not None:
                    timer.stop()
            self._index_timer = self._agents_timer = None
        if on and not was:
            self._index_timer = self.set_timer(INDEX_POLL_S, self._poll_index)
            self._agents_timer = self.set_timer(AGENTS_POLL_S, self._poll_agents)

    def _index_signature(self) -> FileSignature | None:
        return self.board.signature()

    def _poll_index(self) -> None:
        if not self.poll:
            return
        if self._index_signature() != self._index_sig:
            self.run_load_index()
        self._index_timer = self.set_timer(INDEX_POLL_S, self._poll_index)

    def _poll_agents(self) -> None:
        if self.poll and not self._agents_busy:
            self._start_agents(set(self.ws.config.agent_names))

    def _start_agents(self, names: set[str]) -> None:
        _ = self.monitor  # created here, on the main thread, before any worker can race to it
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
        with self.monitor_lock:  # read together, judged together: each tenant against its peers
            statuses = self.monitor.refresh_many(names)
        self.post_message(AgentsRefreshed(statuses))

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
        for screen in self.catalyst_screens():
            screen.cards_reloaded(msg.view, msg.focus, msg.op)

    def _board_op_running(self) -> bool:
        """A move is being written: a plain reload now would briefly undo its preview."""
        return any(w.group == "board" and not w.is_finished for w in self.workers)

    def on_agents_refreshed(self, msg: AgentsRefreshed) -> None:
        self.statuses.update(msg.statuses)
        self.last_updated = self.clock()
        self._update_triage()
        for screen in self.catalyst_screens():
            screen.agents_refreshed(msg.statuses)

    def on_archived_listed(self, msg: ArchivedListed) -> None:
        show = getattr(self.screen, "archived_listed", None)  # the board, if it is still the screen shown
        if show is not None:
            show(msg.agent, msg.cards)

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
        elif self.poll:
            if self._agents_timer is not None:
                self._agents_timer.stop()  # one chain only (set_polling may have started one)
            self._agents_timer = self.set_timer(AGENTS_POLL_S, self._poll_agents)


