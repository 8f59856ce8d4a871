"""The target layer: where snapshots are pushed. One small interface, several backends.

A target stores opaque blobs under relative, ``/``-separated keys (``objects/<sha256>``,
``manifests/<id>.json``, ``CURRENT``). The snapshot code (push, spoke, retention) only uses
the methods below, so a new backend is one class:

* ``file://`` (:mod:`.file`): a directory, temp + fsync + ``os.replace`` + fsync of the dir.
* ``sftp://`` (:mod:`.sftp`): a real OpenSSH server through paramiko; the pointer switch
  is ``posix-rename@openssh.com`` (an atomic rename-over), exclusive creation is
  ``SSH_FXF_EXCL``.
* An S3-compatible object store (through ``fsspec``/``s3fs``) would be one more class:
  ``read``/``write``/``exists``/``size``/``list``/``delete`` map to ``cat``/``pipe``/``exists``/
  ``size``/``ls``/``rm``; objects need no temp name (an S3 PUT is atomic by itself);
  ``replace`` (the pointer switch) becomes a conditional PUT (``If-Match`` on the old ETag, or
  ``If-None-Match: *`` for ``create_exclusive``), which S3 supports since 2024. See
  docs/snapshots.md, "Adding a backend".
"""

from __future__ import annotations

import posixpath
from abc import ABC, abstractmethod
from collections.abc import Iterable

from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.storage import LIMITS

CHUNK = 1 << 20


class TargetError(CatalystError):
    """A target cannot be reached or refused an operation (one line, names the target)."""


def check_key(key: str) -> str:
    """Keys are produced by our own code; refuse anything that could escape the root."""
    if not key or key.startswith("/") or "\\" in key or "\0" in key:
        raise TargetError(f"invalid target key {key!r}")
    norm = posixpath.normpath(key)
    if norm != key or norm.startswith("..") or "/../" in f"/{norm}/":
        raise TargetError(f"invalid target key {key!r}")
    return key


class Target(ABC):
    url: str

    @abstractmethod
    def read(self, key: str, limit: int = LIMITS["record"]) -> bytes:
        """The whole blob (a pointer, record, lock or manifest: objects stream through
        :meth:`iter_read`); ``FileNotFoundError`` if absent, :class:`FileRefused` past ``limit``
        bytes (a hostile mirror's 1 GiB pointer is never read whole)."""

    @abstractmethod
    def iter_read(self, key: str) -> Iterable[bytes]:
        """The blob in chunks (for hashing large objects without holding them)."""

    @abstractmethod
    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        """Write atomically (temp name, then rename over ``key``); returns the bytes written."""

    @abstractmethod
    def create_exclusive(self, key: str, data: bytes) -> bool:
        """Create ``key`` only if it does not exist (True), else False. Used for the commit lock."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int | None:
        """Size in bytes, or None when absent."""

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Names (not keys) directly inside the ``prefix`` directory; [] if it does not exist."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; absent is fine."""

    @abstractmethod
    def rename(self, src: str, dst: str) -> None:
        """Atomically rename ``src`` over ``dst`` (readers see the old or the new blob)."""

    def mtime(self, key: str) -> float | None:
        """Modification time (seconds since the epoch), None when absent or unknown."""
        return None

    def write_bytes(self, key: str, data: bytes) -> int:
        return self.write(key, [data])

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
