"""Start reading a JSON-lines log at a time, not at its beginning: :func:`seek_since`.

At start-up the monitor reads only the last hour of each dispatch log (and a long view only its
own span of the history file). Finding where that hour begins scans back from the end of the
file in chunks, decoding one timestamp per chunk, so the cost does not grow with the history.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.jsonl import JsonlTail

SCAN_CHUNK = 64 * 1024
MAX_SCAN_BYTES = 256 << 20  # never scan back further than this at start-up


class _Stamp(msgspec.Struct):
    ts: float


_STAMP = msgspec.json.Decoder(_Stamp)


def _first_ts(chunk: bytes) -> tuple[int, float] | None:
    """(offset in chunk, ts) of the first complete, readable line after a newline."""
    pos = chunk.find(b"\n")
    while 0 <= pos < len(chunk) - 1:
        end = chunk.find(b"\n", pos + 1)
        if end < 0:
            return None
        try:
            return pos + 1, _STAMP.decode(chunk[pos + 1:end]).ts
        except (msgspec.DecodeError, msgspec.ValidationError):
            pos = end
    return None


def _first_at_or_after(chunk: bytes, at: int, cutoff: float) -> int:
    """Offset in ``chunk`` of the first whole line stamped >= ``cutoff`` (scanning from ``at``).

    Unreadable lines are skipped over (the reader reports them later). Without one, the end
    of the chunk (where the next, newer chunk begins)."""
    pos = at
    while pos < len(chunk):
        end = chunk.find(b"\n", pos)
        if end < 0:
            break
        try:
            if _STAMP.decode(chunk[pos:end]).ts >= cutoff:
                return pos
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        pos = end + 1
    return len(chunk) - 1  # the chunk holds one byte past its end: the next chunk's first byte


def seek_since(tail: JsonlTail[Any], cutoff: float, max_bytes: int = MAX_SCAN_BYTES) -> None:
    """Position ``tail`` so reading starts at (about) the first record stamped >= ``cutoff``.

    Scans back from the end in chunks, decoding one timestamp per chunk; stops at the first
    chunk whose first line is older than the cutoff. A file that is mostly recent is read
    whole; only the tail of a long history is ever touched.
    """
    try:  # one descriptor for the whole scan: never blocks on a FIFO, no symlink followed
        fd, st = storage.open_regular(tail.path, follow=False)
    except OSError:
        return  # missing, unreadable, not a regular file: the tail's own read reports it
    try:
        size = st.st_size
        pos = size
        while pos > 0 and size - pos < max_bytes:
            start = max(0, pos - SCAN_CHUNK)
            if start == 0:
                return  # reached the beginning: read everything
            try:
                chunk = os.pread(fd, pos - start + 1, start)
            except OSError:
                return
            found = _first_ts(chunk)
            if found is not None and found[1] < cutoff:
                tail.seek_tail(size - start - _first_at_or_after(chunk, found[0], cutoff))
                return
            pos = start
    finally:
        os.close(fd)
    tail.seek_tail(size - pos)
