"""``snapshot restore --into``: a non-empty directory (a live workspace above all) is refused
unless ``--force``; then the files it replaces are kept aside first and the command says where."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from snaphelpers import tree, write

from catalyst_tui.core import storage
from catalyst_tui.core.snapshot import Mirror, SnapshotError, push, restore_into
from catalyst_tui.core.snapshot.targets import FileTarget
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "catalyst_tui", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def pushed(make_ws: Make, tmp_path: Path) -> tuple[Workspace, Path]:
    ws = make_ws({"data/a": b"old a", "data/b": b"old b"})
    ws.board.add("bjork", "pushed card")
    push(ws, f"file://{tmp_path / 'm'}")
    return ws, tmp_path / "m"


def test_restore_into_a_live_workspace_is_refused_and_changes_nothing(pushed) -> None:  # type: ignore[no-untyped-def]
    ws, m = pushed
    ws.board.add("bjork", "newer card")
    before = tree(ws.root, skip=(".catalyst", "board/index.lock"))
    out = cli("snapshot", "restore", str(m), "--into", str(ws.root))
    assert out.returncode == 1 and out.stderr.count("\n") == 1
    assert "a workspace (catalyst.toml)" in out.stderr and "--force" in out.stderr
    assert tree(ws.root, skip=(".catalyst", "board/index.lock")) == before


def test_restore_into_any_non_empty_directory_is_refused(pushed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, m = pushed
    into = tmp_path / "somewhere"
    into.mkdir()
    (into / "notes.txt").write_text("mine")
    with pytest.raises(SnapshotError, match="not empty; refusing"):
        restore_into(Mirror(FileTarget(m)), into)
    assert [p.name for p in into.iterdir()] == ["notes.txt"]
    (into / "notes.txt").unlink()
    assert restore_into(Mirror(FileTarget(m)), into).aside is None  # an empty directory is fine


def test_force_keeps_every_replaced_file_aside_and_says_where(pushed) -> None:  # type: ignore[no-untyped-def]
    ws, m = pushed
    newer = ws.board.add("bjork", "newer card")
    write(ws.root, "data/a", b"new a")
    write(ws.root, "data/only-here", b"not in the snapshot")
    index_before = ws.board.index_path.read_bytes()
    out = cli("snapshot", "restore", str(m), "--into", str(ws.root), "--force", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    aside = Path(report["aside"])
    assert aside.parent == ws.root / ".catalyst" and aside.name.startswith("restore-aside-")
    assert report["kept_aside"] >= 3  # the index, catalyst.toml, PORTS.md, data/a, data/b ...
    assert (aside / "board" / "index.json").read_bytes() == index_before
    assert (aside / "data" / "a").read_bytes() == b"new a"
    assert (ws.root / "data" / "a").read_bytes() == b"old a"  # restored
    assert (ws.root / "data" / "only-here").read_bytes() == b"not in the snapshot"  # not touched
    assert newer.id not in Workspace.open(ws.root).board.load().cards
    human = cli("snapshot", "restore", str(m), "--into", str(ws.root), "--force")
    assert human.returncode == 0 and "kept in " in human.stdout and ".catalyst/restore-aside-" in human.stdout


def test_force_waits_for_the_index_lock_of_the_workspace(pushed) -> None:  # type: ignore[no-untyped-def]
    ws, m = pushed
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with storage.locked(ws.board.lock_path):
            held.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    started = time.monotonic()
    timer = threading.Timer(0.5, release.set)
    timer.start()
    try:
        done = restore_into(Mirror(FileTarget(m)), ws.root, force=True)
    finally:
        release.set()
        t.join()
    assert time.monotonic() - started >= 0.4  # it did not write while a card write held the lock
    assert done.record is not None


def test_a_restored_index_never_gets_back_the_changes_it_went_back_past(make_ws: Make, tmp_path: Path) -> None:
    """The journal's events newer than the restored index, and the last good copy (``.bak``)
    of the index the restore replaced, belong to the timeline the restore abandoned: the
    fallback path (last good copy + journal) must not bring them back, nor reuse their seqs."""
    ws = make_ws()
    a = ws.board.add("bjork", "card A")
    b = ws.board.add("bjork", "card B")
    push(ws, f"file://{tmp_path / 'm'}")
    restored = {c.id: c.column for c in ws.board.load().cards.values()}
    ws.board.move(a.id, "doing")
    ws.board.move(b.id, "done")
    ws.board.move(a.id, "review")
    done = restore_into(Mirror(FileTarget(tmp_path / "m")), ws.root, force=True)
    assert done.aside is not None and (done.aside / "board/index.json.bak").is_file()  # the old copy kept aside
    assert {c.id: c.column for c in Workspace.open(ws.root).board.load().cards.values()} == restored
    (ws.root / "board/index.json").write_bytes(b"{broken")  # the fallback path, before any write
    view = Workspace.open(ws.root).board.load()
    assert view.fallback and {c.id: c.column for c in view.cards.values()} == restored
    storage.atomic_write_bytes(ws.root / "board/index.json", (ws.root / "board/index.json.bak").read_bytes())
    board = Workspace.open(ws.root).board
    board.move(a.id, "done")  # the next write takes the seq after the restored one
    (ws.root / "board/index.json").write_bytes(b"{broken")
    view = Workspace.open(ws.root).board.load()
    assert {c.id: c.column for c in view.cards.values()} == {**restored, a.id: "done"}
    assert [e.action for e in Workspace.open(ws.root).board.history(b.id)] == ["add"]


def test_a_restore_over_a_journal_sealed_since_reads_no_event_twice(make_ws: Make, tmp_path: Path) -> None:
    """The snapshot's live journal was sealed into a segment after the push: restored with
    ``--force``, that segment (and any newer one) belongs to the abandoned timeline; left in
    place, its events would be read again beside the restored live file's."""
    ws = make_ws()
    ws.config = msgspec.structs.replace(ws.config, snapshot=msgspec.structs.replace(ws.config.snapshot,
                                                                                   include_logs=True))
    a = ws.board.add("bjork", "card A")
    push(ws, f"file://{tmp_path / 'm'}")
    ws.board.journal_rotate_bytes = 1  # each write from now on seals the live file first
    ws.board.move(a.id, "doing")
    ws.board.move(a.id, "review")
    assert len(ws.board.journal.segments()) == 2
    done = restore_into(Mirror(FileTarget(tmp_path / "m")), ws.root, force=True)
    board = Workspace.open(ws.root).board
    assert [e.action for e in board.history(a.id)] == ["add"]
    events = board.audit()[0]
    assert len({e.id for e in events}) == len(events)
    assert board.journal.segments() == []
    assert done.aside is not None and (done.aside / "board/audit-000001.jsonl").is_file()  # kept aside, not lost


@pytest.mark.parametrize("path", [".catalyst/janitor/journal.jsonl", ".catalyst/snapshot-state.json",
                                  "board/index.lock", "catalyst.toml.lock"])
def test_a_manifest_naming_internal_files_or_locks_is_refused(pushed, tmp_path: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    """No snapshot of ours holds them: restored, ``.catalyst/`` files would be the runtime's and
    the janitor's own state (its journal drives its recovery), and a lock replaced by a rename
    while it is held lets two writers in at once."""
    from catalyst_tui.core.snapshot import POINTER, FileEntry, Record, canonical, manifest_bytes, sha256_hex
    from catalyst_tui.core.snapshot.mirror import manifest_key, object_key

    _ws, m = pushed
    target = FileTarget(m)
    mirror = Mirror(target)
    cur = mirror.current()
    assert cur is not None
    entries = mirror.manifest(cur.id)
    body = b'{"forged": true}\n'
    target.write_bytes(object_key(sha256_hex(body)), body)
    forged = manifest_bytes([*entries, FileEntry(path, len(body), sha256_hex(body))])
    target.write_bytes(manifest_key(sha256_hex(forged)), forged)
    rec = Record(sha256_hex(forged), cur.generation, cur.seq + 1, cur.created, len(entries) + 1, cur.size + len(body))
    target.write_bytes(POINTER, canonical(rec.to_json()))
    into = tmp_path / "fresh"
    with pytest.raises(SnapshotError, match="refused"):
        restore_into(mirror, into)
    assert not (into / path).exists()
    assert any(path in p for p in mirror.verify())


def test_a_snapshot_never_holds_the_writers_locks(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/Cargo.lock": b"a user's lock file: data"}, extra_include=("board/**", "data/**"))
    ws.board.add("bjork", "a card")  # board/index.lock exists from here on
    assert (ws.root / "board/index.lock").exists()
    push(ws, f"file://{tmp_path / 'm'}")
    mirror = Mirror(FileTarget(tmp_path / "m"))
    rec = mirror.current()
    assert rec is not None
    paths = {e.path for e in mirror.manifest(rec.id)}
    assert "board/index.json" in paths and "data/Cargo.lock" in paths
    assert "board/index.lock" not in paths
    restore_into(mirror, tmp_path / "again")  # and it restores
    assert (tmp_path / "again/data/Cargo.lock").read_bytes() == b"a user's lock file: data"


def test_the_files_kept_aside_never_go_through_a_symlinked_internal_dir(pushed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws, m = pushed
    write(ws.root, "data/a", b"newer a")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    internal = ws.root / ".catalyst"
    internal.rename(tmp_path / "internal-was")
    internal.symlink_to(outside)  # planted by anyone who can write the workspace
    with pytest.raises(SnapshotError, match="symbolic link"):
        restore_into(Mirror(FileTarget(m)), ws.root, force=True)
    assert list(outside.iterdir()) == []
    assert (ws.root / "data/a").read_bytes() == b"newer a"  # refused before any file was replaced
