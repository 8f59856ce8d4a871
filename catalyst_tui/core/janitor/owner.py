"""Does a file still have a live owner? The janitor acts only when the answer is "no".

Evidence of life, any one of which keeps a file:

* a ``flock`` currently held on it (filelock's lock files, and anything else locked): probed
  with a non-blocking ``flock`` on a separate descriptor, released at once;
* it is open for writing by a running process (``/proc/*/fd`` + ``fdinfo`` flags, scanned once
  per run and only for the candidates' inodes);
* a recorded owner that is alive per :func:`procs.owner_liveness`: session locks record
  ``{pid, pid_start, host}``; temp files of atomic writes carry their writer's pid in their name
  (``.<name>.tmp-<pid>-<hex>``), and a pid whose process started after the file was last
  written cannot be its writer (pid reuse);
* a filelock lock file whose guarded file (its name without ``.lock``) still exists is kept:
  removing it would race with a process about to lock it.

Nothing here follows a symlink or opens a FIFO, socket or device: callers pass regular files
only, and every open uses ``O_NOFOLLOW | O_NONBLOCK`` relative to a directory descriptor.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
import psutil

from catalyst_tui.core.procs import START_TIME_TOLERANCE_S, Liveness, owner_liveness
from catalyst_tui.core.storage import is_tmp_name, parse_tmp_name

MAX_LOCK_RECORD = 64 * 1024
_O_PROBE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


@dataclass(frozen=True, slots=True)
class Verdict:
    alive: bool
    reason: str


def _open_regular(dir_fd: int, name: str, st_ino: int) -> int | None:
    """Open a regular file read-only without following links; ``None`` if it is not the same file."""
    try:
        fd = os.open(name, _O_PROBE, dir_fd=dir_fd)
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_ino != st_ino:
        os.close(fd)
        return None
    return fd


def flock_held(dir_fd: int, name: str, st_ino: int) -> bool:
    """Is an exclusive or shared ``flock`` held on the file right now (by anyone)?"""
    fd = _open_regular(dir_fd, name, st_ino)
    if fd is None:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def open_for_writing(inodes: Iterable[tuple[int, int]], proc: str = "/proc") -> dict[tuple[int, int], int]:
    """Which of ``inodes`` ((st_dev, st_ino) pairs) are open for writing, and by which pid.

    One pass over ``/proc/*/fd``: ``os.stat`` of each fd link gives the target's identity
    without opening it; only a match costs a read of ``fdinfo`` for the open flags. Processes
    that vanish or hide their fds are skipped. Falls back to psutil where there is no /proc.
    """
    wanted = set(inodes)
    found: dict[tuple[int, int], int] = {}
    if not wanted:
        return found
    if not os.path.isdir(os.path.join(proc, "self", "fd")):
        return _open_for_writing_psutil(wanted)
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        fd_dir = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key not in wanted or key in found:
                continue
            if _fd_writable(f"{proc}/{pid}/fdinfo/{fd}"):
                found[key] = pid
    return found


def _fd_writable(fdinfo: str) -> bool:
    try:
        with open(fdinfo, "rb") as fh:
            for line in fh:
                if line.startswith(b"flags:"):
                    flags = int(line.split()[1], 8)
                    return (flags & os.O_ACCMODE) in (os.O_WRONLY, os.O_RDWR)
    except (OSError, ValueError, IndexError):
        return False
    return False


def _open_for_writing_psutil(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], int]:  # pragma: no cover
    found: dict[tuple[int, int], int] = {}
    for proc in psutil.process_iter():
        try:
            files = proc.open_files()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        for f in files:
            mode = getattr(f, "mode", "r")
            if "w" not in mode and "a" not in mode and "+" not in mode:
                continue
            try:
                st = os.stat(f.path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in wanted:
                found[(st.st_dev, st.st_ino)] = proc.pid
    return found


def session_lock_owner(dir_fd: int, name: str, st_ino: int) -> Liveness:
    """The owner recorded in a session lock file (JSON: pid, pid_start, host)."""
    fd = _open_regular(dir_fd, name, st_ino)
    if fd is None:
        return Liveness(True, "lock file changed while reading it")
    try:
        raw = os.read(fd, MAX_LOCK_RECORD + 1)
    finally:
        os.close(fd)
    try:
        rec = orjson.loads(raw) if len(raw) <= MAX_LOCK_RECORD else None
    except orjson.JSONDecodeError:
        rec = None
    if not isinstance(rec, dict):
        return Liveness(False, "no owner recorded (unreadable lock record)")
    pid = rec.get("pid")
    start = rec.get("pid_start")
    host = rec.get("host")
    pid = pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None
    start = float(start) if isinstance(start, int | float) and not isinstance(start, bool) else None
    host = host if isinstance(host, str) else None
    return owner_liveness(pid, start, host)


def tmp_file_owner(name: str, mtime: float) -> Liveness:
    """The writer of an atomic-write temp file, from the pid in its name."""
    parsed = parse_tmp_name(name)
    if parsed is None:
        return Liveness(False, "no writer pid in the name")
    pid = parsed.pid
    live = owner_liveness(pid)
    if not live.alive:
        return live
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.Error, ValueError):
        return live
    if created > mtime + START_TIME_TOLERANCE_S:
        return Liveness(False, f"pid {pid} reused (started after the file was written)")
    return live


def guarded_file_exists(dir_fd: int, name: str) -> bool:
    """Does the file a filelock lock file guards (``x.json`` for ``x.json.lock``) exist?"""
    if not name.endswith(".lock"):
        return False
    stem = name[:-5]
    with contextlib.suppress(OSError):
        os.stat(stem, dir_fd=dir_fd, follow_symlinks=False)
        return True
    # ``index.lock`` guards ``index.json``: any sibling named ``<stem>.<something>`` counts
    try:
        siblings = os.listdir(dir_fd)
    except OSError:
        return True  # cannot tell: assume it guards something
    return any(s != name and s.startswith(stem + ".") and not s.startswith(name) for s in siblings)


def judge(dir_fd: int, name: str, relpath: str, st: os.stat_result, writers: dict[tuple[int, int], int]) -> Verdict:
    """Has this candidate (a regular file old enough for its rule) a live owner?"""
    key = (st.st_dev, st.st_ino)
    if key in writers:
        return Verdict(True, f"open for writing by pid {writers[key]}")
    if flock_held(dir_fd, name, st.st_ino):
        return Verdict(True, "lock held (flock)")
    if name.endswith(".lock"):
        parts = relpath.split("/")
        if len(parts) == 4 and parts[0] == "agents" and parts[2] == "locks":
            live = session_lock_owner(dir_fd, name, st.st_ino)
            return Verdict(live.alive, live.reason)
        if guarded_file_exists(dir_fd, name):
            return Verdict(True, f"guards {name[:-5]}*, which exists")
        return Verdict(False, "lock not held and its guarded file is gone")
    if is_tmp_name(name):
        live = tmp_file_owner(name, st.st_mtime)
        return Verdict(live.alive, live.reason)
    return Verdict(False, "no owner recorded, not locked, not open for writing")
