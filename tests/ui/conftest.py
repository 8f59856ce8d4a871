"""Fixtures for the dashboard tests: a seeded, deterministic workspace and app."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import FrozenClock, seed_workspace

CARDS = {
    "aretha": [("backlog", "Write the runbook"), ("doing", "Rotate hub keys")],
    "bjork": [("todo", "Fix the router"), ("todo", "Tune p95 alerts"), ("review", "Cache warmup")],
    "bowie": [("done", "Ship 0.1")],
    "cher": [("doing", "Index compaction")],
    "slash": [("backlog", "Heartbeat watchdog")],
}


@pytest.fixture
def seeded(tmp_path: Path) -> Workspace:
    return seed_workspace(tmp_path / "ws", CARDS)


@pytest.fixture
def seed_factory(tmp_path: Path):
    """``seed_factory(per_lane=7)``: the CARDS workspace plus generated cards in every lane."""
    def make(per_lane: int = 0) -> Workspace:
        return seed_workspace(tmp_path / "ws", CARDS, per_lane=per_lane)
    return make


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()
