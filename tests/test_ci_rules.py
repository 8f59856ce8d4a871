"""Under CI a skipped test fails the run; on a developer's machine it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _run(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs_a_tool.py").write_text(
        "import pytest\n\n"
        "def test_needs_a_tool():\n    pytest.skip('frobnicate not installed')\n\n"
        "@pytest.mark.xfail(reason='known')\ndef test_known_bug():\n    assert False\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(TESTS)}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "ci_rules", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False)


def test_a_skip_under_ci_fails_naming_its_reason(tmp_path: Path) -> None:
    out = _run(tmp_path, ci=True)
    assert out.returncode == 1, out.stdout
    assert "1 failed" in out.stdout and "1 xfailed" in out.stdout  # an expected failure is no skip
    assert "skipped under CI" in out.stdout and "frobnicate not installed" in out.stdout


def test_a_skip_elsewhere_stays_a_skip(tmp_path: Path) -> None:
    out = _run(tmp_path, ci=False)
    assert out.returncode == 0, out.stdout
    assert "1 skipped" in out.stdout and "1 xfailed" in out.stdout
