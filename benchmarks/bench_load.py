"""Workspace load: 9 agents x N dispatch records (default 100,000 each).

Prints the full-load time of the core's monitor next to two baselines measured in the same
run (the I/O floor: reading the bytes; and a naive loader: stdlib json.loads per line), and
the time to read ONE more appended record at two file sizes (it must not grow with size).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import json

import orjson
from _common import parser, report, timed

from catalyst_tui.core.agents import AgentPaths, own_state, record_dispatch, write_state
from catalyst_tui.core.jsonl import JsonlTail
from catalyst_tui.core.models import decode_dispatch
from catalyst_tui.core.workspace import Workspace


def seed(root: Path, per_agent: int) -> Workspace:
    ws = Workspace.create(root)
    t0 = time.time() - per_agent
    for name in ws.config.agent_names:
        paths = AgentPaths(ws.root, name)
        write_state(paths, own_state(paths))
        lines = []
        for i in range(per_agent):
            if i % 2 == 0:
                rec = {"ts": t0 + i, "id": f"d{i}", "event": "enqueued", "agent": name}
            else:
                rec = {"ts": t0 + i, "id": f"d{i - 1}", "event": "finished", "agent": name,
                       "status": "ok" if i % 17 else "error", "latency_ms": 100.0 + (i % 250)}
            lines.append(orjson.dumps(rec))
        paths.dispatch.write_bytes(b"\n".join(lines) + b"\n")
    return ws


def one_more(ws: Workspace) -> float:
    """Time to pick up one appended record on a warm monitor (median of 50)."""
    mon = ws.monitor()
    mon.refresh_all()
    paths = AgentPaths(ws.root, "bjork")
    times = []
    for i in range(50):
        record_dispatch(paths, id=f"x{i}", event="finished", status="ok", latency_ms=5.0)
        t0 = time.perf_counter()
        mon.refresh("bjork")
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    big = 10_000 if args.quick else 100_000
    small = 1_000
    with tempfile.TemporaryDirectory() as tmp:
        ws_big = seed(Path(tmp) / "big", big)
        ws_small = seed(Path(tmp) / "small", small)
        files = [AgentPaths(ws_big.root, n).dispatch for n in ws_big.config.agent_names]

        floor = timed(lambda: [f.read_bytes() for f in files], 3)
        naive = timed(lambda: [[json.loads(line) for line in f.read_bytes().splitlines()] for f in files], 1)
        full = timed(lambda: ws_big.monitor().refresh_all(), 3)
        history = timed(lambda: [JsonlTail(f, decode_dispatch).read_new() for f in files], 3)
        inc_big = one_more(ws_big)
        inc_small = one_more(ws_small)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
    report([
        ("records", f"9 x {big:,} ({size_mb:.0f} MB)"),
        ("baseline: read bytes", f"{floor * 1000:8.1f} ms"),
        ("baseline: json.loads per line", f"{naive * 1000:8.1f} ms"),
        ("parse every record (JsonlTail+msgspec)",
         f"{history * 1000:8.1f} ms  ({history / naive:.3f}x naive, {history / floor:.1f}x I/O floor)"),
        ("dashboard load (monitor.refresh_all)",
         f"{full * 1000:8.1f} ms  (reads only the metric windows from the end of each file)"),
        (f"one appended record, 9 x {big:,}", f"{inc_big * 1e6:8.1f} us"),
        (f"one appended record, 9 x {small:,}", f"{inc_small * 1e6:8.1f} us"),
        ("appended-read ratio big/small", f"{inc_big / inc_small:8.2f}x  (target ~1: must not grow with file size)"),
    ])


if __name__ == "__main__":
    main()
