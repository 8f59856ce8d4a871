"""Per-agent metrics in the Prometheus text format (0.0.4), every series labelled ``agent``.

``render`` turns statuses into text; :class:`MetricsServer` serves ``GET /metrics`` from a
:class:`~catalyst_tui.core.health.monitor.WorkspaceMonitor`, re-reading the agents' files (from their
saved offsets) on each scrape. It binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from catalyst_tui.core.health.monitor import AgentStatus, WorkspaceMonitor
from catalyst_tui.core.health.verdict import triage
from catalyst_tui.core.models import Health

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BIND = "127.0.0.1"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items()) + "}"


class _Doc:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.declared: set[str] = set()

    def add(self, name: str, kind: str, help_: str, value: float | None, **labels: str) -> None:
        if name not in self.declared:
            self.declared.add(name)
            self.lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
        if value is not None:
            self.lines.append(f"{name}{_labels(**labels)} {float(value):g}")


def render(statuses: Iterable[AgentStatus], shared_fraction: float = 0.6) -> str:
    statuses = list(statuses)
    d = _Doc()
    for s in statuses:
        a = s.name
        f = s.figures
        w = f.window
        d.add("catalyst_agent_healthy", "gauge", "1 when the agent is healthy", s.health is Health.OK, agent=a)
        for h in Health:
            d.add("catalyst_agent_health", "gauge", "1 for the agent's current health state",
                  s.health is h, agent=a, state=h.value)
        for q, v in (("0.5", f.p50_ms), ("0.95", f.p95_ms), ("0.99", f.p99_ms)):
            d.add("catalyst_dispatch_latency_ms", "gauge", "dispatch response time percentiles over the window",
                  v, agent=a, window=w, quantile=q)
        d.add("catalyst_dispatch_baseline_p95_ms", "gauge", "p95 over the agent's own last hour",
              f.baseline_p95_ms, agent=a)
        d.add("catalyst_dispatch_finished", "gauge", "finished dispatches in the window", f.finished, agent=a, window=w)
        d.add("catalyst_dispatch_errors", "gauge", "failed dispatches in the window", f.errors, agent=a, window=w)
        d.add("catalyst_dispatch_error_rate", "gauge", "errors / finished over the window",
              f.error_rate, agent=a, window=w)
        d.add("catalyst_dispatch_throughput_per_second", "gauge", "finished dispatches per second",
              f.throughput_per_s, agent=a, window=w)
        d.add("catalyst_dispatch_queue_depth", "gauge", "dispatches enqueued and not finished", f.queue_depth, agent=a)
        d.add("catalyst_dispatch_records_total", "counter", "dispatch lines read", f.records, agent=a)
        d.add("catalyst_agent_parse_errors_total", "counter", "bad lines in the agent's files", s.parse_errors, agent=a)
        d.add("catalyst_agent_heartbeat_age_seconds", "gauge", "seconds since the agent's heartbeat",
              s.heartbeat_age_s, agent=a)
        d.add("catalyst_agent_disk_bytes", "gauge", "size of the agent's directory", s.disk_bytes, agent=a)
        p = s.proc
        d.add("catalyst_agent_process_alive", "gauge", "1 when the agent's process (pid + start time) runs",
              None if p is None else p.alive, agent=a)
        if p is not None:
            d.add("catalyst_agent_process_cpu_percent", "gauge", "CPU % of the agent's process", p.cpu_percent, agent=a)
            d.add("catalyst_agent_process_rss_bytes", "gauge", "resident memory of the agent's process",
                  p.rss_bytes, agent=a)
            d.add("catalyst_agent_process_open_files", "gauge", "open files of the agent's process",
                  p.open_files, agent=a)
    t = triage(statuses, shared_fraction=shared_fraction)
    d.add("catalyst_agents_affected", "gauge", "tenants not healthy", len(t.affected))
    d.add("catalyst_agents_total", "gauge", "tenants configured", len(statuses))
    return "\n".join(d.lines) + "\n"


class MetricsServer:
    """``GET /metrics`` on ``bind:port`` (port 0: any free port, see ``.port``)."""

    def __init__(self, monitor: WorkspaceMonitor, port: int = 19100, bind: str = DEFAULT_BIND,
                 source: Callable[[], Iterable[AgentStatus]] | None = None) -> None:
        """``source``: where statuses come from (the dashboard passes its own, already fresh);
        by default each scrape re-reads the agents through ``monitor``."""
        self.monitor = monitor
        self.source = source
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] not in ("/metrics", "/"):
                    self.send_error(404, "only /metrics here")
                    return
                body = server.scrape().encode()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((bind, port), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.bind = bind
        self._thread: threading.Thread | None = None

    def scrape(self) -> str:
        if self.source is not None:
            statuses = list(self.source())
        else:
            with self._lock:  # one reader per file at a time: the monitor is not thread-safe
                statuses = list(self.monitor.refresh_all().values())
        return render(statuses, self.monitor.config.health.shared_fraction)

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="run_metrics_server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
