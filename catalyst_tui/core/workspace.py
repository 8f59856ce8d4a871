"""The workspace: a directory tree with per-agent files and a small shared index."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from catalyst_tui.core import storage
from catalyst_tui.core.agents import AgentPaths
from catalyst_tui.core.board import Board
from catalyst_tui.core.config import CONFIG_NAME, WorkspaceConfig, default_config_toml, load_config
from catalyst_tui.core.errors import CatalystError, ConfigError, NoWorkspace, WorkspaceError
from catalyst_tui.core.names import validate_agent_name

if TYPE_CHECKING:
    from catalyst_tui.core.health import WorkspaceMonitor

ENV_WORKSPACE = "CATALYST_WORKSPACE"
INTERNAL_DIR = ".catalyst"  # the dashboard's own files: log, ui state

DEFAULT_PORTS_MD = """\
# PORTS

The single source of truth for this workspace's ports (format: docs/ports.md).
The port tells you what kind of thing owns it: each class of service has its own band.
Add rows with `catalyst-tui ports add PORT SERVICE --class CLASS --owner OWNER` (validated, locked)
and check them against the live listeners with `catalyst-tui ports check`.

## Bands

| class | range | description |
|-------|-------|-------------|
| hub | 3100-3199 | hub services (the hub itself on 3131) |
| inference | 18800-18899 | inference routers and model servers |
| dashboard | 19100-19199 | dashboards and metrics exporters |

## Ports

`owner` is `hub` or an agent name. `process` (optional) is a word expected in the listening
process's name or command line; when empty, the service name is expected.

| port | protocol | service | class | owner | process | notes |
|------|----------|---------|-------|-------|---------|-------|
| 3131 | tcp | catalyst-hub | hub | hub | | the hub: kanban, chat, dispatch |
| 18800 | tcp | inference-router | inference | hub | | routes agent requests to models |
| 19100 | tcp | catalyst-tui-metrics | dashboard | hub | catalyst-tui | `catalyst-tui metrics serve` (Prometheus) |
"""


def resolve_root(path: str | os.PathLike[str] | None) -> Path:
    """The workspace directory: the argument, else ``$CATALYST_WORKSPACE``, else ``.``."""
    chosen = path if path is not None else os.environ.get(ENV_WORKSPACE) or "."
    return Path(chosen).expanduser().absolute()


class MirrorOrigin(msgspec.Struct, frozen=True):
    """Where a workspace opened with ``--from-mirror`` came from: shown where the live view says
    ``live``, so nobody mistakes a snapshot for the hub."""

    url: str
    snapshot_id: str
    seq: int
    created: float  # when the snapshot was taken (the hub's clock)


@dataclass
class Workspace:
    root: Path
    config: WorkspaceConfig
    mirror: MirrorOrigin | None = None  # set for a snapshot restored from a mirror (read-only)

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        root = resolve_root(path)
        if not root.is_dir():
            raise NoWorkspace(f"{root}: no such workspace directory")
        config = load_config(root)
        try:  # a path from the config: inside the workspace, never through a symlinked directory
            storage.path_under(root, config.ports.file)
            with storage.dir_under(root, os.path.dirname(config.ports.file)):
                pass
        except FileNotFoundError:
            pass  # a directory still to be created is inside by construction
        except OSError as exc:
            raise ConfigError(f"{root / CONFIG_NAME}: [ports] file {config.ports.file!r}: "
                              f"{exc.strerror or exc}") from None
        return cls(root, config)

    @classmethod
    def create(cls, path: str | os.PathLike[str], agents: list[tuple[str, str]] | None = None,
               ports_md: str = DEFAULT_PORTS_MD) -> Workspace:
        root = Path(path).expanduser().absolute()
        for name, _ in agents or []:
            validate_agent_name(name)  # before anything is written
        if (root / CONFIG_NAME).exists():
            raise WorkspaceError(f"{root / CONFIG_NAME}: already exists; not overwriting a workspace")
        root.mkdir(parents=True, exist_ok=True)
        storage.atomic_write_bytes(root / CONFIG_NAME, default_config_toml(agents).encode())
        ws = cls.open(root)
        if not (root / ws.config.ports.file).exists():
            storage.atomic_write_bytes(root / ws.config.ports.file, ports_md.encode())
        (root / "board").mkdir(exist_ok=True)
        (root / INTERNAL_DIR).mkdir(exist_ok=True)
        for a in ws.config.agents:
            ws.agent(a.name).ensure()
        if not ws.board.index_path.exists():
            ws.board.ensure_index()  # an empty, valid index (seq 1)
        return ws

    @cached_property
    def board(self) -> Board:
        return Board(self.root, list(self.config.board.columns), self.config.agent_names,
                     done_ttl_s=self.config.board.done_ttl_s)

    def agent(self, name: str) -> AgentPaths:
        validate_agent_name(name)
        if name not in self.config.agent_names:
            raise CatalystError(f"unknown agent {name!r} (agents: {', '.join(self.config.agent_names)})")
        return AgentPaths(self.root, name)

    def monitor(self) -> WorkspaceMonitor:
        from catalyst_tui.core.health import WorkspaceMonitor  # not needed to draw the board

        return WorkspaceMonitor(self.root, self.config)

    @property
    def ports_path(self) -> Path:
        return self.root / self.config.ports.file

    @property
    def internal_dir(self) -> Path:
        return self.root / INTERNAL_DIR
