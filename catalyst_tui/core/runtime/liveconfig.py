"""``catalyst.toml`` edited while the runtime runs: what applies now, what needs a restart.

Thresholds, intervals, caps, janitor rules and snapshot targets are read at each use, so a new
config applies from the next evaluation or run. What shapes running machinery (the agents, the
board's columns, the watcher's tuning, the exporter's socket, the PORTS.md path) keeps its old
value, and its key is reported as "restart to apply".
"""

from __future__ import annotations

from typing import Any

import msgspec

from catalyst_tui.core.config import WorkspaceConfig

# dotted keys (a section means every key in it) that apply only when the process starts again
RESTART_KEYS = ("name", "agents", "board", "watch", "metrics.port", "metrics.bind", "metrics.serve", "ports.file",
                "runtime.takeover_s")


def _flat(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): obj}


def _restart_key(key: str) -> str | None:
    for r in RESTART_KEYS:
        if key == r or key.startswith(r + "."):
            return r
    return None


def merge(running: WorkspaceConfig, edited: WorkspaceConfig) -> tuple[WorkspaceConfig, list[str], list[str]]:
    """(the config to run now, keys applied live, keys that need a restart)."""
    old, new = _flat(msgspec.to_builtins(running)), _flat(msgspec.to_builtins(edited))
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    restart = sorted({r for k in changed if (r := _restart_key(k)) is not None})
    live = [k for k in changed if _restart_key(k) is None]
    keep: dict[str, Any] = {"name": running.name, "agents": running.agents, "board": running.board,
                            "watch": running.watch}
    keep["metrics"] = msgspec.structs.replace(edited.metrics, port=running.metrics.port, bind=running.metrics.bind,
                                              serve=running.metrics.serve)
    keep["ports"] = msgspec.structs.replace(edited.ports, file=running.ports.file)
    keep["runtime"] = msgspec.structs.replace(edited.runtime, takeover_s=running.runtime.takeover_s)
    return msgspec.structs.replace(edited, **keep), live, restart
