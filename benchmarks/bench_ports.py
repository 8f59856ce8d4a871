"""Port scan with 1,000 listening sockets open, against ``ss -ltnu`` measured in the same run.

A child process opens N sockets on loopback (half TCP LISTEN, half bound UDP; IPv4 and IPv6),
then this script times:

* ``ss -ltnu``  the baseline the issue names (kernel netlink dump, no process lookup);
* ``ss -ltnup`` the same with owning processes (the fair comparison: we report the owner too);
* ``scan_listeners(describe=False)``  psutil socket table + pid mapping, no per-process details;
* ``scan_listeners()``  the full scan the Ports screen and ``ports check`` use (name, cmdline, user);
* ``check()``  the full scan plus the status of every port against a PORTS.md documenting N/2 ports.

It also checks the scan saw every socket the child opened (a fast wrong scan is no result).
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report

from catalyst_tui.core.ports import check, parse_ports_md, scan_listeners

CHILD = """
import socket, sys
n = int(sys.argv[1]); socks = []; ports = []
for i in range(n):
    v6 = i % 4 >= 2
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    kind = socket.SOCK_STREAM if i % 2 == 0 else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::1" if v6 else "127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        s.listen(4)
    socks.append(s); ports.append((s.getsockname()[1], "tcp" if kind == socket.SOCK_STREAM else "udp"))
print(" ".join(f"{p}/{k}" for p, k in ports), flush=True)
sys.stdin.read()
"""


def times(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def fmt(ts: list[float]) -> str:
    ts = sorted(ts)
    p95 = ts[min(len(ts) - 1, round(0.95 * (len(ts) - 1)))]
    return f"median {statistics.median(ts) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(ts)})"


def ports_md(opened: list[tuple[int, str]]) -> str:
    lo, hi = min(p for p, _ in opened), max(p for p, _ in opened)
    rows = [f"| {p} | {k} | portbench-{i} | bench | hub | python |" for i, (p, k) in enumerate(opened[::2])]
    return ("| class | range |\n|---|---|\n" f"| bench | {lo}-{hi} |\n\n"
            "| port | protocol | service | class | owner | process |\n|---|---|---|---|---|---|\n" + "\n".join(rows))


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sockets", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args()
    repeat = 5 if args.quick else args.repeat
    ss = shutil.which("ss")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(args.sockets)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        opened = [(int(a), b) for a, b in (x.split("/") for x in child.stdout.readline().split())]
        seen = {(lst.port, lst.protocol) for lst in scan_listeners().listeners if lst.pid == child.pid}
        missing = set(opened) - seen
        total = len(scan_listeners(describe=False).listeners)
        doc = parse_ports_md(ports_md(opened), ephemeral=None)
        rows: list[tuple[str, str]] = [
            ("sockets opened by the child", f"{len(opened)} (all listeners on the host: {total})"),
            ("seen by scan_listeners()", f"{len(opened) - len(missing)} of {len(opened)}"),
        ]
        base: list[float] = []
        if ss:
            base = times(lambda: subprocess.run([ss, "-ltnu"], capture_output=True, check=True), repeat)
            rows.append(("ss -ltnu (baseline)", fmt(base)))
            withp = times(lambda: subprocess.run([ss, "-ltnup"], capture_output=True, check=True), repeat)
            rows.append(("ss -ltnup (with processes)", fmt(withp)))
        else:
            rows.append(("ss", "not installed (apt-get install iproute2): no baseline"))
        raw = times(lambda: scan_listeners(describe=False), repeat)
        full = times(scan_listeners, repeat)
        chk = times(lambda: check(doc, scan_listeners()), repeat)
        rows += [("scan_listeners(describe=False)", fmt(raw)), ("scan_listeners()", fmt(full)),
                 ("scan + check (500 documented)", fmt(chk))]
        if base:
            b = statistics.median(base)
            rows += [(f"ratio vs ss -ltnu: {name}", f"{statistics.median(ts) / b:5.2f}x")
                     for name, ts in (("raw scan", raw), ("full scan", full), ("scan + check", chk))]
        report(rows)
        if missing:
            print(f"FAIL: the scan missed {len(missing)} sockets, e.g. {sorted(missing)[:5]}")
            return 1
        return 0
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    sys.exit(main())
