"""The metrics engine's hot path and start-up, measured.

    python benchmarks/bench_metrics.py            # full: 1,000,000 lines; 9 x 1,000,000 records
    python benchmarks/bench_metrics.py --quick    # smoke run: 100,000 lines; 9 x 100,000 records

* parsers: the same dispatch lines decoded by ``json.loads``, ``orjson.loads`` and the msgspec
  Struct decoder (the one ``models.decode_dispatch`` uses), relative to ``json.loads``;
* engine: ``DispatchStats.observe`` records per second, and ``figures()`` cost;
* start-up: ``WorkspaceMonitor`` + ``refresh_all()`` on 9 x BIG records (46 days of history)
  vs 9 x 1,000, in this run (target: within 1.2x: only the last hour is read, from the end);
* memory: RSS of the real dashboard (tmux, Agents screen) on the 9 x BIG workspace (< 200 MB),
  and of the bare engine process after start-up.
"""

from __future__ import annotations

import argparse
import gc
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec
import orjson
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from catalyst_tui.core.health import DispatchStats  # noqa: E402
from catalyst_tui.core.models import DISPATCH_DECODER, DispatchRecord  # noqa: E402
from catalyst_tui.core.workspace import Workspace  # noqa: E402

# One record every 4 s in both workspaces: 1,000,000 records ~ 46 days of history, 1,000 ~ 67 min.
# Both hold the same last hour, so the ratio isolates what the history beyond the window costs.
SPACING_S = 4.0


def lines(n: int, end: float, spacing: float = SPACING_S) -> bytes:
    out = []
    start = end - n * spacing
    for i in range(n):
        ts = start + i * spacing
        if i % 2 == 0:
            out.append(f'{{"agent":"a","event":"enqueued","id":"d-{i // 2:08x}","ts":{ts:.3f}}}')
        else:
            st = "error" if i % 23 == 0 else "ok"
            out.append(f'{{"agent":"a","event":"finished","id":"d-{i // 2:08x}","latency_ms":{40 + (i * 37) % 900}.5,'
                       f'"status":"{st}","ts":{ts:.3f}}}')
    return ("\n".join(out) + "\n").encode()


def best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_parsers(n: int) -> None:
    raw = lines(n, time.time()).splitlines()
    dec = DISPATCH_DECODER.decode
    stamp = msgspec.json.Decoder(DispatchRecord)
    assert stamp.decode(raw[1]).event == "finished"
    base = best(lambda: [json.loads(x) for x in raw], 1)
    res = {
        "json.loads": base,
        "orjson.loads": best(lambda: [orjson.loads(x) for x in raw]),
        "msgspec Struct (hot path)": best(lambda: [dec(x) for x in raw]),
    }
    print(f"parsers, {n:,} dispatch lines:")
    for name, t in res.items():
        print(f"  {name:<28} {t:6.3f} s  ({base / t:4.1f}x json.loads)")


def bench_engine(n: int) -> None:
    now = time.time()
    recs = [DISPATCH_DECODER.decode(x) for x in lines(n, now).splitlines()]
    s = DispatchStats(clock=lambda: now)
    t = best(lambda: [s.observe(r, now) for r in recs], 1)
    f = best(lambda: s.figures("5m", now), 5)
    print(f"engine: observe {n / t:,.0f} records/s; figures(5m) {f * 1e6:.0f} us")


def make_big(base: Path, per_agent: int) -> Workspace:
    ws = Workspace.create(base)
    now = time.time()
    blob = lines(per_agent, now)
    for name in ws.config.agent_names:
        ws.agent(name).dispatch.write_bytes(blob)
    return ws


def startup(ws: Workspace) -> float:
    def run() -> None:
        mon = Workspace.open(ws.root).monitor()
        mon.refresh_all()

    return best(run, 5)


def engine_rss(ws: Workspace) -> float:
    code = ("import psutil; from catalyst_tui.core.workspace import Workspace; "
            f"m = Workspace.open({str(ws.root)!r}).monitor(); m.refresh_all(); "
            "print(psutil.Process().memory_info().rss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return int(out.stdout.strip()) / 2**20


def dashboard_rss(ws: Workspace, base: Path) -> float | None:
    if shutil.which("tmux") is None:
        return None
    from bench_watch import TmuxSession, wait_for

    t = TmuxSession(base, "mem")
    t.start(f"{shlex.quote(sys.executable)} -m catalyst_tui --workspace {shlex.quote(str(ws.root))}")
    try:
        wait_for(lambda: "affected" in t.capture() or "healthy" in t.capture(), 120, "the dashboard")
        t.keys("F2")
        wait_for(lambda: "p95" in t.capture(), 60, "the Agents screen")
        time.sleep(3.0)
        samples = []
        for _ in range(5):
            samples.append(psutil.Process(t.pid()).memory_info().rss / 2**20)
            time.sleep(0.5)
        return max(samples)
    finally:
        t.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: 100,000 lines / records per agent")
    args = ap.parse_args()
    big = 100_000 if args.quick else 1_000_000
    bench_parsers(big)
    bench_engine(min(big, 300_000))
    base = Path(tempfile.mkdtemp(prefix="c4-metrics-"))
    try:
        t = time.perf_counter()
        ws_big = make_big(base / "big", big)
        ws_small = make_big(base / "small", 1_000)
        size = sum(ws_big.agent(n).dispatch.stat().st_size for n in ws_big.config.agent_names)
        print(f"workspaces written in {time.perf_counter() - t:.1f} s (9 x {big:,}: {size / 2**20:.0f} MB)")
        t_small = startup(ws_small)
        t_big = startup(ws_big)
        ratio = t_big / t_small
        print(f"start-up (monitor + refresh_all, best of 5): 9 x {big:,} {t_big * 1000:.1f} ms, "
              f"9 x 1,000 {t_small * 1000:.1f} ms -> {ratio:.2f}x (target <= 1.2x)")
        fig_big = Workspace.open(ws_big.root).monitor().refresh_all()["bjork"].figures
        fig_small = Workspace.open(ws_small.root).monitor().refresh_all()["bjork"].figures
        print(f"  records read per agent at start-up: {fig_big.records:,} of {big:,} (big), "
              f"{fig_small.records:,} of 1,000 (small)")
        print(f"engine process RSS after start-up on 9 x {big:,}: {engine_rss(ws_big):.0f} MB")
        rss = dashboard_rss(ws_big, base)
        if rss is not None:
            print(f"dashboard RSS (tmux, Agents screen) on 9 x {big:,} records: {rss:.0f} MB (target < 200 MB)")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
