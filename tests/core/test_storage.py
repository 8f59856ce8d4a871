from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson
import pytest

from catalyst_tui.core import storage
from catalyst_tui.core.errors import LockTimeout


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    p = tmp_path / "f.json"
    storage.atomic_write_json(p, {"a": 1})
    ino = p.stat().st_ino
    storage.atomic_write_json(p, {"a": 2})
    assert orjson.loads(p.read_bytes()) == {"a": 2}
    assert p.stat().st_ino != ino  # a new file was renamed over, never rewritten in place
    assert [x.name for x in tmp_path.iterdir()] == ["f.json"]  # no temp left behind


def test_atomic_write_removes_temp_on_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "f.json"
    p.write_text("old")

    def boom(*a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="No space"):
        storage.atomic_write_bytes(p, b"new")
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["f.json"]


def test_atomic_write_fsyncs_file_and_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    storage.atomic_write_bytes(tmp_path / "x", b"1")
    assert len(synced) == 2
    assert ".x.tmp-" in synced[0]
    assert synced[1] == str(tmp_path)


def test_tmp_names_are_recognisable(tmp_path: Path) -> None:
    t = storage.tmp_name(tmp_path / "state.json")
    assert t.parent == tmp_path
    assert storage.is_tmp_name(t.name)
    assert not storage.is_tmp_name("state.json")


def test_append_line_is_one_write_per_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[bytes] = []
    real = os.write

    def spy(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real(fd, data)

    monkeypatch.setattr(os, "write", spy)
    p = tmp_path / "d.jsonl"
    storage.append_jsonl(p, {"b": 2, "a": 1})
    assert writes == [b'{"a":1,"b":2}\n']
    with pytest.raises(ValueError):
        storage.append_line(p, b"two\nlines")


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    big = "x" * 3000

    def worker(n: int) -> None:
        for i in range(200):
            storage.append_jsonl(p, {"w": n, "i": i, "pad": big})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # our appenders take the file's flock around the torn-line look and the write, so another's
    # write half done (the size grows page by page) is never taken for a torn line: no empty line
    lines = p.read_bytes().splitlines()
    assert len(lines) == 800 and all(lines)
    assert all(orjson.loads(line)["pad"] == big for line in lines)
    assert sorted((r["w"], r["i"]) for r in map(orjson.loads, lines)) == [(n, i) for n in range(4) for i in range(200)]


def test_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with storage.locked(lock):
            held.set()
            release.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    try:
        with pytest.raises(LockTimeout, match="still locked"), storage.locked(lock, timeout=0.1):
            pass
    finally:
        release.set()
        t.join()


def test_file_signature_sees_a_rewrite_an_append_and_an_edit_in_place(tmp_path: Path) -> None:
    from catalyst_tui.core.storage import file_signature

    path = tmp_path / "f.json"
    assert file_signature(path) is None  # missing
    storage.atomic_write_bytes(path, b"{}")
    seen = [file_signature(path)]
    storage.atomic_write_bytes(path, b"{}")  # same bytes, a new inode
    seen.append(file_signature(path))
    storage.append_line(path, b"x")  # grows
    seen.append(file_signature(path))
    st = os.stat(path)
    with open(path, "r+b") as f:  # same size, same inode: only mtime says so
        f.write(b"[")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    seen.append(file_signature(path))
    assert None not in seen and len(set(seen)) == 4
    assert file_signature(path) == file_signature(path)  # unchanged: equal


@pytest.mark.parametrize("name, parsed", [
    (".index.json.tmp-1234-0badcafe", ("index.json", 1234)),
    (".a.tmp-b.tmp-7-ff", ("a.tmp-b", 7)),  # the last marker is the one
    (".x.gz.tmp-99-abcdef01", ("x.gz", 99)),
    ("index.json.tmp-1-ab", None),  # not hidden
    (".index.json.tmp-12x-ab", None), (".index.json.tmp-1-XY", None), (".index.json.tmp-1-", None),
    (".tmp-1-ab", None), (".notes.txt", None), (".x.tmp-12345678901-ab", None),
])
def test_tmp_names_have_one_owner_that_builds_and_parses_them(name: str, parsed: tuple[str, int] | None) -> None:
    assert storage.parse_tmp_name(name) == parsed
    assert storage.is_tmp_name(name) is (parsed is not None)
    built = storage.tmp_name_for("state.json")
    assert storage.parse_tmp_name(built) == ("state.json", os.getpid()) and storage.is_tmp_of(built, "state.json")
    assert storage.tmp_name(Path("/d/state.json")).parent == Path("/d")


def test_an_append_never_lands_on_a_torn_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from catalyst_tui.core.jsonl import read_all
    from catalyst_tui.core.storage import append_jsonl

    path = tmp_path / "journal.jsonl"
    append_jsonl(path, {"n": 1})
    with open(path, "ab") as fh:
        fh.write(b'{"n": 2, "tor')  # a writer killed mid-append
    append_jsonl(path, {"n": 3})
    append_jsonl(path, {"n": 4})
    records, errors = read_all(path)
    assert [r["n"] for r in records] == [1, 3, 4]
    assert len(errors) == 1 and errors[0].line == 2
    assert path.read_bytes().count(b"\n") == 4
