"""``catalyst-tui snapshot push|verify|list|restore``: output, exit codes, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from snaphelpers import DEFAULT_INCLUDE, write

from catalyst_tui.cli import main
from catalyst_tui.core.snapshot import object_key, sha256_hex
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_push_list_verify_restore(make_ws: Make, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = make_ws({"data/a": b"alpha"})
    url = f"file://{tmp_path / 'm'}"
    code, out, _ = run(capsys, "snapshot", "push", "-w", str(ws.root), "--to", url)
    assert code == 0 and out.startswith("pushed ") and "seq 1" in out
    code, out, _ = run(capsys, "snapshot", "push", "-w", str(ws.root), "--to", url)
    assert code == 0 and out.startswith("unchanged: ")
    write(ws.root, "data/a", b"beta")
    code, out, _ = run(capsys, "snapshot", "push", "-w", str(ws.root), "--to", url, "--json")
    pushed = orjson.loads(out)
    assert code == 0 and pushed["seq"] == 2 and pushed["objects_sent"] == 1
    code, out, _ = run(capsys, "snapshot", "list", url)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[1].startswith(f"* {pushed['id'][:12]}")
    code, out, _ = run(capsys, "snapshot", "list", url, "--json")
    listed = orjson.loads(out)
    assert listed["current"]["id"] == pushed["id"] and [s["current"] for s in listed["snapshots"]] == [False, True]
    code, out, _ = run(capsys, "snapshot", "verify", url)
    assert code == 0 and out.startswith("ok: snapshot")
    first_id = listed["snapshots"][0]["id"]
    code, out, _ = run(capsys, "snapshot", "restore", url, first_id[:10], "--into", str(tmp_path / "old"))
    assert code == 0 and (tmp_path / "old" / "data" / "a").read_bytes() == b"alpha"
    code, out, _ = run(capsys, "snapshot", "restore", url, "--into", str(tmp_path / "new"), "--json")
    assert orjson.loads(out)["id"] == pushed["id"] and (tmp_path / "new" / "data" / "a").read_bytes() == b"beta"


def test_verify_fails_with_one_line_per_problem(make_ws: Make, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    ws = make_ws({"data/a": b"alpha", "data/b": b"beta"})
    url = f"file://{tmp_path / 'm'}"
    assert run(capsys, "snapshot", "push", "-w", str(ws.root), "--to", url)[0] == 0
    (tmp_path / "m" / object_key(sha256_hex(b"alpha"))).write_bytes(b"alphA")
    (tmp_path / "m" / object_key(sha256_hex(b"beta"))).unlink()
    code, out, err = run(capsys, "snapshot", "verify", url)
    assert code == 1 and out == ""
    assert sorted(line.split(": ", 1)[1] for line in err.splitlines()) == ["hash mismatch (content is "
                                                                           f"{sha256_hex(b'alphA')[:12]}...)",
                                                                           "missing"]
    code, out, _ = run(capsys, "snapshot", "verify", url, "--json")
    assert code == 1 and len(orjson.loads(out)["problems"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["snapshot", "list", "ftp://x/y"], "unsupported target scheme 'ftp'"),
        (["snapshot", "restore", "file:///nonexistent-mirror", "abc", "--into", "/tmp/x"], "no snapshot 'abc'"),
        (["snapshot", "list", "sftp://host-without-path"], "expected sftp://"),
    ],
)
def test_errors_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert err.startswith("catalyst-tui: error:") and message in err and err.count("\n") == 1


def test_verify_of_an_empty_mirror_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "snapshot", "verify", "file:///nonexistent-mirror") == (
        1, "", "file:///nonexistent-mirror: no current snapshot\n")


def test_a_restored_snapshot_keeps_the_archived_cards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.create(tmp_path / "ws")  # the default include list, as `init` writes it
    kept = ws.board.add("bjork", "still on the board")
    gone = ws.board.add("slash", "archived last week")
    ws.board.archive(gone.id)
    url = f"file://{tmp_path / 'm'}"
    assert run(capsys, "snapshot", "push", "-w", str(ws.root), "--to", url)[0] == 0
    assert run(capsys, "snapshot", "restore", url, "--into", str(tmp_path / "new"))[0] == 0
    restored = Workspace.open(tmp_path / "new")
    assert restored.board.find(kept.id)[1] is False
    card, archived = restored.board.find(gone.id)
    assert archived is True and card.title == "archived last week"
    code, out, _ = run(capsys, "card", "show", gone.id, "-w", str(restored.root), "--json")
    shown = orjson.loads(out)["card"]
    assert code == 0 and shown["title"] == "archived last week" and shown["archived"] is True


@pytest.mark.parametrize("include_logs", [False, True])
def test_an_include_list_from_before_the_archives_still_takes_them(tmp_path: Path, include_logs: bool,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A catalyst.toml written when the default include list had no archives (init writes every
    setting): the index's archives come with it all the same; with the logs, the audit journal's
    sealed segments and their summaries come too, so `card show` has the archived card's history."""
    ws = Workspace.create(tmp_path / "ws")
    toml = (ws.root / "catalyst.toml").read_text()
    old = 'include = ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json"]'
    logs = f"include_logs = {str(include_logs).lower()}"
    toml = toml.replace(DEFAULT_INCLUDE, old).replace("include_logs = false", logs)
    assert old in toml and logs in toml
    (ws.root / "catalyst.toml").write_text(toml)
    ws = Workspace.open(ws.root)
    ws.board.journal_rotate_bytes = 1  # every write seals a segment
    gone = ws.board.add("slash", "archived long ago")
    ws.board.archive(gone.id)
    ws.board.add("bjork", "a later card")
    assert ws.board.journal.segments()
    url = f"file://{tmp_path / 'm'}"
    assert run(capsys, "snapshot", "push", "-w", str(ws.root), "--to", url)[0] == 0
    assert run(capsys, "snapshot", "restore", url, "--into", str(tmp_path / "new"))[0] == 0
    restored = Workspace.open(tmp_path / "new")
    card, archived = restored.board.find(gone.id)
    assert archived is True and card.title == "archived long ago"
    history = [e.action for e in restored.board.history(gone.id)]
    assert history == (["add", "archive"] if include_logs else [])
