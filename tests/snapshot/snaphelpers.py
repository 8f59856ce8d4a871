"""Helpers for the snapshot tests (a unique module name: every test dir has a conftest)."""

from __future__ import annotations

import os
from pathlib import Path

from catalyst_tui.core import storage
from catalyst_tui.core.workspace import Workspace

DEFAULT_INCLUDE = ('include = ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json", '
                   '"agents/*/archive/cards-*.jsonl"]')


def make_workspace(root: Path, files: dict[str, bytes] | None = None, keep: int = 10,
                   target: str = "file://mirror", extra_include: tuple[str, ...] = ("data/**/*",),
                   full_rehash_every: int | None = None) -> Workspace:
    """A workspace whose snapshot also holds ``data/**`` (the test's payload files)."""
    Workspace.create(root)
    toml = (root / "catalyst.toml").read_text()
    include = ", ".join(f'"{p}"' for p in ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json",
                                             "agents/*/archive/cards-*.jsonl", *extra_include])
    assert DEFAULT_INCLUDE in toml
    toml = toml.replace(DEFAULT_INCLUDE, f"include = [{include}]")
    toml = toml.replace("keep = 10", f"keep = {keep}").replace('target = "file://mirror"', f'target = "{target}"')
    if full_rehash_every is not None:
        assert "\nfull_rehash_every = 12\n" in toml  # init writes every setting
        toml = toml.replace("\nfull_rehash_every = 12\n", f"\nfull_rehash_every = {full_rehash_every}\n")
    storage.atomic_write_bytes(root / "catalyst.toml", toml.encode())
    for rel, data in (files or {}).items():
        write(root, rel, data)
    return Workspace.open(root)


def write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    storage.atomic_write_bytes(path, data, durable=False)


def tree(root: Path, skip: tuple[str, ...] = (".catalyst", "mirror", "board/index.lock")) -> dict[str, bytes]:
    """Every regular file under ``root`` (relative path -> bytes), minus the hub's own dirs."""
    out = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            rel = (Path(dirpath) / name).relative_to(root).as_posix()
            if not rel.startswith(skip) and not name.endswith(".lock"):
                out[rel] = (Path(dirpath) / name).read_bytes()
    return out
