"""Descriptor-relative file operations for the janitor: nothing here follows a symlink."""

from __future__ import annotations

import contextlib
import gzip
import os
import stat

import orjson

from catalyst_tui.core.janitor.walk import DIR_FLAGS, open_dir_chain
from catalyst_tui.core.storage import tmp_name_for

CHUNK = 1 << 20
_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def open_root(root: str | os.PathLike[str]) -> int:
    return os.open(root, DIR_FLAGS)


def open_rel_dir(root_fd: int, rel: str, *, create: bool = False) -> int:
    """Open (optionally creating) ``rel`` under ``root_fd``, refusing symlinks at every step."""
    return open_dir_chain(root_fd, rel, create=create)


def split(rel: str) -> tuple[str, str]:
    head, _, name = rel.rpartition("/")
    return (head + "/" if head else ""), name


def lstat_rel(root_fd: int, rel: str) -> os.stat_result | None:
    dir_rel, name = split(rel)
    try:
        dfd = open_rel_dir(root_fd, dir_rel)
    except OSError:
        return None
    try:
        return os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except OSError:
        return None
    finally:
        os.close(dfd)


def unlink_rel(root_fd: int, rel: str) -> bool:
    dir_rel, name = split(rel)
    try:
        dfd = open_rel_dir(root_fd, dir_rel)
    except OSError:
        return False
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:  # hard-linked: shared, never removed
            return False
        os.unlink(name, dir_fd=dfd)
        os.fsync(dfd)
        return True
    except OSError:
        return False
    finally:
        os.close(dfd)


def append_jsonl_nofollow(root_fd: int, rel: str, record: dict[str, object]) -> None:
    """``storage.append_jsonl`` (one whole line, one ``write``, ``O_APPEND``), but reached through
    directory descriptors and ``O_NOFOLLOW``: a symlinked log never redirects the janitor's write."""
    line = orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"
    dir_rel, name = split(rel)
    dfd = open_rel_dir(root_fd, dir_rel)
    try:
        # O_NONBLOCK: a FIFO put in the log's place since the plan must not hang the run (ENXIO)
        fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
    finally:
        os.close(dfd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{rel}: not a regular file")
        if st.st_nlink > 1:  # another name shares the inode (maybe outside the workspace): not ours to write
            raise OSError(f"{rel}: has {st.st_nlink} hard links; never written")
        if os.write(fd, line) != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{rel}: short append")
    finally:
        os.close(fd)


def same_file(st: os.stat_result, ino: int, size: int, mtime_ns: int) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_ino == ino and st.st_size == size and st.st_mtime_ns == mtime_ns


def gzip_into(src_dfd: int, name: str, ino: int, dst_dfd: int, dst_name: str) -> tuple[os.stat_result, int]:
    """Compress ``name`` into ``dst_name`` (temp + fsync + rename). Returns the source's stat as it
    was read (the caller re-checks it before removing the source) and the compressed size."""
    src = os.open(name, _O_READ, dir_fd=src_dfd)
    tmp = tmp_name_for(dst_name)
    try:
        st = os.fstat(src)
        if not stat.S_ISREG(st.st_mode) or st.st_ino != ino:
            raise OSError(f"{name}: replaced before compression")
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=dst_dfd)
        try:
            with os.fdopen(out, "wb", closefd=False) as raw, gzip.GzipFile(fileobj=raw, mode="wb",
                                                                              filename="", mtime=0) as gz:
                while chunk := os.read(src, CHUNK):
                    gz.write(chunk)
            os.fsync(out)
            size = os.fstat(out).st_size
        finally:
            os.close(out)
        os.rename(tmp, dst_name, src_dir_fd=dst_dfd, dst_dir_fd=dst_dfd)
        os.fsync(dst_dfd)
        return st, size
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dst_dfd)
        raise
    finally:
        os.close(src)


def gunzip_into(src_dfd: int, name: str, dst_dfd: int, dst_name: str) -> None:
    """Decompress ``name`` into a new ``dst_name`` (temp + fsync + link: never overwrites)."""
    src = os.open(name, _O_READ, dir_fd=src_dfd)
    tmp = tmp_name_for(dst_name)
    try:
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=dst_dfd)
        try:
            with os.fdopen(src, "rb", closefd=False) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                while chunk := gz.read(CHUNK):
                    os.write(out, chunk)
            os.fsync(out)
        finally:
            os.close(out)
        os.link(tmp, dst_name, src_dir_fd=dst_dfd, dst_dir_fd=dst_dfd, follow_symlinks=False)
        os.unlink(tmp, dir_fd=dst_dfd)
        os.fsync(dst_dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dst_dfd)
        raise
    finally:
        os.close(src)
