"""``catalyst-tui mcp``: the workspace as MCP tools, over stdio, for the agents themselves.

Built on the official ``mcp`` SDK (``MCPServer``). Each tool is one call of
:class:`~catalyst_tui.core.agent_api.AgentAPI`, which holds the lane rule and the input checks;
this module only names the tools, describes their arguments and turns the core's one-line errors
into tool errors. The tool and argument names are a contract (docs/mcp.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from catalyst_tui import __version__
from catalyst_tui.core.agent_api import MAX_TITLE, AgentAPI
from catalyst_tui.core.errors import CatalystError, os_error_text

TOOL_NAMES = ("list_cards", "show_card", "add_card", "move_card", "tenant_health", "triage", "heartbeat")

CardArg = Annotated[str, Field(description="a card id, e.g. c-1a2b3c4d")]
AgentArg = Annotated[str | None, Field(description="an agent (lane) name, e.g. bjork")]
ColumnArg = Annotated[str | None, Field(description="a board column, e.g. todo (the workspace's [board] columns)")]
TitleArg = Annotated[str, Field(description=f"the card's title: one line (newlines become spaces), "
                                            f"at most {MAX_TITLE} characters, stored and shown literally")]

_READ = ToolAnnotations.model_validate({"readOnlyHint": True, "openWorldHint": False})
_WRITE = ToolAnnotations.model_validate({"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False,
                                        "openWorldHint": False})


def _call(fn: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """Run one core call; its one-line error becomes the tool's error (never a traceback)."""
    try:
        return fn(**kwargs)
    except CatalystError as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:
        raise ToolError(os_error_text(exc)) from None


def build_server(api: AgentAPI) -> MCPServer:
    who = "the operator (may change any card)" if api.is_operator else (
        f"agent {api.caller} (may read everything; may change only the cards of its own lane)")
    server: MCPServer = MCPServer(
        name="catalyst-tui", version=__version__,
        instructions=(f"The catalyst workspace at {api.ws.root}: nine agents' kanban lanes and their health. "
                      f"This session acts as {who}; every change is journaled with by: {api.caller}."),
        # The SDK logs a tool error at INFO; our errors are answers to the caller, not server events.
        log_level="WARNING",
    )

    @server.tool(annotations=_READ)
    def list_cards(agent: AgentArg = None, column: ColumnArg = None) -> dict[str, Any]:
        """Live cards in board order, optionally only one agent's lane and/or one column.

        Returns {"cards": [card...], "seq": index sequence number, "fallback": null or why the
        index's last good copy was used} — the document of `catalyst-tui card list --json`."""
        return _call(api.list_cards, agent=agent, column=column)

    @server.tool(annotations=_READ)
    def show_card(card: CardArg) -> dict[str, Any]:
        """One card: its fields, its body (markdown, null when missing) and its history of moves.

        The document of `catalyst-tui card show ID --json`."""
        return _call(api.show_card, card=card)

    @server.tool(annotations=_WRITE)
    def add_card(title: TitleArg, agent: AgentArg = None, column: ColumnArg = None) -> dict[str, Any]:
        """Add a card to a lane (default: the caller's own; the first column by default).

        An agent may add cards only to its own lane. Returns the new card."""
        return _call(api.add_card, title=title, agent=agent, column=column)

    @server.tool(annotations=_WRITE)
    def move_card(card: CardArg, column: ColumnArg = None, agent: AgentArg = None) -> dict[str, Any]:
        """Move a card to another column and/or (operator only) reassign it to another agent's lane.

        An agent may move only the cards of its own lane, within its lane. Returns the card after
        the move, "from" and "to" ({"agent", "column"}) and the audit event's id."""
        return _call(api.move_card, card=card, column=column, agent=agent)

    @server.tool(annotations=_READ)
    def tenant_health(agent: AgentArg = None) -> dict[str, Any]:
        """One agent's health (default: the caller's own): its entry of `catalyst-tui status --json`
        (health, reasons, heartbeat age, figures over the metrics window) plus "window"."""
        return _call(api.tenant_health, agent=agent)

    @server.tool(annotations=_READ)
    def triage() -> dict[str, Any]:
        """Which tenants are affected: the dashboard's triage line ("text", "scope": none / tenant /
        shared, "affected" most severe first), "healthy", each affected tenant's "reasons", and
        "index_fallback" (null unless the shared index is on its last good copy)."""
        return _call(api.triage)

    @server.tool(annotations=_WRITE)
    def heartbeat(status: Annotated[Literal["running", "idle", "stopped"],
                                    Field(description="the caller's status")] = "running",
                  card: Annotated[str | None, Field(description="the card the caller works on now")] = None,
                  ) -> dict[str, Any]:
        """Write the calling agent's state.json (docs/workspace.md): status, current card, this
        session's pid and host, and the time as the heartbeat. Agents only (not the operator)."""
        return _call(api.heartbeat, status=status, card=card)

    return server


def serve_stdio(api: AgentAPI) -> None:
    """Serve until the client closes stdin. Logs go to stderr, one line each: stdout is the protocol."""
    from catalyst_tui.core.applog import log_to_stderr

    log_to_stderr("catalyst-tui mcp")
    build_server(api).run("stdio")
