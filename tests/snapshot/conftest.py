"""Fixtures for the snapshot tests: the real sshd (tests/sshd_harness.py) and seeded workspaces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from snaphelpers import make_workspace
from sshd_harness import sshd  # noqa: F401  (the module-scoped fixture)

from catalyst_tui.core.workspace import Workspace


@pytest.fixture
def make_ws(tmp_path: Path) -> Callable[..., Workspace]:
    counter = iter(range(1000))

    def make(files: dict[str, bytes] | None = None, **kw: object) -> Workspace:
        return make_workspace(tmp_path / f"ws{next(counter)}", files, **kw)  # type: ignore[arg-type]

    return make
