"""The nine lanes on one screen. Lanes are mounted once; updates only redraw changed lanes.

Height: every lane gets ``k`` rows (1 at 80x24, up to 4 on tall terminals) and the focused
lane takes the rest, so all lanes stay on screen at 80x24. While a filter is on, a lane it
leaves empty is collapsed (no rows at all), so the matches get the room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from catalyst_tui.core.board import next_order
from catalyst_tui.core.models import Card
from catalyst_tui.ui.board_model import CardFilter, Grouped, group, regroup
from catalyst_tui.ui.widgets.lane import BADGE_W, COUNT_W, NAME_W, LaneView

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus  # the monitor loads after the first frame


AGE_CHECK_S = 30.0  # ages read "new", "12 min", "3 h": checked twice a minute (at most 30 s late)


def lane_heights(avail: int, lanes: int, focused: int) -> list[int]:
    """Rows per lane: ``k`` for the others, the rest (at least 2 more) for the focused one."""
    if lanes == 0:
        return []
    k = max(1, min(4, (avail - 20) // max(1, lanes - 1)))
    while k > 1 and avail - k * (lanes - 1) < 8:
        k -= 1
    heights = [k] * lanes
    heights[focused] = max(1, avail - k * (lanes - 1))
    return heights


class BoardView(Vertical, can_focus=True):
    DEFAULT_CSS = """
    BoardView { height: 1fr; }
    BoardView > #board-head { height: 1; color: $text-muted; text-style: bold; }
    BoardView > LaneView.-focused { background: $lane-focus; }
    """

    def __init__(self, agents: list[str], columns: list[str], clock: Callable[[], float]) -> None:
        super().__init__(id="board")
        self.agents = agents
        self.columns = columns
        self.lanes = [LaneView(a, i, columns, clock) for i, a in enumerate(agents, start=1)]
        self.lane_of = {lane.agent: lane for lane in self.lanes}
        self.current = 0
        self.grouped = Grouped({a: [[] for _ in columns] for a in agents})
        self._shown: dict[str, Card] = {}  # the cards (and filter) self.grouped was made from
        self._shown_filter: CardFilter | None = None
        self.collapsing = False  # a filter is on: lanes without a match take no room
        self._landed = False  # the first cards shown put the cursor on the first lane's first card

    def compose(self) -> ComposeResult:
        yield Static(self._head_text(), id="board-head")
        yield from self.lanes

    def on_mount(self) -> None:
        self.set_timer(AGE_CHECK_S, self._check_ages)
        self.lanes[self.current].set_lane_focused(True)
        # Heights from the terminal's size now (chrome: header, status, triage, footer, board head),
        # so the first layout is already the right one; on_resize corrects it if the guess was off.
        self.layout_lanes(max(len(self.lanes), self.app.size.height - 5))

    def _head_text(self) -> Text:
        text = Text(" " * 2 + "agent".ljust(NAME_W) + "health".ljust(BADGE_W), no_wrap=True)
        for col in self.columns:
            text.append(col[: COUNT_W - 1].rjust(COUNT_W - 1) + " ")
        text.append(" focused card")
        return text

    def _check_ages(self) -> None:
        """Twice a minute: redraw only the lanes where a card's age text changed, only when shown.
        (An age is data: it is kept true, at the cost of one lane's lines a minute at most.)"""
        if self.screen.is_current:
            self.refresh_ages()
        self.set_timer(AGE_CHECK_S, self._check_ages)  # re-armed after each run

    def refresh_ages(self) -> int:
        """Redraw the lanes whose shown ages changed; how many were redrawn."""
        return sum(lane.refresh_ages() for lane in self.lanes)

    def on_resize(self) -> None:
        self.layout_lanes()

    def layout_lanes(self, avail: int | None = None) -> None:
        if avail is None:
            avail = self.size.height - 1
        shown = [lane for lane in self.lanes if lane.display]
        focused = shown.index(self.lane) if self.lane in shown else 0
        for lane, h in zip(shown, lane_heights(avail, len(shown), focused), strict=True):
            if lane.styles.height is None or lane.styles.height.value != h:
                lane.styles.height = h

    def shown(self, index: int) -> bool:
        return self.lanes[index].display

    def _collapse(self) -> None:
        """Under a filter, hide the lanes it left empty; show every lane otherwise. The cursor
        leaves a lane that was just hidden for the first one still shown."""
        changed = False
        for lane in self.lanes:
            show = not self.collapsing or any(lane.cards)
            if lane.display != show:
                lane.display = show
                changed = True
        if not self.lane.display:
            first = next((i for i in range(len(self.lanes)) if self.shown(i)), None)
            if first is not None:
                self.set_current(first)
                self.lane.land()
        if changed:
            self.layout_lanes()

    # ------------------------------------------------------------------ data
    def apply(self, cards: dict[str, Card], flt: CardFilter | None, focus: str | None = None) -> list[str]:
        """Show a new index; only lanes whose cards changed redraw. Returns those lanes' agents.

        After a write of a few cards (a move, an undo), only the lanes those cards left or
        joined are regrouped; a new filter, or a new index from elsewhere, regroups them all."""
        update = regroup(self.grouped, self._shown, cards, self.columns, flt) if flt == self._shown_filter else None
        self.grouped = group(cards.values(), self.agents, self.columns, flt) if update is None else update
        self._shown, self._shown_filter = cards, flt
        changed = []
        for lane in self.lanes:  # every lane: one may still show a preview the index did not take
            if lane.set_cards(self.grouped.lanes[lane.agent]):
                changed.append(lane.agent)
        self.collapsing = flt is not None and flt.active
        self._collapse()
        if focus is not None:
            self.follow(focus)
        elif not self._landed and any(self.lane.cards):
            self.lane.land()  # the first frame with cards: the summary's card is the cursor's
            self._landed = True
        return changed

    def preview_move(self, card: Card, agent: str, column: str, now: float,
                     flt: CardFilter | None = None) -> None:
        """Show a move at once, before the core has written it; the next index read replaces
        the preview with the truth (or undoes it, when the core refused the move)."""
        src, dst = self.lane_of.get(card.agent), self.lane_of.get(agent)
        if src is None or dst is None or column not in self.columns:
            return
        ci = self.columns.index(column)
        target = dst.cards[ci]
        moved = msgspec.structs.replace(card, agent=agent, column=column, moved=now, order=next_order(target))
        if flt is not None and flt.active and not flt.matches(moved):
            return  # it leaves the filtered view: the index read after the write shows that
        src_cols = [[c for c in col if c.id != card.id] for col in src.cards]
        if src is dst:
            src_cols[ci].append(moved)
            src.set_cards(src_cols, keep=moved.id)
        else:
            dst_cols = [list(col) for col in dst.cards]
            dst_cols[ci].append(moved)
            src.set_cards(src_cols)
            dst.set_cards(dst_cols, keep=moved.id)
        self._collapse()
        self.follow(moved.id)

    def follow(self, card_id: str) -> bool:
        """Put the cursor on ``card_id`` (and its lane), wherever it is now."""
        for i, lane in enumerate(self.lanes):
            if lane.focus_card(card_id):
                self.set_current(i)
                return True
        return False

    def set_status(self, status: AgentStatus) -> None:
        lane = self.lane_of.get(status.name)
        if lane is not None:
            lane.set_status(status)

    # ------------------------------------------------------------------ cursor
    @property
    def lane(self) -> LaneView:
        return self.lanes[self.current]

    def focused_card(self) -> Card | None:
        return self.lane.focused_card()

    def set_current(self, index: int) -> None:
        index = max(0, min(index, len(self.lanes) - 1))
        if index == self.current:
            return
        self.lanes[self.current].set_lane_focused(False)
        self.current = index
        self.lanes[index].set_lane_focused(True)
        self.layout_lanes()

    def jump(self, index: int) -> bool:
        """Go to lane ``index`` (0-based), its cursor on a card when it has one; False when
        the lane is collapsed by the filter (the cursor stays)."""
        if not 0 <= index < len(self.lanes) or not self.shown(index):
            return False
        self.set_current(index)
        self.lane.land()
        return True

    def _next_shown(self, delta: int) -> int | None:
        i = self.current + delta
        while 0 <= i < len(self.lanes):
            if self.shown(i):
                return i
            i += delta
        return None

    def cursor_up(self) -> None:
        if not self.lane.move_row(-1) and (above := self._next_shown(-1)) is not None:
            col = self.lane.col
            self.set_current(above)
            self.lane.col = col
            self.lane.go_to_row(len(self.lane.cards[col]) - 1)

    def cursor_down(self) -> None:
        if not self.lane.move_row(1) and (below := self._next_shown(1)) is not None:
            col = self.lane.col
            self.set_current(below)
            self.lane.col = col
            self.lane.go_to_row(0)

    def cursor_col(self, delta: int) -> None:
        self.lane.move_col(delta)

    def theme_changed(self) -> None:
        for lane in self.lanes:
            lane.theme_changed()
