"""One glob meaning (core/globs.py): janitor rules and snapshot includes agree on one table of cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_tui.core import globs
from catalyst_tui.core.config import JanitorRule
from catalyst_tui.core.janitor.rules import RuleSet
from catalyst_tui.core.snapshot.manifest import collect

# (pattern, path, matches)
CASES = [
    ("agents/*/state.json", "agents/bjork/state.json", True),
    ("agents/*/state.json", "agents/bjork/x/state.json", False),  # * stays within one component
    ("agents/*/state.json", "agents/state.json", False),
    ("*.lock", ".hidden.lock", True),  # a leading dot is matched by *
    ("*.lock", "locks/a.lock", False),
    ("**/*.lock", "a.lock", True),  # **/ is zero directories too
    ("**/*.lock", "agents/bjork/locks/a.lock", True),
    ("agents/**", "agents/bjork/cards/c-1.md", True),  # a last ** is every file below
    ("agents/**", "agents/top.txt", True),
    ("agents/**", "board/index.json", False),
    ("agents/**/cards/*.md", "agents/cards/c.md", True),
    ("agents/**/cards/*.md", "agents/bjork/deep/cards/c.md", True),
    ("log?.txt", "log1.txt", True),
    ("log?.txt", "log12.txt", False),
    ("chat-[0-9]*.jsonl", "chat-2026.jsonl", True),
    ("chat-[0-9]*.jsonl", "chat-old.jsonl", False),
    ("[!.]*.md", ".draft.md", False),
    ("[!.]*.md", "notes.md", True),
    ("a**b", "aXXb", True),  # ** inside a component is a *
    ("a**b", "aX/Yb", False),
    ("[abc", "[abc", True),  # an unclosed [ is itself
    ("a+b(c).txt", "a+b(c).txt", True),  # regex characters are themselves
    ("**/.*.tmp-*", "agents/cher/.state.json.tmp-1-ab", True),
]
PATHS = sorted({p for _, p, _ in CASES})


@pytest.mark.parametrize("pattern, path, expected", CASES)
def test_globs(pattern: str, path: str, expected: bool) -> None:
    assert globs.matches(pattern, path) is expected


@pytest.mark.parametrize("pattern", sorted({p for p, _, _ in CASES}))
def test_janitor_rules_and_snapshot_includes_agree_with_the_table(pattern: str, tmp_path: Path) -> None:
    for rel in PATHS:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    expected = {path for p, path, ok in CASES if p == pattern and ok}
    unexpected = {path for p, path, ok in CASES if p == pattern and not ok}
    rules = RuleSet([JanitorRule(pattern=pattern, ttl_s=0)])
    by_janitor = {rel for rel in PATHS if rules.match(rel) is not None}
    by_snapshot = set(collect(tmp_path, [pattern])) - {"agents/cher/.state.json.tmp-1-ab"}  # temp files never
    assert expected <= by_janitor and not unexpected & by_janitor
    assert by_janitor == {rel for rel in PATHS if globs.matches(pattern, rel)}
    assert by_snapshot == by_janitor - {"agents/cher/.state.json.tmp-1-ab"}


def test_patterns_outside_the_workspace_are_refused() -> None:
    for bad in ("/etc/*", "../x", "a/../../b", ""):
        with pytest.raises(ValueError, match="relative to the workspace"):
            globs.check_relative(bad)
