"""The exporter: valid for Prometheus (promtool), exact values, `agent` on every tenant series,
served on 127.0.0.1, never loaded to draw the dashboard, and the jobs' outcomes."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import urllib.request

import pytest
from exporter_helpers import populate, promtool
from prometheus_client.parser import text_string_to_metric_families

from catalyst_tui.core import outcomes
from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.health.exporter import MetricsServer, registry_for, render
from catalyst_tui.core.workspace import Workspace

# families about the workspace as a whole (everything else is about one tenant)
WORKSPACE_WIDE = ("catalyst_up", "catalyst_tenants", "catalyst_triage_", "catalyst_janitor_", "catalyst_snapshot_")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_a_scrape_passes_promtool_check_metrics(ws: Workspace) -> None:
    tool = promtool()
    populate(ws)
    outcomes.record(ws.root, "janitor", True)
    outcomes.record(ws.root, "snapshot_push", False, "sftp: connection refused")
    server = MetricsServer(ws.monitor(), port=0, jobs=lambda: outcomes.read_outcomes(ws.root, ws.config)).start()
    try:
        assert server.httpd is not None and server.httpd.server_address[0] == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as resp:
            assert resp.headers["Content-Type"].startswith("text/plain")
            body = resp.read()
    finally:
        server.stop()
    checked = subprocess.run([tool, "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), (
        checked.stdout.decode() + checked.stderr.decode())
    got = _samples(body.decode())
    assert got[("catalyst_up", ())] == 1
    assert got[("catalyst_tenant_health", (("agent", "slash"), ("state", "degraded")))] == 1
    assert got[("catalyst_tenant_health", (("agent", "slash"), ("state", "ok")))] == 0
    assert got[("catalyst_snapshot_push_last_run_success", ())] == 0
    assert got[("catalyst_janitor_last_run_success", ())] == 1
    assert ("catalyst_snapshot_push_last_success_timestamp_seconds", ()) not in got  # it never succeeded


def test_exact_values_at_full_precision(ws: Workspace) -> None:
    populate(ws)
    st = ws.monitor().refresh_all()["bjork"]
    big = dataclasses.replace(st, figures=dataclasses.replace(st.figures, records=2_000_001, errors_total=2_000_003),
                              disk_bytes=1_234_567, heartbeat_age_s=0.123456789)
    text = render([big])
    got = _samples(text)
    a = (("agent", "bjork"),)
    assert got[("catalyst_dispatch_records_total", a)] == 2_000_001
    assert got[("catalyst_dispatch_errors_total", a)] == 2_000_003
    assert got[("catalyst_tenant_disk_bytes", a)] == 1_234_567
    assert got[("catalyst_tenant_heartbeat_age_seconds", a)] == 0.123456789
    assert "2e+06" not in text  # 0.1 wrote 6 significant digits: 2,000,001 read as 2,000,000


def test_latency_histogram_in_seconds(ws: Workspace) -> None:
    populate(ws)
    p = ws.agent("cher")
    for ms in (5, 5, 100, 1000, 1001, 400_000):
        record_dispatch(p, id=f"l{ms}-{os.urandom(2).hex()}", event="finished", status="ok", latency_ms=ms)
    got = _samples(render(ws.monitor().refresh_all().values()))

    def bucket(le: str) -> float:
        return got[("catalyst_dispatch_latency_seconds_bucket", (("agent", "cher"), ("le", le)))]

    # 10 ms (the first record), 5, 5 at <= 0.005 s; a bound is inclusive (le)
    assert bucket("0.005") == 2 and bucket("0.01") == 3 and bucket("0.1") == 4 and bucket("1.0") == 5
    assert bucket("2.5") == 6 and bucket("300.0") == 6 and bucket("+Inf") == 7
    assert got[("catalyst_dispatch_latency_seconds_count", (("agent", "cher"),))] == 7
    assert got[("catalyst_dispatch_latency_seconds_sum", (("agent", "cher"),))] == pytest.approx(402.121)
    assert got[("catalyst_dispatch_p95_seconds", (("agent", "slash"),))] == pytest.approx(2.5, rel=0.011)


def test_every_tenant_series_has_the_agent_label_and_reasons_keep_their_order(ws: Workspace) -> None:
    populate(ws)
    statuses = ws.monitor().refresh_all()
    text = render(statuses.values())
    tenant_families = 0
    for fam in text_string_to_metric_families(text):
        if fam.name.startswith(WORKSPACE_WIDE):
            continue
        tenant_families += 1
        for s in fam.samples:
            assert s.labels.get("agent"), (fam.name, s)
    assert tenant_families >= 12
    reasons = sorted((s.labels["rank"], s.labels["reason"]) for fam in text_string_to_metric_families(text)
                     if fam.name == "catalyst_tenant_reason_info" for s in fam.samples if s.labels["agent"] == "slash")
    assert [r for _, r in reasons] == statuses["slash"].reasons and len(reasons) >= 2


def test_hostile_reason_text_is_escaped(ws: Workspace) -> None:
    tool = promtool()
    populate(ws)
    st = ws.monitor().refresh_all()["slash"]
    evil = 'quarantined: state.json: "x"\n} 1\ncatalyst_up 0 \\'
    text = render([dataclasses.replace(st, findings=[dataclasses.replace(st.findings[0], text=evil)])])
    checked = subprocess.run([tool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    got = _samples(text)
    assert got[("catalyst_up", ())] == 1
    assert got[("catalyst_tenant_reason_info", (("agent", "slash"), ("kind", st.findings[0].kind.value), ("rank", "0"),
                                                ("reason", evil)))] == 1


def test_a_failed_read_says_down_instead_of_failing_the_scrape(ws: Workspace) -> None:
    def broken() -> list:  # type: ignore[type-arg]
        raise OSError("disk gone")

    registry = registry_for(broken)
    assert registry.get_sample_value("catalyst_up") == 0
    assert registry.get_sample_value("catalyst_tenants") is None


def test_a_taken_port_is_an_oserror_at_start(ws: Workspace) -> None:
    first = MetricsServer(ws.monitor(), port=0).start()
    try:
        with pytest.raises(OSError):
            MetricsServer(ws.monitor(), port=first.port).start()
    finally:
        first.stop()


def test_prometheus_client_is_not_loaded_to_draw_the_dashboard() -> None:
    code = ("import sys\n"
            "from catalyst_tui.ui.app import CatalystApp\n"
            "from catalyst_tui.ui.screens import agents\n"
            "from catalyst_tui.cli import main\n"
            "import catalyst_tui.core.health as h; h.WorkspaceMonitor; h.triage\n"
            "print('prometheus_client' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def test_the_jobs_record_their_outcomes(ws: Workspace) -> None:
    from catalyst_tui.core.errors import CatalystError
    from catalyst_tui.core.janitor import Janitor
    from catalyst_tui.core.snapshot import push

    Janitor(ws, clock=lambda: 1_700_000_000.0).run()
    push(ws, clock=lambda: 1_700_000_100.0)
    push(ws, clock=lambda: 1_700_000_200.0)  # nothing changed: a no-op push is a success too
    with pytest.raises(CatalystError):  # a bad target: TargetError
        push(ws, "nosuch://where", clock=lambda: 1_700_000_300.0)
    jan, snap = outcomes.read_outcomes(ws.root, ws.config)
    assert (jan.last_run, jan.last_ok, jan.last_success, jan.interval_s) == (1_700_000_000.0, True, 1_700_000_000.0,
                                                                             1800.0)
    assert (snap.last_run, snap.last_ok, snap.last_success) == (1_700_000_300.0, False, 1_700_000_200.0)
    assert snap.error and "nosuch" in snap.error
    (ws.root / outcomes.OUTCOMES_DIR / "janitor.json").write_text("{torn")
    assert outcomes.read(ws.root, "janitor", 60.0).last_run is None  # unreadable: as if it never ran
