"""Reading what the product does not control, safely: every file read whole goes through
:func:`read_bytes` (``O_NONBLOCK``, regular files only, a size cap per kind of file, optionally no
final symlink), and every path that comes from data through :func:`dir_under` /
:func:`open_under` / :func:`read_under` (a relative path descended one directory at a time with
``O_NOFOLLOW``: no ``..``, absolute path or symbolic link leads out of the workspace).

``catalyst_tui.core.storage`` is the face of the storage discipline and exports these names
too; this module only holds the read half, so each file stays one concept."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from catalyst_tui.core.errors import FileRefused

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


def path_under(root: Path, rel: str | os.PathLike[str], what: object = None) -> Path:
    """``root / rel`` for a path from data, checked without touching the disk (no ``..``, relative)."""
    return Path(root).joinpath(*relative_parts(rel, what))
