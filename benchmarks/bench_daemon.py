"""The daemon at rest: CPU (% of one core) and RSS of ``catalyst-tui daemon`` on an idle demo
workspace, next to a bare ``python -c`` sleep loop measured over the same seconds.

    python benchmarks/bench_daemon.py            # 60 s idle
    python benchmarks/bench_daemon.py --quick    # 15 s smoke run

CPU is read from ``/proc/PID/task/*/schedstat`` (nanoseconds, every thread) at the start and the
end of the window, for both processes at once, so a loaded machine slows both alike.
Targets (docs/performance.md): daemon <= bare + 0.1 points of a core; RSS < 60 MB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import parser, report
from _tmux import cpu_seconds

BARE = "import time\nwhile True:\n    time.sleep(1.0)\n"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    p = parser(__doc__ or "")
    p.add_argument("--seconds", type=float, default=None, help="idle window (default 60, --quick 15)")
    args = p.parse_args()
    window = args.seconds or (15.0 if args.quick else 60.0)
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([sys.executable, "-m", "catalyst_tui", "demo", str(ws), "--no-ui", "--no-hub", "--duration",
                        "0.5"], check=True, capture_output=True)  # a seeded workspace, then nothing writes
        daemon = subprocess.Popen([sys.executable, "-m", "catalyst_tui", "daemon", "--workspace", str(ws)],
                                  stderr=subprocess.DEVNULL)
        bare = subprocess.Popen([sys.executable, "-c", BARE])
        try:
            deadline = time.monotonic() + 30
            while not (ws / ".catalyst" / "runtime.json").exists():
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise SystemExit("the daemon did not start")
                time.sleep(0.1)
            time.sleep(3.0)  # past start-up: the first port scan, the monitor's first read
            c0 = (cpu_seconds(daemon.pid), cpu_seconds(bare.pid))
            t0 = time.monotonic()
            time.sleep(window)
            c1 = (cpu_seconds(daemon.pid), cpu_seconds(bare.pid))
            span = time.monotonic() - t0
            rss = rss_mb(daemon.pid), rss_mb(bare.pid)
        finally:
            for proc in (daemon, bare):
                proc.terminate()
                proc.wait(30)
    d_cpu = 100 * (c1[0] - c0[0]) / span
    b_cpu = 100 * (c1[1] - c0[1]) / span
    over = d_cpu - b_cpu
    report([
        ("idle window", f"{span:.1f} s"),
        ("daemon CPU", f"{d_cpu:.3f} % of a core"),
        ("bare python sleep loop CPU", f"{b_cpu:.3f} % of a core"),
        ("daemon over bare", f"{over:+.3f} points (target <= +0.1)"),
        ("daemon RSS", f"{rss[0]:.1f} MB (target < 60; bare python: {rss[1]:.1f} MB)"),
    ])
    return 0 if over <= 0.1 and rss[0] < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
