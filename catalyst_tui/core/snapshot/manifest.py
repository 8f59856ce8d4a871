"""Snapshots, part 1: what a snapshot is, canonical JSON, and taking one incrementally.

* The **manifest** lists each file's relative path, size and sha256, in canonical JSON
  (orjson, sorted keys, no whitespace, files sorted by path). The **snapshot id** is the
  sha256 of those exact bytes, so the same content always has the same id.
* A snapshot is taken under the index lock (``storage.locked(ws.board.lock_path)``). Each
  file is staged as a whole version of itself (:mod:`.stage`: a hard link of the renamed
  file, hashed to its end) into ``.catalyst/snapshot-objects/<sha256>`` and the push reads
  from there, never from the live path. Append-only logs (optional) are hashed and pushed up
  to the size seen under the lock. The manifest records the index ``seq`` it holds.
* Re-hashing is incremental: ``.catalyst/snapshot-hashes.json`` maps each path to
  (size, mtime_ns, inode, sha256); a file whose three keys are unchanged is not re-read.

Pushing: :mod:`snapshot_push`; the mirror side: :mod:`snapshot_spoke`; retention:
:mod:`snapshot_retention`. Format: docs/snapshots.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson

from catalyst_tui.core import globs, storage
from catalyst_tui.core.errors import CatalystError, os_reason
from catalyst_tui.core.snapshot.stage import Staged, StageError, is_append_only, stage_log, stage_whole
from catalyst_tui.core.workspace import Workspace

MANIFEST_VERSION = 1
HEX64 = re.compile(r"[0-9a-f]{64}")
LOG_PATTERNS = ("agents/*/dispatch.jsonl", "agents/*/worklog.jsonl", "agents/*/chat.jsonl", "board/audit.jsonl",
                "board/audit-*.jsonl", "board/audit-*.json")
# The cards that left the index: a snapshot of the index without them would restore a board with
# no history (no `card restore`, no `card show` of an archived card). Taken whenever the index is,
# also for an include list written before they were in the default one.
ARCHIVE_PATTERN = "agents/*/archive/cards-*.jsonl"
CACHE_NAME = "snapshot-hashes.json"
OBJECTS_DIR = "snapshot-objects"
BUF = 1 << 20


class SnapshotError(CatalystError):
    """A snapshot could not be taken, pushed, verified or applied (one line)."""


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace variance, UTF-8."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}


def manifest_bytes(entries: list[FileEntry], index_seq: int | None = None) -> bytes:
    """Canonical manifest bytes; ``index_seq``: the board index's ``seq`` the files are consistent with."""
    files = sorted(entries, key=lambda e: e.path)
    obj: dict[str, Any] = {"files": [e.to_json() for e in files], "version": MANIFEST_VERSION}
    if index_seq is not None:
        obj["index_seq"] = index_seq
    return canonical(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Snapshot:
    id: str
    manifest: bytes
    entries: list[FileEntry]
    sources: dict[str, str]  # sha256 -> a stable local copy (hard link) to upload from
    hashed_bytes: int = 0  # bytes actually read this time (0 for an unchanged workspace)
    hashed_files: int = 0
    index_seq: int | None = None  # the board index's seq this snapshot is consistent with

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)

    @property
    def objects(self) -> dict[str, int]:
        """Unique objects: sha256 -> size."""
        return {e.sha256: e.size for e in self.entries}


@dataclass
class HashCache:
    path: Path
    entries: dict[str, list[Any]] = field(default_factory=dict)  # rel -> [size, mtime_ns, ino, sha]
    dirty: bool = False

    @classmethod
    def load(cls, path: Path) -> HashCache:
        try:
            data = orjson.loads(storage.read_bytes(path, "record", follow=False))
            entries = {k: v for k, v in data.get("files", {}).items()
                       if isinstance(v, list) and len(v) == 4 and isinstance(v[3], str) and HEX64.fullmatch(v[3])}
        except (OSError, orjson.JSONDecodeError, AttributeError):
            entries = {}  # a lost or corrupt cache only costs one full re-hash
        return cls(path, entries)

    def lookup(self, rel: str, st: os.stat_result) -> str | None:
        hit = self.entries.get(rel)
        if hit and hit[:3] == list(storage.signature_of(st)):
            return str(hit[3])
        return None

    def store(self, rel: str, st: os.stat_result, sha: str) -> None:
        self.entries[rel] = [*storage.signature_of(st), sha]
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        for rel in set(self.entries) - keep:
            del self.entries[rel]
            self.dirty = True
        if self.dirty:
            # not durable: a cache lost in a crash only costs one re-hash
            storage.atomic_write_bytes(self.path, canonical({"files": self.entries, "version": 1}), durable=False)
            self.dirty = False


def include_patterns(ws: Workspace) -> list[str]:
    cfg = ws.config.snapshot
    patterns = [*cfg.include, *(LOG_PATTERNS if cfg.include_logs else ())]
    if ARCHIVE_PATTERN not in patterns and any(globs.matches(p, "board/index.json") for p in patterns):
        patterns.append(ARCHIVE_PATTERN)
    return patterns


def _scan(root: str, parts: list[str], idx: int, rel: str, out: dict[str, os.stat_result]) -> None:
    """Match ``parts[idx:]`` under ``root`` with ``os.scandir`` (no symlink is ever followed), one
    component at a time with the workspace's glob meaning (core/globs.py)."""
    part, last = parts[idx], idx == len(parts) - 1
    if part == "**":
        if not last:
            _scan(root, parts, idx + 1, rel, out)  # zero directories
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(root) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    _scan(entry.path, parts, idx, f"{rel}{entry.name}/", out)
                elif last and entry.is_file(follow_symlinks=False):  # a last "**": every file below
                    out[f"{rel}{entry.name}"] = entry.stat(follow_symlinks=False)
        return
    if not globs.has_magic(part):
        path = os.path.join(root, part)
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        if last and stat.S_ISREG(st.st_mode):
            out[f"{rel}{part}"] = st
        elif not last and stat.S_ISDIR(st.st_mode):
            _scan(path, parts, idx + 1, f"{rel}{part}/", out)
        return
    name_re = re.compile(globs.component_regex(part))
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(root) as it:
        for entry in it:
            if name_re.fullmatch(entry.name) is None:
                continue
            if last:
                if entry.is_file(follow_symlinks=False):
                    out[f"{rel}{entry.name}"] = entry.stat(follow_symlinks=False)
            elif entry.is_dir(follow_symlinks=False):
                _scan(entry.path, parts, idx + 1, f"{rel}{entry.name}/", out)


def not_snapshotted(rel: str, paths: set[str] | dict[str, Any]) -> str | None:
    """Why ``rel`` is never part of a snapshot (None: it may be). ``paths``: the snapshot's paths.

    ``.catalyst/`` is this machine's runtime, janitor and snapshot state (the janitor's journal
    drives its recovery: restored from a mirror, it would be someone else's intents). A lock
    beside a file of the snapshot (``board/index.lock``, ``catalyst.toml.lock``, ...) is the
    writers' rendezvous: restored by a rename while held, it would let two writers in at once."""
    if rel == ".catalyst" or rel.startswith(".catalyst/"):
        return "the workspace's internal state (.catalyst/)"
    if rel == "board/index.lock" or (rel.endswith(".lock") and rel[: -len(".lock")] in paths):
        return "a lock file of the workspace's writers"
    return None


def collect(root: Path, patterns: list[str]) -> dict[str, os.stat_result]:
    """Relative path -> lstat of the regular files matching ``patterns`` (links never followed)."""
    found: dict[str, os.stat_result] = {}
    for pattern in patterns:
        parts = [p for p in pattern.split("/") if p not in ("", ".")]
        if parts and ".." not in parts:
            _scan(str(root), parts, 0, "", found)
    return {rel: st for rel, st in sorted(found.items())
            if not_snapshotted(rel, found) is None and not storage.is_tmp_name(rel.rsplit("/", 1)[-1])}


class _IndexSeq(msgspec.Struct):
    seq: int = 0


def _index_seq(path: str) -> int | None:
    """The ``seq`` of a staged copy of the board index (None when it does not parse)."""
    try:
        with open(path, "rb") as fh:
            return msgspec.json.decode(fh.read(), type=_IndexSeq).seq
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def take_snapshot(ws: Workspace, lock_timeout: float = storage.DEFAULT_LOCK_TIMEOUT, full: bool = False) -> Snapshot:
    """Take a consistent snapshot of the workspace (under the index lock).

    Each file is a whole version of itself (:mod:`.stage`); the board index is the one under
    the lock, and the manifest records its ``seq`` (``index_seq``). ``full``: ignore the hash
    cache and re-read every file (the cache's periodic safety net against in-place rewrites
    that keep size, mtime and inode).
    """
    root = ws.root
    internal = ws.internal_dir
    objects = internal / OBJECTS_DIR
    objects.mkdir(parents=True, exist_ok=True)
    cache = HashCache.load(internal / CACHE_NAME)
    entries: list[FileEntry] = []
    hashed_bytes = hashed_files = 0
    buf = bytearray(BUF)
    index_rel = ws.board.index_path.relative_to(root).as_posix()
    index_seq: int | None = None
    with storage.locked(ws.board.lock_path, lock_timeout), _unlink_logs_on_error(ws, entries):
        staged = set(os.listdir(objects))
        base, objects_dir = str(root), str(objects)
        for rel, st in collect(root, include_patterns(ws)).items():
            path = os.path.join(base, rel)
            try:
                if is_append_only(rel):
                    got: Staged | None = stage_log(path, rel, st, objects_dir, cache, full=full, buf=buf,
                                                   staged=staged)
                else:
                    got = stage_whole(path, rel, st, objects_dir, cache, full=full, buf=buf, staged=staged)
            except OSError as exc:
                raise SnapshotError(str(exc) if isinstance(exc, StageError) else
                                    f"{path}: cannot snapshot: {os_reason(exc)}") from None
            if got is None:
                continue  # gone (or no longer a regular file) since the scan
            staged.add(got.sha256)
            hashed_bytes += got.hashed
            hashed_files += bool(got.hashed)
            entries.append(FileEntry(rel, got.size, got.sha256))
            if rel == index_rel:
                index_seq = _index_seq(os.path.join(objects_dir, got.sha256))
    sources = {e.sha256: os.path.join(objects_dir, e.sha256) for e in entries}
    cache.save({e.path for e in entries})
    manifest = manifest_bytes(entries, index_seq)
    return Snapshot(sha256_hex(manifest), manifest, entries, sources, hashed_bytes, hashed_files, index_seq)


def unlink_log_objects(ws: Workspace, entries: list[FileEntry]) -> None:
    """Drop the staged links that are the live logs' own inodes (once the push is over).

    A log is staged as a link to the very file the agents append to. Kept until the next
    push, that link gives the log a second name, and a file with two names is one the janitor
    never moves: ``chat.jsonl`` would never be rotated again."""
    objects = ws.internal_dir / OBJECTS_DIR
    for e in entries:
        if not is_append_only(e.path):
            continue
        with contextlib.suppress(OSError):
            obj = objects / e.sha256
            ost, lst = os.lstat(obj), os.lstat(ws.root / e.path)
            if (ost.st_dev, ost.st_ino) == (lst.st_dev, lst.st_ino):
                obj.unlink()


@contextlib.contextmanager
def _unlink_logs_on_error(ws: Workspace, entries: list[FileEntry]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        unlink_log_objects(ws, entries)
        raise


def prune_staged(ws: Workspace, keep: set[str]) -> int:
    """Drop staged object links no longer needed (after a successful push)."""
    objects = ws.internal_dir / OBJECTS_DIR
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(objects):
            if name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    (objects / name).unlink()
                    removed += 1
    return removed


# ---------------------------------------------------------------------- manifests (spoke side)
def _bad(source: str, text: str) -> SnapshotError:
    return SnapshotError(f"{source}: {text}")


def parse_manifest(data: bytes, source: str) -> list[FileEntry]:
    """Validate a manifest; refuse unknown versions, ``..``, absolute paths and links."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _bad(source, f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise _bad(source, "not a JSON object")
    if obj.get("version") != MANIFEST_VERSION:
        raise _bad(source, f"unknown manifest version {obj.get('version')!r} (this build reads {MANIFEST_VERSION})")
    index_seq = obj.get("index_seq", 0)
    if not isinstance(index_seq, int) or isinstance(index_seq, bool) or index_seq < 0:
        raise _bad(source, f"bad index_seq {index_seq!r}")
    files = obj.get("files")
    if not isinstance(files, list):
        raise _bad(source, "'files' is not a list")
    entries: list[FileEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(files):
        where = f"files[{i}]"
        if not isinstance(item, dict):
            raise _bad(source, f"{where}: not an object")
        if "link" in item or "target" in item or item.get("type", "file") != "file":
            raise _bad(source, f"{where}: links are refused")
        if set(item) - {"path", "size", "sha256", "type"}:
            raise _bad(source, f"{where}: unknown keys {sorted(set(item) - {'path', 'size', 'sha256', 'type'})}")
        path, size, sha = item.get("path"), item.get("size"), item.get("sha256")
        check_rel_path(path, f"{source}: {where}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _bad(source, f"{where}: bad size {size!r}")
        if not isinstance(sha, str) or not HEX64.fullmatch(sha):
            raise _bad(source, f"{where}: bad sha256 {sha!r}")
        assert isinstance(path, str)
        if path in seen:
            raise _bad(source, f"{where}: duplicate path {path!r}")
        seen.add(path)
        entries.append(FileEntry(path, size, sha))
    for e in entries:
        if (why := not_snapshotted(e.path, seen)) is not None:
            raise _bad(source, f"{e.path!r}: {why} is never restored; refused")
    for e in entries:  # "a" and "a/b" cannot both be files
        parts = e.path.split("/")
        for n in range(1, len(parts)):
            if "/".join(parts[:n]) in seen:
                raise _bad(source, f"{e.path!r}: a parent directory is also listed as a file")
    return entries


def check_rel_path(path: object, where: str) -> str:
    if not isinstance(path, str) or not path:
        raise SnapshotError(f"{where}: path is not a non-empty string")
    if path.startswith("/") or path.startswith("\\") or re.match(r"[A-Za-z]:", path):
        raise SnapshotError(f"{where}: absolute path {path!r} refused")
    parts = path.split("/")
    if ".." in parts:
        raise SnapshotError(f"{where}: path {path!r} contains '..'")
    if any(p in ("", ".") for p in parts) or "\\" in path or "\0" in path:
        raise SnapshotError(f"{where}: path {path!r} is not normalised")
    return path
