"""A real Prometheus scrapes a real exporter of a workspace where one tenant fails.

Prometheus runs on 127.0.0.1 (free port, temporary storage, 1 s scrape and evaluation) with
``contrib/prometheus/alerts.yml`` (its ``for:`` durations shortened to 1 s, nothing else
changed); the test sees the failing tenant's alerts firing through the HTTP API, and runs
every query of ``contrib/grafana/catalyst.json`` against the same Prometheus.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalyst_tui.core.agents import own_state, record_dispatch, write_state
from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.snapshot import push
from catalyst_tui.core.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
FAILING = "bjork"
pytestmark = pytest.mark.slow


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed (Debian package prometheus; CI installs it)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


@dataclass
class Stack:
    ws: Workspace
    prometheus: str  # http://127.0.0.1:port
    log: Path

    def query(self, expr: str) -> dict:  # type: ignore[type-arg]
        return _get(f"{self.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))

    def wait(self, what: str, ok, timeout: float = 60.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = ok()
                if last:
                    return last
            except OSError as exc:
                last = exc
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r});\nprometheus log tail:\n"
                             + self.log.read_text(errors="replace")[-2000:])


def _workspace(root: Path) -> Workspace:
    ws = Workspace.create(root)
    now = time.time()
    for name in ws.config.agent_names:
        p = ws.agent(name)
        write_state(p, own_state(p))
        for i in range(30):  # history before the window: a 1 h baseline for every tenant
            record_dispatch(p, id=f"old{i}", event="finished", status="ok", latency_ms=100, ts=now - 1200 + i)
        for i in range(5):
            record_dispatch(p, id=f"new{i}", event="finished", status="ok", latency_ms=100)
    Janitor(ws).run()  # real runs: the exporter reports their outcomes
    push(ws)
    return ws


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus = _binary("prometheus")
    tmp = tmp_path_factory.mktemp("prom")
    ws = _workspace(tmp / "ws")
    stop = threading.Event()

    def failing_tenant() -> None:  # errors keep coming, slowly: the counters move, rate() sees them
        p = ws.agent(FAILING)
        i = 0
        while not stop.wait(0.05):
            record_dispatch(p, id=f"bad{i}", event="finished", status="error", latency_ms=3000)
            i += 1

    writer = threading.Thread(target=failing_tenant, name="failing-tenant", daemon=True)
    writer.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALYST_")}
    exporter_port, prom_port = _free_port(), _free_port()
    exporter = subprocess.Popen([sys.executable, "-m", "catalyst_tui", "metrics", "serve", "--port",
                                 str(exporter_port), "-w", str(ws.root)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
    rules = re.sub(r"for: \d+m", "for: 1s", (REPO / "contrib/prometheus/alerts.yml").read_text())
    (tmp / "alerts.yml").write_text(rules)
    (tmp / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "rule_files: [alerts.yml]\n"
        "scrape_configs:\n"
        f"  - job_name: catalyst\n    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n")
    log = tmp / "prometheus.log"
    with open(log, "wb") as out:
        prom = subprocess.Popen([prometheus, f"--config.file={tmp / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp / 'data'}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    s = Stack(ws, f"http://127.0.0.1:{prom_port}", log)
    try:
        assert exporter.stdout is not None
        assert f"127.0.0.1:{exporter_port}" in exporter.stdout.readline()
        s.wait("prometheus ready", lambda: urllib.request.urlopen(f"{s.prometheus}/-/ready", timeout=2).status == 200)
        yield s
    finally:
        stop.set()
        for proc in (prom, exporter):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        writer.join(5)


def test_the_failing_tenants_alerts_fire_in_prometheus(stack: Stack) -> None:
    up = stack.wait("the exporter scraped", lambda: stack.query('up{job="catalyst"} == 1')["data"]["result"])
    assert up[0]["metric"]["instance"].startswith("127.0.0.1:")
    want = {"CatalystTenantDegraded", "CatalystTenantErrorRate", "CatalystTenantLatencyAbovePeers"}

    def firing() -> set[str]:
        result = stack.query(f'ALERTS{{agent="{FAILING}", alertstate="firing"}}')["data"]["result"]
        names = {r["metric"]["alertname"] for r in result}
        return names if want <= names else set()

    names = stack.wait(f"{sorted(want)} firing for {FAILING}", firing)
    assert names >= want
    # the healthy tenants raise nothing, and nothing about the whole workspace fires
    others = stack.query(f'ALERTS{{alertstate="firing", agent!="{FAILING}"}}')["data"]["result"]
    assert others == [], others


def _panel_queries() -> list[tuple[str, str]]:
    dash = json.loads((REPO / "contrib/grafana/catalyst.json").read_text())
    out = []
    for panel in dash["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$agent", ".*").replace("$__rate_interval", "30s")
            out.append((panel["title"], expr))
    return out


def test_every_grafana_panel_query_returns_data(stack: Stack) -> None:
    queries = _panel_queries()
    assert len(queries) >= 15
    # rate() needs two scrapes of a moving counter
    stack.wait("two scrapes", lambda: stack.query("count_over_time(catalyst_up[30s]) >= 3")["data"]["result"])
    for title, expr in queries:
        answer = stack.query(expr)
        assert answer["status"] == "success", (title, expr, answer)
        assert answer["data"]["result"], f"panel {title!r}: no data for {expr}"
