"""The storage discipline every shared or state file goes through.

* Rewrites: a ``filelock`` lock, a temp file in the same directory, ``fsync``,
  ``os.replace``, ``fsync`` of the directory; the temp file is removed on error.
* Appends to JSONL: one ``os.write`` of a whole line on an ``O_APPEND`` descriptor, so
  concurrent appenders never interleave partial lines.
* Reads: :func:`read_bytes` for every file the product reads whole. It opens with
  ``O_NONBLOCK`` (a FIFO planted under the name never hangs the reader), takes regular files
  only (``fstat`` on the open descriptor: a FIFO, a device or a symlink to ``/dev/zero`` is
  refused), caps the size per kind of file (:data:`LIMITS`: a 1 GiB sparse file is refused
  before a byte is read) and, with ``follow=False``, refuses a final symbolic link. Each refusal
  is a :class:`FileRefused` (an ``OSError``) with a one-line message naming the file.
* Paths from data (a card's ``refs.body``, ``[ports] file``...) go through :func:`open_under` /
  :func:`read_under` / :func:`write_under`: a relative path descended one directory at a time
  from the workspace root with ``O_NOFOLLOW``, so no ``..``, absolute path or symbolic link
  leads out of it.

Locks are thread-local (filelock's default): a lock is always released by the thread
that took it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from catalyst_tui.core.errors import FileRefused, LockTimeout

# the read half of the discipline lives in safe_fs; storage is the face of both
from catalyst_tui.core.safe_fs import (
    LIMITS,
    MiB,
    descend,
    dir_under,
    file_kind,
    open_regular,
    open_under,
    path_under,
    read_bytes,
    read_fd,
    read_under,
    relative_parts,
)

__all__ = [  # the read half is re-exported from safe_fs: storage is the one way in
    "DEFAULT_LOCK_TIMEOUT",
    "LIMITS",
    "TMP_MARKER",
    "FileSignature",
    "MiB",
    "TmpName",
    "append_jsonl",
    "append_line",
    "append_lines",
    "atomic_write_bytes",
    "atomic_write_chunks",
    "atomic_write_json",
    "descend",
    "dir_under",
    "dumps",
    "file_kind",
    "file_signature",
    "fsync_dir",
    "is_tmp_name",
    "is_tmp_of",
    "lock_path_for",
    "locked",
    "locked_write_json",
    "open_regular",
    "open_under",
    "parse_tmp_name",
    "path_under",
    "read_bytes",
    "read_fd",
    "read_under",
    "relative_parts",
    "signature_of",
    "tmp_name",
    "tmp_name_for",
    "write_under",
]

TMP_MARKER = ".tmp-"
DEFAULT_LOCK_TIMEOUT = 10.0

# "Did this file change?" (mtime_ns, size, ino): every rewrite renames a new file into place (a
# new inode), an append grows it, an edit in place moves mtime. Equal signatures: the same version.
FileSignature = tuple[int, int, int]


def signature_of(st: os.stat_result) -> FileSignature:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def file_signature(path: str | os.PathLike[str]) -> FileSignature | None:
    """``path``'s signature, or None when it cannot be stat'ed (missing, no permission)."""
    try:
        return signature_of(os.stat(path))
    except OSError:
        return None


def tmp_name_for(name: str) -> str:
    """The temp name a rewrite of ``name`` uses, ``.<name>.tmp-<pid>-<hex>``: hidden, in the same
    directory (so the rename is atomic), and naming its writer (the janitor asks if it is alive)."""
    return f".{name}{TMP_MARKER}{os.getpid()}-{os.urandom(4).hex()}"


def tmp_name(path: Path) -> Path:
    """The temp file used to rewrite ``path``: same directory, recognisable by the janitor."""
    return path.with_name(tmp_name_for(path.name))


class TmpName(NamedTuple):
    target: str  # the file being rewritten
    pid: int  # the writer


def parse_tmp_name(name: str) -> TmpName | None:
    """The parts of a :func:`tmp_name_for` name, or None if ``name`` is not one."""
    if not name.startswith(".") or TMP_MARKER not in name:
        return None
    target, _, rest = name[1:].rpartition(TMP_MARKER)
    pid, _, token = rest.partition("-")
    if not target or not (pid.isascii() and pid.isdigit() and len(pid) <= 10) or not token \
            or not all(c in "0123456789abcdef" for c in token):
        return None
    return TmpName(target, int(pid))


def is_tmp_name(name: str) -> bool:
    return parse_tmp_name(name) is not None


def is_tmp_of(name: str, target: str) -> bool:
    """Is ``name`` a temp file of a rewrite of ``target``?"""
    parsed = parse_tmp_name(name)
    return parsed is not None and parsed.target == target


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
    """Append one whole line with a single ``write`` on an ``O_APPEND`` descriptor, never onto a torn line."""
    if not line.endswith(b"\n"):
        line += b"\n"
    if b"\n" in line[:-1]:
        raise ValueError("append_line: a record must be a single line")
    append_lines(path, line)


def append_lines(path: Path, data: bytes) -> None:
    """Append whole lines (``data`` ends with a newline) in one ``write``: the discipline of
    :func:`append_line` for a writer that appends several records at once."""
    if not data.endswith(b"\n"):
        raise ValueError("append_lines: data must end with a newline")
    line = data
    # O_NONBLOCK: opening a FIFO for writing would wait for a reader (under the index lock, every
    # writer with it); O_NOFOLLOW: a journal is never appended through a symbolic link.
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(path, "a symbolic link (not appended through)", errno.ELOOP) from None
        if exc.errno == errno.ENXIO:  # a FIFO with no reader
            raise FileRefused(path, "a FIFO, not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(path, f"{file_kind(st.st_mode)}, not a regular file")
        # Never onto a torn line (a writer killed mid-append, a truncated copy): the record starts
        # on a fresh line, so the torn bytes stay one bad line and this record is whole. A large
        # append grows the file page by page, so another appender's write in progress looks torn:
        # our appenders take the file's flock around the look and the write. One that cannot get
        # it at once (a foreign process holding it) appends anyway: at worst an empty line, which
        # readers skip.
        if _flock_briefly(fd):
            st = os.fstat(fd)
        if st.st_size and os.pread(fd, 1, st.st_size - 1) != b"\n":
            line = b"\n" + line
        written = os.write(fd, line)
        if written != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{path}: short append ({written} of {len(line)} bytes)")
    finally:
        os.close(fd)


def _flock_briefly(fd: int, tries: int = 50) -> bool:
    """Take ``fd``'s exclusive flock within ~50 ms, or give up (released when ``fd`` closes)."""
    for _ in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.001)
        except OSError:
            return False  # a filesystem without flock
    return False


def append_jsonl(path: Path, obj: Any) -> None:
    append_line(path, orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) + b"\n")


def write_under(root: Path, rel: str | os.PathLike[str], data: bytes, *, create_dirs: bool = False,
                durable: bool = True) -> None:
    """Atomically replace a file named by data under ``root`` (no symlink followed on the way)."""
    parts = relative_parts(rel)
    name = parts[-1]
    with dir_under(root, "/".join(parts[:-1]), create=create_dirs, label=os.fspath(rel)) as dfd:
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISLNK(os.lstat(name, dir_fd=dfd).st_mode):
                raise FileRefused(os.fspath(rel), "a symbolic link; not replaced", errno.ELOOP)
        tmp = tmp_name_for(name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644, dir_fd=dfd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        if durable:
            os.fsync(dfd)
