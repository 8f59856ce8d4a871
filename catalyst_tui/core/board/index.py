"""The shared index file: ``board/index.json`` holds the live cards only.

Version 2 (this one) holds live cards only: archived and old done cards live in their agent's
archive (:mod:`.archive`). Version 1 (written by 0.1) kept every card ever made, archived
ones flagged ``archived``; it is read as it is and converted by the first write
(:meth:`Board._transaction`): its archived cards move to the archives in that write.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from catalyst_tui.core.models import Card

INDEX_VERSION = 2
READABLE_VERSIONS = (1, 2)


class IndexFile(msgspec.Struct, kw_only=True):
    version: int = INDEX_VERSION
    seq: int = 0
    updated: float = 0.0
    cards: dict[str, Card] = msgspec.field(default_factory=dict)


_INDEX_DECODER = msgspec.json.Decoder(IndexFile)


def decode_index(raw: bytes) -> IndexFile:
    idx = _INDEX_DECODER.decode(raw)
    if idx.version not in READABLE_VERSIONS:
        raise msgspec.ValidationError(f"unknown index version {idx.version}")
    return idx


def index_chunks(idx: IndexFile) -> tuple[bytes, bytes]:
    """The file's bytes in two chunks, written one after the other (joining them would copy
    the whole index once more on every write)."""
    return msgspec.json.encode(idx), b"\n"


def encode_index(idx: IndexFile) -> bytes:
    return b"".join(index_chunks(idx))


class IndexView(msgspec.Struct):
    """What a reader got: the live cards, and whether it had to fall back to the last good copy."""

    cards: dict[str, Card]
    seq: int
    updated: float
    fallback: str | None = None  # why index.json was not used, when it was not


def live_cards(idx: IndexFile) -> dict[str, Card]:
    """The live cards of an index (a version-1 index also holds archived ones)."""
    if idx.version >= 2:
        return dict(idx.cards)
    return {cid: c for cid, c in idx.cards.items() if not c.archived}


def set_aside_name(path: Path, ts: float) -> Path:
    """A name for a corrupt index kept for review, never an existing one (none is ever overwritten)."""
    base = path.with_name(f"{path.name}.corrupt-{int(ts)}")
    candidate, n = base, 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate
