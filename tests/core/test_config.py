from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from catalyst_tui.core.config import (
    DEFAULT_COLUMNS,
    WorkspaceConfig,
    default_config_toml,
    load_config,
    parse_config,
)
from catalyst_tui.core.errors import ConfigError


def _leaf_keys(cls: type[msgspec.Struct], prefix: str = "") -> list[str]:
    """Every settable key of the schema, dotted (``janitor.rules``), nested Structs walked."""
    keys = []
    for f in msgspec.structs.fields(cls):
        default = f.default_factory() if f.default_factory is not msgspec.NODEFAULT else f.default
        if isinstance(default, msgspec.Struct):
            keys += _leaf_keys(type(default), f"{prefix}{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


def test_init_writes_every_setting_and_parsing_it_gives_the_defaults() -> None:
    text = default_config_toml()
    assert parse_config(text, env={}) == WorkspaceConfig()
    keys = _leaf_keys(WorkspaceConfig)
    assert len(keys) > 30  # the walk reached into the sections
    sections = {"": text.split("\n[")[0], **{
        block.split("]")[0]: block for block in text.split("\n[")[1:]}}
    for key in keys:
        section, _, name = key.rpartition(".")
        if key == "agents":
            assert text.count("[[agents]]") == 9
            continue
        block = sections[section]
        assert f"\n{name} = " in block or f"\n# {name} =" in block, f"{key} missing from the default catalyst.toml"


def test_default_config_round_trips() -> None:
    cfg = parse_config(default_config_toml(), env={})
    assert len(cfg.agents) == 9
    assert cfg.board.columns == list(DEFAULT_COLUMNS)
    assert cfg.janitor.interval_s == 1800
    assert cfg.snapshot.interval_s == 300
    assert cfg.metrics.port == 19100


def test_bad_value_names_file_key_and_problem(tmp_path: Path) -> None:
    (tmp_path / "catalyst.toml").write_text('[janitor]\ninterval_s = "soon"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path, env={})
    msg = str(exc.value)
    assert str(tmp_path / "catalyst.toml") in msg
    assert "janitor.interval_s" in msg


def test_invalid_toml_reports_line(tmp_path: Path) -> None:
    (tmp_path / "catalyst.toml").write_text('name = "x"\n[board\n')
    with pytest.raises(ConfigError, match=r"catalyst.toml: invalid TOML: .*line 2"):
        load_config(tmp_path, env={})


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"board\.colums"):
        parse_config("[board]\ncolums = ['a', 'b']\n", env={})


@pytest.mark.parametrize("bad", ['"../x"', '"Bjork"', '""'])
def test_bad_agent_name_in_config(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"agents\[0\].name: invalid agent name"):
        parse_config(f"[[agents]]\nname = {bad}\n", env={})


def test_duplicate_agents_and_columns() -> None:
    with pytest.raises(ConfigError, match="duplicate agent names: a"):
        parse_config("[[agents]]\nname='a'\n[[agents]]\nname='a'\n", env={})
    with pytest.raises(ConfigError, match="unique"):
        parse_config("[board]\ncolumns=['a','a']\n", env={})


def test_env_overrides() -> None:
    env = {"CATALYST_JANITOR__INTERVAL_S": "60", "CATALYST_SNAPSHOT__TARGET": "file:///tmp/m",
           "CATALYST_WORKSPACE": "/ignored", "OTHER": "x"}
    cfg = parse_config(default_config_toml(), env=env)
    assert cfg.janitor.interval_s == 60
    assert cfg.snapshot.target == "file:///tmp/m"


def test_bad_env_override_is_named() -> None:
    with pytest.raises(ConfigError, match=r"CATALYST_\* overrides.*health.error_rate"):
        parse_config("", env={"CATALYST_HEALTH__ERROR_RATE": "7"})


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path, env={})


@pytest.mark.parametrize("toml, message", [
    ('[janitor]\ninterval_s = "soon"', "catalyst.toml: janitor.interval_s: expected `float`, got `str`"),
    ("[health]\nerror_rate = 1.5", "catalyst.toml: health.error_rate: expected `float` <= 1.0"),
    ("[board]\ncolums = ['a', 'b']", "catalyst.toml: board.colums: unknown key"),
    ("[metrics]\nwindow = '2m'", "catalyst.toml: metrics.window: invalid value '2m' (one of '1m', '5m', '1h')"),
    ("board = 3", "catalyst.toml: board: expected a table, got `int`"),
    ("[[agents]]\ncolor = '#fff'", "catalyst.toml: agents[0]: missing required key `name`"),
    ("[[agents]]\nname = 'a'\ncolor = 'red'", "catalyst.toml: agents[0].color: 'red' is not #rgb or #rrggbb"),
    ("[board]\ncolumns = ['todo']", "catalyst.toml: board.columns: expected an array of length >= 2"),
    ("[[janitor.rules]]\npattern = 'x'\nttl_s = 1\naction = 'burn'",
     "catalyst.toml: janitor.rules[0].action: invalid value 'burn' (one of 'archive', 'remove', 'flag')"),
])
def test_errors_name_the_file_the_key_and_the_problem_in_toml_words(toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(toml, env={})
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_a_retired_key_from_an_earlier_catalyst_toml_opens_with_a_warning(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    """Earlier versions wrote `[ports] file_poll_s` into every catalyst.toml; nothing reads it now."""
    assert "file_poll_s" not in default_config_toml()
    old = default_config_toml().replace("[ports]\n", "[ports]\nfile_poll_s = 1.0\n", 1)
    (tmp_path / "catalyst.toml").write_text(old)
    with caplog.at_level("WARNING", logger="catalyst_tui.config"):
        cfg = load_config(tmp_path, env={})
    assert cfg == WorkspaceConfig()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "catalyst_tui.config"]
    assert warning.startswith(f"{tmp_path / 'catalyst.toml'}: ports.file_poll_s: no longer read")
    assert warning.endswith("(remove it)")
    with pytest.raises(ConfigError, match=r"ports\.file_pol\b"):  # a misspelt key is still refused
        parse_config("[ports]\nfile_pol = 1.0\n", env={})
