"""Shared fixtures. Area-specific fixtures live in each tests/<area>/conftest.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ci_rules import pytest_runtest_makereport  # noqa: F401  (under CI a skip is a failure)

from catalyst_tui.core.workspace import Workspace


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's real config, workspace or environment overrides."""
    import os

    for key in list(os.environ):
        if key.startswith("CATALYST_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TZ", "UTC")  # times on screen (the status bar) are local: make them the same everywhere
    time.tzset()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A fresh workspace with the nine default agents and an empty board."""
    return Workspace.create(tmp_path / "ws")


@pytest.fixture
def demo_ports_free() -> Iterator[None]:
    """The demo's documented hub ports (3131, 18800, 19100) free for this test, and kept from the
    other test runs on this machine while it runs (tests/demo_ports.py)."""
    from demo_ports import demo_ports

    with demo_ports():
        yield
