"""What can be done to cards: add, move, edit, flag, archive, restore, undo, redo.

Each operation is one transaction of :class:`~.store.BoardStore` (locked, journaled) and is
public: the CLI, the dashboard and the MCP tools call these and nothing below them.
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec.structs import replace

from catalyst_tui.core.board.index import IndexFile
from catalyst_tui.core.board.order import board_order
from catalyst_tui.core.board.store import (
    OPERATOR,
    BoardStore,
    clean_title,
    live,
    new_card_id,
    place,
    with_flag,
)
from catalyst_tui.core.board.undo import ARCHIVE, Step, stacks, step_for
from catalyst_tui.core.errors import CardError, LaneError
from catalyst_tui.core.models import AuditEvent, Card, CardRefs

ARCHIVE_BATCH = 10_000  # cards per janitor transaction: bounds the time the index lock is held


@dataclass
class Board(BoardStore):
    def new_session(self) -> Board:
        """The same board as another session (a dashboard: its own undo stack)."""
        return Board(self.root, list(self.columns), list(self.agents), self.lock_timeout, self.clock,
                     self.done_ttl_s, self.journal_rotate_bytes)

    # ------------------------------------------------------------------ reading
    def get(self, card_id: str) -> Card:
        card = self.load().cards.get(card_id)
        if card is None:
            raise CardError(f"no card {card_id!r}")
        return card

    def find(self, card_id: str) -> tuple[Card, bool]:
        """A card wherever it is: ``(card, archived)``."""
        card = self.load().cards.get(card_id)
        if card is not None:
            return card, False
        found = self._find_archived_card(card_id)
        if found is None:
            raise CardError(f"no card {card_id!r} (not in the index, not in any lane's archive)")
        return found, True

    def cards_for(self, agent: str) -> list[Card]:
        cards = [c for c in self.load().cards.values() if c.agent == agent]
        return sorted(cards, key=board_order(self.columns))

    # ------------------------------------------------------------------ writing
    def ensure_index(self) -> None:
        """Write an empty, valid index if there is none (a new workspace)."""
        with self._transaction():
            pass

    def add(self, agent: str, title: str, column: str | None = None, by: str = OPERATOR,
            body: str | None = None) -> Card:
        """A new card; its body and its agent's work log (the files its refs name) exist after."""
        column = column or self.columns[0]
        self._check_target(agent, column)
        title = clean_title(title)
        now = self.clock()
        with self._transaction() as idx:
            card_id = new_card_id(idx)
            refs = CardRefs(body=f"agents/{agent}/cards/{card_id}.md", log=f"agents/{agent}/worklog.jsonl")
            card = Card(id=card_id, agent=agent, column=column, order=self._next_order(idx, agent, column),
                        title=title, created=now, moved=now, refs=refs)
            assert refs.body is not None and refs.log is not None
            self._create(refs.body, (body or f"# {title}\n").encode())
            self._create(refs.log, None)
            idx.cards[card_id] = card
            self._journal(self._event("add", card, by, dst=place(card), title=title))
        return card

    def move(self, card_id: str, column: str | None = None, agent: str | None = None,
             by: str = OPERATOR, only_lane: str | None = None) -> AuditEvent:
        """Move a card to ``column`` and/or reassign it to ``agent``'s lane.

        ``only_lane``: refuse unless the card is in that lane, checked under the index lock (an
        agent may move only its own cards; a check before the lock could race a reassignment).
        The card's refs are kept as they are: they name where it was created, and those files
        stay there (docs/workspace.md, "Cards and their files").
        """
        with self._transaction() as idx:
            card = live(idx, card_id)
            if only_lane is not None and card.agent != only_lane:
                raise LaneError(f"card {card_id} is in {card.agent}'s lane, not {only_lane}'s: "
                                f"{only_lane} may change only its own cards")
            event = self._apply_move(idx, card, agent or card.agent, column or card.column, by, "move")
        return event

    def _apply_move(self, idx: IndexFile, card: Card, agent: str, column: str, by: str,
                    action: str, ref: str | None = None, effect: str | None = None) -> AuditEvent:
        self._check_target(agent, column)
        src, dst = place(card), {"agent": agent, "column": column}
        if src == dst:
            raise CardError(f"card {card.id} is already in {agent}/{column}")
        card = replace(card, order=self._next_order(idx, agent, column), agent=agent, column=column,
                       moved=self.clock())
        idx.cards[card.id] = card
        return self._journal(self._event(action, card, by, src=src, dst=dst, ref=ref, effect=effect,
                                         title=card.title))

    def edit_title(self, card_id: str, title: str, by: str = OPERATOR) -> AuditEvent:
        with self._transaction() as idx:
            event = self._set_title(idx, live(idx, card_id), clean_title(title), by, "edit")
        return event

    def _set_title(self, idx: IndexFile, card: Card, title: str, by: str, action: str,
                   ref: str | None = None, effect: str | None = None) -> AuditEvent:
        old = card.title
        card = idx.cards[card.id] = replace(card, title=title)
        return self._journal(self._event(action, card, by, detail=f"title was: {old[:200]}", title=title,
                                         old_title=old, ref=ref, effect=effect, src=place(card)))

    def set_flag(self, card_id: str, flag: str, on: bool = True, by: str = "janitor") -> bool:
        """Idempotently add or remove a flag; returns whether anything changed."""
        with self._transaction() as idx:
            card = idx.cards.get(card_id)
            if card is None:
                raise CardError(f"no card {card_id!r}")
            if (flag in card.flags) == on:
                return False
            card = idx.cards[card_id] = replace(card, flags=with_flag(card.flags, flag, on))
            self._journal(self._event("flag", card, by, detail=("+" if on else "-") + flag))
        return True

    def set_flags(self, card_ids: list[str], flag: str, on: bool = True, by: str = "janitor") -> list[str]:
        """``set_flag`` for many cards in one index write (one rewrite, one fsync, not one per card);
        returns the ids that changed (unknown cards and cards already so are skipped)."""
        changed: list[str] = []
        with self._transaction() as idx:
            for card_id in card_ids:
                card = idx.cards.get(card_id)
                if card is None or (flag in card.flags) == on:
                    continue
                card = idx.cards[card_id] = replace(card, flags=with_flag(card.flags, flag, on))
                self._journal(self._event("flag", card, by, detail=("+" if on else "-") + flag))
                changed.append(card_id)
        return changed

    # ------------------------------------------------------------------ archive
    def archive(self, card_id: str, by: str = OPERATOR) -> AuditEvent:
        """Move a card out of the index into its agent's archive (undoable; ``restore`` brings it back)."""
        with self._transaction() as idx:
            event = self._to_archive(idx, live(idx, card_id), by, "archive")
        return event

    def restore(self, card_id: str, by: str = OPERATOR, agent: str | None = None,
                column: str | None = None) -> AuditEvent:
        """Bring an archived card back into the index (to its lane and column, or the ones given)."""
        with self._transaction() as idx:
            event = self._restore(idx, card_id, by, "restore", agent, column)
        return event

    def _restore(self, idx: IndexFile, card_id: str, by: str, action: str, agent: str | None = None,
                 column: str | None = None, ref: str | None = None, effect: str | None = None,
                 hint: str | None = None) -> AuditEvent:
        here = idx.cards.get(card_id)
        if here is not None and not here.archived:
            raise CardError(f"card {card_id} is not archived (it is in {here.agent}/{here.column})")
        rec = self._find_archived(card_id, hint or agent)
        if rec is None:
            raise CardError(f"no archived card {card_id!r}")
        card = rec.card
        agent, column = agent or card.agent, column or card.column
        self._check_target(agent, column)
        card = replace(card, agent=agent, column=column, order=self._next_order(idx, agent, column),
                       moved=self.clock(), archived=False)
        idx.cards[card.id] = card
        return self._journal(self._event(action, card, by, src={"agent": rec.card.agent, "column": rec.card.column},
                                         dst=place(card), title=card.title, ref=ref, effect=effect))

    def archive_done(self, before: float, limit: int = ARCHIVE_BATCH, by: str = "janitor") -> dict[str, int]:
        """One batch: up to ``limit`` cards of the last column not moved since ``before`` leave
        the index for their agents' archives. Returns how many per agent ({} when none)."""
        done_col = self.columns[-1]
        moved: dict[str, int] = {}
        with self._transaction() as idx:
            old = sorted((c for c in idx.cards.values() if c.column == done_col and c.moved < before),
                         key=lambda c: c.moved)[:limit]
            for card in old:
                self._to_archive(idx, card, by, "archive", detail=f"in {done_col} since before the done TTL")
                moved[card.agent] = moved.get(card.agent, 0) + 1
        return moved

    # ------------------------------------------------------------------ undo / redo
    def undo(self, by: str | None = None) -> AuditEvent:
        """Undo this session's last action (``by=None``), or ``by``'s last one in the journal."""
        return self._step("undo", by)

    def redo(self, by: str | None = None) -> AuditEvent:
        return self._step("redo", by)

    def _step(self, action: str, by: str | None) -> AuditEvent:
        with self._transaction() as idx:
            if by is None:
                events, whose = list(self._session_log), "in this session"
            else:
                events, whose = self.journal.read_by(by)[0], f"for {by}"
            done, undone = stacks(events)
            stack = done if action == "undo" else undone
            if not stack:
                raise CardError(f"nothing to {action} {whose}")
            last = stack[-1]
            step = step_for(last, action)
            return self._apply_step(idx, last, step, action, by or last.by)

    def _apply_step(self, idx: IndexFile, last: AuditEvent, step: Step, action: str, by: str) -> AuditEvent:
        card = idx.cards.get(last.card)
        if card is not None and card.archived:
            card = None
        if step.expect == ARCHIVE:
            if card is not None:
                raise CardError(f"cannot {action}: card {last.card} is back on the board ({card.agent}/{card.column})")
            where = step.then if isinstance(step.then, dict) else {}
            hint = last.src["agent"] if last.src else None
            return self._restore(idx, last.card, by, action, where.get("agent"), where.get("column"),
                                 ref=last.id, effect="restore", hint=hint)
        if card is None:
            raise CardError(f"cannot {action}: card {last.card} is archived or gone")
        if step.effect == "edit":
            if card.title != step.expect_title or step.then_title is None:
                raise CardError(f"cannot {action}: the title of {card.id} was changed since")
            return self._set_title(idx, card, step.then_title, by, action, ref=last.id, effect="edit")
        if not isinstance(step.expect, dict) or place(card) != step.expect:
            raise CardError(f"cannot {action}: card {card.id} was moved since (now {card.agent}/{card.column})")
        if step.then == ARCHIVE:
            return self._to_archive(idx, card, by, action, ref=last.id, effect="archive")
        assert isinstance(step.then, dict)
        return self._apply_move(idx, card, step.then["agent"], step.then["column"], by, action, ref=last.id,
                                effect="move")
