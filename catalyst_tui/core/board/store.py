"""The board: the shared index of live cards, its audit journal and the per-agent archives.

``board/index.json`` maps card id -> lane (agent), column, order, title and references to the
card's per-agent files, for live cards only (archived and old done cards are in their agent's
archive, :mod:`.archive`). Every change is a read-modify-write under ``board/index.lock``:

1. its events are appended to ``board/audit.jsonl`` (written ahead, :mod:`.journal`);
2. cards leaving the index are appended to their agent's archive;
3. the current index is hard-linked to ``index.json.bak`` and the new one renamed into place.

A writer killed between any two steps leaves a state the next writer resolves: journaled
events the index never reached are voided (``abort``), archive lines of cards still in the
index are stale and ignored. If a step fails, nothing the readers see has changed. A reader
at any instant parses a complete index; a corrupt index falls back, loudly, to the last good
copy plus the journal (:mod:`.replay`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from msgspec.structs import replace

from catalyst_tui.core import storage
from catalyst_tui.core.board import archive
from catalyst_tui.core.board.archive import ArchivedCard, Archives
from catalyst_tui.core.board.index import (
    INDEX_VERSION,
    IndexFile,
    IndexView,
    decode_index,
    index_chunks,
    live_cards,
    set_aside_name,
)
from catalyst_tui.core.board.journal import ROTATE_BYTES, AuditJournal, abort_event
from catalyst_tui.core.board.order import next_order
from catalyst_tui.core.board.replay import replay, with_flag
from catalyst_tui.core.errors import CardError, os_reason
from catalyst_tui.core.jsonl import ParseError
from catalyst_tui.core.models import AuditEvent, Card
from catalyst_tui.core.names import validate_agent_name

log = logging.getLogger("catalyst_tui.board")

OPERATOR = "operator"
MIGRATOR = "catalyst-tui"  # the actor of the archive events of a 0.1 index's conversion
DEFAULT_DONE_TTL_S = 7 * 86400.0
SESSION_LOG_MAX = 10_000  # events a session remembers for its undo (older ones cannot be undone by it)

_BAD_INDEX = (msgspec.DecodeError, msgspec.ValidationError)


def _token(nbytes: int) -> str:
    """``secrets.token_hex``: the same bytes (os.urandom), without importing secrets (its hmac and
    hashlib imports would be on the dashboard's way to its first frame)."""
    return os.urandom(nbytes).hex()


def new_session_id() -> str:
    return "s-" + _token(6)


def place(card: Card) -> dict[str, str]:
    return {"agent": card.agent, "column": card.column}


@dataclass
class BoardStore:
    """Paths, reading, and the write transaction. :class:`~.ops.Board` adds the operations."""

    root: Path
    columns: list[str]
    agents: list[str]
    lock_timeout: float = storage.DEFAULT_LOCK_TIMEOUT
    clock: Callable[[], float] = time.time
    done_ttl_s: float = DEFAULT_DONE_TTL_S
    journal_rotate_bytes: int = ROTATE_BYTES  # the audit journal's live file is sealed as a segment past this
    # each Board is one session (a dashboard, a CLI invocation): its events carry this id and
    # its own undo stack is the events it committed (kept here: no journal read on ``u``)
    session: str = field(default_factory=new_session_id)
    step_hook: Callable[[str], None] | None = field(default=None, repr=False)  # tests: kill at a step
    _warned: set[str] = field(default_factory=set, repr=False)
    _pending: list[AuditEvent] = field(default_factory=list, repr=False)
    _archive_out: dict[str, list[ArchivedCard]] = field(default_factory=dict, repr=False)
    _created: list[Path] = field(default_factory=list, repr=False)
    _txn_seq: int = field(default=0, repr=False)
    _session_log: list[AuditEvent] = field(default_factory=list, repr=False)
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

    @property
    def journal(self) -> AuditJournal:
        return AuditJournal(self.audit_path, self.journal_rotate_bytes)

    # ------------------------------------------------------------------ reading
    def signature(self) -> storage.FileSignature | None:
        """Changes whenever the index does (a reader polls this, never the file itself)."""
        return storage.file_signature(self.index_path)

    def load(self) -> IndexView:
        """Lock-free read of the live cards, falling back (loudly) to the last good copy."""
        try:
            idx = self._decode(self.index_path)
        except FileNotFoundError:
            if not self.backup_path.exists():
                return IndexView({}, 0, 0.0)
            reason = f"{self.index_path}: missing"
        except (*_BAD_INDEX, OSError) as exc:
            reason = f"{self.index_path}: corrupt ({str(exc).splitlines()[0][:120]})"
        else:
            return IndexView(live_cards(idx), idx.seq, idx.updated)
        idx, fallback = self._fallback(reason)
        return IndexView(live_cards(idx), idx.seq, idx.updated, fallback=fallback)

    def _fallback(self, reason: str) -> tuple[IndexFile, str]:
        """The last good copy with the journal's newer events re-applied."""
        try:
            bak = self._decode(self.backup_path)
        except (FileNotFoundError, *_BAD_INDEX, OSError) as exc:
            raise CardError(f"{reason}; last good copy {self.backup_path} unusable too: {exc}") from None
        idx = IndexFile(version=bak.version, seq=bak.seq, updated=bak.updated, cards=dict(bak.cards))
        events, _ = self.journal.read_after(bak.seq, bak.updated)
        replayed = replay(idx, events, self._find_archived_card)
        fallback = (f"{reason}; using last good copy {self.backup_path.name} (seq {bak.seq})"
                    + (f" + {replayed} change(s) replayed from the audit journal" if replayed else ""))
        if fallback not in self._warned:
            self._warned.add(fallback)
            log.warning("index fallback: %s", fallback)
        return idx, fallback

    def _decode(self, path: Path) -> IndexFile:
        """Decode an index file; the last decoded index is reused while the file is unchanged.

        Every write renames a new file into place, so (inode, size, mtime_ns) identifies
        one version of the index. Cards are frozen, so sharing them is safe.
        """
        fd, st = storage.open_regular(path)  # never blocks on a FIFO, refuses a device
        try:
            key = (path.name, storage.signature_of(st))
            cached = self._cache
            if cached is not None and cached[0] == key:
                return cached[1]
            idx = decode_index(storage.read_fd(fd, st.st_size, storage.LIMITS["index"], path))
        finally:
            os.close(fd)
        self._cache = (key, idx)
        return idx

    def audit(self) -> tuple[list[AuditEvent], list[ParseError]]:
        """The committed events: voided ones left out, and so are those of a write still under
        way (or killed) whose index is not in place yet."""
        return self._committed(self.journal.read())

    def _committed(self, read: tuple[list[AuditEvent], list[ParseError]]) -> tuple[list[AuditEvent], list[ParseError]]:
        events, errors = read
        top = self.load().seq
        return [e for e in events if e.seq is None or e.seq <= top], errors

    def history(self, card_id: str) -> list[AuditEvent]:
        """One card's committed events (only the journal segments that hold some are read)."""
        return self._committed(self.journal.read_card(card_id))[0]

    def archived(self, agents: list[str] | None = None) -> Archives:
        """The archived cards of ``agents`` (all lanes by default), cards live in the index left out."""
        return archive.read(self.root, self.agents if agents is None else agents, self.load().cards)

    def _find_archived_card(self, card_id: str, agent: str | None = None) -> Card | None:
        rec = self._find_archived(card_id, agent)
        return rec.card if rec is not None else None

    def _find_archived(self, card_id: str, agent: str | None = None) -> ArchivedCard | None:
        """Look in ``agent``'s archive first (where the journal says it went), then in every lane's."""
        order = ([agent] if agent in self.agents else []) + [a for a in self.agents if a != agent]
        for name in order:
            rec = archive.find(self.root, name, card_id)
            if rec is not None:
                return rec
        return None

    # ------------------------------------------------------------------ writing
    def _hook(self, step: str) -> None:
        if self.step_hook is not None:
            self.step_hook(step)

    def sweep_stray_temps(self) -> None:
        """Remove the backup's temp links left by killed writers (under the index lock)."""
        if self.dir.is_dir():
            with storage.locked(self.lock_path, self.lock_timeout):
                self._sweep_stray_temps()

    def _sweep_stray_temps(self) -> None:
        """Temp links of the backup left by a writer killed between its link and its rename. Every
        writer holds the index lock, so under the lock any such temp is a dead one's; it is only
        another name of an old index (no content of its own). A temp of the index itself may hold
        a whole unwritten index: the janitor's orphan-temp rule archives it for review instead."""
        prefixes = (f".{self.backup_path.name}{storage.TMP_MARKER}",)
        with contextlib.suppress(OSError):
            for name in os.listdir(self.dir):
                if name.startswith(prefixes):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.dir / name)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[IndexFile]:
        """Read-modify-write of the index under its lock. Yields the mutable index.

        Events queued with :meth:`_journal` and cards queued with :meth:`_to_archive` are
        written when the block ends, in the order the module docstring gives. A block that
        changes nothing writes nothing (except the very first index).
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        with storage.locked(self.lock_path, self.lock_timeout):
            self._sweep_stray_temps()
            idx, current_ok = self._read_for_write()
            before = dict(idx.cards)
            journal = self.journal
            journal.heal(idx.seq, self.clock)  # a writer killed between its journal and index writes
            try:
                journal.seal(self.step_hook)  # past its size: a new segment (after heal: a sealed one needs no voiding)
            except CardError as exc:  # the journal stays one file a while longer; the change goes on
                if str(exc) not in self._warned:
                    self._warned.add(str(exc))
                    log.warning("%s", exc)
            self._pending, self._archive_out, self._created = [], {}, []
            self._txn_seq = idx.seq + 1
            if idx.version < INDEX_VERSION:
                self._migrate(idx)
            try:
                yield idx
                # (cards are compared by identity first: an unchanged index costs microseconds here)
                if self._pending or not current_ok or idx.cards != before:
                    self._commit(idx, current_ok)
            except BaseException:
                for path in self._created:  # files made for a change that did not happen
                    with contextlib.suppress(OSError):
                        path.unlink()
                raise
            finally:
                self._pending, self._archive_out, self._created = [], {}, []

    def _read_for_write(self) -> tuple[IndexFile, bool]:
        try:
            cur = self._decode(self.index_path)
            return IndexFile(version=cur.version, seq=cur.seq, updated=cur.updated, cards=dict(cur.cards)), True
        except FileNotFoundError:
            if not self.backup_path.exists():
                return IndexFile(), False
            idx, _ = self._fallback(f"{self.index_path}: missing")  # never start over from nothing
            return idx, False
        except _BAD_INDEX as exc:
            idx, _ = self._fallback(f"{self.index_path}: corrupt ({str(exc).splitlines()[0][:120]})")
            keep = self._set_aside()
            log.error("corrupt index moved to %s", keep)
            return idx, False

    def _set_aside(self) -> Path:
        """Keep the corrupt index for review under a name no earlier one has (never overwritten)."""
        while True:
            keep = set_aside_name(self.index_path, self.clock())
            try:
                os.link(self.index_path, keep)
            except FileExistsError:
                continue
            os.unlink(self.index_path)
            return keep

    def _commit(self, idx: IndexFile, current_ok: bool) -> None:
        seq = self._txn_seq
        self.journal.append(self._pending)  # fails: nothing has changed
        self._hook("journaled")
        try:
            for agent, records in self._archive_out.items():
                archive.append(self.root, agent, records)
                self._hook("archived")
            idx.version, idx.seq, idx.updated = INDEX_VERSION, seq, self.clock()
            if current_ok:
                tmp_link = storage.tmp_name(self.backup_path)
                os.link(self.index_path, tmp_link)
                os.replace(tmp_link, self.backup_path)
            self._hook("backup")
            storage.atomic_write_chunks(self.index_path, index_chunks(idx))
        except BaseException as exc:
            with contextlib.suppress(CardError):  # else the next writer voids them (heal)
                self.journal.append([abort_event(seq, self.clock())])
            if isinstance(exc, OSError):
                raise CardError(f"{self.index_path}: cannot write the index: {os_reason(exc)}; "
                                "nothing changed") from None
            raise
        self._hook("indexed")
        st = os.stat(self.index_path)
        self._cache = ((self.index_path.name, storage.signature_of(st)), idx)
        self._session_log.extend(self._pending)
        if len(self._session_log) > SESSION_LOG_MAX:  # a long-lived session (a dashboard's janitor) stays bounded
            del self._session_log[:-SESSION_LOG_MAX]

    def _migrate(self, idx: IndexFile) -> None:
        """A 0.1 index: its archived cards go to their agents' archives in this write."""
        for card in [c for c in idx.cards.values() if c.archived]:
            self._to_archive(idx, card, MIGRATOR, "archive",
                             detail="archived in a 0.1 index: moved to its agent's archive")

    def _journal(self, event: AuditEvent) -> AuditEvent:
        self._pending.append(event)
        return event

    def _event(self, action: str, card: Card, by: str, **kw: object) -> AuditEvent:
        return AuditEvent(id="e-" + _token(6), ts=self.clock(), by=by, action=action,  # type: ignore[arg-type]
                          card=card.id, seq=self._txn_seq, session=self.session, **kw)  # type: ignore[arg-type]

    def _to_archive(self, idx: IndexFile, card: Card, by: str, action: str, **kw: object) -> AuditEvent:
        """Take ``card`` out of the index into its agent's archive (queued for the commit)."""
        idx.cards.pop(card.id, None)
        card = replace(card, archived=False)
        self._archive_out.setdefault(card.agent, []).append(
            ArchivedCard(ts=self.clock(), seq=self._txn_seq, by=by, card=card))
        return self._journal(self._event(action, card, by, src=place(card), title=card.title, **kw))

    def _create(self, rel: str, data: bytes | None) -> None:
        """Create a file a new card's refs name: its body (``data``), or an empty log if missing."""
        path = storage.path_under(self.root, rel)
        try:
            if data is not None:  # under the root, no symlink followed on the way (a lane's dir may be hostile)
                storage.write_under(self.root, rel, data, create_dirs=True)
                self._created.append(path)
                return
            parent, name = rel.rsplit("/", 1)
            with storage.dir_under(self.root, parent, create=True) as dfd:
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644,
                             dir_fd=dfd)
                os.close(fd)  # a log other writers may append to at once: created, never removed by us
        except OSError as exc:
            raise CardError(f"{path}: cannot create: {os_reason(exc)}") from None

    def _check_target(self, agent: str, column: str) -> None:
        validate_agent_name(agent)
        if agent not in self.agents:
            raise CardError(f"unknown agent {agent!r} (agents: {', '.join(self.agents)})")
        if column not in self.columns:
            raise CardError(f"unknown column {column!r} (columns: {', '.join(self.columns)})")

    @staticmethod
    def _next_order(idx: IndexFile, agent: str, column: str) -> float:
        return next_order([c for c in idx.cards.values() if c.agent == agent and c.column == column])


def new_card_id(idx: IndexFile) -> str:
    while True:
        card_id = "c-" + _token(4)
        if card_id not in idx.cards:
            return card_id


def clean_title(title: str) -> str:
    title = " ".join(title.split())  # one line: newlines and tabs become spaces
    if not title:
        raise CardError("a card title cannot be empty")
    return title


def live(idx: IndexFile, card_id: str) -> Card:
    card = idx.cards.get(card_id)
    if card is None or card.archived:
        raise CardError(f"no card {card_id!r}")
    return card


__all__ = ["DEFAULT_DONE_TTL_S", "MIGRATOR", "OPERATOR", "BoardStore", "clean_title", "live", "new_card_id",
           "place", "with_flag"]
