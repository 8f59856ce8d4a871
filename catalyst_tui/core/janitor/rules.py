"""Janitor rules: which paths the janitor looks at, after how long, and what it does.

A rule is a path pattern relative to the workspace root (core/globs.py: ``*`` matches within one
path component, ``**/`` any number of directories, ``?`` one character, ``[a-z]`` a set), a TTL in seconds and an
action: ``archive`` (the default: moved under ``archive/<run-id>/`` keeping its relative path,
restorable), ``remove`` or ``flag`` (reported only). ``compress`` gzips an archived file.
The first rule whose pattern matches a path wins.

The built-in defaults (used when ``[janitor] rules`` is not set in ``catalyst.toml``) cover:
session lock files of closed sessions, orphan temp files of interrupted atomic writes,
half-written compressed archives, filelock lock files whose guarded file is gone, and rotated
chat archives past their retention (archived and compressed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from catalyst_tui.core import globs
from catalyst_tui.core.config import JanitorConfig, JanitorRule
from catalyst_tui.core.names import is_valid_agent_name

Action = Literal["archive", "remove", "flag"]

ARCHIVE_DIR = "archive"  # archive/<run-id>/<relative path>
JANITOR_DIR = ".catalyst/janitor"  # journal, run reports, footprint history, run lock
EXCLUDED_TOP = frozenset({ARCHIVE_DIR})  # never walked: the janitor's own archive

HOUR = 3600.0
DAY = 86400.0

DEFAULT_RULES: tuple[JanitorRule, ...] = (
    # half-written compressed archives (a temp .gz nobody finished): nothing to keep
    JanitorRule(name="half-written-archive", pattern="**/.*.gz.tmp-*", ttl_s=HOUR, action="remove"),
    # orphan temp files of interrupted atomic writes (storage.tmp_name): kept in the archive
    JanitorRule(name="orphan-temp", pattern="**/.*.tmp-*", ttl_s=HOUR, action="archive"),
    # session locks whose session is closed (owner pid dead / reused / zombie)
    JanitorRule(name="session-lock", pattern="agents/*/locks/*.lock", ttl_s=HOUR, action="archive"),
    # filelock lock files whose guarded file no longer exists (held ones are never touched)
    JanitorRule(name="orphan-filelock", pattern="**/*.lock", ttl_s=DAY, action="archive"),
    # rotated chat archives past retention: archived and compressed
    JanitorRule(name="chat-retention", pattern="agents/*/chat-*.jsonl", ttl_s=7 * DAY, action="archive",
                compress=True),
)


@dataclass(frozen=True, slots=True)
class Rule:
    index: int
    name: str
    pattern: str
    ttl_s: float
    action: Action
    compress: bool


class RuleSet:
    """All rules, matched per directory: each pattern is split into a directory part and a name
    part, so a directory's listing is matched by names against only the rules that can apply
    there, with one compiled regex (the first rule that matches wins)."""

    def __init__(self, rules: Sequence[JanitorRule]) -> None:
        self.rules: list[Rule] = []
        self._split: list[tuple[re.Pattern[str], str]] = []
        for i, r in enumerate(rules):
            self.rules.append(Rule(i, r.name or f"rule-{i + 1}", r.pattern, r.ttl_s, r.action, r.compress))
            globs.check_relative(r.pattern)
            dir_glob, _, name_glob = r.pattern.rpartition("/")
            dir_re = globs.glob_to_regex(dir_glob + "/") if dir_glob else ""
            if name_glob == "**":  # "agents/**": any name at any depth below the directory part
                dir_re += "(?:[^/]+/)*"
                name_glob = "*"
            self._split.append((re.compile(dir_re), globs.component_regex(name_glob)))
        self._by_dir: dict[str, re.Pattern[str] | None] = {}
        self._compiled: dict[tuple[int, ...], re.Pattern[str]] = {}

    @classmethod
    def from_config(cls, cfg: JanitorConfig) -> RuleSet:
        return cls(DEFAULT_RULES if cfg.rules is None else cfg.rules)

    def for_dir(self, dir_rel: str) -> re.Pattern[str] | None:
        """The name matcher for files directly in ``dir_rel`` ("" or "a/b/"); None: no rule applies.
        A match's ``lastgroup`` is ``r<index>`` of the winning rule."""
        try:
            return self._by_dir[dir_rel]
        except KeyError:
            pass
        idx = tuple(i for i, (dir_re, _) in enumerate(self._split) if dir_re.fullmatch(dir_rel))
        rx = None
        if idx:
            rx = self._compiled.get(idx)
            if rx is None:
                rx = re.compile("|".join(f"(?P<r{i}>{self._split[i][1]})" for i in idx))
                self._compiled[idx] = rx
        if len(self._by_dir) < 100_000:
            self._by_dir[dir_rel] = rx
        return rx

    def match(self, relpath: str) -> Rule | None:
        head, _, name = relpath.rpartition("/")
        rx = self.for_dir(head + "/" if head else "")
        m = rx.fullmatch(name) if rx is not None else None
        if m is None or m.lastgroup is None:
            return None
        return self.rules[int(m.lastgroup[1:])]


def agent_of(relpath: str) -> str | None:
    """The tenant a workspace path belongs to: ``agents/<name>/...`` -> name; shared -> None."""
    if relpath.startswith("agents/"):
        name = relpath[7:].split("/", 1)[0]
        if is_valid_agent_name(name):
            return name
    return None
