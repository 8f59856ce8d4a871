"""Fixtures for the snapshot tests: the real sshd (tests/sshd_harness.py) and a seeded workspace."""

from __future__ import annotations

from sshd_harness import sshd  # noqa: F401  (the module-scoped fixture)
