"""Triage inputs from the shared layer.

Features that watch shared infrastructure (the port map, the snapshot push, the index, the
janitor) report their problems as :class:`SharedProblem`. ``agents=None`` means the problem
affects every tenant (a hub port down, a failed snapshot push). The triage line combines
these with the per-agent statuses (issue 4 builds the summary on top of this module).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SharedProblem:
    source: str  # "ports", "snapshot", "index", "janitor", ...
    text: str  # short, operator-readable: "hub port 3131 down"
    agents: tuple[str, ...] | None = None  # None: every tenant is affected
