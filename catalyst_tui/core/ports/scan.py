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
import os
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psutil

from catalyst_tui.core.procs import start_stamp

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


# ------------------------------------------------------------------ the cheap re-scan
Signature = frozenset[tuple[str, int, str, int, int]]  # (protocol, family, address, port, inode)

_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST_DUMP = 0x1 | 0x300
_NLMSG_DONE, _NLMSG_ERROR = 3, 2
_TCP_LISTEN, _TCP_CLOSE = 10, 7  # an unconnected UDP socket is in state CLOSE
_DIAG_QUERIES = ((socket.AF_INET, socket.IPPROTO_TCP, "tcp", 1 << _TCP_LISTEN),
                 (socket.AF_INET6, socket.IPPROTO_TCP, "tcp", 1 << _TCP_LISTEN),
                 (socket.AF_INET, socket.IPPROTO_UDP, "udp", 1 << _TCP_CLOSE),
                 (socket.AF_INET6, socket.IPPROTO_UDP, "udp", 1 << _TCP_CLOSE))


def _sock_diag(family: int, protocol: int, states: int) -> list[tuple[int, str, int, int]]:
    """One NETLINK_SOCK_DIAG dump (what ``ss`` uses): (family, address, port, inode) per socket
    in ``states``. Asking for LISTEN only, the kernel walks its listening hash and nothing else."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, _NETLINK_SOCK_DIAG)
    sock.settimeout(1.0)
    try:
        req = struct.pack("=BBBBI", family, protocol, 0, 0, states) + bytes(48)  # inet_diag_req_v2
        sock.sendto(struct.pack("=IHHII", 16 + len(req), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST_DUMP, 1, 0) + req,
                    (0, 0))
        out: list[tuple[int, str, int, int]] = []
        while True:
            data = sock.recv(65536)
            if not data:
                return out
            off = 0
            while off + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, off)
                if length < 16:
                    raise OSError(f"netlink: malformed message (length {length})")
                if kind == _NLMSG_DONE:
                    return out
                if kind == _NLMSG_ERROR:
                    (err,) = struct.unpack_from("=i", data, off + 16)
                    raise OSError(-err, os.strerror(-err))
                body = off + 16  # inet_diag_msg: family, state, timer, retrans, sockid (48), ..., inode at 68
                fam = data[body]
                (port,) = struct.unpack_from(">H", data, body + 4)
                addr = data[body + 8: body + 8 + (16 if fam == socket.AF_INET6 else 4)]
                (inode,) = struct.unpack_from("=I", data, body + 68)
                out.append((fam, socket.inet_ntop(fam, addr), port, inode))
                off += (length + 3) & ~3
    finally:
        sock.close()


def kernel_listener_signature() -> Signature | None:
    """The kernel's listening sockets (TCP in LISTEN, unconnected UDP) with their inodes, from
    netlink sock_diag: ~0.15 ms, where reading ``/proc/net/tcp`` costs ~1.6 ms even for one
    socket on the project machine (the kernel walks its whole connection hash for it) and psutil
    also walks every process's descriptors to find the owners. None when netlink is not there
    (then every scan is a full one)."""
    out: set[tuple[str, int, str, int, int]] = set()
    try:
        for family, protocol, name, states in _DIAG_QUERIES:
            for fam, addr, port, inode in _sock_diag(family, protocol, states):
                out.add((name, 6 if fam == socket.AF_INET6 else 4, addr, port, inode))
    except (OSError, AttributeError, struct.error, ValueError, IndexError):  # not Linux, refused, or garbled
        return None
    return frozenset(out)


class ListenerScanner:
    """:func:`scan_listeners` for a periodic job: while the kernel's set of listening sockets
    (:func:`kernel_listener_signature`) is what it was at the last full scan and every owner
    that scan found is the same process (its pid's start time unchanged), the last result is
    reused (with a new ``taken_at``) instead of walking every process again. An owner that exits
    while a child keeps its socket is therefore seen at the next scan. Every ``full_every``-th
    scan is a full one anyway, for what neither shows: a socket handed to another process
    (descriptor passing) whose first owner lives on, or an owner that exec'ed another program.
    """

    def __init__(self, full_every: int = 30, scan: Any = None, signature: Any = None,
                 owner_start: Any = None) -> None:
        self.full_every = full_every
        self._scan = scan or scan_listeners
        self._signature = signature or kernel_listener_signature
        self._owner_start = owner_start or start_stamp
        self._last: ScanResult | None = None
        self._last_sig: Signature | None = None
        self._owners: dict[int, bytes | None] = {}
        self._since_full = 0
        self.full_scans = 0
        self.reused = 0

    def _owners_unchanged(self) -> bool:
        return all(start is not None and self._owner_start(pid) == start for pid, start in self._owners.items())

    def __call__(self) -> ScanResult:
        t0 = time.perf_counter()
        sig = self._signature()
        last = self._last
        if (sig is not None and sig == self._last_sig and last is not None and last.error is None
                and self._since_full + 1 < self.full_every and self._owners_unchanged()):
            self._since_full += 1
            self.reused += 1
            return ScanResult(list(last.listeners), time.time(), time.perf_counter() - t0)
        result = self._scan()
        pids = {lst.pid for lst in result.listeners if lst.pid is not None}
        self._owners = {pid: self._owner_start(pid) for pid in pids}
        self._last, self._last_sig, self._since_full = result, sig, 0
        self.full_scans += 1
        return result
