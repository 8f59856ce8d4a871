"""A real, non-root OpenSSH ``sshd`` on 127.0.0.1 for tests (snapshots over sftp, live watching over ssh).

Usage as a pytest fixture (import the fixture into your ``conftest.py``)::

    from tests.sshd_harness import sshd  # noqa: F401  (the fixture)

    def test_remote_python(sshd):
        ws = sshd.scratch("ws")                     # NOT under tmp_path: see scratch()
        (ws / "f").write_text("x")
        sshd.grant_read(ws)                         # the ssh user may read the tree
        out = subprocess.run(sshd.remote([sshd.python, "-c", "print(1)"]),
                             capture_output=True, text=True, check=True)
        assert out.stdout == "1\\n"

Or directly, outside pytest::

    with SshServer.start(Path("/tmp/x")) as server:
        subprocess.run([*server.ssh_argv, "true"], check=True)

What it does:

* finds ``sshd`` (``/usr/sbin/sshd`` or on ``PATH``); the fixture skips with a clear reason
  *only* when no sshd binary exists — every other problem is a hard error;
* when the tests run as root (CI), ensures an unprivileged user ``catalyst-ssh`` exists
  (``useradd``; its password field is set to ``*`` so ``UsePAM no`` sshd does not treat it as
  locked) and runs sshd *as that user*; otherwise sshd runs as the current user. A non-root
  sshd can only authenticate its own user, so ``server.user`` is the account it runs as;
* writes a throwaway ed25519 host key, a throwaway ed25519 client key, ``authorized_keys``,
  a ``known_hosts`` pinned to the host key and an ``sshd_config`` in a temp directory
  (``UsePAM no``, ``StrictModes no`` because the keys live in a throwaway temp directory whose
  ancestors (``/tmp``) are world-writable, ``PasswordAuthentication no``, ``internal-sftp``);
* picks a free port on 127.0.0.1, runs ``sshd -D -e -f CONFIG`` and waits until a real SSH
  banner is served; stops it with SIGTERM (SIGKILL after 5 s) when done;
* ``ssh_argv`` is a ready-made client command (``ssh -F /dev/null -i KEY -p PORT -o BatchMode=yes
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile=KNOWN_HOSTS ... user@127.0.0.1``); append
  the remote command — or use ``server.remote(argv)``, which quotes ``argv`` for the remote
  shell (ssh joins its words with spaces);
* ``scratch(name)`` is a fresh directory outside pytest's ``tmp_path`` tree (pytest resets
  ``/tmp/pytest-of-<user>`` to 0700 at every session start, so concurrent sessions would
  revoke access granted there); put workspaces and mirrors the ssh user must reach in it;
* ``grant_read(path)`` makes a tree readable (and its ancestors traversable) for the ssh user,
  ``user_dir(path)`` creates a directory the ssh user owns (e.g. an SFTP mirror root), and
  ``python`` is the project's interpreter, made runnable by the ssh user (``/root`` is often
  0700 while pyenv lives under it: the harness adds only the ``o+x`` traverse bit).

Fields: ``host``, ``port``, ``user``, ``client_key`` (path), ``known_hosts`` (path),
``host_key_pub`` (the ``ssh-ed25519 AAAA...`` line), ``ssh_argv``, ``python``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSH_USER = "catalyst-ssh"
START_TIMEOUT = 15.0


def find_sshd() -> str | None:
    for candidate in ("/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("sshd")
    return os.path.abspath(found) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_user(name: str = SSH_USER) -> pwd.struct_passwd:
    """The unprivileged account sshd runs as (created when running as root)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        home = f"/var/lib/{name}"
        subprocess.run(
            ["useradd", "--system", "--create-home", "--home-dir", home, "--shell", "/bin/sh", name],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(name)
    # "!" in the password field means "locked" to a UsePAM=no sshd; "*" = no password, not locked.
    subprocess.run(["usermod", "-p", "*", name], check=True, capture_output=True)
    home = Path(entry.pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    return entry


def _add_mode(path: Path, bits: int) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & bits != bits:
        path.chmod(mode | bits)


def grant_traverse(path: Path) -> None:
    """Give "others" the execute (traverse) bit on ``path``'s ancestors, nothing more."""
    for parent in reversed(Path(path).resolve().parents):
        _add_mode(parent, stat.S_IXOTH)


def grant_read(path: Path) -> None:
    """Make ``path`` (file or tree) readable by any user, and its ancestors traversable."""
    path = Path(path).resolve()
    grant_traverse(path)
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            _add_mode(Path(root), stat.S_IROTH | stat.S_IXOTH)
            for name in dirs:
                _add_mode(Path(root) / name, stat.S_IROTH | stat.S_IXOTH)
            for name in files:
                _add_mode(Path(root) / name, stat.S_IROTH)
    else:
        _add_mode(path, stat.S_IROTH)


@dataclass
class SshServer:
    host: str
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    host_key_pub: str
    python: str
    workdir: Path
    uid: int
    gid: int
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def ssh_argv(self) -> list[str]:
        return [
            "ssh", "-F", "/dev/null", "-i", str(self.client_key), "-p", str(self.port),
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR", f"{self.user}@{self.host}",
        ]  # fmt: skip

    def remote(self, argv: list[str]) -> list[str]:
        """``ssh_argv`` plus ``argv`` quoted for the remote shell (ssh joins words with spaces)."""
        return [*self.ssh_argv, shlex.join(argv)]

    @property
    def url_base(self) -> str:
        """``sftp://user@127.0.0.1:PORT`` — append an absolute path."""
        return f"sftp://{self.user}@{self.host}:{self.port}"

    def grant_read(self, path: Path) -> None:
        grant_read(path)

    def scratch(self, name: str = "t") -> Path:
        """A fresh directory the ssh user can traverse, outside pytest's ``tmp_path`` tree.

        Put anything the ssh user must reach here: every pytest session start resets
        ``/tmp/pytest-of-<user>`` to 0700, so a concurrent session would revoke access to
        paths granted under ``tmp_path``.
        """
        base = self.workdir / "scratch"
        base.mkdir(exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))
        grant_traverse(path / "x")
        return path

    def user_dir(self, path: Path) -> Path:
        """Create ``path`` owned by the ssh user (its ancestors made traversable)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        grant_traverse(path)
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)
        return path

    @classmethod
    @contextlib.contextmanager
    def start(cls, workdir: Path) -> Iterator[SshServer]:
        sshd_bin = find_sshd()
        if sshd_bin is None:
            raise RuntimeError("no sshd binary found (apt-get install openssh-server)")
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        entry = ensure_user() if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        server_dir = workdir / "sshd"
        server_dir.mkdir(exist_ok=True)
        host_key = server_dir / "host_ed25519"
        client_key = workdir / "client_ed25519"
        for key in (host_key, client_key):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "catalyst-test", "-f", str(key)],
                check=True,
                capture_output=True,
            )
        authorized = server_dir / "authorized_keys"
        authorized.write_text(Path(f"{client_key}.pub").read_text())
        host_pub = Path(f"{host_key}.pub").read_text().split()
        host_key_pub = f"{host_pub[0]} {host_pub[1]}"
        python = os.path.realpath(sys.executable)
        project_python = sys.executable  # the venv's python: keeps the venv's site-packages
        if os.geteuid() == 0:
            grant_traverse(Path(python))
            grant_traverse(Path(project_python))
            for path in (server_dir, host_key, authorized, Path(f"{host_key}.pub")):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            grant_traverse(server_dir)
        host_key.chmod(0o600)
        port = 0
        proc: subprocess.Popen[bytes] | None = None
        errors: list[str] = []
        for _attempt in range(5):
            port = _free_port()
            config = server_dir / "sshd_config"
            config.write_text(
                "\n".join(
                    [
                        f"Port {port}",
                        "ListenAddress 127.0.0.1",
                        f"HostKey {host_key}",
                        f"AuthorizedKeysFile {authorized}",
                        f"AllowUsers {entry.pw_name}",
                        "PidFile none",
                        "UsePAM no",
                        "StrictModes no",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        "PubkeyAuthentication yes",
                        "PermitRootLogin no",
                        "Subsystem sftp internal-sftp",
                        "LogLevel ERROR",
                        "",
                    ]
                )
            )
            log = (server_dir / "sshd.log").open("ab")
            kwargs: dict[str, object] = {}
            if os.geteuid() == 0:
                kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            proc = subprocess.Popen(
                [sshd_bin, "-D", "-e", "-f", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=str(server_dir),
                start_new_session=True,
                **kwargs,  # type: ignore[call-overload]
            )
            log.close()
            if _wait_for_banner(proc, port):
                break
            _stop(proc)
            errors.append((server_dir / "sshd.log").read_text(errors="replace")[-2000:])
            proc = None
        if proc is None:
            raise RuntimeError("sshd did not start:\n" + "\n---\n".join(errors))
        known_hosts = workdir / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_key_pub}\n")
        server = cls(
            host="127.0.0.1",
            port=port,
            user=entry.pw_name,
            client_key=client_key,
            known_hosts=known_hosts,
            host_key_pub=host_key_pub,
            python=project_python,
            workdir=workdir,
            uid=entry.pw_uid,
            gid=entry.pw_gid,
            proc=proc,
        )
        try:
            yield server
        finally:
            _stop(proc)


def _wait_for_banner(proc: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
                sock.settimeout(2.0)
                if sock.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A running sshd for the module; skips only when no sshd binary exists."""
    if find_sshd() is None:
        pytest.skip("no sshd binary on this machine (CI installs openssh-server)")
    # A short path outside pytest's 0700 tree keeps socket paths short and traversable.
    workdir = Path(tempfile.mkdtemp(prefix="catalyst-sshd-"))
    try:
        with SshServer.start(workdir) as server:
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
