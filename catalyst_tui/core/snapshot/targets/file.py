"""``file://`` targets: a directory (the embedded default: a mirror folder next to the workspace)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from catalyst_tui.core import storage
from catalyst_tui.core.snapshot.targets.base import CHUNK, Target, check_key


class FileTarget(Target):
    def __init__(self, root: Path, url: str | None = None) -> None:
        self.root = Path(root)
        self.url = url or f"file://{self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def read(self, key: str, limit: int = storage.LIMITS["record"]) -> bytes:
        path = self._path(key)
        fd, st = storage.open_regular(path, follow=False)
        try:
            return storage.read_fd(fd, st.st_size, limit, path)
        finally:
            os.close(fd)

    def iter_read(self, key: str) -> Iterator[bytes]:
        fd, _ = storage.open_regular(self._path(key), follow=False)  # a FIFO object must not hang a restore
        with os.fdopen(fd, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return storage.atomic_write_chunks(path, chunks)

    def create_exclusive(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        storage.fsync_dir(path.parent)
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def mtime(self, key: str) -> float | None:
        try:
            return self._path(key).stat().st_mtime
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> list[str]:
        try:
            return sorted(os.listdir(self._path(prefix)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def rename(self, src: str, dst: str) -> None:
        dst_path = self._path(dst)
        dst_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(src), dst_path)
        storage.fsync_dir(dst_path.parent)
