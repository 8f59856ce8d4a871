"""Class 6: no path from data leaves the workspace: card refs, symlinked agent directories, [ports] file."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest
from hostile_files import cli, one_line_error

from catalyst_tui.core import storage
from catalyst_tui.core.board import IndexFile, archive
from catalyst_tui.core.cardview import card_details
from catalyst_tui.core.errors import CardError
from catalyst_tui.core.models import CardRefs
from catalyst_tui.core.workspace import Workspace

SECRET = "top secret outside the workspace\n"


def _outside(ws: Workspace) -> Path:
    out = ws.root.parent / "outside"
    out.mkdir(exist_ok=True)
    (out / "secret.md").write_text(SECRET)
    return out


def _set_refs(ws: Workspace, card_id: str, **refs: str) -> None:
    """Rewrite the index as a hostile writer would: the card's refs point wherever it likes."""
    idx = msgspec.json.decode(ws.board.index_path.read_bytes(), type=IndexFile)
    card = idx.cards[card_id]
    idx.cards[card_id] = msgspec.structs.replace(card, refs=msgspec.structs.replace(card.refs, **refs))
    storage.atomic_write_bytes(ws.board.index_path, msgspec.json.encode(idx))


def _hostile_refs(ws: Workspace) -> list[str]:
    out = _outside(ws)
    os.symlink(out / "secret.md", ws.root / "agents" / "bjork" / "cards" / "link.md")
    os.symlink(out, ws.root / "agents" / "bjork" / "outdir")
    return ["../outside/secret.md", str(out / "secret.md"), "agents/bjork/../../../outside/secret.md",
            "agents/bjork/cards/link.md", "agents/bjork/outdir/secret.md"]


def test_card_show_refuses_a_body_outside(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    card = ws.board.add("bjork", "innocent")
    for rel in _hostile_refs(ws):
        _set_refs(ws, card.id, body=rel)
        for argv in (["card", "show", card.id], ["card", "show", card.id, "--json"]):
            code, out, err = cli(capsys, *argv, "-w", str(ws.root))
            assert code == 1 and "secret" not in out, (rel, out)
            one_line_error(err, rel)
            assert "workspace" in err or "symbolic link" in err


def test_card_detail_screen_refuses_a_body_or_log_outside(ws: Workspace) -> None:
    card = ws.board.add("bjork", "innocent")
    for rel in _hostile_refs(ws):
        _set_refs(ws, card.id, body=rel, log=rel)
        det = card_details(ws.board, ws.board.get(card.id))  # the card screen and `card show` both
        assert "secret" not in (det.body or "") and det.worklog == []
        assert len(det.problems) == 2, det.problems
        assert all(p.startswith(rel) and ("workspace" in p or "symbolic link" in p) for p in det.problems)


def test_a_body_inside_is_still_shown(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    card = ws.board.add("bjork", "fine", body="# fine\nline two\n")
    code, out, _ = cli(capsys, "card", "show", card.id, "-w", str(ws.root))
    assert code == 0 and "line two" in out
    assert card.refs == CardRefs(body=f"agents/bjork/cards/{card.id}.md", log="agents/bjork/worklog.jsonl")


@pytest.mark.parametrize("link", ["agents/bjork", "agents/bjork/cards"])
def test_card_add_through_a_symlinked_agent_directory(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                      link: str) -> None:
    out = _outside(ws)
    target = ws.root / link
    for p in sorted(target.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    target.rmdir()
    os.symlink(out, target)
    before = sorted(p.name for p in out.iterdir())
    code, _, err = cli(capsys, "card", "add", "bjork", "t", "-w", str(ws.root))
    assert code == 1
    one_line_error(err, "symbolic link")
    assert sorted(p.name for p in out.iterdir()) == before  # nothing written outside
    assert ws.board.load().cards == {}  # and no card without its body


@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlinked-dir"])
def test_ports_file_outside_the_workspace(ws: Workspace, capsys: pytest.CaptureFixture[str], where: str) -> None:
    out = _outside(ws)
    (out / "PORTS.md").write_bytes(ws.ports_path.read_bytes())
    before = (out / "PORTS.md").read_bytes()
    value = {"absolute": str(out / "PORTS.md"), "dotdot": "../outside/PORTS.md", "symlinked-dir": "docs/PORTS.md"}
    if where == "symlinked-dir":
        os.symlink(out, ws.root / "docs")
    toml = ws.root / "catalyst.toml"
    toml.write_text(toml.read_text().replace('file = "PORTS.md"', f'file = "{value[where]}"'))
    assert value[where] in toml.read_text()
    code, _, err = cli(capsys, "ports", "add", "3140", "x", "--class", "hub", "--owner", "hub", "-w", str(ws.root))
    assert code == 2  # the configuration is refused: no usable workspace
    one_line_error(err, "[ports] file", "workspace")
    assert (out / "PORTS.md").read_bytes() == before


def test_ports_md_symlinked_out_is_not_read(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    out = _outside(ws)
    (out / "PORTS.md").write_bytes(ws.ports_path.read_bytes())
    ws.ports_path.unlink()
    os.symlink(out / "PORTS.md", ws.ports_path)
    before = (out / "PORTS.md").read_bytes()
    code, _, err = cli(capsys, "ports", "add", "3140", "x", "--class", "hub", "--owner", "hub", "-w", str(ws.root))
    assert code == 1
    one_line_error(err, "symbolic link")
    assert (out / "PORTS.md").read_bytes() == before


def test_a_symlinked_archive_directory_takes_no_card_out(ws: Workspace) -> None:
    """The tenant owns agents/<name>/: its archive directory pointed elsewhere must not receive cards."""
    out = ws.root.parent / "elsewhere"
    out.mkdir()
    card = ws.board.add("bjork", "keep me")
    os.symlink(out, ws.root / "agents" / "bjork" / "archive")
    with pytest.raises(CardError) as refused:
        ws.board.archive(card.id)
    assert "symbolic link" in str(refused.value) and "\n" not in str(refused.value)
    assert os.listdir(out) == []  # nothing written outside
    assert ws.board.find(card.id) == (card, False)  # and the card is still on the board
    (out / "cards-2026-01.jsonl").write_bytes(b"")
    listed = archive.read(ws.root, ["bjork"])
    assert listed.cards == {} and any("symbolic link" in u for u in listed.unreadable)
