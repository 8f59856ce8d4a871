"""A real sshd on 127.0.0.1 (tests/sshd_harness.py) whose sessions may have a pty (``ssh -t``)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def sshd_with_tty(workdir: Path) -> Iterator[object]:
    """tests/sshd_harness.py, with the ``tty`` group added to sshd so ``ssh -t`` gets a pty."""
    import grp

    import sshd_harness

    real = subprocess.Popen
    tty_gid = grp.getgrnam("tty").gr_gid

    def popen(argv, *a, **kw):  # type: ignore[no-untyped-def]
        if os.geteuid() == 0 and "extra_groups" in kw and str(argv[0]).endswith("sshd"):
            kw["extra_groups"] = [*kw["extra_groups"], tty_gid]
        return real(argv, *a, **kw)

    sshd_harness.subprocess.Popen = popen  # type: ignore[misc]
    try:
        with sshd_harness.SshServer.start(workdir) as server:
            sshd_harness.subprocess.Popen = real  # type: ignore[misc]
            yield server
    finally:
        sshd_harness.subprocess.Popen = real  # type: ignore[misc]
