"""The janitor's walk: directory descriptors, never a symlink, never across a mount point.

The walk starts from a descriptor on the workspace root and descends with
``openat(O_DIRECTORY | O_NOFOLLOW)``, so a directory swapped for a symlink mid-walk fails to
open instead of leading elsewhere; a mount point (from the mount table, :mod:`.mounts`: bind
mounts keep the device) or a directory on another device (``st_dev``) is not entered.
Entry types come from ``d_type`` (no open, no stat): FIFOs, sockets, devices and symlinks are
counted and reported when a rule matches them, never opened or acted on.

Speed (docs/performance.md): a cache of the previous walk (``.catalyst/janitor/walk-cache``)
keeps each directory's listing keyed by the directory's (inode, mtime_ns). A directory whose
mtime did not change has the same entries, and a file's cached mtime is never newer than the
real one (writes only move it forward), so the cached age can only over-estimate: every
candidate is re-stat'ed before anything is decided, and a file that only looks old is kept.
The one blind spot (a file's mtime set backwards by ``utime``) is covered by the full walk
every ``full_walk_every`` runs, which re-stats every file.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.janitor.rules import EXCLUDED_TOP, Rule, RuleSet, agent_of

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
KIND_FILE, KIND_OTHER = 0, 1

# cache: dir_rel -> (ino, mtime_ns, n_files, n_bytes, matched, subdirs); only the files a rule
# matches are kept one by one: matched = [(name, ino, size, mtime_ns, rule, kind)]
CachedFile = tuple[str, int, int, int, int, int]
CachedDir = tuple[int, int, int, int, list[CachedFile], list[str]]


class WalkCache(msgspec.Struct):
    rules_key: str = ""
    dev: int = 0
    runs: int = 0  # incremental runs since the last full walk
    dirs: dict[str, CachedDir] = msgspec.field(default_factory=dict)


_CACHE_ENCODER = msgspec.msgpack.Encoder()
_CACHE_DECODER = msgspec.msgpack.Decoder(WalkCache)


def decode_cache(raw: bytes) -> WalkCache | None:
    try:
        return _CACHE_DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def encode_cache(cache: WalkCache) -> bytes:
    return _CACHE_ENCODER.encode(cache)


@dataclass(slots=True)
class Candidate:
    relpath: str
    dir_rel: str  # "" for the root, else "a/b/"
    name: str
    rule: Rule
    agent: str | None
    ino: int
    size: int
    mtime: float


@dataclass
class WalkResult:
    scanned: int = 0
    files_by_agent: dict[str | None, int] = field(default_factory=dict)
    bytes_by_agent: dict[str | None, int] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)
    future: list[Candidate] = field(default_factory=list)  # mtime ahead of the clock: kept, reported
    special: list[tuple[str, str]] = field(default_factory=list)  # (relpath, kind) matched by a rule
    mounts: list[str] = field(default_factory=list)  # directories on another device: not entered
    unopenable: list[tuple[str, str]] = field(default_factory=list)  # (relpath, why)
    dirs: dict[str, tuple[int, int]] = field(default_factory=dict)  # dir_rel -> (dev, ino) as walked
    capped: bool = False
    full: bool = True
    cache_dirty: bool = False


class Walker:
    """One walk of the workspace. ``now`` is the injected clock reading ages are measured against."""

    def __init__(self, root_fd: int, rules: RuleSet, now: float, *, cache: WalkCache | None = None,
                 deadline: float | None = None, monotonic: Callable[[], float] = time.monotonic,
                 progress: Callable[[int], None] | None = None, mounts: set[str] | None = None) -> None:
        self.root_fd = root_fd
        self.mount_points = mounts or set()  # "a/b": mount points inside the root (bind mounts too)
        self.rules = rules
        self.now = now
        self.deadline = deadline
        self.monotonic = monotonic
        self.progress = progress
        self.dev = os.fstat(root_fd).st_dev
        key = rules_key(rules)
        old = cache if cache is not None and cache.rules_key == key and cache.dev == self.dev else None
        self.old = old.dirs if old is not None else {}
        self.new = WalkCache(rules_key=key, dev=self.dev)
        self.result = WalkResult(full=old is None)

    def run(self) -> WalkResult:
        self._dir("", self.root_fd)
        if set(self.new.dirs) != set(self.old):
            self.result.cache_dirty = True
        return self.result

    def _over_time(self) -> bool:
        if self.deadline is not None and self.monotonic() > self.deadline:
            self.result.capped = True
        return self.result.capped

    def _dir(self, rel: str, fd: int) -> None:
        if self._over_time():
            return
        res = self.result
        dst = os.fstat(fd)
        res.dirs[rel] = (dst.st_dev, dst.st_ino)
        cached = self.old.get(rel)
        if cached is not None and cached[0] == dst.st_ino and cached[1] == dst.st_mtime_ns:
            n_files, n_bytes, files, subdirs = cached[2], cached[3], cached[4], cached[5]
        else:
            n_files, n_bytes, files, subdirs = self._list(rel, fd)
            res.cache_dirty = True
        self.new.dirs[rel] = (dst.st_ino, dst.st_mtime_ns, n_files, n_bytes, files, subdirs)
        self._account(rel, fd, n_files, n_bytes, files)
        for name in subdirs:
            if rel == "" and name in EXCLUDED_TOP:
                continue
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:  # swapped for a symlink / file, or gone: never followed
                res.unopenable.append((rel + name, os_reason(exc)))
                res.cache_dirty = True
                continue
            try:
                # a bind mount keeps st_dev: the mount table says what the device check cannot
                if rel + name in self.mount_points or os.fstat(child).st_dev != self.dev:
                    res.mounts.append(rel + name)
                    continue
                self._dir(rel + name + "/", child)
            finally:
                os.close(child)

    def _list(self, rel: str, fd: int) -> tuple[int, int, list[CachedFile], list[str]]:
        files: list[CachedFile] = []
        subdirs: list[str] = []
        n_files = 0
        n_bytes = 0
        rx = self.rules.for_dir(rel)
        match = rx.fullmatch if rx is not None else None
        with os.scandir(fd) as it:
            for e in it:
                name = e.name
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(name)
                    continue
                n_files += 1
                m = match(name) if match is not None else None
                if e.is_file(follow_symlinks=False):
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        n_files -= 1
                        continue  # gone since the listing
                    n_bytes += st.st_size
                    if m is not None:
                        files.append((name, st.st_ino, st.st_size, st.st_mtime_ns, int(m.lastgroup[1:]),  # type: ignore[index]
                                      KIND_FILE))
                elif m is not None:
                    files.append((name, e.inode(), 0, 0, int(m.lastgroup[1:]), KIND_OTHER))  # type: ignore[index]
        return n_files, n_bytes, files, subdirs

    def _account(self, rel: str, fd: int, n_files: int, n_bytes: int, files: list[CachedFile]) -> None:
        res = self.result
        agent = agent_of(rel) if rel else None
        rules = self.rules.rules
        now = self.now
        for name, ino, size, mtime_ns, ridx, kind in files:
            relpath = rel + name
            if kind != KIND_FILE:
                res.special.append((relpath, _kind_name(fd, name)))
                continue
            rule = rules[ridx]
            mtime = mtime_ns / 1e9
            if mtime > now:
                res.future.append(Candidate(relpath, rel, name, rule, agent, ino, size, mtime))
            elif now - mtime > rule.ttl_s:
                res.candidates.append(Candidate(relpath, rel, name, rule, agent, ino, size, mtime))
        res.scanned += n_files
        res.files_by_agent[agent] = res.files_by_agent.get(agent, 0) + n_files
        res.bytes_by_agent[agent] = res.bytes_by_agent.get(agent, 0) + n_bytes
        if self.progress is not None and n_files:
            self.progress(res.scanned)


def _kind_name(fd: int, name: str) -> str:
    try:
        mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
    except OSError:
        return "gone"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


def rules_key(rules: RuleSet) -> str:
    return "|".join(f"{r.pattern}" for r in rules.rules)


def open_dir_chain(root_fd: int, dir_rel: str, expected: dict[str, tuple[int, int]] | None = None, *,
                   create: bool = False) -> int:
    """Open ``dir_rel`` ("a/b/" or "a/b") from the root, component by component, never following
    a link: the one descriptor walk every janitor path goes through.

    A directory swapped for a symlink fails to open (``O_NOFOLLOW``); ``.`` and ``..`` are refused.
    With ``expected`` (relative dir -> (st_dev, st_ino), as the walk saw them), every directory on
    the way must be the very one the walk saw; one swapped for another fails the identity check.
    With ``create``, missing directories are made. Returns a new descriptor; raises ``OSError``.
    """
    parts = [p for p in dir_rel.split("/") if p]
    if "." in parts or ".." in parts:
        raise OSError(f"refusing path component '.' or '..' in {dir_rel!r}")

    def same_as_walked(rel: str, fd: int) -> None:
        st = os.fstat(fd)
        if expected is not None and expected.get(rel) != (st.st_dev, st.st_ino):
            raise OSError(f"{rel} is no longer the directory the walk saw")

    return storage.descend(os.dup(root_fd), parts, dir_rel, create=create,
                           check=same_as_walked if expected is not None else None)
