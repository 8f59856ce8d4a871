"""One agent's lane: ONE widget draws all of its cards (Line API), so cards are never widgets.

Row 0 is the lane's summary (agent, health badge, per-column counts, focused card). When the
lane has more rows, the columns are laid out across: a header row, then the cards, scrolled
so the lane's cursor stays visible. Only the rows on screen are ever rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from catalyst_tui.core.humanize import age
from catalyst_tui.core.models import Card, Health
from catalyst_tui.core.text import visible

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus  # the monitor loads after the first frame

NAME_W = 9
BADGE_W = 13
COUNT_W = 5
BADGES = {h: h.badge for h in Health}


# Latin, Latin-1, Latin Extended, general punctuation (dashes, quotes, ellipsis): one cell each.
_SINGLE_CELL = re.compile("[\x20-\x7e\u00a0-\u02ff\u2010-\u2027\u2030-\u205e]*")
NONE = Style()
DIM = Style(dim=True)
BOLD = Style(bold=True)
UNDERLINE = Style(underline=True)
DIM_ITALIC = Style(dim=True, italic=True)
SEP = Segment("│", DIM)


def summary_prefix_width(ncols: int) -> int:
    return 2 + NAME_W + BADGE_W + COUNT_W * ncols


class LaneView(Widget):
    DEFAULT_CSS = """
    LaneView { height: 1; width: 1fr; }
    """

    def __init__(self, agent: str, slot: int, columns: list[str], clock: Callable[[], float]) -> None:
        super().__init__(id=f"lane-{agent}")
        self.agent = agent
        self.slot = slot  # 1-based: the lane's number key and its $agent-N colour
        self.columns = columns
        self.clock = clock
        self.cards: list[list[Card]] = [[] for _ in columns]
        self.status: AgentStatus | None = None
        self.col = 0
        self.rows = [0] * len(columns)
        self.scroll = [0] * len(columns)
        self.lane_focused = False
        self.redraws = 0  # how many times this lane was asked to redraw (the benchmark checks it)
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None  # the widget's own style, computed once per redraw
        self._ages: dict[str, tuple[float, str]] = {}  # card id -> (moved, age text) as last drawn

    # ------------------------------------------------------------------ state
    def set_cards(self, cols: list[list[Card]], keep: str | None = None) -> bool:
        """Replace the lane's cards; returns False (and draws nothing) when nothing changed."""
        if cols == self.cards:
            return False
        if self._drawn_alike(cols):
            self.cards = cols  # the same cards in the same places, drawn the same (a move's preview
            return False  # replaced by the written move): nothing on screen changes
        keep = keep or (c.id if (c := self.focused_card()) else None)
        self.cards = cols
        if keep is None or not self.focus_card(keep):
            self._clamp()
        self._redraw()
        return True

    def _drawn_alike(self, cols: list[list[Card]]) -> bool:
        """Would ``cols`` draw exactly what the lane shows now? (ids, titles, flags, ages)"""
        if len(cols) != len(self.cards):
            return False
        now = self.clock()
        for new, old in zip(cols, self.cards, strict=True):
            if len(new) != len(old):
                return False
            for a, b in zip(new, old, strict=True):
                if a is not b and (a.id != b.id or a.title != b.title or a.flags != b.flags
                                   or lane_age(now - a.moved) != lane_age(now - b.moved)):
                    return False
        return True

    def set_status(self, status: AgentStatus) -> None:
        old = self.status
        self.status = status
        if old is None or old.health != status.health or old.reasons != status.reasons:
            self._redraw()

    def set_lane_focused(self, on: bool) -> None:
        if on != self.lane_focused:
            self.lane_focused = on
            self.set_class(on, "-focused")
            self._redraw()

    def theme_changed(self) -> None:
        self._styles.clear()
        self._redraw()

    def _redraw(self) -> None:
        self.redraws += 1
        self._base = None
        self._ages = {}
        self.refresh()

    def ages_stale(self) -> bool:
        """Would a card drawn now show a different age than it does? (the board's minute check)"""
        now = self.clock()
        return any(lane_age(now - moved) != shown for moved, shown in self._ages.values())

    def refresh_ages(self) -> bool:
        """Redraw the lane if an age on it changed; True if it did."""
        if self.ages_stale():
            self._redraw()
            return True
        return False

    def _clamp(self) -> None:
        self.col = max(0, min(self.col, len(self.columns) - 1))
        for i, col in enumerate(self.cards):
            self.rows[i] = max(0, min(self.rows[i], len(col) - 1))

    def focused_card(self) -> Card | None:
        col = self.cards[self.col]
        row = self.rows[self.col]
        return col[row] if 0 <= row < len(col) else None

    def focus_card(self, card_id: str) -> bool:
        for ci, col in enumerate(self.cards):
            for ri, card in enumerate(col):
                if card.id == card_id:
                    if (self.col, self.rows[ci]) != (ci, ri):  # already there: nothing to redraw
                        self.col, self.rows[ci] = ci, ri
                        self._redraw()
                    return True
        return False

    def land(self) -> bool:
        """Put an empty cursor on the lane's first card (its first column that holds one), so
        the card the summary names is the one a move key acts on. A cursor already on a card
        stays where the operator left it. True if the cursor moved."""
        if self.focused_card() is not None:
            return False
        for ci, col in enumerate(self.cards):
            if col:
                self.col, self.rows[ci] = ci, 0
                self._redraw()
                return True
        return False

    def move_row(self, delta: int) -> bool:
        """Move the cursor within the column; False at the edge (the board then changes lane)."""
        row = self.rows[self.col] + delta
        if not 0 <= row < len(self.cards[self.col]):
            return False
        self.rows[self.col] = row
        self._redraw()
        return True

    def move_col(self, delta: int) -> None:
        self.col = max(0, min(self.col + delta, len(self.columns) - 1))
        self._redraw()

    def go_to_row(self, row: int) -> None:
        self.rows[self.col] = max(0, min(row, len(self.cards[self.col]) - 1))
        self._redraw()

    # ------------------------------------------------------------------ drawing
    def _style(self, name: str, bold: bool = False) -> Style:
        key = f"{name}/{bold}"
        style = self._styles.get(key)
        if style is None:
            value = self.app.theme_variables.get(name)
            color = Color.parse(value).rich_color if value else None
            if name in ("card-focus", "lane-focus"):
                style = Style(bgcolor=color, bold=bold or None)
            else:
                style = Style(color=color, bold=bold or None)
            self._styles[key] = style
        return style

    def summary(self, width: int) -> list[Segment]:
        """Row 0: ``▌1aretha  ● ok   3   2   1   0   4  focused card title``."""
        agent = self._style(f"agent-{self.slot}")
        segs = [Segment("▌", agent), Segment(str(self.slot)[-1], DIM),
                Segment(fit(visible(self.agent), NAME_W - 1), self._style(f"agent-{self.slot}", bold=True)),
                Segment(" ")]
        if self.status is None:
            segs.append(Segment(fit("… loading", BADGE_W), DIM))
        else:
            segs.append(Segment(fit(BADGES[self.status.health], BADGE_W),
                                self._style(f"status-{self.status.health.value}")))
        for col in self.cards:
            segs.append(Segment(f"{len(col):>{COUNT_W - 1}} ", BOLD if col else DIM))
        rest = width - summary_prefix_width(len(self.cards)) - 1
        card = self.focused_card()
        style = NONE
        if card is None:  # the cursor's column is empty: show the lane's first card, dimmed
            card = next((col[0] for col in self.cards if col), None)
            style = DIM
        if rest > 3 and card is not None:
            segs.append(Segment(" " + fit(visible(card.title), rest - 1, pad=False), style))
        elif rest > 3 and self.status is not None and self.status.reasons and not any(self.cards):
            segs.append(Segment(" " + fit(visible("; ".join(self.status.reasons)), rest - 1, pad=False),
                                DIM_ITALIC))
        return segs

    def _unit(self, colw: int) -> int:
        return 2 if (self.lane_focused and colw < 40) else 1

    def _top(self) -> int:
        """The first card row: the focused lane has a column-header row, the others do not."""
        return 2 if self.lane_focused else 1

    def _visible_cards(self, height: int, colw: int) -> int:
        return max(1, (height - self._top()) // self._unit(colw))

    def _keep_visible(self, height: int, colw: int) -> None:
        vis = self._visible_cards(height, colw)
        for ci in range(len(self.columns)):
            row, top = self.rows[ci], self.scroll[ci]
            if row < top:
                self.scroll[ci] = row
            elif row >= top + vis:
                self.scroll[ci] = row - vis + 1
            self.scroll[ci] = max(0, min(self.scroll[ci], max(0, len(self.cards[ci]) - vis)))

    def _cell(self, ci: int, y: int, colw: int) -> list[Segment]:
        """Row ``y`` (>= 1) of column ``ci``, exactly ``colw`` cells wide (the last one a separator)."""
        cur = self.lane_focused and ci == self.col
        width = colw - 1
        if y == 1 and self.lane_focused:
            style = self._style("card-focus", bold=True) + UNDERLINE if cur else BOLD
            return [Segment(fit(f"{self.columns[ci]} ({len(self.cards[ci])})", width), style), SEP]
        top = self._top()
        unit = self._unit(colw)
        idx = self.scroll[ci] + (y - top) // unit
        col = self.cards[ci]
        if idx >= len(col):
            return [Segment(" " * width), SEP]
        card = col[idx]
        focus = cur and idx == self.rows[ci]
        flags = (" ⚑" + ",".join(visible(f) for f in card.flags)) if card.flags else ""
        shown_age = lane_age(self.clock() - card.moved)
        self._ages[card.id] = (card.moved, shown_age)
        meta = f"{card.id} {shown_age}{flags}"
        title_style = self._style("card-focus", bold=True) if focus else NONE
        meta_style = title_style + DIM if focus else DIM
        if (y - top) % unit == 0:
            if unit == 1 and width - len(meta) - 1 >= 8:
                room = width - cell_len(meta) - 1
                return [Segment(fit(visible(card.title), room), title_style),
                        Segment(" " + meta, meta_style), SEP]
            return [Segment(fit(visible(card.title), width), title_style), SEP]
        return [Segment(fit(("  " if colw > 24 else "") + meta, width), meta_style), SEP]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if y == 0:
            segments = self.summary(width)
        else:
            n = len(self.columns)
            colw = max(4, width // n)
            self._keep_visible(self.size.height, colw)
            segments = []
            for ci in range(n):
                segments.extend(self._cell(ci, y, colw))
        return Strip(segments).crop_extend(0, width, base).apply_style(base)


def lane_age(seconds: float) -> str:
    """A card's age in its column, as the board shows it: checked twice a minute, so under a
    minute it reads "new" (never a count of seconds that would stand still)."""
    return "new" if seconds < 60 else age(seconds)


def fit(text: str, width: int, pad: bool = True) -> str:
    """``text`` in exactly ``width`` cells (``…`` when cut; padded unless ``pad`` is False).

    Cell-aware (wide CJK characters count two); a 10,000-character title costs no more
    than a short one.
    """
    if width <= 0:
        return ""
    if text.isascii() or _SINGLE_CELL.fullmatch(text):  # fast path: one cell per character
        if len(text) <= width:
            return text.ljust(width) if pad else text
        return text[: width - 1] + "…"
    if len(text) > width * 4:
        text = text[: width * 4]
    if cell_len(text) <= width:
        return set_cell_size(text, width) if pad else text
    return set_cell_size(text, width - 1) + "…"
