"""status --json, ``metrics serve`` (a real process and socket) and the dashboard's JSON log."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from catalyst_tui.cli import main
from catalyst_tui.core.agents import own_state, record_dispatch, write_state
from catalyst_tui.core.applog import AppLog
from catalyst_tui.core.workspace import Workspace


def _healthy(ws: Workspace) -> None:
    for name in ws.config.agent_names:
        p = ws.agent(name)
        write_state(p, own_state(p))
        record_dispatch(p, id="d1", event="finished", status="ok", latency_ms=10)


def _fail(ws: Workspace, name: str, errors: int = 8) -> None:
    p = ws.agent(name)
    for i in range(errors):
        record_dispatch(p, id=f"x{i}", event="finished", status="error", latency_ms=30)


def test_status_json_uses_the_engine_and_triage(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    _healthy(ws)
    _fail(ws, "bjork")
    code = main(["status", "--json", "--window", "1m", "-w", str(ws.root)])
    data = orjson.loads(capsys.readouterr().out)
    # judged on [metrics] window (5m); --window changes only the figures printed
    assert code == 1 and data["window"] == "5m" and data["shown_window"] == "1m"
    tri = data["triage"]
    assert (tri["text"], tri["scope"], tri["affected"]) == ("1 of 9 affected: bjork errors 89% (8 of 9)", "tenant",
                                                            ["bjork"])
    assert [r["kind"] for e in tri["entries"] for r in e["reasons"]] == ["errors"]  # typed, in rank order
    bjork = next(a for a in data["agents"] if a["agent"] == "bjork")
    assert bjork["findings"][0]["text"] == bjork["reasons"][0] == "errors 89% (8 of 9)"
    assert bjork["figures"]["finished"] == 9 and bjork["figures"]["errors"] == 8
    assert bjork["process"]["alive"] is True and bjork["process"]["pid"] == os.getpid()
    assert main(["status", "--window", "2h", "-w", str(ws.root)]) == 2  # a usage error, returned
    assert "--window" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_metrics_serve_subprocess(ws: Workspace) -> None:
    _healthy(ws)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "catalyst_tui", "metrics", "serve", "--port", str(port),
                             "-w", str(ws.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/metrics" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            assert 'catalyst_tenant_health{agent="nina",state="ok"} 1.0' in resp.read().decode()
    finally:
        proc.terminate()
        proc.wait(10)
    busy = subprocess.run([sys.executable, "-m", "catalyst_tui", "metrics", "serve", "--port", "70000",
                           "-w", str(ws.root)], capture_output=True, text=True, timeout=60)
    assert busy.returncode == 2 and busy.stderr.count("\n") == 1 and "--port: '70000'" in busy.stderr


def test_applog_lines_are_json_with_agent(tmp_path: Path) -> None:
    log = AppLog(tmp_path / "log" / "catalyst-tui.log", max_bytes=2000)
    log.tenant("bjork", "health", "bjork turned degraded", health="degraded")
    log.event("watch", "watching started")
    lines = [orjson.loads(x) for x in (tmp_path / "log" / "catalyst-tui.log").read_bytes().splitlines()]
    assert lines[0]["agent"] == "bjork" and lines[0]["event"] == "health" and lines[0]["health"] == "degraded"
    assert "agent" not in lines[1] and lines[1]["msg"] == "watching started"
    for i in range(40):  # rotation keeps the file bounded
        log.tenant("slash", "dispatch", f"line {i}")
    assert (tmp_path / "log" / "catalyst-tui.log").stat().st_size <= 2000
    assert (tmp_path / "log" / "catalyst-tui.log.1").exists()
    mem = AppLog(None)
    mem.tenant("cher", "health", "x")
    assert mem.recent[-1]["agent"] == "cher"
    assert time.time() - mem.recent[-1]["ts"] < 5


def test_logging_records_become_json_lines_with_agent(tmp_path: Path) -> None:
    import logging

    from catalyst_tui.core.applog import JsonLinesHandler

    log = AppLog(tmp_path / "dash.log")
    logger = logging.getLogger("catalyst_tui.test_applog")
    handler = JsonLinesHandler(lambda: log)
    logger.addHandler(handler)
    try:
        logger.warning("bjork refresh slow", extra={"agent": "bjork"})
        try:
            raise OSError("disk full")
        except OSError:
            logger.error("worker %s failed", "run_refresh_agents", exc_info=True)
    finally:
        logger.removeHandler(handler)
    lines = [orjson.loads(x) for x in (tmp_path / "dash.log").read_bytes().splitlines()]
    assert lines[0]["agent"] == "bjork" and lines[0]["level"] == "warning" and lines[0]["msg"] == "bjork refresh slow"
    assert "agent" not in lines[1] and lines[1]["msg"] == "worker run_refresh_agents failed"
    assert lines[1]["error"] == "OSError: disk full" and lines[1]["logger"] == "catalyst_tui.test_applog"


def test_one_logging_path_whole_lines_from_many_threads(tmp_path: Path) -> None:
    """AppLog events and package logging records meet in one writer; concurrent lines never interleave."""
    import logging
    import threading

    from catalyst_tui.core.applog import JsonLinesFile, JsonLinesHandler

    log = AppLog(tmp_path / "dash.log")
    assert isinstance(log.handler, JsonLinesFile) and isinstance(log.handler, logging.Handler)
    other = AppLog(tmp_path / "dash.log")  # a second writer (another process, in effect)
    logger = logging.getLogger("catalyst_tui.test_threads")
    handler = JsonLinesHandler(lambda: other)
    logger.addHandler(handler)

    def write(n: int) -> None:
        for i in range(200):
            if n % 2:
                log.tenant(f"a{n}", "t", "x" * 300 + f" {i}")
            else:
                logger.warning("y" * 300 + " %d", i, extra={"agent": f"a{n}"})

    try:
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        logger.removeHandler(handler)
    lines = [orjson.loads(x) for x in (tmp_path / "dash.log").read_bytes().splitlines()]
    assert len(lines) == 800 and {line["agent"] for line in lines} == {"a0", "a1", "a2", "a3"}
    assert {line["level"] for line in lines} == {"info", "warning"}
