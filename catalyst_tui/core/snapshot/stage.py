"""Staging one file into a snapshot as a whole version of it.

Every file the hub and the agents rewrite is replaced by a rename (temp + fsync + rename), so
the inode at a path always holds one whole version, and a hard link to that inode keeps
holding it after the path moves on. A file is therefore staged by *linking* its path into
``.catalyst/snapshot-objects/`` first and hashing the link to its end: whatever the writers do
next, the snapshot holds the version that was in place when the link was made. Never "take
the size, then read that many bytes of whatever is at the path by then" (a torn prefix of a
newer version when the file is replaced in between).

A file written *in place* (not through a rename) is caught by comparing the descriptor's size
and mtime before and after the read: the read is retried, then refused with the file's name.
Where a link is impossible (another filesystem, a hardlink-protected file) the file is copied
from one descriptor with the same before/after check.

Append-only logs (``*.jsonl``) are the exception: they grow in place by whole lines, so the
snapshot takes them up to the size seen under the index lock (a prefix of whole lines).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason

_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
ATTEMPTS = 3


class Cache(Protocol):
    def lookup(self, rel: str, st: os.stat_result) -> str | None: ...

    def store(self, rel: str, st: os.stat_result, sha: str) -> None: ...


class StageError(OSError):
    """The file kept changing in place while it was read (or is not a regular file any more)."""


@dataclass(frozen=True, slots=True)
class Staged:
    sha256: str
    size: int
    hashed: int  # bytes read this time (0 when the hash cache answered)


def is_append_only(rel: str) -> bool:
    return rel.endswith(".jsonl")


def _hash_fd(fd: int, buf: bytearray, out: int | None = None) -> tuple[str, int]:
    """sha256 of everything from the start of ``fd`` to its end (and a copy into ``out``)."""
    digest = hashlib.sha256()
    view = memoryview(buf)
    total = 0
    offset = 0
    while True:
        n = os.preadv(fd, [view], offset)
        if not n:
            return digest.hexdigest(), total
        digest.update(view[:n])
        if out is not None:
            chunk = view[:n]
            while chunk:
                chunk = chunk[os.write(out, chunk):]
        total += n
        offset += n


def _same_version(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_size, a.st_mtime_ns, a.st_ctime_ns) == (b.st_ino, b.st_size, b.st_mtime_ns, b.st_ctime_ns)


def _tmp(objects_dir: str) -> str:
    return os.path.join(objects_dir, storage.tmp_name_for("stage"))


def _link_now(path: str, tmp: str) -> bool:
    """Link the inode at ``path`` now; False when the path is gone."""
    for _ in range(100):
        try:
            os.link(path, tmp, follow_symlinks=False)
            return True
        except FileNotFoundError:
            # also what link(2) says when a rename replaced the inode just after the lookup
            if not os.path.lexists(path):
                return False
    raise StageError(f"{path}: replaced faster than it can be linked; not snapshotted")


def stage_whole(path: str, rel: str, st: os.stat_result, objects_dir: str, cache: Cache, *, full: bool,
                buf: bytearray, staged: set[str] | frozenset[str] = frozenset()) -> Staged | None:
    """Stage the version of ``path`` in place now as ``objects_dir/<sha256>``; None if it is gone."""
    if not full:
        sha = cache.lookup(rel, st)
        if sha is not None and sha in staged:
            # the path is still the inode that was hashed whole, and a copy of that content
            # (named by its hash) is staged: nothing to read
            return Staged(sha, st.st_size, 0)
    for _ in range(ATTEMPTS):
        tmp = _tmp(objects_dir)
        try:
            if not _link_now(path, tmp):
                return None
        except OSError:
            return _copy_whole(path, rel, objects_dir, cache, full=full, buf=buf)
        try:
            try:
                fd = os.open(tmp, _O_READ)
            except OSError:  # the path had become a symlink or a special file: not a snapshot file
                return None
            try:
                before = os.fstat(fd)
                if not stat.S_ISREG(before.st_mode):
                    return None
                sha = None if full else cache.lookup(rel, before)
                hashed = 0
                if sha is None:
                    sha, hashed = _hash_fd(fd, buf)
                    if not _same_version(before, os.fstat(fd)) or hashed != before.st_size:
                        continue  # written in place while read: read the next version whole
                    cache.store(rel, before, sha)
            finally:
                os.close(fd)
            os.replace(tmp, os.path.join(objects_dir, sha))
            return Staged(sha, before.st_size, hashed)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    raise StageError(f"{path}: rewritten in place while being read ({ATTEMPTS} attempts); not snapshotted "
                     "(writers must replace files by a rename)")


def _copy_whole(path: str, rel: str, objects_dir: str, cache: Cache, *, full: bool, buf: bytearray) -> Staged | None:
    for _ in range(ATTEMPTS):
        try:
            src = os.open(path, _O_READ)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StageError(f"{path}: cannot read: {os_reason(exc)}") from None
        tmp = _tmp(objects_dir)
        try:
            before = os.fstat(src)
            if not stat.S_ISREG(before.st_mode):
                return None
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            try:
                sha, n = _hash_fd(src, buf, out)
            finally:
                os.close(out)
            if not _same_version(before, os.fstat(src)) or n != before.st_size:
                continue
            cache.store(rel, before, sha)
            os.replace(tmp, os.path.join(objects_dir, sha))
            return Staged(sha, n, n)
        finally:
            os.close(src)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    raise StageError(f"{path}: rewritten in place while being copied ({ATTEMPTS} attempts); not snapshotted")


def stage_log(path: str, rel: str, st: os.stat_result, objects_dir: str, cache: Cache, *, full: bool,
              buf: bytearray, staged: set[str]) -> Staged:
    """An append-only log up to the size seen under the lock (whole lines), staged by a link."""
    sha = None if full else cache.lookup(rel, st)
    hashed = 0
    if sha is None:
        sha = hash_prefix(Path(path), st.st_size, buf)
        cache.store(rel, st, sha)
        hashed = st.st_size
    if sha not in staged:
        dest = os.path.join(objects_dir, sha)
        try:
            os.link(path, dest, follow_symlinks=False)
        except FileExistsError:
            pass
        except OSError:
            _copy_prefix(path, dest, st.st_size)
    return Staged(sha, st.st_size, hashed)


def hash_prefix(path: Path, size: int, buf: bytearray | None = None) -> str:
    """sha256 of the first ``size`` bytes of ``path`` (a log's lines as of the lock)."""
    digest = hashlib.sha256()
    view = memoryview(buf if buf is not None else bytearray(1 << 20))
    remaining = size
    fd = os.open(path, _O_READ)
    try:
        while remaining:
            n = os.readv(fd, [view[: min(len(view), remaining)]])
            if not n:
                raise StageError(f"{path}: shrank while being hashed ({size - remaining} of {size} bytes)")
            digest.update(view[:n])
            remaining -= n
    finally:
        os.close(fd)
    return digest.hexdigest()


def _copy_prefix(src: str, dest: str, size: int) -> None:
    tmp = storage.tmp_name(Path(dest))
    with open(src, "rb") as fin, tmp.open("wb") as fout:
        remaining = size
        while remaining and (chunk := fin.read(min(1 << 20, remaining))):
            fout.write(chunk)
            remaining -= len(chunk)
    os.replace(tmp, dest)
