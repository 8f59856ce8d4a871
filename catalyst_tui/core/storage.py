"""The storage discipline every shared or state file goes through.

* Rewrites: a ``filelock`` lock, a temp file in the same directory, ``fsync``,
  ``os.replace``, ``fsync`` of the directory; the temp file is removed on error.
* Appends to JSONL: one ``os.write`` of a whole line on an ``O_APPEND`` descriptor, so
  concurrent appenders never interleave partial lines.

Locks are thread-local (filelock's default): a lock is always released by the thread
that took it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from catalyst_tui.core.errors import LockTimeout

TMP_MARKER = ".tmp-"
DEFAULT_LOCK_TIMEOUT = 10.0


def tmp_name(path: Path) -> Path:
    """The temp file used to rewrite ``path``: same directory, recognisable by the janitor."""
    return path.with_name(f".{path.name}{TMP_MARKER}{os.getpid()}-{os.urandom(4).hex()}")


def is_tmp_name(name: str) -> bool:
    return name.startswith(".") and TMP_MARKER in name


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically: readers see the old or the new file, whole."""
    atomic_write_chunks(path, (data,), durable=durable)


def atomic_write_chunks(path: Path, chunks: Iterable[bytes], *, durable: bool = True) -> int:
    """Like :func:`atomic_write_bytes`, streaming ``chunks``; returns the bytes written."""
    path = Path(path)
    tmp = tmp_name(path)
    total = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                total += len(chunk)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)
    return total


def atomic_write_json(path: Path, obj: Any, *, durable: bool = True) -> None:
    atomic_write_bytes(path, dumps(obj, pretty=True), durable=durable)


def dumps(obj: Any, *, pretty: bool = False) -> bytes:
    opts = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    if pretty:
        opts |= orjson.OPT_INDENT_2
    return orjson.dumps(obj, option=opts) + (b"\n" if pretty else b"")


def lock_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def locked(lock_file: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold ``lock_file`` (a filelock) for the block; raise :class:`LockTimeout` if busy."""
    from filelock import FileLock, Timeout  # imported on the first write: reading needs no lock

    lock = FileLock(str(lock_file), timeout=timeout, thread_local=True)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockTimeout(f"{lock_file}: still locked after {timeout:g} s") from exc
    try:
        yield
    finally:
        lock.release()


def locked_write_json(path: Path, obj: Any, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
    """Rewrite a JSON file under its lock (``<name>.lock`` beside it)."""
    with locked(lock_path_for(path), timeout):
        atomic_write_json(path, obj)


def append_line(path: Path, line: bytes) -> None:
    """Append one whole line with a single ``write`` on an ``O_APPEND`` descriptor."""
    if not line.endswith(b"\n"):
        line += b"\n"
    if b"\n" in line[:-1]:
        raise ValueError("append_line: a record must be a single line")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, line)
        if written != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{path}: short append ({written} of {len(line)} bytes)")
    finally:
        os.close(fd)


def append_jsonl(path: Path, obj: Any) -> None:
    append_line(path, orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) + b"\n")
