from __future__ import annotations

import orjson
import pytest

from catalyst_tui.core.errors import CardError, InvalidAgentName
from catalyst_tui.core.workspace import Workspace


def test_add_writes_index_body_and_journal(ws: Workspace) -> None:
    card = ws.board.add("bjork", "Fix the router", "todo", by="bjork", body="details")
    view = ws.board.load()
    assert view.cards[card.id].column == "todo" and view.cards[card.id].agent == "bjork"
    assert (ws.root / card.refs.body).read_text() == "details"  # type: ignore[operator]
    events, errors = ws.board.audit()
    assert errors == [] and [(e.action, e.by, e.card) for e in events] == [("add", "bjork", card.id)]


def test_move_records_who_when_from_to(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    ev = ws.board.move(card.id, "doing", by="operator")
    assert ev.src == {"agent": "bjork", "column": "backlog"} and ev.dst == {"agent": "bjork", "column": "doing"}
    ev2 = ws.board.move(card.id, agent="slash", by="slash")
    assert ev2.dst == {"agent": "slash", "column": "doing"}
    assert [e.action for e in ws.board.history(card.id)] == ["add", "move", "move"]
    assert ws.board.get(card.id).agent == "slash"


def test_move_errors(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    with pytest.raises(CardError, match="unknown column"):
        ws.board.move(card.id, "nowhere")
    with pytest.raises(CardError, match="unknown agent"):
        ws.board.move(card.id, agent="ghost")
    with pytest.raises(InvalidAgentName, match="invalid agent name"):
        ws.board.move(card.id, agent="../x")
    with pytest.raises(CardError, match="already in"):
        ws.board.move(card.id, "backlog")
    with pytest.raises(CardError, match="no card"):
        ws.board.move("c-nope", "todo")
    assert len(ws.board.history(card.id)) == 1


def test_undo_redo_of_operator_moves(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    ws.board.move(card.id, "todo")
    ws.board.move(card.id, "doing")
    ws.board.undo()
    assert ws.board.get(card.id).column == "todo"
    ws.board.undo()
    assert ws.board.get(card.id).column == "backlog"
    with pytest.raises(CardError, match="nothing to undo"):
        ws.board.undo()
    ws.board.redo()
    assert ws.board.get(card.id).column == "todo"
    ws.board.redo()
    assert ws.board.get(card.id).column == "doing"
    with pytest.raises(CardError, match="nothing to redo"):
        ws.board.redo()


def test_undo_ignores_other_actors_and_refuses_stale(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    ws.board.move(card.id, "todo")  # operator
    ws.board.new_session().move(card.id, "doing", by="bjork")  # the agent, in its own session, moved it on
    with pytest.raises(CardError, match="moved since"):
        ws.board.undo()
    assert ws.board.get(card.id).column == "doing"


def test_new_move_clears_redo(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    ws.board.move(card.id, "todo")
    ws.board.undo()
    ws.board.move(card.id, "review")
    with pytest.raises(CardError, match="nothing to redo"):
        ws.board.redo()


def test_titles_are_stored_literally_on_one_line(ws: Workspace) -> None:
    title = "[red]x[/red] \x1b[31mred\x1b[0m [link=http://e]l[/link]"
    card = ws.board.add("bjork", title + "\nsecond line")
    assert ws.board.get(card.id).title == title + " second line"
    with pytest.raises(CardError, match="empty"):
        ws.board.add("bjork", " \n\t ")


def test_edit_archive_and_idempotent_flags(ws: Workspace) -> None:
    card = ws.board.add("bjork", "t")
    ws.board.edit_title(card.id, "new")
    assert ws.board.get(card.id).title == "new"
    assert ws.board.set_flag(card.id, "needs-review") is True
    assert ws.board.set_flag(card.id, "needs-review") is False
    assert ws.board.get(card.id).flags == ("needs-review",)
    ws.board.archive(card.id)
    assert ws.board.cards_for("bjork") == []
    with pytest.raises(CardError):
        ws.board.move(card.id, "todo")


def test_corrupt_index_falls_back_to_last_good_copy_loudly(ws: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    a = ws.board.add("bjork", "a")
    b = ws.board.add("slash", "b")
    ws.board.index_path.write_bytes(b'{"version": 1, "cards": {"c-1": {"id"')  # torn write
    view = ws.board.load()
    assert view.fallback and "corrupt" in view.fallback and "index.json.bak" in view.fallback
    # the backup predates card b; the audit journal replays it: nothing is lost
    assert set(view.cards) == {a.id, b.id}
    assert "1 change(s) replayed" in view.fallback
    assert view.cards[b.id].title == "b" and view.cards[b.id].agent == "slash"
    assert "index fallback" in caplog.text
    # the next write repairs the index and keeps the corrupt file for review
    ws.board.move(a.id, "todo")
    assert ws.board.load().fallback is None
    assert set(ws.board.load().cards) == {a.id, b.id}
    assert len(list(ws.board.dir.glob("index.json.corrupt-*"))) == 1


def test_wrong_types_in_index_fall_back(ws: Workspace) -> None:
    ws.board.add("bjork", "a")
    ws.board.add("bjork", "b")
    data = orjson.loads(ws.board.index_path.read_bytes())
    data["cards"] = {"x": {"id": 5}}
    ws.board.index_path.write_bytes(orjson.dumps(data))
    view = ws.board.load()
    assert view.fallback is not None and len(view.cards) == 2  # backup (1 card) + 1 replayed add


def test_missing_index_and_backup_is_empty_board(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from catalyst_tui.core.board import Board

    board = Board(tmp_path, ["a", "b"], ["x"])
    assert board.load().cards == {}


def test_card_order_has_one_owner_that_every_reader_shares(ws: Workspace) -> None:
    from catalyst_tui.core.board import board_order, in_column_order, next_order
    from catalyst_tui.core.cardview import list_cards
    from catalyst_tui.core.models import Card

    def card(cid: str, agent: str, column: str, order: float) -> Card:
        return Card(id=cid, agent=agent, column=column, order=order, title=cid, created=0.0, moved=0.0)

    cards = [card("c-b", "slash", "todo", 1.0), card("c-a", "slash", "todo", 1.0), card("c-x", "bjork", "nope", 0.0),
             card("c-y", "ghost", "todo", 0.0), card("c-z", "bjork", "todo", 5.0), card("c-w", "bjork", "backlog", 9.0)]
    key = board_order(["backlog", "todo"], ["bjork", "slash"])
    # lane, then column (unknown last), then order, ties by id; an unknown lane after the known ones
    assert [c.id for c in sorted(cards, key=key)] == ["c-w", "c-z", "c-x", "c-a", "c-b", "c-y"]
    assert sorted(cards[:2], key=in_column_order) == sorted(cards[:2], key=key)  # the same within a column
    assert next_order([]) == 1.0 and next_order(cards) == 10.0
    # the core's readers agree: card list (CLI, MCP) and a lane
    for title, column in [("one", "todo"), ("two", "backlog"), ("three", "todo")]:
        ws.board.add("bjork", title, column)
    listed = [c["title"] for c in list_cards(ws, "bjork")["cards"]]
    assert listed == [c.title for c in ws.board.cards_for("bjork")] == ["two", "one", "three"]


def test_card_details_read_body_history_and_worklog_tail_with_problems_not_errors(ws: Workspace) -> None:
    from catalyst_tui.core.agents import record_work
    from catalyst_tui.core.cardview import WORKLOG_TAIL_LINES, card_details, show_card

    card = ws.board.add("bjork", "t", body="details\n")
    other = ws.board.add("bjork", "u")
    for i in range(WORKLOG_TAIL_LINES + 3):
        record_work(ws.agent("bjork"), f"step {i}", card=card.id)
    record_work(ws.agent("bjork"), "not this card", card=other.id)
    with open(ws.root / card.refs.log, "ab") as fh:  # type: ignore[operator]
        fh.write(b"{torn\n")
    det = card_details(ws.board, ws.board.get(card.id))
    assert det.body == "details\n" and [e.action for e in det.history] == ["add"]
    assert [r.text for r in det.worklog] == [f"step {i}" for i in range(3, WORKLOG_TAIL_LINES + 3)]
    assert det.problems == [f"{card.refs.log}: 1 unreadable line(s) in the tail"]
    (ws.root / card.refs.body).unlink()  # type: ignore[operator]
    (ws.root / card.refs.body).mkdir()  # type: ignore[operator]
    det = card_details(ws.board, ws.board.get(card.id))  # the screen: a problem line
    assert det.body is None and any("directory" in p for p in det.problems)
    with pytest.raises(OSError):  # card show: the error (exit 1)
        show_card(ws, card.id)
    (ws.root / card.refs.body).rmdir()  # type: ignore[operator]
    shown = show_card(ws, card.id)
    assert shown["body"] is None and shown["problems"] == [f"{card.refs.log}: 1 unreadable line(s) in the tail"]
    assert [r["text"] for r in shown["worklog"]][-1] == f"step {WORKLOG_TAIL_LINES + 2}"
