"""The sshd harness itself: a real login as the unprivileged user, running the project's Python."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sshd_harness import SshServer

pytestmark = pytest.mark.sshd


def test_ssh_runs_project_python_as_unprivileged_user(sshd: SshServer) -> None:
    ws = sshd.scratch("ws")
    (ws / "note.txt").write_text("hello from the hub\n")
    sshd.grant_read(ws)
    code = f"import os, sys, catalyst_tui; print(os.getuid(), open({str(ws / 'note.txt')!r}).read().strip())"
    out = subprocess.run(sshd.remote([sshd.python, "-c", code]), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    uid, text = out.stdout.strip().split(" ", 1)
    assert text == "hello from the hub"
    if os.geteuid() == 0:
        assert int(uid) == sshd.uid != 0
        assert sshd.user == "catalyst-ssh"


def test_wrong_key_is_refused(sshd: SshServer, tmp_path: Path) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    argv = list(sshd.ssh_argv)
    argv[argv.index(str(sshd.client_key))] = str(other)
    out = subprocess.run([*argv, "true"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 255
    assert "Permission denied" in out.stderr


def test_user_dir_is_writable_by_the_ssh_user(sshd: SshServer) -> None:
    mirror = sshd.user_dir(sshd.scratch("m") / "mirror")
    out = subprocess.run([*sshd.ssh_argv, f"touch {mirror}/x && echo ok"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert (mirror / "x").exists()
