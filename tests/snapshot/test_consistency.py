"""A verified snapshot is a consistent snapshot: each file a whole version of itself, and the
index seq it is consistent with recorded in the manifest."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from snaphelpers import write

from catalyst_tui.core.snapshot import Mirror, push, take_snapshot
from catalyst_tui.core.snapshot import stage as stage_mod
from catalyst_tui.core.snapshot.targets import FileTarget
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]
AGENTS = ("bjork", "slash", "cher")

# A writer rewrites its agent's state.json by rename (the product's discipline), as fast as it
# can, with a size that changes every version: a torn read ("take the size, then read that many
# bytes of whatever is there") gives a prefix of another version, which cannot parse.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from catalyst_tui.core import storage
    path, agent, stop = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    n = 0
    while not stop.exists():
        n += 1
        storage.atomic_write_bytes(path, storage.dumps({"agent": agent, "status": "running", "n": n,
                                                        "pad": "x" * ((n * 7919) % 5000)}), durable=False)
    print(n)
""")


def expected_version(agent: str, n: int) -> bytes:
    from catalyst_tui.core import storage

    return storage.dumps({"agent": agent, "status": "running", "n": n, "pad": "x" * ((n * 7919) % 5000)})


def test_every_verified_snapshot_holds_whole_versions_while_agents_rewrite(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"start"})
    url = f"file://{tmp_path / 'm'}"
    stop = tmp_path / "stop"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(ws.root / "agents" / a / "state.json"), a,
                                 str(stop)], stdout=subprocess.PIPE, text=True) for a in AGENTS]
    ids: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not all((ws.root / "agents" / a / "state.json").exists() for a in AGENTS):
            assert time.monotonic() < deadline, "the writers never started"
            time.sleep(0.05)
        for i in range(30):
            if i % 3 == 0:
                ws.board.add("bjork", f"card {i}")  # the index moves too
            ids.append(push(ws, url).record.id)
    finally:
        stop.touch()
        written = [int(w.communicate(timeout=30)[0]) for w in writers]
    assert all(n > 100 for n in written), f"the writers barely ran: {written}"
    mirror = Mirror(FileTarget(tmp_path / "m"))
    checked = 0
    for sid in dict.fromkeys(ids):
        if not mirror.target.exists(f"manifests/{sid}.json"):
            continue  # dropped by retention (keep = 10)
        assert mirror.verify(sid) == []
        out = tmp_path / f"out-{sid[:12]}"
        mirror.restore(out, sid)
        for agent in AGENTS:
            raw = (out / "agents" / agent / "state.json").read_bytes()
            state = orjson.loads(raw)  # a torn version does not parse
            assert raw == expected_version(agent, state["n"]), f"{sid[:12]} {agent}: not a version written"
        manifest = orjson.loads(mirror.target.read(f"manifests/{sid}.json"))
        index = orjson.loads((out / "board" / "index.json").read_bytes())
        assert manifest["index_seq"] == index["seq"]  # consistent with the index it holds
        checked += 1
    assert checked >= 10


def test_the_manifest_records_the_index_seq(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/a": b"a"})
    first = take_snapshot(ws)
    ws.board.add("bjork", "one")
    second = take_snapshot(ws)
    seq = ws.board.load().seq
    assert second.index_seq == seq and first.index_seq == seq - 1
    assert orjson.loads(second.manifest)["index_seq"] == seq
    ws.board.index_path.write_bytes(b"{torn")  # an unreadable index is still snapshotted, without a seq
    assert take_snapshot(ws).index_seq is None


def test_a_file_replaced_between_scan_and_read_is_one_whole_version(make_ws: Make, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_ws({"data/a": b"v1" * 10})
    real = stage_mod.stage_whole

    def replaced_first(path: str, rel: str, st: os.stat_result, *a: object, **kw: object) -> object:
        if rel == "data/a":  # the scan saw v1's size; the file is replaced by a longer v2 now
            write(ws.root, "data/a", b"v2" * 5000)
        return real(path, rel, st, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(stage_mod, "stage_whole", replaced_first)
    import catalyst_tui.core.snapshot.manifest as manifest_mod

    monkeypatch.setattr(manifest_mod, "stage_whole", replaced_first)
    snap = take_snapshot(ws, full=True)
    (entry,) = [e for e in snap.entries if e.path == "data/a"]
    assert entry.size == 10000 and Path(snap.sources[entry.sha256]).read_bytes() == b"v2" * 5000


def test_a_file_rewritten_in_place_while_read_is_read_again_whole(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * 100)
    objects = tmp_path / "objects"
    objects.mkdir()
    real = stage_mod._hash_fd
    calls = {"n": 0}

    def write_in_place_once(fd: int, buf: bytearray, out: int | None = None) -> tuple[str, int]:
        calls["n"] += 1
        if calls["n"] == 1:
            with path.open("r+b") as fh:  # same inode: a writer that does not rename
                fh.write(b"b" * 150)
        return real(fd, buf, out)

    monkeypatch.setattr(stage_mod, "_hash_fd", write_in_place_once)
    got = stage_mod.stage_whole(str(path), "f", os.lstat(path), str(objects), _NoCache(), full=True,
                                buf=bytearray(64))
    assert got is not None and got.size == 150 and calls["n"] == 2
    assert (objects / got.sha256).read_bytes() == b"b" * 150
    assert [p.name for p in objects.iterdir()] == [got.sha256]  # no staging temp left


def test_a_file_always_rewritten_in_place_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a")
    objects = tmp_path / "objects"
    objects.mkdir()
    real = stage_mod._hash_fd

    def grow(fd: int, buf: bytearray, out: int | None = None) -> tuple[str, int]:
        with path.open("ab") as fh:
            fh.write(b"+")
        return real(fd, buf, out)

    monkeypatch.setattr(stage_mod, "_hash_fd", grow)
    with pytest.raises(stage_mod.StageError, match=r"/f: rewritten in place while being read"):
        stage_mod.stage_whole(str(path), "f", os.lstat(path), str(objects), _NoCache(), full=True, buf=bytearray(64))
    assert list(objects.iterdir()) == []


def test_without_hard_links_the_copy_is_one_whole_version(make_ws: Make, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_ws({"data/a": b"payload" * 1000})
    real_link = os.link

    def no_link(src: object, dst: object, *a: object, **kw: object) -> None:
        if "snapshot-objects" in str(dst):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(src, dst, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", no_link)
    result = push(ws, f"file://{tmp_path / 'm'}")
    out = tmp_path / "out"
    Mirror(FileTarget(tmp_path / "m")).restore(out, result.record.id)
    assert (out / "data" / "a").read_bytes() == b"payload" * 1000
    assert not [n for n in os.listdir(ws.internal_dir / "snapshot-objects") if n.startswith(".")]


def test_a_path_turned_into_a_fifo_is_skipped_not_blocked_on(make_ws: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_ws({"data/a": b"a", "data/b": b"b"})
    real = stage_mod.stage_whole

    def fifo_now(path: str, rel: str, st: os.stat_result, *a: object, **kw: object) -> object:
        if rel == "data/b":
            os.unlink(path)
            os.mkfifo(path)  # after the scan saw a regular file
        return real(path, rel, st, *a, **kw)  # type: ignore[arg-type]

    import catalyst_tui.core.snapshot.manifest as manifest_mod

    monkeypatch.setattr(manifest_mod, "stage_whole", fifo_now)
    snap = take_snapshot(ws, full=True)
    assert "data/b" not in {e.path for e in snap.entries} and "data/a" in {e.path for e in snap.entries}


def test_a_log_is_taken_up_to_the_size_seen_under_the_lock(make_ws: Make, tmp_path: Path) -> None:
    ws = make_ws({"data/log.jsonl": b'{"a":1}\n'})
    snap = take_snapshot(ws)
    with (ws.root / "data" / "log.jsonl").open("ab") as fh:
        fh.write(b'{"a":2}\n')  # appended after the snapshot: not part of it
    (entry,) = [e for e in snap.entries if e.path == "data/log.jsonl"]
    assert entry.size == 8
    result = push(ws, f"file://{tmp_path / 'm'}")  # a later snapshot has both lines
    out = tmp_path / "out"
    Mirror(FileTarget(tmp_path / "m")).restore(out, result.record.id)
    assert (out / "data" / "log.jsonl").read_bytes() == b'{"a":1}\n{"a":2}\n'


class _NoCache:
    def lookup(self, rel: str, st: os.stat_result) -> str | None:
        return None

    def store(self, rel: str, st: os.stat_result, sha: str) -> None:
        pass
