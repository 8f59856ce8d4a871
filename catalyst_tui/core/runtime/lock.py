"""``.catalyst/runtime.lock``: exactly one process runs a workspace's jobs.

The lock is an ``flock`` on the file (the kernel drops it when the holder dies, kill -9
included, so a stale lock never blocks anyone); the file's content names the holder (pid,
process start time, host, kind, version) for the others to show. A lock file naming a pid
that is gone (or reused: the start time differs) is reported as no holder at all.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
import time
from pathlib import Path

import msgspec

from catalyst_tui import __version__
from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.procs import hostname, owner_liveness, process_start_time

LOCK_NAME = "runtime.lock"
log = logging.getLogger(__name__)


class Holder(msgspec.Struct, frozen=True, kw_only=True):
    """Who runs the jobs: ``kind`` is ``daemon`` or ``dashboard``."""

    pid: int
    start: float | None  # the process's start time (a reused pid is not the holder)
    host: str
    kind: str
    since: float
    version: str = __version__

    def describe(self) -> str:
        """``daemon pid 4242`` (``on host`` when it is another machine)."""
        where = "" if self.host == hostname() else f" on {self.host}"
        return f"{self.kind} pid {self.pid}{where}"

    def alive(self) -> bool:
        return owner_liveness(self.pid, self.start, self.host).alive


_DECODE = msgspec.json.Decoder(Holder)


def me(kind: str) -> Holder:
    pid = os.getpid()
    return Holder(pid=pid, start=process_start_time(pid), host=hostname(), kind=kind, since=time.time())


class RuntimeLock:
    """Non-blocking: :meth:`try_acquire` says at once whether this process now holds it."""

    def __init__(self, internal_dir: Path) -> None:
        self.path = Path(internal_dir) / LOCK_NAME
        self._fd: int | None = None
        self.holder_info: Holder | None = None
        self.problem: str | None = None  # why the last try failed, when it was not another holder

    def refusal(self) -> str:
        """One line for a process that could not take the lock: the holder, or the real reason."""
        h = self.holder()
        if h is not None:
            return f"{self.path}: the workspace's jobs already run in {h.describe()}"
        if self.problem is not None:
            return f"{self.path}: cannot take the runtime lock: {self.problem}"
        try:
            data = storage.read_bytes(self.path, "record", follow=False)
        except OSError as exc:
            return f"{self.path}: locked by another process, and its content cannot be read: {os_reason(exc)}"
        if not data.strip():
            return f"{self.path}: locked by another process that names no holder yet (starting or stopping)"
        try:
            _DECODE.decode(data)
        except msgspec.DecodeError:
            return f"{self.path}: locked by another process, and its content is not a lock record"
        return f"{self.path}: the workspace's jobs already run in another process (pid gone or reused)"

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, kind: str) -> bool:
        if self._fd is not None:
            return True
        # self.problem keeps the last try's reason until this one has its own: a viewer naming
        # why nobody runs the jobs must not read "no problem" while a retry is under way
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.problem = os_reason(exc)
            return False
        # The holder truncates and rewrites the file: never through a symbolic link or onto an
        # inode another name shares (a file outside the workspace), never a FIFO.
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            self.problem = "a symbolic link, never followed" if exc.errno == errno.ELOOP else os_reason(exc)
            log.warning("%s: not taken: %s", self.path, self.problem)
            return False
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                self.problem = (f"{storage.file_kind(st.st_mode)}, not a regular file" if not stat.S_ISREG(st.st_mode)
                                else f"{st.st_nlink} hard links (another name shares it)")
                log.warning("%s: not taken: %s", self.path, self.problem)
                os.close(fd)
                return False
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            # held: not a problem, a holder
            self.problem = None if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN) else os_reason(exc)
            return False
        info = me(kind)
        data = msgspec.json.encode(info) + b"\n"
        # Written in place (never replaced: the flock is on this inode); a reader that catches
        # the file between the truncate and the write sees no holder for a moment and retries.
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        os.fsync(fd)
        self._fd = fd
        self.holder_info = info
        self.problem = None
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # nobody is named as holder once we let go
        except OSError:
            pass
        os.close(fd)  # closing the last descriptor drops the flock
        self.holder_info = None

    def holder(self) -> Holder | None:
        """The live holder named in the file, or None (no file, empty, or a dead pid)."""
        if self.holder_info is not None:
            return self.holder_info
        for _ in range(3):
            try:
                data = storage.read_bytes(self.path, "record", follow=False)
            except OSError:
                return None
            if not data.strip():
                return None
            try:
                info = _DECODE.decode(data)
            except msgspec.DecodeError:  # caught mid-write: read again
                time.sleep(0.01)
                continue
            return info if info.alive() else None
        return None
