"""The notifier against a real HTTP server on 127.0.0.1 (pytest-httpserver): one POST per
transition, the per-tenant debounce, retries, and a down or slow server delaying nothing else."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from catalyst_tui.core.config import NotifyConfig
from catalyst_tui.core.notify import Notice, Notifier


class Hook:
    """A webhook on 127.0.0.1 that records each POST's body and arrival time; ``slow``: agents
    whose POST the server answers only after ``delay`` seconds."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.bodies: list[dict] = []  # type: ignore[type-arg]
        self.arrived: list[float] = []
        self.slow: set[str] = set()
        self.delay = 0.0
        self.status = 200
        self.answered: dict[str, float] = {}
        self._lock = threading.Lock()
        server.expect_request("/hook", method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        with self._lock:
            self.bodies.append(body)
            self.arrived.append(time.monotonic())
        if body["agent"] in self.slow:
            time.sleep(self.delay)
        self.answered[body["agent"]] = time.monotonic()
        return Response("ok", status=self.status)

    @property
    def url(self) -> str:
        return self.server.url_for("/hook")

    def of(self, agent: str) -> list[dict]:  # type: ignore[type-arg]
        return [b for b in self.bodies if b["agent"] == agent]


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)  # a slow request must not hold the others
    server.start()
    try:
        yield Hook(server)
    finally:
        server.clear()
        server.stop()


def until(cond: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def notice(agent: str, was: str, now: str, *reasons: str, worse: bool = True) -> Notice:
    return Notice("tenant", agent, was, now, reasons, 1_800_000_000.0, "catalyst", worse)


def make(url: str, **cfg: object) -> Notifier:
    config = NotifyConfig(webhook_url=url, **cfg)  # type: ignore[arg-type]
    return Notifier(lambda: config, backoff_s=0.05)


def test_one_post_per_transition_with_the_documented_body(hook: Hook) -> None:
    n = make(hook.url, debounce_s=0)
    try:
        n.submit(notice("bjork", "ok", "degraded", "p95 4.2 s (5x its 1 h baseline)", "errors 21% (14 of 66)"))
        n.submit(notice("nina", "ok", "offline", "pid 4242 not running"))
        n.submit(notice("bjork", "degraded", "ok", worse=False))
        until(lambda: len(hook.bodies) == 3, what="three POSTs")
        time.sleep(0.2)
        assert len(hook.bodies) == 3  # and no more
    finally:
        n.stop()
    first = hook.of("bjork")[0]
    assert first == {"agent": "bjork", "from": "ok", "to": "degraded",
                     "reasons": ["p95 4.2 s (5x its 1 h baseline)", "errors 21% (14 of 66)"],
                     "time": "2027-01-15T08:00:00Z", "workspace": "catalyst", "kind": "tenant",
                     "text": "bjork degraded: p95 4.2 s (5x its 1 h baseline) (was ok; catalyst)"}
    assert [(b["from"], b["to"]) for b in hook.of("bjork")] == [("ok", "degraded"), ("degraded", "ok")]
    assert hook.of("nina")[0]["reasons"] == ["pid 4242 not running"]
    assert n.sent == 3 and n.failures == []


def test_a_flapping_tenant_is_told_once_per_debounce_window(hook: Hook) -> None:
    n = make(hook.url, debounce_s=0.8)
    try:
        t0 = time.monotonic()
        n.submit(notice("bjork", "ok", "degraded", "errors 30%"))  # told at once
        n.submit(notice("bjork", "degraded", "ok", worse=False))  # within the window: held...
        n.submit(notice("bjork", "ok", "degraded", "errors 31%"))  # ...and back where it was told: nothing
        n.submit(notice("cher", "ok", "degraded", "queue 60"))  # another tenant: its own window, told at once
        n.submit(notice("cher", "degraded", "offline", "heartbeat lost 12 min"))  # held, then told
        until(lambda: len(hook.of("cher")) == 2, what="cher's second message")
        assert hook.of("cher")[0]["to"] == "degraded"
        assert (hook.of("cher")[1]["from"], hook.of("cher")[1]["to"]) == ("degraded", "offline")
        held = hook.arrived[hook.bodies.index(hook.of("cher")[1])] - t0
        assert held >= 0.7  # it waited for the window to end
        time.sleep(1.0)  # bjork's window ended long ago
        assert [(b["from"], b["to"]) for b in hook.of("bjork")] == [("ok", "degraded")]
        n.submit(notice("bjork", "degraded", "ok", worse=False))  # after the window: told at once
        until(lambda: len(hook.of("bjork")) == 2, what="bjork's recovery")
    finally:
        n.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once closed


def test_a_down_server_is_retried_logged_and_blocks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    failed: list[object] = []
    config = NotifyConfig(webhook_url=f"http://127.0.0.1:{_closed_port()}/hook", retries=2, debounce_s=0)
    n = Notifier(lambda: config, backoff_s=0.05, on_failure=failed.append)
    try:
        with caplog.at_level(logging.WARNING, logger="catalyst_tui.notify"):
            t0 = time.perf_counter()
            for i in range(50):
                n.submit(notice(f"agent{i}", "ok", "degraded", "x"))
            assert time.perf_counter() - t0 < 0.5  # queued, never sent from the caller's thread
            until(lambda: len(failed) == 50, what="every delivery given up")
        assert all(d.attempts == 3 and not d.ok for d in n.failures)  # the first try and two retries
        assert "refused" in (n.failures[-1].error or "").lower()
        lines = [r for r in caplog.records if "webhook" in r.getMessage()]
        assert len(lines) == 50 and lines[0].agent.startswith("agent")  # type: ignore[attr-defined]
        assert "/hook" not in lines[0].getMessage()  # the URL's path (its secret) is never logged
    finally:
        n.stop()


def test_a_slow_server_delays_no_other_tenant(hook: Hook) -> None:
    hook.slow, hook.delay = {"bjork"}, 3.0
    n = make(hook.url, debounce_s=0, timeout_s=10)
    try:
        n.submit(notice("bjork", "ok", "degraded", "p95 9 s"))
        until(lambda: hook.of("bjork"), what="bjork's POST reaching the server")
        t0 = time.monotonic()
        n.submit(notice("nina", "ok", "offline", "stopped"))
        until(lambda: hook.of("nina"), timeout=2.5, what="nina's POST while bjork's is still answered")
        assert time.monotonic() - t0 < 2.5 and "bjork" not in hook.answered  # bjork's is still being answered
        until(lambda: n.sent == 2, what="both answered")
        assert hook.answered["nina"] < hook.answered["bjork"]
    finally:
        n.stop()


def test_an_endpoint_that_refuses_is_not_retried(hook: Hook) -> None:
    hook.status = 400
    failed: list[object] = []
    config = NotifyConfig(webhook_url=hook.url, retries=3, debounce_s=0)
    n = Notifier(lambda: config, backoff_s=0.05, on_failure=failed.append)
    try:
        n.submit(notice("ozzy", "ok", "quarantined", "state.json corrupt"))
        until(lambda: failed, what="the refusal")
        assert n.failures[0].attempts == 1 and n.failures[0].error == "HTTP 400 BAD REQUEST"
        assert len(hook.bodies) == 1
    finally:
        n.stop()
