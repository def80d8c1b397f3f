"""nox-metrics: GET /api/health as systemd sees the suite (API.md "Metrics and health").

A socket-activated daemon that is stopped is ``idle`` and the suite ``ok``; one that systemd
has in ``failed`` makes the suite ``degraded`` with the reason. Each test puts the daemon
back the way it found it."""

from __future__ import annotations

import pytest

from helpers_api import admin, assert_json, request, unit_property, wait_until  # noqa: F401
from helpers_metrics import DAEMONS, failed_daemon, health, wait_service_status

pytestmark = pytest.mark.usefixtures("nox")


def test_health_needs_no_token_and_names_every_daemon(nox):
    body = health(nox)
    assert set(DAEMONS) <= set(body["services"]), body
    assert body["services"]["metrics"]["status"] == "ok", body
    # A token changes nothing.
    assert request(nox, "GET", "/api/health", token="not-a-token").status_code == 200


def test_running_daemon_is_ok_and_answers(nox, admin):
    # A request through nginx starts nox-auth (if idle): then it is running and answering.
    assert_json(admin.get("/api/auth/me"), 200)
    body = wait_service_status(nox, "auth", ("ok",))
    assert body["services"]["auth"]["status"] == "ok"


def test_stopped_socket_activated_daemon_is_idle_not_down(nox):
    nox.systemctl("stop", "nox-files.service")
    try:
        wait_until(lambda: unit_property(nox, "nox-files.service", "ActiveState") == "inactive", 15, 0.2, "nox-files stopped")
        body = wait_service_status(nox, "files", ("idle",))
        assert body["status"] == "ok", f"an idle daemon must not degrade the suite: {body}"
        # Asking for health must not start it.
        health(nox)
        assert unit_property(nox, "nox-files.service", "ActiveState") == "inactive", "/api/health woke an idle daemon"
    finally:
        nox.systemctl("start", "nox-files.service")


def test_failed_daemon_degrades_the_suite_with_a_reason(nox):
    with failed_daemon(nox, "files") as unit:
        body = None
        for _ in range(3):
            try:
                body = wait_service_status(nox, "files", ("failed",), timeout=10)
                break
            except pytest.fail.Exception:
                # Still failed and not reported so: a real miss.
                if unit_property(nox, unit, "ActiveState") == "failed":
                    raise
                # A connection to its socket started it again (socket activation does that for a
                # failed daemon too, as it should): fail it once more.
                print(nox.journal_text("-u", unit, "-n", "20"))
                nox.systemctl("kill", "--signal=SIGKILL", unit)
                wait_until(lambda: unit_property(nox, unit, "ActiveState") == "failed", 15, 0.2, f"{unit} failed")
        assert body is not None, "nox-files never stayed failed long enough to be reported"
        assert body["status"] == "degraded", body
        reason = body.get("reason") or ""
        assert "files" in reason, f"the reason must name the failed daemon: {body}"
        assert body["services"]["files"].get("reason"), body
        # The others are unaffected.
        assert body["services"]["metrics"]["status"] == "ok", body
    body = wait_service_status(nox, "files", ("ok", "idle"))
    assert body["status"] == "ok", f"after restoring nox-files the suite is ok again: {body}"
