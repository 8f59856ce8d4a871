"""The lane rule and input checks behind the MCP tools, without a protocol in between."""

from __future__ import annotations

import pytest

from catalyst_tui.core.agent_api import AgentAPI
from catalyst_tui.core.agents import AgentPaths
from catalyst_tui.core.board import OPERATOR
from catalyst_tui.core.errors import CardError, CatalystError, LaneError
from catalyst_tui.core.workspace import Workspace


def test_move_checks_the_lane_under_the_lock(ws: Workspace) -> None:
    card = ws.board.add("slash", "t", "todo")
    with pytest.raises(LaneError, match="in slash's lane, not bjork's"):
        ws.board.move(card.id, "doing", by="bjork", only_lane="bjork")
    assert ws.board.get(card.id).column == "todo" and len(ws.board.audit()[0]) == 1
    ws.board.move(card.id, "doing", by="slash", only_lane="slash")
    assert ws.board.get(card.id).column == "doing"


def test_a_title_that_is_not_unicode_writes_nothing(ws: Workspace) -> None:
    api = AgentAPI(ws, "bjork")
    with pytest.raises(CardError, match="lone surrogate"):
        api.add_card("lone \ud800 surrogate")
    assert ws.board.load().seq == 1 and not list(AgentPaths(ws.root, "bjork").cards.iterdir())


def test_callers_are_checked_when_the_session_starts(ws: Workspace) -> None:
    with pytest.raises(CatalystError, match="unknown agent 'zed'"):
        AgentAPI(ws, "zed")
    with pytest.raises(CatalystError, match="invalid agent name"):
        AgentAPI(ws, "../bjork")
    assert AgentAPI(ws, OPERATOR).is_operator


def test_an_agent_may_not_reassign_its_own_card_elsewhere(ws: Workspace) -> None:
    api = AgentAPI(ws, "bjork")
    card = api.add_card("mine")
    with pytest.raises(LaneError, match="may not move a card into slash's lane"):
        api.move_card(card["id"], agent="slash")
    assert api.move_card(card["id"], agent="bjork", column="doing")["to"] == {"agent": "bjork", "column": "doing"}
    assert [e.by for e in ws.board.audit()[0]] == ["bjork", "bjork"]
