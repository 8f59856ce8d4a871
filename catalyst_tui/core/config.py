"""``catalyst.toml``: the workspace configuration, one msgspec schema (core/schema.py).

Every section later features need lives here with its defaults, so one file documents the
whole workspace; the ``catalyst.toml`` that ``init`` writes is generated from these Structs.
Environment variables ``CATALYST_<SECTION>__<KEY>`` override values
(e.g. ``CATALYST_JANITOR__INTERVAL_S=60``); values are parsed as TOML literals when they
can be, else taken as strings.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from catalyst_tui.core import globs, schema, storage
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
_HEX = frozenset("0123456789abcdefABCDEF")


def _doc(text: str, **constraints: Any) -> Any:
    """A field's constraints and the comment ``init`` writes above it."""
    return Meta(description=text, **constraints)


class AgentConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    color: str = "#888888"

    def __post_init__(self) -> None:
        try:
            validate_agent_name(self.name)
        except ValueError as exc:
            raise ValueError(f"name: {exc}") from None
        c = self.color
        if not (c.startswith("#") and len(c) in (4, 7) and set(c[1:]) <= _HEX):
            raise ValueError(f"color: {c!r} is not #rgb or #rrggbb")


class BoardConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    columns: Annotated[list[str], Meta(min_length=2)] = msgspec.field(default_factory=lambda: list(DEFAULT_COLUMNS))
    done_ttl_s: Annotated[float, _doc("cards in the last column not moved for this long leave the index for their "
                                      "agent's archive (the janitor moves them)", gt=0)] = 7 * 86400.0

    def __post_init__(self) -> None:
        for col in self.columns:
            try:
                validate_agent_name(col)  # same rules: a column name is a simple identifier
            except ValueError as exc:
                raise ValueError(f"columns: {exc}".replace("agent name", "column name")) from None
        if len(set(self.columns)) != len(self.columns):
            raise ValueError("columns: column names must be unique")


class HealthConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Thresholds that turn figures into ok / degraded / offline."""

    heartbeat_stale_s: Annotated[float, Meta(gt=0)] = 120.0
    heartbeat_offline_s: Annotated[float, Meta(gt=0)] = 600.0
    p95_ratio: Annotated[float, _doc("p95 over the agent's own 1 h baseline", gt=1)] = 3.0
    p95_abs_ms: Annotated[float, _doc("p95 alarm while no baseline is known", gt=0)] = 2000.0
    error_rate: Annotated[float, Meta(ge=0, le=1)] = 0.10
    queue_depth: Annotated[int, Meta(ge=1)] = 50
    shared_fraction: Annotated[float, _doc("this share of tenants affected: the shared layer", gt=0, le=1)] = 0.6
    p95_min_ms: Annotated[float, _doc("a ratio alarm needs at least this p95 (none on 2 -> 8 ms)", ge=0)] = 500.0
    error_min_finished: Annotated[int, _doc("the error rate is judged over at least this many dispatches",
                                            ge=1)] = 5
    clock_skew_s: Annotated[float, _doc("records stamped further ahead of our clock are flagged", gt=0)] = 60.0
    peer_p95_ratio: Annotated[float, _doc("p95 over the fleet's median p95 (the other tenants, same window)",
                                          gt=1)] = 3.0
    peer_error_ratio: Annotated[float, _doc("error rate over the fleet's median rate", gt=1)] = 3.0
    peer_error_floor: Annotated[float, _doc("... and above this rate (both 95 % confident)", ge=0, le=1)] = 0.05
    peer_min_tenants: Annotated[int, _doc("a fleet median needs this many other tenants with data", ge=1)] = 3
    peer_min_finished: Annotated[int, _doc("a tenant has data with this many dispatches in the window",
                                           ge=1)] = 20
    startup_grace_s: Annotated[float, _doc("no state.json yet: 'waiting' this long after creation, then offline",
                                           ge=0)] = 300.0


class WatchConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The change feed (docs/metrics.md, measured in benchmarks/bench_watch.py)."""

    backend: Annotated[Literal["auto", "inotify", "watchfiles"],
                       _doc("auto: inotify on Linux, else watchfiles")] = "auto"
    coalesce_ms: Annotated[int, _doc("inotify: rest after a delivery; what comes meanwhile is delivered together",
                                     ge=0, le=1000)] = 10
    read_every_ms: Annotated[int, _doc("inotify: a tenant whose files keep changing is read at most this often "
                                       "(a quiet one at once)", ge=0, le=1000)] = 100
    debounce_ms: Annotated[int, _doc("watchfiles: longest a burst is grouped before it is shown", ge=1)] = 50
    step_ms: Annotated[int, _doc("watchfiles: quiet time that ends a burst; the idle wake-up period", ge=1)] = 50
    poll_interval_s: Annotated[float, _doc("the fallback when watching fails", gt=0)] = 2.0
    enabled: Annotated[bool, _doc("false: poll only")] = True


class MetricsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    window: Literal["1m", "5m", "1h"] = "5m"
    port: Annotated[int, Meta(ge=1, le=65535)] = 19100
    bind: str = "127.0.0.1"
    serve: Annotated[bool, _doc("the dashboard itself serves /metrics (its own figures) on bind:port")] = False


class PortsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    file: Annotated[str, _doc("relative to the workspace (docs/ports.md)")] = "PORTS.md"
    scan_interval_s: Annotated[float, _doc("live listeners, re-armed after each scan", gt=0)] = 10.0
    ephemeral_check: Annotated[bool, _doc("warn about documented ports in the kernel's ephemeral range")] = True


class JanitorRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pattern: str  # core/globs.py: `*` within a component, `**/` any directories
    ttl_s: Annotated[float, Meta(ge=0)]
    action: Literal["archive", "remove", "flag"] = "archive"
    name: str | None = None  # shown in reports (default: rule-<n>)
    compress: bool = False  # gzip the file when archiving it

    def __post_init__(self) -> None:
        try:
            globs.check_relative(self.pattern)
        except ValueError as exc:
            raise ValueError(f"pattern: {exc}") from None


class JanitorConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    interval_s: Annotated[float, Meta(gt=0)] = 1800.0
    max_runtime_s: Annotated[float, Meta(gt=0)] = 120.0
    rules: Annotated[list[JanitorRule] | None, _doc(
        'unset: the built-in rules; e.g. [{ pattern = "agents/*/locks/*.lock", ttl_s = 3600, action = "archive" }]'
    )] = None
    dispatch_ttl_s: Annotated[float, _doc("pending dispatches of a stopped agent older than this", ge=0)] = 3600.0
    chat_rotate_bytes: Annotated[int, _doc("chat.jsonl is rotated to chat-<ts>.jsonl past this", ge=1024)] = 8 << 20
    full_walk_every: Annotated[int, _doc("every Nth run re-stats every file (the walk cache's safety net)",
                                         ge=1)] = 4


class SnapshotConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    interval_s: Annotated[float, Meta(gt=0)] = 300.0
    target: Annotated[str, _doc("relative file:// URLs are resolved against the workspace")] = "file://mirror"
    include: list[str] = msgspec.field(
        # the per-agent card archives hold the board's history: a restore without them loses every archived card
        default_factory=lambda: ["board/index.json", "catalyst.toml", "PORTS.md", "agents/*/state.json",
                                 "agents/*/archive/cards-*.jsonl"])
    include_logs: bool = False
    keep: Annotated[int, Meta(ge=1)] = 10
    full_rehash_every: Annotated[int, _doc("every Nth push re-reads every file (the hash cache's safety net)",
                                           ge=1)] = 12


class RuntimeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The one process that runs the workspace's jobs (docs/runtime.md)."""

    takeover_s: Annotated[float, _doc("a waiting dashboard tries to take over this often", gt=0, le=30)] = 10.0


class HistoryConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Per-agent minutes in ``agents/<name>/history.jsonl`` (docs/metrics.md)."""

    keep_days: Annotated[float, _doc("minutes older than this are dropped by the janitor", gt=0, le=366)] = 7.0


class NotifyConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Tell someone when a tenant's health changes (docs/notify.md)."""

    webhook_url: Annotated[str, _doc('POST a JSON message here on each transition ("": none)')] = ""
    debounce_s: Annotated[float, _doc("per tenant: at most one message in this time (the last state then)",
                                      ge=0)] = 300.0
    retries: Annotated[int, _doc("attempts after the first, with backoff", ge=0, le=10)] = 3
    timeout_s: Annotated[float, _doc("per attempt", gt=0, le=60)] = 5.0
    bell: Annotated[bool, _doc("ring the terminal bell in the dashboard on a turn for the worse")] = False
    desktop: Annotated[bool, _doc("a desktop notification through notify-send, where present")] = False

    def __post_init__(self) -> None:
        url = self.webhook_url
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook_url: {url!r} is not an http:// or https:// URL")


class WorkspaceConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str = "catalyst"
    agents: list[AgentConfig] = msgspec.field(
        default_factory=lambda: [AgentConfig(name=n, color=c) for n, c in DEFAULT_AGENTS])
    board: BoardConfig = msgspec.field(default_factory=BoardConfig)
    health: HealthConfig = msgspec.field(default_factory=HealthConfig)
    watch: WatchConfig = msgspec.field(default_factory=WatchConfig)
    metrics: MetricsConfig = msgspec.field(default_factory=MetricsConfig)
    ports: PortsConfig = msgspec.field(default_factory=PortsConfig)
    janitor: JanitorConfig = msgspec.field(default_factory=JanitorConfig)
    snapshot: SnapshotConfig = msgspec.field(default_factory=SnapshotConfig)
    runtime: RuntimeConfig = msgspec.field(default_factory=RuntimeConfig)
    history: HistoryConfig = msgspec.field(default_factory=HistoryConfig)
    notify: NotifyConfig = msgspec.field(default_factory=NotifyConfig)

    def __post_init__(self) -> None:
        names = [a.name for a in self.agents]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"agents: duplicate agent names: {', '.join(dupes)}")

    @property
    def agent_names(self) -> list[str]:
        return [a.name for a in self.agents]

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)


def default_config_toml(agents: list[tuple[str, str]] | None = None) -> str:
    """The ``catalyst.toml`` written by ``catalyst-tui init``: every setting at its default."""
    config = WorkspaceConfig()
    if agents:
        config = msgspec.structs.replace(config, agents=[AgentConfig(name=n, color=c) for n, c in agents])
    return schema.to_toml(config, header=(
        "catalyst-tui workspace configuration (docs/workspace.md), every setting at its default.\n"
        "Environment overrides: CATALYST_<SECTION>__<KEY>, e.g. CATALYST_JANITOR__INTERVAL_S=60"))


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


def validate(data: Any, source: str = CONFIG_NAME) -> WorkspaceConfig:
    """Validate plain data (parsed TOML); a ConfigError names source, key and problem."""
    try:
        return schema.convert(WorkspaceConfig, data, source)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


# Keys earlier versions wrote into every catalyst.toml and that nothing reads any more: accepted
# (a workspace made then must still open) with a warning, never an "unknown field" error.
RETIRED_KEYS = {
    ("ports", "file_poll_s"): "no longer read: PORTS.md is re-checked as soon as the change feed sees it change",
}


def _drop_retired(data: dict[str, Any], source: str) -> None:
    import logging

    for (section, key), why in RETIRED_KEYS.items():
        table = data.get(section)
        if isinstance(table, dict) and key in table:
            del table[key]
            logging.getLogger("catalyst_tui.config").warning("%s: %s.%s: %s (remove it)", source, section, key, why)


def parse_config(text: str, source: str = CONFIG_NAME, env: Mapping[str, str] | None = None) -> WorkspaceConfig:
    """Parse and validate ``catalyst.toml`` text (+ ``CATALYST_*`` overrides from ``env``)."""
    overrides = _env_overrides(os.environ if env is None else env)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    if overrides:
        data = _merge(data, overrides)
        source = f"{source} (with CATALYST_* overrides)"
    _drop_retired(data, source)
    return validate(data, source)


def load_config(root: Path, env: Mapping[str, str] | None = None) -> WorkspaceConfig:
    path = Path(root) / CONFIG_NAME
    try:
        text = storage.read_bytes(path, "config").decode("utf-8")  # a FIFO or /dev/zero here: refused
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (is this a workspace? try `catalyst-tui init`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path), env)

