"""The one Textual private name the app uses (ui/startup.py): fail loudly if Textual changes it."""

from __future__ import annotations

import inspect
from pathlib import Path

import textual
from textual.app import App
from textual.filter import ANSIToTruecolor

import catalyst_tui

PRIVATE_ALLOWED = {"startup.py": {"_refresh_truecolor_filter"}}


def test_refresh_truecolor_filter_is_still_what_the_theme_watcher_calls() -> None:
    method = getattr(App, "_refresh_truecolor_filter", None)
    assert method is not None, f"Textual {textual.__version__} removed App._refresh_truecolor_filter"
    assert list(inspect.signature(method).parameters) == ["self", "theme"], textual.__version__
    assert "_refresh_truecolor_filter" in inspect.getsource(App._watch_theme), (
        f"Textual {textual.__version__}: the theme watcher no longer refreshes the ANSI filter this way")
    assert "ANSIToTruecolor" in inspect.getsource(method) and ANSIToTruecolor is not None


def test_no_other_textual_private_name_in_the_ui() -> None:
    """``_screen_stacks``, ``_init_mode``, ``_modes``, ``Screen._closing``...: none, anywhere."""
    names = ("_screen_stacks", "_init_mode", "_modes", "_closing", "_closed", "_pruning", "_refresh_truecolor_filter",
             "_notifications", "_filters", "_current_mode")
    ui = Path(catalyst_tui.__file__).parent / "ui"
    found = []
    for path in ui.rglob("*.py"):
        text = path.read_text()
        for name in names:
            if f".{name}" in text and name not in PRIVATE_ALLOWED.get(path.name, set()):
                found.append(f"{path.name}: {name}")
    assert found == []
