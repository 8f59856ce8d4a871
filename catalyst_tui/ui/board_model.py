"""Pure board logic for the dashboard: the filter, grouping cards into lanes.

No widgets here (so it is cheap to test and to benchmark).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


REGROUP_MAX = 64  # more changed cards than this: grouping from scratch is as cheap


class Grouped(msgspec.Struct):
    """Cards per lane, per column (in board order), after the filter."""

    lanes: dict[str, list[list[Card]]] = msgspec.field(default_factory=dict)


def group(cards: Iterable[Card], agents: list[str], columns: list[str],
          flt: CardFilter | None = None) -> Grouped:
    """Every card into its lane and column (cards of an unknown lane or column are left out:
    the janitor reports them)."""
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
            continue
        if matches is not None and not matches(card):
            continue
        lane[pos].append(card)
    for lane in out.lanes.values():
        for col in lane:
            col.sort(key=in_column_order)
    return out


def changed_ids(old: Mapping[str, Card], new: Mapping[str, Card], limit: int = REGROUP_MAX) -> list[str] | None:
    """The ids of the cards added, changed or removed from ``old`` to ``new``; None past ``limit``.

    Cards are frozen and a reader re-reading an index it wrote keeps the unchanged ones as the
    same objects, so most are told apart by identity, without comparing their fields."""
    changed: list[str] = []
    kept = 0
    for cid, card in new.items():
        was = old.get(cid)
        if was is not None:
            kept += 1
            if was is card or was == card:
                continue
        changed.append(cid)
        if len(changed) > limit:
            return None
    if kept < len(old):  # some left (archived): find which
        changed += [cid for cid in old if cid not in new]
        if len(changed) > limit:
            return None
    return changed


def regroup(grouped: Grouped, old: Mapping[str, Card], new: Mapping[str, Card], columns: list[str],
            flt: CardFilter | None = None) -> Grouped | None:
    """``grouped`` (the grouping of ``old``) updated for ``new``; None when too many cards
    changed (group from scratch then). Only the lanes the changed cards left or joined are
    rebuilt, as new lists (the lanes' own lists are never changed in place); the others are
    the same lists as before."""
    ids = changed_ids(old, new)
    if ids is None:
        return None
    col_pos = {c: i for i, c in enumerate(columns)}
    matches = flt.matches if flt is not None and flt.active else None
    lanes = dict(grouped.lanes)
    touched: set[str] = set()
    resort: set[tuple[str, int]] = set()

    def lane(agent: str) -> list[list[Card]] | None:
        if agent not in lanes:
            return None
        if agent not in touched:
            lanes[agent] = [list(col) for col in lanes[agent]]
            touched.add(agent)
        return lanes[agent]

    for cid in ids:
        was, card = old.get(cid), new.get(cid)
        if was is not None and (cols := lane(was.agent)) is not None and (pos := col_pos.get(was.column)) is not None:
            cols[pos] = [c for c in cols[pos] if c.id != cid]
        if card is None or card.archived or (matches is not None and not matches(card)):
            continue
        if (cols := lane(card.agent)) is not None and (pos := col_pos.get(card.column)) is not None:
            cols[pos].append(card)
            resort.add((card.agent, pos))
    for agent, pos in resort:
        lanes[agent][pos].sort(key=in_column_order)
    return Grouped(lanes)
