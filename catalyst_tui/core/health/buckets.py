"""The pieces a window is made of: latency bins, a time bucket, and the ring of buckets.

* Latencies go into a log-bucketed histogram (relative accuracy :data:`REL_ACCURACY`, as in
  DDSketch): :func:`bin_of` gives a latency's bin, :func:`bin_value` a bin's representative
  value; percentiles are nearest-rank over the histogram (:func:`hist_percentile`), within 1 %
  of the exact value.
* A :class:`Bucket` sums the records of one time slot; a :class:`Ring` is one window: ``SLOTS``
  buckets and their running aggregate (a record is added to its bucket and to the aggregate;
  a bucket leaving the window is subtracted), so reading a window never walks the records.

The windowed figures built from them are in ``metrics.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SLOTS = 60
REL_ACCURACY = 0.01
_GAMMA = (1 + REL_ACCURACY) / (1 - REL_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
MIN_LATENCY_MS = 0.01  # anything below (including 0) lands in one "zero" bin
ZERO_BIN = -(10**6)


def bin_of(ms: float) -> int:
    if ms < MIN_LATENCY_MS:
        return ZERO_BIN
    return math.ceil(math.log(ms) / _LOG_GAMMA)


def bin_value(b: int) -> float:
    """The representative value of a bin (its relative error is at most REL_ACCURACY)."""
    if b == ZERO_BIN:
        return 0.0
    return 2 * _GAMMA**b / (_GAMMA + 1)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (``q`` in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(len(sorted_values) * q / 100))
    return sorted_values[rank - 1]


def hist_percentile(hist: dict[int, int], q: float) -> float | None:
    total = sum(hist.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(total * q / 100))
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return round(bin_value(b), 3)
    return None  # pragma: no cover - unreachable: rank <= total


@dataclass
class Bucket:
    records: int = 0
    finished: int = 0
    errors: int = 0
    lat_sum: float = 0.0
    lat_n: int = 0
    hist: dict[int, int] = field(default_factory=dict)

    def add(self, finished: bool, error: bool, lat_bin: int | None, lat_ms: float = 0.0) -> None:
        self.records += 1
        self.finished += finished
        self.errors += error
        if lat_bin is not None:
            self.hist[lat_bin] = self.hist.get(lat_bin, 0) + 1
            self.lat_sum += lat_ms
            self.lat_n += 1

    def merge(self, other: Bucket, sign: int = 1) -> None:
        self.records += sign * other.records
        self.finished += sign * other.finished
        self.errors += sign * other.errors
        self.lat_sum += sign * other.lat_sum
        self.lat_n += sign * other.lat_n
        for b, n in other.hist.items():
            left = self.hist.get(b, 0) + sign * n
            if left:
                self.hist[b] = left
            else:
                self.hist.pop(b, None)


class Ring:
    """One window: ``SLOTS`` buckets of ``width`` seconds and their running sum."""

    def __init__(self, span_s: float, slots: int = SLOTS) -> None:
        self.width = span_s / slots
        self.slots = slots
        self.buckets: list[Bucket | None] = [None] * slots
        self.ids: list[int] = [0] * slots  # absolute bucket number held by each slot
        self.agg = Bucket()
        self.head: int | None = None  # absolute bucket number of "now"
        self.version = 0  # bumped whenever a bucket older than the newest changes

    def advance(self, now: float) -> None:
        head = math.floor(now / self.width)
        if self.head is None:
            self.head = head
            return
        if head <= self.head:
            return
        if head - self.head >= self.slots:  # everything left the window
            self.buckets = [None] * self.slots
            self.agg = Bucket()
        else:
            for b in range(self.head - self.slots + 1, head - self.slots + 1):
                i = b % self.slots
                bucket = self.buckets[i]
                if bucket is not None and self.ids[i] == b:
                    self.agg.merge(bucket, -1)
                    self.buckets[i] = None
        self.head = head
        self.version += 1

    def add(self, ts: float, finished: bool, error: bool, lat_bin: int | None, lat_ms: float = 0.0) -> bool:
        """Count one record at ``ts`` (advance first); False when it is older than the window."""
        assert self.head is not None
        b = min(math.floor(ts / self.width), self.head)
        if b <= self.head - self.slots:
            return False
        i = b % self.slots
        bucket = self.buckets[i]
        if bucket is None or self.ids[i] != b:
            if bucket is not None:  # a stale slot that advance() did not reach
                self.agg.merge(bucket, -1)
            bucket = self.buckets[i] = Bucket()
            self.ids[i] = b
        bucket.add(finished, error, lat_bin, lat_ms)
        self.agg.add(finished, error, lat_bin, lat_ms)
        if b != self.head:
            self.version += 1
        return True

    def merge_at(self, ts: float, bucket: Bucket) -> bool:
        """Add a whole bucket (a minute from the history file) where ``ts`` falls, if that slot is
        empty: a minute the dispatch log still holds is counted from the log, never twice."""
        assert self.head is not None
        b = math.floor(ts / self.width)
        if b <= self.head - self.slots or b >= self.head:
            return False  # outside the window, or the bucket still filling
        i = b % self.slots
        if self.buckets[i] is not None and self.ids[i] == b:
            return False
        if self.buckets[i] is not None:
            self.agg.merge(self.buckets[i], -1)  # type: ignore[arg-type]
        fresh = self.buckets[i] = Bucket()
        fresh.merge(bucket)
        self.ids[i] = b
        self.agg.merge(bucket)
        self.version += 1
        return True

    def closed(self, after: float) -> list[tuple[float, Bucket]]:
        """(start, bucket) of every complete, non-empty bucket that starts after ``after``."""
        assert self.head is not None
        out = []
        for b in range(self.head - self.slots + 1, self.head):
            i = b % self.slots
            bucket = self.buckets[i]
            if bucket is not None and self.ids[i] == b and b * self.width > after and bucket.records:
                out.append((b * self.width, bucket))
        return out

    def ordered(self) -> list[Bucket | None]:
        """The buckets oldest to newest (None for an empty one)."""
        assert self.head is not None
        out: list[Bucket | None] = []
        for b in range(self.head - self.slots + 1, self.head + 1):
            i = b % self.slots
            out.append(self.buckets[i] if self.ids[i] == b else None)
        return out
