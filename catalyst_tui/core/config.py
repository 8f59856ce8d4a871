"""``catalyst.toml``: the workspace configuration, validated with pydantic.

Every section later features need lives here with its defaults, so one file documents the
whole workspace. Environment variables ``CATALYST_<SECTION>__<KEY>`` override values
(e.g. ``CATALYST_JANITOR__INTERVAL_S=60``); values are parsed as TOML literals when they
can be, else taken as strings.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catalyst_tui.core.errors import ConfigError
from catalyst_tui.core.names import validate_agent_name

CONFIG_NAME = "catalyst.toml"
ENV_PREFIX = "CATALYST_"
ENV_RESERVED = {"CATALYST_WORKSPACE", "CATALYST_THEME", "CATALYST_CONFIG_DIR", "CATALYST_LOG"}

DEFAULT_AGENTS: tuple[tuple[str, str], ...] = (
    ("aretha", "#e06c75"),
    ("bjork", "#d19a66"),
    ("bowie", "#e5c07b"),
    ("cher", "#98c379"),
    ("joni", "#56b6c2"),
    ("nina", "#61afef"),
    ("ozzy", "#c678dd"),
    ("prince", "#be5046"),
    ("slash", "#abb2bf"),
)
DEFAULT_COLUMNS = ("backlog", "todo", "doing", "review", "done")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgentConfig(_Strict):
    name: str
    color: str = "#888888"

    @field_validator("name")
    @classmethod
    def _valid_name(cls, v: str) -> str:
        return validate_agent_name(v)

    @field_validator("color")
    @classmethod
    def _valid_color(cls, v: str) -> str:
        if not (v.startswith("#") and len(v) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in v[1:])):
            raise ValueError(f"colour {v!r} is not #rgb or #rrggbb")
        return v


class BoardConfig(_Strict):
    columns: list[str] = Field(default_factory=lambda: list(DEFAULT_COLUMNS), min_length=2)

    @field_validator("columns")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        for col in v:
            validate_agent_name(col)  # same rules: a column name is a simple identifier
        if len(set(v)) != len(v):
            raise ValueError("column names must be unique")
        return v


class HealthConfig(_Strict):
    """Thresholds that turn figures into ok / degraded / offline."""

    heartbeat_stale_s: float = Field(120.0, gt=0)
    heartbeat_offline_s: float = Field(600.0, gt=0)
    p95_ratio: float = Field(3.0, gt=1)  # p95 over the agent's own 1 h baseline
    p95_abs_ms: float = Field(2000.0, gt=0)  # used while no baseline is known
    error_rate: float = Field(0.10, ge=0, le=1)
    queue_depth: int = Field(50, ge=1)
    shared_fraction: float = Field(0.6, gt=0, le=1)  # "most tenants affected" -> shared layer
    p95_min_ms: float = Field(500.0, ge=0)  # a ratio alarm needs at least this p95 (no alarm on 2 -> 8 ms)
    error_min_finished: int = Field(5, ge=1)  # the error rate is judged over at least this many dispatches
    clock_skew_s: float = Field(60.0, gt=0)  # records stamped further ahead of our clock are flagged


class WatchConfig(_Strict):
    """watchfiles tuning (docs/metrics.md, measured in benchmarks/bench_watch.py)."""

    debounce_ms: int = Field(35, ge=1)  # longest a burst is grouped before it is shown
    step_ms: int = Field(35, ge=1)  # quiet time that ends a burst; also the idle wake-up period
    poll_interval_s: float = Field(2.0, gt=0)  # the fallback when watching fails
    enabled: bool = True  # False: poll only


class MetricsConfig(_Strict):
    window: Literal["1m", "5m", "1h"] = "5m"
    port: int = Field(19100, ge=1, le=65535)
    bind: str = "127.0.0.1"
    serve: bool = False  # the dashboard itself serves /metrics (its own figures) on bind:port


class PortsConfig(_Strict):
    file: str = "PORTS.md"  # relative to the workspace (docs/ports.md)
    scan_interval_s: float = Field(10.0, gt=0)  # live listeners, re-armed after each scan
    file_poll_s: float = Field(1.0, gt=0)  # cheap stat of PORTS.md: an edit triggers a re-check
    ephemeral_check: bool = True  # warn about documented ports in the kernel's ephemeral range


class JanitorRule(_Strict):
    pattern: str  # relative to the workspace: `*` within a component, `**/` any directories
    ttl_s: float = Field(ge=0)
    action: Literal["archive", "remove", "flag"] = "archive"
    name: str | None = None  # shown in reports (default: rule-<n>)
    compress: bool = False  # gzip the file when archiving it

    @field_validator("pattern")
    @classmethod
    def _relative(cls, v: str) -> str:
        if not v or v.startswith("/") or ".." in v.split("/"):
            raise ValueError(f"pattern {v!r} must be relative to the workspace and free of '..'")
        return v


class JanitorConfig(_Strict):
    interval_s: float = Field(1800.0, gt=0)
    max_runtime_s: float = Field(120.0, gt=0)
    rules: list[JanitorRule] | None = None  # None: the janitor's built-in default rules
    dispatch_ttl_s: float = Field(3600.0, ge=0)  # pending dispatches of a stopped agent older than this
    chat_rotate_bytes: int = Field(8 << 20, ge=1024)  # chat.jsonl is rotated to chat-<ts>.jsonl past this
    full_walk_every: int = Field(4, ge=1)  # every Nth run re-stats every file (the walk cache's safety net)


class SnapshotConfig(_Strict):
    interval_s: float = Field(300.0, gt=0)
    target: str = "file://mirror"  # relative file:// URLs are resolved against the workspace
    include: list[str] = Field(
        default_factory=lambda: ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json"]
    )
    include_logs: bool = False
    keep: int = Field(10, ge=1)
    full_rehash_every: int = Field(12, ge=1)  # every Nth push re-reads every file (the hash cache's safety net)


class WorkspaceConfig(_Strict):
    name: str = "catalyst"
    agents: list[AgentConfig] = Field(
        default_factory=lambda: [AgentConfig(name=n, color=c) for n, c in DEFAULT_AGENTS]
    )
    board: BoardConfig = Field(default_factory=BoardConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    watch: WatchConfig = Field(default_factory=WatchConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    ports: PortsConfig = Field(default_factory=PortsConfig)
    janitor: JanitorConfig = Field(default_factory=JanitorConfig)
    snapshot: SnapshotConfig = Field(default_factory=SnapshotConfig)

    @model_validator(mode="after")
    def _unique_agents(self) -> WorkspaceConfig:
        names = [a.name for a in self.agents]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate agent names: {', '.join(dupes)}")
        return self

    @property
    def agent_names(self) -> list[str]:
        return [a.name for a in self.agents]


def default_config_toml(agents: list[tuple[str, str]] | None = None) -> str:
    """The ``catalyst.toml`` written by ``catalyst-tui init``: every setting, commented."""
    agents = agents or list(DEFAULT_AGENTS)
    lines = [
        "# catalyst-tui workspace configuration (docs/workspace.md).",
        "# Environment overrides: CATALYST_<SECTION>__<KEY>, e.g. CATALYST_JANITOR__INTERVAL_S=60",
        'name = "catalyst"',
        "",
    ]
    for name, color in agents:
        lines += ["[[agents]]", f'name = "{name}"', f'color = "{color}"', ""]
    cols = ", ".join(f'"{c}"' for c in DEFAULT_COLUMNS)
    lines += [
        "[board]", f"columns = [{cols}]", "",
        "[health]", "heartbeat_stale_s = 120.0", "heartbeat_offline_s = 600.0", "p95_ratio = 3.0",
        "p95_abs_ms = 2000.0", "error_rate = 0.1", "queue_depth = 50", "shared_fraction = 0.6",
        "p95_min_ms = 500.0", "error_min_finished = 5", "clock_skew_s = 60.0", "",
        "[watch]", "debounce_ms = 35", "step_ms = 35", "poll_interval_s = 2.0", "enabled = true", "",
        "[metrics]", 'window = "5m"', "port = 19100", 'bind = "127.0.0.1"', "serve = false", "",
        "[ports]", 'file = "PORTS.md"', "scan_interval_s = 10.0", "",
        "[janitor]", "interval_s = 1800.0", "max_runtime_s = 120.0",
        "# rules = [{ pattern = \"agents/*/locks/*.lock\", ttl_s = 3600, action = \"archive\" }]", "",
        "[snapshot]", "interval_s = 300.0", 'target = "file://mirror"',
        'include = ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json"]',
        "include_logs = false", "keep = 10", "",
    ]
    return "\n".join(lines)


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key in ENV_RESERVED or "__" not in key:
            continue
        parts = [p.lower() for p in key[len(ENV_PREFIX):].split("__")]
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = _merge(merged[k], v)
        else:
            merged[k] = v
    return merged


def _describe(exc: ValidationError, source: str) -> str:
    problems = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        problems.append(f"{loc}: {err['msg']}")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return f"{source}: " + "; ".join(problems) + more


def parse_config(text: str, source: str = CONFIG_NAME, env: Mapping[str, str] | None = None) -> WorkspaceConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    overrides = _env_overrides(os.environ if env is None else env)
    if overrides:
        data = _merge(data, overrides)
        source = f"{source} (with CATALYST_* overrides)"
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def load_config(root: Path, env: Mapping[str, str] | None = None) -> WorkspaceConfig:
    path = Path(root) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (is this a workspace? try `catalyst-tui init`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path), env)
