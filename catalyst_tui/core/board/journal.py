"""The board's audit journal, ``board/audit.jsonl``: written ahead of the index.

Only writers holding ``board/index.lock`` append to it, so under that lock its tail is ours:

* A transaction's events are appended (one ``write``) *before* the index is replaced, each
  carrying the index ``seq`` it commits. An event whose seq the index never reached belongs to
  a writer killed between the two; the next writer voids it with an ``abort`` record
  (:meth:`AuditJournal.heal`), so the index and the journal change together or not at all.
* An append never lands on a torn line: when the file does not end with a newline (a
  writer killed mid-append, a truncated copy), the new record starts on a fresh line, so the
  torn bytes stay one bad line and every later event is whole.
* Nothing is ever removed: aborted events and torn lines stay in the file (reported, skipped).
* **Segments.** Past ``rotate_bytes`` the live file is sealed (:meth:`AuditJournal.seal`, at the
  start of a transaction, after :meth:`~AuditJournal.heal`, so a sealed segment holds no event a
  later writer must void): its summary ``audit-NNNNNN.json`` (the cards, actors, aborts and the
  highest seq it holds) is written first (temp + fsync + rename + fsync dir), then the file is
  renamed ``audit-NNNNNN.jsonl`` and a new live file begins with the next append. Sealed
  segments are never written again. A reader that only needs one card's events, one actor's,
  or those newer than a seq reads the segments whose summary says they hold some (and the live
  file); an ``abort`` voids the events of its seq written before it, so the aborts of the
  segments it skips are taken from their summaries. A reader lists the segments again after
  reading and starts over if a seal happened meanwhile (it never misses a segment).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CardError, os_reason
from catalyst_tui.core.jsonl import ParseError, read_all, read_matching
from catalyst_tui.core.models import AuditEvent, decode_audit

TAIL_BYTES = 64 * 1024  # how far back heal() looks for the last whole event
ROTATE_BYTES = 4 << 20  # the live file is sealed past this: a one-card read costs at most this much of it
SEGMENT = re.compile(r"audit-(\d{6,})\.jsonl")
READ_TRIES = 5


class SegmentSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a sealed segment holds, so a reader can skip it (``audit-NNNNNN.json``)."""

    version: int = 1
    events: int
    max_seq: int | None  # the highest seq of its events (None: none has one)
    max_ts: float  # the newest event time (events written by 0.1 have no seq: compared by time)
    seqless: bool
    aborts: list[int]  # the seqs its abort records void
    cards: list[str]
    by: list[str]


_SUMMARY = msgspec.json.Decoder(SegmentSummary)
Keep = Callable[[SegmentSummary], bool]


class AuditJournal(msgspec.Struct):
    path: Path
    rotate_bytes: int = ROTATE_BYTES

    # ------------------------------------------------------------------ reading
    def read(self) -> tuple[list[AuditEvent], list[ParseError]]:
        """Every committed event, oldest first (events voided by an ``abort`` left out)."""
        return self._read(lambda _s: True)

    def read_card(self, card_id: str) -> tuple[list[AuditEvent], list[ParseError]]:
        """The committed events of one card (the segments that hold none are not read; in the
        others only the lines naming the card, and the aborts, are decoded)."""
        events, errors = self._read(lambda s: card_id in s.cards, msgspec.json.encode(card_id))
        return [e for e in events if e.card == card_id], errors

    def read_by(self, by: str) -> tuple[list[AuditEvent], list[ParseError]]:
        """The committed events of one actor."""
        events, errors = self._read(lambda s: by in s.by, msgspec.json.encode(by))
        return [e for e in events if e.by == by], errors

    def read_after(self, seq: int, ts: float) -> tuple[list[AuditEvent], list[ParseError]]:
        """At least every committed event newer than ``seq`` (or, without a seq, than ``ts``)."""
        return self._read(lambda s: (s.max_seq is not None and s.max_seq > seq) or (s.seqless and s.max_ts > ts))

    def segments(self) -> list[tuple[int, Path]]:
        """The sealed segments, oldest first."""
        try:
            names = os.listdir(self.path.parent)
        except FileNotFoundError:
            return []
        found = [(int(m.group(1)), self.path.with_name(name)) for name in names if (m := SEGMENT.fullmatch(name))]
        return sorted(found)

    def summary_path(self, n: int) -> Path:
        return self.path.with_name(f"audit-{n:06d}.json")

    def _summary(self, n: int) -> SegmentSummary | None:
        try:
            return _SUMMARY.decode(storage.read_bytes(self.summary_path(n), "record", follow=False))
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None  # missing or unreadable: the segment itself is read

    def _read(self, keep: Keep, needle: bytes | None = None) -> tuple[list[AuditEvent], list[ParseError]]:
        for _ in range(READ_TRIES):
            listed = self.segments()
            events: list[AuditEvent] = []
            errors: list[ParseError] = []
            for n, path in listed:
                summary = self._summary(n)
                if summary is not None and not keep(summary):
                    events += [abort_event(seq, summary.max_ts) for seq in summary.aborts]
                    continue
                evs, errs = _read_file(path, needle)
                events += evs
                errors += errs
            evs, errs = _read_file(self.path, needle)
            if self.segments() == listed:  # no seal meanwhile: the live file read follows the last segment
                return without_aborted(events + evs), errors + errs
        raise CardError(f"{self.path}: the audit journal kept being rotated while read; try again")

    def tail_events(self) -> Iterator[AuditEvent]:
        """The whole, decodable events of the file's last ``TAIL_BYTES``, newest first (reads its tail only)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CardError(f"{self.path}: unreadable: {os_reason(exc)}") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise CardError(f"{self.path}: not a regular file")
            start = max(0, st.st_size - TAIL_BYTES)
            data = os.pread(fd, st.st_size - start, start)
        finally:
            os.close(fd)
        lines = data.split(b"\n")
        lines.pop()  # after the last newline: empty, or a torn line
        if start:
            lines = lines[1:]  # the first one may be cut by the window
        for raw in reversed(lines):
            try:
                yield decode_audit(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue

    # ------------------------------------------------------------------ writing (index lock held)
    def heal(self, index_seq: int, clock: Callable[[], float]) -> list[int]:
        """Void the events of transactions killed before their index write; the seqs voided.

        Walks back from the end to the last committed event (seq at most the index's): every seq
        above the index's on the way that no abort voids yet is voided, not only the last one.
        After a sequence went back (a restore, an index rebuilt from its last good copy) the tail
        may hold more than one transaction the index never reached, and an event left unvoided
        would count as committed once the index reaches its seq again. In the usual case the last
        event is committed and it is the only one decoded."""
        voided: set[int] = set()
        found: list[int] = []
        try:
            for ev in self.tail_events():
                if ev.seq is None:
                    break  # written by 0.1: nothing of ours is older
                if ev.action == "abort":
                    voided.add(ev.seq)
                elif ev.seq <= index_seq:
                    break
                elif ev.seq not in voided and ev.seq not in found:
                    found.append(ev.seq)
        except CardError:
            return []  # unreadable: the append that follows says why, and nothing is written
        if found:
            now = clock()
            self.append([abort_event(seq, now) for seq in sorted(found)])
        return sorted(found)

    def seal(self, hook: Callable[[str], None] | None = None) -> int | None:
        """Seal the live file as the next segment when it has grown past ``rotate_bytes``; its number.

        Index lock held, after :meth:`heal`. The summary is written (whole, durable) before the
        rename, so a segment never lacks one unless its summary cannot be written (then it
        is simply read whole); a writer killed between the two leaves a summary of no
        segment, replaced by the next seal."""
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_size < self.rotate_bytes:
            return None  # a FIFO or a directory is reported by the append that follows
        events, errors = read_all(self.path, decode_audit, storage.LIMITS["journal"])
        unreadable = [e for e in errors if e.line == 0]
        if unreadable:  # a summary of what could not be read would hide its events from readers
            raise CardError(f"{self.path}: not rotated: {unreadable[0]}")
        listed = self.segments()
        n = listed[-1][0] + 1 if listed else 1
        seqs = [e.seq for e in events if e.seq is not None]
        summary = SegmentSummary(
            events=len(events), max_seq=max(seqs, default=None), max_ts=max((e.ts for e in events), default=0.0),
            seqless=any(e.seq is None for e in events),
            aborts=sorted({e.seq for e in events if e.action == "abort" and e.seq is not None}),
            cards=sorted({e.card for e in events if e.card}), by=sorted({e.by for e in events}))
        try:
            storage.atomic_write_bytes(self.summary_path(n), msgspec.json.encode(summary))
            if hook is not None:
                hook("summarized")  # tests: a kill between the summary and the rename
            try:
                os.rename(self.path, self.path.with_name(f"audit-{n:06d}.jsonl"))  # n is new: nothing is replaced
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(self.summary_path(n))
                raise
        except OSError as exc:
            raise CardError(f"{self.path}: cannot rotate the audit journal: {os_reason(exc)}; "
                            "it stays one file for now") from None
        with contextlib.suppress(OSError):
            storage.fsync_dir(self.path.parent)
        if hook is not None:
            hook("sealed")
        return n

    def append(self, events: Iterable[AuditEvent]) -> None:
        """Append whole lines in one ``write``; never onto a torn last line."""
        data = b"".join(msgspec.json.encode(e) + b"\n" for e in events)
        if not data:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644)
        except OSError as exc:
            raise CardError(f"{self.path}: cannot append to the audit journal: {os_reason(exc)}; "
                            "nothing changed") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise CardError(f"{self.path}: cannot append to the audit journal: not a regular file; "
                                "nothing changed")
            if st.st_size and os.pread(fd, 1, st.st_size - 1) != b"\n":
                data = b"\n" + data  # the torn bytes stay a line of their own
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            # No fsync of its own: a killed writer's bytes are in the page cache all the same, and
            # the index's own fsyncs follow at once (a third fsync per move would cost more than
            # the rest of the move on a busy disk). A power cut may lose the journal's last lines
            # while the index has their change: the change is kept, its history line is not.
        except OSError as exc:
            raise CardError(f"{self.path}: cannot append to the audit journal: {os_reason(exc)}; "
                            "nothing changed") from None
        finally:
            os.close(fd)


def _read_file(path: Path, needle: bytes | None) -> tuple[list[AuditEvent], list[ParseError]]:
    """One file's events; with ``needle``, only its lines holding those bytes (or an abort) are
    decoded (a one-card read of a segment costs a byte search, not a decode of every event)."""
    if needle is None:
        return read_all(path, decode_audit, storage.LIMITS["journal"])
    return read_matching(path, decode_audit, (needle, b'"abort"'))


def abort_event(seq: int, ts: float) -> AuditEvent:
    return AuditEvent(id=f"e-abort-{seq}", ts=ts, by="catalyst-tui", action="abort", card="", seq=seq,
                      detail="journaled but never written to the index (writer stopped): void")


def without_aborted(events: list[AuditEvent]) -> list[AuditEvent]:
    """Drop the events an ``abort`` voids: those of its seq written before it."""
    if not any(e.action == "abort" for e in events):
        return events
    out: list[AuditEvent] = []
    for ev in events:
        if ev.action == "abort":
            out = [e for e in out if e.seq != ev.seq]
        else:
            out.append(ev)
    return out
