"""What the app does differently from a plain Textual app to reach its first frame fast.

Each item was measured (docs/performance.md, benchmarks/bench_board.py):

* The default mode's screen is Textual's *default screen*: a registered mode's first screen costs a
  full stylesheet re-parse and re-apply before the first frame; the default screen does not. The
  mode is registered once that screen exists, so switching back to it finds the same screen.
* The theme is set before the stylesheet is first built, without Textual's theme watcher (which
  queues another full CSS refresh), and the theme's variables are computed once.
* The cyclic GC is paused from ``Load`` to the first frame (start-up allocates a lot and frees
  little: ~25 ms of collections at 4,500 cards), then what start-up built is frozen.

Also here: exit hooks (``call_on_exit``), run when the app unmounts.

This is the one module allowed a Textual private name, each isolated in one function and
checked against the installed Textual by tests/ui/test_startup_privates.py (checked: 8.2.8):
``App._refresh_truecolor_filter`` (what the theme watcher calls; see :func:`refresh_ansi_filter`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

from textual.app import App, InvalidModeError
from textual.screen import Screen

log = logging.getLogger("catalyst_tui.ui")


class FastStartApp(App[int]):
    """Subclasses implement :meth:`make_screen` (a screen for a mode name)."""

    def __init__(self) -> None:
        self._gc_paused = False
        self._gc_frozen = False
        self._theme_chosen = False
        self._exit_calls: list[Callable[[], None]] = []
        super().__init__()

    def make_screen(self, mode: str) -> Screen[Any]:
        raise NotImplementedError

    def _screen_factory(self, mode: str) -> Callable[[], Screen[Any]]:
        return lambda: self.make_screen(mode)

    def add_modes(self, names: list[str]) -> None:
        """Register every mode but the default one (registered in ``on_mount``)."""
        for name in names:
            if name != self.DEFAULT_MODE:
                self.add_mode(name, self._screen_factory(name))

    def get_default_screen(self) -> Screen[Any]:
        return self.make_screen(self.DEFAULT_MODE)

    # ------------------------------------------------------------------ theme
    def get_css_variables(self) -> dict[str, str]:
        # Textual's __init__ builds the stylesheet's variables from its default theme; ours is
        # chosen a moment later (start_theme sets them): computing them twice costs ~3 ms.
        if not self._theme_chosen:
            return {}
        return super().get_css_variables()

    def start_theme(self, name: str) -> None:
        """Set the theme before the stylesheet is first built: the value, and what Textual's watcher
        would derive from it (the dark / light classes, the ANSI filter, the stylesheet's variables)."""
        self._theme_chosen = True
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.update_classes({**{c: False for c in self.classes if c.startswith("-theme-")},
                             f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark}, update=False)
        refresh_ansi_filter(self)
        self.stylesheet.set_variables(self.get_css_variables())  # nothing is parsed yet: no re-parse

    # ------------------------------------------------------------------ lifecycle
    def on_load(self) -> None:
        if gc.isenabled():
            self._gc_paused = True
            gc.disable()

    def on_mount(self) -> None:
        try:
            self.add_mode(self.DEFAULT_MODE, self._screen_factory(self.DEFAULT_MODE))
        except InvalidModeError:  # already there (an app mounted twice: tests)
            pass
        self.call_after_refresh(self._resume_gc)

    def _resume_gc(self) -> None:
        if self._gc_paused:
            self._gc_paused = False
            gc.collect()  # once, now that the frame is out: start-up's garbage is not frozen with it
            gc.freeze()  # start-up's long-lived objects: never scanned again
            self._gc_frozen = True
            gc.enable()

    def call_on_exit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` when the app exits (e.g. wake a blocking thread so the exit need not wait)."""
        self._exit_calls.append(fn)

    def on_unmount(self) -> None:
        self._resume_gc()  # an app that exits before its first frame
        if self._gc_frozen:  # what this app froze may be collected again (many apps in one process: tests)
            self._gc_frozen = False
            gc.unfreeze()
        calls, self._exit_calls = self._exit_calls, []  # once (run_test shuts down twice)
        for fn in calls:
            try:
                fn()
            except Exception:  # one failing clean-up must not stop the others
                log.exception("exit hook %r failed", fn)


def refresh_ansi_filter(app: App[Any]) -> None:
    """The ANSI-to-truecolor filter for the app's theme: what Textual's own theme watcher does
    (``App._refresh_truecolor_filter``, private; checked against Textual 8.2.8). The watcher
    itself is skipped on purpose (it queues a full CSS refresh before the first frame)."""
    app._refresh_truecolor_filter(app.ansi_theme)
