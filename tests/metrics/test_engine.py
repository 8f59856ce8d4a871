"""The windowed metrics engine against hand-computed figures."""

from __future__ import annotations

import math
import random

import pytest

from catalyst_tui.core.health import DispatchStats, bin_of, bin_value, buckets, hist_percentile, metrics, percentile
from catalyst_tui.core.models import DispatchRecord

NOW = 1_700_000_000.0  # a multiple of 60: bucket edges are easy to reason about


def fin(i: int | str, ts: float, lat: float | None = 100.0, status: str = "ok") -> DispatchRecord:
    return DispatchRecord(ts=ts, id=str(i), event="finished", status=status, latency_ms=lat)  # type: ignore[arg-type]


def enq(i: int | str, ts: float) -> DispatchRecord:
    return DispatchRecord(ts=ts, id=str(i), event="enqueued")


def test_bins_are_within_one_percent() -> None:
    for v in (0.02, 1.0, 3.3, 99.9, 250.0, 4200.0, 123456.0):
        assert bin_value(bin_of(v)) == pytest.approx(v, rel=buckets.REL_ACCURACY)
    assert bin_value(bin_of(0.0)) == 0.0


def test_exact_nearest_rank_helper() -> None:
    vals = [100.0 * i for i in range(1, 11)]  # 100..1000
    assert percentile(vals, 50) == 500.0  # rank ceil(5) = 5
    assert percentile(vals, 95) == 1000.0  # rank ceil(9.5) = 10
    assert percentile(vals, 10) == 100.0
    assert percentile([], 50) is None


def test_percentiles_hand_computed() -> None:
    s = DispatchStats(clock=lambda: NOW)
    for i in range(1, 101):  # latencies 1..100 ms, one each
        s.observe(fin(i, NOW - 10, lat=float(i)))
    f = s.figures("1m")
    assert f.finished == 100
    assert f.p50_ms == pytest.approx(50, rel=0.01)
    assert f.p95_ms == pytest.approx(95, rel=0.01)
    assert f.p99_ms == pytest.approx(99, rel=0.01)


def test_percentiles_with_skewed_distribution() -> None:
    # 90 fast (100 ms) and 10 slow (4200 ms): p50 100 ms, p95 (rank 95) 4.2 s, p90 (rank 90) 100 ms
    s = DispatchStats(clock=lambda: NOW)
    for i in range(90):
        s.observe(fin(f"f{i}", NOW - 5, lat=100.0))
    for i in range(10):
        s.observe(fin(f"s{i}", NOW - 5, lat=4200.0))
    agg = s.rings["1m"].agg
    assert hist_percentile(agg.hist, 90) == pytest.approx(100, rel=0.01)
    assert hist_percentile(agg.hist, 91) == pytest.approx(4200, rel=0.01)
    f = s.figures("1m")
    assert f.p50_ms == pytest.approx(100, rel=0.01)
    assert f.p95_ms == pytest.approx(4200, rel=0.01)


def test_error_rate_and_throughput() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.since = NOW - 3600  # observed for an hour (older history exists)
    for i in range(20):
        s.observe(fin(i, NOW - 1, status="error" if i < 3 else "ok"))
    f = s.figures("1m")
    assert (f.finished, f.errors) == (20, 3)
    assert f.error_rate == pytest.approx(0.15)
    assert f.throughput_per_s == pytest.approx(20 / 60)
    assert s.figures("5m").throughput_per_s == pytest.approx(20 / 300)


def test_throughput_of_a_fresh_agent_is_over_the_span_observed() -> None:
    """An agent 30 s old that finished 30 dispatches runs at 1/s, not at 30/300 s."""
    now = 1_700_000_000.0  # on a bucket boundary of every ring
    s = DispatchStats(clock=lambda: now)
    for i in range(30):
        s.observe(fin(i, now - 30 + i), now)
    assert s.observed_span("5m") == pytest.approx(30)  # from the first record to the bucket holding `now`
    assert s.figures("5m", now).throughput_per_s == pytest.approx(1.0)
    assert s.figures("1m", now).throughput_per_s == pytest.approx(1.0)
    assert s.figures("5m", now + 600).throughput_per_s == 0.0  # idle since: the records left the window
    assert s.observed_span("5m") == 300  # a whole window observed by now: the plain rate


def test_a_steady_stream_reads_one_steady_rate() -> None:
    """10 dispatches a second for 40 s, read every 0.1 s: the rate is 10/s at every read, never
    the fall and climb of a span that ended at the end of the bucket still filling."""
    t0 = 1_700_000_000.0
    s = DispatchStats(clock=lambda: t0)
    rates = []
    for k in range(400):
        now = t0 + 0.1 * (k + 1)
        s.observe(fin(k, now), now)
        if k >= 20:  # from 2 s on (within the first second the floor holds: a first record is not a burst)
            rates.append(s.figures("5m", now).throughput_per_s)
    assert all(r == pytest.approx(10, rel=0.06) for r in rates)  # 21 records 2 s apart at first: 10.5/s
    assert all(r == pytest.approx(10, rel=0.03) for r in rates[20:])
    quiet = t0 + 40 + 20  # then silence: the rate decays as buckets go by
    assert s.figures("5m", quiet).throughput_per_s == pytest.approx(400 / 60, rel=0.01)


def test_windows_select_by_age() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.observe(fin("a", NOW - 30))  # 1m, 5m, 1h
    s.observe(fin("b", NOW - 120))  # 5m, 1h
    s.observe(fin("c", NOW - 1800))  # 1h
    s.observe(fin("d", NOW - 4000))  # too old for any window: counted as a record only
    assert [s.figures(w).finished for w in ("1m", "5m", "1h")] == [1, 2, 3]
    assert s.records == 4


def test_windows_slide_as_time_passes() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.observe(fin("a", NOW - 30, status="error"))
    s.observe(fin("b", NOW - 5))
    assert s.figures("1m", NOW).errors == 1
    later = s.figures("1m", NOW + 40)  # "a" (NOW-30) is now 70 s old
    assert (later.finished, later.errors) == (1, 0)
    assert s.figures("5m", NOW + 40).finished == 2
    assert s.figures("1m", NOW + 7200).finished == 0
    assert s.figures("1h", NOW + 7200).finished == 0
    assert s.rings["1h"].agg.hist == {}  # fully subtracted: nothing lingers


def test_out_of_order_records_land_in_their_own_bucket() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.observe(fin("new", NOW - 1), NOW)
    s.observe(fin("old", NOW - 200, lat=900.0), NOW)  # arrives late, belongs 200 s back
    assert s.figures("1m").finished == 1
    assert s.figures("5m").finished == 2
    # once the old record's bucket leaves the 5 min window, it goes, the new one stays
    assert s.figures("5m", NOW + 110).finished == 1


def test_queue_depth_out_of_order_and_duplicates() -> None:
    s = DispatchStats(clock=lambda: NOW)
    for i in ("a", "b", "c"):
        s.observe(enq(i, NOW - 10))
    s.observe(enq("a", NOW - 10))  # duplicate enqueue
    s.observe(fin("b", NOW - 9))
    s.observe(fin("d", NOW - 8))  # finished before its enqueue arrives
    s.observe(enq("d", NOW - 9))
    s.observe(fin("b", NOW - 9))  # duplicate finish
    f = s.figures("1m")
    assert f.queue_depth == 2  # a and c
    assert f.finished == 2  # b and d, once each
    assert f.duplicates == 1
    assert f.records == 8


def test_clock_skew_future_records_are_counted_now() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.observe(fin("ahead", NOW + 300))  # the agent's clock runs 5 min ahead
    s.observe(fin("jitter", NOW + 2))  # a finished stamp a little ahead is normal
    f = s.figures("1m")
    assert f.finished == 2
    assert f.clock_skew_s == pytest.approx(300)
    assert f.last_ts == NOW  # clamped: "last seen" is never in the future
    assert s.figures("1m", NOW + 61).finished == 0  # and it ages out like any other


def test_baseline_ratio_against_own_hour() -> None:
    s = DispatchStats(clock=lambda: NOW)
    for i in range(600):  # 55 min of 100 ms dispatches, before the current window
        s.observe(fin(f"o{i}", NOW - 3300 + i * 5, lat=100.0))
    for i in range(50):  # the last 5 minutes: 1 s
        s.observe(fin(f"n{i}", NOW - 290 + i * 5, lat=1000.0))
    f = s.figures("5m")
    assert f.baseline_p95_ms == pytest.approx(100, rel=0.01)
    assert f.p95_ms == pytest.approx(1000, rel=0.01)
    assert f.p95_ratio == pytest.approx(10, rel=0.02)


def test_brute_force_agreement_random_streams() -> None:
    rng = random.Random(4)
    s = DispatchStats(clock=lambda: NOW)
    recs = []
    for i in range(5000):
        ts = NOW - rng.uniform(0, 4000)
        r = fin(i, ts, lat=rng.lognormvariate(5.5, 0.8), status="error" if rng.random() < 0.1 else "ok")
        recs.append(r)
        s.observe(r, NOW)
    for w, span in metrics.WINDOWS.items():
        width = span / buckets.SLOTS
        head = math.floor(NOW / width)
        inside = [r for r in recs if math.floor(r.ts / width) > head - buckets.SLOTS]
        lats = sorted(r.latency_ms for r in inside)  # type: ignore[misc]
        f = s.figures(w, NOW)
        assert f.finished == len(inside)
        assert f.errors == sum(r.status == "error" for r in inside)
        for q, got in ((50, f.p50_ms), (95, f.p95_ms), (99, f.p99_ms)):
            assert got == pytest.approx(percentile(lats, q), rel=0.011), (w, q)


def test_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "DONE_KEEP", 1000)
    monkeypatch.setattr(metrics, "OPEN_KEEP", 500)
    t = [NOW]
    s = DispatchStats(clock=lambda: t[0])
    for i in range(30_000):  # 3 h of traffic at ~3 records/s
        t[0] = NOW + i * 0.36
        s.observe(enq(i, t[0]))
        if i % 3:
            s.observe(fin(i, t[0], lat=50.0 + i % 700))
    assert len(s._done) <= 1000 and len(s._done_order) <= 1000
    assert 499 <= len(s.open) <= 500  # capped (the last id was enqueued, then finished)
    assert all(int(i) % 3 == 0 for i in s.open)
    for ring in s.rings.values():
        live = [b for b in ring.buckets if b is not None]
        assert len(live) <= buckets.SLOTS
        assert ring.agg.finished == sum(b.finished for b in ring.ordered() if b)
        assert sum(ring.agg.hist.values()) == ring.agg.finished
    head = math.floor(t[0] / 60)  # the 1 h window: the 60 one-minute buckets up to now
    assert s.figures("1h").finished == sum(1 for i in range(30_000)
                                           if i % 3 and math.floor((NOW + i * 0.36) / 60) > head - 60)


def test_series_for_sparklines() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.observe(fin("a", NOW, lat=200.0, status="error"))  # the newest bucket
    s.observe(fin("b", NOW - 30, lat=800.0))  # 30 one-second buckets back
    lat, errs = s.series("1m")
    assert len(lat) == len(errs) == buckets.SLOTS
    assert lat[-1] == pytest.approx(200, rel=0.01) and errs[-1] == 1
    assert lat[-31] == pytest.approx(800, rel=0.01) and errs[-31] == 0
    assert sum(1 for v in lat if v) == 2


def test_clock_behind_is_estimated_from_live_batches() -> None:
    s = DispatchStats(clock=lambda: NOW)
    s.note_live_batch([fin("a", NOW - 600), fin("b", NOW - 601)], NOW)  # one batch alone: no verdict
    assert s.figures("1m").clock_behind_s == 0.0
    s.note_live_batch([fin("c", NOW + 5 - 600)], NOW + 5)  # again 10 min old as it is written
    assert s.figures("1m").clock_behind_s == pytest.approx(600)
    s.note_live_batch([fin("d", NOW + 9)], NOW + 10)  # a fresh record: the clock is fine again
    s.note_live_batch([fin("e", NOW + 11)], NOW + 12)
    assert s.figures("1m").clock_behind_s == 0.0
