"""Push, verify, list and restore against a real, non-root OpenSSH sshd on 127.0.0.1 (SFTP)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from snaphelpers import tree, write
from sshd_harness import SshServer

from catalyst_tui.core.snapshot import POINTER, Mirror, SpokeRefused, object_key, push, sha256_hex
from catalyst_tui.core.snapshot.targets import TargetError, open_target
from catalyst_tui.core.snapshot.targets.sftp import SftpTarget
from catalyst_tui.core.workspace import Workspace

pytestmark = pytest.mark.sshd
Make = Callable[..., Workspace]


def sftp_url(sshd: SshServer, path: Path) -> str:
    return f"{sshd.url_base}{path}?identity={sshd.client_key}&known_hosts={sshd.known_hosts}"


@pytest.fixture
def mirror_dir(sshd: SshServer) -> Path:
    return sshd.user_dir(sshd.scratch("mirror") / "m")


def test_push_noop_incremental_and_restore_over_sftp(sshd: SshServer, mirror_dir: Path, make_ws: Make,
                                                     tmp_path: Path) -> None:
    ws = make_ws({"data/a": os.urandom(300_000), "data/b": b"bee"})
    url = sftp_url(sshd, mirror_dir)
    first = push(ws, url)
    assert not first.noop and first.objects_sent == first.objects_total
    # The files on the server are owned by the unprivileged ssh user: sshd really wrote them.
    assert (mirror_dir / POINTER).stat().st_uid == sshd.uid
    assert push(ws, url).noop
    write(ws.root, "data/b", b"changed")
    second = push(ws, url)
    assert second.objects_sent == 1 and second.record.seq == first.record.seq + 1
    with open_target(url) as target:
        mirror = Mirror(target)
        assert mirror.current() == second.record
        assert mirror.verify() == []
        assert [r.seq for r in mirror.history()] == [1, 2]
        mirror.restore(tmp_path / "out")
    restored = tree(tmp_path / "out")
    assert restored["data/b"] == b"changed" and restored["data/a"] == (ws.root / "data/a").read_bytes()
    assert not [n for n in os.listdir(mirror_dir / "objects") if ".tmp-" in n]  # no temp left behind


def test_sftp_pointer_switch_uses_posix_rename_over_an_existing_pointer(sshd: SshServer, mirror_dir: Path) -> None:
    with open_target(sftp_url(sshd, mirror_dir)) as target:
        assert isinstance(target, SftpTarget)
        target.write_bytes("CURRENT", b"old")
        inode = (mirror_dir / "CURRENT").stat().st_ino
        target.write_bytes("CURRENT", b"new")  # plain SFTP rename would refuse an existing destination
        assert target.read("CURRENT") == b"new"
        assert (mirror_dir / "CURRENT").stat().st_ino != inode  # replaced by rename, not rewritten in place
        assert target.create_exclusive("lock", b"1") is True
        assert target.create_exclusive("lock", b"2") is False
        assert target.read("lock") == b"1"


def test_bit_flip_on_the_sftp_mirror_is_detected_and_refused(sshd: SshServer, mirror_dir: Path,
                                                             make_ws: Make) -> None:
    ws = make_ws({"data/a": b"a" * 10_000, "data/b": b"b"})
    url = sftp_url(sshd, mirror_dir)
    first = push(ws, url)
    obj = mirror_dir / object_key(sha256_hex(b"a" * 10_000))
    data = bytearray(obj.read_bytes())
    data[5000] ^= 0x40
    obj.write_bytes(bytes(data))
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "snapshot", "verify", url],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "hash mismatch" in out.stderr
    write(ws.root, "data/b", b"c")
    with pytest.raises(SpokeRefused, match="hash mismatch"):
        push(ws, url)
    with open_target(url) as target:
        assert Mirror(target).current() == first.record
    assert push(ws, url).record.seq > first.record.seq  # re-uploaded, accepted (a refused seq is never reused)


def test_unknown_host_key_is_refused(sshd: SshServer, mirror_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    url = f"{sshd.url_base}{mirror_dir}?identity={sshd.client_key}&known_hosts={empty}"
    with pytest.raises(TargetError, match="cannot connect"):
        open_target(url)


def test_cli_push_to_sftp_json(sshd: SshServer, mirror_dir: Path, make_ws: Make) -> None:
    import orjson

    ws = make_ws({"data/a": b"x"})
    url = sftp_url(sshd, mirror_dir)
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "snapshot", "push", "-w", str(ws.root),
                          "--to", url, "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = orjson.loads(out.stdout)
    assert result["noop"] is False and result["seq"] == 1
    listed = subprocess.run([sys.executable, "-m", "catalyst_tui", "snapshot", "list", url, "--json"],
                            capture_output=True, text=True, timeout=60)
    assert orjson.loads(listed.stdout)["current"]["id"] == result["id"]


def test_paramikos_privates_are_still_there() -> None:
    """Fails loudly when a paramiko release renames what the sftp target relies on (PARAMIKO_PRIVATES)."""
    import inspect

    import paramiko
    import paramiko.sftp

    from catalyst_tui.core.snapshot.targets import sftp as sftp_target

    assert paramiko.sftp.CMD_EXTENDED == sftp_target.CMD_EXTENDED
    assert list(inspect.signature(paramiko.SFTPClient._read_response).parameters) == ["self", "waitfor"]
    assert list(inspect.signature(paramiko.SFTPClient._request).parameters) == ["self", "t", "args"]

    class Closed:  # what SFTPFile.__init__ needs of its client, and a close that sends nothing
        def _log(self, *args: object) -> None: ...

    fh = paramiko.SFTPFile(Closed(), b"handle", "wb")  # type: ignore[arg-type]
    fh._closed = True  # nothing to send at garbage collection
    client = object.__new__(paramiko.SFTPClient)
    for owner, name in sftp_target.PARAMIKO_PRIVATES:
        assert hasattr(fh if owner == "SFTPFile" else client, name), f"paramiko {paramiko.__version__}: {owner}.{name}"
    pipe = sftp_target._pipeline(client, fh)
    assert len(pipe.pending) == 0 and callable(pipe.read_response) and callable(pipe.request)


def test_a_paramiko_without_those_privates_is_a_clear_error() -> None:
    from catalyst_tui.core.snapshot.targets import sftp as sftp_target

    with pytest.raises(TargetError, match=r"paramiko .* changed a private attribute .*_reqs"):
        sftp_target._pipeline(object(), object())  # type: ignore[arg-type]
