"""Pure board logic for the dashboard: the filter, grouping cards into lanes.

No widgets here (so it is cheap to test and to benchmark).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from catalyst_tui.core.board import in_column_order
from catalyst_tui.core.models import Card

FILTER_KEYS = ("agent", "column", "flag")


class CardFilter(msgspec.Struct, frozen=True):
    """``/`` filter: free words match the title or id; ``agent:``, ``column:``, ``flag:`` match exactly."""

    words: tuple[str, ...] = ()
    agents: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    source: str = ""

    @property
    def active(self) -> bool:
        return bool(self.words or self.agents or self.columns or self.flags)

    def matches(self, card: Card) -> bool:
        if self.agents and card.agent not in self.agents:
            return False
        if self.columns and card.column not in self.columns:
            return False
        if self.flags and not self.flags.intersection(card.flags):
            return False
        if self.words:
            hay = f"{card.title}\n{card.id}".casefold()
            return all(w in hay for w in self.words)
        return True


def parse_filter(text: str) -> CardFilter:
    words: list[str] = []
    keyed: dict[str, set[str]] = {k: set() for k in FILTER_KEYS}
    for token in text.split():
        key, sep, value = token.partition(":")
        if sep and key.lower() in keyed and value:
            keyed[key.lower()].add(value)
        else:
            words.append(token.casefold())
    return CardFilter(tuple(words), frozenset(keyed["agent"]), frozenset(keyed["column"]),
                      frozenset(keyed["flag"]), text.strip())


class Grouped(msgspec.Struct):
    """Cards per lane, per column (in board order), after the filter."""

    lanes: dict[str, list[list[Card]]] = msgspec.field(default_factory=dict)
    hidden: int = 0  # cards the filter hid
    stray: int = 0  # cards in an unknown lane or column (the janitor reports them)


def group(cards: Iterable[Card], agents: list[str], columns: list[str],
          flt: CardFilter | None = None) -> Grouped:
    col_pos = {c: i for i, c in enumerate(columns)}
    out = Grouped({a: [[] for _ in columns] for a in agents})
    lanes = out.lanes
    matches = flt.matches if flt is not None and flt.active else None
    for card in cards:
        if card.archived:
            continue
        lane = lanes.get(card.agent)
        pos = col_pos.get(card.column)
        if lane is None or pos is None:
            out.stray += 1
            continue
        if matches is not None and not matches(card):
            out.hidden += 1
            continue
        lane[pos].append(card)
    for lane in out.lanes.values():
        for col in lane:
            col.sort(key=in_column_order)
    return out

