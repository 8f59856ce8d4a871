"""``catalyst-tui mcp``: every tool through the official SDK client over stdio, the lane rule,
concurrent clients, hostile titles and a corrupt tenant file. Real server processes."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import orjson

from catalyst_tui.core.agents import AgentPaths, own_state, read_state, write_state
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.serve.mcp_server import TOOL_NAMES

DOC = Path(__file__).resolve().parents[2] / "docs" / "mcp.md"


def _journal(ws: Workspace) -> list[tuple[str, str, str]]:
    return [(e.by, e.action, e.card) for e in ws.board.audit()[0]]


async def test_tools_and_their_schemas_are_the_documented_contract(mcp_session) -> None:
    async with mcp_session("--agent", "bjork") as s:
        tools = {t.name: t for t in (await s.client.list_tools()).tools}
    assert tuple(sorted(tools)) == tuple(sorted(TOOL_NAMES))
    assert set(tools["list_cards"].input_schema["properties"]) == {"agent", "column"}
    assert tools["show_card"].input_schema["required"] == ["card"]
    assert tools["add_card"].input_schema["required"] == ["title"]
    assert set(tools["move_card"].input_schema["properties"]) == {"card", "column", "agent"}
    assert set(tools["heartbeat"].input_schema["properties"]) == {"status", "card"}
    assert tools["list_cards"].annotations.read_only_hint and not tools["move_card"].annotations.read_only_hint
    # docs/mcp.md carries each tool's input schema exactly as the server publishes it
    doc = DOC.read_text()
    blocks = dict(re.findall(r"### `(\w+)`.*?```json\n(.*?)\n```", doc, re.S))
    assert set(blocks) == set(TOOL_NAMES)
    for name, tool in tools.items():
        assert orjson.loads(blocks[name]) == tool.input_schema, f"docs/mcp.md: {name}'s schema is stale"


async def test_each_tool_as_an_agent(ws: Workspace, mcp_session) -> None:
    other = ws.board.add("slash", "slash's own card", "todo")
    async with mcp_session("--agent", "bjork") as s:
        card = await s.call("add_card", title="Fix the router", column="todo")
        assert card["agent"] == "bjork" and card["column"] == "todo" and card["title"] == "Fix the router"
        first = await s.call("add_card", title="Default column")
        assert first["column"] == "backlog"  # the first column

        everything = await s.call("list_cards")
        assert {c["id"] for c in everything["cards"]} == {card["id"], first["id"], other.id}
        assert everything["fallback"] is None and everything["seq"] == ws.board.load().seq
        mine = await s.call("list_cards", agent="bjork")
        assert [c["id"] for c in mine["cards"]] == [first["id"], card["id"]]  # board order: backlog, todo
        todo = await s.call("list_cards", column="todo")
        assert {c["id"] for c in todo["cards"]} == {card["id"], other.id}

        moved = await s.call("move_card", card=card["id"], column="doing")
        assert moved["from"] == {"agent": "bjork", "column": "todo"}
        assert moved["to"] == {"agent": "bjork", "column": "doing"} and moved["card"]["column"] == "doing"

        shown = await s.call("show_card", card=card["id"])
        assert shown["card"]["column"] == "doing" and shown["body"] == "# Fix the router\n"
        assert [(h["by"], h["action"]) for h in shown["history"]] == [("bjork", "add"), ("bjork", "move")]
        assert (await s.call("show_card", card=other.id))["card"]["agent"] == "slash"  # reading is open

        before = await s.call("tenant_health")
        assert before["agent"] == "bjork" and before["health"] == "waiting" and before["window"] == "5m"
        beat = await s.call("heartbeat", status="running", card=card["id"])
        assert beat["state"]["agent"] == "bjork" and beat["state"]["current_card"] == card["id"]
        after = await s.call("tenant_health")
        assert after["health"] == "ok" and after["current_card"] == card["id"] and after["status"] == "running"
        assert (await s.call("tenant_health", agent="slash"))["agent"] == "slash"

        tri = await s.call("triage")
        # a fresh workspace: 8 of 9 have no state.json yet, within the start-up grace: not an incident
        assert tri["scope"] == "none" and tri["healthy"] is True and tri["affected"] == []
        assert "bjork" not in tri["waiting"] and "slash" in tri["waiting"]
        assert tri["text"] == "1 healthy, 8 waiting for their first heartbeat"
    state = read_state(AgentPaths(ws.root, "bjork"))
    assert state.problem is None and state.state is not None and state.state.current_card == card["id"]
    assert ws.board.get(card["id"]).column == "doing"
    # every change journaled with the caller as `by`
    assert _journal(ws)[1:] == [("bjork", "add", card["id"]), ("bjork", "add", first["id"]),
                                ("bjork", "move", card["id"])]


async def test_status_json_and_the_health_tools_report_the_same(ws: Workspace, mcp_session) -> None:
    write_state(AgentPaths(ws.root, "nina"), own_state(AgentPaths(ws.root, "nina")))
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "status", "--json", "-w", str(ws.root)],
                         capture_output=True, text=True, check=False)
    status = orjson.loads(out.stdout)
    async with mcp_session("--operator") as s:
        nina = await s.call("tenant_health", agent="nina")
        tri = await s.call("triage")
    expected = next(a for a in status["agents"] if a["agent"] == "nina")
    volatile = {"heartbeat_age_s", "process", "disk_bytes"}  # read a moment later
    assert {k: v for k, v in nina.items() if k not in volatile | {"window"}} == \
        {k: v for k, v in expected.items() if k not in volatile}
    assert {k: tri[k] for k in status["triage"]} == status["triage"]


async def test_an_agent_changes_only_its_own_lane(ws: Workspace, mcp_session) -> None:
    theirs = ws.board.add("slash", "slash's card", "todo")
    async with mcp_session("--agent", "bjork") as s:
        mine = await s.call("add_card", title="mine", column="todo")
        seq, journal = ws.board.load().seq, _journal(ws)
        err = await s.fail("move_card", card=theirs.id, column="doing")
        assert "slash's lane" in err and "bjork may change only its own cards" in err
        assert "bjork may not add a card to slash's lane" in await s.fail("add_card", title="x", agent="slash")
        assert "may not move a card into slash's lane" in await s.fail("move_card", card=mine["id"], agent="slash")
        assert "no card 'c-nope'" in await s.fail("heartbeat", card="c-nope")
        # refused means untouched: no index write, no journal line
        assert ws.board.load().seq == seq and _journal(ws) == journal
        assert ws.board.get(theirs.id).column == "todo"
    async with mcp_session("--operator") as op:
        moved = await op.call("move_card", card=theirs.id, column="doing", agent="bjork")
        assert moved["to"] == {"agent": "bjork", "column": "doing"}
        assert "the operator must name an agent" in await op.fail("add_card", title="whose?")
        assert "operator has no state.json" in await op.fail("heartbeat")
        added = await op.call("add_card", title="for slash", agent="slash")
    assert _journal(ws)[-2:] == [("operator", "move", theirs.id), ("operator", "add", added["id"])]


async def test_bad_input_is_a_clear_error_and_writes_nothing(ws: Workspace, mcp_session) -> None:
    async with mcp_session("--agent", "bjork") as s:
        card = await s.call("add_card", title="ok")
        seq, journal = ws.board.load().seq, _journal(ws)
        assert "unknown column 'nope'" in await s.fail("add_card", title="x", column="nope")
        assert "unknown column 'nope'" in await s.fail("list_cards", column="nope")
        assert "invalid agent name '../x'" in await s.fail("list_cards", agent="../x")
        assert "unknown agent 'zed'" in await s.fail("tenant_health", agent="zed")
        assert "no card 'c-0000'" in await s.fail("show_card", card="c-0000")
        assert "a card id is required" in await s.fail("show_card", card="  ")
        assert "cannot be empty" in await s.fail("add_card", title=" \n\t ")
        assert "at most 500 characters" in await s.fail("add_card", title="x" * 501)
        assert "needs a column, an agent, or both" in await s.fail("move_card", card=card["id"])
        assert "already in bjork/backlog" in await s.fail("move_card", card=card["id"], column="backlog")
        wrong_type = await s.fail("show_card", card=5)  # refused by the published schema
        assert "card" in wrong_type
        assert "title" in await s.fail("add_card")  # a required argument missing
        assert "status" in await s.fail("heartbeat", status="dancing")
        assert ws.board.load().seq == seq and _journal(ws) == journal
        assert not AgentPaths(ws.root, "bjork").state.exists()  # the failed heartbeat wrote nothing
        assert (await s.call("list_cards"))["cards"][0]["id"] == card["id"]  # the session is still fine


HOSTILE = [
    "[red]markup[/red] [bold]x[/] [link=http://evil]y[/link]",
    "\x1b[2J\x1b]0;owned\x07 clear + title",
    "C1 \x9b31m csi and bidi \u202eevil\u202c",
    "nul \x00 and bell \x07",
    "multi\nline\ttitle",
    "emoji 👩‍💻 and CJK 漢字",
]


async def test_hostile_titles_are_stored_and_returned_literally(ws: Workspace, mcp_session) -> None:
    async with mcp_session("--agent", "bjork") as s:
        ids = [(await s.call("add_card", title=t))["id"] for t in HOSTILE]
        listed = {c["id"]: c["title"] for c in (await s.call("list_cards", agent="bjork"))["cards"]}
        shown = (await s.call("show_card", card=ids[1]))["card"]["title"]
    expected = [" ".join(t.split()) for t in HOSTILE]  # one line: newlines and tabs become spaces
    assert [listed[i] for i in ids] == expected
    assert shown == expected[1] and ws.board.get(ids[0]).title == HOSTILE[0]
    # the CLI shows them with control characters escaped, never obeyed
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "card", "list", "-w", str(ws.root)],
                         capture_output=True, text=True, check=True).stdout
    assert "[red]markup[/red]" in out and "\x1b" not in out and "\x9b" not in out and "\x00" not in out


async def test_a_corrupt_tenant_file_is_reported_and_kept(ws: Workspace, mcp_session) -> None:
    slash = AgentPaths(ws.root, "slash")
    slash.state.write_bytes(b'{"agent": "slash", "status": "runn')  # a torn write
    write_state(AgentPaths(ws.root, "nina"), own_state(AgentPaths(ws.root, "nina")))
    async with mcp_session("--agent", "nina") as s:
        health = await s.call("tenant_health", agent="slash")
        assert health["health"] == "quarantined" and "corrupt JSON" in health["reasons"][0]
        assert (await s.call("tenant_health"))["health"] == "ok"  # the others are unaffected
        tri = await s.call("triage")
        assert tri["affected"][0] == "slash" and "corrupt JSON" in tri["reasons"]["slash"][0]
        await s.call("add_card", title="still works")
    async with mcp_session("--agent", "slash") as s:  # slash's own session repairs its state
        beat = await s.call("heartbeat", status="idle")
        assert (await s.call("tenant_health"))["health"] == "ok"
    kept = slash.dir / beat["kept_unreadable_state"]
    assert kept.read_bytes() == b'{"agent": "slash", "status": "runn'  # nothing lost
    assert read_state(slash).state is not None and read_state(slash).state.status == "idle"


async def test_a_corrupt_index_falls_back_loudly(ws: Workspace, mcp_session) -> None:
    card = ws.board.add("bjork", "before the crash")
    ws.board.add("bjork", "second")
    ws.board.index_path.write_bytes(b'{"version": 1, "seq": 9, "cards": {')
    async with mcp_session("--agent", "bjork") as s:
        listed = await s.call("list_cards")
        assert card.id in {c["id"] for c in listed["cards"]} and "corrupt" in listed["fallback"]
        assert "corrupt" in (await s.call("triage"))["index_fallback"]
        await s.call("move_card", card=card.id, column="doing")  # the next write repairs the index
    assert ws.board.load().fallback is None and ws.board.get(card.id).column == "doing"


async def test_concurrent_clients_lose_nothing(ws: Workspace, mcp_session) -> None:
    agents = ["aretha", "bjork", "cher", "slash"]
    per_agent = 4

    async def work(agent: str) -> list[str]:
        async with mcp_session("--agent", agent) as s:
            ids = [(await s.call("add_card", title=f"{agent} {i}", column="todo"))["id"] for i in range(per_agent)]
            await asyncio.gather(*(s.call("move_card", card=i, column="doing") for i in ids))  # within a session too
            await s.call("heartbeat", card=ids[0])
            return ids

    results = await asyncio.gather(*(work(a) for a in agents))
    view = ws.board.load()
    assert len(view.cards) == len(agents) * per_agent and view.fallback is None
    assert view.seq == 1 + 2 * len(agents) * per_agent  # every write counted once (the empty index is seq 1)
    for agent, ids in zip(agents, results, strict=True):
        assert {view.cards[i].agent for i in ids} == {agent} and {view.cards[i].column for i in ids} == {"doing"}
        assert read_state(AgentPaths(ws.root, agent)).state.current_card == ids[0]
    journal = _journal(ws)
    assert len(journal) == 2 * len(agents) * per_agent
    assert all(by == view.cards[card].agent for by, _, card in journal)


def test_the_server_refuses_to_start_on_bad_arguments(ws: Workspace, tmp_path: Path) -> None:
    def start(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "catalyst_tui", "mcp", *argv], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, check=False, timeout=30)

    bad = start("-w", str(ws.root), "--agent", "Zed!")
    assert bad.returncode == 1 and "invalid agent name 'Zed!'" in bad.stderr and "Traceback" not in bad.stderr
    assert start("-w", str(ws.root), "--agent", "zed").returncode == 1
    assert start("-w", str(tmp_path / "none"), "--operator").returncode == 2  # no workspace: usage
    assert start("-w", str(ws.root)).returncode == 2  # --agent or --operator is required
    assert start("-w", str(ws.root), "--agent", "bjork", "--operator").returncode == 2
    assert bad.stdout == ""  # stdout is the protocol: nothing else is ever written there
