"""History leaves the index: archives, restore, the 0.1 index's conversion, undo per session."""

from __future__ import annotations

import orjson
import pytest

from catalyst_tui.core.board import Board, describe
from catalyst_tui.core.errors import CardError
from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.workspace import Workspace

DAY = 86400.0


def _index_ids(ws: Workspace) -> set[str]:
    return set(orjson.loads(ws.board.index_path.read_bytes())["cards"])


def test_archive_moves_the_card_out_of_the_index_and_restore_brings_it_back(ws: Workspace) -> None:
    card = ws.board.add("bjork", "Fix the router", "review")
    other = ws.board.add("bjork", "stays")
    ev = ws.board.archive(card.id)
    assert ev.src == {"agent": "bjork", "column": "review"}
    assert _index_ids(ws) == {other.id}  # the index holds live cards only
    lines = [orjson.loads(x) for f in (ws.root / "agents/bjork/archive").iterdir() for x in f.read_bytes().splitlines()]
    assert [(x["card"]["id"], x["by"]) for x in lines] == [(card.id, "operator")]
    found, archived = ws.board.find(card.id)
    assert archived and found.title == "Fix the router"
    assert set(ws.board.archived().cards) == {card.id}
    with pytest.raises(CardError, match="no card"):
        ws.board.move(card.id, "todo")
    back = Board(ws.root, ws.board.columns, ws.board.agents).restore(card.id)  # another session (the CLI)
    assert back.dst == {"agent": "bjork", "column": "review"}
    assert ws.board.get(card.id).title == "Fix the router" and ws.board.get(card.id).refs == card.refs
    assert ws.board.archived().cards == {}  # the archive line of a live card is stale: ignored
    with pytest.raises(CardError, match="not archived"):
        ws.board.restore(card.id)
    with pytest.raises(CardError, match="no archived card"):
        ws.board.restore("c-nothere")
    assert [e.action for e in ws.board.history(card.id)] == ["add", "archive", "restore"]


def test_restore_to_another_lane_and_column(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t", "done")
    ws.board.archive(card.id)
    ws.board.restore(card.id, agent="slash", column="todo")
    got = ws.board.get(card.id)
    assert (got.agent, got.column) == ("slash", "todo")


def test_archive_done_takes_old_done_cards_only_in_batches(ws: Workspace) -> None:
    now = 1_800_000_000.0
    ws.board.clock = lambda: now - 10 * DAY
    old = [ws.board.add(a, f"old {a}", "done") for a in ("bjork", "slash", "bjork")]
    stale_todo = ws.board.add("bjork", "old but not done", "todo")
    ws.board.clock = lambda: now - 1 * DAY
    young = ws.board.add("bjork", "done yesterday", "done")
    ws.board.clock = lambda: now
    assert ws.board.archive_done(now - 7 * DAY, limit=2) == {"bjork": 1, "slash": 1}  # oldest first
    assert ws.board.archive_done(now - 7 * DAY, limit=2) == {"bjork": 1}
    assert ws.board.archive_done(now - 7 * DAY, limit=2) == {}
    assert _index_ids(ws) == {stale_todo.id, young.id}
    assert set(ws.board.archived().cards) == {c.id for c in old}
    assert set(ws.board.archived(["slash"]).cards) == {old[1].id}


def test_the_janitor_archives_old_done_cards_and_reports_them(ws: Workspace) -> None:
    now = 1_800_000_000.0
    ws.board.clock = lambda: now - 10 * DAY
    cards = [ws.board.add("bjork", f"t{i}", "done") for i in range(5)]
    live = ws.board.add("cher", "live", "doing")
    dry = Janitor(ws, clock=lambda: now).run(dry_run=True)
    assert dry["agents"]["bjork"]["cards_archived"] == 5 and _index_ids(ws) == {live.id, *(c.id for c in cards)}
    report = Janitor(ws, clock=lambda: now).run()
    assert report["agents"]["bjork"]["cards_archived"] == 5 and report["totals"]["cards_archived"] == 5
    assert _index_ids(ws) == {live.id}
    assert set(ws.board.archived().cards) == {c.id for c in cards}
    # archived cards' bodies are theirs, not orphans; nothing is flagged
    assert not [r for r in report["reported"] if r["kind"] == "orphan-file"]
    assert report["flagged_cards"] == []
    from catalyst_tui.core.janitor import JanitorPaths, read

    recs = [r for r in read(JanitorPaths(ws.root))[0] if r.get("action") == "archive-cards"]
    assert [(r["agent"], r["count"]) for r in recs] == [("bjork", 5)]
    ws.board.restore(cards[0].id)
    assert ws.board.get(cards[0].id).column == "done"


def test_the_janitors_card_phase_stops_at_its_deadline(ws: Workspace) -> None:
    from catalyst_tui.core.janitor.cards import archive_cards
    from catalyst_tui.core.janitor.journal import JanitorPaths

    now = 1_800_000_000.0
    ws.board.clock = lambda: now - 10 * DAY
    for i in range(5):
        ws.board.add("bjork", f"t{i}", "done")
    plan, _ = Janitor(ws, clock=lambda: now).plan(full=True)
    ticks = iter([0.0, 0.0, 99.0])  # the deadline passes after the first batch
    moved = archive_cards(ws, plan, JanitorPaths(ws.root), deadline=10.0, monotonic=lambda: next(ticks),
                          clock=lambda: now, batch=2)
    assert moved == {"bjork": 4} and plan.walk.capped
    assert len(ws.board.load().cards) == 1


def test_card_add_creates_every_file_its_refs_name(ws: Workspace) -> None:
    (ws.root / "agents/bjork/worklog.jsonl").unlink(missing_ok=True)
    card = ws.board.add("bjork", "t")
    assert card.refs.body and card.refs.log
    assert (ws.root / card.refs.body).is_file() and (ws.root / card.refs.log).is_file()
    report = Janitor(ws).run()
    assert report["flagged_cards"] == [] and "needs-review" not in ws.board.get(card.id).flags


def test_reassigned_cards_keep_their_refs_and_the_janitor_agrees(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t", body="the body")
    ws.board.move(card.id, agent="slash")
    moved = ws.board.get(card.id)
    assert moved.agent == "slash" and moved.refs == card.refs  # refs name where it was created
    assert (ws.root / moved.refs.body).read_text() == "the body"  # type: ignore[operator]
    report = Janitor(ws).run()
    assert report["flagged_cards"] == []
    assert not [r for r in report["reported"] if r["kind"] == "orphan-file"]
    ws.board.archive(card.id)  # into slash's archive (its lane now); its files stay in bjork's directory
    assert set(ws.board.archived(["slash"]).cards) == {card.id}
    assert not [r for r in Janitor(ws).run()["reported"] if r["kind"] == "orphan-file"]


# ---------------------------------------------------------------------- the 0.1 index
def _write_01_index(ws: Workspace) -> dict[str, dict[str, object]]:
    """An index as 0.1 wrote it: version 1, archived cards kept in it with ``archived: true``."""
    def card(cid: str, agent: str, column: str, archived: bool) -> dict[str, object]:
        return {"id": cid, "agent": agent, "column": column, "order": 1.0, "title": f"title {cid}",
                "created": 1.0, "moved": 2.0, "flags": [], "archived": archived,
                "refs": {"body": f"agents/{agent}/cards/{cid}.md", "log": f"agents/{agent}/worklog.jsonl"}}

    cards = {"c-live0001": card("c-live0001", "bjork", "todo", False),
             "c-live0002": card("c-live0002", "slash", "done", False),
             "c-arch0001": card("c-arch0001", "bjork", "review", True),
             "c-arch0002": card("c-arch0002", "cher", "done", True)}
    ws.board.index_path.write_bytes(orjson.dumps({"version": 1, "seq": 7, "updated": 3.0, "cards": cards}))
    ws.board.audit_path.write_bytes(orjson.dumps(
        {"id": "e-old", "ts": 2.0, "by": "operator", "action": "archive", "card": "c-arch0001",
         "src": {"agent": "bjork", "column": "review"}}) + b"\n")
    return cards


def test_a_01_index_is_read_as_is_and_converted_on_the_first_write(ws: Workspace) -> None:
    _write_01_index(ws)
    board = Workspace.open(ws.root).board
    view = board.load()
    assert set(view.cards) == {"c-live0001", "c-live0002"} and view.seq == 7 and view.fallback is None
    assert orjson.loads(board.index_path.read_bytes())["version"] == 1  # reading converts nothing
    new = board.add("joni", "first write")
    data = orjson.loads(board.index_path.read_bytes())
    assert data["version"] == 2 and data["seq"] == 8
    assert set(data["cards"]) == {"c-live0001", "c-live0002", new.id}
    assert not any(c.get("archived") for c in data["cards"].values())
    assert set(board.archived().cards) == {"c-arch0001", "c-arch0002"}
    assert set(board.archived(["cher"]).cards) == {"c-arch0002"}
    events = board.audit()[0]
    assert [(e.action, e.by, e.card) for e in events if e.by == "catalyst-tui"] == [
        ("archive", "catalyst-tui", "c-arch0001"), ("archive", "catalyst-tui", "c-arch0002")]
    board.restore("c-arch0001")
    assert board.get("c-arch0001").column == "review"
    # the backup is the 0.1 index: a fallback from it still knows what moved out
    board.index_path.write_bytes(b"garbage")
    assert set(board.load().cards) == {"c-live0001", "c-live0002", new.id, "c-arch0001"}


# ---------------------------------------------------------------------- undo per session
def test_undo_is_per_session_and_the_cli_undoes_by_actor(ws: Workspace) -> None:
    card_cli = ws.board.add("bjork", "moved by the CLI", "doing")
    card_dash = ws.board.add("cher", "archived on the dashboard", "done")
    cli = Workspace.open(ws.root).board  # one CLI invocation: its own session
    cli.move(card_cli.id, "review", agent="slash")  # --by operator, the default
    dash = Workspace.open(ws.root).board.new_session()  # the dashboard
    dash.archive(card_dash.id)
    undone = dash.undo()
    assert undone.effect == "restore" and undone.card == card_dash.id
    assert ws.board.get(card_dash.id).column == "done"
    assert ws.board.get(card_cli.id).agent == "slash"  # the CLI's move is untouched
    with pytest.raises(CardError, match="nothing to undo in this session"):
        dash.undo()
    assert dash.redo().effect == "archive" and card_dash.id in ws.board.archived().cards
    assert dash.undo().effect == "restore"
    # a later CLI invocation: `card undo --by operator` takes the operator's last undoable action
    # across sessions, here the CLI's own move (the dashboard's archive was undone)
    ev = Workspace.open(ws.root).board.undo(by="operator")
    assert ev.card == card_cli.id and ev.src == {"agent": "slash", "column": "review"}
    assert ev.dst == {"agent": "bjork", "column": "doing"}
    assert describe(ev) == (f"undo: {card_cli.id} \u201cmoved by the CLI\u201d: slash/review \u2192 bjork/doing")
    sessions = {e.session for e in ws.board.audit()[0]}
    assert len(sessions) == 4 and None not in sessions  # setup, CLI, dashboard, the second CLI


def test_undo_of_an_edit_and_the_words_for_each_effect(ws: Workspace) -> None:
    card = ws.board.add("bjork", "old")
    ws.board.edit_title(card.id, "new")
    ev = ws.board.undo()
    assert ws.board.get(card.id).title == "old"
    assert describe(ev) == f"undo: {card.id}: title \u201cnew\u201d \u2192 \u201cold\u201d"
    ws.board.redo()
    assert ws.board.get(card.id).title == "new"
    ws.board.archive(card.id)
    assert describe(ws.board.undo()) == f"undo: {card.id} \u201cnew\u201d: archive \u2192 bjork/backlog"
    assert describe(ws.board.redo()) == f"redo: {card.id} \u201cnew\u201d: bjork/backlog \u2192 archive"


def test_undo_of_an_archive_is_refused_when_someone_restored_it(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    ws.board.archive(card.id)
    ws.board.new_session().restore(card.id)
    with pytest.raises(CardError, match="back on the board"):
        ws.board.undo()
