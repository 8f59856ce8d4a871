"""Is the owner of a pid alive? pid + process start time, so a reused pid is not mistaken
for the agent, and a zombie counts as dead. An owner recorded for another host is assumed
alive (we cannot see it, so we must not declare it dead)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

# psutil (~15 ms to import) is imported where it is used: the dashboard's first frame needs none.

START_TIME_TOLERANCE_S = 1.0


@dataclass(frozen=True, slots=True)
class Liveness:
    alive: bool
    reason: str  # human-readable: why alive / why dead


def hostname() -> str:
    return socket.gethostname()


def process_start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def start_stamp(pid: int) -> bytes | None:
    """The process's start time as the kernel wrote it (field 22 of ``/proc/PID/stat``, after
    the parenthesised name, which may hold spaces), or None when the pid is gone or a zombie.
    One read, for periodic jobs asking "is it still the same process": a pid that exited, or
    was reused by another process, reads differently. None too where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    if len(fields) <= 19 or fields[0] in (b"Z", b"X"):
        return None
    return fields[19]


def owner_liveness(pid: int | None, start_time: float | None = None, host: str | None = None) -> Liveness:
    if host and host != hostname():
        return Liveness(True, f"owner on another host ({host}): assumed alive")
    if pid is None:
        return Liveness(False, "no pid recorded")
    import psutil

    try:
        proc = psutil.Process(pid)
        status = proc.status()
        created = proc.create_time()
    except psutil.NoSuchProcess:
        return Liveness(False, f"pid {pid} not running")
    except psutil.AccessDenied:
        return Liveness(True, f"pid {pid} running (details hidden by the OS)")
    except ValueError:
        return Liveness(False, f"pid {pid} invalid")
    if status == psutil.STATUS_ZOMBIE:
        return Liveness(False, f"pid {pid} is a zombie")
    if start_time is not None and abs(created - start_time) > START_TIME_TOLERANCE_S:
        return Liveness(False, f"pid {pid} reused by another process")
    return Liveness(True, f"pid {pid} running")


# The agent's process as psutil sees it: alive, CPU %, RSS, open files. psutil.Process objects
# are kept between samples so cpu_percent measures the interval since the previous sample.
@dataclass(frozen=True, slots=True)
class ProcInfo:
    pid: int
    alive: bool
    reason: str
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    open_files: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "alive": self.alive, "reason": self.reason, "cpu_percent": self.cpu_percent,
                "rss_bytes": self.rss_bytes, "open_files": self.open_files}


class ProcSampler:
    """Samples agent processes; one instance per monitor (it caches psutil handles)."""

    def __init__(self) -> None:
        self._procs: dict[tuple[int, float | None], psutil.Process] = {}

    def sample(self, pid: int | None, start_time: float | None = None, host: str | None = None) -> ProcInfo | None:
        if pid is None:
            return None
        import psutil  # here, not at the top: the first frame needs none of it

        live = owner_liveness(pid, start_time, host)
        if not live.alive:
            self._procs.pop((pid, start_time), None)
            return ProcInfo(pid, False, live.reason)
        key = (pid, start_time)
        proc = self._procs.get(key)
        try:
            if proc is None:
                proc = self._procs[key] = psutil.Process(pid)
                proc.cpu_percent(None)  # primes the counter: the first figure comes next sample
                cpu = None
            else:
                cpu = round(proc.cpu_percent(None), 1)
            with proc.oneshot():
                rss = proc.memory_info().rss
                try:
                    nfiles: int | None = len(proc.open_files())
                except (psutil.AccessDenied, psutil.ZombieProcess):
                    nfiles = None
        except psutil.NoSuchProcess:
            self._procs.pop(key, None)
            return ProcInfo(pid, False, f"pid {pid} not running")
        except psutil.AccessDenied:
            return ProcInfo(pid, True, live.reason)
        return ProcInfo(pid, True, live.reason, cpu, rss, nfiles)

    def forget(self, keep: set[tuple[int, float | None]]) -> None:
        for key in list(self._procs):
            if key not in keep:
                del self._procs[key]
