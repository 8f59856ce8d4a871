"""contrib/prometheus/alerts.yml: valid, every rule exercised by alerts_test.yml under promtool, and
every metric the rules and the Grafana dashboard use is one the exporter serves."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from exporter_helpers import populated_scrape, promtool
from prometheus_client.parser import text_string_to_metric_families

from catalyst_tui.core.workspace import Workspace

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"
RULES = CONTRIB / "prometheus" / "alerts.yml"
RULE_TESTS = CONTRIB / "prometheus" / "alerts_test.yml"
NAME = re.compile(r"\b(catalyst_[a-z0-9_]+)")


def test_promtool_checks_and_tests_the_rules() -> None:
    tool = promtool()
    checked = subprocess.run([tool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([tool, "test", "rules", RULE_TESTS.name], cwd=RULE_TESTS.parent, capture_output=True,
                            text=True, timeout=120)
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def test_every_rule_is_tested_firing() -> None:
    alerts = re.findall(r"^\s*- alert: (\w+)$", RULES.read_text(), re.M)
    assert len(alerts) == len(set(alerts)) >= 13
    tests = RULE_TESTS.read_text()
    for name in alerts:
        # at least one evaluation of the rule that expects it to fire (a non-empty exp_alerts)
        fired = re.search(rf"alertname: {name}\n\s+exp_alerts:\n\s+- exp_labels", tests)
        assert fired, f"{name}: no test in alerts_test.yml expects it to fire"


def test_rules_and_dashboard_use_only_exported_metrics(ws: Workspace) -> None:
    served = set()
    for fam in text_string_to_metric_families(populated_scrape(ws)):
        served.add(fam.name)
        served.update(s.name for s in fam.samples)
    dashboard = json.loads((CONTRIB / "grafana" / "catalyst.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = set(NAME.findall(RULES.read_text())) | {n for e in exprs for n in NAME.findall(e)}
    assert used and used <= served, sorted(used - served)
