"""The reality check with real sockets opened by real child processes on 127.0.0.1 and ::1."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import pytest

from catalyst_tui.core.ports import (
    OWNER_UNKNOWN,
    Listener,
    PortStatus,
    ProcessInfo,
    ScanResult,
    check,
    parse_ports_md,
    scan_listeners,
)
from catalyst_tui.core.ports import scan as ports_scan

AGENTS = ["bjork", "slash"]


def ports_md(bands: dict[str, tuple[int, int]], rows: list[tuple[int, str, str, str, str, str]]) -> str:
    out = ["# PORTS", "", "| class | range |", "|---|---|"]
    out += [f"| {c} | {lo}-{hi} |" for c, (lo, hi) in bands.items()]
    out += ["", "| port | protocol | service | class | owner | process |", "|---|---|---|---|---|---|"]
    out += [f"| {p} | {proto} | {svc} | {cls} | {owner} | {proc} |" for p, proto, svc, cls, owner, proc in rows]
    return "\n".join(out) + "\n"


def run_check(text: str):  # type: ignore[no-untyped-def]
    doc = parse_ports_md(text, "PORTS.md", AGENTS, ephemeral=None)
    return check(doc, scan_listeners(), AGENTS)


def row_for(report, port: int, proto: str = "tcp"):  # type: ignore[no-untyped-def]
    rows = [r for r in report.rows if r.port == port and r.protocol == proto]
    assert len(rows) == 1, f"{port}/{proto}: {report.rows}"
    return rows[0]


def test_scan_sees_tcp_and_udp_on_ipv4_and_ipv6_with_owner(spawn_listener: Callable[..., Any],
                                                           free_port: Callable[[], int]) -> None:
    p1, p2 = free_port(), free_port()
    child = spawn_listener(f"tcp:127.0.0.1:{p1}", f"tcp:::1:{p1}", f"udp:127.0.0.1:{p2}", f"udp:::1:{p2}",
                           "tcp:0.0.0.0:0", "tcp::::0")
    any4, any6 = child.ports[4], child.ports[5]
    scan = scan_listeners()
    assert scan.error is None
    mine = {(lst.port, lst.protocol, lst.family, lst.address): lst for lst in scan.listeners if lst.pid == child.pid}
    assert set(mine) == {(p1, "tcp", 4, "127.0.0.1"), (p1, "tcp", 6, "::1"), (p2, "udp", 4, "127.0.0.1"),
                         (p2, "udp", 6, "::1"), (any4, "tcp", 4, "0.0.0.0"), (any6, "tcp", 6, "::")}
    assert mine[(p1, "tcp", 4, "127.0.0.1")].scope == "loopback"
    assert mine[(p2, "udp", 6, "::1")].scope == "loopback"
    assert mine[(any4, "tcp", 4, "0.0.0.0")].scope == "any"
    assert mine[(any6, "tcp", 6, "::")].scope == "any"
    lst = mine[(p1, "tcp", 4, "127.0.0.1")]
    assert lst.process is not None and lst.owner_known
    assert lst.process.name and lst.process.name.startswith("python")
    assert any("listener_child.py" in a for a in lst.process.cmdline)
    assert lst.endpoint == f"127.0.0.1:{p1}" and mine[(p1, "tcp", 6, "::1")].endpoint == f"[::1]:{p1}"


def test_clients_and_connected_udp_are_not_listeners(spawn_listener: Callable[..., Any],
                                                      free_port: Callable[[], int]) -> None:
    import socket

    port = free_port()
    child = spawn_listener(f"tcp:127.0.0.1:{port}")
    client = socket.create_connection(("127.0.0.1", port))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect(("127.0.0.1", 9))
    try:
        scan = scan_listeners()
        me = [lst for lst in scan.listeners if lst.pid == os.getpid()]
        assert me == []  # our client socket and connected UDP socket are not listening
        assert [lst.port for lst in scan.listeners if lst.pid == child.pid] == [port]
    finally:
        client.close()
        udp.close()


def test_statuses_up_down_undocumented(spawn_listener: Callable[..., Any], free_port: Callable[[], int]) -> None:
    up, down, stray = free_port(), free_port(), free_port()
    spawn_listener(f"tcp:127.0.0.1:{up}", f"udp:::1:{stray}")
    lo, hi = min(up, down, stray), max(up, down, stray)
    text = ports_md({"hub": (lo, hi)}, [(up, "tcp", "portchild", "hub", "bjork", ""),
                                        (down, "tcp", "api", "hub", "hub", "")])
    report = run_check(text)
    r_up, r_down, r_stray = row_for(report, up), row_for(report, down), row_for(report, stray, "udp")
    assert r_up.status is PortStatus.UP and r_up.agent == "bjork"
    assert r_down.status is PortStatus.DOWN and "nothing listening" in r_down.reasons
    assert r_stray.status is PortStatus.UNDOCUMENTED and r_stray.band is not None
    assert r_stray.owner is None and "python" in r_stray.process_label
    # problems first, worst first
    order = [r.status for r in report.rows]
    assert order.index(PortStatus.DOWN) < order.index(PortStatus.UNDOCUMENTED) < order.index(PortStatus.UP)
    assert report.exit_code == 1
    shared = {p.text: p.agents for p in report.shared_problems()}
    assert shared[f"hub port {down}/tcp (api) down"] is None  # a hub port down affects everyone
    assert shared[f"port {stray}/udp undocumented"] == ()


def test_wrong_band_documented_in_the_other_band(spawn_listener: Callable[..., Any],
                                                 free_port: Callable[[], int]) -> None:
    a, b = sorted((free_port(), free_port()))
    spawn_listener(f"tcp:::1:{b}")
    text = ports_md({"hub": (a, a), "inference": (b, b)}, [(b, "tcp", "portchild", "hub", "slash", "")])
    r = row_for(run_check(text), b)
    assert r.status is PortStatus.WRONG_BAND and r.agent == "slash"
    assert any(f"class hub is {a}-{a}" in x and "band inference" in x for x in r.reasons)


def test_wrong_band_undocumented_listener_that_looks_like_a_service(spawn_listener: Callable[..., Any],
                                                                    free_port: Callable[[], int]) -> None:
    a, b = sorted((free_port(), free_port()))
    spawn_listener(f"tcp:127.0.0.1:{b}")  # the service documented on a, but it listens on b
    text = ports_md({"hub": (a, a), "inference": (b, b)}, [(a, "tcp", "portchild", "hub", "bjork", "")])
    report = run_check(text)
    assert row_for(report, a).status is PortStatus.DOWN
    r = row_for(report, b)
    assert r.status is PortStatus.WRONG_BAND and r.agent == "bjork" and "looks like portchild" in r.reasons[0]


def test_conflict_two_processes_on_one_port(spawn_listener: Callable[..., Any], free_port: Callable[[], int]) -> None:
    port = free_port()
    c1 = spawn_listener(f"tcp:127.0.0.1:{port}")
    c2 = spawn_listener(f"tcp:::1:{port}")
    text = ports_md({"hub": (port, port)}, [(port, "tcp", "portchild", "hub", "hub", "")])
    r = row_for(run_check(text), port)
    assert r.status is PortStatus.CONFLICT
    assert f"pid {c1.pid}" in r.reasons[0] and f"pid {c2.pid}" in r.reasons[0]


def test_conflict_two_documented_owners(spawn_listener: Callable[..., Any], free_port: Callable[[], int]) -> None:
    port = free_port()
    spawn_listener(f"udp:127.0.0.1:{port}")
    text = ports_md({"hub": (port, port)}, [(port, "udp", "portchild", "hub", "bjork", ""),
                                            (port, "udp", "other", "hub", "slash", "")])
    report = run_check(text)
    r = row_for(report, port, "udp")
    assert r.status is PortStatus.CONFLICT and "documented twice" in r.reasons[0]
    assert [p.kind for p in report.parse_problems] == ["duplicate"]


def test_forked_workers_sharing_a_socket_are_one_owner(spawn_listener: Callable[..., Any],
                                                       free_port: Callable[[], int]) -> None:
    port = free_port()
    child = spawn_listener(f"tcp:127.0.0.1:{port}", fork=True)
    assert child.child_pid
    text = ports_md({"hub": (port, port)}, [(port, "tcp", "portchild", "hub", "hub", "")])
    r = row_for(run_check(text), port)
    # psutil reports an inherited socket once (under one of the pids); either way: one owner
    assert r.listeners and {lst.pid for lst in r.listeners} <= {child.pid, child.child_pid}
    assert r.status is PortStatus.UP, r.reasons


def test_wrong_owner_and_process_column(spawn_listener: Callable[..., Any], free_port: Callable[[], int]) -> None:
    p1, p2 = sorted((free_port(), free_port()))
    spawn_listener(f"tcp:127.0.0.1:{p1}", f"tcp:127.0.0.1:{p2}")
    text = ports_md({"hub": (p1, p2)}, [(p1, "tcp", "catalyst-hub", "hub", "hub", ""),
                                        (p2, "tcp", "model-server", "hub", "slash", "listener_child")])
    report = run_check(text)
    r1 = row_for(report, p1)
    assert r1.status is PortStatus.WRONG_OWNER and "'catalyst-hub'" in r1.reasons[0]
    assert row_for(report, p2).status is PortStatus.UP  # the process column matched the command line


def test_process_roots_groups_a_process_tree() -> None:
    from catalyst_tui.core.ports import process_roots

    def lst(pid: int, ppid: int) -> Listener:
        return Listener(3131, "tcp", 4, "127.0.0.1", pid, ProcessInfo(pid, "srv", (), ppid=ppid))

    assert process_roots([lst(10, 1), lst(11, 10), lst(12, 11)]) == {10}
    assert process_roots([lst(10, 1), lst(20, 1)]) == {10, 20}


def test_owner_unknown_is_up_never_free() -> None:
    doc = parse_ports_md(ports_md({"hub": (3100, 3199)}, [(3131, "tcp", "catalyst-hub", "hub", "hub", "")]),
                         ephemeral=None)
    hidden = Listener(3131, "tcp", 4, "0.0.0.0", None)
    denied = Listener(3132, "tcp", 6, "::", 4242, ProcessInfo(4242, None, (), note="access denied"))
    report = check(doc, ScanResult([hidden, denied]), AGENTS)
    r = row_for(report, 3131)
    assert r.status is PortStatus.UP and OWNER_UNKNOWN in r.reasons and r.process_label == OWNER_UNKNOWN
    r2 = row_for(report, 3132)
    assert r2.status is PortStatus.UNDOCUMENTED and "owner unknown (pid 4242: access denied)" in r2.process_label


def test_a_process_exiting_during_the_scan(spawn_listener: Callable[..., Any], free_port: Callable[[], int],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    child = spawn_listener(f"tcp:127.0.0.1:{port}")
    real = ports_scan._connections

    def connections_then_exit() -> list[Any]:
        conns = real()  # the socket table still lists the child ...
        os.kill(child.pid, signal.SIGKILL)  # ... which dies before its details are read
        child.proc.wait(5)
        return conns

    monkeypatch.setattr(ports_scan, "_connections", connections_then_exit)
    scan = scan_listeners()
    assert scan.error is None
    mine = [lst for lst in scan.listeners if lst.port == port]
    assert len(mine) == 1 and mine[0].pid == child.pid
    assert not mine[0].owner_known and "exited during the scan" in mine[0].owner_note
    text = ports_md({"hub": (port, port)}, [(port, "tcp", "portchild", "hub", "hub", "")])
    r = row_for(check(parse_ports_md(text, ephemeral=None), scan, AGENTS), port)
    assert r.status is PortStatus.UP and OWNER_UNKNOWN in r.reasons  # seen, so never "free"


def test_scans_while_children_come_and_go(free_port: Callable[[], int]) -> None:
    """Churn: short-lived listeners exit at random points of repeated scans; no scan may raise."""
    import subprocess

    code = ("import socket,time,random;s=socket.socket();s.bind(('127.0.0.1',0));s.listen();"
            "time.sleep(random.random()*0.05)")
    procs = []
    scans = 0
    for _ in range(12):
        procs += [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
        result = scan_listeners()
        assert result.error is None
        scans += 1
        procs = [p for p in procs if p.poll() is None]
    for p in procs:
        p.wait(10)
    assert scans == 12


def test_undocumented_listener_matching_its_own_band_is_not_wrong_band() -> None:
    text = ports_md({"hub": (3100, 3199), "inference": (18800, 18899)},
                    [(3131, "tcp", "hub", "hub", "hub", "python"),
                     (18800, "tcp", "router", "inference", "hub", "python")])
    py = ProcessInfo(77, "python3", ("python3", "serve.py"))
    report = check(parse_ports_md(text, ephemeral=None),
                   ScanResult([Listener(18810, "tcp", 4, "127.0.0.1", 77, py),
                               Listener(3150, "tcp", 4, "127.0.0.1", 77, py)]), AGENTS)
    # python matches services of both classes: in its own band it is merely undocumented
    assert row_for(report, 18810).status is PortStatus.UNDOCUMENTED
    assert row_for(report, 3150).status is PortStatus.UNDOCUMENTED
    only_hub = ports_md({"hub": (3100, 3199), "inference": (18800, 18899)},
                        [(3131, "tcp", "hub", "hub", "hub", "python")])
    report = check(parse_ports_md(only_hub, ephemeral=None),
                   ScanResult([Listener(18810, "tcp", 4, "127.0.0.1", 77, py)]), AGENTS)
    r = row_for(report, 18810)
    assert r.status is PortStatus.WRONG_BAND and r.owner == "hub"
