"""Push and spoke against a directory target (file://)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from snaphelpers import tree, write

from catalyst_tui.core.snapshot import (
    POINTER,
    Mirror,
    Record,
    SnapshotError,
    SpokeRefused,
    canonical,
    load_state,
    manifest_key,
    object_key,
    push,
    save_state,
    sha256_hex,
    state_path,
)
from catalyst_tui.core.snapshot.targets import FileTarget, TargetError, open_target
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]


def mirror_of(path: Path) -> Mirror:
    return Mirror(FileTarget(path))


def test_first_push_then_noop_then_incremental(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"a" * 100, "data/b": b"b" * 200})
    url = f"file://{tmp_path / 'mirror'}"
    first = push(ws, url)
    assert not first.noop and first.record.seq == 1
    assert first.objects_sent == first.objects_total == len(set(FileTarget(tmp_path / 'mirror').list('objects')))
    assert first.bytes_sent == first.record.size  # every object was new
    mirror = mirror_of(tmp_path / "mirror")
    assert mirror.current() == first.record
    assert mirror.verify() == []
    again = push(ws, url)
    assert again.noop and again.record == first.record and again.objects_sent == 0
    assert mirror.current() == first.record  # the pointer did not move
    write(ws.root, "data/b", b"B" * 200)
    third = push(ws, url)
    assert not third.noop and third.record.seq == 2
    assert third.objects_sent == 1 and third.bytes_sent == 200
    assert mirror.current() == third.record
    assert [r.seq for r in mirror.history()] == [1, 2]
    hub = load_state(ws)
    assert hub is not None and hub.seq == 2 and hub.generation == third.record.generation
    assert [h["seq"] for h in hub.history] == [1, 2]


def test_restore_gives_back_the_workspace_files(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": os.urandom(5000), "data/sub/b": b"bee"})
    push(ws, f"file://{tmp_path / 'm'}")
    out = tmp_path / "restored"
    rec = mirror_of(tmp_path / "m").restore(out)
    assert rec is not None
    restored = tree(out)
    original = tree(ws.root)
    assert restored == {k: v for k, v in original.items() if k in restored}
    assert {"data/a", "data/sub/b", "catalyst.toml", "board/index.json", "PORTS.md"} <= set(restored)
    assert Workspace.open(out).config.snapshot.keep == ws.config.snapshot.keep


def test_default_target_is_relative_to_the_workspace(make_ws: Make) -> None:
    ws = make_ws({"data/a": b"1"})
    result = push(ws)
    assert result.url == "file://mirror"
    assert mirror_of(ws.root / "mirror").current() == result.record


def test_retention_keeps_the_last_k_and_garbage_collects(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"0"}, keep=3)
    url = f"file://{tmp_path / 'm'}"
    records = []
    for i in range(6):
        write(ws.root, "data/a", f"content {i}".encode())
        records.append(push(ws, url).record)
    mirror = mirror_of(tmp_path / "m")
    assert [r.seq for r in mirror.history()] == [4, 5, 6]
    assert mirror.current() == records[-1]
    kept_manifests = set(FileTarget(tmp_path / "m").list("manifests"))
    assert kept_manifests == {f"{r.id}.json" for r in records[-3:]}
    objects = set(FileTarget(tmp_path / "m").list("objects"))
    assert sha256_hex(b"content 0") not in objects and sha256_hex(b"content 5") in objects
    for r in records[-3:]:
        assert mirror.verify(r.id) == []


def test_a_bit_flipped_object_is_refused_and_the_next_push_repairs_it(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"a" * 4096, "data/b": b"b" * 10})
    url = f"file://{tmp_path / 'm'}"
    first = push(ws, url)
    obj = tmp_path / "m" / object_key(sha256_hex(b"a" * 4096))
    data = bytearray(obj.read_bytes())
    data[100] ^= 0x01
    obj.write_bytes(bytes(data))
    mirror = mirror_of(tmp_path / "m")
    problems = mirror.verify()
    assert len(problems) == 1 and "hash mismatch" in problems[0]
    write(ws.root, "data/b", b"changed")
    with pytest.raises(SpokeRefused, match="hash mismatch"):
        push(ws, url)
    assert mirror.current() == first.record  # the pointer did not move
    assert not obj.exists()  # the bad object was removed ...
    repaired = push(ws, url)  # ... so the next push uploads it again
    assert repaired.record.seq > first.record.seq and mirror.verify() == []


def test_a_truncated_object_is_refused(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"a" * 4096})
    url = f"file://{tmp_path / 'm'}"
    first = push(ws, url)
    write(ws.root, "data/a", b"z" * 4096)
    target = FileTarget(tmp_path / "m")
    # Plant a truncated object with the new content's name, as a crashed upload could leave it.
    target.write_bytes(object_key(sha256_hex(b"z" * 4096)), b"z" * 4095)
    assert target.size(object_key(sha256_hex(b"z" * 4096))) == 4095
    result = push(ws, url)  # the pusher sees the wrong size and uploads it again
    assert result.objects_sent >= 1 and mirror_of(tmp_path / "m").verify() == []
    # A commit of a record whose object is truncated on the target is refused by the spoke.
    rec = result.record
    (tmp_path / "m" / object_key(sha256_hex(b"z" * 4096))).write_bytes(b"z" * 10)
    with pytest.raises(SpokeRefused, match="truncated"):
        mirror_of(tmp_path / "m").commit(Record(rec.id, rec.generation, rec.seq + 1, rec.created, rec.files,
                                                rec.size))
    assert mirror_of(tmp_path / "m").current() == rec != first.record


def test_an_older_sequence_is_refused(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    url = f"file://{tmp_path / 'm'}"
    push(ws, url)
    old_state = state_path(ws).read_bytes()
    write(ws.root, "data/a", b"2")
    second = push(ws, url)
    state_path(ws).write_bytes(old_state)  # the hub's state rolled back (restored from a backup)
    write(ws.root, "data/a", b"3")
    with pytest.raises(SpokeRefused, match="sequence 2 is not above the current 2"):
        push(ws, url)
    assert mirror_of(tmp_path / "m").current() == second.record


def test_a_foreign_generation_is_refused_unless_adopted(make_ws: Make, tmp_path: Path) -> None:
    url = f"file://{tmp_path / 'm'}"
    hub1 = make_ws({"data/a": b"one"})
    hub2 = make_ws({"data/a": b"two"})
    first = push(hub1, url)
    with pytest.raises(SpokeRefused, match="foreign generation"):
        push(hub2, url)
    assert mirror_of(tmp_path / "m").current() == first.record
    adopted = push(hub2, url, adopt=True)
    assert mirror_of(tmp_path / "m").current() == adopted.record
    assert adopted.record.generation != first.record.generation
    with pytest.raises(SpokeRefused, match="foreign generation"):
        push(hub1, url)  # now hub1 is the foreign one


def test_unknown_manifest_version_is_refused_at_commit(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    first = push(ws, f"file://{tmp_path / 'm'}")
    target = FileTarget(tmp_path / "m")
    bad = canonical({"files": [], "version": 99})
    bad_id = sha256_hex(bad)
    target.write_bytes(manifest_key(bad_id), bad)
    with pytest.raises(SpokeRefused, match="unknown manifest version 99"):
        Mirror(target).commit(Record(bad_id, first.record.generation, 5, 0.0, 0, 0))
    assert Mirror(target).current() == first.record


def test_a_manifest_that_is_not_its_id_is_refused(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    first = push(ws, f"file://{tmp_path / 'm'}")
    target = FileTarget(tmp_path / "m")
    evil = canonical({"files": [{"path": "../x", "sha256": "a" * 64, "size": 1}], "version": 1})
    fake_id = "f" * 64
    target.write_bytes(manifest_key(fake_id), evil)
    with pytest.raises(SpokeRefused, match="hash mismatch"):
        Mirror(target).commit(Record(fake_id, first.record.generation, 9, 0.0, 1, 1))
    real_id = sha256_hex(evil)
    target.write_bytes(manifest_key(real_id), evil)
    with pytest.raises(SpokeRefused, match=r"contains '\.\.'"):
        Mirror(target).commit(Record(real_id, first.record.generation, 9, 0.0, 1, 1))
    assert Mirror(target).current() == first.record


def test_a_corrupt_pointer_is_a_clear_error(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    push(ws, f"file://{tmp_path / 'm'}")
    (tmp_path / "m" / POINTER).write_bytes(b'{"version": 7}')
    with pytest.raises(SnapshotError, match="CURRENT: unknown record version 7"):
        mirror_of(tmp_path / "m").current()


def test_unreadable_hub_state_refuses_to_guess_a_generation(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    push(ws, f"file://{tmp_path / 'm'}")
    state_path(ws).write_bytes(b"{torn")
    with pytest.raises(SnapshotError, match=r"snapshot-state\.json: unreadable"):
        push(ws, f"file://{tmp_path / 'm'}")


def test_seq_reservation_survives_a_crash_after_the_switch(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    url = f"file://{tmp_path / 'm'}"
    push(ws, url)
    state = load_state(ws)
    assert state is not None
    write(ws.root, "data/a", b"2")
    second = push(ws, url)
    # Simulate a crash after the switch but before the hub recorded seq 2: only the reservation is left.
    state.reserved = 2
    save_state(ws, state)
    write(ws.root, "data/a", b"3")
    third = push(ws, url)
    assert third.record.seq == 3 > second.record.seq


def test_unsupported_scheme_and_bad_keys() -> None:
    with pytest.raises(TargetError, match="unsupported target scheme 'ftp'"):
        open_target("ftp://example/x")
    target = FileTarget(Path("/nonexistent"))
    for key in ("../x", "/abs", "a/../../b", ""):
        with pytest.raises(TargetError):
            target.read(key)


def test_pointer_record_is_canonical_json(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    rec = push(ws, f"file://{tmp_path / 'm'}").record
    data = (tmp_path / "m" / POINTER).read_bytes()
    assert data == canonical(orjson.loads(data))
    assert Record.parse(data, "x") == rec


def test_old_temp_files_of_killed_pushers_are_cleaned(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"1"})
    url = f"file://{tmp_path / 'm'}"
    push(ws, url)
    old = tmp_path / "m" / "objects" / ".abc.tmp-123-deadbeef"
    fresh = tmp_path / "m" / "objects" / ".abd.tmp-124-deadbeef"
    old.write_bytes(b"partial")
    fresh.write_bytes(b"in flight")
    os.utime(old, (1.0, 1.0))
    write(ws.root, "data/a", b"2")
    push(ws, url)
    assert not old.exists() and fresh.exists()


def test_restore_refuses_a_corrupt_object_and_leaves_no_partial_file(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"a" * 1000})
    push(ws, f"file://{tmp_path / 'm'}")
    obj = tmp_path / "m" / object_key(sha256_hex(b"a" * 1000))
    obj.write_bytes(b"b" * 1000)
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    (out / "data" / "a").write_bytes(b"previous")
    with pytest.raises(SnapshotError, match="corrupt"):
        mirror_of(tmp_path / "m").restore(out)
    assert (out / "data" / "a").read_bytes() == b"previous"
    assert not [p for p in (out / "data").iterdir() if ".tmp-" in p.name]


def test_commit_lock_of_a_live_owner_is_respected_and_a_dead_ones_broken(make_ws: Make, tmp_path: Path) -> None:
    import subprocess
    import sys

    from catalyst_tui.core.procs import hostname, process_start_time
    from catalyst_tui.core.snapshot import LOCK

    ws = make_ws({"data/a": b"1"})
    url = f"file://{tmp_path / 'm'}"
    first = push(ws, url)
    lock = tmp_path / "m" / LOCK
    live = os.getppid()
    lock.write_bytes(canonical({"host": hostname(), "pid": live, "pid_start": process_start_time(live),
                                "taken": 0.0, "token": "x"}))  # very old, but its owner is alive
    write(ws.root, "data/a", b"2")
    target = FileTarget(tmp_path / "m")
    with pytest.raises(SnapshotError, match="another push holds the commit lock"), \
            Mirror(target).commit_lock(wait_s=0.3):
        pass
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_bytes(canonical({"host": hostname(), "pid": dead.pid, "pid_start": None, "taken": 0.0,
                                "token": "y"}))
    second = push(ws, url)  # the dead owner's lock is broken
    assert second.record.seq > first.record.seq and not lock.exists()
    lock.write_bytes(canonical({"host": "elsewhere", "pid": 1, "taken": time.time(), "token": "z"}))
    with pytest.raises(SnapshotError, match="commit lock"), Mirror(target).commit_lock(wait_s=0.3):
        pass
    lock.write_bytes(canonical({"host": "elsewhere", "pid": 1, "taken": time.time() - 3600, "token": "z"}))
    with Mirror(target).commit_lock(wait_s=0.3):
        assert orjson.loads(lock.read_bytes())["host"] == hostname()


def test_a_file_rewritten_in_place_during_the_push_is_caught(make_ws: Make, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import catalyst_tui.core.snapshot.hub as push_mod

    ws = make_ws({"data/a": b"original"})
    url = f"file://{tmp_path / 'm'}"
    real = push_mod.take_snapshot

    def snapshot_then_rewrite_in_place(w: Workspace, **kw: bool) -> object:
        snap = real(w, **kw)
        with (w.root / "data" / "a").open("r+b") as fh:  # same inode: the staged hard link sees it
            fh.write(b"ORIGINAL")
        return snap

    monkeypatch.setattr(push_mod, "take_snapshot", snapshot_then_rewrite_in_place)
    with pytest.raises(SnapshotError, match="changed after it was hashed"):
        push(ws, url)
    assert mirror_of(tmp_path / "m").current() is None  # nothing half-done became current
    assert not (ws.internal_dir / "snapshot-hashes.json").exists()  # the fooled cache is dropped
    monkeypatch.setattr(push_mod, "take_snapshot", real)
    result = push(ws, url)
    out = tmp_path / "out"
    mirror_of(tmp_path / "m").restore(out)
    assert (out / "data" / "a").read_bytes() == b"ORIGINAL" and result.record.seq >= 1


def test_every_nth_push_rehashes_everything(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"original"}, full_rehash_every=3)
    url = f"file://{tmp_path / 'm'}"
    hashed = [push(ws, url).hashed_bytes for _ in range(6)]
    total = push(ws, url).record.size
    assert hashed[0] == total  # the first snapshot reads everything
    assert hashed[1] == hashed[2] == 0 and hashed[4] == hashed[5] == 0
    assert hashed[3] == total  # the 4th run (every 3rd after the first) re-reads everything


def test_restore_never_writes_through_a_link_in_the_destination(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/sub/a": b"payload"})
    push(ws, f"file://{tmp_path / 'm'}")
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "data")
    with pytest.raises(SnapshotError, match=r"escapes .* through a link"):
        mirror_of(tmp_path / "m").restore(out)
    assert list(outside.iterdir()) == []  # not even the "sub" directory was created through the link


def test_a_push_asked_to_stop_ends_before_its_commit_and_the_next_one_continues(make_ws: Make,
                                                                                 tmp_path: Path) -> None:
    from catalyst_tui.core.outcomes import read_outcomes
    from catalyst_tui.core.snapshot import PushInterrupted

    ws = make_ws({"data/a": b"a" * 100, "data/b": b"b" * 200, "data/c": b"c" * 300})
    url = f"file://{tmp_path / 'mirror'}"
    first = push(ws, url)
    write(ws.root, "data/a", b"A" * 100)
    write(ws.root, "data/b", b"B" * 200)  # two new objects
    objects = lambda: set(FileTarget(tmp_path / "mirror").list("objects"))  # noqa: E731
    before = objects()
    asked: list[int] = []

    def stop_after_one() -> str | None:
        asked.append(1)
        return "stopping" if len(asked) > 1 else None  # lets the first object go, then stops

    with pytest.raises(PushInterrupted, match=r"push stopped after [01] of \d+ objects \(stopping\)") as caught:
        push(ws, url, stop=stop_after_one)
    assert caught.value.reason == "stopping" and len(asked) == 2
    sent_by_cut = len(objects() - before)
    mirror = mirror_of(tmp_path / "mirror")
    assert mirror.current() == first.record and mirror.verify() == []  # the previous snapshot, whole
    assert not list((tmp_path / "mirror").glob("staging/*"))  # no lease left behind
    snapshot_push = {o.name: o for o in read_outcomes(ws.root, ws.config)}["snapshot_push"]
    assert snapshot_push.last_ok  # a process stopping is not a failed push
    with pytest.raises(PushInterrupted, match=r"after 0 of \d+ objects \(at its cap\)"):
        push(ws, url, stop=lambda: "at its cap")
    snapshot_push = {o.name: o for o in read_outcomes(ws.root, ws.config)}["snapshot_push"]
    assert snapshot_push.last_ok is False  # a push that cannot finish within its cap is
    done = push(ws, url)
    assert done.record.seq == 2 and done.objects_sent == 2 - sent_by_cut  # what the cut push sent is kept
    assert mirror.current() == done.record and mirror.verify() == []
