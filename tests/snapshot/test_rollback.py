"""The mirror cannot be rolled back quietly: the mirror (HIGH) and every reader (its memory of
the highest seq seen) refuse or flag it; forged pointers are healed by the real hub's push."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec
import orjson
import pytest
from snaphelpers import write

from catalyst_tui.core.snapshot import (
    HIGH,
    POINTER,
    Mirror,
    Record,
    RollbackRefused,
    Seen,
    SpokeRefused,
    canonical,
    load_state,
    object_key,
    push,
)
from catalyst_tui.core.snapshot.targets import FileTarget
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]
HUGE = 10**15


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "catalyst_tui", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def three(make_ws: Make, tmp_path: Path) -> tuple[Workspace, Path, list[Record]]:
    """A hub and its mirror after three pushes (seq 1, 2, 3)."""
    ws = make_ws({"data/a": b"v1"})
    m = tmp_path / "m"
    recs = [push(ws, f"file://{m}").record]
    for v in (b"v2", b"v3"):
        write(ws.root, "data/a", v)
        recs.append(push(ws, f"file://{m}").record)
    assert [r.seq for r in recs] == [1, 2, 3]
    return ws, m, recs


def put_pointer(m: Path, rec: Record) -> None:
    FileTarget(m).write_bytes(POINTER, canonical(rec.to_json()))


def test_an_older_valid_pointer_is_refused_by_verify_restore_and_from_mirror(three, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, m, recs = three
    put_pointer(m, recs[0])  # an older, valid snapshot put back
    mirror = Mirror(FileTarget(m))
    problems = mirror.verify(seen=Seen.default())
    assert len(problems) == 1 and "rollback: CURRENT is seq 1" in problems[0] and "committed seq 3" in problems[0]
    with pytest.raises(RollbackRefused, match="rollback"):
        mirror.restore(tmp_path / "out")
    assert not (tmp_path / "out" / "data").exists()  # nothing was written
    out = cli("snapshot", "verify", str(m))
    assert out.returncode == 1 and "rollback" in out.stderr
    out = cli("snapshot", "restore", str(m), "--into", str(tmp_path / "out2"))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "--accept-rollback" in out.stderr
    out = cli("--from-mirror", str(m))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "rollback" in out.stderr
    from catalyst_tui.core.snapshot import mirror_workspace

    with pytest.raises(RollbackRefused), mirror_workspace(str(m)):
        pass
    with mirror_workspace(str(m), accept_rollback=True) as ws_copy:
        assert (ws_copy.root / "data" / "a").read_bytes() == b"v1"


def test_accepting_a_rollback_warns_and_resets_what_the_reader_remembers(three, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, m, recs = three
    put_pointer(m, recs[1])
    out = cli("snapshot", "restore", str(m), "--into", str(tmp_path / "out"), "--accept-rollback")
    assert out.returncode == 0 and "warning:" in out.stderr and "(accepted)" in out.stderr
    assert (tmp_path / "out" / "data" / "a").read_bytes() == b"v2"


def test_a_reader_remembers_what_it_saw_even_when_the_mirror_forgets(three, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, m, recs = three
    seen = Seen(tmp_path / "seen.json")
    mirror = Mirror(FileTarget(m))
    assert mirror.verify(seen=seen) == []  # this reader has now seen seq 3
    target = FileTarget(m)
    for rec in recs[1:]:
        target.delete(f"refs/{rec.ref_name}")  # every trace of seq 2 and 3 removed from the mirror
    target.delete(HIGH)
    put_pointer(m, recs[0])
    assert Mirror(FileTarget(m)).verify() == []  # a reader without memory cannot tell
    with pytest.raises(RollbackRefused, match="already read seq 3"):
        mirror.restore(tmp_path / "out", seen=seen)
    forged = Record(recs[0].id, recs[0].generation, 3, recs[0].created, recs[0].files, recs[0].size)
    put_pointer(m, forged)  # the same seq, another snapshot
    assert any("pointer was replaced" in p for p in mirror.verify(seen=seen))


def test_a_forged_huge_seq_is_healed_by_the_next_push_of_an_unchanged_hub(three, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws, m, recs = three
    forged = Record(recs[0].id, recs[0].generation, HUGE, recs[0].created, recs[0].files, recs[0].size)
    data = canonical(forged.to_json())
    target = FileTarget(m)
    for key in (POINTER, HIGH, f"refs/{forged.ref_name}"):
        target.write_bytes(key, data)  # pointer, high-water mark and a ref: all forged
    reader = Seen(tmp_path / "seen.json")
    assert Mirror(target).verify(seen=reader) == []  # a reader sees the forged record as the newest
    result = push(ws, f"file://{m}")  # nothing changed on the hub
    assert not result.noop and result.record.seq == 4 and result.record.id == recs[2].id
    assert any("healed" in n and str(HUGE) in n for n in result.healed)
    mirror = Mirror(target)
    assert mirror.current() == result.record
    assert orjson.loads(target.read(HIGH))["seq"] == 4
    assert all(r.seq < HUGE for r in mirror.history())  # the forged ref is gone
    assert mirror.verify(seen=Seen(tmp_path / "fresh.json")) == []  # a new reader sees no rollback
    with pytest.raises(RollbackRefused):  # the reader that saw the forgery is told, loudly
        mirror.restore(tmp_path / "out", seen=reader)
    mirror.restore(tmp_path / "out", seen=reader, accept_rollback=True)
    assert mirror.verify(seen=reader) == []  # and is at peace from then on
    write(ws.root, "data/a", b"v5")
    assert push(ws, f"file://{m}").record.seq == 5  # later pushes go on normally
    state = load_state(ws)
    assert state is not None and state.seq == 5


def test_a_forged_seq_just_above_the_hub_is_passed_by_the_push_after(three) -> None:  # type: ignore[no-untyped-def]
    ws, m, recs = three
    forged = Record(recs[0].id, recs[0].generation, 4, recs[0].created, recs[0].files, recs[0].size)
    put_pointer(m, forged)  # what a clone of this lineage that won a race would have left
    write(ws.root, "data/a", b"v4")
    with pytest.raises(SpokeRefused, match="not above"):
        push(ws, f"file://{m}")
    assert push(ws, f"file://{m}").record.seq == 5  # 4 was reserved (and refused): the next number passes


def test_a_foreign_pointer_without_a_commit_is_healed_without_adopt(three) -> None:  # type: ignore[no-untyped-def]
    ws, m, recs = three
    other = Record(recs[0].id, "f" * 32, 7, recs[0].created, recs[0].files, recs[0].size)
    put_pointer(m, other)  # HIGH still says the mirror follows this hub
    result = push(ws, f"file://{m}")
    assert result.record.generation == recs[0].generation and any("without a commit" in n for n in result.healed)


@pytest.mark.parametrize("damage", ["bit flip", "deleted object", "deleted manifest", "high-water changed"])
def test_an_unchanged_hub_heals_a_tampered_mirror(three, damage: str) -> None:  # type: ignore[no-untyped-def]
    ws, m, recs = three
    if damage == "bit flip":  # a same-size change is seen by the pushes that re-read everything
        ws.config = msgspec.structs.replace(ws.config, snapshot=msgspec.structs.replace(
            ws.config.snapshot, full_rehash_every=1))
    target = FileTarget(m)
    cur = recs[2]
    (sha,) = {e.sha256 for e in Mirror(target).manifest(cur.id) if e.size == 2}  # data/a ("v3")
    if damage == "bit flip":
        target.write_bytes(object_key(sha), b"v4")
    elif damage == "deleted object":
        target.delete(object_key(sha))
    elif damage == "deleted manifest":
        target.delete(f"manifests/{cur.id}.json")
    else:
        target.write_bytes(HIGH, canonical(recs[1].to_json()))
    assert Mirror(target).verify() != [] or damage == "high-water changed"
    result = push(ws, f"file://{m}")
    assert not result.noop and result.record.seq == 4 and result.healed
    assert Mirror(target).verify() == []
    assert push(ws, f"file://{m}").noop  # healed: the next push is a no-op again


def test_a_same_size_bit_flip_is_healed_by_the_next_full_rehash_push(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"v1"}, full_rehash_every=3)
    url = f"file://{tmp_path / 'm'}"
    push(ws, url)
    target = FileTarget(tmp_path / "m")
    (sha,) = {e.sha256 for e in Mirror(target).manifest(push(ws, url).record.id) if e.size == 2}
    target.write_bytes(object_key(sha), b"v9")  # same size: only a re-read sees it
    assert push(ws, url).noop  # the cheap check (records, manifest, sizes) passes
    healed = push(ws, url)  # every 3rd push re-reads everything
    assert not healed.noop and healed.healed and Mirror(target).verify() == []


def test_an_intact_mirror_is_a_noop_and_the_cli_prints_healing_on_stderr(three) -> None:  # type: ignore[no-untyped-def]
    ws, m, recs = three
    assert push(ws, f"file://{m}").noop
    FileTarget(m).write_bytes(object_key(next(iter(Mirror(FileTarget(m)).manifest(recs[2].id))).sha256), b"")
    out = cli("snapshot", "push", "-w", str(ws.root), "--to", f"file://{m}")
    assert out.returncode == 0 and out.stderr.startswith("warning:") and "repair" in out.stderr
