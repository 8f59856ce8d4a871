"""runtime.lock: one holder; a dead holder (kill -9 included) never blocks anyone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from catalyst_tui.core.runtime import RuntimeLock


def test_one_holder_at_a_time_and_it_is_named(tmp_path: Path) -> None:
    a, b = RuntimeLock(tmp_path), RuntimeLock(tmp_path)
    assert a.try_acquire("daemon")
    assert not b.try_acquire("dashboard")  # a separate open of the same file: refused
    holder = b.holder()
    assert holder is not None and holder.pid == os.getpid() and holder.kind == "daemon"
    assert holder.describe() == f"daemon pid {os.getpid()}"
    a.release()
    assert b.holder() is None  # released: nobody is named
    assert b.try_acquire("dashboard")
    b.release()


def test_a_killed_holder_leaves_a_stale_file_that_blocks_nobody(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys, time
        from catalyst_tui.core.runtime import RuntimeLock
        lock = RuntimeLock({str(tmp_path)!r})
        assert lock.try_acquire("daemon")
        print("held", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        mine = RuntimeLock(tmp_path)
        assert not mine.try_acquire("dashboard")
        held_by = mine.holder()
        assert held_by is not None and held_by.pid == child.pid
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert (tmp_path / "runtime.lock").read_text().strip()  # the dead holder's name is still in the file
    assert mine.holder() is None  # ... but a dead pid is no holder
    assert mine.try_acquire("dashboard")  # and the kernel dropped its flock
    mine.release()


def test_a_reused_pid_is_not_the_holder(tmp_path: Path) -> None:
    lock = RuntimeLock(tmp_path)
    (tmp_path / "runtime.lock").write_text(
        f'{{"pid": {os.getpid()}, "start": 1.0, "host": "{os.uname().nodename}", "kind": "daemon", "since": 1.0}}\n')
    assert lock.holder() is None  # our pid, but a process that started long ago is not us
