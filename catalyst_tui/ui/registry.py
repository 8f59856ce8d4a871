"""The screen registry: one line per screen, loaded lazily (docs/ui-shell.md).

Each entry maps a mode name to ``"module:Class"``, its switching key and its title. A screen
that is not written yet is simply absent. To add yours, add ONE line below and one module.
Screens only display: background work belongs to the runtime (``catalyst_tui.core.runtime``).
"""

from __future__ import annotations

import importlib
from typing import NamedTuple


class ScreenEntry(NamedTuple):
    target: str  # "package.module:ClassName", imported on first use
    key: str  # the switching key (also shown in the Footer and the status bar)
    title: str  # "Board", "Agents", ... (palette: "Go to <title>")


SCREENS: dict[str, ScreenEntry] = {
    "board": ScreenEntry("catalyst_tui.ui.screens.board:BoardScreen", "f1", "Board"),
    "agents": ScreenEntry("catalyst_tui.ui.screens.agents:AgentsScreen", "f2", "Agents"),
    "ports": ScreenEntry("catalyst_tui.ui.screens.ports:PortsScreen", "f3", "Ports"),
    "janitor": ScreenEntry("catalyst_tui.ui.screens.janitor:JanitorScreen", "f4", "Janitor"),
    "snapshots": ScreenEntry("catalyst_tui.ui.screens.snapshots:SnapshotsScreen", "f5", "Snapshots"),
}


def load_screen_class(name: str) -> type:
    """Import and return the screen class registered as ``name``."""
    module_name, _, class_name = SCREENS[name].target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
