"""ListenerScanner: a periodic scan reuses the last result while /proc/net says nothing changed."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

from catalyst_tui.core.ports import ListenerScanner, kernel_listener_signature, scan_listeners
from catalyst_tui.core.ports.scan import Listener, ScanResult


def _mine(scan: Any, pid: int) -> set[tuple[int, str, int]]:
    return {(lst.port, lst.protocol, lst.family) for lst in scan.listeners if lst.pid == pid}


def test_signature_follows_listening_sockets_only(free_port: Callable[[], int]) -> None:
    before = kernel_listener_signature()
    assert before is not None
    port = free_port()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        assert kernel_listener_signature() == before  # bound, not listening yet: not a server
        srv.listen(4)
        listening = kernel_listener_signature()
        assert listening is not None
        ((proto, family, address, got_port, inode),) = listening - before
        assert (proto, family, address, got_port) == ("tcp", 4, "127.0.0.1", port)
        assert inode == os.fstat(srv.fileno()).st_ino  # the socket's own inode
        udp6.bind(("::1", port))  # an unconnected UDP socket: a server
        with_udp = kernel_listener_signature()
        assert with_udp is not None and {s[:4] for s in with_udp - listening} == {("udp", 6, "::1", port)}
        cli = socket.create_connection(("127.0.0.1", port))  # a client and an accepted socket
        conn, _ = srv.accept()
        udp_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp_client.connect(("127.0.0.1", port))  # a connected UDP socket: a client
        try:
            assert kernel_listener_signature() == with_udp
        finally:
            for s in (cli, conn, udp_client):
                s.close()
    finally:
        srv.close()
        udp6.close()
    assert kernel_listener_signature() == before


def test_signature_matches_the_full_scan(spawn_listener: Callable[..., Any], free_port: Callable[[], int]) -> None:
    p1, p2 = free_port(), free_port()
    child = spawn_listener(f"tcp:127.0.0.1:{p1}", f"tcp:::1:{p1}", f"udp:127.0.0.1:{p2}", f"udp:::1:{p2}")
    sig = kernel_listener_signature()
    scan = scan_listeners()
    assert sig is not None
    mine = {(lst.protocol, lst.family, lst.address, lst.port) for lst in scan.listeners if lst.pid == child.pid}
    assert mine == {("tcp", 4, "127.0.0.1", p1), ("tcp", 6, "::1", p1), ("udp", 4, "127.0.0.1", p2),
                    ("udp", 6, "::1", p2)}
    assert mine <= {s[:4] for s in sig}


def test_unchanged_table_reuses_the_scan_and_any_change_rescans(spawn_listener: Callable[..., Any],
                                                               free_port: Callable[[], int]) -> None:
    calls: list[int] = []

    def counted() -> Any:
        calls.append(1)
        return scan_listeners()

    scanner = ListenerScanner(full_every=100, scan=counted)
    p1 = free_port()
    first_child = spawn_listener(f"tcp:127.0.0.1:{p1}")
    first = scanner()
    assert _mine(first, first_child.pid) == {(p1, "tcp", 4)} and len(calls) == 1
    again = scanner()
    assert len(calls) == 1 and scanner.reused == 1  # nothing changed: psutil not run
    assert again.listeners == first.listeners and again.taken_at >= first.taken_at
    p2 = free_port()
    second_child = spawn_listener(f"udp:::1:{p2}")
    seen = scanner()  # a new UDP server socket: a full scan
    assert len(calls) == 2 and _mine(seen, second_child.pid) == {(p2, "udp", 6)}
    first_child.stop()
    gone = scanner()  # a listener went away: a full scan, and it is gone
    assert len(calls) == 3 and _mine(gone, first_child.pid) == set()


def test_every_nth_scan_is_full_and_a_missing_table_always_scans() -> None:
    calls: list[int] = []

    def fake() -> Any:
        calls.append(1)
        return scan_listeners(describe=False)

    scanner = ListenerScanner(full_every=3, scan=fake, signature=lambda: frozenset({("t", "a", "1")}),
                              owner_start=lambda pid: b"1")
    for _ in range(7):
        scanner()
    assert len(calls) == 3 and scanner.full_scans == 3 and scanner.reused == 4  # scans 1, 4, 7 are full
    blind = ListenerScanner(scan=fake, signature=lambda: None)
    calls.clear()
    for _ in range(3):
        blind()
    assert len(calls) == 3


def test_an_owner_gone_behind_the_same_socket_is_seen_at_the_next_scan(spawn_listener: Callable[..., Any],
                                                                      free_port: Callable[[], int]) -> None:
    """A pre-fork server: the process shown as the socket's owner dies, the other keeps the
    socket. The kernel's table is the same (same inode), the owner is not; the next scan says so
    (no waiting for the periodic full scan)."""
    port = free_port()
    server = spawn_listener(f"tcp:127.0.0.1:{port}", fork=True)
    worker = server.child_pid
    assert worker is not None
    scanner = ListenerScanner(full_every=1000)
    try:
        (shown,) = {lst.pid for lst in scanner().listeners if lst.port == port}  # psutil names one per inode
        assert shown in (server.pid, worker)
        scanner()
        assert scanner.full_scans == 1 and scanner.reused == 1  # nothing changed
        sig = kernel_listener_signature()
        if shown == worker:
            os.kill(worker, signal.SIGKILL)
            until_gone(worker)
        else:
            server.proc.kill()
            server.proc.wait(5)
        assert kernel_listener_signature() == sig  # the socket lives on in the other process
        after = scanner()
        assert scanner.full_scans == 2
        assert {lst.pid for lst in after.listeners if lst.port == port} == {server.pid, worker} - {shown}
    finally:
        for pid in (worker, server.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def until_gone(pid: int) -> None:
    """The forked worker is the listener child's child: reaped by it, so wait until it is gone."""
    for _ in range(250):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} still running")


def test_an_owner_unseen_at_the_full_scan_keeps_the_scans_full() -> None:
    """A pid that exited between the scan and the look at its start time is never trusted; a
    pid whose start time changed (gone, or reused) makes the next scan full."""
    calls: list[int] = []

    def fake() -> ScanResult:
        calls.append(1)
        return ScanResult([Listener(4242, "tcp", 4, "127.0.0.1", 777)])

    starts: dict[int, bytes | None] = {777: b"100"}
    scanner = ListenerScanner(full_every=100, scan=fake, signature=lambda: frozenset({("t", "a", "1")}),
                              owner_start=starts.get)
    scanner()
    scanner()
    assert len(calls) == 1  # the owner is the same process: reused
    starts[777] = b"200"  # pid 777 is another process now
    scanner()
    scanner()
    assert len(calls) == 2  # one full scan, then reused again
    starts[777] = None  # gone (also when it was gone at the full scan's look)
    scanner()
    scanner()
    assert len(calls) == 4
