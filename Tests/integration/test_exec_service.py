"""nox-exec as a systemd service: its sockets and socket activation, its own hardening, what
becomes of a run when the daemon restarts, transient units being collected, the user's slice
carrying the user's quotas, and a quota change reaching the next run.

These tests stop and restart nox-exec; they leave it installed and serving."""

from __future__ import annotations

import time

from helpers_api import (
    security_exposure,  # noqa: F401  (admin, make_user are fixtures)
    admin,
    assert_error,
    journal_entries_for_request,
    journal_value,
    make_user,
    new_request_id,
    unit_property,
    wait_until,
)
from helpers_exec import (
    HTTP_SOCKET,
    HTTP_SOCKET_PATH,
    MIB,
    SERVICE,
    VARLINK_SOCKET,
    VARLINK_SOCKET_PATH,
    assert_slice_empty,
    delete,
    exec_is_healthy,
    exec_response,
    loaded_run_units,
    main_pid,
    run,
    run_unit,
    set_quotas,
    slice_processes,
    submit,
    user_slice,
    wait_final,
    wait_quota_seen,
    wait_status,
)


def test_sockets_listen_and_trigger_the_service(nox):
    triggered_by = unit_property(nox, SERVICE, "TriggeredBy").split()
    assert {HTTP_SOCKET, VARLINK_SOCKET} <= set(triggered_by), f"expected {SERVICE} triggered by both sockets: {triggered_by}"
    for sock, path in ((HTTP_SOCKET, HTTP_SOCKET_PATH), (VARLINK_SOCKET, VARLINK_SOCKET_PATH)):
        assert unit_property(nox, sock, "ActiveState") == "active", f"expected {sock} active"
        assert path in unit_property(nox, sock, "Listen"), f"expected {sock} to listen on {path}"
        enabled = nox.run(["systemctl", "is-enabled", sock], check=False).stdout.strip()
        assert enabled in ("enabled", "static", "indirect"), f"expected {sock} enabled, got {enabled!r}"
    assert unit_property(nox, SERVICE, "Type") in ("notify", "notify-reload"), f"expected {SERVICE} Type=notify"


def test_a_stopped_service_is_started_by_the_next_request(nox, make_user):
    user = make_user()
    nox.systemctl("stop", SERVICE)
    assert unit_property(nox, SERVICE, "ActiveState") in ("inactive", "failed") and main_pid(nox) == 0
    assert unit_property(nox, HTTP_SOCKET, "SubState") == "listening", f"expected {HTTP_SOCKET} still listening"
    started = time.monotonic()
    result = run(nox, user, "python", "print('cold start')")
    cold = time.monotonic() - started
    print(f"cold start of nox-exec + first run: {cold * 1000:.0f} ms")
    assert result["status"] == "succeeded" and result["stdout"] == "cold start\n", result
    assert unit_property(nox, SERVICE, "ActiveState") == "active"
    assert cold < 10, f"expected a cold start under 10 s, took {cold:.1f} s"


def test_systemd_analyze_security_of_nox_exec(nox):
    score, text = security_exposure(nox, SERVICE)
    print(f"systemd-analyze security {SERVICE}: {score}")
    assert score <= 2.0, f"expected nox-exec's exposure <= 2.0, got {score}:\n{text[-3000:]}"


def test_request_ids_reach_the_journal(nox, make_user):
    user = make_user()
    rid = new_request_id()
    resp = exec_response(nox, user, {"language": "sh", "code": "true"}, request_id=rid)
    assert resp.status_code == 200 and resp.headers.get("X-Request-Id") == rid, resp.text

    def entries():
        found = [e for e in journal_entries_for_request(nox, rid) if journal_value(e, "_SYSTEMD_UNIT") == SERVICE]
        return found if any(journal_value(e, "NOX_USER") == user.username for e in found) else None

    wait_until(entries, timeout=10, interval=0.5, what=f"nox-exec journal entries with NOX_REQUEST_ID={rid}")


def test_a_restart_during_a_run_reports_it_as_error_and_leaves_nothing(nox, make_user):
    user = make_user()
    job_id = submit(nox, user, "sh", "echo begun; sleep 40; echo never", timeout_s=30)
    wait_status(nox, user, job_id, "running", timeout=15)
    unit = run_unit(job_id)
    nox.wait_for(lambda: unit_property(nox, unit, "ActiveState") == "active", timeout=10, what=f"{unit} active")
    pid_before = main_pid(nox)
    nox.systemctl("restart", SERVICE)
    assert main_pid(nox) not in (0, pid_before), "expected nox-exec restarted"
    final = wait_final(nox, user, job_id, timeout=20)
    assert final["status"] == "error", f"expected a run interrupted by a restart to be reported as error: {final}"
    assert final["error"] and "nox-exec" in final["error"], f"expected a message naming the cause: {final}"
    assert final["finished_at"] is not None, final
    # Nobody reads the interrupted run's output any more: it must not go on in the background.
    wait_until(lambda: unit not in loaded_run_units(nox), timeout=15, interval=0.5,
               what=f"the interrupted run's unit {unit} to be gone")
    assert_slice_empty(nox, user.username, timeout=10)
    exec_is_healthy(nox, user)


def test_run_units_are_collected_whatever_the_outcome(nox, make_user):
    user = make_user()
    outcomes = {
        "succeeded": run(nox, user, "sh", "echo ok"),
        "failed": run(nox, user, "sh", "exit 9"),
        "timeout": run(nox, user, "sh", "sleep 10", timeout_s=1),
        "oom": run(nox, user, "python", "a = bytearray(100 * 1024 * 1024)", memory_mb=32),
        "killed": run(nox, user, "sh", "kill -SEGV $$"),
        "compile": run(nox, user, "c", "int main( {"),
    }
    assert outcomes["succeeded"]["status"] == "succeeded", outcomes["succeeded"]
    assert outcomes["failed"]["status"] == "failed" and outcomes["failed"]["exit_code"] == 9, outcomes["failed"]
    assert outcomes["timeout"]["status"] == "timeout", outcomes["timeout"]
    assert outcomes["oom"]["status"] == "oom", outcomes["oom"]
    killed = outcomes["killed"]
    assert killed["status"] == "killed" and killed["signal"] == "SIGSEGV" and killed["exit_code"] is None, killed
    assert outcomes["compile"]["status"] == "failed", outcomes["compile"]
    cancelled = submit(nox, user, "sh", "sleep 20")
    wait_status(nox, user, cancelled, "running")
    assert delete(nox, user, f"/api/jobs/{cancelled}").status_code == 202
    assert wait_final(nox, user, cancelled, timeout=10)["status"] == "cancelled"
    units = {run_unit(r["id"]) for r in outcomes.values()} | {run_unit(cancelled)}
    left = wait_until(lambda: not (units & set(loaded_run_units(nox))) or None, timeout=10, interval=0.5,
                      what="every run unit to be unloaded")
    assert left
    assert_slice_empty(nox, user.username)


def test_the_users_slice_carries_the_users_quotas(nox, make_user):
    user = make_user(quotas={"memory_mb": 300, "tasks_max": 40, "cpu_percent": 50})
    job_id = submit(nox, user, "sh", "sleep 20")
    wait_status(nox, user, job_id, "running", timeout=15)
    slice_ = user_slice(user.username)
    try:
        assert unit_property(nox, slice_, "MemoryMax") == str(300 * MIB), unit_property(nox, slice_, "MemoryMax")
        assert unit_property(nox, slice_, "TasksMax") == "40"
        assert unit_property(nox, slice_, "CPUQuotaPerSecUSec") == "500ms"
        assert run_unit(job_id) in nox.run(["systemd-cgls", "--no-pager", "-u", slice_], check=False).stdout
        assert slice_processes(nox, user.username), "expected the running run's processes in the user's slice"
    finally:
            delete(nox, user, f"/api/jobs/{job_id}")
    wait_final(nox, user, job_id, timeout=10)
    assert_slice_empty(nox, user.username)


def test_a_quota_change_applies_to_the_next_run(nox, admin, make_user):
    user = make_user()
    hungry = "a = bytearray(150 * 1024 * 1024)\nfor i in range(0, len(a), 4096): a[i] = 1\nprint('allocated')"
    first = run(nox, user, "python", hungry)
    assert first["status"] == "succeeded" and first["stdout"] == "allocated\n", first
    set_quotas(nox, admin, user.username, {"memory_mb": 64, "exec_timeout_s": 5})
    wait_quota_seen(nox, user, "memory_mb", 64)
    time.sleep(6)  # nox-exec caches a user's record for user_cache_ttl_s (default 5 s)
    second = run(nox, user, "python", hungry)
    assert second["status"] == "oom", f"expected the lowered memory quota to apply to the next run: {second}"
    assert_error(exec_response(nox, user, {"language": "python", "code": hungry, "memory_mb": 128}), 422, "limit_exceeds_quota")
    assert_error(exec_response(nox, user, {"language": "sh", "code": "true", "timeout_s": 6}), 422, "limit_exceeds_quota")
    assert unit_property(nox, user_slice(user.username), "MemoryMax") == str(64 * MIB)
    assert_slice_empty(nox, user.username)


def test_a_full_queue_is_refused_with_503_and_retry_after(nox, make_user):
    # One run at a time on the whole server and no waiting room: a second run must be refused
    # at once (503 + Retry-After), not recorded as a job.
    drop_in = "/etc/nox/nox.d/90-test-queue.toml"
    nox.run(["sh", "-c", f"printf '[exec]\\nmax_running = 1\\nmax_queued = 0\\n' > {drop_in}"])
    try:
        nox.systemctl("restart", SERVICE)
        user = make_user(quotas={"max_concurrent": 4})
        first = submit(nox, user, "sh", "sleep 5", timeout_s=20)
        wait_status(nox, user, first, "running", timeout=15)
        resp = exec_response(nox, user, {"language": "sh", "code": "echo second"})
        assert_error(resp, 503, "queue_full")
        assert resp.headers.get("Retry-After"), f"expected Retry-After on a full queue: {resp.headers}"
        assert wait_final(nox, user, first, timeout=30)["status"] == "succeeded", "expected the admitted run to finish"
    finally:
        nox.run(["rm", "-f", drop_in])
        nox.systemctl("restart", SERVICE)
