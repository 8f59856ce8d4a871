"""The audit journal and the index change together or not at all; nothing acknowledged is lost."""

from __future__ import annotations

import os

import orjson
import pytest

from catalyst_tui.core.errors import CardError
from catalyst_tui.core.workspace import Workspace


def _tear(ws: Workspace, junk: bytes = b'{"id": "e-torn", "ts": 1.0, "by": "op') -> None:
    """A writer killed mid-append: the journal ends without a newline."""
    with open(ws.board.audit_path, "ab") as fh:
        fh.write(junk)


def test_an_append_never_lands_on_a_torn_last_line(ws: Workspace) -> None:
    card = ws.board.add("bjork", "a")
    _tear(ws)
    ws.board.move(card.id, "todo")
    _tear(ws, b"\x00\xff garbage")
    ws.board.move(card.id, "doing")
    events, errors = ws.board.audit()
    assert [(e.action, e.dst) for e in events if e.card == card.id] == [
        ("add", {"agent": "bjork", "column": "backlog"}),
        ("move", {"agent": "bjork", "column": "todo"}),
        ("move", {"agent": "bjork", "column": "doing"})]
    assert len(errors) == 2 and all("malformed" in str(e) for e in errors)  # the torn bytes: reported, kept
    assert b"garbage" in ws.board.audit_path.read_bytes()


def test_fallback_after_a_torn_line_keeps_the_next_event(ws: Workspace) -> None:
    a = ws.board.add("bjork", "a")
    b = ws.board.add("slash", "b")
    _tear(ws)
    ws.board.move(b.id, "review")  # acknowledged; the backup does not have it yet
    ws.board.index_path.write_bytes(b'{"version": 2, "cards": {')  # then the index is corrupted
    view = ws.board.load()
    assert view.fallback and view.cards[b.id].column == "review"
    ws.board.move(a.id, "todo")  # the repair write
    view = ws.board.load()
    assert view.fallback is None
    assert view.cards[b.id].column == "review" and view.cards[a.id].column == "todo"


def test_replay_goes_by_seq_not_by_clock(ws: Workspace) -> None:
    card = ws.board.add("bjork", "a")
    ws.board.move(card.id, "todo")
    ws.board.clock = lambda: 1.0  # the wall clock jumped back (NTP): events older than the backup
    ws.board.move(card.id, "doing")
    ws.board.index_path.write_bytes(b"garbage")
    assert ws.board.load().cards[card.id].column == "doing"


@pytest.mark.parametrize("op", ["add", "move", "edit", "archive"])
def test_unwritable_journal_leaves_the_index_unchanged(ws: Workspace, op: str) -> None:
    card = ws.board.add("bjork", "a")
    before = ws.board.index_path.read_bytes()
    ws.board.audit_path.unlink()
    ws.board.audit_path.mkdir()  # a directory where the journal should be
    bodies = set((ws.root / "agents/bjork/cards").iterdir())
    with pytest.raises(CardError, match=r"audit\.jsonl: cannot append to the audit journal"):
        {"add": lambda: ws.board.add("bjork", "b"),
         "move": lambda: ws.board.move(card.id, "todo"),
         "edit": lambda: ws.board.edit_title(card.id, "x"),
         "archive": lambda: ws.board.archive(card.id)}[op]()
    assert ws.board.index_path.read_bytes() == before
    assert set((ws.root / "agents/bjork/cards").iterdir()) == bodies  # no body of a card that is not there
    assert not (ws.root / "agents/bjork/archive").exists()


def test_unwritable_journal_through_the_cli(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    from catalyst_tui.cli import main

    ws.board.audit_path.unlink(missing_ok=True)
    ws.board.audit_path.mkdir()
    assert main(["card", "add", "bjork", "t", "--workspace", str(ws.root)]) == 1
    err = capsys.readouterr().err
    assert "audit.jsonl" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert ws.board.load().cards == {}


def test_a_failed_index_write_voids_its_journaled_events(ws: Workspace) -> None:
    card = ws.board.add("bjork", "a")

    def fail(step: str) -> None:
        if step == "backup":
            raise OSError(28, "No space left on device")

    ws.board.step_hook = fail
    with pytest.raises(CardError, match=r"cannot write the index.*nothing changed"):
        ws.board.move(card.id, "todo")
    ws.board.step_hook = None
    assert ws.board.get(card.id).column == "backlog"
    raw = [orjson.loads(line) for line in ws.board.audit_path.read_bytes().splitlines()]
    assert raw[-2]["action"] == "move" and raw[-1]["action"] == "abort" and raw[-1]["seq"] == raw[-2]["seq"]
    assert [e.action for e in ws.board.audit()[0]] == ["add"]
    ws.board.move(card.id, "doing")  # the same seq again, after the abort: kept
    assert [e.action for e in ws.board.audit()[0]] == ["add", "move"]


def test_events_journaled_by_a_killed_writer_are_voided_by_the_next(ws: Workspace) -> None:
    card = ws.board.add("bjork", "a")
    seq = ws.board.load().seq
    # what a writer killed after its journal append and before its index write leaves
    phantom = {"id": "e-x", "ts": 2.0, "by": "operator", "action": "move", "card": card.id,
               "src": {"agent": "bjork", "column": "backlog"}, "dst": {"agent": "bjork", "column": "done"},
               "seq": seq + 1}
    with open(ws.board.audit_path, "ab") as fh:
        fh.write(orjson.dumps(phantom) + b"\n")
    assert [e.action for e in ws.board.audit()[0]] == ["add"]  # readers: not committed
    ws.board.move(card.id, "todo")  # heals (abort), then writes seq + 1 itself
    events = ws.board.audit()[0]
    assert [(e.action, e.dst) for e in events][-1] == ("move", {"agent": "bjork", "column": "todo"})
    assert "e-x" not in {e.id for e in events}
    ws.board.index_path.write_bytes(b"x")  # and a fallback does not apply the voided move either
    assert ws.board.load().cards[card.id].column == "todo"


def test_set_aside_names_of_corrupt_indexes_are_unique(ws: Workspace) -> None:
    ws.board.clock = lambda: 1_767_225_600.0  # both in the same second
    card = ws.board.add("bjork", "a")
    ws.board.index_path.write_bytes(b"first corrupt")
    ws.board.move(card.id, "todo")
    ws.board.index_path.write_bytes(b"second corrupt")
    ws.board.move(card.id, "doing")
    kept = sorted(ws.board.dir.glob("index.json.corrupt-*"))
    assert sorted(p.read_bytes() for p in kept) == [b"first corrupt", b"second corrupt"]
    assert ws.board.get(card.id).column == "doing"


def test_a_missing_index_never_restarts_the_board_from_nothing(ws: Workspace) -> None:
    a = ws.board.add("bjork", "a")
    b = ws.board.add("bjork", "b")
    os.unlink(ws.board.index_path)
    ws.board.move(b.id, "todo")
    assert set(ws.board.load().cards) == {a.id, b.id}


def test_every_transaction_the_index_never_reached_is_voided_not_only_the_last(ws: Workspace) -> None:
    """Two phantom transactions above the index's seq (a sequence that went back leaves such a
    tail): both are voided. Voiding only the last let the older one count as committed once the
    index reached its seq again: a move nobody made in the card's history, and in a fallback."""
    card = ws.board.add("bjork", "a")
    seq = ws.board.load().seq

    def phantom(eid: str, s: int, column: str) -> bytes:
        return orjson.dumps({"id": eid, "ts": 2.0, "by": "operator", "action": "move", "card": card.id,
                             "src": {"agent": "bjork", "column": "backlog"},
                             "dst": {"agent": "bjork", "column": column}, "seq": s}) + b"\n"

    with open(ws.board.audit_path, "ab") as fh:
        fh.write(phantom("e-one", seq + 1, "done") + phantom("e-two", seq + 2, "review"))
    ws.board.move(card.id, "todo")  # seq + 1
    ws.board.move(card.id, "doing")  # seq + 2
    history = ws.board.history(card.id)
    assert not {"e-one", "e-two"} & {e.id for e in history}
    assert [e.dst["column"] for e in history if e.dst] == ["backlog", "todo", "doing"]


def test_a_fallback_continues_the_sequence_past_events_it_could_not_apply(ws: Workspace) -> None:
    """The fallback's seq is the last committed event's, applied or not: the next writer does not
    take that event for a killed writer's and void it."""
    card = ws.board.add("bjork", "a")
    ws.board.add("bjork", "b")  # the backup now holds card a
    seq = ws.board.load().seq
    # a committed event that changes nothing when re-applied (a restore of a card that is live)
    ghost = {"id": "e-noop", "ts": 3.0, "by": "operator", "action": "restore", "card": card.id,
             "dst": {"agent": "bjork", "column": "backlog"}, "seq": seq + 1, "title": "a"}
    with open(ws.board.audit_path, "ab") as fh:
        fh.write(orjson.dumps(ghost) + b"\n")
    ws.board.backup_path.unlink()
    os.link(ws.board.index_path, ws.board.backup_path)  # the last good copy: seq, the event is newer
    ws.board.index_path.unlink()  # (a new file: the backup is another name of this one)
    ws.board.index_path.write_bytes(b"{corrupt")
    assert ws.board.load().seq == seq + 1
    ws.board.move(card.id, "todo")  # repairs the index from the fallback, as seq + 2
    assert "e-noop" in {e.id for e in ws.board.history(card.id)}
    assert ws.board.load().seq == seq + 2
