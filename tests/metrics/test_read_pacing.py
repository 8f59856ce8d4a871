"""Which tenants the change feed reads now (core/health/read_pacing.py), on a stepped clock."""

from __future__ import annotations

import itertools

import pytest

from catalyst_tui.core.health.read_pacing import ReadPacer


def test_a_quiet_tenant_is_read_at_once() -> None:
    p = ReadPacer(0.1)
    assert p.take({"joni"}, 10.0) == {"joni"}  # never read: at once
    assert p.take({"joni"}, 10.1) == {"joni"}  # a spell later: at once again
    assert p.wait_s(10.1) is None and not p.held


def test_a_streaming_tenant_is_read_once_per_spell_with_everything_it_wrote() -> None:
    p = ReadPacer(0.1)
    assert p.take({"bjork"}, 10.0) == {"bjork"}  # the first write of the burst: at once
    for t in (10.01, 10.02, 10.05, 10.08):
        assert p.take({"bjork"}, t) == set()  # held: one read at the end of the spell
    assert p.held == {"bjork"}
    assert p.wait_s(10.08) == pytest.approx(0.02)  # the feed wakes for it without a new event
    assert p.take(set(), 10.099) == set()  # not yet
    assert p.take(set(), 10.1) == {"bjork"}  # due: read, whatever came meanwhile
    assert not p.held and p.wait_s(10.1) is None


def test_no_change_waits_longer_than_a_spell() -> None:
    p = ReadPacer(0.1)
    read_at = {}
    t = 0.0
    p.take({"bjork"}, t)
    while t < 3.0:  # a change every 7 ms for 3 s
        t = round(t + 0.007, 3)
        wait = p.wait_s(t)
        due = p.take({"bjork"}, t) if wait is None or wait > 0 else p.take(set(), t)
        if due:
            read_at[t] = due
    reads = sorted(read_at)
    assert all(b - a <= 0.1 + 0.007 + 1e-9 for a, b in itertools.pairwise(reads))  # never held past its spell
    assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(reads))  # and never read more often
    assert 25 <= len(reads) <= 31


def test_a_quiet_tenant_is_not_held_behind_a_streaming_one() -> None:
    p = ReadPacer(0.1)
    p.take({"bjork"}, 10.0)
    assert p.take({"bjork"}, 10.01) == set()
    assert p.take({"joni"}, 10.02) == {"joni"}  # the lone write goes now; bjork's spell is not over
    assert p.held == {"bjork"}


def test_held_tenants_due_soon_are_read_together() -> None:
    p = ReadPacer(0.1)  # align: half a spell
    p.take({"bjork"}, 10.0)
    p.take({"cher"}, 10.03)
    assert p.take({"bjork", "cher"}, 10.05) == set()  # both held: due at 10.10 and 10.13
    assert p.take(set(), 10.10) == {"bjork", "cher"}  # cher comes along (due within 50 ms)
    assert p.take({"bjork", "cher"}, 10.15) == set()
    assert p.take(set(), 10.20) == {"bjork", "cher"}  # from now on on the same beat


def test_a_held_tenant_comes_along_with_a_lone_read() -> None:
    p = ReadPacer(0.1)
    p.take({"bjork"}, 10.0)
    p.take({"bjork"}, 10.02)
    assert p.take({"joni"}, 10.07) == {"joni", "bjork"}  # bjork due at 10.10: one read for both
    assert p.take({"joni"}, 10.2) == {"joni"}  # bjork wrote nothing since: not read again


def test_after_everything_is_read_nothing_is_held() -> None:
    p = ReadPacer(0.1)
    p.take({"bjork"}, 10.0)
    p.take({"bjork"}, 10.01)
    p.read_all(["bjork", "joni"], 10.02)
    assert not p.held and p.wait_s(10.02) is None
    assert p.take({"joni"}, 10.05) == set()  # joni was just read


def test_a_zero_spell_reads_every_change() -> None:
    p = ReadPacer(0.0)
    assert all(p.take({"bjork"}, 10.0 + i * 0.001) == {"bjork"} for i in range(5))
