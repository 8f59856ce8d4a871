"""A frozen port map for the screen tests: a workspace PORTS.md and an injected scan result
(live listeners differ between machines, so Pilot and snapshot tests never scan for real)."""

from __future__ import annotations

from pathlib import Path

from catalyst_tui.core.ports import Listener, ProcessInfo, ScanResult
from catalyst_tui.core.workspace import DEFAULT_PORTS_MD, Workspace
from catalyst_tui.ui.testing import FROZEN_NOW, seed_workspace

EXTRA_ROWS = [
    "| 3132 | tcp | hub-websocket | hub | bjork | | live board updates |",
    "| 3133 | tcp | chat-relay | hub | nina | | |",
    "| 18801 | tcp | model-server | inference | slash | vllm | |",
    "| 19101 | udp | statsd | dashboard | cher | | |",
]
EVIL = "node\x1b[31m [red]boom[/red] --title=$(reboot)"


def proc(pid: int, name: str, *cmd: str, ppid: int = 1) -> ProcessInfo:
    return ProcessInfo(pid, name, tuple(cmd) or (name,), "catalyst", FROZEN_NOW - 3600, ppid)


def frozen_scan() -> ScanResult:
    hub_ws = proc(4101, "node", "node", "/srv/hub-websocket/server.js")
    relay_a = proc(4201, "chat-relay", "chat-relay", "--port", "3133")
    relay_b = proc(4301, "python3", "python3", "-m", "http.server", "3133")
    nginx = proc(4401, "nginx", EVIL)
    stray = proc(4501, "python3", "python3", "/ws/agents/cher/tools/serve.py")
    metrics = proc(4601, "catalyst-tui", "/usr/bin/python3", "/usr/local/bin/catalyst-tui", "metrics", "serve")
    statsd = proc(4701, "statsd", "statsd", "--udp")
    listeners = [
        Listener(3132, "tcp", 4, "127.0.0.1", 4101, hub_ws),
        Listener(3133, "tcp", 4, "127.0.0.1", 4201, relay_a),
        Listener(3133, "tcp", 6, "::1", 4301, relay_b),
        Listener(18801, "tcp", 4, "0.0.0.0", 4401, nginx),
        Listener(18850, "tcp", 6, "::", 4501, stray),
        Listener(19100, "tcp", 4, "127.0.0.1", 4601, metrics),
        Listener(19101, "udp", 4, "0.0.0.0", 4701, statsd),
        Listener(19102, "tcp", 4, "0.0.0.0", None, None),  # another user's process: owner unknown
        Listener(22, "tcp", 4, "0.0.0.0", 900, proc(900, "sshd", "sshd")),  # outside every band
    ]
    return ScanResult(listeners, FROZEN_NOW, 0.012)


def ports_text() -> str:
    return DEFAULT_PORTS_MD.rstrip("\n") + "\n" + "\n".join(EXTRA_ROWS) + "\n"


def ports_workspace(root: Path) -> Workspace:
    ws = seed_workspace(root, {"cher": [("todo", "Serve the tools")]})
    ws.ports_path.write_text(ports_text(), encoding="utf-8")
    return ws
