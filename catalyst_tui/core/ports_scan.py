"""Live listeners, from psutil: TCP sockets in LISTEN and bound, unconnected UDP sockets.

Each listener carries its address family and bind scope (``any``: 0.0.0.0 or ::, ``loopback``:
127.0.0.0/8 or ::1, ``address``: one specific interface), and the owning process where the OS
lets us see it. A socket whose owner cannot be seen (another user's process without root, or a
process that exited between the two halves of the scan) is reported with ``pid=None`` /
``owner_note``: it is "owner unknown", never "free". A process exiting during the scan never
raises: the scan is best-effort and always returns what it saw.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psutil

OWNER_UNKNOWN = "owner unknown"
MAX_CMDLINE = 4096


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    pid: int
    name: str | None
    cmdline: tuple[str, ...]
    username: str | None = None
    create_time: float | None = None
    ppid: int | None = None
    note: str = ""  # why details are missing: "access denied", "exited during the scan"

    @property
    def command(self) -> str:
        return " ".join(self.cmdline)

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "name": self.name, "cmdline": list(self.cmdline), "username": self.username,
                "create_time": self.create_time, "ppid": self.ppid, "note": self.note}


@dataclass(frozen=True, slots=True)
class Listener:
    port: int
    protocol: str  # "tcp" or "udp"
    family: int  # 4 or 6
    address: str  # "0.0.0.0", "::", "127.0.0.1", "::1", ...
    pid: int | None
    process: ProcessInfo | None = None

    @property
    def scope(self) -> str:
        return bind_scope(self.address)

    @property
    def owner_known(self) -> bool:
        return self.process is not None and self.process.name is not None

    @property
    def owner_note(self) -> str:
        if self.pid is None:
            return OWNER_UNKNOWN
        if self.process is None or self.process.name is None:
            why = self.process.note if self.process is not None and self.process.note else "details hidden"
            return f"{OWNER_UNKNOWN} (pid {self.pid}: {why})"
        return ""

    @property
    def endpoint(self) -> str:
        return f"[{self.address}]:{self.port}" if self.family == 6 else f"{self.address}:{self.port}"

    def to_json(self) -> dict[str, object]:
        return {"port": self.port, "protocol": self.protocol, "family": self.family, "address": self.address,
                "scope": self.scope, "pid": self.pid, "owner_note": self.owner_note,
                "process": self.process.to_json() if self.process else None}


@dataclass(slots=True)
class ScanResult:
    listeners: list[Listener] = field(default_factory=list)
    taken_at: float = 0.0
    duration_s: float = 0.0
    error: str | None = None  # the scan could not run at all (the OS refused): listeners may be partial

    def by_port(self) -> dict[tuple[int, str], list[Listener]]:
        out: dict[tuple[int, str], list[Listener]] = {}
        for lst in self.listeners:
            out.setdefault((lst.port, lst.protocol), []).append(lst)
        return out

    def ports(self) -> set[int]:
        return {lst.port for lst in self.listeners}


def bind_scope(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "address"
    if ip.is_unspecified:
        return "any"
    if ip.is_loopback or (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None
                          and ip.ipv4_mapped.is_loopback):
        return "loopback"
    return "address"


def _connections() -> list[Any]:
    """The raw socket table (a seam for tests: a process may exit right after this returns)."""
    return list(psutil.net_connections(kind="inet"))


def _is_listener(conn: Any) -> bool:
    if not conn.laddr or not conn.laddr.port:
        return False
    if conn.type == socket.SOCK_STREAM:
        return bool(conn.status == psutil.CONN_LISTEN)
    if conn.type == socket.SOCK_DGRAM:
        return not conn.raddr  # bound and not connected: a UDP server socket (what `ss -lu` shows)
    return False


def describe_process(pid: int) -> ProcessInfo:
    """Name, command line and user of ``pid``; never raises (a vanished process is noted)."""
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            name = proc.name()
            created = proc.create_time()
            ppid = proc.ppid()
            try:
                cmdline = tuple(proc.cmdline())
            except psutil.AccessDenied:
                cmdline = ()
            try:
                user: str | None = proc.username()
            except (psutil.AccessDenied, KeyError):
                user = None
    except psutil.NoSuchProcess:
        return ProcessInfo(pid, None, (), note="exited during the scan")
    except psutil.AccessDenied:
        return ProcessInfo(pid, None, (), note="access denied")
    except (OSError, ValueError) as exc:  # a /proc entry torn down while we read it
        return ProcessInfo(pid, None, (), note=f"unreadable ({type(exc).__name__})")
    if sum(len(a) for a in cmdline) > MAX_CMDLINE:
        cmdline = (" ".join(cmdline)[:MAX_CMDLINE] + "...",)
    return ProcessInfo(pid, name, cmdline, user, created, ppid)


def listeners_from(conns: Iterable[Any], describe: bool = True) -> list[Listener]:
    """Turn raw psutil connections into listeners; processes are looked up once per pid."""
    raw: list[tuple[int, str, int, str, int | None]] = []
    for c in conns:
        if not _is_listener(c):
            continue
        proto = "tcp" if c.type == socket.SOCK_STREAM else "udp"
        fam = 6 if c.family == socket.AF_INET6 else 4
        raw.append((int(c.laddr.port), proto, fam, str(c.laddr.ip), c.pid if c.pid else None))
    infos: dict[int, ProcessInfo] = {}
    if describe:
        for pid in {r[4] for r in raw if r[4] is not None}:
            infos[pid] = describe_process(pid)
    seen: set[tuple[int, str, int, str, int | None]] = set()
    out: list[Listener] = []
    for r in raw:
        if r in seen:
            continue
        seen.add(r)
        out.append(Listener(r[0], r[1], r[2], r[3], r[4], infos.get(r[4]) if r[4] is not None else None))
    out.sort(key=lambda lst: (lst.port, lst.protocol, lst.family, lst.address, lst.pid or 0))
    return out


def process_roots(listeners: Iterable[Listener]) -> set[int]:
    """The distinct process trees among these listeners' pids: a socket inherited by forked
    workers (pre-fork servers) shows once per pid but is one owner; two roots are two owners."""
    parents = {lst.pid: (lst.process.ppid if lst.process else None) for lst in listeners if lst.pid is not None}
    roots: set[int] = set()
    for pid in parents:
        cur, hops = pid, 0
        while (up := parents.get(cur)) is not None and up in parents and hops < 64:
            cur, hops = up, hops + 1
        roots.add(cur)
    return roots


def scan_listeners(describe: bool = True) -> ScanResult:
    """Every listening socket on this host. Never raises: failures land in ``ScanResult.error``."""
    t0 = time.perf_counter()
    now = time.time()
    try:
        conns = _connections()
    except psutil.AccessDenied:
        return ScanResult([], now, time.perf_counter() - t0, "the OS refused the socket table (access denied)")
    except (OSError, psutil.Error) as exc:
        return ScanResult([], now, time.perf_counter() - t0, f"cannot read the socket table: {exc}")
    listeners = listeners_from(conns, describe)
    return ScanResult(listeners, now, time.perf_counter() - t0)
