"""core/storage.py safe reads: special files, symlinks, size caps, paths from data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile_files import plant

from catalyst_tui.core import storage
from catalyst_tui.core.errors import FileRefused

# every kind of file under each of its caps (a 1 GiB sparse file is within the object cap: the cap
# itself is tested on its own below)
CASES = [(kind, what) for what in sorted(storage.LIMITS) for kind in ("fifo", "devzero", "sparse", "dir")
         if not (kind == "sparse" and storage.LIMITS[what] >= 1 << 30)]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("kind", "what"), CASES)
def test_read_bytes_refuses_special_and_huge_files(tmp_path: Path, kind: str, what: str) -> None:
    target = tmp_path / "f"
    plant(target, kind)
    with pytest.raises(FileRefused) as info:
        storage.read_bytes(target, what)
    msg = str(info.value)
    assert msg.startswith(f"{target}: ") and "\n" not in msg
    assert isinstance(info.value, OSError) and info.value.filename == str(target)


def test_read_bytes_cap_counts_what_is_read(tmp_path: Path) -> None:
    f = tmp_path / "state.json"
    f.write_bytes(b"x" * (storage.LIMITS["state"] + 1))
    with pytest.raises(FileRefused, match="limit"):
        storage.read_bytes(f, "state")
    f.write_bytes(b"x" * storage.LIMITS["state"])
    assert len(storage.read_bytes(f, "state")) == storage.LIMITS["state"]


def test_read_fd_cap_holds_when_the_file_grows_after_fstat(tmp_path: Path) -> None:
    f = tmp_path / "grow"
    f.write_bytes(b"y" * 100)
    fd = os.open(f, os.O_RDONLY)
    try:
        with pytest.raises(FileRefused):
            storage.read_fd(fd, 10, 50, f)  # fstat said 10 bytes; 100 are there now
    finally:
        os.close(fd)


def test_final_symlink_refused_when_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"ok")
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert storage.read_bytes(tmp_path / "link", "config") == b"ok"
    with pytest.raises(FileRefused, match="symbolic link"):
        storage.read_bytes(tmp_path / "link", "config", follow=False)


def test_missing_file_is_still_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(tmp_path / "nope", "index")


@pytest.mark.parametrize("rel", ["../outside.md", "/etc/passwd", "agents/../../x", "", "a\0b"])
def test_paths_from_data_that_leave_the_root_are_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(FileRefused):
        storage.read_under(tmp_path, rel, "body")
    with pytest.raises(FileRefused):
        storage.path_under(tmp_path, rel)


def test_symlinked_directory_or_file_is_not_followed_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "ws", tmp_path / "outside"
    (root / "agents").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    os.symlink(outside, root / "agents" / "bjork")
    os.symlink(outside / "secret.md", root / "body.md")
    for rel in ("agents/bjork/secret.md", "body.md"):
        with pytest.raises(FileRefused, match="symbolic link") as info:
            storage.read_under(root, rel, "body")
        assert str(info.value).startswith(rel + ": ")
    with pytest.raises(FileRefused, match="symbolic link"):
        storage.write_under(root, "agents/bjork/cards/c.md", b"x", create_dirs=True)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md"]  # nothing written outside


def test_write_under_creates_and_replaces_inside(tmp_path: Path) -> None:
    storage.write_under(tmp_path, "agents/a/cards/c.md", b"one", create_dirs=True)
    storage.write_under(tmp_path, "agents/a/cards/c.md", b"two")
    assert storage.read_under(tmp_path, "agents/a/cards/c.md", "body") == b"two"
    assert [p.name for p in (tmp_path / "agents/a/cards").iterdir()] == ["c.md"]  # no temp left
    with pytest.raises(FileNotFoundError):
        storage.write_under(tmp_path, "agents/b/cards/c.md", b"x")  # no create: no new directory


@pytest.mark.timeout(10)
def test_fifo_body_under_the_root_does_not_hang(tmp_path: Path) -> None:
    plant(tmp_path / "agents" / "a" / "cards" / "c.md", "fifo")
    with pytest.raises(FileRefused, match="FIFO"):
        storage.read_under(tmp_path, "agents/a/cards/c.md", "body")


def test_no_descriptor_leaks_on_refusals(tmp_path: Path) -> None:
    os.symlink(tmp_path, tmp_path / "loop")
    plant(tmp_path / "d" / "fifo", "fifo")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        for rel in ("loop/x", "d/fifo", "d/fifo/x", "nope/x", "d/nope"):
            with pytest.raises(OSError):
                storage.read_under(tmp_path, rel, "body")
    assert len(os.listdir("/proc/self/fd")) == before
