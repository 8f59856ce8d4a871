"""The shared board index and its audit journal.

``board/index.json`` maps card id -> lane (agent), column, order, title and references to
the card's per-agent files. It is the only shared state. Every change is a
read-modify-write under ``board/index.lock``; the new index is written atomically and the
previous good one is kept as ``board/index.json.bak`` (a hard link, no copy), so a reader at
any instant parses a complete index, and a corrupt index falls back to the last good copy.
Every change is appended to ``board/audit.jsonl``; the operator's moves can be undone and
redone from it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import replace

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CardError, LaneError
from catalyst_tui.core.jsonl import ParseError, read_all
from catalyst_tui.core.models import AuditEvent, Card, CardRefs, decode_audit
from catalyst_tui.core.names import validate_agent_name

log = logging.getLogger("catalyst_tui.board")

INDEX_VERSION = 1
OPERATOR = "operator"


class IndexFile(msgspec.Struct, kw_only=True):
    version: int = INDEX_VERSION
    seq: int = 0
    updated: float = 0.0
    cards: dict[str, Card] = msgspec.field(default_factory=dict)


_INDEX_DECODER = msgspec.json.Decoder(IndexFile)

# Card order, one owner: within a column by ``order`` (ties by id, so every reader agrees);
# across a lane by column position; across the board by lane (the config's agent order).
# Cards in an unknown lane or column sort after the known ones.
in_column_order: Callable[[Card], Any] = attrgetter("order", "id")


def board_order(columns: Sequence[str], agents: Sequence[str] = ()) -> Callable[[Card], tuple[Any, ...]]:
    """The sort key of cards as the board shows them: lane, column, then :data:`in_column_order`."""
    col_pos = {c: i for i, c in enumerate(columns)}
    lane_pos = {a: i for i, a in enumerate(agents)}
    return lambda c: (lane_pos.get(c.agent, len(lane_pos)), col_pos.get(c.column, len(col_pos)), c.order, c.id)


def next_order(column: Iterable[Card]) -> float:
    """The ``order`` of a card put last in a column that holds ``column``."""
    return max((c.order for c in column), default=0.0) + 1.0


@dataclass
class IndexView:
    """What a reader got: the cards, and whether it had to fall back to the last good copy."""

    cards: dict[str, Card]
    seq: int
    updated: float
    fallback: str | None = None  # why index.json was not used, when it was not


@dataclass
class Board:
    root: Path
    columns: list[str]
    agents: list[str]
    lock_timeout: float = storage.DEFAULT_LOCK_TIMEOUT
    clock: Callable[[], float] = time.time
    _warned: set[str] = field(default_factory=set, repr=False)
    _pending: list[AuditEvent] = field(default_factory=list, repr=False)
    _cache: tuple[tuple[str, storage.FileSignature], IndexFile] | None = field(default=None, repr=False)

    @property
    def dir(self) -> Path:
        return self.root / "board"

    @property
    def index_path(self) -> Path:
        return self.dir / "index.json"

    @property
    def backup_path(self) -> Path:
        return self.dir / "index.json.bak"

    @property
    def lock_path(self) -> Path:
        return self.dir / "index.lock"

    @property
    def audit_path(self) -> Path:
        return self.dir / "audit.jsonl"

    # ------------------------------------------------------------------ reading
    def signature(self) -> storage.FileSignature | None:
        """Changes whenever the index does (a reader polls this, never the file itself)."""
        return storage.file_signature(self.index_path)

    def load(self) -> IndexView:
        """Lock-free read of the index, falling back (loudly) to the last good copy."""
        try:
            return self._parse(self.index_path)
        except FileNotFoundError:
            if not self.backup_path.exists():
                return IndexView({}, 0, 0.0)
            reason = f"{self.index_path}: missing"
        except (msgspec.DecodeError, msgspec.ValidationError, OSError) as exc:
            reason = f"{self.index_path}: corrupt ({str(exc).splitlines()[0][:120]})"
        try:
            view = self._parse(self.backup_path)
        except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError, OSError) as exc:
            raise CardError(f"{reason}; last good copy {self.backup_path} unusable too: {exc}") from None
        replayed = self._replay(view.cards, view.updated)
        view.fallback = (f"{reason}; using last good copy {self.backup_path.name} (seq {view.seq})"
                         + (f" + {replayed} change(s) replayed from the audit journal" if replayed else ""))
        if view.fallback not in self._warned:
            self._warned.add(view.fallback)
            log.warning("index fallback: %s", view.fallback)
        return view

    def _replay(self, cards: dict[str, Card], since: float) -> int:
        """Re-apply journal events newer than a backup, so a fallback loses no change."""
        events, _ = self.audit()
        n = 0
        for ev in events:
            if ev.ts <= since:
                continue
            card = cards.get(ev.card)
            if ev.action == "add" and card is None and ev.dst and ev.title:
                agent, column = ev.dst["agent"], ev.dst["column"]
                cards[ev.card] = Card(id=ev.card, agent=agent, column=column, order=ev.ts, title=ev.title,
                                      created=ev.ts, moved=ev.ts,
                                      refs=CardRefs(body=f"agents/{agent}/cards/{ev.card}.md",
                                                    log=f"agents/{agent}/worklog.jsonl"))
            elif card is None:
                continue
            elif ev.action in ("move", "undo", "redo") and ev.dst:
                cards[ev.card] = replace(card, agent=ev.dst["agent"], column=ev.dst["column"], moved=ev.ts,
                                         order=ev.ts)
            elif ev.action == "edit" and ev.title:
                cards[ev.card] = replace(card, title=ev.title)
            elif ev.action == "archive":
                cards[ev.card] = replace(card, archived=True)
            elif ev.action == "flag" and ev.detail:
                cards[ev.card] = replace(card, flags=_with_flag(card.flags, ev.detail[1:], ev.detail[0] == "+"))
            else:
                continue
            n += 1
        return n

    def _parse(self, path: Path) -> IndexView:
        idx = self._decode(path)
        return IndexView(dict(idx.cards), idx.seq, idx.updated)

    def _decode(self, path: Path) -> IndexFile:
        """Decode an index file; the last decoded index is reused while the file is unchanged.

        Every write renames a new file into place, so (inode, size, mtime_ns) identifies
        one version of the index. Cards are frozen, so sharing them is safe.
        """
        st = os.stat(path)
        key = (path.name, storage.signature_of(st))
        cached = self._cache
        if cached is not None and cached[0] == key:
            return cached[1]
        idx = _INDEX_DECODER.decode(path.read_bytes())
        if idx.version != INDEX_VERSION:
            raise msgspec.ValidationError(f"unknown index version {idx.version}")
        self._cache = (key, idx)
        return idx

    def get(self, card_id: str) -> Card:
        card = self.load().cards.get(card_id)
        if card is None:
            raise CardError(f"no card {card_id!r}")
        return card

    def cards_for(self, agent: str) -> list[Card]:
        cards = [c for c in self.load().cards.values() if c.agent == agent and not c.archived]
        return sorted(cards, key=board_order(self.columns))

    def audit(self) -> tuple[list[AuditEvent], list[ParseError]]:
        return read_all(self.audit_path, decode_audit)

    def history(self, card_id: str) -> list[AuditEvent]:
        return [e for e in self.audit()[0] if e.card == card_id]

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def _transaction(self) -> Iterator[IndexFile]:
        """Read-modify-write of the index under its lock. Yields the mutable index.

        Audit events queued with :meth:`_journal` during the block are appended after the
        new index is in place, so the journal never records a change the index lacks.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        with storage.locked(self.lock_path, self.lock_timeout):
            current_ok = False
            try:
                cur = self._decode(self.index_path)
                idx = IndexFile(version=cur.version, seq=cur.seq, updated=cur.updated, cards=dict(cur.cards))
                current_ok = True
            except FileNotFoundError:
                idx = IndexFile()
            except (msgspec.DecodeError, msgspec.ValidationError):
                view = self.load()  # falls back to the backup, loudly
                idx = IndexFile(seq=view.seq, updated=view.updated, cards=dict(view.cards))
                keep = self.dir / f"index.json.corrupt-{int(self.clock())}"
                os.replace(self.index_path, keep)  # lose nothing: keep the bad file for review
                log.error("corrupt index moved to %s", keep)
            self._pending = []
            yield idx
            idx.seq += 1
            idx.updated = self.clock()
            if current_ok:
                tmp_link = storage.tmp_name(self.backup_path)
                os.link(self.index_path, tmp_link)
                os.replace(tmp_link, self.backup_path)
            storage.atomic_write_bytes(self.index_path, msgspec.json.encode(idx) + b"\n")
            st = os.stat(self.index_path)
            self._cache = ((self.index_path.name, storage.signature_of(st)), idx)
            for event in self._pending:
                storage.append_line(self.audit_path, msgspec.json.encode(event))
            self._pending = []

    def _journal(self, event: AuditEvent) -> None:
        self._pending.append(event)

    def _event(self, action: str, card: Card, by: str, **kw: object) -> AuditEvent:
        return AuditEvent(id="e-" + secrets.token_hex(6), ts=self.clock(), by=by, action=action,  # type: ignore[arg-type]
                          card=card.id, **kw)  # type: ignore[arg-type]

    def _check_target(self, agent: str, column: str) -> None:
        validate_agent_name(agent)
        if agent not in self.agents:
            raise CardError(f"unknown agent {agent!r} (agents: {', '.join(self.agents)})")
        if column not in self.columns:
            raise CardError(f"unknown column {column!r} (columns: {', '.join(self.columns)})")

    @staticmethod
    def _next_order(idx: IndexFile, agent: str, column: str) -> float:
        return next_order(c for c in idx.cards.values() if c.agent == agent and c.column == column)

    def add(self, agent: str, title: str, column: str | None = None, by: str = OPERATOR,
            body: str | None = None) -> Card:
        column = column or self.columns[0]
        self._check_target(agent, column)
        title = _clean_title(title)
        now = self.clock()
        with self._transaction() as idx:
            card_id = _new_id(idx)
            body_rel = f"agents/{agent}/cards/{card_id}.md"
            card = Card(id=card_id, agent=agent, column=column, order=self._next_order(idx, agent, column),
                        title=title, created=now, moved=now,
                        refs=CardRefs(body=body_rel, log=f"agents/{agent}/worklog.jsonl"))
            body_path = self.root / body_rel
            body_path.parent.mkdir(parents=True, exist_ok=True)
            storage.atomic_write_bytes(body_path, (body or f"# {title}\n").encode())
            idx.cards[card_id] = card
            self._journal(self._event("add", card, by, dst={"agent": agent, "column": column}, title=title))
        return card

    def move(self, card_id: str, column: str | None = None, agent: str | None = None,
             by: str = OPERATOR, only_lane: str | None = None) -> AuditEvent:
        """Move a card to ``column`` and/or reassign it to ``agent``'s lane.

        ``only_lane``: refuse unless the card is in that lane, checked under the index lock (an
        agent may move only its own cards; a check before the lock could race a reassignment).
        """
        with self._transaction() as idx:
            card = _live(idx, card_id)
            if only_lane is not None and card.agent != only_lane:
                raise LaneError(f"card {card_id} is in {card.agent}'s lane, not {only_lane}'s: "
                                f"{only_lane} may change only its own cards")
            event = self._apply_move(idx, card, agent or card.agent, column or card.column, by, "move")
        return event

    def _apply_move(self, idx: IndexFile, card: Card, agent: str, column: str, by: str,
                    action: str, ref: str | None = None) -> AuditEvent:
        self._check_target(agent, column)
        src = {"agent": card.agent, "column": card.column}
        dst = {"agent": agent, "column": column}
        if src == dst:
            raise CardError(f"card {card.id} is already in {agent}/{column}")
        card = replace(card, order=self._next_order(idx, agent, column), agent=agent, column=column,
                       moved=self.clock())
        idx.cards[card.id] = card
        event = self._event(action, card, by, src=src, dst=dst, ref=ref)
        self._journal(event)
        return event

    def edit_title(self, card_id: str, title: str, by: str = OPERATOR) -> AuditEvent:
        with self._transaction() as idx:
            card = _live(idx, card_id)
            old = card.title
            card = idx.cards[card_id] = replace(card, title=_clean_title(title))
            event = self._event("edit", card, by, detail=f"title was: {old[:200]}", title=card.title)
            self._journal(event)
        return event

    def archive(self, card_id: str, by: str = OPERATOR) -> AuditEvent:
        with self._transaction() as idx:
            card = idx.cards[card_id] = replace(_live(idx, card_id), archived=True)
            event = self._event("archive", card, by, src={"agent": card.agent, "column": card.column})
            self._journal(event)
        return event

    def set_flag(self, card_id: str, flag: str, on: bool = True, by: str = "janitor") -> bool:
        """Idempotently add or remove a flag; returns whether anything changed."""
        with self._transaction() as idx:
            card = idx.cards.get(card_id)
            if card is None:
                raise CardError(f"no card {card_id!r}")
            if (flag in card.flags) == on:
                return False
            card = idx.cards[card_id] = replace(card, flags=_with_flag(card.flags, flag, on))
            self._journal(self._event("flag", card, by, detail=("+" if on else "-") + flag))
        return True

    # ------------------------------------------------------------------ undo / redo
    def _stacks(self, by: str) -> tuple[list[AuditEvent], list[AuditEvent]]:
        """``by``'s moves that can be undone, and its undone moves that can be redone."""
        done: list[AuditEvent] = []
        undone: list[AuditEvent] = []
        for ev in self.audit()[0]:
            if ev.by != by:
                continue
            if ev.action == "move":
                done.append(ev)
                undone.clear()
            elif ev.action == "undo" and ev.ref and done and done[-1].id == ev.ref:
                undone.append(done.pop())
            elif ev.action == "redo" and ev.ref and undone and undone[-1].id == ev.ref:
                done.append(undone.pop())
        return done, undone

    def undo(self, by: str = OPERATOR) -> AuditEvent:
        return self._step(by, "undo")

    def redo(self, by: str = OPERATOR) -> AuditEvent:
        return self._step(by, "redo")

    def _step(self, by: str, action: str) -> AuditEvent:
        with self._transaction() as idx:
            done, undone = self._stacks(by)
            stack = done if action == "undo" else undone
            if not stack:
                raise CardError(f"nothing to {action} for {by}")
            last = stack[-1]
            assert last.src is not None and last.dst is not None
            here, there = (last.dst, last.src) if action == "undo" else (last.src, last.dst)
            card = _live(idx, last.card)
            _expect_at(card, here, action)
            return self._apply_move(idx, card, there["agent"], there["column"], by, action, ref=last.id)


def _with_flag(flags: tuple[str, ...], flag: str, on: bool) -> tuple[str, ...]:
    return tuple(sorted(set(flags) | {flag})) if on else tuple(f for f in flags if f != flag)


def _expect_at(card: Card, where: dict[str, str] | None, what: str) -> None:
    if where is None or {"agent": card.agent, "column": card.column} != where:
        raise CardError(f"cannot {what}: card {card.id} was moved since (now {card.agent}/{card.column})")


def _live(idx: IndexFile, card_id: str) -> Card:
    card = idx.cards.get(card_id)
    if card is None or card.archived:
        raise CardError(f"no card {card_id!r}")
    return card


def _new_id(idx: IndexFile) -> str:
    while True:
        card_id = "c-" + secrets.token_hex(4)
        if card_id not in idx.cards:
            return card_id


def _clean_title(title: str) -> str:
    title = " ".join(title.split())  # one line: newlines and tabs become spaces
    if not title:
        raise CardError("a card title cannot be empty")
    return title
