"""Snapshot targets by URL: ``file://`` (a directory) and ``sftp://`` (OpenSSH). See base.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from catalyst_tui.core.snapshot.targets.base import Target, TargetError
from catalyst_tui.core.snapshot.targets.file import FileTarget

__all__ = ["FileTarget", "Target", "TargetError", "open_target"]


def open_target(url: str, base: Path | None = None) -> Target:
    """The target for ``url``. A relative ``file://`` path (``file://mirror``) is resolved
    against ``base`` (the workspace); a bare path is taken as a directory."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise TargetError(f"{url!r}: not a valid URL ({exc})") from None
    if parts.scheme in ("", "file"):
        raw = unquote(parts.netloc + parts.path) if parts.scheme else url
        if not raw:
            raise TargetError(f"{url!r}: empty path")
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return FileTarget(path, url)
    if parts.scheme == "sftp":
        try:
            from catalyst_tui.core.snapshot.targets.sftp import SftpTarget
        except ImportError:
            raise TargetError(f"{url}: sftp:// targets need paramiko (pip install paramiko)") from None

        return SftpTarget(url)
    raise TargetError(f"{url}: unsupported target scheme {parts.scheme!r} (file://, sftp://)")
