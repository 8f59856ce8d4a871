"""``sftp://user@host:port/abs/path`` targets over a real OpenSSH server (paramiko).

* Writes go to a temp name in the same directory, are flushed with ``fsync@openssh.com``
  when the server offers it, then renamed over the key with ``posix-rename@openssh.com``
  (paramiko's ``SFTPClient.posix_rename``): an atomic rename-over, unlike plain SFTP
  ``rename`` which refuses an existing destination.
* Exclusive creation (the commit lock) is ``open(..., "x")`` = ``SSH_FXF_CREAT|SSH_FXF_EXCL``.
* Host keys are verified (``RejectPolicy``): ``~/.ssh/known_hosts`` plus ``?known_hosts=PATH``;
  the client key comes from ``?identity=PATH`` (else the agent / default keys).
"""

from __future__ import annotations

import contextlib
import errno
import posixpath
import stat
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import paramiko

from catalyst_tui.core.errors import FileRefused
from catalyst_tui.core.snapshot.targets.base import CHUNK, Target, TargetError, check_key
from catalyst_tui.core.storage import LIMITS, tmp_name_for

CMD_EXTENDED = 200  # SSH_FXP_EXTENDED (draft-ietf-secsh-filexfer-02, section 8)
# paramiko's private API, used by _pipeline only; checked against paramiko 3.4-5.1 (pinned <6)
PARAMIKO_PRIVATES = (("SFTPClient", "_request"), ("SFTPClient", "_read_response"), ("SFTPFile", "_reqs"))


class _Pipeline:
    """What paramiko keeps private and a safe write needs: the replies of pipelined writes it
    would drop at ``close()`` (an ENOSPC unnoticed), and the ``fsync@openssh.com`` extension."""

    def __init__(self, sftp: paramiko.SFTPClient, fh: paramiko.SFTPFile) -> None:
        self.pending = fh._reqs  # the write requests whose status nobody read yet
        self.read_response = sftp._read_response
        self.request = sftp._request


def _pipeline(sftp: paramiko.SFTPClient, fh: paramiko.SFTPFile) -> _Pipeline:
    """The one place paramiko's privates are touched: a release that renames them is a clear
    error here (and in tests/snapshot/test_sftp.py), never a write that silently loses data."""
    try:
        return _Pipeline(sftp, fh)
    except AttributeError as exc:
        raise TargetError(f"paramiko {paramiko.__version__} changed a private attribute this target relies on "
                          f"({exc}); pin paramiko to a release checked in PARAMIKO_PRIVATES") from None


class SftpTarget(Target):
    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.url = url
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise TargetError(f"{url!r}: not a valid URL ({exc})") from None
        if not parts.hostname or not parts.path.startswith("/"):
            raise TargetError(f"{url}: expected sftp://[user@]host[:port]/absolute/path")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.root = unquote(parts.path).rstrip("/") or "/"
        self.client = paramiko.SSHClient()
        self.client.load_system_host_keys()
        if "known_hosts" in query:
            self.client.load_host_keys(query["known_hosts"])
        self.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            self.client.connect(
                parts.hostname,
                port=port or 22,
                username=unquote(parts.username) if parts.username else None,
                key_filename=query.get("identity"),
                look_for_keys="identity" not in query,
                allow_agent="identity" not in query,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
            )
            self.sftp = self.client.open_sftp()
        except (paramiko.SSHException, OSError) as exc:
            self.client.close()
            raise TargetError(f"{url}: cannot connect: {exc}") from None

    def _path(self, key: str) -> str:
        return posixpath.join(self.root, check_key(key))

    def _makedirs(self, directory: str) -> None:
        missing: list[str] = []
        while directory not in ("", "/"):
            try:
                self.sftp.stat(directory)
                break
            except FileNotFoundError:
                missing.append(directory)
                directory = posixpath.dirname(directory)
        for d in reversed(missing):
            try:
                self.sftp.mkdir(d)
            except OSError:
                if not stat.S_ISDIR(self.sftp.stat(d).st_mode or 0):
                    raise

    def read(self, key: str, limit: int = LIMITS["record"]) -> bytes:
        chunks, total = [], 0
        for chunk in self.iter_read(key):
            total += len(chunk)
            if total > limit:
                raise FileRefused(f"{self.url}/{key}", f"larger than the {limit}-byte limit", errno.EFBIG)
            chunks.append(chunk)
        return b"".join(chunks)

    def iter_read(self, key: str) -> Iterator[bytes]:
        with self.sftp.open(self._path(key), "rb") as fh:
            fh.prefetch()
            while chunk := fh.read(CHUNK):
                yield chunk

    def _drain(self, fh: paramiko.SFTPFile, name: str) -> None:
        """Collect the status of every pipelined write, raising the first error.

        paramiko only checks pipelined write replies every 100 requests; at ``close()`` the
        rest are read and *dropped*, so an ENOSPC (``SSH_FX_FAILURE``) would go unnoticed
        and a short file would be renamed into place.
        """
        pipe = _pipeline(self.sftp, fh)
        reqs = pipe.pending
        while reqs:
            try:
                pipe.read_response(reqs.popleft())
            except OSError as exc:
                reqs.clear()
                code = exc.errno or (errno.ENOSPC if "Failure" in str(exc) else errno.EIO)
                raise OSError(code, f"write to {name} failed: {exc} (disk full?)") from None

    def _fsync(self, fh: paramiko.SFTPFile) -> None:
        request = _pipeline(self.sftp, fh).request
        with contextlib.suppress(OSError, paramiko.SSHException):
            request(CMD_EXTENDED, "fsync@openssh.com", fh.handle)

    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        tmp = posixpath.join(posixpath.dirname(path), tmp_name_for(posixpath.basename(path)))
        self._makedirs(posixpath.dirname(path))
        total = 0
        try:
            with self.sftp.open(tmp, "wbx") as fh:
                fh.set_pipelined(True)
                for chunk in chunks:
                    fh.write(chunk)
                    total += len(chunk)
                fh.flush()
                self._drain(fh, tmp)
                self._fsync(fh)
            written = self.sftp.stat(tmp).st_size
            if written != total:  # belt and braces: never rename a short file into place
                raise TargetError(f"{self.url}: short write of {key} ({written} of {total} bytes; disk full?)")
            self.sftp.posix_rename(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError, paramiko.SSHException):
                self.sftp.remove(tmp)
            raise
        return total

    def create_exclusive(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        self._makedirs(posixpath.dirname(path))
        try:
            with self.sftp.open(path, "wbx") as fh:
                fh.write(data)
                fh.flush()
                self._fsync(fh)
        except OSError as exc:
            # OpenSSH answers SSH_FX_FAILURE for an existing file with EXCL: check it is there.
            if exc.errno in (errno.EEXIST, None) and self.exists(key):
                return False
            raise
        return True

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        try:
            return self.sftp.stat(self._path(key)).st_size
        except FileNotFoundError:
            return None

    def mtime(self, key: str) -> float | None:
        try:
            return self.sftp.stat(self._path(key)).st_mtime
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> list[str]:
        try:
            return sorted(self.sftp.listdir(self._path(prefix)))
        except FileNotFoundError:
            return []

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.sftp.remove(self._path(key))

    def rename(self, src: str, dst: str) -> None:
        dst_path = self._path(dst)
        self._makedirs(posixpath.dirname(dst_path))
        self.sftp.posix_rename(self._path(src), dst_path)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sftp.close()
        self.client.close()
