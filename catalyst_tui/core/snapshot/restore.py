"""Restoring a mirror's snapshot: into a directory (``snapshot restore``), or into a temp dir
opened read-only (``--from-mirror``).

Restoring into a directory that is not empty (a live workspace, most dangerously) is refused
unless ``force``; then every file the snapshot is about to replace is first kept aside, by a
hard link (a copy where linking is impossible), under
``<into>/.catalyst/restore-aside-<UTC time>-<hex>/<its path>``, and the caller says where.
A restore replaces files by a rename, so the kept link still holds the old version. While a
workspace is restored its index lock is held: no card write interleaves with the restore.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.snapshot.manifest import FileEntry, SnapshotError, _index_seq
from catalyst_tui.core.snapshot.mirror import Mirror, Record
from catalyst_tui.core.snapshot.rollback import Seen

if TYPE_CHECKING:
    from catalyst_tui.core.workspace import Workspace

ASIDE_PREFIX = "restore-aside-"
INTERNAL = ".catalyst"


@dataclass
class Restored:
    record: Record | None
    into: Path
    aside: Path | None = None  # where the replaced files were kept (None: nothing was replaced)
    kept: int = 0
    warnings: list[str] = field(default_factory=list)


def _is_empty(path: Path) -> bool:
    try:
        with os.scandir(path) as it:
            return next(it, None) is None
    except FileNotFoundError:
        return True
    except NotADirectoryError:
        raise SnapshotError(f"{path}: not a directory") from None


class _Aside:
    def __init__(self, into: Path, clock: float) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock))
        self.into = into
        self.dir = into / INTERNAL / f"{ASIDE_PREFIX}{stamp}-{os.urandom(3).hex()}"
        self.kept = 0
        self.restored: set[str] = set()  # the paths the snapshot writes

    def _make_dir(self) -> None:
        """The aside directory, made by a descent that follows no link: a ``.catalyst`` planted
        as a symlink would otherwise take the kept files out of the workspace."""
        try:
            with storage.dir_under(self.into, self.dir.relative_to(self.into).as_posix(), create=True):
                pass
        except OSError as exc:
            raise SnapshotError(f"{self.dir}: cannot keep the replaced files aside ({os_reason(exc)}); "
                                "nothing restored") from None

    def __call__(self, entries: list[FileEntry] | FileEntry) -> None:
        if not self.dir.is_dir() or self.dir.is_symlink():
            self._make_dir()
        for e in [entries] if isinstance(entries, FileEntry) else entries:
            if not isinstance(entries, FileEntry):
                self.restored.add(e.path)
            src = self.into / e.path
            try:
                st = os.lstat(src)
            except (FileNotFoundError, NotADirectoryError):
                continue  # nothing there to replace
            if not stat.S_ISREG(st.st_mode):
                continue  # a link or a special file: the restore refuses it, nothing is replaced
            dest = self.dir / e.path
            if dest.exists():
                continue  # kept by an earlier attempt (the pointer moved)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dest, follow_symlinks=False)
            except OSError:
                shutil.copy2(src, dest, follow_symlinks=False)
            self.kept += 1


def restore_into(mirror: Mirror, into: Path, snapshot_id: str | None = None, *, force: bool = False,
                 accept_rollback: bool = False, seen: Seen | None = None) -> Restored:
    """``snapshot restore``: refuses a non-empty ``into`` unless ``force`` (see the module)."""
    into = Path(into).absolute()
    empty = _is_empty(into)
    if not empty and not force:
        what = "a workspace (catalyst.toml)" if (into / "catalyst.toml").exists() else "not empty"
        raise SnapshotError(f"{into}: {what}; refusing to restore over it (--force keeps the files it "
                            "would replace aside first)")
    aside = None if empty else _Aside(into, time.time())
    warnings: list[str] = []
    lock = into / "board" / "index.lock"
    with storage.locked(lock) if (into / "board").is_dir() else contextlib.nullcontext():
        rec = mirror.restore(into, snapshot_id, seen=seen, accept_rollback=accept_rollback, before_write=aside,
                             warnings=warnings)
        if aside is not None:
            _drop_abandoned_segments(into / "board", aside)
            _rebase_board(into / "board", aside)
    kept = aside.kept if aside is not None else 0
    return Restored(rec, into, aside.dir if aside is not None and kept else None, kept, warnings)


def _drop_abandoned_segments(board: Path, aside: _Aside) -> None:
    """A snapshot that brings the audit journal brings every segment of its timeline: a sealed
    segment on disk it does not hold was sealed after it (from the very events its live file
    holds, and newer ones), so left in place those events would be read twice. Kept aside, then
    removed (index lock held)."""
    from catalyst_tui.core.board.journal import SEGMENT

    if "board/audit.jsonl" not in aside.restored:
        return  # no journal in the snapshot: the workspace's own stays whole, segments and all
    try:
        names = os.listdir(board)
    except OSError:
        return
    for name in sorted(names):
        rel = f"board/{name}"
        if rel in aside.restored or not (SEGMENT.fullmatch(name) or SEGMENT.fullmatch(name + "l")):
            continue
        aside(FileEntry(rel, 0, ""))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(board / name)
    with contextlib.suppress(OSError):
        storage.fsync_dir(board)


def _rebase_board(board: Path, aside: _Aside) -> None:
    """After an index went back (index lock held): what was newer than it is not the board's any more.

    The last good copy (``index.json.bak``) is the replaced index's: a reader falling back to it
    would show the timeline the restore left. It is kept aside and becomes the restored index.
    The journal's events above the restored seq are voided (``abort``), so no fallback replays
    them and the next writes, which take those seqs again, are not mixed with them."""
    from catalyst_tui.core.board.journal import AuditJournal, abort_event

    index, bak = board / "index.json", board / "index.json.bak"
    seq = _index_seq(str(index))
    if seq is None:
        return  # no index restored (or it does not parse): nothing went back
    if bak.is_file() and not bak.is_symlink():
        aside(FileEntry(bak.relative_to(aside.into).as_posix(), 0, ""))
        # a copy, not a link: one inode for both would let one in-place write spoil the two
        storage.atomic_write_bytes(bak, storage.read_bytes(index, "index", follow=False))
    journal = AuditJournal(board / "audit.jsonl")
    events, _ = journal.read()
    newer = sorted({e.seq for e in events if e.seq is not None and e.seq > seq})
    journal.append(abort_event(s, time.time()) for s in newer)


@contextlib.contextmanager
def mirror_workspace(url: str, *, accept_rollback: bool = False) -> Iterator[Workspace]:
    """The mirror's current snapshot, restored (verified) into a temp dir, opened as a workspace.

    For ``catalyst-tui --from-mirror URL``: the dashboard opens it read-only; the copy is
    removed afterwards. A rolled-back mirror is refused unless ``accept_rollback``.
    """
    from catalyst_tui.core.snapshot.targets import open_target
    from catalyst_tui.core.workspace import MirrorOrigin, Workspace

    tmp = Path(tempfile.mkdtemp(prefix="catalyst-mirror-"))
    try:
        with open_target(url) as target:
            record = Mirror(target).restore(tmp, seen=Seen.default(), accept_rollback=accept_rollback)
        ws = Workspace.open(tmp)
        if record is not None:
            ws.mirror = MirrorOrigin(url, record.id, record.seq, record.created)
        yield ws
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
