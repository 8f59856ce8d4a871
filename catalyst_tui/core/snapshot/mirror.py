"""Snapshots, part 3: the spoke (the mirror). Verify, apply atomically, serve, restore.

Target layout (docs/snapshots.md)::

    objects/<sha256>            content-addressed file contents
    manifests/<id>.json         canonical manifests; id = sha256 of the file's bytes
    refs/<generation>-<seq>.json  one record per applied snapshot (the history)
    staging/<token>.json        leases of pushes in flight (retention never deletes their objects)
    CURRENT                     the pointer: the record of the current snapshot
    HIGH                        the highest record ever committed (rollback detection)
    commit.lock                 held while a snapshot is verified and the pointer switched

Readers only ever follow ``CURRENT``. A snapshot becomes current only after every object of
its manifest has been re-read from the target and its size and sha256 checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.procs import hostname, owner_liveness, process_start_time
from catalyst_tui.core.snapshot.manifest import (
    HEX64,
    FileEntry,
    SnapshotError,
    canonical,
    parse_manifest,
    sha256_hex,
)
from catalyst_tui.core.snapshot.record import Record
from catalyst_tui.core.snapshot.retention import prune
from catalyst_tui.core.snapshot.rollback import (
    RollbackRefused,
    Seen,
    committed_top,
    guard,
    mirror_rollback,
    read_high,
    write_high,
)
from catalyst_tui.core.snapshot.targets import Target

POINTER = "CURRENT"
LOCK = "commit.lock"
LOCK_STALE_S = 120.0  # a lock older than this from another host is considered abandoned
LOCK_WAIT_S = 10.0


class SpokeRefused(SnapshotError):
    """The mirror refused a snapshot; the pointer did not move."""


def object_key(sha: str) -> str:
    return f"objects/{sha}"


def manifest_key(snapshot_id: str) -> str:
    return f"manifests/{snapshot_id}.json"


class Mirror:
    def __init__(self, target: Target, clock: Callable[[], float] = time.time) -> None:
        self.target = target
        self.clock = clock

    # ------------------------------------------------------------------ reading
    def current(self) -> Record | None:
        try:
            data = self.target.read(POINTER)
        except FileNotFoundError:
            return None
        return Record.parse(data, f"{self.target.url}/{POINTER}")

    def manifest(self, snapshot_id: str) -> list[FileEntry]:
        """The manifest of ``snapshot_id``, checked against its id and validated."""
        key = manifest_key(snapshot_id)
        source = f"{self.target.url}/{key}"
        try:
            data = self.target.read(key, storage.LIMITS["manifest"])
        except FileNotFoundError:
            raise SnapshotError(f"{source}: missing") from None
        if sha256_hex(data) != snapshot_id:
            raise SnapshotError(f"{source}: hash mismatch (the manifest is not snapshot {snapshot_id[:12]})")
        return parse_manifest(data, source)

    def history(self) -> list[Record]:
        records = []
        for name in self.target.list("refs"):
            if name.endswith(".json") and not storage.is_tmp_name(name):
                with contextlib.suppress(SnapshotError, FileNotFoundError):
                    records.append(Record.parse(self.target.read(f"refs/{name}"), name))
        return sorted(records, key=lambda r: (r.created, r.seq))

    def check_object(self, sha: str, size: int) -> str | None:
        """None when ``objects/<sha>`` is whole and correct, else the problem (one line)."""
        key = object_key(sha)
        have = self.target.size(key)
        if have is None:
            return f"{key}: missing"
        if have != size:
            return f"{key}: truncated or wrong size ({have} bytes, manifest says {size})"
        digest = hashlib.sha256()
        for chunk in self.target.iter_read(key):
            digest.update(chunk)
        if digest.hexdigest() != sha:
            return f"{key}: hash mismatch (content is {digest.hexdigest()[:12]}...)"
        return None

    def verify(self, snapshot_id: str | None = None, *, seen: Seen | None = None,
               accept_rollback: bool = False) -> list[str]:
        """Problems with a snapshot (default: the current one); [] means whole and correct.
        Following the pointer, a rollback (:mod:`.rollback`) is a problem unless accepted."""
        rollback: list[str] = []
        if snapshot_id is None:
            rec = self.current()
            if rec is None:
                return [f"{self.target.url}: no current snapshot"]
            snapshot_id = rec.id
            try:
                guard(self, rec, seen, accept=accept_rollback)
            except RollbackRefused as exc:
                rollback.append(str(exc))
        try:
            entries = self.manifest(snapshot_id)
        except SnapshotError as exc:
            return [*rollback, str(exc)]
        objects: dict[str, int] = {e.sha256: e.size for e in entries}
        return rollback + [p for sha, size in objects.items() if (p := self.check_object(sha, size))]

    # ------------------------------------------------------------------ the commit lock
    @contextlib.contextmanager
    def commit_lock(self, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
        pid = os.getpid()
        body = canonical({"host": hostname(), "pid": pid, "pid_start": process_start_time(pid),
                          "taken": self.clock(), "token": secrets.token_hex(8)})
        deadline = time.monotonic() + wait_s
        while not self.target.create_exclusive(LOCK, body):
            if self._break_stale_lock():
                continue
            if time.monotonic() >= deadline:
                raise SnapshotError(f"{self.target.url}/{LOCK}: another push holds the commit lock")
            time.sleep(0.05)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                if self.target.read(LOCK) == body:
                    self.target.delete(LOCK)

    def _break_stale_lock(self) -> bool:
        try:
            data = self.target.read(LOCK)
            info = orjson.loads(data)
            if info.get("host") == hostname():  # we can see the owner: stale only when it is dead
                if owner_liveness(info.get("pid"), info.get("pid_start"), info.get("host")).alive:
                    return False
            elif self.clock() - float(info.get("taken", 0)) < LOCK_STALE_S:
                return False  # another host's owner: trusted until the lock is old
        except FileNotFoundError:
            return True
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
            pass  # an unreadable lock (torn by a crash): stale
        # Move it aside first so that two breakers cannot both delete a fresh lock.
        aside = f"staging/stale-lock-{secrets.token_hex(6)}"
        try:
            self.target.rename(LOCK, aside)
        except OSError:
            return False
        if self.target.read(aside) != data:  # we moved someone's fresh lock: it is theirs again
            with contextlib.suppress(OSError):
                self.target.rename(aside, LOCK)
            return False
        self.target.delete(aside)
        return True

    # ------------------------------------------------------------------ applying
    def commit(self, record: Record, *, adopt: bool = False, keep: int = 10,
               on_verify: Callable[[int, int], None] | None = None, hub_max: int | None = None,
               notes: list[str] | None = None) -> Record | None:
        """Verify ``record``'s snapshot and switch the pointer to it; returns the previous record.

        Refuses (``SpokeRefused``) a foreign generation unless ``adopt``, a sequence at or
        below the highest committed one of its generation, an invalid manifest and any missing,
        truncated or corrupt object (which is removed, so that the next push uploads it again).
        ``hub_max``: the highest sequence the pushing hub ever reserved; a claim above
        ``hub_max + 1`` is forged and healed (see :mod:`.rollback`). ``notes`` receives what was healed or flagged.
        """
        notes = notes if notes is not None else []
        with self.commit_lock():
            cur = self.current()
            high = read_high(self)
            follows = high.generation if high is not None else cur.generation if cur is not None else None
            if cur is not None and cur.generation != record.generation and not adopt:
                if follows != record.generation:
                    raise SpokeRefused(f"{self.target.url}: foreign generation {record.generation[:12]} "
                                       f"(mirror follows {cur.generation[:12]}; push with --adopt to switch)")
                notes.append(f"{self.target.url}: CURRENT named generation {cur.generation[:12]} without a commit "
                             f"(the mirror follows {record.generation[:12]}): replaced")
            healing = False
            top = committed_top(self, record.generation)
            if cur is not None and cur.generation == record.generation and (top is None or cur.seq > top.seq):
                top = cur
            if top is not None and record.seq <= top.seq:
                if hub_max is None or top.seq <= hub_max + 1:  # hub_max + 1: a clone of the lineage won the race
                    raise SpokeRefused(f"{self.target.url}: sequence {record.seq} is not above the current "
                                       f"{top.seq} of generation {record.generation[:12]}")
                healing = True
                notes.append(f"{self.target.url}: healed: the mirror claimed seq {top.seq} of this hub's generation, "
                             f"which the hub never issued (its highest: {hub_max}); replaced by seq {record.seq}")
            elif cur is not None and (flag := mirror_rollback(self, cur)):
                notes.append(flag)
            try:
                entries = self.manifest(record.id)
            except SnapshotError as exc:
                raise SpokeRefused(str(exc)) from None
            objects = {e.sha256: e.size for e in entries}
            if len(entries) != record.files or sum(e.size for e in entries) != record.size:
                raise SpokeRefused(f"{self.target.url}: record does not match manifest {record.id[:12]}")
            problems = []
            for n, (sha, size) in enumerate(objects.items(), 1):
                problem = self.check_object(sha, size)
                if problem:
                    problems.append(problem)
                    self.target.delete(object_key(sha))
                if on_verify:
                    on_verify(n, len(objects))
            if problems:
                more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
                raise SpokeRefused(f"{self.target.url}/{problems[0]}{more}; bad objects removed")
            if healing and hub_max is not None:  # forged refs of this generation would flag every later read
                for rec in self.history():
                    if rec.generation == record.generation and rec.seq > hub_max:
                        self.target.delete(f"refs/{rec.ref_name}")
            data = canonical(record.to_json())
            # pointer first, then its ref and HIGH: a pusher killed in between never leaves a
            # record above CURRENT (which every reader would take for a rollback)
            self.target.write_bytes(POINTER, data)  # the atomic switch (temp + rename over)
            self.target.write_bytes(f"refs/{record.ref_name}", data)
            write_high(self, record)
            prune(self, keep)
            return cur

    # ------------------------------------------------------------------ restoring
    def restore(self, into: Path, snapshot_id: str | None = None, attempts: int = 3, *, seen: Seen | None = None,
                accept_rollback: bool = False, before_write: Callable[[list[FileEntry]], None] | None = None,
                warnings: list[str] | None = None) -> Record | None:
        """Write the files of a snapshot (default: the current one) into ``into``, verified.

        Following the pointer, a rollback is refused (``RollbackRefused``) unless
        ``accept_rollback`` (then it goes to ``warnings``). ``before_write`` sees the manifest
        before the first file is written (``restore --force`` keeps the files it replaces aside)."""
        for attempt in range(attempts):
            rec = self.current() if snapshot_id is None else self._find(snapshot_id)
            if rec is None and snapshot_id is None:
                raise SnapshotError(f"{self.target.url}: no current snapshot")
            if rec is not None and snapshot_id is None:
                accepted = guard(self, rec, seen, accept=accept_rollback)
                if warnings is not None:
                    warnings.extend(accepted)
            sid = rec.id if rec is not None else str(snapshot_id)
            try:
                self._restore_files(into, sid, before_write)
                return rec
            except FileNotFoundError:
                if snapshot_id is not None or attempt == attempts - 1:
                    raise SnapshotError(f"{self.target.url}: snapshot {sid[:12]} vanished while restoring") from None
                # the pointer moved and retention removed the old snapshot: follow the pointer again
        return None

    def _find(self, snapshot_id: str) -> Record | None:
        matches = [r for r in self.history() if r.id.startswith(snapshot_id)]
        if len({r.id for r in matches}) > 1:
            raise SnapshotError(f"{self.target.url}: snapshot id {snapshot_id!r} is ambiguous")
        if not matches and not (HEX64.fullmatch(snapshot_id) and self.target.exists(manifest_key(snapshot_id))):
            raise SnapshotError(f"{self.target.url}: no snapshot {snapshot_id!r}")
        return matches[-1] if matches else None

    def _restore_files(self, into: Path, snapshot_id: str,
                       before_write: Callable[[list[FileEntry]], None] | None = None) -> None:
        entries = self.manifest(snapshot_id)
        into = Path(into).absolute()
        into.mkdir(parents=True, exist_ok=True)
        if before_write is not None:
            before_write(entries)
        base = into.resolve()
        for e in entries:
            dest = into / e.path
            existing = dest.parent
            while not existing.exists() and not existing.is_symlink():
                existing = existing.parent
            # checked before creating anything: mkdir must not create directories through a link
            if not existing.resolve().is_relative_to(base) or dest.is_symlink():
                raise SnapshotError(f"{dest}: escapes {into} through a link; refused")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.parent.resolve().is_relative_to(base):
                raise SnapshotError(f"{dest}: escapes {into} through a link; refused")
            self._restore_one(dest, e)

    def _restore_one(self, dest: Path, e: FileEntry) -> None:
        """Stream one object into a temp file beside ``dest``, check it, then rename it over."""
        tmp = storage.tmp_name(dest)
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("xb") as fh:
                for chunk in self.target.iter_read(object_key(e.sha256)):
                    digest.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if size != e.size or digest.hexdigest() != e.sha256:
                raise SnapshotError(f"{self.target.url}/{object_key(e.sha256)}: corrupt (for {e.path})")
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        storage.fsync_dir(dest.parent)
