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


def _daemon_refusal(ws_root: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "catalyst_tui", "daemon", "--workspace", str(ws_root), "--once"],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr


def test_a_lock_file_that_cannot_be_taken_is_named_with_its_real_reason(tmp_path: Path) -> None:
    """Not "another process runs the jobs" when none does: one line naming the file and why."""
    from catalyst_tui.core.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    path = ws.internal_dir / "runtime.lock"
    cases = {
        "a directory": (lambda: path.mkdir(), "Is a directory"),
        "a symlink": (lambda: path.symlink_to(tmp_path / "elsewhere"), "a symbolic link, never followed"),
        "a FIFO": (lambda: os.mkfifo(path), "not a regular file"),
    }
    for what, (make, reason) in cases.items():
        make()
        try:
            code, err = _daemon_refusal(ws.root)
        finally:
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
        lines = err.strip().splitlines()
        assert code == 1, (what, err)
        assert len(lines) == 1 and str(path) in lines[0] and reason in lines[0], (what, err)
        assert "another process" not in lines[0] and "Traceback" not in err


def test_a_lock_held_under_garbage_says_so(tmp_path: Path) -> None:
    """A real process holds the flock and the file does not name it: said as such."""
    from catalyst_tui.core.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    path = ws.internal_dir / "runtime.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, b'\\x00garbage{{{')\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, err = _daemon_refusal(ws.root)
        assert code == 1 and err.strip() == (f"catalyst-tui: error: {path}: locked by another process, and its "
                                             "content is not a lock record")
    finally:
        holder.kill()
        holder.wait(5)
