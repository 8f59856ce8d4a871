"""Helpers of the runtime tests (imported as ``tests.runtime.rt_helpers``-free: plain functions)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from catalyst_tui.core.workspace import Workspace


def until(cond: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def set_config(ws: Workspace, section: str, **values: object) -> None:
    """Rewrite ``[section] key = value`` lines of catalyst.toml (TOML literals via repr for numbers)."""
    path = Path(ws.root) / "catalyst.toml"
    lines = path.read_text().splitlines()
    out: list[str] = []
    current = None
    for line in lines:
        s = line.strip()
        if s.startswith("[") and not s.startswith("[["):
            current = s.strip("[]")
        key = s.split("=", 1)[0].strip() if "=" in s else None
        if current == section and key in values:
            v = values[key]
            literal = str(v).lower() if isinstance(v, bool) else f'"{v}"' if isinstance(v, str) else repr(v)
            line = f"{key} = {literal}"
        out.append(line)
    text = "\n".join(out) + "\n"
    missing = [k for k in values if f"\n{k} = " not in "\n" + text]
    if missing:
        raise AssertionError(f"no such keys in [{section}]: {missing}")
    path.write_text(text)
