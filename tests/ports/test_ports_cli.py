"""``catalyst-tui ports check | suggest | add``: exit codes, JSON, validation, locking, atomicity."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalyst_tui.cli import main
from catalyst_tui.core import storage
from catalyst_tui.core.ports import PortsEditError, add_port, parse_ports_md
from catalyst_tui.core.workspace import Workspace


def write_ports(ws: Workspace, bands: dict[str, tuple[int, int]], rows: list[str]) -> Path:
    lines = ["# PORTS", "", "| class | range | description |", "|---|---|---|"]
    lines += [f"| {c} | {lo}-{hi} | {c} band |" for c, (lo, hi) in bands.items()]
    lines += ["", "| port | protocol | service | class | owner | process | notes |", "|---|---|---|---|---|---|---|"]
    ws.ports_path.write_text("\n".join(lines + rows) + "\n", encoding="utf-8")
    return ws.ports_path


def cli(ws: Workspace, *argv: str) -> int:
    return main(["--workspace", str(ws.root), *argv])


def test_check_exit_0_when_all_is_well(ws: Workspace, spawn_listener: Callable[..., Any],
                                       free_port: Callable[[], int], capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    spawn_listener(f"tcp:127.0.0.1:{port}")
    write_ports(ws, {"hub": (port, port)}, [f"| {port} | tcp | portchild | hub | bjork | | |"])
    assert cli(ws, "ports", "check", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["exit_code"] == 0
    [row] = out["ports"]
    assert (row["port"], row["status"], row["agent"]) == (port, "up", "bjork")
    assert row["listeners"][0]["scope"] == "loopback" and row["listeners"][0]["process"]["name"].startswith("python")


def test_check_exit_1_on_any_problem(ws: Workspace, free_port: Callable[[], int],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    write_ports(ws, {"hub": (port, port)}, [f"| {port} | tcp | api | hub | hub | | |"])
    assert cli(ws, "ports", "check") == 1
    out = capsys.readouterr().out
    assert f"{port}/tcp down" in out and "1 problem:" in out
    write_ports(ws, {"hub": (port, port + 1)}, [f"| {port} | tcp | api | hub | mallory | | |"])
    assert cli(ws, "ports", "check", "--json") == 1
    out = json.loads(capsys.readouterr().out)
    assert [p["kind"] for p in out["parse_problems"]] == ["unknown-owner"]


def test_check_exit_2_when_unparsable(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_ports(ws, {"hub": (3100, 3199)},
                ["| 3131 | tcp | hub | hub | hub | |", "| 99999 | tcp | x | hub | hub | | |"])
    assert cli(ws, "ports", "check", "--json") == 2
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert [(p["line"], p["kind"]) for p in out["parse_problems"]] == [(9, "malformed"), (10, "bad-port")]
    assert cli(ws, "ports", "check") == 2  # text mode: unreadable rows go to stderr, one line each
    assert "PORTS.md:10: port 99999 is out of range (1-65535)" in capsys.readouterr().err
    ws.ports_path.unlink()
    assert cli(ws, "ports", "check", "--json") == 2
    assert json.loads(capsys.readouterr().out) == {"source": str(ws.ports_path), "ok": False, "exit_code": 2,
                                                   "error": f"{ws.ports_path}: not found"}
    assert cli(ws, "ports", "check") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PORTS.md: not found" in err


def test_check_text_output_renders_untrusted_text_literally(ws: Workspace, free_port: Callable[[], int],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    write_ports(ws, {"hub": (port, port)}, [f"| {port} | tcp | evil\x1b[31m[red]x | hub | hub | | |"])
    assert cli(ws, "ports", "check") == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[31m[red]x" in out


def test_suggest_skips_documented_listening_and_ephemeral(ws: Workspace, spawn_listener: Callable[..., Any],
                                                          free_port: Callable[[], int],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    base = free_port()
    while not all(_free(p) for p in range(base, base + 4)):
        base = free_port()
    spawn_listener(f"udp:::1:{base + 1}")
    write_ports(ws, {"hub": (base, base + 3)}, [f"| {base} | tcp | a | hub | hub | | |"])
    assert cli(ws, "ports", "suggest", "hub") == 0
    assert capsys.readouterr().out.strip() == str(base + 2)
    doc = parse_ports_md(ws.ports_path.read_text(), ephemeral=(base + 2, base + 2))
    from catalyst_tui.core.ports import scan_listeners, suggest
    assert suggest(doc, scan_listeners(describe=False), "hub") == base + 3
    with pytest.raises(PortsEditError, match="full"):
        suggest(parse_ports_md(ws.ports_path.read_text(), ephemeral=(base, base + 3)), None, "hub")
    assert cli(ws, "ports", "suggest", "nope") == 1
    assert "unknown class 'nope' (bands: hub" in capsys.readouterr().err


def _free(port: int) -> bool:
    import socket

    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_add_inserts_in_order_and_keeps_every_other_byte(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    before = ws.ports_path.read_bytes()
    assert cli(ws, "ports", "add", "3140", "hub web socket", "--class", "hub", "--owner", "bjork",
               "--notes", "a | b", "--process", "node") == 0
    assert "PORTS.md:24: added port 3140" in capsys.readouterr().out
    after = ws.ports_path.read_bytes()
    lines = after.decode().splitlines()
    assert lines[23] == "| 3140 | tcp | hub web socket | hub | bjork | node | a \\| b |"
    assert lines[23 - 1].startswith("| 3131 ") and lines[24].startswith("| 18800 ")
    assert lines[:23] + lines[24:] == before.decode().splitlines()  # nothing else touched
    doc = parse_ports_md(after.decode(), agents=ws.config.agent_names, ephemeral=None)
    assert doc.problems == []
    e = doc.entries_for(3140)[0]
    assert (e.service, e.owner, e.notes, e.process, e.line) == ("hub web socket", "bjork", "a | b", "node", 24)
    assert not list(ws.root.glob(".PORTS.md.tmp-*"))


@pytest.mark.parametrize(("argv", "message"), [
    (["3131", "dup", "--class", "hub", "--owner", "hub"], "already documented on line 23"),
    (["18950", "x", "--class", "inference", "--owner", "hub"], "outside the inference band 18800-18899"),
    (["3140", "x", "--class", "nope", "--owner", "hub"], "unknown class 'nope'"),
    (["3140", "x", "--class", "hub", "--owner", "mallory"], "owner 'mallory' is neither 'hub' nor a known agent"),
    (["3140", "x\ny", "--class", "hub", "--owner", "hub"], "line breaks are not allowed"),
    (["3140", "x", "--class", "hub", "--owner", "hub", "--protocol", "sctp"], "not tcp, udp"),
])
def test_add_refuses_invalid_rows(ws: Workspace, capsys: pytest.CaptureFixture[str], argv: list[str],
                                  message: str) -> None:
    before = ws.ports_path.read_bytes()
    assert cli(ws, "ports", "add", *argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert ws.ports_path.read_bytes() == before


@pytest.mark.parametrize(("argv", "message"), [
    (["70000", "x", "--class", "hub", "--owner", "hub"], "argument PORT: '70000' is outside 1-65535"),
    (["3140", "", "--class", "hub", "--owner", "hub"], "argument SERVICE: must not be empty"),
    (["3140", "x", "--class", "", "--owner", "hub"], "argument --class: must not be empty"),
])
def test_add_usage_errors_exit_2(ws: Workspace, capsys: pytest.CaptureFixture[str], argv: list[str],
                                 message: str) -> None:
    before = ws.ports_path.read_bytes()
    assert cli(ws, "ports", "add", *argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert ws.ports_path.read_bytes() == before


def test_add_refuses_when_the_file_has_unreadable_rows(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_ports(ws, {"hub": (3100, 3199)}, ["| 3131 | tcp | hub |"])
    before = ws.ports_path.read_bytes()
    assert cli(ws, "ports", "add", "3140", "x", "--class", "hub", "--owner", "hub") == 1
    assert "PORTS.md:9: malformed row" in capsys.readouterr().err
    assert ws.ports_path.read_bytes() == before


def test_add_refuses_an_ephemeral_port(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(PortsEditError, match="ephemeral range 3100-3135"):
        add_port(ws.ports_path, 3135, "x", "hub", "hub", agents=ws.config.agent_names, ephemeral=(3100, 3135))


def test_add_times_out_on_a_held_lock_and_writes_nothing(ws: Workspace) -> None:
    before = ws.ports_path.read_bytes()
    code = ("import sys, pathlib\nfrom catalyst_tui.core.ports.edit import add_port\n"
            "try:\n    add_port(pathlib.Path(sys.argv[1]), 3140, 'x', 'hub', 'hub', lock_timeout=0.3)\n"
            "except Exception as e:\n    print(type(e).__name__, e)\nelse:\n    print('added')\n")
    with storage.locked(storage.lock_path_for(ws.ports_path)):  # another writer holds PORTS.md
        held = subprocess.run([sys.executable, "-c", code, str(ws.ports_path)], capture_output=True, text=True,
                              timeout=30)
    assert held.stdout.startswith("LockTimeout") and "still locked" in held.stdout, held
    assert ws.ports_path.read_bytes() == before
    free = subprocess.run([sys.executable, "-c", code, str(ws.ports_path)], capture_output=True, text=True,
                          timeout=30)
    assert free.stdout.strip() == "added", free
    assert parse_ports_md(ws.ports_path.read_text(), ephemeral=None).entries_for(3140)


def test_concurrent_adds_lose_nothing(ws: Workspace) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "catalyst_tui", "--workspace", str(ws.root), "ports", "add",
                               str(3140 + i), f"svc-{i}", "--class", "hub", "--owner", "hub"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(6)]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    doc = parse_ports_md(ws.ports_path.read_text(), ephemeral=None)
    assert doc.problems == []
    assert sorted(e.port for e in doc.entries if e.cls == "hub") == [3131, *range(3140, 3146)]


def test_add_goes_into_the_table_of_its_band(ws: Workspace) -> None:
    """The repo's PORTS.md has one table per band: a dashboard port lands in the dashboards table."""
    repo_ports = Path(__file__).resolve().parents[2] / "PORTS.md"
    ws.ports_path.write_bytes(repo_ports.read_bytes())
    documented = len(parse_ports_md(ws.ports_path.read_text(), agents=ws.config.agent_names, ephemeral=None).entries)
    added = add_port(ws.ports_path, 19150, "grafana", "dashboard", "slash", agents=ws.config.agent_names)
    lines = ws.ports_path.read_text().splitlines()
    assert added.line == len(lines)  # the last table, after the documented dashboards
    assert lines[added.line - 1].startswith("| 19150 ") and lines[added.line - 2].startswith("| 191")
    added2 = add_port(ws.ports_path, 3100, "hub-admin", "hub", "hub", agents=ws.config.agent_names)
    lines = ws.ports_path.read_text().splitlines()
    assert lines[added2.line - 1].startswith("| 3100 ") and lines[added2.line].startswith("| 3131 ")
    assert lines[added2.line - 2].startswith("|---")  # first row of the hub table, after the separator
    doc = parse_ports_md("\n".join(lines), agents=ws.config.agent_names, ephemeral=None)
    assert doc.problems == [] and len(doc.entries) == documented + 2


def test_check_a_file_outside_any_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "other.md"
    f.write_text("| class | range |\n|-|-|\n| hub | 3100-3199 |\n\n| port | protocol | service | class | owner |\n"
                 "|-|-|-|-|-|\n| 3100 | tcp | x | hub | anyone |\n| 3100 | tcp | y | hub | hub |\n")
    assert main(["ports", "check", "--file", str(f), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [(p["line"], p["kind"]) for p in out["parse_problems"]] == [(8, "duplicate")]  # any agent name is fine
    assert main(["ports", "check"]) == 2  # no --file and no workspace: a one-line usage error
    assert "catalyst.toml: not found" in capsys.readouterr().err


def test_ephemeral_check_can_be_turned_off(ws: Workspace, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from catalyst_tui.core.ports import read_ephemeral_range

    eph = read_ephemeral_range()
    if eph is None:
        pytest.skip("this OS does not expose /proc/sys/net/ipv4/ip_local_port_range")
    port = eph[0] + 7
    write_ports(ws, {"hub": (port, port)}, [f"| {port} | udp | x | hub | hub | | |"])
    assert cli(ws, "ports", "check", "--json") == 1
    kinds = [p["kind"] for p in json.loads(capsys.readouterr().out)["parse_problems"]]
    assert kinds == ["ephemeral"]
    monkeypatch.setenv("CATALYST_PORTS__EPHEMERAL_CHECK", "false")
    assert cli(ws, "ports", "check", "--json") in (0, 1)
    assert json.loads(capsys.readouterr().out)["parse_problems"] == []
