"""Fixtures for the janitor tests (helpers live in janitor_helpers.py)."""

from __future__ import annotations

from janitor_helpers import helper  # noqa: F401  (the fixture)
