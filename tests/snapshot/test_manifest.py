"""Manifests, canonical JSON, ids and incremental hashing (core/snapshot/manifest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from snaphelpers import write

from catalyst_tui.core import storage
from catalyst_tui.core.errors import LockTimeout
from catalyst_tui.core.snapshot import (
    CACHE_NAME,
    FileEntry,
    SnapshotError,
    canonical,
    manifest_bytes,
    parse_manifest,
    take_snapshot,
)
from catalyst_tui.core.workspace import Workspace

SHA = "a" * 64


def test_canonical_json_is_sorted_compact_and_matches_stdlib() -> None:
    obj = {"b": [1, {"z": 1, "a": "é"}], "a": None}
    assert canonical(obj) == b'{"a":null,"b":[1,{"a":"\xc3\xa9","z":1}]}'
    assert canonical(obj) == json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_manifest_bytes_do_not_depend_on_order() -> None:
    a = FileEntry("a.txt", 1, SHA)
    b = FileEntry("dir/b.txt", 2, "b" * 64)
    assert manifest_bytes([a, b]) == manifest_bytes([b, a])
    assert orjson.loads(manifest_bytes([b, a]))["files"][0]["path"] == "a.txt"


def test_snapshot_id_is_sha256_of_the_manifest(make_ws: Callable[..., Workspace]) -> None:
    ws = make_ws({"data/x.bin": b"x" * 1000})
    snap = take_snapshot(ws)
    assert snap.id == hashlib.sha256(snap.manifest).hexdigest()
    paths = {e.path: e for e in snap.entries}
    assert paths["data/x.bin"].sha256 == hashlib.sha256(b"x" * 1000).hexdigest()
    assert {"board/index.json", "catalyst.toml", "PORTS.md", "data/x.bin"} <= set(paths)
    assert parse_manifest(snap.manifest, "m") == sorted(snap.entries, key=lambda e: e.path)


def test_same_content_same_id_in_another_workspace(make_ws: Callable[..., Workspace]) -> None:
    one = make_ws({"data/x": b"1"})
    two = make_ws({"data/x": b"1"})
    s1, s2 = take_snapshot(one), take_snapshot(two)
    # catalyst.toml and PORTS.md are identical; only the index differs by its timestamp
    assert {e.path: e.sha256 for e in s1.entries}["data/x"] == {e.path: e.sha256 for e in s2.entries}["data/x"]
    write(two.root, "data/x", b"2")
    assert take_snapshot(two).id != s2.id


def test_rehash_is_incremental(make_ws: Callable[..., Workspace]) -> None:
    ws = make_ws({f"data/f{i}": os.urandom(4096) for i in range(20)})
    first = take_snapshot(ws)
    assert first.hashed_files == len(first.entries) and first.hashed_bytes == first.size
    assert (ws.internal_dir / CACHE_NAME).exists()
    again = take_snapshot(ws)
    assert again.id == first.id
    assert again.hashed_bytes == 0 and again.hashed_files == 0
    write(ws.root, "data/f3", b"changed")
    third = take_snapshot(ws)
    assert third.hashed_files == 1 and third.hashed_bytes == len(b"changed")
    assert third.id != first.id


def test_corrupt_cache_costs_a_rehash_not_a_failure(make_ws: Callable[..., Workspace]) -> None:
    ws = make_ws({"data/a": b"a"})
    first = take_snapshot(ws)
    (ws.internal_dir / CACHE_NAME).write_bytes(b"{not json")
    again = take_snapshot(ws)
    assert again.id == first.id and again.hashed_files == len(first.entries)


def test_symlinks_are_not_followed(make_ws: Callable[..., Workspace], tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret"
    secret.write_bytes(b"outside")
    ws = make_ws({"data/ok": b"ok"})
    os.symlink(secret, ws.root / "data" / "link")
    paths = {e.path for e in take_snapshot(ws).entries}
    assert "data/ok" in paths and "data/link" not in paths


def test_snapshot_is_taken_under_the_index_lock(make_ws: Callable[..., Workspace]) -> None:
    ws = make_ws()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with storage.locked(ws.board.lock_path):
            held.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    try:
        with pytest.raises(LockTimeout):
            take_snapshot(ws, lock_timeout=0.2)
    finally:
        release.set()
        t.join()
    assert take_snapshot(ws, lock_timeout=1).entries


def test_staged_copy_survives_a_rewrite_after_the_snapshot(make_ws: Callable[..., Workspace]) -> None:
    ws = make_ws({"data/a": b"version 1"})
    snap = take_snapshot(ws)
    write(ws.root, "data/a", b"version 2 (longer)")  # atomic replace: a new inode
    sha = {e.path: e.sha256 for e in snap.entries}["data/a"]
    assert Path(snap.sources[sha]).read_bytes() == b"version 1"


def m(files: list[dict[str, object]], version: object = 1) -> bytes:
    return orjson.dumps({"version": version, "files": files})


@pytest.mark.parametrize(
    ("files", "version", "message"),
    [
        ([{"path": "../etc/passwd", "size": 1, "sha256": SHA}], 1, "contains '..'"),
        ([{"path": "a/../../b", "size": 1, "sha256": SHA}], 1, "contains '..'"),
        ([{"path": "/etc/passwd", "size": 1, "sha256": SHA}], 1, "absolute path"),
        ([{"path": "a", "size": 1, "sha256": SHA, "link": "/etc"}], 1, "links are refused"),
        ([{"path": "a", "size": 1, "sha256": SHA, "type": "symlink"}], 1, "links are refused"),
        ([{"path": "a", "size": 1, "sha256": SHA}], 2, "unknown manifest version 2"),
        ([{"path": "a", "size": -1, "sha256": SHA}], 1, "bad size"),
        ([{"path": "a", "size": 1, "sha256": "xyz"}], 1, "bad sha256"),
        ([{"path": "a", "size": 1, "sha256": SHA}, {"path": "a", "size": 1, "sha256": SHA}], 1, "duplicate"),
        ([{"path": "a", "size": 1, "sha256": SHA}, {"path": "a/b", "size": 1, "sha256": SHA}], 1, "parent"),
        ([{"path": "a//b", "size": 1, "sha256": SHA}], 1, "not normalised"),
    ],
)
def test_bad_manifests_are_refused(files: list[dict[str, object]], version: object, message: str) -> None:
    with pytest.raises(SnapshotError, match=r"m\.json") as err:
        parse_manifest(m(files, version), "m.json")
    assert message in str(err.value)


def test_good_manifest_parses() -> None:
    entries = parse_manifest(m([{"path": "a/b.txt", "size": 3, "sha256": SHA}]), "m")
    assert entries == [FileEntry("a/b.txt", 3, SHA)]


def test_collect_matches_patterns_without_following_links(tmp_path: Path) -> None:
    from catalyst_tui.core.snapshot import collect

    for rel in ("a/state.json", "agents/x/state.json", "agents/y/state.json", "agents/y/other.json",
                "data/top", "data/d1/d2/deep", ".catalyst/cache", "data/.f.tmp-1-ab"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    os.symlink(outside, tmp_path / "data" / "linkdir")
    os.symlink(outside / "secret", tmp_path / "agents" / "z")
    found = collect(tmp_path, ["agents/*/state.json", "data/**/*", ".catalyst/*", "../x", "agents/z"])
    assert list(found) == ["agents/x/state.json", "agents/y/state.json", "data/d1/d2/deep", "data/top"]
    assert found["data/top"].st_size == len("data/top")
