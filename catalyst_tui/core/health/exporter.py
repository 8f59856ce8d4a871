"""Per-tenant metrics for Prometheus, on ``prometheus_client`` (docs/metrics.md lists the names).

:class:`CatalystCollector` is a custom collector over the monitor: each scrape turns the
tenants' statuses (and the janitor's and snapshot push's last outcomes) into metric families;
nothing is kept between scrapes. Every series about a tenant carries the ``agent`` label.
:class:`MetricsServer` serves it on ``bind:port`` (127.0.0.1 unless told otherwise).

This module is the only one that imports ``prometheus_client``; it is loaded where the exporter
runs (``metrics serve``, ``[metrics] serve = true``), never to draw the dashboard.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from catalyst_tui.core.health.agent_status import AgentStatus
from catalyst_tui.core.health.metrics import LATENCY_BOUNDS_S
from catalyst_tui.core.health.monitor import WorkspaceMonitor
from catalyst_tui.core.health.verdict import triage
from catalyst_tui.core.models import Health

DEFAULT_BIND = "127.0.0.1"
_LOG = logging.getLogger(__name__)


class JobOutcome(Protocol):
    """What the exporter needs to know about a periodic job (the janitor, the snapshot push)."""

    @property
    def name(self) -> str: ...  # a metric-name part: "janitor", "snapshot_push"
    @property
    def interval_s(self) -> float: ...
    @property
    def last_run(self) -> float | None: ...  # unix time the last run ended
    @property
    def last_ok(self) -> bool | None: ...
    @property
    def last_success(self) -> float | None: ...


Statuses = Callable[[], Iterable[AgentStatus]]
Jobs = Callable[[], Iterable[JobOutcome]]


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


class _Families:
    """One family per metric name; ``add`` appends a tenant's sample (None: no sample)."""

    def __init__(self) -> None:
        self.families: dict[str, Metric] = {}

    def gauge(self, name: str, doc: str, value: float | None, labels: dict[str, str]) -> None:
        fam = self.families.get(name)
        if fam is None:
            fam = self.families[name] = GaugeMetricFamily(name, doc, labels=list(labels))
        if value is not None:
            assert isinstance(fam, GaugeMetricFamily)
            fam.add_metric(list(labels.values()), float(value))

    def counter(self, name: str, doc: str, value: float, labels: dict[str, str]) -> None:
        fam = self.families.get(name)
        if fam is None:
            fam = self.families[name] = CounterMetricFamily(name, doc, labels=list(labels))
        assert isinstance(fam, CounterMetricFamily)
        fam.add_metric(list(labels.values()), float(value))


def _tenant(out: _Families, s: AgentStatus) -> None:
    a = {"agent": s.name}
    f = s.figures
    for h in Health:
        out.gauge("catalyst_tenant_health", "1 for the tenant's current health state, 0 for the others",
                  s.health is h, {"agent": s.name, "state": h.value})
    for rank, reason in enumerate(s.findings):
        out.gauge("catalyst_tenant_reason_info", "why the tenant is not healthy, strongest first (rank 0)",
                  1, {"agent": s.name, "rank": str(rank), "kind": reason.kind.value, "reason": reason.text})
    out.counter("catalyst_dispatch_records_total", "dispatch lines read", f.records, a)
    out.counter("catalyst_dispatch_finished_total", "unique finished dispatches", f.finished_total, a)
    out.counter("catalyst_dispatch_errors_total", "finished dispatches with status error", f.errors_total, a)
    out.counter("catalyst_tenant_parse_errors_total", "bad lines in the tenant's files", s.parse_errors, a)
    if f.latency_buckets:
        fam = out.families.get("catalyst_dispatch_latency_seconds")
        if fam is None:
            fam = out.families["catalyst_dispatch_latency_seconds"] = HistogramMetricFamily(
                "catalyst_dispatch_latency_seconds", "dispatch response time", labels=["agent"])
        assert isinstance(fam, HistogramMetricFamily)
        bounds = [repr(b) for b in LATENCY_BOUNDS_S] + ["+Inf"]
        fam.add_metric([s.name], list(zip(bounds, [float(n) for n in f.latency_buckets], strict=True)),
                       f.latency_sum_s)
    out.gauge("catalyst_dispatch_p95_seconds", "p95 response time over the judged window (the dashboard's figure)",
              _seconds(f.p95_ms), a)
    out.gauge("catalyst_dispatch_baseline_p95_seconds", "p95 over the tenant's own last hour, before the window",
              _seconds(f.baseline_p95_ms), a)
    out.gauge("catalyst_dispatch_queue_depth", "dispatches enqueued and not finished", f.queue_depth, a)
    out.gauge("catalyst_tenant_heartbeat_age_seconds", "seconds since the tenant's heartbeat", s.heartbeat_age_s, a)
    out.gauge("catalyst_tenant_disk_bytes", "size of the tenant's directory", s.disk_bytes, a)
    p = s.proc
    out.gauge("catalyst_tenant_process_up", "1 when the tenant's process (pid + start time) runs",
              None if p is None else p.alive, a)
    if p is not None and p.alive:
        out.gauge("catalyst_tenant_process_cpu_ratio", "CPU of the tenant's process (1 = one core)",
                  None if p.cpu_percent is None else p.cpu_percent / 100, a)
        out.gauge("catalyst_tenant_process_resident_memory_bytes", "resident memory of the tenant's process",
                  p.rss_bytes, a)
        out.gauge("catalyst_tenant_process_open_fds", "open files of the tenant's process", p.open_files, a)


def _job(out: _Families, job: JobOutcome) -> None:
    n = f"catalyst_{job.name}"
    what = job.name.replace("_", " ")
    out.gauge(f"{n}_interval_seconds", f"how often the {what} is meant to run", job.interval_s, {})
    out.gauge(f"{n}_last_run_timestamp_seconds", f"when the last {what} ended (unix time)", job.last_run, {})
    out.gauge(f"{n}_last_run_success", f"1 when the last {what} succeeded, 0 when it failed",
              None if job.last_ok is None else job.last_ok, {})
    out.gauge(f"{n}_last_success_timestamp_seconds", f"when a {what} last succeeded (unix time)",
              job.last_success, {})


class CatalystCollector(Collector):
    """Families built at each scrape from ``statuses()`` and ``jobs()``."""

    def __init__(self, statuses: Statuses, jobs: Jobs | None = None, shared_fraction: float = 0.6) -> None:
        self.statuses = statuses
        self.jobs = jobs
        self.shared_fraction = shared_fraction

    def collect(self) -> Iterator[Metric]:
        out = _Families()
        up = 1.0
        try:
            statuses = list(self.statuses())
            for s in statuses:
                _tenant(out, s)
            t = triage(statuses, shared_fraction=self.shared_fraction)
            out.gauge("catalyst_tenants", "tenants configured", len(statuses), {})
            out.gauge("catalyst_tenants_affected", "tenants not healthy", len(t.affected), {})
            out.gauge("catalyst_triage_shared", "1 when the triage points at the shared layer (most tenants hit)",
                      t.scope == "shared", {})
        except Exception:  # noqa: BLE001 - a scrape says "down" (catalyst_up 0) instead of a 500
            _LOG.exception("metrics: reading the tenants failed")
            out = _Families()
            up = 0.0
        for job in self._jobs():
            _job(out, job)
        yield GaugeMetricFamily("catalyst_up", "1 when this scrape read the workspace", value=up)
        yield from out.families.values()

    def _jobs(self) -> list[JobOutcome]:
        if self.jobs is None:
            return []
        try:
            return list(self.jobs())
        except Exception:  # noqa: BLE001 - the tenants' figures are still worth serving
            _LOG.exception("metrics: reading the janitor / snapshot outcomes failed")
            return []


def registry_for(statuses: Statuses, jobs: Jobs | None = None, shared_fraction: float = 0.6) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CatalystCollector(statuses, jobs, shared_fraction))
    return registry


def render(statuses: Iterable[AgentStatus], shared_fraction: float = 0.6, jobs: Iterable[JobOutcome] = ()) -> str:
    """The text exposition of ``statuses`` (what one scrape returns)."""
    fixed = list(statuses)
    outcomes = list(jobs)
    return generate_latest(registry_for(lambda: fixed, lambda: outcomes, shared_fraction)).decode()


class MetricsServer:
    """``GET /metrics`` on ``bind:port`` (port 0: any free port, see ``.port``)."""

    def __init__(self, monitor: WorkspaceMonitor, port: int = 19100, bind: str = DEFAULT_BIND,
                 source: Statuses | None = None, jobs: Jobs | None = None) -> None:
        """``source``: where statuses come from (the dashboard passes its own, already fresh);
        by default each scrape re-reads the agents through ``monitor``. ``jobs``: the janitor's and
        snapshot push's outcomes (``core.lastruns.read_outcomes``)."""
        self.monitor = monitor
        self.source = source
        self._lock = threading.Lock()
        self.registry = registry_for(self._statuses, jobs, monitor.config.health.shared_fraction)
        self.bind = bind
        self._requested = port
        self.httpd: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    def _statuses(self) -> list[AgentStatus]:
        if self.source is not None:
            return list(self.source())
        with self._lock:  # one reader per file at a time: the monitor is not thread-safe
            return list(self.monitor.refresh_all().values())

    def scrape(self) -> str:
        return generate_latest(self.registry).decode()

    def start(self) -> MetricsServer:
        """Listen (raises OSError when the address is taken) and serve from a daemon thread."""
        httpd, thread = start_http_server(self._requested, addr=self.bind, registry=self.registry)
        self.httpd, self._thread = httpd, thread
        self.port = int(httpd.server_port)
        return self

    def serve_forever(self) -> None:
        """Start and block until interrupted (``metrics serve``)."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(1.0)

    def stop(self) -> None:
        httpd = self.httpd
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
