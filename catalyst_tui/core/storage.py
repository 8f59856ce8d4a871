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
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import orjson

from catalyst_tui.core.errors import FileRefused, LockTimeout

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
        # on a fresh line, so the torn bytes stay one bad line and this record is whole. (Racing
        # appenders can at worst add an empty line, which readers skip.)
        if st.st_size and os.pread(fd, 1, st.st_size - 1) != b"\n":
            line = b"\n" + line
        written = os.write(fd, line)
        if written != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{path}: short append ({written} of {len(line)} bytes)")
    finally:
        os.close(fd)


def append_jsonl(path: Path, obj: Any) -> None:
    append_line(path, orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) + b"\n")


# ---------------------------------------------------------------------------- safe reads
MiB = 1 << 20
# The largest file of each kind the product reads whole. Past it the file is refused, not read.
LIMITS: dict[str, int] = {
    "index": 64 * MiB,  # board/index.json and its backup (5,000 cards are ~2 MiB)
    "journal": 256 * MiB,  # board/audit.jsonl, read whole for history and undo
    "state": 1 * MiB,  # agents/<name>/state.json, session locks
    "config": 1 * MiB,  # catalyst.toml, settings.json
    "theme": 256 * 1024,  # one theme file
    "ports": 4 * MiB,  # PORTS.md
    "body": 4 * MiB,  # a card body
    "record": 16 * MiB,  # small JSON records: janitor and snapshot journals, caches, pointers
    "manifest": 128 * MiB,  # one snapshot manifest (~1 M files)
    "object": 1024 * MiB,  # one snapshot object (a copy of one workspace file)
}

_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NOFOLLOW


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in ((stat.S_ISREG, "a regular file"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str | os.PathLike[str], *, follow: bool = True,
                 dir_fd: int | None = None, label: object = None) -> tuple[int, os.stat_result]:
    """Open a regular file for reading without ever blocking; the descriptor and its ``fstat``.

    ``FileNotFoundError`` passes through (a missing file is usually normal); anything that is
    not a regular file, and a final symbolic link when ``follow`` is false, is a FileRefused.
    """
    name = label if label is not None else path
    flags = _READ if follow else _READ | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise FileRefused(name, "a symbolic link (not followed)", errno.ELOOP) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(name, f"{file_kind(st.st_mode)}, not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_fd(fd: int, size_hint: int, limit: int, name: object) -> bytes:
    """Read a regular file's descriptor whole, never more than ``limit`` bytes."""
    if size_hint > limit:
        raise FileRefused(name, f"{size_hint} bytes, larger than the {limit}-byte limit", errno.EFBIG)
    chunks: list[bytes] = []
    total = 0
    while True:  # the size can change between fstat and read: the cap holds on what is read
        chunk = os.read(fd, min(max(size_hint - total, 0) + 1, limit + 1 - total) or 1)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise FileRefused(name, f"larger than the {limit}-byte limit", errno.EFBIG)
    return b"".join(chunks)


def read_bytes(path: str | os.PathLike[str], kind: str, *, follow: bool = True,
               dir_fd: int | None = None, label: object = None) -> bytes:
    """A whole regular file of ``kind`` (see :data:`LIMITS`), read without blocking, capped."""
    name = label if label is not None else path
    fd, st = open_regular(path, follow=follow, dir_fd=dir_fd, label=name)
    try:
        return read_fd(fd, st.st_size, LIMITS[kind], name)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- paths from data
def relative_parts(rel: str | os.PathLike[str], what: object = None) -> list[str]:
    """The components of a workspace-relative path from data; refused when it could leave the root."""
    text = os.fspath(rel)
    name = what if what is not None else text
    if not text or "\0" in text:
        raise FileRefused(name, "not a usable path", errno.EINVAL)
    pure = PurePosixPath(text)
    if pure.is_absolute():
        raise FileRefused(name, "an absolute path, outside the workspace", errno.EXDEV)
    parts = [p for p in pure.parts if p != "."]
    if ".." in parts:
        raise FileRefused(name, "a path with '..', outside the workspace", errno.EXDEV)
    if not parts:
        raise FileRefused(name, "not a usable path", errno.EINVAL)
    return parts


def descend(fd: int, parts: list[str], rel: str, *, create: bool = False,
            check: Callable[[str, int], None] | None = None) -> int:
    """Open each directory of ``parts`` below ``fd`` without following a symbolic link: the one
    descriptor walk of a relative path (safe reads and writes here, the janitor's moves).

    Takes ownership of ``fd``: on success it returns the last directory's descriptor (``fd``
    itself when ``parts`` is empty); on error the one descriptor it holds is closed. ``check``
    is called with each directory reached (``"a/b/"``) and its descriptor, and may raise.
    """
    try:
        for i, part in enumerate(parts):
            try:
                child = os.open(part, _DIR, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise FileNotFoundError(errno.ENOENT, "no such directory", rel) from None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
                child = _open_dir_nofollow(part, fd, rel, parts[: i + 1])
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _refusal(fd, part, rel, parts[: i + 1]) from None
                raise
            os.close(fd)
            fd = child
            if check is not None:
                check("/".join(parts[: i + 1]) + "/", fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_dir_nofollow(part: str, fd: int, rel: str, upto: list[str]) -> int:
    try:
        return os.open(part, _DIR, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise _refusal(fd, part, rel, upto) from None
        raise


def _refusal(fd: int, part: str, rel: str, upto: list[str]) -> FileRefused:
    where = "/".join(upto)
    try:
        mode = os.lstat(part, dir_fd=fd).st_mode
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        return FileRefused(rel, f"{where} is a symbolic link; not followed out of the workspace", errno.EXDEV)
    return FileRefused(rel, f"{where} is {file_kind(mode)}, not a directory", errno.ENOTDIR)


@contextlib.contextmanager
def dir_under(root: Path, rel_dir: str | os.PathLike[str], *, create: bool = False,
              label: str | None = None) -> Iterator[int]:
    """A descriptor of the directory ``rel_dir`` under ``root`` (``""`` = the root itself)."""
    parts = relative_parts(rel_dir) if os.fspath(rel_dir) not in ("", ".") else []
    fd = descend(os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), parts,
                  label or os.fspath(rel_dir), create=create)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_under(root: Path, rel: str | os.PathLike[str]) -> Iterator[tuple[int, os.stat_result]]:
    """A regular file named by data, opened for reading under ``root`` (no symlink, never blocking)."""
    parts = relative_parts(rel)
    text = os.fspath(rel)
    with dir_under(root, "/".join(parts[:-1]), label=text) as dfd:
        fd, st = open_regular(parts[-1], follow=False, dir_fd=dfd, label=text)
    try:
        yield fd, st
    finally:
        os.close(fd)


def read_under(root: Path, rel: str | os.PathLike[str], kind: str) -> bytes:
    """A file named by data, read under ``root``: never through a symlink, never outside, capped."""
    parts = relative_parts(rel)
    text = os.fspath(rel)
    with dir_under(root, "/".join(parts[:-1]), label=text) as dfd:
        return read_bytes(parts[-1], kind, follow=False, dir_fd=dfd, label=text)


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


def path_under(root: Path, rel: str | os.PathLike[str], what: object = None) -> Path:
    """``root / rel`` for a path from data, checked without touching the disk (no ``..``, relative)."""
    return Path(root).joinpath(*relative_parts(rel, what))
