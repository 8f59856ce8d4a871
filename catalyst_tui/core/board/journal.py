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
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CardError, os_reason
from catalyst_tui.core.jsonl import ParseError, read_all
from catalyst_tui.core.models import AuditEvent, decode_audit

TAIL_BYTES = 64 * 1024  # how far back heal() looks for the last whole event


class AuditJournal(msgspec.Struct):
    path: Path

    # ------------------------------------------------------------------ reading
    def read(self) -> tuple[list[AuditEvent], list[ParseError]]:
        """Every committed event, oldest first (events voided by an ``abort`` left out)."""
        events, errors = read_all(self.path, decode_audit, storage.LIMITS["journal"])
        return without_aborted(events), errors

    def last_event(self) -> AuditEvent | None:
        """The last whole, decodable event of the file (reads its tail only)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
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
                return decode_audit(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
        return None

    # ------------------------------------------------------------------ writing (index lock held)
    def heal(self, index_seq: int, clock: Callable[[], float]) -> int | None:
        """Void the events of a transaction killed before its index write; returns its seq."""
        try:
            last = self.last_event()
        except CardError:
            return None  # unreadable: the append that follows says why, and nothing is written
        if last is None or last.seq is None or last.action == "abort" or last.seq <= index_seq:
            return None
        self.append([abort_event(last.seq, clock())])
        return last.seq

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
