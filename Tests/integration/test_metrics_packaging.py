"""nox-metrics's packaging that needs no running Nox: the Prometheus alert rules pass
`promtool check rules`, the scrape example is valid YAML naming them, and the Grafana
dashboard is valid JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "packaging/prometheus/nox-alerts.yml"


def test_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: scripts/deps installs Debian's prometheus package")
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = RULES.read_text()
    for alert in ("NoxDaemonFailed", "NoxExecErrorRate", "NoxUserAtDiskQuota", "NoxDiskNearlyFull"):
        assert f"alert: {alert}" in text, alert


def test_scrape_example_names_the_rules_and_passes_promtool(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing")
    example = (REPO / "packaging/prometheus/prometheus-nox.yml").read_text()
    assert "/usr/share/doc/nox/examples/nox-alerts.yml" in example
    # promtool check config also reads the rule file and the credentials file: point them here.
    (tmp_path / "key").write_text("nox_example\n")
    config = example.replace("/usr/share/doc/nox/examples/nox-alerts.yml", str(RULES)).replace(
        "/etc/prometheus/nox-api-key", str(tmp_path / "key"))
    (tmp_path / "prometheus.yml").write_text(config)
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_grafana_dashboard_is_valid_json_on_prometheus():
    dashboard = json.loads((REPO / "packaging/grafana/nox-dashboard.json").read_text())
    assert dashboard["title"] and dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert "nox_" in target["expr"], target
