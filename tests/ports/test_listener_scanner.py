"""ListenerScanner: a periodic scan reuses the last result while /proc/net says nothing changed."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from catalyst_tui.core.ports import ListenerScanner, kernel_listener_signature, scan_listeners


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

    scanner = ListenerScanner(full_every=3, scan=fake, signature=lambda: frozenset({("t", "a", "1")}))
    for _ in range(7):
        scanner()
    assert len(calls) == 3 and scanner.full_scans == 3 and scanner.reused == 4  # scans 1, 4, 7 are full
    blind = ListenerScanner(scan=fake, signature=lambda: None)
    calls.clear()
    for _ in range(3):
        blind()
    assert len(calls) == 3
