"""Cached results (issue 8): `POST /api/exec` with `cache: true` answers with a previous identical
run's stored result (`cached: true`, its id and output) within `[exec] cache_ttl_s`; any other
input, another user, no `cache`, or a changed language manifest runs afresh."""

from __future__ import annotations

import time
import uuid

from helpers_api import assert_error, assert_json, make_user  # noqa: F401  (make_user is a fixture)
from helpers_exec import exec_response, get, run

SERVICE = "nox-exec.service"
OVERRIDE = "/etc/nox/languages.d/sh.toml"
# Prints a fresh random value on every real run: equal output means the result was reused.
CODE = 'echo "$(od -An -N8 -tx8 /dev/urandom | tr -d " ")"; echo "${GREETING:-none}"; echo "$@"'


def cached_run(nox, user, **fields) -> dict:
    body = {"language": "sh", "code": CODE, "cache": True, **fields}
    resp = exec_response(nox, user, body, timeout=90)
    return assert_json(resp, 200)


def test_an_identical_cached_request_returns_the_stored_result_quickly(nox, make_user):
    user = make_user()
    first = cached_run(nox, user, stdin="x")
    assert first["status"] == "succeeded" and first["cached"] is False, first
    started = time.monotonic()
    second = cached_run(nox, user, stdin="x")
    took = time.monotonic() - started
    assert second["cached"] is True, second
    assert second["id"] == first["id"] and second["stdout"] == first["stdout"], (first, second)
    assert took < 1.0, f"a cache hit should not run anything; took {took:.2f} s"
    # The stored job is the one answered, and history keeps the single real run.
    job = assert_json(get(nox, user, f"/api/jobs/{first['id']}"), 200)
    assert job["stdout"] == first["stdout"]


def test_different_inputs_or_no_cache_flag_run_again(nox, make_user):
    user = make_user()
    base = cached_run(nox, user)
    variants = [
        {"stdin": "other"},
        {"args": ["a"]},
        {"env": {"GREETING": "hi"}},
        {"files": {"data.txt": uuid.uuid4().hex}},
        {"timeout_s": 5},
        {"memory_mb": 64},
    ]
    for fields in variants:
        result = cached_run(nox, user, **fields)
        assert result["cached"] is False and result["stdout"] != base["stdout"], (fields, result)
    uncached = run(nox, user, "sh", CODE)
    assert "cached" not in uncached and uncached["stdout"] != base["stdout"], uncached
    # Another user never gets this user's result.
    other = cached_run(nox, make_user())
    assert other["cached"] is False and other["stdout"] != base["stdout"], other
    # The first request is still cached after all that.
    again = cached_run(nox, user)
    assert again["cached"] is True and again["stdout"] == base["stdout"], again


def test_a_file_run_is_cached_by_the_files_content(nox, make_user):
    user = make_user()
    put = lambda text: user.request("PUT", "/api/files/prog.sh", data=text.encode())  # noqa: E731
    assert put(CODE).status_code in (200, 201)
    body = {"language": "sh", "file": "prog.sh", "cache": True}
    first = assert_json(exec_response(nox, user, body), 200)
    hit = assert_json(exec_response(nox, user, body), 200)
    assert hit["cached"] is True and hit["stdout"] == first["stdout"], hit
    assert put(CODE + "\necho changed\n").status_code == 200
    changed = assert_json(exec_response(nox, user, body), 200)
    assert changed["cached"] is False and changed["stdout"].endswith("changed\n"), changed


def test_only_succeeded_and_failed_results_are_cached(nox, make_user):
    user = make_user()
    failing = {"language": "sh", "code": "echo $$; exit 3", "cache": True}
    first = assert_json(exec_response(nox, user, failing), 200)
    assert first["status"] == "failed"
    assert assert_json(exec_response(nox, user, failing), 200)["cached"] is True
    slow = {"language": "sh", "code": "echo $$; sleep 5", "cache": True, "timeout_s": 1}
    assert assert_json(exec_response(nox, user, slow), 200)["status"] == "timeout"
    again = assert_json(exec_response(nox, user, slow), 200)
    assert again["status"] == "timeout" and again["cached"] is False, again


def test_a_changed_language_manifest_invalidates_the_cache(nox, make_user):
    user = make_user()
    first = cached_run(nox, user)
    assert cached_run(nox, user)["cached"] is True
    shipped = nox.run(["cat", "/usr/share/nox/languages.d/sh.toml"]).stdout
    try:
        nox.run(["mkdir", "-p", "/etc/nox/languages.d"])
        nox.run(["sh", "-c", f"cat > {OVERRIDE}"], input=shipped + '\n[environment]\nGREETING = "from-manifest"\n')
        nox.systemctl("restart", SERVICE)
        after = cached_run(nox, user)
        assert after["cached"] is False and after["stdout"] != first["stdout"], after
        assert "from-manifest" in after["stdout"], after
        assert cached_run(nox, user)["cached"] is True
    finally:
        nox.run(["rm", "-f", OVERRIDE])
        nox.systemctl("restart", SERVICE)


def test_cache_must_be_a_boolean(nox, make_user):
    user = make_user()
    resp = exec_response(nox, user, {"language": "sh", "code": "true", "cache": "yes"})
    assert_error(resp, 422, "validation_failed")
