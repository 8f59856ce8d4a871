"""Janitor walk: a dry run over 100,000 files in 1,000 directories vs ``find DIR -type f -mmin +60``.

Both run in the same process group on the same tree (half the files older than an hour, 1 % of
them orphan temp files in 10 directories). Three janitor figures:

* full walk: every file re-stat'ed (what the first run and every ``full_walk_every``-th run do);
* incremental: the walk cache of the previous real run, 10 directories changed since;
* the ratio of each against ``find`` (target: within 1.5x).

Usage: ``python benchmarks/bench_janitor.py [--quick]`` (quick: 10,000 files, < 20 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser, report

from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.workspace import Workspace

NO_PID = 4999999  # above the kernel's pid_max limit: the writer of these temp files is dead


def build(root: Path, dirs: int, per_dir: int, now: float) -> tuple[Workspace, list[Path]]:
    ws = Workspace.create(root)
    agents = ws.config.agent_names
    old, new = now - 7200, now - 60
    orphans: list[Path] = []
    for d in range(dirs):
        base = root / "agents" / agents[d % len(agents)] / "data" / f"d{d:04d}"
        base.mkdir(parents=True)
        for f in range(per_dir):
            p = base / f"r{f:03d}.json"
            with open(p, "wb") as fh:
                fh.write(b"{}\n")
            t = old if f % 2 else new
            os.utime(p, (t, t))
        if d % (dirs // 10) == 0:  # orphan temp files in 10 directories
            for k in range(per_dir // 10):
                p = base / f".r{k:03d}.json.tmp-{NO_PID}-{k:04x}"
                p.write_bytes(b"{")
                os.utime(p, (old, old))
                orphans.append(p)
    return ws, orphans


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    args = parser(__doc__ or "").parse_args()
    dirs, per_dir, repeat = (100, 100, 3) if args.quick else (1000, 100, 5)
    tmp = Path(tempfile.mkdtemp(prefix="bench-janitor-"))
    try:
        now = time.time()
        t0 = time.perf_counter()
        ws, orphans = build(tmp / "ws", dirs, per_dir, now)
        built = time.perf_counter() - t0
        n_files = sum(1 for _ in (tmp / "ws").rglob("*") if _.is_file())
        janitor = Janitor(ws)

        def find() -> None:
            subprocess.run(["find", str(ws.root), "-type", "f", "-mmin", "+60"], stdout=subprocess.DEVNULL,
                           check=True)

        def dry_full() -> None:
            r = janitor.run(dry_run=True, full=True)
            assert len(r["actions"]) == len(orphans), r["actions"][:3]

        def dry_incremental() -> None:
            r = janitor.run(dry_run=True, full=False)
            assert not r["full_walk"] and len(r["actions"]) == len(orphans)

        find()  # warm the dentry / inode caches for everyone alike
        t_find = best(find, repeat)
        t_full = best(dry_full, repeat)
        # a real run archives the orphans and leaves the walk cache; new orphans then appear
        t0 = time.perf_counter()
        first = janitor.run(full=True)
        t_real = time.perf_counter() - t0
        assert first["totals"]["archived"] == len(orphans)
        for p in orphans:
            p.write_bytes(b"{")
            os.utime(p, (now - 7200, now - 7200))
        t_incr = best(dry_incremental, repeat)
        t_find2 = best(find, repeat)
        t_find = min(t_find, t_find2)
        report([
            ("tree", f"{n_files} files in {dirs} directories (built in {built:.1f} s)"),
            ("find -type f -mmin +60", f"{t_find * 1000:.0f} ms (best of {repeat})"),
            ("janitor dry run, full walk", f"{t_full * 1000:.0f} ms = {t_full / t_find:.2f}x find"),
            ("janitor dry run, incremental", f"{t_incr * 1000:.0f} ms = {t_incr / t_find:.2f}x find"),
            ("janitor real run (full walk, archives "
             f"{len(orphans)})", f"{t_real * 1000:.0f} ms"),
            ("target", "incremental within 1.5x of find: " + ("met" if t_incr <= 1.5 * t_find else "NOT met")),
        ])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
