"""Rebuilding the index from its last good copy and the audit journal (the fallback path).

Every committed event newer than the copy is re-applied, so a fallback loses no acknowledged
change. "Newer" is by ``seq`` (the index version an event committed); events written by 0.1
carry no seq and are compared by time, as 0.1 did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from msgspec.structs import replace

from catalyst_tui.core.board.index import IndexFile
from catalyst_tui.core.models import AuditEvent, Card, CardRefs

FindArchived = Callable[[str, str | None], Card | None]  # (card id, agent hint) -> the archived card


def effect_of(ev: AuditEvent) -> str:
    if ev.effect:
        return ev.effect
    return "move" if ev.action in ("undo", "redo") else ev.action  # 0.1 undid moves only


def replay(idx: IndexFile, events: Iterable[AuditEvent], find_archived: FindArchived) -> int:
    """Apply to ``idx`` (in place) the events newer than it; returns how many changed it.

    ``idx.seq`` becomes the highest seq of the committed events newer than it, applied or not
    (one that changes nothing here was committed all the same): the next write continues the
    sequence, and no writer takes such an event for a killed one's and voids it.
    """
    since_seq, since_ts = idx.seq, idx.updated
    top = idx.seq
    n = 0
    for ev in events:
        if ev.seq is not None:
            if ev.seq <= since_seq:
                continue
            top = max(top, ev.seq)
        elif ev.ts <= since_ts:
            continue
        if _apply(idx, ev, find_archived):
            n += 1
    idx.seq = top
    return n


def _apply(idx: IndexFile, ev: AuditEvent, find_archived: FindArchived) -> bool:
    cards = idx.cards
    card = cards.get(ev.card)
    effect = effect_of(ev)
    if ev.action == "add":
        if card is not None or not ev.dst or not ev.title:
            return False
        agent, column = ev.dst["agent"], ev.dst["column"]
        cards[ev.card] = Card(id=ev.card, agent=agent, column=column, order=ev.ts, title=ev.title,
                              created=ev.ts, moved=ev.ts,
                              refs=CardRefs(body=f"agents/{agent}/cards/{ev.card}.md",
                                            log=f"agents/{agent}/worklog.jsonl"))
        return True
    if effect == "restore":
        if ev.dst is None or (card is not None and not card.archived):
            return False
        found = card or find_archived(ev.card, ev.src["agent"] if ev.src else ev.dst["agent"])
        if found is None:
            found = Card(id=ev.card, agent=ev.dst["agent"], column=ev.dst["column"], order=ev.ts,
                         title=ev.title or ev.card, created=ev.ts, moved=ev.ts)
        cards[ev.card] = replace(found, agent=ev.dst["agent"], column=ev.dst["column"], moved=ev.ts,
                                 order=ev.ts, archived=False)
        return True
    if card is None:
        return False
    if effect == "move" and ev.dst:
        cards[ev.card] = replace(card, agent=ev.dst["agent"], column=ev.dst["column"], moved=ev.ts, order=ev.ts)
    elif effect == "edit" and ev.title:
        cards[ev.card] = replace(card, title=ev.title)
    elif effect == "archive":
        if ev.seq is None:
            cards[ev.card] = replace(card, archived=True)  # 0.1 kept archived cards in the index
        else:
            del cards[ev.card]  # written to its agent's archive before this event's index write
    elif ev.action == "flag" and ev.detail:
        cards[ev.card] = replace(card, flags=with_flag(card.flags, ev.detail[1:], ev.detail[0] == "+"))
    else:
        return False
    return True


def with_flag(flags: tuple[str, ...], flag: str, on: bool) -> tuple[str, ...]:
    return tuple(sorted(set(flags) | {flag})) if on else tuple(f for f in flags if f != flag)
