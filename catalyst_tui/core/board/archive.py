"""Per-agent card archives: ``agents/<name>/archive/cards-<YYYY-MM>.jsonl``.

A card leaves the shared index for the archive of the agent whose lane it was in: one JSON
line per archived card (:class:`ArchivedCard`), appended (one ``write``, ``fsync``) under the
index lock, before the index write that removes it. One tenant's history is in that tenant's
files; a month per file keeps each file bounded.

The index decides what is live: an archive line of a card that is in the index is stale (a
restored card, or a writer killed before its index write) and ignored. Lines are never
rewritten or removed; a card archived twice has two lines, the later one wins.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterable
from pathlib import Path

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CardError, os_reason
from catalyst_tui.core.jsonl import ParseError, read_all, read_matching
from catalyst_tui.core.models import Card

ARCHIVE_DIR = "archive"
_FILE_RE = re.compile(r"^cards-\d{4}-\d{2}\.jsonl$")


class ArchivedCard(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    ts: float  # when it was archived
    seq: int  # the index seq of the write that removed it from the index
    by: str
    card: Card


_DECODER = msgspec.json.Decoder(ArchivedCard)


def _decode(raw: bytes) -> ArchivedCard:
    return _DECODER.decode(raw)


def archive_dir(root: Path, agent: str) -> Path:
    return root / "agents" / agent / ARCHIVE_DIR


def archive_file(root: Path, agent: str, ts: float) -> Path:
    return archive_dir(root, agent) / time.strftime("cards-%Y-%m.jsonl", time.gmtime(ts))


def append(root: Path, agent: str, records: Iterable[ArchivedCard]) -> Path:
    """Append ``records`` to ``agent``'s archive file of this month (one write, fsync)."""
    recs = list(records)
    if not recs:
        return archive_file(root, agent, time.time())
    path = archive_file(root, agent, recs[0].ts)
    data = b"".join(msgspec.json.encode(r) + b"\n" for r in recs)
    rel_dir = f"agents/{agent}/{ARCHIVE_DIR}"
    try:
        created = not path.parent.is_dir()
        # the tenant owns agents/<name>/: a symlink there must never take the operator's write
        # out of the workspace, so the directory is reached one O_NOFOLLOW step at a time
        with storage.dir_under(root, rel_dir, create=True) as dfd:
            fd = os.open(path.name, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
                         | os.O_CLOEXEC, 0o644, dir_fd=dfd)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise CardError(f"{path}: not a regular file; cannot archive")
                if st.st_size and os.pread(fd, 1, st.st_size - 1) != b"\n":
                    data = b"\n" + data  # never onto a torn line
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created or st.st_size == 0:
                os.fsync(dfd)
        if created:
            storage.fsync_dir(path.parent.parent)
    except OSError as exc:
        raise CardError(f"{path}: cannot archive: {os_reason(exc)}") from None
    return path


class Archives(msgspec.Struct):
    """Every archived card of some agents, the latest line per card id."""

    cards: dict[str, ArchivedCard] = msgspec.field(default_factory=dict)
    problems: list[ParseError] = msgspec.field(default_factory=list)
    unreadable: list[str] = msgspec.field(default_factory=list)


def files(root: Path, agent: str) -> list[Path]:
    try:
        with storage.dir_under(root, f"agents/{agent}/{ARCHIVE_DIR}") as dfd:  # no symlink on the way
            names = sorted(n for n in os.listdir(dfd) if _FILE_RE.match(n))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise CardError(f"{archive_dir(root, agent)}: unreadable: {os_reason(exc)}") from None
    return [archive_dir(root, agent) / n for n in names]


def find(root: Path, agent: str, card_id: str) -> ArchivedCard | None:
    """``card_id``'s latest line in ``agent``'s archive, decoding only the lines that name it."""
    try:
        paths = files(root, agent)
    except CardError:
        return None
    found: ArchivedCard | None = None
    for path in paths:
        records, _ = read_matching(path, _decode, (msgspec.json.encode(card_id),))
        for rec in records:
            if rec.card.id == card_id and (found is None or (rec.seq, rec.ts) >= (found.seq, found.ts)):
                found = rec
    return found


def read(root: Path, agents: Iterable[str], live: Iterable[str] = ()) -> Archives:
    """The archived cards of ``agents`` (oldest file first, later lines win), minus ``live`` ids."""
    out = Archives()
    for agent in agents:
        try:
            paths = files(root, agent)
        except CardError as exc:
            out.unreadable.append(str(exc))
            continue
        for path in paths:
            records, errors = read_all(path, _decode)
            out.problems.extend(errors)
            for rec in records:
                prev = out.cards.get(rec.card.id)
                if prev is None or (rec.seq, rec.ts) >= (prev.seq, prev.ts):
                    out.cards[rec.card.id] = rec
    for cid in live:
        out.cards.pop(cid, None)
    return out
