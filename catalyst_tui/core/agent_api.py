"""What an agent (or the operator) may ask of the workspace, with the lane rule enforced.

The MCP server (``catalyst-tui mcp``) is a thin face over this class: every tool is one method
here, so the rule and the input checks are tested without a protocol in between.

* Reading is open: any caller may list and show every card and read every tenant's health.
* Changing is by lane: an agent adds cards only to its own lane and moves only its own cards,
  within its own lane (the check runs under the index lock, :meth:`Board.move` ``only_lane``);
  the operator may change any card. Every change goes through the board's locked calls and is
  journaled with ``by: <caller>``.
* ``heartbeat`` writes the caller's own ``state.json`` (the documented format, under its lock,
  atomically); a state file that could not be read is kept beside it, never lost.
* Bad input raises :class:`~catalyst_tui.core.errors.CatalystError` with one line, before anything
  is written.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from catalyst_tui.core import storage
from catalyst_tui.core.agents import own_state, read_state
from catalyst_tui.core.board import OPERATOR
from catalyst_tui.core.cardview import card_json, list_cards, show_card
from catalyst_tui.core.errors import CardError, CatalystError, LaneError
from catalyst_tui.core.names import validate_agent_name
from catalyst_tui.core.status import StatusReport, status_report
from catalyst_tui.core.workspace import Workspace

if TYPE_CHECKING:
    from catalyst_tui.core.health import WorkspaceMonitor

MAX_TITLE = 500  # characters: a title is one line of a lane, not a document
AgentStatusValue = Literal["running", "idle", "stopped"]


@dataclass
class AgentAPI:
    ws: Workspace
    caller: str  # an agent name, or OPERATOR
    _monitor_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.caller != OPERATOR:
            self.ws.agent(self.caller)  # a valid name, and one of this workspace's agents

    @property
    def is_operator(self) -> bool:
        return self.caller == OPERATOR

    @cached_property
    def monitor(self) -> WorkspaceMonitor:
        """Kept for the life of the caller's session: later reads are incremental."""
        return self.ws.monitor()

    # ------------------------------------------------------------------ reading
    def list_cards(self, agent: str | None = None, column: str | None = None) -> dict[str, Any]:
        return list_cards(self.ws, agent or None, column or None)

    def show_card(self, card: str) -> dict[str, Any]:
        return show_card(self.ws, _card_id(card))

    def report(self) -> StatusReport:
        with self._monitor_lock:  # one session may run tools concurrently (threads)
            return status_report(self.ws, self.monitor)

    def tenant_health(self, agent: str | None = None) -> dict[str, Any]:
        """One tenant's entry of ``status --json`` (the caller's own by default)."""
        name = self._agent_or_self(agent, "tenant_health")
        report = self.report()
        return {"window": report.window, **report.statuses[name].to_json()}

    def triage(self) -> dict[str, Any]:
        """The triage line of ``status --json`` and the reasons of every affected tenant."""
        report = self.report()
        doc = report.triage_json()
        doc["healthy"] = not report.unhealthy
        doc["reasons"] = {s.name: list(s.reasons) or [s.health.value] for s in report.unhealthy}
        doc["index_fallback"] = report.view.fallback
        return doc

    # ------------------------------------------------------------------ changing
    def add_card(self, title: str, agent: str | None = None, column: str | None = None) -> dict[str, Any]:
        lane = self._agent_or_self(agent, "add_card")
        self._own_lane(lane, "add a card to")
        card = self.ws.board.add(lane, _title(title), column or None, by=self.caller)
        return card_json(card)

    def move_card(self, card: str, column: str | None = None, agent: str | None = None) -> dict[str, Any]:
        card_id = _card_id(card)
        if not column and not agent:
            raise CardError("move_card needs a column, an agent, or both")
        if agent:
            self._own_lane(validate_agent_name(agent), "move a card into")
        only = None if self.is_operator else self.caller
        event = self.ws.board.move(card_id, column or None, agent or None, by=self.caller, only_lane=only)
        return {"card": card_json(self.ws.board.get(card_id)), "from": event.src, "to": event.dst,
                "event": event.id}

    def heartbeat(self, status: AgentStatusValue = "running", card: str | None = None) -> dict[str, Any]:
        """Write the caller's ``state.json``: this session's pid, host and the time, status, card."""
        if self.is_operator:
            raise CatalystError("heartbeat: the operator has no state.json (start the server with --agent NAME)")
        if status not in ("running", "idle", "stopped"):
            raise CatalystError(f"heartbeat: status must be running, idle or stopped, not {status!r}")
        current = None
        if card:  # a card that exists, in any lane (reading is open)
            found = self.ws.board.get(_card_id(card))
            if found.archived:
                raise CardError(f"no card {found.id!r}")
            current = found.id
        paths = self.ws.agent(self.caller)
        paths.dir.mkdir(parents=True, exist_ok=True)
        state = own_state(paths, status=status, current_card=current)
        kept = None
        with storage.locked(storage.lock_path_for(paths.state)):
            before = read_state(paths)
            if before.problem is not None and paths.state.exists():
                kept = paths.state.with_name(f"{paths.state.name}.corrupt-{time.time_ns()}")
                os.link(paths.state, kept)  # the unreadable file stays for review (a link, no copy)
            storage.atomic_write_json(paths.state, state.to_dict())
        doc: dict[str, Any] = {"state": state.to_dict()}
        if kept is not None:
            doc["kept_unreadable_state"] = kept.name
        return doc

    # ------------------------------------------------------------------ the rule
    def _agent_or_self(self, agent: str | None, tool: str) -> str:
        if agent:
            self.ws.agent(agent)
            return agent
        if self.is_operator:
            raise CatalystError(f"{tool}: the operator must name an agent")
        return self.caller

    def _own_lane(self, lane: str, what: str) -> None:
        if not self.is_operator and lane != self.caller:
            raise LaneError(f"{self.caller} may not {what} {lane}'s lane: an agent changes only its own cards")


def _card_id(card: object) -> str:
    if not isinstance(card, str) or not card.strip():
        raise CardError("a card id is required (e.g. c-1a2b3c4d)")
    return card.strip()


def _title(title: object) -> str:
    if not isinstance(title, str):
        raise CardError("a card title must be text")
    if len(title) > MAX_TITLE:
        raise CardError(f"a card title is at most {MAX_TITLE} characters (got {len(title)})")
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: refused before the card's body file is written
        raise CardError("a card title must be valid Unicode text (it has a lone surrogate)") from None
    return title
