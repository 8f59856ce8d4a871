"""A pytest plugin: under CI (``CI`` set, as ``.ci/run`` does) a skipped test is a failed one.

Tests skip when a binary or a privilege is missing on a developer's machine (tmux, sshd,
prometheus, systemd-analyze, root for a mount). CI installs all of them and runs as root, so a
skip there means the suite did not test what it claims: it must turn the run red, not green.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where everything the suite needs is installed: {reason}"
