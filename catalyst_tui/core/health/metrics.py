"""Per-agent dispatch figures over rolling windows (1 min, 5 min, 1 h), in constant memory.

Design (docs/metrics.md):

* Each window is a ring of 60 time buckets (1 min = 60 x 1 s, 5 min = 60 x 5 s, 1 h = 60 x 60 s)
  plus a running aggregate, and latencies go into a log-bucketed histogram (``buckets.py``:
  ``Ring``, ``Bucket``, the bins): reading a window's figures never walks the records.
* Records may arrive out of order (the bucket of their own timestamp is used while it is in
  the window) and more than once (a bounded set of recently finished ids drops duplicates).
* Clock skew: a record stamped in the future (the agent's clock runs ahead) is counted in the
  current bucket, never dropped; the largest lead seen is reported as ``clock_skew_s``.
* Queue depth: ids enqueued and not (yet) finished, out-of-order safe: a ``finished`` seen
  before its ``enqueued`` never opens the id.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from catalyst_tui.core.health.buckets import Bucket, Ring, bin_of, hist_percentile
from catalyst_tui.core.models import DispatchRecord

WINDOWS: dict[str, float] = {"1m": 60.0, "5m": 300.0, "1h": 3600.0}
OPEN_KEEP = 50_000  # bound on tracked in-flight dispatch ids
DONE_KEEP = 16_384  # dedupe horizon: recently finished ids (as hashes)
SKEW_REPORT_S = 5.0  # a lead smaller than this is normal jitter (a finished ts is start + latency)
BASELINE_MIN_SAMPLES = 20
# the shortest span a rate is taken over: a whole bucket (5 s at 5 min, 60 s at 1 h) made a
# tenant that starts streaming read low and climb for that long (600/min a second into a steady
# 3,000/min); one second still keeps a first record from reading as a burst
MIN_SPAN_S = 1.0
# The exporter's latency histogram: cumulative counts at these upper bounds (seconds), since the
# monitor started reading. Fixed bounds (not the engine's log bins) so that Prometheus can sum
# buckets across agents and restarts.
LATENCY_BOUNDS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
_BOUNDS_MS = tuple(b * 1000 for b in LATENCY_BOUNDS_S)


@dataclass(frozen=True)
class Figures:
    window: str
    records: int  # dispatch lines read (all time, duplicates included)
    finished: int  # unique finished dispatches in the window
    errors: int
    error_rate: float
    throughput_per_s: float
    queue_depth: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    baseline_p95_ms: float | None  # the 1 h p95 before the current window
    p95_ratio: float | None
    last_ts: float | None
    duplicates: int
    clock_skew_s: float  # how far ahead of our clock the agent's records were, at most
    clock_behind_s: float = 0.0  # how far behind: the smallest age of freshly appended records
    # since the monitor started reading (counters for the exporter; reset when the log is truncated)
    finished_total: int = 0
    errors_total: int = 0
    latency_buckets: tuple[int, ...] = ()  # cumulative, one per LATENCY_BOUNDS_S, then +Inf
    latency_sum_s: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "window": self.window, "records": self.records, "finished": self.finished, "errors": self.errors,
            "error_rate": round(self.error_rate, 4), "throughput_per_s": round(self.throughput_per_s, 3),
            "queue_depth": self.queue_depth, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "p99_ms": self.p99_ms,
            "baseline_p95_ms": self.baseline_p95_ms,
            "p95_ratio": None if self.p95_ratio is None else round(self.p95_ratio, 2),
            "last_ts": self.last_ts, "duplicates": self.duplicates, "clock_skew_s": round(self.clock_skew_s, 3),
            "clock_behind_s": round(self.clock_behind_s, 3),
        }


class DispatchStats:
    """The windowed engine for one agent. ``observe`` each record, read ``figures(window)``."""

    def __init__(self, clock: Callable[[], float] = time.time, default_window: str = "5m") -> None:
        self.clock = clock
        self.default_window = default_window
        self.rings = {name: Ring(span) for name, span in WINDOWS.items()}
        self.records = 0
        self.duplicates = 0
        self.finished_total = 0
        self.errors_total = 0
        self.open: OrderedDict[str, float] = OrderedDict()
        self._done: set[int] = set()
        self._done_order: deque[int] = deque()
        self.last_ts: float | None = None
        self.clock_skew_s = 0.0
        self._baseline: dict[str, tuple[int, int, float | None]] = {}
        self.clock_behind_s = 0.0
        self._behind: list[float] = []  # the smallest age in each of the last live batches
        self._lat_counts = [0] * (len(_BOUNDS_MS) + 1)  # per bound, not cumulative; the last is +Inf
        self._lat_sum_ms = 0.0
        self.first_ts: float | None = None  # the oldest record seen: throughput is over the span observed
        self.since: float | None = None  # observed from here on (history older than the 1 h read exists)
        self._memo: dict[str, tuple[tuple[object, ...], Figures]] = {}

    def _advance(self, now: float) -> None:
        for ring in self.rings.values():
            ring.advance(now)

    def _remember_done(self, h: int) -> None:
        self._done.add(h)
        self._done_order.append(h)
        if len(self._done_order) > DONE_KEEP:
            self._done.discard(self._done_order.popleft())

    def observe(self, rec: DispatchRecord, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        self._advance(now)
        self.records += 1
        ts = rec.ts
        lead = ts - now
        if lead > SKEW_REPORT_S:
            self.clock_skew_s = max(self.clock_skew_s, lead)
        if lead > 0:
            ts = now  # a future stamp is counted now, never lost
        self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
        h = hash(rec.id)
        if rec.event == "finished":
            if h in self._done:
                self.duplicates += 1
                return
            self._remember_done(h)
            self.open.pop(rec.id, None)
            is_err = rec.status == "error"
            self.finished_total += 1
            self.errors_total += is_err
            lat_ms = rec.latency_ms
            lat = None
            if lat_ms is not None:
                lat = bin_of(lat_ms)
                self._lat_counts[bisect.bisect_left(_BOUNDS_MS, lat_ms)] += 1
                self._lat_sum_ms += lat_ms
            for ring in self.rings.values():
                ring.add(ts, True, is_err, lat, lat_ms or 0.0)
        else:
            if rec.event == "enqueued" and h not in self._done and rec.id not in self.open:
                self.open[rec.id] = ts
                if len(self.open) > OPEN_KEEP:
                    self.open.popitem(last=False)
            for ring in self.rings.values():
                ring.add(ts, False, False, None)

    def note_live_batch(self, records: list[DispatchRecord], now: float) -> None:
        """Records just appended should be seconds old. If two batches in a row are all old by
        more than ``SKEW_REPORT_S``, the agent's clock runs behind ours by about that much
        (reported, not corrected: windows keep the agent's own stamps)."""
        if not records:
            return
        self._behind = [*self._behind[-1:], min(now - r.ts for r in records)]
        lag = min(self._behind) if len(self._behind) == 2 else 0.0
        self.clock_behind_s = lag if lag > SKEW_REPORT_S else 0.0

    def baseline_p95(self, window: str) -> float | None:
        """p95 of the 1 h ring excluding the buckets that overlap the current window."""
        ring = self.rings["1h"]
        key = (ring.head or 0, ring.version)
        cached = self._baseline.get(window)
        if cached is not None and cached[:2] == key:
            return cached[2]
        skip = max(1, math.ceil(WINDOWS[window] / ring.width))
        merged = Bucket()
        for bucket in ring.ordered()[:-skip]:
            if bucket is not None:
                merged.merge(bucket)
        value = hist_percentile(merged.hist, 95) if sum(merged.hist.values()) >= BASELINE_MIN_SAMPLES else None
        self._baseline[window] = (key[0], key[1], value)
        return value

    def observed_span(self, window: str) -> float:
        """Seconds of the window actually observed: a fresh agent's rate is over its own life,
        not over a window it did not exist for (``MIN_SPAN_S`` at least, so a first record is
        not a burst). It ends at the newest record, or at the start of the bucket holding "now"
        once that is later: a steady stream then reads one steady rate (ending at the end of the
        bucket still filling, the rate fell by a bucket's worth at each new bucket and climbed
        back within it), and a tenant that went quiet decays bucket by bucket. It moves only
        when a record arrives or a bucket slides (what ``figures`` memoises on)."""
        ring = self.rings[window]
        span = WINDOWS[window]
        start = self.since if self.since is not None else self.first_ts
        if start is None or ring.head is None:
            return span
        end = max(self.last_ts or start, ring.head * ring.width)
        return min(span, max(min(ring.width, MIN_SPAN_S), end - start))

    def figures(self, window: str | None = None, now: float | None = None) -> Figures:
        """The window's figures; memoised until a record arrives or a bucket slides (so judging
        every tenant against its peers on each refresh costs nine dictionary look-ups)."""
        window = window or self.default_window
        now = self.clock() if now is None else now
        self._advance(now)
        ring, hour = self.rings[window], self.rings["1h"]
        key = (self.records, ring.head, ring.version, hour.head, hour.version, self.clock_behind_s, self.since)
        memo = self._memo.get(window)
        if memo is not None and memo[0] == key:
            return memo[1]
        value = self._figures(window)
        self._memo[window] = (key, value)
        return value

    def _figures(self, window: str) -> Figures:
        agg = self.rings[window].agg
        p95 = hist_percentile(agg.hist, 95)
        base = self.baseline_p95(window)
        ratio = None if p95 is None or not base else p95 / base
        return Figures(
            window=window, records=self.records, finished=agg.finished, errors=agg.errors,
            error_rate=agg.errors / agg.finished if agg.finished else 0.0,
            throughput_per_s=agg.finished / self.observed_span(window), queue_depth=len(self.open),
            p50_ms=hist_percentile(agg.hist, 50), p95_ms=p95, p99_ms=hist_percentile(agg.hist, 99),
            baseline_p95_ms=base, p95_ratio=ratio, last_ts=self.last_ts, duplicates=self.duplicates,
            clock_skew_s=self.clock_skew_s, clock_behind_s=self.clock_behind_s,
            finished_total=self.finished_total, errors_total=self.errors_total,
            latency_buckets=self._cumulative(), latency_sum_s=self._lat_sum_ms / 1000,
        )

    def closed_minutes(self, after: float, now: float | None = None) -> list[tuple[float, Bucket]]:
        """The complete minutes (the 1 h ring's 60 s buckets) newer than ``after``: what the history
        file appends."""
        self._advance(self.clock() if now is None else now)
        return self.rings["1h"].closed(after)

    def seed_minutes(self, minutes: list[tuple[float, Bucket]], now: float | None = None) -> int:
        """Fill the 1 h ring's empty minutes from history (after a restart, or a rotated log):
        the 1 h baseline is there at once. Returns how many minutes were added."""
        self._advance(self.clock() if now is None else now)
        ring = self.rings["1h"]
        return sum(ring.merge_at(ts, bucket) for ts, bucket in minutes)

    def _cumulative(self) -> tuple[int, ...]:
        out: list[int] = []
        total = 0
        for n in self._lat_counts:
            total += n
            out.append(total)
        return tuple(out)

    def series(self, window: str | None = None, now: float | None = None) -> tuple[list[float], list[float]]:
        """Per-bucket mean latency (ms, 0 when none) and error count, oldest first: for sparklines.

        O(buckets): cheap enough to recompute on every refresh."""
        window = window or self.default_window
        self._advance(self.clock() if now is None else now)
        lat: list[float] = []
        errs: list[float] = []
        for bucket in self.rings[window].ordered():
            lat.append(bucket.lat_sum / bucket.lat_n if bucket and bucket.lat_n else 0.0)
            errs.append(float(bucket.errors) if bucket else 0.0)
        return lat, errs
