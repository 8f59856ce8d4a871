from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_tui.core.config import DEFAULT_COLUMNS, default_config_toml, load_config, parse_config
from catalyst_tui.core.errors import ConfigError


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
    with pytest.raises(ConfigError, match=r"agents\.0\.name"):
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
