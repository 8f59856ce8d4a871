"""What a notification says: one tenant's health transition, a shared-layer incident, or a test."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

SHARED = "(shared)"  # the ``agent`` of a shared-layer incident: it is nobody's and everybody's


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass(frozen=True)
class Notice:
    """One message. ``key`` is what the debounce groups by (the agent, or ``shared:<source>``)."""

    kind: str  # "tenant", "shared", "test"
    agent: str
    was: str  # "from": ok / degraded / quarantined / offline; "ok" / "incident" for the shared layer
    now: str  # "to"
    reasons: tuple[str, ...]
    ts: float
    workspace: str
    worse: bool = True
    key: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.agent if self.kind == "tenant" else f"{self.kind}:{self.agent}")

    @property
    def text(self) -> str:
        """One line for people (chat webhooks show ``text``; the desktop shows it too)."""
        if self.kind == "test":
            return f"catalyst-tui test notification from workspace {self.workspace}"
        who = "shared layer" if self.kind == "shared" else self.agent
        head = f"{who} {self.now}" if self.worse else f"{who} {'recovered' if self.now == 'ok' else self.now}"
        return head + (f": {self.reasons[0]}" if self.reasons else "") + f" (was {self.was}; {self.workspace})"

    def body(self) -> dict[str, Any]:
        """The webhook's JSON body (docs/notify.md)."""
        return {"agent": self.agent, "from": self.was, "to": self.now, "reasons": list(self.reasons),
                "time": iso(self.ts), "workspace": self.workspace, "kind": self.kind, "text": self.text}

    def again(self, was: str) -> Notice:
        """The same transition, told from what was last sent (after a debounce window)."""
        return Notice(self.kind, self.agent, was, self.now, self.reasons, self.ts, self.workspace, self.worse, self.key)
