"""The app shell: the screens (one Textual mode each), their keys and palette actions, the
themes, and what the app does at start-up and on a worker's failure (docs/ui-shell.md).

What it shows comes from the layers below it: :class:`~catalyst_tui.ui.app_board.BoardShell`
(the board's index, its operations) on :class:`~catalyst_tui.ui.app_runtime.RuntimeShell` (the
one runtime it owns and the latest of what it reports). The app publishes that data to the
screens through Textual signals (``cards_signal``, ``agents_signal``, ``ports_signal``,
``jobs_signal``). Screens only display.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes
from catalyst_tui.ui.app_board import BoardShell
from catalyst_tui.ui.commands import CatalystCommands
from catalyst_tui.ui.registry import SCREENS, load_screen_class
from catalyst_tui.ui.screens.base import CatalystScreen

log = logging.getLogger("catalyst_tui.ui")


class CatalystApp(BoardShell):
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

    def __init__(self, ws: Workspace, read_only: bool = False, theme_name: str | None = None,
                 clock: Callable[[], float] = time.time, cursor_blink: bool = True,
                 config_dir: Path | None = None, services: bool = True, viewer: bool = False) -> None:
        """``services``: start the runtime after the first frame (tests drive the app without it).
        ``viewer``: never run the jobs (web sessions, mirrors); read-only implies it."""
        super().__init__(ws, read_only=read_only, clock=clock, viewer=viewer)
        self.cursor_blink = cursor_blink
        self.services = services
        self.config_dir = config_dir or themes.config_dir()
        self._startup_problems: list[str] = []
        self._requested_theme = theme_name
        self.add_modes(list(SCREENS))
        self.sub_title = str(ws.root)
        self._load_themes()
        self._startup_problems += self._preload_index()

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
        if not self.is_headless:  # losing the terminal ends the process (watched from the first frame on)
            self.call_after_refresh(self._watch_hangup)
        # Agents' logs can be large: read them right after the first frame, not before it.
        self.call_after_refresh(self._start_agents, set(self.ws.config.agent_names))
        if self.services:
            self.call_after_refresh(self._start_runtime)  # after the first frame

    def _watch_hangup(self) -> None:
        from catalyst_tui.ui import hangup

        hangup.watch(self)

    def watch_theme(self, name: str) -> None:
        if getattr(self, "_theme_ready", False) and not self.read_only:  # read-only: no writes at all
            self.run_save_settings({"theme": name})

    @work(thread=True, group="settings", exit_on_error=False)
    def run_save_settings(self, changes: dict[str, Any]) -> None:
        themes.save_settings(self.config_dir, changes)

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

    def action_show_triage(self) -> None:
        """The triage list: what the one-line triage could not fit (every reason, strongest first)."""
        from catalyst_tui.ui.screens.triage_list import TriageScreen

        if not isinstance(self.screen, TriageScreen):
            self.push_screen(TriageScreen())

    def action_help(self) -> None:
        """``?`` on any screen: its keys, the app's, and what only the palette offers."""
        from catalyst_tui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen.for_screen(self, self.screen))

    # ------------------------------------------------------------------ read-only
    def can_toggle_read_only(self) -> bool:
        """Whether this session may turn writes on and off (a read-only web session may not)."""
        return True

    def action_toggle_read_only(self) -> None:
        self.read_only = not self.read_only
        self.notify("read-only on: no writes" if self.read_only else "read-only off: writes allowed")

    # ------------------------------------------------------------------ data: entry points
    def request_reload(self, index: bool = False, agents: Iterable[str] = ()) -> None:
        """Re-read the index and/or some agents now (main thread)."""
        if index:
            self.run_load_index()
        if names := set(agents):
            self._request_agents(names)

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
