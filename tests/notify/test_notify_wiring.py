"""Notifications from the runtime (holder only), ``catalyst-tui notify test``, the dashboard's bell."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from catalyst_tui.cli import main
from catalyst_tui.core.agents import own_state, record_dispatch, write_state
from catalyst_tui.core.health import SharedProblem
from catalyst_tui.core.runtime import Runtime
from catalyst_tui.core.workspace import Workspace


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    s = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    s.expect_request("/hook", method="POST").respond_with_data("ok")
    s.start()
    try:
        yield s
    finally:
        s.clear()
        s.stop()


def bodies(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(req.get_data()) for req, _ in list(server.log)]


def until(cond: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _workspace(root: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> Workspace:
    monkeypatch.setenv("CATALYST_NOTIFY__WEBHOOK_URL", url)
    monkeypatch.setenv("CATALYST_NOTIFY__DEBOUNCE_S", "0")
    ws = Workspace.create(root)
    from catalyst_tui.core.workspace import DEFAULT_PORTS_MD

    # no service documented: no hub runs here, and "hub port down" would be (rightly) an incident
    kept = [line for line in DEFAULT_PORTS_MD.splitlines() if not line.startswith(("| 3131", "| 18800", "| 19100"))]
    ws.ports_path.write_text("\n".join(kept) + "\n")
    for name in ws.config.agent_names:
        write_state(ws.agent(name), own_state(ws.agent(name)))
    return Workspace.open(ws.root)


def test_the_runtime_holder_tells_each_transition_and_a_viewer_does_not(
        tmp_path: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path / "ws", monkeypatch, server.url_for("/hook"))
    holder = Runtime(ws, kind="daemon", role="holder").start(watch=False)
    viewer = Runtime(Workspace.open(ws.root), role="viewer").start(watch=False)
    try:
        for rt in (holder, viewer):
            rt.refresh_agents(set(ws.config.agent_names))  # the first reading: no alarm
        ws.agent("bjork").state.write_text("{torn")
        for rt in (holder, viewer):
            rt.refresh_agents({"bjork"})
        until(lambda: len(server.log) >= 1, what="the holder's POST")
        holder.report_shared("snapshot", [SharedProblem("snapshot", "snapshot push failed", agents=None)])
        until(lambda: len(server.log) >= 2, what="the shared incident")
        time.sleep(0.3)
        got = bodies(server)
        assert len(got) == 2  # one per event, and nothing from the viewer
        bjork = got[0]
        assert (bjork["agent"], bjork["from"], bjork["to"], bjork["kind"]) == ("bjork", "ok", "quarantined", "tenant")
        assert bjork["reasons"][0].startswith("quarantined: state.json") and bjork["workspace"] == "catalyst"
        assert (got[1]["kind"], got[1]["to"], got[1]["reasons"]) == ("shared", "incident", ["snapshot push failed"])
    finally:
        viewer.stop()
        holder.stop()


def test_failing_notifications_are_shown_as_a_shared_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CATALYST_NOTIFY__RETRIES", "0")
    ws = _workspace(tmp_path / "ws", monkeypatch, f"http://127.0.0.1:{port}/hook")
    rt = Runtime(ws, kind="daemon", role="holder").start(watch=False)
    try:
        rt.refresh_agents({"nina"})
        write_state(ws.agent("nina"), own_state(ws.agent("nina"), status="stopped"))
        t0 = time.perf_counter()
        rt.refresh_agents({"nina"})
        assert time.perf_counter() - t0 < 1.0  # the runtime never waits for the webhook
        until(lambda: "notify" in rt.shared, what="the failure shown")
        (problem,) = rt.shared["notify"]
        assert problem.text.startswith("notifications failing: ") and problem.agents == ()  # affects no tenant
    finally:
        rt.stop()


def test_notify_test_sends_one_message(ws: Workspace, server: HTTPServer, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["notify", "test", "--url", server.url_for("/hook"), "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: webhook http://127.0.0.1:") and "/hook" not in out
    (body,) = bodies(server)
    assert body["kind"] == "test" and body["workspace"] == "catalyst" and body["text"].startswith("catalyst-tui test")
    # nothing configured: says so, exit 1
    assert main(["notify", "test", "-w", str(ws.root)]) == 1
    assert "nothing to send to" in capsys.readouterr().out
    # a down endpoint: one line, exit 1, no traceback
    monkeypatch.setenv("CATALYST_NOTIFY__RETRIES", "0")
    assert main(["notify", "test", "--url", "http://127.0.0.1:9/hook", "-w", str(ws.root)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("failed: webhook http://127.0.0.1:9/... after 1 attempt(s)")


async def test_the_dashboard_rings_the_bell_when_a_tenant_turns_worse(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from catalyst_tui.ui.testing import FROZEN_NOW, make_app, seed_workspace, until, wait_for_data

    monkeypatch.setenv("CATALYST_NOTIFY__BELL", "true")
    ws = seed_workspace(tmp_path / "ws", {})
    app = make_app(ws, services=True)  # the runtime: its watcher, its health transitions
    rings: list[float] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(time.monotonic()))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: app.current_mode == "agents" and app.live)  # the runtime's watcher watches
        assert rings == []
        for i in range(10):
            record_dispatch(ws.agent("bjork"), id=f"d{i}", event="finished", status="error", latency_ms=4200.0,
                            ts=FROZEN_NOW - 2)
        await until(pilot, lambda: rings, timeout=10.0)
        assert app.statuses["bjork"].health.value == "degraded" and len(rings) == 1


def test_a_first_heartbeat_after_start_up_is_no_news(tmp_path: Path, server: HTTPServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from catalyst_tui.core.runtime import HealthChanged

    ws = _workspace(tmp_path / "ws", monkeypatch, server.url_for("/hook"))
    rt = Runtime(ws, kind="daemon", role="holder").start(watch=False)
    try:
        rt.emit(HealthChanged(agent="joni", health="ok", was="waiting", reason="", worse=False, ts=time.time()))
        rt.emit(HealthChanged(agent="joni", health="offline", was="waiting", reason="stopped", worse=True,
                              ts=time.time()))
        until(lambda: len(server.log) >= 1, what="the offline message")
        time.sleep(0.3)
        assert [(b["from"], b["to"]) for b in bodies(server)] == [("waiting", "offline")]
    finally:
        rt.stop()
