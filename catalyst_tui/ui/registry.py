"""The screen registry: one line per screen, loaded lazily (docs/ui-shell.md).

Each entry maps a mode name to ``"module:Class"``, its switching key and its title. A screen
that is not written yet is simply absent. To add yours, add ONE line below and one module.
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


# Background services, started once when the app starts (not in tests built with
# ``make_app``), so work that must run whether or not its screen was ever opened starts with
# the app. Two forms:
#   "module:function"  called with the app (idempotent);
#   "mode:NAME"        the screen registered as NAME is mounted in the background (not shown),
#                      so the schedules it arms in on_mount run from the start.
SERVICES: list[str] = [
    "catalyst_tui.ui.screens.agents:start_live",  # live watching (idempotent)
    "mode:ports",  # listener scans feed the triage line (a hub port down affects all)
    "mode:janitor",  # the scheduled janitor run
    "mode:snapshots",  # the scheduled snapshot push
]


def load_target(target: str) -> object:
    """Import ``"module:attribute"`` and return the attribute."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def load_screen_class(name: str) -> type:
    """Import and return the screen class registered as ``name``."""
    module_name, _, class_name = SCREENS[name].target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
