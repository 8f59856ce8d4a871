"""Rules, pattern matching and age logic with an injected clock (safety item 7)."""

from __future__ import annotations

import pytest
from janitor_helpers import T0, janitor, make_file

from catalyst_tui.core.config import JanitorRule, parse_config
from catalyst_tui.core.errors import ConfigError
from catalyst_tui.core.janitor import DEFAULT_RULES, RuleSet, agent_of
from catalyst_tui.core.workspace import Workspace


def test_patterns_match_within_components_and_first_rule_wins() -> None:
    rules = RuleSet(DEFAULT_RULES)
    assert rules.match("agents/bjork/locks/s1.lock").name == "session-lock"  # type: ignore[union-attr]
    assert rules.match("agents/bjork/x/locks/s1.lock").name == "orphan-filelock"  # type: ignore[union-attr]
    assert rules.match("agents/cher/.state.json.tmp-12-ab12").name == "orphan-temp"  # type: ignore[union-attr]
    assert rules.match(".index.json.tmp-9-ff").name == "orphan-temp"  # type: ignore[union-attr]
    assert rules.match("agents/nina/.chat-1.jsonl.gz.tmp-3-aa").name == "half-written-archive"  # type: ignore[union-attr]
    assert rules.match("agents/nina/chat-20260101T000000Z.jsonl").name == "chat-retention"  # type: ignore[union-attr]
    assert rules.match("agents/nina/chat.jsonl") is None
    assert rules.match("agents/nina/cards/c-1.md") is None
    assert rules.match("agents/nina/state.json.lock").action == "archive"  # type: ignore[union-attr]


def test_agent_of_maps_paths_to_tenants() -> None:
    assert agent_of("agents/bjork/locks/x.lock") == "bjork"
    assert agent_of("board/index.lock") is None
    assert agent_of("agents/../etc/passwd") is None


@pytest.mark.parametrize("pattern", ["/etc/*", "../x/*", "agents/../../*", ""])
def test_config_refuses_patterns_escaping_the_workspace(pattern: str) -> None:
    toml = f'[janitor]\nrules = [{{ pattern = "{pattern}", ttl_s = 1 }}]\n'
    with pytest.raises(ConfigError, match=r"catalyst.toml: janitor.rules\[0\].pattern: "):
        parse_config(toml, env={})


def test_config_rules_replace_the_defaults() -> None:
    cfg = parse_config('[janitor]\nrules = [{ pattern = "tmp/*", ttl_s = 5, action = "remove" }]\n', env={})
    rules = RuleSet.from_config(cfg.janitor)
    assert [(r.pattern, r.ttl_s, r.action) for r in rules.rules] == [("tmp/*", 5.0, "remove")]


def test_ttl_boundary_is_exact_with_the_injected_clock(ws: Workspace) -> None:
    rules = [JanitorRule(pattern="scratch/*", ttl_s=3600, action="remove")]
    f = make_file(ws.root / "scratch" / "a.dat", mtime=T0 - 3600)
    # exactly the TTL old: kept
    r = janitor(ws, now=T0, rules=rules).run(dry_run=True, full=True)
    assert r["actions"] == []
    # half a second past the TTL: acted on
    r = janitor(ws, now=T0 + 0.5, rules=rules).run(dry_run=True, full=True)
    assert [a["path"] for a in r["actions"]] == ["scratch/a.dat"]
    assert r["actions"][0]["action"] == "remove"
    assert f.exists()  # a dry run


def test_future_mtime_is_kept_and_reported(ws: Workspace) -> None:
    rules = [JanitorRule(pattern="scratch/*", ttl_s=0, action="remove")]
    f = make_file(ws.root / "scratch" / "future.dat", mtime=T0 + 7200)
    r = janitor(ws, now=T0, rules=rules).run(full=True)
    assert f.exists()
    assert r["actions"] == []
    kept = [k for k in r["kept"] if k["path"] == "scratch/future.dat"]
    assert kept and "future" in kept[0]["reason"]


def test_sparkline_and_footprint_rows() -> None:
    from catalyst_tui.core.janitor import footprint_rows, sparkline

    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5]) == "▁▁" and sparkline([]) == ""
    assert sparkline(list(range(40)), width=4) == "▁▃▅█"
    hist = [{"ts": 2, "agent": "bjork", "bytes": 300, "files": 3}, {"ts": 1, "agent": "bjork", "bytes": 100},
            {"ts": 1, "agent": "(shared)", "bytes": 50, "files": 1}, {"ts": 3, "agent": None, "bytes": 1}]
    rows = footprint_rows(hist)
    assert [(r["agent"], r["bytes"], r["files"], r["growth"], r["points"]) for r in rows] == [
        ("(shared)", 50, 1, 0, 1), ("bjork", 300, 3, 200, 2)]
    assert rows[1]["spark"] == "▁█"
