"""Snapshots, part 4: retention on the mirror. Keep the last K, never the current or a staged one.

Runs under the commit lock (from :meth:`Mirror.commit`):

1. refs beyond the newest ``keep`` are dropped, except the current snapshot's;
2. manifests no kept ref points at are removed;
3. objects referenced by no kept manifest and by no live staging lease are removed;
4. leases and temp files older than ``LEASE_TTL_S`` (a pusher killed mid-push) are removed
   (temp files only where the target reports modification times).

A push in flight writes its lease (``staging/<token>.json``, holding its manifest) *before*
uploading objects, so retention never deletes the objects of a snapshot being staged.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.snapshot.manifest import HEX64, SnapshotError, parse_manifest

if TYPE_CHECKING:
    from catalyst_tui.core.snapshot.mirror import Mirror

LEASE_TTL_S = 3600.0


@dataclass
class Pruned:
    refs: int = 0
    manifests: int = 0
    objects: int = 0
    leases: int = 0
    temps: int = 0


def live_leases(mirror: Mirror) -> tuple[set[str], set[str], list[str]]:
    """(manifest ids, object shas) protected by live leases, and the expired lease names."""
    ids: set[str] = set()
    shas: set[str] = set()
    expired: list[str] = []
    now = mirror.clock()
    for name in mirror.target.list("staging"):
        key = f"staging/{name}"
        try:
            lease = orjson.loads(mirror.target.read(key))
            started = float(lease["started"])
            manifest = str(lease["manifest"]).encode()
            entries = parse_manifest(manifest, key)
        except (FileNotFoundError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, SnapshotError):
            expired.append(name)  # torn or foreign: only kept while young enough by its name's age
            continue
        if now - started > LEASE_TTL_S:
            expired.append(name)
            continue
        ids.add(str(lease.get("id")))
        shas |= {e.sha256 for e in entries}
    return ids, shas, expired


def prune(mirror: Mirror, keep: int) -> Pruned:
    target = mirror.target
    out = Pruned()
    current = mirror.current()
    history = mirror.history()
    kept = history[-keep:] if keep > 0 else []
    if current is not None and current not in kept:
        kept.append(current)
    kept_ids = {r.id for r in kept}
    for rec in history:
        if rec not in kept:
            target.delete(f"refs/{rec.ref_name}")
            out.refs += 1
    lease_ids, lease_shas, expired = live_leases(mirror)
    wanted: set[str] = set(lease_shas)
    for sid in kept_ids:
        with contextlib.suppress(SnapshotError):
            wanted |= {e.sha256 for e in mirror.manifest(sid)}
    for name in target.list("manifests"):
        sid = name.removesuffix(".json")
        if name.endswith(".json") and HEX64.fullmatch(sid) and sid not in kept_ids | lease_ids:
            target.delete(f"manifests/{name}")
            out.manifests += 1
    for name in target.list("objects"):
        if HEX64.fullmatch(name) and name not in wanted:
            target.delete(f"objects/{name}")
            out.objects += 1
    now = mirror.clock()
    for prefix in ("objects", "manifests", "refs", "staging"):
        for name in target.list(prefix):
            if storage.is_tmp_name(name):
                mtime = target.mtime(f"{prefix}/{name}")
                if mtime is not None and now - mtime > LEASE_TTL_S:
                    target.delete(f"{prefix}/{name}")
                    out.temps += 1
    for name in expired:
        # A lease that cannot be parsed may still be being written: only a stale-named temp
        # or an expired, readable lease is removed here.
        if not storage.is_tmp_name(name):
            target.delete(f"staging/{name}")
            out.leases += 1
    return out
