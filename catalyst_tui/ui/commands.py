"""The app's palette commands (``ctrl+p``), next to Textual's built-in ones.

Screens from other issues add their own provider to ``CatalystApp.COMMANDS`` only through
docs/ui-shell.md's rule: a screen-level ``COMMANDS`` set on the screen class.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from catalyst_tui.ui.registry import SCREENS

if TYPE_CHECKING:
    from catalyst_tui.ui.app import CatalystApp


class CatalystCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast("CatalystApp", self.app)
        out: list[tuple[str, Callable[[], object], str]] = []
        for name, entry in SCREENS.items():
            out.append((f"Go to {entry.title}", partial(app.action_go, name), f"switch screen ({entry.key})"))
        for i, agent in enumerate(app.ws.config.agent_names, start=1):
            out.append((f"Jump to agent {agent}", partial(app.action_jump_agent, agent), f"lane {i} on the board"))
        ours = [t for t in app.product_themes if t in app.available_themes]
        for theme in ours:  # the product's own themes first (their alarm colours are checked)
            out.append((f"Switch theme: {theme}", partial(app.action_set_theme, theme), "kept across restarts"))
        for theme in sorted(set(app.available_themes) - set(ours)):
            out.append((f"Switch theme: {theme} (Textual)", partial(app.action_set_theme, theme),
                        "Textual's built-in: alarm colours not checked"))
        out.append(("Restore an archived card", app.action_restore_card, "from the focused lane's archive (r)"))
        if app.can_toggle_read_only():
            state = "off" if app.read_only else "on"
            out.append((f"Toggle read-only (turn {state})", app.action_toggle_read_only, "no writes at all"))
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
