"""History that survives a restart: what it costs at start-up and on disk.

    python benchmarks/bench_history.py            # full: 7 days of history, 20 dispatches/s per agent
    python benchmarks/bench_history.py --quick    # smoke run: 1 day, fewer rounds

* start-up: ``WorkspaceMonitor`` + ``refresh_all()`` (the monitor's first read, the Agents
  screen's first data) on 9 agents, with and without 7 days of ``history.jsonl`` each;
  interleaved rounds, the ratio of medians (target <= 1.2x). With the last hour in the dispatch
  log, history is not read at all; with a rotated log (its last 10 minutes), the hour's other 50
  minutes come from history, read back from the file's end (compared with the same hour read
  from the log);
* the 24 h / 7 d view's first read (it reads the week, once);
* disk: bytes of history per agent per week at 20 dispatches/s with log-normal latencies
  (target < 5 MB).
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import parser, report  # noqa: E402
from bench_metrics import lines  # noqa: E402

from catalyst_tui.core.health import history  # noqa: E402
from catalyst_tui.core.health.buckets import bin_of, bin_value  # noqa: E402
from catalyst_tui.core.workspace import Workspace  # noqa: E402

RATE = 20.0  # dispatches per second per agent, every minute of the week
MU, SIGMA = math.log(120.0), 0.9  # log-normal latency: median 120 ms, p99 ~1 s


def _coarse_probabilities() -> list[tuple[int, float]]:
    """P(latency in each history bin) for the log-normal above, bins with any weight."""
    out = []
    lo, hi = bin_of(1.0) // history.COARSE, bin_of(60_000.0) // history.COARSE
    for c in range(lo, hi + 1):
        a = bin_value(c * history.COARSE)
        b = bin_value((c + 1) * history.COARSE)
        cdf = lambda x: 0.5 * (1 + math.erf((math.log(x) - MU) / (SIGMA * math.sqrt(2))))  # noqa: E731
        out.append((c, cdf(b) - cdf(a)))
    return [(c, p) for c, p in out if p > 1e-7]


def week_of_minutes(end: float, days: float, rng: random.Random) -> bytes:
    probs = _coarse_probabilities()
    n = int(RATE * 60)
    first = math.floor((end - days * 86400) / 60) * 60
    out = []
    for k in range(int(days * 1440)):
        ts = first + k * 60
        flat: list[int] = []
        count = 0
        total_ms = 0.0
        for c, p in probs:
            expected = p * n
            got = int(expected + rng.random())  # a count with the right mean, ~30-40 non-empty bins
            if got:
                flat += [c, got]
                count += got
                total_ms += got * bin_value(c * history.COARSE + history.COARSE // 2)
        errors = int(count * 0.01 + rng.random())
        out.append(history.Minute(float(ts), 2 * count, count, errors, round(total_ms, 1), count, flat))
    return history.encode(out)


def make(base: Path, days: float | None, log_records: int = 900) -> Workspace:
    ws = Workspace.create(base)
    now = time.time()
    log = lines(log_records, now)  # one record every 4 s: 900 = the last hour
    rng = random.Random(7)
    for name in ws.config.agent_names:
        p = ws.agent(name)
        p.dispatch.write_bytes(log)
        if days:
            history.path_of(p.dir).write_bytes(week_of_minutes(now - 60, days, rng))
    return ws


def startup(ws: Workspace) -> float:
    gc.collect()
    t = time.perf_counter()
    Workspace.open(ws.root).monitor().refresh_all()
    return time.perf_counter() - t


def long_view(ws: Workspace) -> float:
    mon = Workspace.open(ws.root).monitor()
    mon.refresh_all()
    gc.collect()
    t = time.perf_counter()
    for a in mon.agents.values():
        a.status(None, "7d")
    return time.perf_counter() - t


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    days = 1.0 if args.quick else 7.0
    rounds = 5 if args.quick else 15
    with tempfile.TemporaryDirectory() as tmp:
        bare = make(Path(tmp) / "none", None, 1000)  # 67 min of log: the hour is in it
        full = make(Path(tmp) / "week", days, 1000)
        rotated = make(Path(tmp) / "rotated", days, 150)  # 10 min of log: 50 min from history
        for ws in (bare, full, rotated):  # warm the page cache and the config cache
            startup(ws)
        a, b, c = [], [], []
        for _ in range(rounds):
            a.append(startup(bare))
            b.append(startup(full))
            c.append(startup(rotated))
        ma, mb, mc = (statistics.median(x) for x in (a, b, c))
        ok = mb / ma <= 1.2 and mc / ma <= 1.2
        rows = [("start-up, 9 agents, no history", f"{ma * 1e3:.1f} ms (median of {rounds})"),
                (f"  with {days:g} d of history each", f"{mb * 1e3:.1f} ms: {mb / ma:.2f}x (target <= 1.2x)"),
                ("  log rotated (10 min), the hour from history", f"{mc * 1e3:.1f} ms: {mc / ma:.2f}x")]
        assert full is not None
        per_agent = history.path_of(full.agent("bjork").dir).stat().st_size
        per_week = per_agent * 7 / days
        view = statistics.median(long_view(full) for _ in range(3))
        rows += [
            ("first 7 d view, 9 agents", f"{view * 1e3:.0f} ms (once; then it follows the file)"),
            ("history on disk", f"{per_week / 1e6:.2f} MB per agent per week at {RATE:g}/s "
                                f"({per_agent / (days * 1440):.0f} B a minute; target < 5 MB)"),
        ]
        report(rows)
        ok = ok and per_week < 5e6
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
