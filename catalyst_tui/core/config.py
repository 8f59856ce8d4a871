"""``catalyst.toml``: the workspace configuration, validated with pydantic.

Every section later features need lives here with its defaults, so one file documents the
whole workspace. Environment variables ``CATALYST_<SECTION>__<KEY>`` override values
(e.g. ``CATALYST_JANITOR__INTERVAL_S=60``); values are parsed as TOML literals when they
can be, else taken as strings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from catalyst_tui import __version__
from catalyst_tui.core import schema, vcache
from catalyst_tui.core.errors import ConfigError
from catalyst_tui.core.names import validate_agent_name

if TYPE_CHECKING:
    from pydantic import AfterValidator, Field, ValidationError

# The schema is frozen msgspec Structs whose annotations carry pydantic's constraints
# (core/schema.py). The annotations stay strings until pydantic reads them, which happens only
# when a ``catalyst.toml`` is validated: a start-up that finds the validated result in the cache
# (core/vcache.py) imports no pydantic at all (docs/performance.md).

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

def _valid_color(v: str) -> str:
    if not (v.startswith("#") and len(v) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in v[1:])):
        raise ValueError(f"colour {v!r} is not #rgb or #rrggbb")
    return v


def _valid_columns(v: list[str]) -> list[str]:
    for col in v:
        validate_agent_name(col)  # same rules: a column name is a simple identifier
    if len(set(v)) != len(v):
        raise ValueError("column names must be unique")
    return v


def _relative_pattern(v: str) -> str:
    if not v or v.startswith("/") or ".." in v.split("/"):
        raise ValueError(f"pattern {v!r} must be relative to the workspace and free of '..'")
    return v


def _unique_agents(agents: list[AgentConfig]) -> list[AgentConfig]:
    names = [a.name for a in agents]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate agent names: {', '.join(dupes)}")
    return agents


class AgentConfig(msgspec.Struct, frozen=True, kw_only=True):
    name: Annotated[str, AfterValidator(validate_agent_name)]
    color: Annotated[str, AfterValidator(_valid_color)] = "#888888"


class BoardConfig(msgspec.Struct, frozen=True, kw_only=True):
    columns: Annotated[list[str], Field(min_length=2), AfterValidator(_valid_columns)] = msgspec.field(
        default_factory=lambda: list(DEFAULT_COLUMNS))


class HealthConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Thresholds that turn figures into ok / degraded / offline."""

    heartbeat_stale_s: Annotated[float, Field(gt=0)] = 120.0
    heartbeat_offline_s: Annotated[float, Field(gt=0)] = 600.0
    p95_ratio: Annotated[float, Field(gt=1)] = 3.0  # p95 over the agent's own 1 h baseline
    p95_abs_ms: Annotated[float, Field(gt=0)] = 2000.0  # used while no baseline is known
    error_rate: Annotated[float, Field(ge=0, le=1)] = 0.10
    queue_depth: Annotated[int, Field(ge=1)] = 50
    shared_fraction: Annotated[float, Field(gt=0, le=1)] = 0.6  # "most tenants affected" -> shared layer
    p95_min_ms: Annotated[float, Field(ge=0)] = 500.0  # a ratio alarm needs at least this p95 (no alarm on 2 -> 8 ms)
    error_min_finished: Annotated[int, Field(ge=1)] = 5  # the error rate is judged over at least this many dispatches
    clock_skew_s: Annotated[float, Field(gt=0)] = 60.0  # records stamped further ahead of our clock are flagged


class WatchConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The change feed (docs/metrics.md, measured in benchmarks/bench_watch.py)."""

    backend: Literal["auto", "inotify", "watchfiles"] = "auto"  # auto: inotify on Linux, else watchfiles
    coalesce_ms: Annotated[int, Field(ge=0, le=1000)] = 20  # inotify: a burst after its first write, in windows
    debounce_ms: Annotated[int, Field(ge=1)] = 50  # watchfiles: longest a burst is grouped before it is shown
    step_ms: Annotated[int, Field(ge=1)] = 50  # watchfiles: quiet time that ends a burst; the idle wake-up period
    poll_interval_s: Annotated[float, Field(gt=0)] = 2.0  # the fallback when watching fails
    enabled: bool = True  # False: poll only


class MetricsConfig(msgspec.Struct, frozen=True, kw_only=True):
    window: Literal["1m", "5m", "1h"] = "5m"
    port: Annotated[int, Field(ge=1, le=65535)] = 19100
    bind: str = "127.0.0.1"
    serve: bool = False  # the dashboard itself serves /metrics (its own figures) on bind:port


class PortsConfig(msgspec.Struct, frozen=True, kw_only=True):
    file: str = "PORTS.md"  # relative to the workspace (docs/ports.md)
    scan_interval_s: Annotated[float, Field(gt=0)] = 10.0  # live listeners, re-armed after each scan
    file_poll_s: Annotated[float, Field(gt=0)] = 1.0  # cheap stat of PORTS.md: an edit triggers a re-check
    ephemeral_check: bool = True  # warn about documented ports in the kernel's ephemeral range


class JanitorRule(msgspec.Struct, frozen=True, kw_only=True):
    pattern: Annotated[str, AfterValidator(_relative_pattern)]  # `*` within a component, `**/` any directories
    ttl_s: Annotated[float, Field(ge=0)]
    action: Literal["archive", "remove", "flag"] = "archive"
    name: str | None = None  # shown in reports (default: rule-<n>)
    compress: bool = False  # gzip the file when archiving it


class JanitorConfig(msgspec.Struct, frozen=True, kw_only=True):
    interval_s: Annotated[float, Field(gt=0)] = 1800.0
    max_runtime_s: Annotated[float, Field(gt=0)] = 120.0
    rules: list[JanitorRule] | None = None  # None: the janitor's built-in default rules
    dispatch_ttl_s: Annotated[float, Field(ge=0)] = 3600.0  # pending dispatches of a stopped agent older than this
    chat_rotate_bytes: Annotated[int, Field(ge=1024)] = 8 << 20  # chat.jsonl is rotated to chat-<ts>.jsonl past this
    full_walk_every: Annotated[int, Field(ge=1)] = 4  # every Nth run re-stats every file (the walk cache's safety net)


class SnapshotConfig(msgspec.Struct, frozen=True, kw_only=True):
    interval_s: Annotated[float, Field(gt=0)] = 300.0
    target: str = "file://mirror"  # relative file:// URLs are resolved against the workspace
    include: list[str] = msgspec.field(
        default_factory=lambda: ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json"])
    include_logs: bool = False
    keep: Annotated[int, Field(ge=1)] = 10
    full_rehash_every: Annotated[int, Field(ge=1)] = 12  # every Nth push re-reads every file (hash cache safety net)


class RuntimeConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The one process that runs the workspace's jobs (docs/runtime.md)."""

    takeover_s: Annotated[float, Field(gt=0, le=30)] = 10.0  # a waiting dashboard tries to take over this often


class WorkspaceConfig(msgspec.Struct, frozen=True, kw_only=True):
    name: str = "catalyst"
    agents: Annotated[list[AgentConfig], AfterValidator(_unique_agents)] = msgspec.field(
        default_factory=lambda: [AgentConfig(name=n, color=c) for n, c in DEFAULT_AGENTS])
    board: BoardConfig = msgspec.field(default_factory=BoardConfig)
    health: HealthConfig = msgspec.field(default_factory=HealthConfig)
    watch: WatchConfig = msgspec.field(default_factory=WatchConfig)
    metrics: MetricsConfig = msgspec.field(default_factory=MetricsConfig)
    ports: PortsConfig = msgspec.field(default_factory=PortsConfig)
    janitor: JanitorConfig = msgspec.field(default_factory=JanitorConfig)
    snapshot: SnapshotConfig = msgspec.field(default_factory=SnapshotConfig)
    runtime: RuntimeConfig = msgspec.field(default_factory=RuntimeConfig)

    @property
    def agent_names(self) -> list[str]:
        return [a.name for a in self.agents]

    def to_dict(self) -> dict[str, Any]:
        return schema.to_builtins(self)


_ALL = (WorkspaceConfig, AgentConfig, BoardConfig, HealthConfig, WatchConfig, MetricsConfig, PortsConfig,
        JanitorRule, JanitorConfig, SnapshotConfig, RuntimeConfig)


def from_validated(data: Mapping[str, Any]) -> WorkspaceConfig:
    """Rebuild a config from ``to_dict()`` of one that was validated (the cache's contents)."""
    return schema.build(WorkspaceConfig, data, complete=True)


def schema_fingerprint() -> str:
    """Part of the cache key: any change to the schema makes every cached config a miss."""
    return schema.fingerprint(*_ALL)


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
        "[watch]", "debounce_ms = 50", "step_ms = 50", "poll_interval_s = 2.0", "enabled = true", "",
        "[metrics]", 'window = "5m"', "port = 19100", 'bind = "127.0.0.1"', "serve = false", "",
        "[ports]", 'file = "PORTS.md"', "scan_interval_s = 10.0", "",
        "[janitor]", "interval_s = 1800.0", "max_runtime_s = 120.0",
        "# rules = [{ pattern = \"agents/*/locks/*.lock\", ttl_s = 3600, action = \"archive\" }]", "",
        "[snapshot]", "interval_s = 300.0", 'target = "file://mirror"',
        'include = ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json"]',
        "include_logs = false", "keep = 10", "",
        "[runtime]", "takeover_s = 10.0", "",
    ]
    return "\n".join(lines)


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key in ENV_RESERVED or "__" not in key:
            continue
        parts = [p.lower() for p in key[len(ENV_PREFIX):].split("__")]
        import tomllib  # here and below, not at the top: a cached config needs no TOML parser

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


def validate(data: Any, source: str = CONFIG_NAME) -> WorkspaceConfig:
    """Validate plain data (parsed TOML) with pydantic; a ConfigError names source, key and problem."""
    from pydantic import ValidationError

    try:
        return schema.validate(WorkspaceConfig, data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def parse_config(text: str, source: str = CONFIG_NAME, env: Mapping[str, str] | None = None,
                 *, cache: bool = False) -> WorkspaceConfig:
    """Parse and validate ``catalyst.toml`` text (+ ``CATALYST_*`` overrides from ``env``).

    With ``cache``, a result validated before from the same text, overrides and schema is reused
    from the user's cache (core/vcache.py) instead of validating again.
    """
    overrides = _env_overrides(os.environ if env is None else env)
    k = ""
    if cache:
        k = vcache.key(text, repr(sorted(overrides.items())), schema_fingerprint(), __version__,
                       vcache.source_digest(__name__, "catalyst_tui.core.schema", "catalyst_tui.core.names"))
        hit = vcache.get("config", k)
        if isinstance(hit, dict):
            try:
                return from_validated(hit)
            except (TypeError, KeyError):
                pass  # not what this version stores: validate again
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    if overrides:
        data = _merge(data, overrides)
        source = f"{source} (with CATALYST_* overrides)"
    config = validate(data, source)
    if cache:
        vcache.put("config", k, config.to_dict())
    return config


def load_config(root: Path, env: Mapping[str, str] | None = None, *, cache: bool = True) -> WorkspaceConfig:
    path = Path(root) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (is this a workspace? try `catalyst-tui init`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path), env, cache=cache)

