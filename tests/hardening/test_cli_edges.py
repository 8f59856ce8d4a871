"""Classes 5 and 7 at the CLI's edges: numbers too large for a float, malformed webhook URLs,
timestamps no calendar holds, and untrusted text in lines that are not error messages (a
workspace path, a PORTS.md owner cell). The documented exit code, one line on stderr, no
traceback, nothing raw."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from hostile_files import cli

from catalyst_tui.core.workspace import Workspace

HUGE_INT = "1" + "0" * 400  # an int Python parses, a float cannot hold


def _usage(code: int, err: str) -> None:
    assert code == 2 and err.startswith("catalyst-tui") and err.count("\n") == 1, (code, err)


@pytest.mark.parametrize("argv", [
    ("janitor", "report", "--limit", HUGE_INT),
    ("ports", "add", HUGE_INT, "x", "--class", "hub", "--owner", "hub"),
    ("metrics", "serve", "--port", HUGE_INT),
    ("ports", "add", "-" + HUGE_INT, "x", "--class", "hub", "--owner", "hub"),
])
def test_an_integer_too_large_for_a_float_is_a_usage_error(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                           argv: tuple[str, ...]) -> None:
    code, out, err = cli(capsys, *argv, "-w", str(ws.root))
    _usage(code, err)
    assert "outside" in err and out == ""


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:1/caf\u00e9", "http://a b/", "http://127.0.0.1:x/"])
def test_a_malformed_webhook_url_is_a_failed_delivery(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                      url: str) -> None:
    code, out, err = cli(capsys, "notify", "test", "--url", url, "-w", str(ws.root))
    assert code == 1 and err == ""
    assert out.startswith("failed: webhook") and "bad URL" in out and out.count("\n") == 1


def test_a_webhook_url_that_is_not_utf8_is_a_usage_error(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "notify", "test", "--url", "http://\udcff/", "-w", str(ws.root))
    _usage(code, err)
    assert "\\xff" in err


def test_init_shows_a_hostile_workspace_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "a\x1b]0;pwned\x07b"
    code, out, _ = cli(capsys, "init", str(root))
    assert code == 0 and root.is_dir()
    assert "\x1b" not in out and "\x07" not in out and "a\\x1b]0;pwned\\x07b" in out


def test_ports_check_shows_hostile_owner_and_class_cells(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    md = ws.ports_path.read_text()
    row = "| 3131 | tcp | catalyst-hub | hub | hub | | the hub: kanban, chat, dispatch |"
    assert row in md
    ws.ports_path.write_text(md.replace(row, row + "\n| 3132 | tcp | svc | hub | own\x1b]0;OWN\x07er | | n |"
                                                  "\n| 3133 | tcp | svc2 | h\x1b[2Jub | hub | | n |"))
    code, out, err = cli(capsys, "ports", "check", "--all", "-w", str(ws.root))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err
    assert "own\\x1b]0;own\\x07er" in out  # the owner cell (lower-cased by the parser), shown


@pytest.mark.parametrize("ts", ["1e308", "-1e308", "1e20", "-1e17"])
def test_card_show_with_a_timestamp_no_calendar_holds(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                      ts: str) -> None:
    card = ws.board.add("bjork", "hello")
    log = ws.root / "agents" / "bjork" / "worklog.jsonl"
    with open(log, "ab") as fh:
        fh.write(f'{{"ts": {ts}, "card": "{card.id}", "text": "from the future"}}\n'.encode())
    code, out, err = cli(capsys, "card", "show", card.id, "-w", str(ws.root))
    assert code == 0 and "Traceback" not in err, err
    assert "from the future" in out and "  ?  from the future" in out
    code, out, _ = cli(capsys, "card", "show", card.id, "--json", "-w", str(ws.root))
    assert code == 0 and orjson.loads(out)["card"]["id"] == card.id


def test_janitor_report_shows_a_hostile_run_id(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = cli(capsys, "janitor", "run", "-w", str(ws.root))
    assert code == 0
    runs = [p for p in (ws.root / ".catalyst").rglob("*.json") if "runs" in p.parts]
    assert runs, sorted(os.listdir(ws.root / ".catalyst"))
    report = orjson.loads(runs[0].read_bytes())
    report["run"] = "r\x1b]0;pwned\x07"
    report["started"] = 1e308
    runs[0].write_bytes(orjson.dumps(report))
    code, out, err = cli(capsys, "janitor", "report", "-w", str(ws.root))
    assert code == 0 and "Traceback" not in err, err
    assert "\x1b" not in out and "r\\x1b]0;pwned\\x07" in out


@pytest.mark.parametrize("action", [("list",), ("verify",), ("restore", "--into", "INTO")])
def test_snapshot_actions_accept_the_workspace_after_the_sub_command(ws: Workspace, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     action: tuple[str, ...]) -> None:
    """docs/cli.md: global options go before or after the sub-command (``-w`` was 'unrecognized'
    after ``snapshot list|verify|restore``, which need no workspace)."""
    mirror = tmp_path / "mirror"
    code, _, err = cli(capsys, "snapshot", "push", "--to", f"file://{mirror}", "-w", str(ws.root))
    assert code == 0, err
    argv = [a if a != "INTO" else str(tmp_path / "into") for a in action]
    code, out, err = cli(capsys, "snapshot", argv[0], f"file://{mirror}", *argv[1:], "-w", str(ws.root))
    assert code == 0 and err == "" and out, (code, err)
