"""Fixtures for the served faces: MCP sessions with the SDK's own client over stdio."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
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
