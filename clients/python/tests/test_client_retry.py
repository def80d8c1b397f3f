"""429 and 503 are retried with backoff, honouring Retry-After, within bounds; nothing sleeps."""

from __future__ import annotations

import io
import json

import pytest
from fakenox import error, ok

from nox_client import (InternalError, QueueFullError, RateLimitedError, RetryPolicy, ServiceUnavailableError)

ME = {"username": "alice", "role": "user", "permissions": [], "quotas": {}}


def test_429_waits_retry_after_then_succeeds(fake):
    fake.route("GET", "/api/auth/me", error(429, "rate_limited", headers={"Retry-After": "2"}), ok(ME))
    with fake.client() as nox:
        assert nox.auth.me().username == "alice"
    assert fake.sleeps == [2.0]
    assert len(fake.requests) == 2


def test_503_without_retry_after_backs_off_exponentially_then_gives_up(fake):
    fake.route("POST", "/api/exec", error(503, "service_unavailable"))
    with fake.client() as nox, pytest.raises(ServiceUnavailableError):
        nox.exec.run("python", "print(1)")
    assert fake.sleeps == [0.5, 1.0, 2.0]
    assert len(fake.requests) == 4  # the first try and three retries


def test_backoff_is_capped():
    policy = RetryPolicy(max_retries=10, backoff_base=1, backoff_max=5, jitter=0)
    assert [policy.delay(n, None) for n in range(6)] == [1, 2, 4, 5, 5, 5]
    assert policy.delay(10, None) is None


def test_jitter_stays_within_its_fraction():
    low = RetryPolicy(jitter=0.1, random=lambda: 0.0)
    high = RetryPolicy(jitter=0.1, random=lambda: 0.999999)
    assert low.delay(1, None) == pytest.approx(0.9)
    assert high.delay(1, None) == pytest.approx(1.1, rel=1e-4)
    assert low.delay(0, 4.0) == 4.0  # Retry-After is honoured exactly


def test_a_retry_after_beyond_the_bound_is_raised_at_once(fake):
    fake.route("GET", "/api/auth/me", error(429, "rate_limited", headers={"Retry-After": "3600"}))
    with fake.client(retry=RetryPolicy(max_retry_after=60, sleep=fake.sleeps.append)) as nox:
        with pytest.raises(RateLimitedError) as info:
            nox.auth.me()
    assert info.value.retry_after == 3600.0
    assert fake.sleeps == [] and len(fake.requests) == 1


def test_queue_full_honours_its_retry_after(fake):
    fake.route("POST", "/api/exec", error(503, "queue_full", headers={"Retry-After": "5"},
                                          details={"retry_after": "5"}),
               ok({"id": "job_" + "0" * 32, "status": "queued"}, 202))
    with fake.client() as nox:
        assert nox.exec.submit("python", "print(1)").status == "queued"
    assert fake.sleeps == [5.0]
    assert json.loads(fake.bodies[1]) == json.loads(fake.bodies[0])


def test_other_errors_are_not_retried(fake):
    fake.route("GET", "/api/auth/me", error(500, "internal_error"))
    with fake.client() as nox, pytest.raises(InternalError):
        nox.auth.me()
    assert fake.sleeps == [] and len(fake.requests) == 1


def test_retrying_disabled(fake):
    fake.route("POST", "/api/exec", error(503, "queue_full", headers={"Retry-After": "1"}))
    with fake.client(retry=RetryPolicy.disabled()) as nox, pytest.raises(QueueFullError):
        nox.exec.submit("python", "1")
    assert len(fake.requests) == 1


def test_a_seekable_upload_is_sent_again_in_full(fake, tmp_path):
    data = bytes(range(256)) * 4096 + b"tail"
    fake.route("PUT", "/api/files/big.bin", error(503, "busy", headers={"Retry-After": "1"}),
               ok({"path": "big.bin", "size": len(data), "sha256": "x"}, 201))
    source = io.BytesIO(b"HEADER" + data)
    source.seek(6)  # uploads start where the file object stands
    with fake.client() as nox:
        written = nox.files.upload("big.bin", source)
    assert written.size == len(data)
    assert fake.bodies == [data, data]
    assert [r.headers["Content-Length"] for r in fake.requests] == [str(len(data))] * 2


def test_a_path_upload_is_sent_again_in_full(fake, tmp_path):
    local = tmp_path / "a.txt"
    local.write_bytes(b"hello world")
    fake.route("PUT", "/api/files/a.txt", error(429, "rate_limited", headers={"Retry-After": "1"}),
               ok({"path": "a.txt", "size": 11, "sha256": "x"}, 200))
    with fake.client() as nox:
        nox.files.upload("a.txt", local)
    assert fake.bodies == [b"hello world", b"hello world"]


def test_a_one_shot_stream_is_not_retried(fake):
    fake.route("PUT", "/api/files/s.bin", error(503, "busy", headers={"Retry-After": "1"}),
               ok({"path": "s.bin", "size": 3, "sha256": "x"}, 201))
    with fake.client() as nox, pytest.raises(ServiceUnavailableError):
        nox.files.upload("s.bin", (chunk for chunk in [b"a", b"bc"]))
    assert fake.bodies == [b"abc"]
    assert "Content-Length" not in fake.requests[0].headers  # unknown size: sent chunked
