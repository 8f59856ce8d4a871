"""The triage line, visible on every screen: which tenant is affected, and why (app.triage).

The line is composed for the width it is given (:meth:`Triage.fit`): tenant names and their
key figures first, never a number or a path cut in half; every reason of every tenant is one
key away (``t``, the triage list). A glyph and a word carry the meaning without colour
(``NO_COLOR``, a monochrome terminal); the alarm background is ``$error``, kept apart from
every neutral highlight after down-sampling to 256 and 16 colours (tests/ui/test_alarm_colours.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from catalyst_tui.core.models import Health
from catalyst_tui.core.text import visible

if TYPE_CHECKING:
    from catalyst_tui.core.health import Triage
    from catalyst_tui.ui.app import CatalystApp

WAITING_FOR_DATA = "triage: waiting for data…"



def glyph(triage: Triage) -> str:
    """The worst health's glyph: ``▲`` degraded, ``■`` quarantined, ``○`` offline, ``●`` healthy."""
    if triage.entries:
        return min((e.health for e in triage.entries), key=lambda h: h.rank).glyph
    return Health.DEGRADED.glyph if triage.alarm else (Health.WAITING if triage.waiting else Health.OK).glyph


class TriageLine(Widget):
    if TYPE_CHECKING:
        app: CatalystApp

    DEFAULT_CSS = """
    TriageLine { height: 1; padding: 0 1; background: $boost; color: $text; }
    TriageLine.-affected { background: $error; color: auto 95%; text-style: bold; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "triage", self._show, init=True)

    def _show(self, triage: Triage | None) -> None:
        self.set_class(triage is not None and triage.alarm, "-affected")
        self.refresh()

    @property
    def triage(self) -> Triage | None:
        return self.app.triage

    def line(self, width: int) -> str:
        """What the line says at ``width`` cells (its glyph included)."""
        triage = self.triage
        if triage is None:
            return WAITING_FOR_DATA
        mark = glyph(triage) + " "
        return mark + triage.fit(max(1, width - cell_len(mark)), cell_len)

    def render(self) -> Text:
        return Text(visible(self.line(self.content_size.width)), no_wrap=True, overflow="ellipsis")
