"""Snapshots, part 2: the push. Objects first, then the manifest, then one atomic pointer switch.

Hub state lives in ``.catalyst/snapshot-state.json``: the generation (random per hub
lineage), the last sequence number used and the one reserved for a push in flight (written
*before* the commit, so a pusher killed after the switch never reuses a number), and the
push history shown by the Snapshots screen.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from catalyst_tui.core import outcomes, storage
from catalyst_tui.core.errors import CatalystError, LockTimeout, os_reason
from catalyst_tui.core.snapshot.manifest import (
    BUF,
    CACHE_NAME,
    Snapshot,
    SnapshotError,
    canonical,
    prune_staged,
    take_snapshot,
    unlink_log_objects,
)
from catalyst_tui.core.snapshot.mirror import Mirror, Record, manifest_key, object_key
from catalyst_tui.core.snapshot.rollback import read_high
from catalyst_tui.core.snapshot.targets import Target, open_target
from catalyst_tui.core.workspace import Workspace

STATE_NAME = "snapshot-state.json"
PUSH_LOCK = "snapshot-push.lock"
HISTORY_KEEP = 50

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class HubState:
    generation: str
    seq: int = 0
    reserved: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    takes: int = 0  # snapshots taken by pushes that got as far as the mirror (for full re-hashes)

    def to_json(self) -> dict[str, Any]:
        return {"generation": self.generation, "history": self.history[-HISTORY_KEEP:], "reserved": self.reserved,
                "seq": self.seq, "takes": self.takes, "version": 1}


def state_path(ws: Workspace) -> Path:
    return ws.internal_dir / STATE_NAME


def load_state(ws: Workspace) -> HubState | None:
    path = state_path(ws)
    try:
        obj = orjson.loads(storage.read_bytes(path, "record", follow=False))
        return HubState(str(obj["generation"]), int(obj.get("seq", 0)), int(obj.get("reserved", 0)),
                        list(obj.get("history", [])), int(obj.get("takes", 0)))
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"{path}: unreadable hub snapshot state ({exc}); not pushing under a guessed "
                            "generation") from None


def save_state(ws: Workspace, state: HubState) -> None:
    storage.atomic_write_bytes(state_path(ws), canonical(state.to_json()))


class StaleHash(SnapshotError):
    """A staged file no longer matches its cached hash: a file was rewritten in place."""


class PushInterrupted(SnapshotError):
    """The push was asked to stop (``push(stop=...)``) before its commit: the mirror still
    points at the previous snapshot; the objects already sent stay there and are not sent again
    by the next push. ``reason`` is what ``stop`` said (e.g. "stopping", "at its 60 s cap")."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


Stop = Callable[[], str | None]  # None: go on; a reason: stop before the next object / the commit


@dataclass
class PushResult:
    url: str
    record: Record
    noop: bool
    objects_total: int
    objects_sent: int
    bytes_sent: int
    duration_s: float
    hashed_bytes: int
    healed: list[str] = field(default_factory=list)  # what was wrong with the mirror and was repaired

    def to_json(self) -> dict[str, Any]:
        return {"bytes_sent": self.bytes_sent, "duration_s": round(self.duration_s, 3),
                "generation": self.record.generation, "id": self.record.id, "noop": self.noop,
                "objects_sent": self.objects_sent, "objects_total": self.objects_total, "seq": self.record.seq,
                "size": self.record.size, "files": self.record.files, "created": self.record.created,
                "url": self.url, "hashed_bytes": self.hashed_bytes, "healed": self.healed}


def _read_verified(path: str, size: int, sha: str) -> Iterator[bytes]:
    """The first ``size`` bytes of the staged copy, checked against ``sha`` as they stream."""
    digest = hashlib.sha256()
    remaining = size
    try:  # never an open that waits (a FIFO), never through a link: a staged copy is a regular file
        fd, _ = storage.open_regular(path, follow=False)
    except OSError as exc:
        raise StaleHash(f"{path}: not a regular file any more ({os_reason(exc)}); push abandoned, "
                        "the next push stages every file again") from None
    with os.fdopen(fd, "rb") as fh:
        while remaining:
            chunk = fh.read(min(BUF, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
            if not remaining and digest.hexdigest() != sha:
                raise StaleHash(f"{path}: changed after it was hashed (modified in place?); push abandoned, "
                                "the next push re-hashes every file")
            yield chunk
    if remaining:
        raise StaleHash(f"{path}: shrank after it was hashed (modified in place?); push abandoned, "
                        "the next push re-hashes every file")


def _interrupted(stop: Stop | None, url: str, what: str) -> None:
    reason = stop() if stop is not None else None
    if reason is not None:
        raise PushInterrupted(f"{url}: push stopped {what} ({reason}); the mirror keeps its current snapshot",
                              reason)


def _upload(target: Target, snap: Snapshot, progress: Progress | None, stop: Stop | None) -> tuple[int, int]:
    objects = snap.objects
    total = sum(objects.values())
    done = sent = sent_bytes = 0
    for sha, size in objects.items():
        _interrupted(stop, target.url, f"after {sent} of {len(objects)} objects")
        key = object_key(sha)
        if target.size(key) != size:  # absent or truncated: (re)upload; content is checked at commit
            target.write(key, _read_verified(snap.sources[sha], size, sha))
            sent += 1
            sent_bytes += size
        done += size
        if progress:
            progress("upload", done, total)
    return sent, sent_bytes


def _tampered(mirror: Mirror, cur: Record, state: HubState, snap: Snapshot, *, deep: bool) -> str | None:
    """Why the mirror, whose pointer names this hub's current snapshot, is not what the hub left
    there (a forged sequence, a rollback, a missing or damaged object); None when a push would
    be a no-op. An unchanged hub is what heals a tampered mirror. Every no-op checks the records,
    the manifest and each object's size; ``deep`` (the hub's periodic full re-hash) re-reads
    every object too (a same-size bit flip), which costs one read of the snapshot."""
    if cur.seq > max(state.seq, state.reserved) + 1:
        return f"{mirror.target.url}: CURRENT claims seq {cur.seq}, which this hub never issued"
    high = read_high(mirror)
    if high is not None and high != cur:
        return f"{mirror.target.url}: HIGH ({high.generation[:12]} seq {high.seq}) is not CURRENT (seq {cur.seq})"
    if deep:
        problems = mirror.verify(cur.id)
    else:
        try:
            mirror.manifest(cur.id)
        except SnapshotError as exc:
            return str(exc)
        problems = [f"{object_key(sha)}: missing or wrong size" for sha, size in snap.objects.items()
                    if mirror.target.size(object_key(sha)) != size]
    if problems:
        for sha, size in snap.objects.items():
            if mirror.check_object(sha, size):
                mirror.target.delete(object_key(sha))  # uploaded again below
        return problems[0]
    return None


def push(ws: Workspace, url: str | None = None, *, adopt: bool = False, progress: Progress | None = None,
         clock: Callable[[], float] = time.time, stop: Stop | None = None) -> PushResult:
    """Take a snapshot and push it to ``url`` (default: ``[snapshot] target``).

    ``stop`` is asked before each object and before the commit; when it gives a reason the push
    ends there with :class:`PushInterrupted` (nothing committed, no lease left). The commit
    itself (verify every object, switch the pointer) is never cut: it is one read of the
    snapshot, and a cut there would have to be undone by the mirror's own recovery."""
    url = url or ws.config.snapshot.target
    started = time.monotonic()
    ws.internal_dir.mkdir(exist_ok=True)
    try:
        with storage.locked(ws.internal_dir / PUSH_LOCK, timeout=0.5):
            result = _push_locked(ws, url, adopt, progress, clock, started, stop)
    except LockTimeout:
        raise SnapshotError(f"{ws.internal_dir / PUSH_LOCK}: another push from this workspace is running") from None
    except PushInterrupted as exc:
        if exc.reason != "stopping":  # a process stopping is no failure of the push; a cap is
            outcomes.record(ws.root, "snapshot_push", False, f"{type(exc).__name__}: {exc}", clock())
        raise
    except (CatalystError, OSError) as exc:  # the exporter's "snapshot push failing" (docs/metrics.md)
        outcomes.record(ws.root, "snapshot_push", False, f"{type(exc).__name__}: {exc}", clock())
        raise
    outcomes.record(ws.root, "snapshot_push", True, at=clock())  # a no-op push (nothing changed) succeeded too
    return result


def _push_locked(ws: Workspace, url: str, adopt: bool, progress: Progress | None,
                 clock: Callable[[], float], started: float, stop: Stop | None) -> PushResult:
    state = load_state(ws) or HubState(secrets.token_hex(16))
    if progress:
        progress("snapshot", 0, 1)
    deep = state.takes % ws.config.snapshot.full_rehash_every == 0
    snap = take_snapshot(ws, full=deep)
    try:
        return _push_snapshot(ws, url, snap, state, adopt, progress, clock, started, deep, stop)
    finally:
        unlink_log_objects(ws, snap.entries)  # whatever the outcome: never left as a second name


def _push_snapshot(ws: Workspace, url: str, snap: Snapshot, state: HubState, adopt: bool, progress: Progress | None,
                   clock: Callable[[], float], started: float, deep: bool, stop: Stop | None) -> PushResult:
    state.takes += 1
    hub_max = max(state.seq, state.reserved)
    notes: list[str] = []
    with open_target(url, base=ws.root) as target:
        mirror = Mirror(target, clock)
        cur = mirror.current()
        objects_total = len(snap.objects)
        if cur is not None and cur.id == snap.id and cur.generation == state.generation:
            problem = _tampered(mirror, cur, state, snap, deep=deep)
            if problem is None:
                state.seq = max(state.seq, cur.seq)
                save_state(ws, state)
                return PushResult(url, cur, True, objects_total, 0, 0, time.monotonic() - started,
                                  snap.hashed_bytes)
            notes.append(f"{problem}: pushed again to repair the mirror")
        seq = hub_max + 1
        lease = f"staging/{secrets.token_hex(8)}.json"
        target.write_bytes(lease, canonical({"id": snap.id, "manifest": snap.manifest.decode(),
                                             "started": clock()}))
        try:
            try:
                sent, sent_bytes = _upload(target, snap, progress, stop)
            except StaleHash:
                # The (size, mtime, inode) cache was fooled: forget it and the staged copies.
                (ws.internal_dir / CACHE_NAME).unlink(missing_ok=True)
                prune_staged(ws, set())
                raise
            _interrupted(stop, target.url, "before its commit")
            target.write_bytes(manifest_key(snap.id), snap.manifest)
            record = Record(snap.id, state.generation, seq, clock(), len(snap.entries), snap.size)
            state.reserved = seq
            save_state(ws, state)  # write-ahead: this number is never used again
            verify = (lambda n, t: progress("verify", n, t)) if progress else None
            mirror.commit(record, adopt=adopt, keep=ws.config.snapshot.keep, on_verify=verify, hub_max=hub_max,
                          notes=notes)
        finally:
            target.delete(lease)
    result = PushResult(url, record, False, objects_total, sent, sent_bytes, time.monotonic() - started,
                        snap.hashed_bytes, notes)
    state.seq = seq
    state.history.append(result.to_json())
    save_state(ws, state)
    prune_staged(ws, set(snap.objects))
    return result


def hub_history(ws: Workspace) -> list[dict[str, Any]]:
    state = load_state(ws)
    return list(state.history) if state else []
