"""nox-metrics: system metrics, statistics, history, the live stream and /metrics, through
nginx (API.md "Metrics and health", "Details that clients rely on: Metrics")."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from helpers_api import (
    admin,  # noqa: F401 (fixture)
    assert_error,
    assert_json,
    assert_unauthorized,
    describe,
    make_user,  # noqa: F401 (fixture)
    request,
    wait_until,
)
from helpers_exec import run
from helpers_metrics import (
    PROMETHEUS_CONTENT_TYPE,
    SNAPSHOT_KEYS,
    metrics_events,
    parse_exposition,
    promtool,
    promtool_check_metrics,
    scrape,
)

REPO = Path(__file__).resolve().parents[2]


def assert_snapshot(body: dict, where: str) -> None:
    assert isinstance(body, dict) and set(SNAPSHOT_KEYS) <= set(body), f"snapshot keys: {where}: {body}"
    assert body["memory"]["total_bytes"] > 0 and 0 <= body["memory"]["used_bytes"] <= body["memory"]["total_bytes"], where
    assert body["disk"]["total_bytes"] > 0, where
    assert 0 <= body["cpu"]["usage_percent"] <= 100 and body["cpu"]["cores"] >= 1, where
    assert isinstance(body["load"], list) and len(body["load"]) == 3, where
    assert {"auth", "files", "exec", "metrics"} <= set(body["services"]), where
    assert isinstance(body["slices"], dict), where


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("path", ["/api/system/metrics", "/api/metrics/stream", "/metrics", "/api/stats",
                                  "/api/system/metrics/history"])
def test_protected_endpoints_need_a_token(nox, path):
    assert_unauthorized(request(nox, "GET", path))


@pytest.mark.parametrize("path", ["/api/system/metrics", "/api/metrics/stream", "/metrics", "/api/system/metrics/history"])
def test_viewer_lacks_metrics_read(nox, make_user, path):
    viewer = make_user("viewer")
    err = assert_error(request(nox, "GET", path, token=viewer.access_token), 403)
    assert "metrics:read" in json.dumps(err)


def test_api_key_scoped_to_metrics_read_may_scrape_and_others_not(nox, make_user):
    user = make_user("user")
    key = user.create_key(scopes=["metrics:read"])["key"]
    resp = scrape(nox, key)
    assert resp.status_code == 200, describe(resp)
    other = user.create_key(scopes=["files:read"])["key"]
    assert_error(scrape(nox, other), 403)


# --------------------------------------------------------------------------- system metrics


def test_system_metrics_snapshot(nox, admin):
    body = assert_json(admin.get("/api/system/metrics"), 200)
    assert_snapshot(body, "GET /api/system/metrics")
    assert body["services"]["metrics"]["status"] == "ok", body["services"]
    # nox-metrics itself is running: systemd's accounting (or its cgroup) reports its memory.
    assert isinstance(body["services"]["metrics"]["memory_bytes"], int) and body["services"]["metrics"]["memory_bytes"] > 0, body


def test_user_slice_shows_up_after_a_run_with_its_cpu_time(nox, admin, make_user):
    user = make_user("user")
    # About half a second of CPU in the user's slice; the run has ended before we look.
    result = run(nox, user, "sh", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done")
    assert result["status"] == "succeeded", result

    def sliced():
        slices = assert_json(admin.get("/api/system/metrics"), 200)["slices"]
        entry = slices.get(user.username)
        return entry if entry and (entry["cpu_ms"] or 0) >= 50 else None

    entry = wait_until(sliced, 20, 0.5, f"slices.{user.username} with the run's CPU time")
    assert entry["unit"] == f"nox-user-{user.username}.slice", entry
    assert isinstance(entry["memory_bytes"], int) and isinstance(entry["tasks"], int), entry
    # Every running daemon reports its memory and CPU time.
    services = assert_json(admin.get("/api/system/metrics"), 200)["services"]
    for name in ("exec", "metrics"):
        assert isinstance(services[name]["memory_bytes"], int) and isinstance(services[name]["cpu_ms"], int), services[name]


# --------------------------------------------------------------------------- statistics


def test_stats_reflect_runs_just_made_and_storage(nox, admin, make_user):
    user = make_user("user")
    assert run(nox, user, "sh", "echo one")["status"] == "succeeded"
    assert run(nox, user, "sh", "exit 3")["status"] == "failed"
    payload = b"x" * 5000
    resp = request(nox, "PUT", "/api/files/stats/blob.bin", token=user.access_token, data=payload)
    assert resp.status_code in (200, 201), describe(resp)

    body = assert_json(user.get("/api/stats"), 200)
    assert set(body) >= {"since", "runs", "duration_ms", "storage_bytes", "users"}, body
    assert body["runs"]["total"] == 2, body
    assert body["runs"]["by_status"] == {"succeeded": 1, "failed": 1}, body
    assert body["runs"]["by_language"] == {"sh": 2}, body
    assert set(body["duration_ms"]) == {"p50", "p95", "p99"} and body["duration_ms"]["p50"] is not None, body
    assert body["duration_ms"]["p50"] <= body["duration_ms"]["p95"] <= body["duration_ms"]["p99"], body
    assert body["storage_bytes"] >= len(payload), body
    assert list(body["users"]) == [user.username], f"a non-admin sees only themselves: {body}"
    assert body["users"][user.username] == {"runs": 2, "storage_bytes": body["storage_bytes"]}, body

    # since: runs before it do not count.
    future = assert_json(user.get("/api/stats", params={"since": "2999-01-01T00:00:00Z"}), 200)
    assert future["runs"]["total"] == 0 and future["since"].startswith("2999-01-01"), future

    # The admin sees everyone, or one user when asked.
    everyone = assert_json(admin.get("/api/stats"), 200)
    assert user.username in everyone["users"] and everyone["runs"]["total"] >= 2, everyone
    one = assert_json(admin.get("/api/stats", params={"user": user.username}), 200)
    assert one["runs"]["total"] == 2 and list(one["users"]) == [user.username], one


def test_stats_of_another_user_is_refused_to_non_admins(nox, make_user):
    user = make_user("user")
    other = make_user("user")
    assert_error(user.get("/api/stats", params={"user": other.username}), 403)
    own = assert_json(user.get("/api/stats", params={"user": user.username}), 200)
    assert list(own["users"]) == [user.username]
    viewer = make_user("viewer")
    assert list(assert_json(viewer.get("/api/stats"), 200)["users"]) == [viewer.username]


@pytest.mark.parametrize("params, field", [({"since": "yesterday"}, "since"), ({"since": "2026-13-01T00:00:00Z"}, "since"),
                                           ({"user": "Not A Name"}, "user"), ({"user": "x" * 40}, "user")])
def test_stats_bad_query_is_a_json_error(nox, admin, params, field):
    err = assert_error(admin.get("/api/stats", params=params), 422, "validation_failed")
    assert field in json.dumps(err.get("details")), err


# --------------------------------------------------------------------------- history


def test_history_returns_recent_points(nox, admin):
    def points():
        body = assert_json(admin.get("/api/system/metrics/history", params={"range": "5m"}), 200)
        return body if len(body["points"]) >= 2 else None

    body = wait_until(points, 15, 0.5, "history points")
    assert body["range_s"] == 300 and body["resolution_s"] == 1, body
    times = [p["t"] for p in body["points"]]
    assert times == sorted(times) and times[-1] >= time.time() - 30, times[-3:]
    assert {"cpu_percent", "memory_used_bytes", "disk_used_bytes", "load1"} <= set(body["points"][-1])
    week = assert_json(admin.get("/api/system/metrics/history", params={"range": "7d"}), 200)
    assert week["resolution_s"] == 60, week


@pytest.mark.parametrize("value", ["abc", "0h", "-5m", "1w", "30d", "1.5h", "9" * 30])
def test_history_bad_range_is_a_json_error(nox, admin, value):
    err = assert_error(admin.get("/api/system/metrics/history", params={"range": value}), 422, "validation_failed")
    assert "range" in json.dumps(err.get("details")), err


# --------------------------------------------------------------------------- live stream


def test_stream_delivers_a_metrics_event_within_two_seconds_then_one_a_second(nox, admin):
    started = time.monotonic()
    arrivals = []
    for arrived, event, data in metrics_events(nox, admin.access_token, timeout=15):
        assert event == "metrics", event
        assert_snapshot(data, "SSE metrics event")
        arrivals.append(arrived)
        if len(arrivals) == 3:
            break
    assert arrivals[0] - started < 2.0, f"first event after {arrivals[0] - started:.2f}s"
    # The first event is the latest sample, sent at once; then one a second as they are taken.
    gap = arrivals[2] - arrivals[1]
    assert 0.5 < gap < 2.0, f"events should come about once a second: {gap:.2f}s apart"


def test_stream_ends_cleanly_when_the_client_goes(nox, admin):
    for _ in range(5):
        for _arrived, _event, _data in metrics_events(nox, admin.access_token, timeout=15):
            break
    # nox-metrics keeps serving (no leaked work piling up, no crash).
    assert nox.run(["systemctl", "show", "-p", "NRestarts", "--value", "nox-metrics.service"]).stdout.strip() == "0"
    assert_json(admin.get("/api/system/metrics"), 200)
    next(iter(metrics_events(nox, admin.access_token, timeout=15)))


# --------------------------------------------------------------------------- Prometheus


def test_metrics_exposition_merges_the_daemons_and_passes_promtool(nox, admin, make_user):
    user = make_user("user")
    assert run(nox, user, "sh", "echo scrape")["status"] == "succeeded"
    request(nox, "POST", "/api/auth/login", json_body={"username": user.username, "password": "wrong-password-1"})
    resp = scrape(nox, admin.access_token)
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith(PROMETHEUS_CONTENT_TYPE), describe(resp)
    families = parse_exposition(resp.text)
    assert all(name.startswith("nox_") for name in families), [n for n in families if not n.startswith("nox_")]
    requests_family = families["nox_http_server_requests_total"]
    assert requests_family["type"] == "counter" and requests_family["help"]
    services = {labels.get("service_name") for _, labels, _ in requests_family["samples"]}
    assert {"nox-auth", "nox-exec", "nox-metrics"} <= services, services
    assert families["nox_http_server_request_duration_seconds"]["type"] == "histogram"
    runs = families["nox_exec_runs_total"]["samples"]
    assert any(l.get("nox_language") == "sh" and l.get("nox_run_status") == "succeeded" and v >= 1 for _, l, v in runs), runs
    assert any(l.get("nox_auth_reason") == "login" for _, l, _ in families["nox_auth_failures_total"]["samples"])
    status = families["nox_service_status"]["samples"]
    assert {l["service_name"] for _, l, v in status if v == 1} >= {"nox-auth", "nox-files", "nox-exec", "nox-metrics"}, status
    for name in ("nox_system_cpu_utilization", "nox_system_memory_usage_bytes", "nox_system_filesystem_free_bytes",
                 "nox_system_load_average", "nox_exec_queue_waiting"):
        assert name in families, f"{name} missing from /metrics"
    # Routes are patterns, never concrete ids (one series per job would have no bound).
    routes = {l.get("http_route") for _, l, _ in requests_family["samples"]}
    assert not any(r and "job_" in r for r in routes), routes

    if promtool() is None:
        pytest.fail("promtool is missing: scripts/deps installs Debian's prometheus package")
    checked = promtool_check_metrics(resp.text)
    assert checked.returncode == 0, f"promtool check metrics:\n{checked.stdout}\n{checked.stderr}"


def test_alert_rules_and_dashboard_use_metrics_that_exist(nox, admin):
    families = parse_exposition(scrape(nox, admin.access_token).text)
    # Families that appear only once something happened (a run, an upload, a slice, storage).
    conditional = {"nox_exec_runs_total", "nox_exec_run_duration_seconds", "nox_files_received_bytes_total",
                   "nox_files_sent_bytes_total", "nox_user_cpu_time_seconds_total", "nox_user_memory_usage_bytes",
                   "nox_user_tasks", "nox_user_storage_usage_bytes", "nox_user_storage_limit_bytes", "nox_auth_failures_total"}
    texts = [(REPO / "packaging/prometheus/nox-alerts.yml").read_text(), (REPO / "packaging/grafana/nox-dashboard.json").read_text()]
    import re
    used = set()
    for text in texts:
        used |= set(re.findall(r"\bnox_[a-z0-9_]+", text))
    known = set(families) | conditional
    for name in list(used):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base in known or name in known or name.startswith("nox_api") or name == "nox_service_name":
            used.discard(name)
    # Label names such as nox_user / nox_language / nox_run_status / nox_auth_reason are not families.
    used -= {"nox_user", "nox_language", "nox_run_status", "nox_auth_reason", "nox_overview"}
    assert not used, f"packaging refers to metrics nox-metrics does not serve: {sorted(used)}"


def test_scrape_allow_list_lets_a_local_scraper_in_without_a_token(nox):
    dropin = "/etc/nox/nox.d/zz-test-scrape-allow.toml"
    nox.run(["sh", "-c", f"printf '[metrics]\\nscrape_allow = [\"127.0.0.1\", \"::1\"]\\n' > {dropin}"])
    try:
        nox.systemctl("restart", "nox-metrics.service")
        nox.wait_active("nox-metrics.service", timeout=30)
        resp = wait_until(lambda: (r := scrape(nox, None)).status_code == 200 and r, 20, 0.5, "tokenless scrape from 127.0.0.1")
        assert "nox_service_status" in resp.text
    finally:
        nox.run(["rm", "-f", dropin])
        nox.systemctl("restart", "nox-metrics.service")
        nox.wait_active("nox-metrics.service", timeout=30)
    wait_until(lambda: scrape(nox, None).status_code == 401, 20, 0.5, "tokenless scrape refused again")
