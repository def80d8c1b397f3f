"""Exec, admin and metrics: what each method sends, and the typed results it gives back."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import pytest
from fakenox import error, ok
from test_client_sse import JOB, result

from nox_client import (HistoryItem, JobFinishedError, LimitExceedsQuotaError, Quotas, UnknownLanguageError,
                        ValidationError)

USER = {"username": "bob", "role": "user", "disabled": False, "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05Z",
        "quotas": {"cpu_percent": 100, "memory_mb": 256, "tasks_max": 64, "max_concurrent": 1,
                   "exec_timeout_s": 10, "disk_mb": 50, "requests_per_minute": 600}}


# --------------------------------------------------------------------------- exec
def test_run_sends_only_what_is_given_and_waits(fake):
    fake.route("POST", "/api/exec", ok(result(stdout="6\n")))
    with fake.client() as nox:
        run = nox.exec.run("python", "print(2*3)", args=["a"], env={"X": "1"}, files={"m.py": "x=1"},
                           timeout_s=5, memory_mb=64)
    assert run.stdout == "6\n" and run.ok and run.cpu_ms == 12 and run.created_at.tzinfo is not None
    assert json.loads(fake.bodies[0]) == {"language": "python", "code": "print(2*3)", "args": ["a"], "env": {"X": "1"},
                                          "files": {"m.py": "x=1"}, "timeout_s": 5, "memory_mb": 64, "wait": True}
    assert fake.requests[0].extensions["timeout"]["read"] is None


def test_run_a_sandbox_file(fake):
    fake.route("POST", "/api/exec", ok(result()))
    with fake.client() as nox:
        nox.exec.run("python", file="main.py", network=False)
        with pytest.raises(ValueError):
            nox.exec.run("python", "1", file="main.py")
        with pytest.raises(ValueError):
            nox.exec.run("python")
    assert json.loads(fake.bodies[0]) == {"language": "python", "file": "main.py", "network": False, "wait": True}


def test_run_refusals_are_typed(fake):
    fake.route("POST", "/api/exec",
               error(422, "unknown_language", "No such language.", {"field": "language"}),
               error(422, "limit_exceeds_quota", "Too high.", {"field": "timeout_s", "quota": "10"}),
               error(422, "validation_failed", "Bad env.", {"field": "env", "name": "PATH"}))
    with fake.client() as nox:
        with pytest.raises(UnknownLanguageError):
            nox.exec.run("cobol", "x")
        with pytest.raises(LimitExceedsQuotaError) as info:
            nox.exec.run("python", "x", timeout_s=999)
        assert info.value.details == {"field": "timeout_s", "quota": "10"}
        with pytest.raises(ValidationError) as info:
            nox.exec.run("python", "x", env={"PATH": "/"})
        assert info.value.field == "env"


def test_submit_job_cancel_languages(fake):
    fake.route("POST", "/api/exec", ok({"id": JOB, "status": "queued"}, 202))
    fake.route("GET", f"/api/jobs/{JOB}", ok(result("running", exit_code=None) | {"finished_at": None}))
    fake.route("DELETE", f"/api/jobs/{JOB}", ok({"id": JOB, "status": "running"}, 202),
               error(409, "job_finished", "Already over."))
    fake.route("GET", "/api/languages", ok({"items": [{"name": "python", "version": "3.11.2", "aliases": ["py"],
                                                       "file_extension": "py"}]}))
    with fake.client() as nox:
        ref = nox.exec.submit("python", "import time; time.sleep(9)")
        job = nox.exec.job(ref.id)
        cancel = nox.exec.cancel(ref.id)
        with pytest.raises(JobFinishedError):
            nox.exec.cancel(ref.id)
        langs = nox.exec.languages()
    assert ref.status == "queued" and json.loads(fake.bodies[0])["wait"] is False
    assert job.status == "running" and not job.final and job.finished_at is None
    assert cancel.status == "running"
    assert langs[0].name == "python" and langs[0].aliases == ["py"]


def test_history_filters_and_items(fake):
    item = result("failed", exit_code=1) | {"username": "alice", "code": "exit(1)", "file": None}
    fake.route("GET", "/api/history", ok({"items": [item], "next_cursor": None}))
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with fake.client() as nox:
        page = nox.exec.history(language="python", status="failed", q="exit", since=since, limit=5)
    assert dict(fake.requests[0].url.params) == {"language": "python", "status": "failed", "q": "exit",
                                                 "since": "2026-01-02T03:04:05Z", "limit": "5"}
    entry = page.items[0]
    assert isinstance(entry, HistoryItem) and entry.code == "exit(1)" and entry.username == "alice"
    assert entry.exit_code == 1 and entry.status == "failed"


# --------------------------------------------------------------------------- admin
def test_users_crud(fake):
    fake.route("POST", "/api/admin/users", ok(USER, 201))
    fake.route("GET", "/api/admin/users/bob", ok(USER))
    fake.route("PATCH", "/api/admin/users/bob", ok(USER))
    fake.route("DELETE", "/api/admin/users/bob", ok(status=204))
    with fake.client() as nox:
        created = nox.admin.create_user("bob", "pw-long-enough", "user", quotas=Quotas(memory_mb=256))
        assert nox.admin.get_user("bob") == created
        nox.admin.update_user("bob", role="viewer")
        nox.admin.set_quotas("bob", disk_mb=50, cpu_percent=None)
        nox.admin.disable_user("bob")
        nox.admin.update_user("bob", password="new-password", quotas={"memory_mb": 128}, disabled=False)
        nox.admin.delete_user("bob")
    assert created.quotas.memory_mb == 256 and created.disabled is False
    bodies = [json.loads(r.content) for r in fake.requests if r.method in ("POST", "PATCH")]
    assert bodies == [
        {"username": "bob", "password": "pw-long-enough", "role": "user", "quotas": {"memory_mb": 256}},
        {"role": "viewer"},
        {"quotas": {"disk_mb": 50, "cpu_percent": None}},
        {"disabled": True},
        {"password": "new-password", "disabled": False, "quotas": {"memory_mb": 128}},
    ]


def test_audit_filters(fake):
    fake.route("GET", "/api/admin/audit", ok({"items": [{
        "id": 7, "time": "2026-01-02T03:04:05.123Z", "user": "alice", "action": "auth.login", "target": "alice",
        "outcome": "success", "request_id": "r1", "source_ip": "127.0.0.1"}], "next_cursor": None}))
    with fake.client() as nox:
        page = nox.admin.audit(user="alice", action="auth.login", since="2026-01-01T00:00:00Z",
                               until=datetime(2026, 2, 1), limit=10)
    assert dict(fake.requests[0].url.params) == {"user": "alice", "action": "auth.login",
                                                 "since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z",
                                                 "limit": "10"}
    event = page.items[0]
    assert (event.action, event.outcome, event.source_ip, event.id) == ("auth.login", "success", "127.0.0.1", 7)
    assert event.time.microsecond == 123000


# --------------------------------------------------------------------------- metrics
def test_health_needs_no_credential(fake):
    fake.route("GET", "/api/health", ok({"status": "degraded", "services": {
        "auth": {"status": "ok", "version": "0.1.0"}, "exec": {"status": "idle"}, "metrics": "failed"}}))
    with fake.client() as nox:
        health = nox.metrics.health()
    assert "Authorization" not in fake.requests[0].headers
    assert not health.ok and health.services["auth"].version == "0.1.0"
    assert {k: v.status for k, v in health.services.items()} == {"auth": "ok", "exec": "idle", "metrics": "failed"}


def test_system_metrics_stats_and_prometheus(fake):
    fake.route("GET", "/api/system/metrics", ok({"time": "2026-01-02T03:04:05Z", "cpu": {"percent": 3},
                                                 "memory": {"total_bytes": 10}, "disk": {"free_bytes": 5},
                                                 "load": [1, 2, 3], "services": {}, "slices": {"nox.slice": {}}}))
    fake.route("GET", "/api/stats", ok({"since": "2026-01-01T00:00:00Z",
                                        "runs": {"total": 3, "by_status": {"succeeded": 2, "failed": 1},
                                                 "by_language": {"python": 3}},
                                        "duration_ms": {"p50": 10, "p95": 20, "p99": 30}, "storage_bytes": 99,
                                        "users": {"alice": {"runs": 3, "storage_bytes": 99}}}))
    fake.route("GET", "/metrics", httpx.Response(200, text="# TYPE nox_runs_total counter\nnox_runs_total 3\n",
                                                 headers={"Content-Type": "text/plain; version=0.0.4"}))
    with fake.client() as nox:
        system = nox.metrics.system()
        stats = nox.metrics.stats(since="2026-01-01T00:00:00Z", user="alice")
        text = nox.metrics.prometheus()
    assert system.load == [1, 2, 3] and system.slices == {"nox.slice": {}} and system.cpu["percent"] == 3
    assert stats.runs.total == 3 and stats.runs.by_status["failed"] == 1 and stats.duration_ms.p95 == 20
    assert stats.users["alice"].storage_bytes == 99 and stats.storage_bytes == 99
    assert dict(fake.calls("GET", "/api/stats")[0].url.params) == {"since": "2026-01-01T00:00:00Z", "user": "alice"}
    assert "nox_runs_total 3" in text


def test_request_headers_carry_the_client_and_the_credential(fake):
    fake.route("GET", "/api/auth/me", ok({"username": "a", "role": "user", "permissions": [], "quotas": {}}))
    with fake.client(token="nox_k", headers={"X-Request-Id": "mine-1"}) as nox:
        nox.auth.me()
    headers = fake.requests[0].headers
    assert headers["Authorization"] == "Bearer nox_k" and headers["X-Request-Id"] == "mine-1"
    assert headers["User-Agent"].startswith("nox-client-python/")
