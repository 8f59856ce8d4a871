"""Per-agent dispatch figures.

First cut (issue 2): counts, error rate, queue depth and latency percentiles over the
last ``LATENCY_KEEP`` finished dispatches, in constant memory per agent. The windowed
engine (1 min / 5 min / 1 h) replaces this in issue 4 behind the same ``observe`` /
``figures`` interface.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from catalyst_tui.core.models import DispatchRecord

LATENCY_KEEP = 2048
OPEN_KEEP = 100_000  # bound on tracked in-flight dispatch ids


@dataclass(frozen=True)
class Figures:
    records: int
    finished: int
    errors: int
    error_rate: float
    queue_depth: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    last_ts: float | None


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (``q`` in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * q // 100))  # ceil(n*q/100), at least 1
    return sorted_values[int(rank) - 1]


class DispatchStats:
    def __init__(self) -> None:
        self.records = 0
        self.finished = 0
        self.errors = 0
        self.latencies: deque[float] = deque(maxlen=LATENCY_KEEP)
        self.outcomes: deque[bool] = deque(maxlen=LATENCY_KEEP)  # True = error
        self.open: OrderedDict[str, float] = OrderedDict()
        self.last_ts: float | None = None

    def observe(self, rec: DispatchRecord) -> None:
        self.records += 1
        self.last_ts = rec.ts if self.last_ts is None else max(self.last_ts, rec.ts)
        if rec.event == "finished":
            self.finished += 1
            is_err = rec.status == "error"
            self.errors += is_err
            self.outcomes.append(is_err)
            if rec.latency_ms is not None:
                self.latencies.append(rec.latency_ms)
            self.open.pop(rec.id, None)
        elif rec.event == "enqueued":
            self.open[rec.id] = rec.ts
            if len(self.open) > OPEN_KEEP:
                self.open.popitem(last=False)

    def figures(self) -> Figures:
        lat = sorted(self.latencies)
        recent_err = sum(self.outcomes) / len(self.outcomes) if self.outcomes else 0.0
        return Figures(self.records, self.finished, self.errors, recent_err, len(self.open),
                       percentile(lat, 50), percentile(lat, 95), percentile(lat, 99), self.last_ts)
