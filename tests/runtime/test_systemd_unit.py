"""contrib/systemd/catalyst-tui-daemon@.service passes ``systemd-analyze verify`` (where it exists)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import catalyst_tui

UNIT = Path(catalyst_tui.__file__).resolve().parents[1] / "contrib" / "systemd" / "catalyst-tui-daemon@.service"


def test_the_unit_verifies_clean(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (CI installs systemd)")
    text = UNIT.read_text()
    assert "ExecStart=/usr/bin/env catalyst-tui daemon --workspace %f" in text
    instance = tmp_path / "catalyst-tui-daemon@srv-catalyst.service"  # a template verifies as an instance
    instance.write_text(text)
    out = subprocess.run(["systemd-analyze", "verify", str(instance)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr  # warnings (e.g. a bad Type=) count too
