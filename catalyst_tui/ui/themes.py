"""Themes: TOML files validated by one msgspec schema (core/schema.py) into Textual ``Theme`` objects (docs/themes.md).

Shipped themes live in the package (``catalyst_tui/themes`` in a wheel) or, in a source
checkout, in the repository's top-level ``themes/``. Users add their own in
``~/.config/catalyst-tui/themes/``. A broken file becomes a one-line problem naming the file;
it never stops the app. The chosen theme is kept in ``settings.json`` (written atomically).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec
import orjson
from textual.color import Color, ColorParseError
from textual.theme import Theme

from catalyst_tui.core import schema, storage

DEFAULT_THEME = "catalyst-dark"
ANSI_THEME = "catalyst-ansi"
STATUSES = ("ok", "degraded", "quarantined", "offline")
AGENT_SLOTS = 9
_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,39}")
_VAR_RE = re.compile(r"[a-z][a-z0-9-]{0,63}")
_APP_PREFIXES = ("agent-", "status-", "card-", "lane-")  # the app's own: typos are errors
_TEXT_STYLES = {"none", "bold", "dim", "italic", "underline", "reverse", "strike", "blink"}

# The app's own theme variables, with the literal values used when a theme omits them.
VARIABLE_DEFAULTS: dict[str, str] = {
    **{f"agent-{i}": c for i, c in enumerate(
        ["#e06c75", "#d19a66", "#e5c07b", "#98c379", "#56b6c2", "#61afef", "#c678dd", "#be5046", "#abb2bf"],
        start=1)},
    "status-ok": "#98c379",
    "status-degraded": "#e5c07b",
    "status-quarantined": "#c678dd",
    "status-offline": "#e06c75",
    "card-focus": "#3e4451",
    "lane-focus": "#2c313a",
}


def variable_defaults() -> dict[str, str]:
    return dict(VARIABLE_DEFAULTS)


def _colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{value!r} is not a colour") from None
    return value


def _check_variables(variables: dict[str, str]) -> None:
    for key, value in variables.items():
        if not _VAR_RE.fullmatch(key):
            raise ValueError(f"bad variable name {key!r}")
        if key.startswith(_APP_PREFIXES) and key not in VARIABLE_DEFAULTS:
            raise ValueError(f"unknown variable {key!r} (the app's: {', '.join(VARIABLE_DEFAULTS)})")
        if key.endswith("text-style"):
            if not set(value.split()) <= _TEXT_STYLES:
                raise ValueError(f"{key}: {value!r} is not a text style")
        else:
            _colour(value)


_COLOURS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "boost",
            "warning", "error", "success")


class ThemeSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One theme file. Unknown keys are errors (a typo must not pass silently)."""

    name: str
    dark: bool = True
    ansi: bool = False  # True: only the 16 ANSI colours (looks right in a 16-colour terminal)
    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    variables: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name):
            raise ValueError(f"name: {self.name!r}: use lower-case letters, digits and '-' (max 40)")
        for key in _COLOURS:
            value = getattr(self, key)
            if value is not None:
                try:
                    _colour(value)
                except ValueError as exc:
                    raise ValueError(f"{key}: {exc}") from None
        try:
            _check_variables(self.variables)
        except ValueError as exc:
            raise ValueError(f"variables: {exc}") from None

    def theme_args(self) -> dict[str, Any]:
        """The arguments of Textual's ``Theme``."""
        args = {k: v for k, v in msgspec.structs.asdict(self).items() if k != "variables" and v is not None}
        variables = {**VARIABLE_DEFAULTS, **self.variables}
        if self.ansi:  # Textual's own stylesheets need these with an ANSI theme
            variables.setdefault("ansi-background", "ansi_black")
            variables.setdefault("ansi-foreground", "ansi_white")
        return {**args, "variables": variables}

    def to_theme(self) -> Theme:
        return Theme(**self.theme_args())


def validate_theme(data: Any, source: str) -> ThemeSpec:
    """Validate one theme's data; ValueError with a one-line message naming ``source``."""
    return schema.convert(ThemeSpec, data, source)


def parse_theme(path: Path) -> Theme:
    """Read and validate one theme file; raises ValueError with a one-line message naming it."""
    try:
        # never blocks, capped: a FIFO named *.toml must not hang the start-up
        data = tomllib.loads(storage.read_bytes(path, "theme").decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from None
    return validate_theme(data, str(path)).to_theme()


def shipped_dir() -> Path:
    """``catalyst_tui/themes`` when installed from a wheel, else the checkout's ``themes/``."""
    packaged = Path(__file__).resolve().parent.parent / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "themes"


def config_dir() -> Path:
    explicit = os.environ.get("CATALYST_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "catalyst-tui"


class Loaded(msgspec.Struct):
    themes: dict[str, Theme] = msgspec.field(default_factory=dict)
    problems: list[str] = msgspec.field(default_factory=list)
    origin: dict[str, Path] = msgspec.field(default_factory=dict)


def load_all(user_dir: Path | None = None, shipped: Path | None = None) -> Loaded:
    """Shipped themes, then the user's (a user theme may replace a shipped one by name)."""
    out = Loaded()
    dirs = [shipped or shipped_dir()]
    if user_dir is not None:
        dirs.append(user_dir / "themes")
    for directory in dirs:
        try:
            files = sorted(directory.glob("*.toml"))
        except OSError as exc:
            out.problems.append(f"{directory}: cannot list themes: {exc}")
            continue
        for path in files:
            try:
                theme = parse_theme(path)
            except ValueError as exc:
                out.problems.append(str(exc))
                continue
            out.themes[theme.name] = theme
            out.origin[theme.name] = path
    if DEFAULT_THEME not in out.themes:  # never without a theme, even with no files at all
        out.themes[DEFAULT_THEME] = ThemeSpec(name=DEFAULT_THEME, primary="#61afef").to_theme()
    return out


def read_settings(directory: Path) -> tuple[dict[str, Any], str | None]:
    path = directory / "settings.json"
    try:
        data = orjson.loads(storage.read_bytes(path, "config"))
    except FileNotFoundError:
        return {}, None
    except (OSError, orjson.JSONDecodeError) as exc:
        return {}, f"{path}: unreadable, using defaults: {exc}"
    if not isinstance(data, dict):
        return {}, f"{path}: expected a JSON object, using defaults"
    return data, None


def save_settings(directory: Path, changes: dict[str, Any]) -> None:
    """Merge ``changes`` into settings.json under its lock, written atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "settings.json"
    with storage.locked(storage.lock_path_for(path)):
        current, _ = read_settings(directory)
        current.update(changes)
        storage.atomic_write_json(path, current)


def read_keymap(directory: Path) -> tuple[dict[str, str], str | None]:
    """``settings.json``'s ``keymap``: binding id -> keys (``{"board.undo": "z,ctrl+z"}``)."""
    settings, _ = read_settings(directory)
    keymap = settings.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                for k, v in keymap.items()):
        return {}, f"{directory / 'settings.json'}: keymap must map binding ids to keys; ignored"
    return keymap, None


class Choice(msgspec.Struct):
    name: str
    problems: list[str]


def choose(requested: str | None, directory: Path, loaded: Loaded, no_color: bool = False) -> Choice:
    """The theme to start with: --theme, else $CATALYST_THEME, else the saved one, else the default."""
    problems: list[str] = []
    settings, problem = read_settings(directory)
    if problem:
        problems.append(problem)
    wanted = requested or os.environ.get("CATALYST_THEME") or settings.get("theme")
    if no_color and not requested:
        wanted = ANSI_THEME if ANSI_THEME in loaded.themes else wanted
    if isinstance(wanted, str) and wanted in loaded.themes:
        return Choice(wanted, problems)
    if wanted:
        problems.append(f"theme {wanted!r} is not available (see the notes above); using {DEFAULT_THEME}")
    return Choice(DEFAULT_THEME, problems)
