"""The audit journal in segments: sealed past a size, every reader sees every event it needs,
undo/redo, history and the fallback agree across a rotation (a tiny rotation size here)."""

from __future__ import annotations

import orjson
import pytest

from catalyst_tui.core.board import Board
from catalyst_tui.core.board import journal as journal_mod
from catalyst_tui.core.board.journal import AuditJournal, abort_event
from catalyst_tui.core.models import AuditEvent
from catalyst_tui.core.workspace import Workspace

TINY = 600  # bytes: two or three events a segment


def board(ws: Workspace, **kw: object) -> Board:
    return Board(ws.root, ws.board.columns, ws.board.agents, journal_rotate_bytes=TINY, **kw)  # type: ignore[arg-type]


def raw_events(ws: Workspace) -> list[dict]:
    """Every line of every segment and of the live file, in order (no reader's logic)."""
    j = AuditJournal(ws.board.audit_path)
    files = [p for _, p in j.segments()] + ([j.path] if j.path.exists() else [])
    return [orjson.loads(line) for f in files for line in f.read_bytes().splitlines() if line.strip()]


def test_segments_are_sealed_with_summaries_and_read_back_whole(ws: Workspace) -> None:
    b = board(ws)
    a = b.add("bjork", "first")
    c = b.add("slash", "second")
    for i in range(6):
        b.move(a.id, "doing" if i % 2 == 0 else "todo")
    b.edit_title(c.id, "second, renamed")
    b.archive(c.id)
    b.restore(c.id)
    j = b.journal
    segs = j.segments()
    assert len(segs) >= 3 and [n for n, _ in segs] == list(range(1, len(segs) + 1))
    for n, path in segs:  # each sealed segment has its summary, and it tells the truth
        summary = orjson.loads(j.summary_path(n).read_bytes())
        lines = [orjson.loads(x) for x in path.read_bytes().splitlines()]
        assert summary["events"] == len(lines)
        assert summary["cards"] == sorted({x["card"] for x in lines if x["card"]})
        assert summary["max_seq"] == max(x["seq"] for x in lines)
    read, errors = j.read()
    assert not errors and [e.id for e in read] == [x["id"] for x in raw_events(ws)]
    # one card's history: the same events as a filter of the whole journal, in order
    for card in (a.id, c.id):
        assert [e.id for e in b.history(card)] == [e.id for e in read if e.card == card]
    assert [e.action for e in b.history(c.id)] == ["add", "edit", "archive", "restore"]


def test_undo_redo_and_undo_by_an_actor_across_a_rotation(ws: Workspace) -> None:
    b = board(ws)
    card = b.add("bjork", "routed")
    b.move(card.id, "doing", by="bob")  # bob's only action: soon in an old segment
    other = b.add("slash", "noise")
    for i in range(8):  # others' moves push bob's event into a sealed segment
        b.move(other.id, "doing" if i % 2 == 0 else "todo", by="eve")
    segs = b.journal.segments()
    assert len(segs) >= 2
    holding_bob = [n for n, _ in segs if "bob" in orjson.loads(b.journal.summary_path(n).read_bytes())["by"]]
    assert holding_bob and holding_bob[-1] < segs[-1][0]  # bob is not in the newest segments
    cli = board(ws)  # another session, as `card undo --by bob`
    ev = cli.undo(by="bob")
    assert ev.card == card.id and ev.dst == {"agent": "bjork", "column": "backlog"}
    assert b.get(card.id).column == "backlog"
    assert board(ws).redo(by="bob").dst == {"agent": "bjork", "column": "doing"}
    assert b.get(card.id).column == "doing"
    # this session's own undo (in memory) still steps through its moves after the rotations
    assert b.undo().card == other.id and b.get(other.id).column == "doing"


def test_an_abort_in_a_skipped_segment_still_voids_its_events(ws: Workspace) -> None:
    j = AuditJournal(ws.board.audit_path, rotate_bytes=1)

    def ev(n: int, card: str, seq: int) -> AuditEvent:
        return AuditEvent(id=f"e-{n}", ts=float(n), by="operator", action="move", card=card, seq=seq,
                          src={"agent": "bjork", "column": "todo"}, dst={"agent": "bjork", "column": "doing"})

    j.append([ev(1, "c-a", 5)])  # seq 5: later voided (as a snapshot restore voids what it rolled back)
    assert j.seal() == 1
    j.append([ev(2, "c-b", 6)])
    j.append([abort_event(5, 3.0)])  # in segment 2, which holds nothing of c-a
    assert j.seal() == 2
    j.append([ev(4, "c-a", 5)])  # seq 5 again, after the abort: committed
    assert [e.id for e in j.read_card("c-a")[0]] == ["e-4"]
    assert [e.id for e in j.read()[0]] == ["e-2", "e-4"]
    after = j.read_after(5, 0.0)[0]  # at least everything newer than seq 5 (the live file is read whole)
    assert [e.id for e in after if e.seq is not None and e.seq > 5] == ["e-2"] and "e-1" not in [e.id for e in after]


def test_a_summary_left_by_a_killed_seal_is_replaced(ws: Workspace) -> None:
    j = AuditJournal(ws.board.audit_path, rotate_bytes=1)
    j.summary_path(1).write_bytes(b"{not json")  # killed after its summary, before its rename
    j.append([abort_event(1, 1.0)])
    assert j.read()[0] == []  # a summary of no segment is ignored
    assert j.seal() == 1
    assert orjson.loads(j.summary_path(1).read_bytes())["aborts"] == [1]


def test_a_lost_summary_means_the_segment_is_read_whole(ws: Workspace) -> None:
    b = board(ws)
    card = b.add("bjork", "x")
    for i in range(5):
        b.move(card.id, "doing" if i % 2 == 0 else "todo")
    for n, _ in b.journal.segments():
        b.journal.summary_path(n).unlink()
    assert [e.action for e in b.history(card.id)] == ["add"] + ["move"] * 5


def test_a_reader_racing_a_seal_sees_every_event(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    b = board(ws)
    card = b.add("bjork", "raced")
    for i in range(3):
        b.move(card.id, "doing" if i % 2 == 0 else "todo")
    want = [e.id for e in b.journal.read()[0]]
    real = journal_mod.read_all
    sealer = AuditJournal(ws.board.audit_path, rotate_bytes=1)
    state = {"sealed": False}

    def read_all(path, *a, **k):  # type: ignore[no-untyped-def]
        if path == sealer.path and not state["sealed"]:  # a writer seals just before the live file is read
            state["sealed"] = True
            assert sealer.seal() is not None
        return real(path, *a, **k)

    monkeypatch.setattr(journal_mod, "read_all", read_all)
    assert [e.id for e in b.journal.read()[0]] == want
    assert state["sealed"]


def test_the_fallback_replays_events_from_the_segments(ws: Workspace) -> None:
    b = board(ws)
    card = b.add("bjork", "kept")
    old_copy = b.index_path.read_bytes()  # a last good copy from before the moves below
    for i in range(5):
        b.move(card.id, "doing" if i % 2 == 0 else "review")
    b.edit_title(card.id, "kept, renamed")
    assert len(b.journal.segments()) >= 2  # the moves since that copy are in sealed segments
    b.backup_path.unlink()
    b.backup_path.write_bytes(old_copy)
    b.index_path.write_bytes(b"{corrupt")
    view = board(ws).load()
    got = view.cards[card.id]
    assert view.fallback and "6 change(s) replayed" in view.fallback
    assert (got.agent, got.column, got.title) == ("bjork", "doing", "kept, renamed")
