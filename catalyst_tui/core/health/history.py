"""Per-agent history that survives a restart: one line per agent per minute.

``agents/<name>/history.jsonl`` (one file per tenant: a corrupt line costs only that tenant's
history, and never its health) holds, for each minute with dispatches, the count, finished,
errors, the latency sum and count, and a coarse latency histogram (the engine's bins merged by
:data:`COARSE`: percentiles within ~8 % instead of 1 %). That is what the sparklines, the 1 h
baseline and the 24 h / 7 d figures need, at ~150-300 bytes a minute.

* Written by the one process that runs the workspace's jobs (the runtime's holder), each
  minute, from the 1 h ring (its buckets are minutes): a minute is appended once it is complete;
  records arriving later for it are not (the log keeps them).
* Read at start-up only as far back as the 1 h window (scanning back from the end, like the
  dispatch log): minutes the log no longer holds fill the 1 h ring, so the baseline is known at
  once. The 24 h / 7 d views read further back only when asked, then follow the file.
* Bounded: the janitor drops minutes older than ``[history] keep_days`` (:func:`prune`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.health.buckets import Bucket, hist_percentile
from catalyst_tui.core.health.metrics import Figures
from catalyst_tui.core.jsonl import JsonlTail, ParseError

HISTORY_NAME = "history.jsonl"
COARSE = 8  # engine bins per history bin (the engine's are 1 % wide)
LONG_WINDOWS: dict[str, float] = {"24h": 86400.0, "7d": 7 * 86400.0}
SLOTS = 60  # buckets in a long window's sparkline


class Minute(msgspec.Struct, forbid_unknown_fields=False):
    ts: float  # the minute's start (unix time, a multiple of 60)
    n: int  # dispatch lines
    f: int  # finished
    e: int  # errors
    s: float  # latency sum, ms
    c: int  # latencies counted
    h: list[int] = []  # coarse bin, count, coarse bin, count, ...


_DECODER = msgspec.json.Decoder(Minute)
_ENCODER = msgspec.json.Encoder()


def decode_minute(raw: bytes) -> Minute:
    m = _DECODER.decode(raw)
    if len(m.h) % 2 or m.ts % 60 or min(m.n, m.f, m.e, m.c) < 0:
        raise ValueError("not a history minute")
    return m


def to_minute(ts: float, bucket: Bucket) -> Minute:
    coarse: dict[int, int] = {}
    for b, n in bucket.hist.items():
        key = b // COARSE
        coarse[key] = coarse.get(key, 0) + n
    flat = [x for key in sorted(coarse) for x in (key, coarse[key])]
    return Minute(float(ts), bucket.records, bucket.finished, bucket.errors, round(bucket.lat_sum, 1), bucket.lat_n,
                  flat)


def to_bucket(m: Minute) -> Bucket:
    hist = {m.h[i] * COARSE + COARSE // 2: m.h[i + 1] for i in range(0, len(m.h), 2)}
    return Bucket(m.n, m.f, m.e, m.s, m.c, hist)


def path_of(agent_dir: Path) -> Path:
    return Path(agent_dir) / HISTORY_NAME


def encode(minutes: Iterable[Minute]) -> bytes:
    return b"".join(_ENCODER.encode(m) + b"\n" for m in minutes)


def append(path: Path, minutes: list[Minute]) -> None:
    """Append whole lines under the file's lock (the janitor's prune rewrites it under the same lock)."""
    if not minutes:
        return
    data = encode(minutes)
    with storage.locked(storage.lock_path_for(path), timeout=5.0):
        storage.append_lines(path, data)  # never blocks on a FIFO, never through a symlink


def last_ts(path: Path) -> float | None:
    """The newest minute in the file (reading only its end), None when empty or unreadable."""
    try:
        fd, st = storage.open_regular(path, follow=False)  # never blocks on a FIFO
        try:
            lines = os.pread(fd, 4096, max(0, st.st_size - 4096)).split(b"\n")
        finally:
            os.close(fd)
    except OSError:
        return None
    for raw in reversed(lines):
        try:
            return decode_minute(raw).ts
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            continue
    return None


def new_tail(path: Path, label: str = "") -> JsonlTail[Minute]:
    """A reader of the file; the monitor positions it (``monitor.seek_since``) before reading."""
    return JsonlTail(path, decode_minute, label=label or str(path))


def prune(path: Path, cutoff: float) -> int:
    """Drop the minutes older than ``cutoff`` (and unreadable lines); returns the lines dropped.

    A rewrite under the file's lock (temp + fsync + rename + fsync dir); a file with nothing to
    drop is left alone."""
    if not path.exists():
        return 0
    with storage.locked(storage.lock_path_for(path), timeout=5.0):
        tail: JsonlTail[Minute] = JsonlTail(path, decode_minute)
        minutes, errors = tail.read_new()
        kept = [m for m in minutes if m.ts >= cutoff]
        dropped = len(minutes) - len(kept) + len(errors)
        if dropped:
            storage.atomic_write_bytes(path, encode(kept))
    return dropped


def _add(bucket: Bucket, m: Minute) -> None:
    bucket.records += m.n
    bucket.finished += m.f
    bucket.errors += m.e
    bucket.lat_sum += m.s
    bucket.lat_n += m.c
    hist = bucket.hist
    h = m.h
    for i in range(0, len(h), 2):
        b = h[i] * COARSE + COARSE // 2
        hist[b] = hist.get(b, 0) + h[i + 1]


@dataclass
class LongView:
    """One agent's figures over one long window (24 h or 7 d): the history file followed from a
    saved offset, its minutes summed into the window's 60 slots as they are read (a view then
    costs 60 merges). Reads only as far back as its window."""

    path: Path
    seek: Callable[[JsonlTail[Minute], float], None]  # monitor.seek_since: start near the cutoff
    window: str
    label: str = ""

    def __post_init__(self) -> None:
        self.span = LONG_WINDOWS[self.window]
        self.width = self.span / SLOTS
        self.tail: JsonlTail[Minute] | None = None
        self.slots: dict[int, Bucket] = {}
        self.last_ts = -math.inf
        self.problems: list[ParseError] = []

    def _read(self, now: float) -> None:
        if self.tail is None:
            self.tail = new_tail(self.path, self.label)
            self.seek(self.tail, now - self.span)
        resets = self.tail.resets
        minutes, errors = self.tail.read_new()
        if self.tail.resets != resets:  # the janitor rewrote the file: it was read again from the start
            self.slots, self.last_ts = {}, -math.inf
        self.problems = (self.problems + errors)[-20:]
        oldest = math.floor(now / self.width) - SLOTS + 1
        slots = self.slots
        for m in minutes:
            sid = math.floor(m.ts / self.width)
            if sid >= oldest:
                bucket = slots.get(sid)
                if bucket is None:
                    bucket = slots[sid] = Bucket()
                _add(bucket, m)
            self.last_ts = max(self.last_ts, m.ts)
        for sid in [k for k in slots if k < oldest]:
            del slots[sid]

    def figures(self, now: float, base: Figures,
                recent: list[tuple[float, Bucket]]) -> tuple[Figures, tuple[list[float], list[float]]]:
        """Figures and sparklines over the window; ``recent``: the live minutes not yet written."""
        self._read(now)
        head = math.floor(now / self.width)
        extra: dict[int, Bucket] = {}
        for ts, bucket in recent:
            sid = math.floor(ts / self.width)
            if ts > self.last_ts and sid > head - SLOTS:
                extra.setdefault(sid, Bucket()).merge(bucket)
        agg = Bucket()
        lat: list[float] = []
        errs: list[float] = []
        for sid in range(head - SLOTS + 1, head + 1):
            parts = [b for b in (self.slots.get(sid), extra.get(sid)) if b is not None]
            n = sum(b.lat_n for b in parts)
            lat.append(sum(b.lat_sum for b in parts) / n if n else 0.0)
            errs.append(float(sum(b.errors for b in parts)))
            for b in parts:
                agg.merge(b)
        fig = replace(base, window=self.window, finished=agg.finished, errors=agg.errors,
                      error_rate=agg.errors / agg.finished if agg.finished else 0.0,
                      throughput_per_s=agg.finished / self.span, p50_ms=hist_percentile(agg.hist, 50),
                      p95_ms=hist_percentile(agg.hist, 95), p99_ms=hist_percentile(agg.hist, 99),
                      baseline_p95_ms=None, p95_ratio=None)
        return fig, (lat, errs)
