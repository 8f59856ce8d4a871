"""Every CLI command and its error paths. Errors: one line on stderr, non-zero exit, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from catalyst_tui.cli import main
from catalyst_tui.core.agents import AgentPaths, own_state, record_dispatch, write_state
from catalyst_tui.core.workspace import Workspace


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_line_error(err: str) -> None:
    assert err.startswith("catalyst-tui") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_init_creates_workspace_and_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path / "w"))
    assert code == 0 and "9 agents" in out
    ws = Workspace.open(tmp_path / "w")
    assert ws.config.agent_names[1] == "bjork"
    assert (tmp_path / "w" / "PORTS.md").exists() and ws.board.index_path.exists()
    code, _, err = run(capsys, "init", str(tmp_path / "w"))
    assert code == 1 and "already exists" in err
    _one_line_error(err)


def test_card_add_move_list_show(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    w = str(ws.root)
    code, out, _ = run(capsys, "card", "add", "bjork", "Fix [red]it[/red]", "--column", "todo", "-w", w)
    assert code == 0
    card_id = out.strip()
    assert card_id.startswith("c-") and ws.board.get(card_id).column == "todo"

    code, out, _ = run(capsys, "card", "move", card_id, "doing", "--agent", "slash", "--by", "bjork", "-w", w)
    assert code == 0 and "bjork/todo -> slash/doing" in out
    assert ws.board.get(card_id).agent == "slash"
    assert ws.board.history(card_id)[-1].by == "bjork"

    code, out, _ = run(capsys, "card", "list", "--json", "-w", w)
    data = orjson.loads(out)
    assert code == 0 and [c["id"] for c in data["cards"]] == [card_id]
    assert data["cards"][0]["title"] == "Fix [red]it[/red]"
    code, out, _ = run(capsys, "card", "list", "--agent", "bjork", "--json", "-w", w)
    assert orjson.loads(out)["cards"] == []
    code, out, _ = run(capsys, "--workspace", w, "card", "list")  # global --workspace works too
    assert card_id in out and "slash" in out

    code, out, _ = run(capsys, "card", "show", card_id, "--json", "-w", w)
    shown = orjson.loads(out)
    assert shown["card"]["agent"] == "slash" and [h["action"] for h in shown["history"]] == ["add", "move"]
    assert shown["body"].startswith("# Fix")
    code, out, _ = run(capsys, "card", "show", card_id, "-w", w)
    assert code == 0 and "lane: slash" in out


def test_card_text_output_escapes_terminal_codes(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    ws.board.add("bjork", "evil \x1b]0;pwned\x07 title")
    code, out, _ = run(capsys, "card", "list", "-w", str(ws.root))
    assert code == 0 and "\x1b" not in out and "\\x1b" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["card", "add", "../x", "t"], "invalid agent name"),
        (["card", "add", "ghost", "t"], "unknown agent"),
        (["card", "add", "bjork", "t", "--column", "nowhere"], "unknown column"),
        (["card", "move", "c-missing", "todo"], "no card"),
        (["card", "show", "c-missing"], "no card"),
        (["card", "list", "--agent", "/abs"], "invalid agent name"),
        (["card", "list", "--column", "zzz"], "unknown column"),
        (["card", "move", "c-x", "todo", "--by", "Evil Name"], "invalid agent name"),
    ],
)
def test_card_errors(ws: Workspace, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    before = ws.board.index_path.read_bytes()
    code, out, err = run(capsys, *argv, "-w", str(ws.root))
    assert code == 1 and message in err and out == ""
    _one_line_error(err)
    assert ws.board.index_path.read_bytes() == before  # nothing written


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "card", "frobnicate")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "status", "--bogus")
    assert code == 2


def test_not_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in a path is a usage error (2), never an unhealthy tenant (1): nobody is paged."""
    code, _, err = run(capsys, "status", "-w", str(tmp_path))
    assert code == 2 and "catalyst.toml: not found" in err
    _one_line_error(err)
    code, _, err = run(capsys, "status", "-w", str(tmp_path / "nope"))
    assert code == 2 and "no such workspace" in err
    _one_line_error(err)


def test_fresh_init_is_waiting_not_an_incident(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", str(tmp_path / "w"))[0] == 0
    code, out, _ = run(capsys, "status", "-w", str(tmp_path / "w"))
    assert code == 0, out
    assert out.splitlines()[0] == "9 waiting for their first heartbeat"
    code, out, _ = run(capsys, "status", "--json", "-w", str(tmp_path / "w"))
    data = orjson.loads(out)
    assert code == 0 and data["healthy"] is True and data["affected"] == [] and len(data["waiting"]) == 9
    assert {a["health"] for a in data["agents"]} == {"waiting"}
    assert data["triage"]["scope"] == "none"
    # past the start-up grace, a tenant that never wrote state.json is offline: exit 1
    (tmp_path / "w" / "catalyst.toml").write_text(
        (tmp_path / "w" / "catalyst.toml").read_text().replace("startup_grace_s = 300.0", "startup_grace_s = 0.0"))
    code, out, _ = run(capsys, "status", "-w", str(tmp_path / "w"))
    assert code == 1 and out.startswith("9 of 9 affected (9 no state.json)")


def test_workspace_from_environment(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALYST_WORKSPACE", str(ws.root))
    code, out, _ = run(capsys, "card", "add", "nina", "from env")
    assert code == 0 and ws.board.get(out.strip()).agent == "nina"


def test_bad_config_is_one_line(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    (ws.root / "catalyst.toml").write_text("[health]\nerror_rate = 'lots'\n")
    code, _, err = run(capsys, "status", "-w", str(ws.root))
    assert code == 2 and "catalyst.toml" in err and "health.error_rate" in err
    _one_line_error(err)


def test_status_exit_codes_and_json(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ws.config.agent_names:
        p = AgentPaths(ws.root, name)
        write_state(p, own_state(p))
        record_dispatch(p, id="d1", event="finished", status="ok", latency_ms=10)
    code, out, _ = run(capsys, "status", "--json", "-w", str(ws.root))
    data = orjson.loads(out)
    assert code == 0 and data["healthy"] is True and len(data["agents"]) == 9
    assert {a["health"] for a in data["agents"]} == {"ok"}

    (ws.root / "agents" / "slash" / "state.json").write_bytes(b'{"agent": "sla')
    code, out, _ = run(capsys, "status", "--json", "-w", str(ws.root))
    data = orjson.loads(out)
    assert code == 1 and data["affected"] == ["slash"]
    slash = next(a for a in data["agents"] if a["agent"] == "slash")
    assert slash["health"] == "quarantined" and "state.json" in slash["reasons"][0]
    code, out, _ = run(capsys, "status", "-w", str(ws.root))
    assert code == 1 and "1 of 9 affected" in out and "quarantined" in out


def test_simulate_writes_through_the_core(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    ws.board.add("bjork", "t")
    code, out, _ = run(capsys, "simulate", "--rate", "200", "--duration", "0.5", "-w", str(ws.root))
    assert code == 0 and "simulated" in out
    total = sum(len(AgentPaths(ws.root, n).dispatch.read_bytes().splitlines()) for n in ws.config.agent_names)
    assert total >= 30 and total % 3 == 0  # enqueued + started + finished per dispatch
    code, _, err = run(capsys, "simulate", "--rate", "-1", "-w", str(ws.root))
    assert code == 2 and "--rate" in err
    _one_line_error(err)


def test_demo_no_ui_seeds_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo"
    code, _, err = run(capsys, "demo", str(target), "--no-ui", "--duration", "0.3")
    assert code == 0 and str(target) in err
    ws = Workspace.open(target)
    cards = ws.board.load().cards
    assert 55 <= len(cards) <= 70
    assert {c.column for c in cards.values()} == set(ws.config.board.columns)
    assert {c.agent for c in cards.values()} == set(ws.config.agent_names)
    statuses = ws.monitor().refresh_all()
    bjork = statuses["bjork"]
    assert bjork.parse_errors >= 1 and bjork.figures.p95_ms and bjork.figures.p95_ms > 2000
    assert list((target / "agents" / "bjork" / "locks").glob("*.lock"))
    assert (target / "PORTS.md").exists()
    # re-seeding a demo is fine; a real workspace is never overwritten
    assert run(capsys, "demo", str(target), "--no-ui", "--duration", "0")[0] == 0
    real = tmp_path / "real"
    Workspace.create(real)
    code, _, err = run(capsys, "demo", str(real), "--no-ui", "--duration", "0")
    assert code == 1 and "not a demo workspace" in err


def test_console_script_errors_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "catalyst_tui", "card", "add", "../x", "t", "-w", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_demo_plays_the_hub_services_on_their_documented_ports(tmp_path: Path) -> None:
    """While the demo runs, `ports check` finds every documented hub port up (held by the demo's
    own children); after a Ctrl-C, it exits 130 and every port is released."""
    import signal
    import time

    import psutil
    from demo_ports import DEMO_PORTS, demo_ports

    target = tmp_path / "demo"
    with demo_ports():  # one test run at a time plays them on this machine; nobody else holds them now
        # long enough for a loaded machine; the test ends it as soon as it has checked
        demo = subprocess.Popen([sys.executable, "-m", "catalyst_tui", "demo", str(target), "--no-ui",
                                 "--duration", "90"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            check = None
            while time.monotonic() < deadline and demo.poll() is None:
                if (target / "catalyst.toml").exists():
                    check = subprocess.run([sys.executable, "-m", "catalyst_tui", "ports", "check", "--json",
                                            "-w", str(target)], capture_output=True, text=True, timeout=30)
                    if check.returncode == 0:
                        break
                time.sleep(0.3)
            assert check is not None and check.returncode == 0, check.stdout[-1500:] if check else "never seeded"
            report = orjson.loads(check.stdout)
            assert {p["port"]: p["status"] for p in report["ports"]} == dict.fromkeys(DEMO_PORTS, "up")
            ours = {c.pid for c in psutil.Process(demo.pid).children(recursive=True)}
            listening = {c.laddr.port: c.pid for c in psutil.net_connections("tcp")
                         if c.status == psutil.CONN_LISTEN and c.laddr.port in DEMO_PORTS}
            assert set(listening) == set(DEMO_PORTS) and set(listening.values()) <= ours, (listening, ours)
        finally:
            if demo.poll() is None:
                demo.send_signal(signal.SIGINT)  # what an operator does to `demo --no-ui`
            code = demo.wait(30)
        assert code == 130, demo.stderr.read().decode(errors="replace")[-1500:] if demo.stderr else code
        for port in DEMO_PORTS:  # the stand-ins and the exporter are gone with the demo
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", port)) != 0, port
