"""Fixtures for the served faces: MCP sessions with the SDK's own client over stdio."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult

from catalyst_tui.core.workspace import Workspace


class Session:
    """One ``catalyst-tui mcp`` process and its SDK client; ``stderr`` is what the server logged."""

    def __init__(self, client: Client, stderr: Path) -> None:
        self.client = client
        self.stderr = stderr

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must succeed; its structured result."""
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error, f"{tool}{arguments}: {_text(result)}"
        assert result.structured_content is not None
        # the text content is the same document, as JSON (what a model reads)
        assert orjson.loads(_text(result)) == result.structured_content
        return result.structured_content

    async def fail(self, tool: str, **arguments: Any) -> str:
        """Call a tool that must fail; its one-line error, checked for tracebacks."""
        result = await self.client.call_tool(tool, arguments)
        assert result.is_error, f"{tool}{arguments} should have failed: {result.structured_content}"
        text = _text(result)
        assert "Traceback" not in text and 'File "' not in text, text
        return text


def _text(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


OpenSession = Callable[..., contextlib.AbstractAsyncContextManager[Session]]


@pytest.fixture
def mcp_session(ws: Workspace, tmp_path: Path) -> OpenSession:
    """``async with mcp_session("--agent", "bjork") as s:`` runs a real server on ``ws``."""
    counter = iter(range(1000))

    @contextlib.asynccontextmanager
    async def open_session(*who: str, workspace: Path | None = None) -> AsyncIterator[Session]:
        log = tmp_path / f"mcp-stderr-{next(counter)}.log"
        params = StdioServerParameters(command=sys.executable, args=[
            "-m", "catalyst_tui", "mcp", "--workspace", str(workspace or ws.root), *who])
        with open(log, "w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=30) as client:
                session = Session(client, log)
                yield session
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
        assert "\x1b" not in text, "raw escape codes in the server's log"

    return open_session


# ---------------------------------------------------------------------- catalyst-tui web
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,800",
                  # no name resolves but loopback: the page must render with nothing from the internet
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    return free_port()


class WebServer:
    """A running ``catalyst-tui web``: its first stdout line, its url, and its process."""

    def __init__(self, proc: subprocess.Popen[str], port: int, banner: str, stderr: Path) -> None:
        self.proc, self.port, self.banner, self.stderr = proc, port, banner, stderr
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        import psutil

        if self.proc.poll() is not None:
            return
        sessions = psutil.Process(self.proc.pid).children(recursive=True)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)
        _, alive = psutil.wait_procs(sessions, timeout=10)
        for p in alive:
            p.kill()
        assert not alive, f"web sessions left running after the server stopped: {alive}"


@pytest.fixture
def web_server(ws: Workspace, tmp_path: Path) -> Iterator[Callable[..., WebServer]]:
    """``web_server("--allow-writes")`` starts ``catalyst-tui web`` on a free port of ``ws``."""
    started: list[WebServer] = []

    def start(*argv: str, env: dict[str, str] | None = None) -> WebServer:
        port = free_port()
        stderr = tmp_path / f"web-stderr-{len(started)}.log"
        with open(stderr, "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "catalyst_tui", "web", "-w", str(ws.root),
                                     "--port", str(port), *argv], stdout=subprocess.PIPE, stderr=err,
                                    stdin=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})})
        server = WebServer(proc, port, _first_line(proc, stderr), stderr)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _first_line(proc: subprocess.Popen[str], stderr: Path, timeout: float = 30.0) -> str:
    import selectors

    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise AssertionError(f"catalyst-tui web printed nothing in {timeout} s: {stderr.read_text()[-2000:]}")
    line = proc.stdout.readline()
    assert line, f"catalyst-tui web exited ({proc.wait()}): {stderr.read_text()[-2000:]}"
    return line


class Page:
    """Headless Chromium on one page, reading back what the terminal received over its websocket."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.received = b""  # every byte the page's websockets received, in order
        self.requests: list[str] = []  # every URL the page asked for

    def _drain(self) -> None:
        import base64

        for entry in self.driver.get_log("performance"):
            msg = orjson.loads(entry["message"])["message"]
            if msg["method"] == "Network.webSocketFrameReceived":
                frame = msg["params"]["response"]
                data = frame["payloadData"]
                self.received += base64.b64decode(data) if frame["opcode"] == 2 else data.encode()
            elif msg["method"] == "Network.requestWillBeSent":
                self.requests.append(msg["params"]["request"]["url"])

    def mark(self) -> int:
        self._drain()
        return len(self.received)

    def wait_for(self, *texts: str, since: int = 0, timeout: float = 30.0) -> str:
        """Wait until every text was drawn (after byte ``since``); the terminal output as text."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            out = self.received[since:].decode("utf-8", errors="replace")
            if all(t in out for t in texts):
                return out
            if time.monotonic() > deadline:
                missing = [t for t in texts if t not in out]
                raise AssertionError(f"the page never showed {missing} ({len(out)} characters received)")
            time.sleep(0.2)

    def press(self, key: str) -> None:
        """A key typed into the terminal (xterm.js's input element, as a user's focus would have it)."""
        from selenium.webdriver.common.by import By

        box = self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")
        self.driver.execute_script("arguments[0].focus()", box)
        box.send_keys(key)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Callable[[str], Page]]:
    """``chromium(url)``: Debian's Chromium, headless, on a fresh profile, through chromium-driver."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)")
    drivers: list[Any] = []

    def open_page(url: str) -> Page:
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / f'chromium-{len(drivers)}'}"]:
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        drivers.append(driver)
        driver.get(url)
        return Page(driver)

    yield open_page
    for driver in drivers:
        driver.quit()
