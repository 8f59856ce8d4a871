"""Is the owner of a pid alive? pid + process start time, so a reused pid is not mistaken
for the agent, and a zombie counts as dead. An owner recorded for another host is assumed
alive (we cannot see it, so we must not declare it dead)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

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
