"""``card list --all``, ``card show`` of an archived card, ``card restore``, ``card undo|redo --by``."""

from __future__ import annotations

import orjson
import pytest

from catalyst_tui.cli import main
from catalyst_tui.core.workspace import Workspace


def run(capsys: pytest.CaptureFixture[str], ws: Workspace, *argv: str) -> tuple[int, str, str]:
    try:
        code = main([*argv, "--workspace", str(ws.root)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_archived_cards_are_listed_shown_and_restored(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    live = ws.board.add("bjork", "live one")
    gone = ws.board.add("slash", "gone \x1b]0;pwned\x07 one", "done")
    ws.board.archive(gone.id)
    code, out, _ = run(capsys, ws, "card", "list")
    assert code == 0 and live.id in out and gone.id not in out
    code, out, _ = run(capsys, ws, "card", "list", "--all")
    assert code == 0 and gone.id in out and "[archived]" in out and "\x1b" not in out
    code, out, _ = run(capsys, ws, "card", "list", "--all", "--json")
    cards = {c["id"]: c["archived"] for c in orjson.loads(out)["cards"]}
    assert cards == {live.id: False, gone.id: True}
    code, out, _ = run(capsys, ws, "card", "show", gone.id, "--json")
    data = orjson.loads(out)
    assert data["card"]["archived"] is True and [h["action"] for h in data["history"]] == ["add", "archive"]
    code, out, _ = run(capsys, ws, "card", "restore", gone.id)
    assert code == 0 and out.startswith(f"{gone.id} ") and "archive \u2192 slash/done" in out
    assert "\x1b" not in out and "\\x1b" in out  # the untrusted title is shown, not obeyed
    assert ws.board.get(gone.id).column == "done"
    code, _, err = run(capsys, ws, "card", "restore", gone.id)
    assert code == 1 and "not archived" in err and len(err.strip().splitlines()) == 1


def test_cli_undo_by_actor_says_which_card(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    a = ws.board.add("bjork", "first")
    b = ws.board.add("bjork", "second")
    assert run(capsys, ws, "card", "move", a.id, "todo")[0] == 0
    assert run(capsys, ws, "card", "move", b.id, "doing", "--by", "bjork")[0] == 0
    code, out, _ = run(capsys, ws, "card", "undo")  # --by operator: a's move, not bjork's
    assert code == 0 and out.strip() == f"undo: {a.id} \u201cfirst\u201d: bjork/todo \u2192 bjork/backlog"
    code, out, _ = run(capsys, ws, "card", "undo", "--by", "bjork")
    assert code == 0 and b.id in out and "bjork/doing \u2192 bjork/backlog" in out
    code, out, _ = run(capsys, ws, "card", "redo")
    assert code == 0 and out.startswith(f"redo: {a.id}")
    assert ws.board.get(a.id).column == "todo" and ws.board.get(b.id).column == "backlog"
    code, _, err = run(capsys, ws, "card", "redo")
    assert code == 1 and "nothing to redo for operator" in err
