"""The janitor: rules, a descriptor-based walk, owner checks, a plan, a journaled run with
kill -9 recovery, restore and reports.

A lazy face (core/faces.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.janitor.dispatch import load_state
    from catalyst_tui.core.janitor.journal import JanitorPaths, load_footprint, pending, read
    from catalyst_tui.core.janitor.plan import Plan
    from catalyst_tui.core.janitor.report import flagged_items, footprint_rows, sparkline
    from catalyst_tui.core.janitor.rules import DEFAULT_RULES, RuleSet, agent_of
    from catalyst_tui.core.janitor.run import Janitor, JanitorBusy

_WHERE = {
    "DEFAULT_RULES": "rules",
    "Janitor": "run",
    "JanitorBusy": "run",
    "JanitorPaths": "journal",
    "Plan": "plan",
    "RuleSet": "rules",
    "agent_of": "rules",
    "flagged_items": "report",
    "footprint_rows": "report",
    "load_footprint": "journal",
    "load_state": "dispatch",
    "pending": "journal",
    "read": "journal",
    "sparkline": "report",
}
__all__ = [
    "DEFAULT_RULES",
    "Janitor",
    "JanitorBusy",
    "JanitorPaths",
    "Plan",
    "RuleSet",
    "agent_of",
    "flagged_items",
    "footprint_rows",
    "load_footprint",
    "load_state",
    "pending",
    "read",
    "sparkline",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
