"""Snapshots: the canonical manifest, the push from the hub, the mirror (spoke) that verifies and
applies atomically, retention, and the targets (file://, sftp://) behind one interface.

A lazy face (core/faces.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.snapshot.hub import (
        PushInterrupted,
        PushResult,
        hub_history,
        load_state,
        push,
        save_state,
        state_path,
    )
    from catalyst_tui.core.snapshot.manifest import (
        CACHE_NAME,
        OBJECTS_DIR,
        FileEntry,
        SnapshotError,
        canonical,
        collect,
        manifest_bytes,
        parse_manifest,
        sha256_hex,
        take_snapshot,
    )
    from catalyst_tui.core.snapshot.mirror import (
        LOCK,
        POINTER,
        Mirror,
        SpokeRefused,
        manifest_key,
        object_key,
    )
    from catalyst_tui.core.snapshot.record import Record
    from catalyst_tui.core.snapshot.restore import Restored, mirror_workspace, restore_into
    from catalyst_tui.core.snapshot.rollback import HIGH, RollbackRefused, Seen
    from catalyst_tui.core.snapshot.targets import FileTarget, Target, TargetError, open_target

_WHERE = {
    "FileTarget": "targets",
    "Target": "targets",
    "TargetError": "targets",
    "open_target": "targets",
    "CACHE_NAME": "manifest",
    "FileEntry": "manifest",
    "LOCK": "mirror",
    "Mirror": "mirror",
    "OBJECTS_DIR": "manifest",
    "POINTER": "mirror",
    "PushInterrupted": "hub",
    "PushResult": "hub",
    "Record": "record",
    "SnapshotError": "manifest",
    "SpokeRefused": "mirror",
    "canonical": "manifest",
    "collect": "manifest",
    "hub_history": "hub",
    "load_state": "hub",
    "manifest_bytes": "manifest",
    "manifest_key": "mirror",
    "mirror_workspace": "restore",
    "restore_into": "restore",
    "Restored": "restore",
    "HIGH": "rollback",
    "RollbackRefused": "rollback",
    "Seen": "rollback",
    "object_key": "mirror",
    "parse_manifest": "manifest",
    "push": "hub",
    "save_state": "hub",
    "sha256_hex": "manifest",
    "state_path": "hub",
    "take_snapshot": "manifest",
}
__all__ = [
    "CACHE_NAME",
    "HIGH",
    "LOCK",
    "OBJECTS_DIR",
    "POINTER",
    "FileEntry",
    "FileTarget",
    "Mirror",
    "PushInterrupted",
    "PushResult",
    "Record",
    "Restored",
    "RollbackRefused",
    "Seen",
    "SnapshotError",
    "SpokeRefused",
    "Target",
    "TargetError",
    "canonical",
    "collect",
    "hub_history",
    "load_state",
    "manifest_bytes",
    "manifest_key",
    "mirror_workspace",
    "object_key",
    "open_target",
    "parse_manifest",
    "push",
    "restore_into",
    "save_state",
    "sha256_hex",
    "state_path",
    "take_snapshot",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
