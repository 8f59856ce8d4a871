"""The validated-config cache (core/vcache.py): a warm start skips pydantic, and never a check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalyst_tui.core import vcache
from catalyst_tui.core.config import (
    JanitorRule,
    default_config_toml,
    from_validated,
    load_config,
    parse_config,
)
from catalyst_tui.core.errors import ConfigError

CUSTOM = default_config_toml().replace(
    "[janitor]\n", '[janitor]\nrules = [{ pattern = "tmp/*", ttl_s = 5, action = "remove", name = "t" }]\n')


def _entries() -> list[Path]:
    return sorted((vcache.cache_dir() / "config").glob("*.json"))


def test_rebuilt_from_plain_data_equals_the_validated_config() -> None:
    for text in (default_config_toml(), CUSTOM, '[[agents]]\nname = "a"\n[metrics]\nwindow = "1h"\n'):
        cfg = parse_config(text, env={})
        assert from_validated(cfg.to_dict()) == cfg
    rules = parse_config(CUSTOM, env={}).janitor.rules
    assert rules == [JanitorRule(pattern="tmp/*", ttl_s=5.0, action="remove", name="t")]


def test_second_load_is_served_from_the_cache(tmp_path: Path) -> None:
    (tmp_path / "catalyst.toml").write_text(CUSTOM)
    first = load_config(tmp_path, env={})
    assert len(_entries()) == 1
    mtime = _entries()[0].stat().st_mtime_ns
    second = load_config(tmp_path, env={})
    assert second == first
    assert [p.stat().st_mtime_ns for p in _entries()] == [mtime]  # read, not written again


def test_a_warm_start_imports_no_pydantic(tmp_path: Path) -> None:
    (tmp_path / "catalyst.toml").write_text(CUSTOM)
    code = ("import sys; from catalyst_tui.core.workspace import Workspace; "
            "ws = Workspace.open(sys.argv[1]); print(ws.config.janitor.rules[0].pattern, 'pydantic' in sys.modules)")
    env = {**os.environ}
    cold = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True,
                          check=True)
    warm = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True,
                          check=True)
    assert cold.stdout.split() == ["tmp/*", "True"]  # validated: pydantic was needed
    assert warm.stdout.split() == ["tmp/*", "False"]  # the same config, no pydantic


def test_an_edit_is_a_miss_and_an_invalid_edit_still_fails(tmp_path: Path) -> None:
    path = tmp_path / "catalyst.toml"
    path.write_text(default_config_toml())
    assert load_config(tmp_path, env={}).janitor.interval_s == 1800
    path.write_text(default_config_toml().replace("interval_s = 1800.0", "interval_s = 60.0"))
    assert load_config(tmp_path, env={}).janitor.interval_s == 60
    path.write_text(default_config_toml().replace("interval_s = 1800.0", "interval_s = -1"))
    with pytest.raises(ConfigError, match=r"catalyst.toml: janitor.interval_s: Input should be greater than 0"):
        load_config(tmp_path, env={})
    assert len(_entries()) == 2  # the two valid versions; the invalid one is never stored


def test_environment_overrides_are_part_of_the_key(tmp_path: Path) -> None:
    (tmp_path / "catalyst.toml").write_text(default_config_toml())
    assert load_config(tmp_path, env={}).health.error_rate == 0.1
    assert load_config(tmp_path, env={"CATALYST_HEALTH__ERROR_RATE": "0.5"}).health.error_rate == 0.5
    with pytest.raises(ConfigError, match="overrides"):
        load_config(tmp_path, env={"CATALYST_HEALTH__ERROR_RATE": "7"})
    assert load_config(tmp_path, env={}).health.error_rate == 0.1


def test_values_json_cannot_carry_are_never_cached(tmp_path: Path) -> None:
    (tmp_path / "catalyst.toml").write_text(default_config_toml().replace("interval_s = 1800.0", "interval_s = inf"))
    assert load_config(tmp_path, env={}).janitor.interval_s == float("inf")
    assert _entries() == []  # JSON would turn inf into null: validated at every start instead
    assert load_config(tmp_path, env={}).janitor.interval_s == float("inf")


def _typed_damage(entry: Path) -> None:
    data = json.loads(entry.read_text())
    data["janitor"]["interval_s"] = None  # the right keys, a wrong type
    entry.write_text(json.dumps(data))


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"name": "x"}', b"[1, 2]", _typed_damage])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: object) -> None:
    (tmp_path / "catalyst.toml").write_text(CUSTOM)
    good = load_config(tmp_path, env={})
    if callable(damage):
        damage(_entries()[0])
    else:
        _entries()[0].write_bytes(damage)
    assert load_config(tmp_path, env={}) == good
    assert load_config(tmp_path, env={}) == good  # and the entry was rewritten whole


def test_cache_can_be_turned_off_and_write_failures_are_ignored(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "catalyst.toml").write_text(CUSTOM)
    monkeypatch.setenv("CATALYST_VALIDATION_CACHE", "0")
    load_config(tmp_path, env={})
    assert _entries() == []
    monkeypatch.delenv("CATALYST_VALIDATION_CACHE")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # the cache directory cannot be created
    assert load_config(tmp_path, env={}).janitor.rules is not None


def test_old_entries_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vcache, "MAX_ENTRIES", 3)
    for i in range(6):
        vcache.put("config", f"k{i}", {"i": i})
        os.utime(vcache.cache_dir() / "config" / f"k{i}.json", ns=(i * 10**9, i * 10**9))
    vcache.put("config", "k6", {"i": 6})
    assert [p.stem for p in _entries()] == ["k4", "k5", "k6"]
