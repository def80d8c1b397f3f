"""Bad input of every kind gets the JSON error shape with a fitting 4xx — never a 500,
never a stack trace — and every response carries X-Request-Id."""

from __future__ import annotations

import json
import re
import time

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    admin,
    assert_details_name_field,
    assert_error,
    assert_json,
    assert_no_stack_trace,
    describe,
    journal_entries_for_request,
    journal_value,
    make_user,
    new_request_id,
    raw_request_with_body,
    request,
    unique_name,
    unit_property,
    wait_until,
)


CRASH_RE = re.compile(r"Main process exited, code=(dumped|killed)|code=exited, status=[1-9]|Failed with result")


@pytest.fixture(scope="module", autouse=True)
def nox_auth_never_crashes(nox):
    """Whatever this module throws at it, nox-auth must not crash. Socket activation
    would hide a crash from the HTTP client (the next request starts it again), so look
    at what systemd saw: restarts, and the unit's exit messages in the journal."""
    start = int(time.time()) - 1
    before = unit_property(nox, "nox-auth.service", "NRestarts")
    yield
    after = unit_property(nox, "nox-auth.service", "NRestarts")
    assert after == before, f"nox-auth.service was restarted by systemd during bad-input tests ({before} -> {after})"
    crashes = [
        journal_value(e, "MESSAGE")
        for e in nox.journal("-u", "nox-auth.service", "--since", f"@{start}")
        if CRASH_RE.search(str(journal_value(e, "MESSAGE") or ""))
    ]
    assert not crashes, f"nox-auth.service crashed during bad-input tests: {crashes[:5]}"


# --------------------------------------------------------------------------- 400 invalid_json

JSON_ENDPOINTS = [
    ("POST", "/api/auth/login", False),
    ("POST", "/api/auth/refresh", False),
    ("POST", "/api/auth/logout", False),
    ("POST", "/api/keys", True),
    ("POST", "/api/admin/users", True),
    ("PATCH", "/api/admin/users/{victim}", True),
]
MALFORMED = [
    ("truncated", b'{"username": "a", "password": '),
    ("not-json", b"username=admin&password=x"),
    ("single-quotes", b"{'username': 'a', 'password': 'b'}"),
    ("trailing-comma", b'{"username": "a", "password": "b",}'),
    ("invalid-utf8", b'{"username": "\xff\xfe", "password": "b"}'),
    ("empty", b""),
    ("two-documents", b'{"a": 1}{"b": 2}'),
    ("bare-word", b"null-ish"),
]


def _path(make_user, path: str) -> str:
    if "{victim}" in path:
        path = path.replace("{victim}", make_user(role="viewer", do_login=False).username)
    return path


@pytest.mark.parametrize("method, path, needs_auth", JSON_ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in JSON_ENDPOINTS])
@pytest.mark.parametrize("name, raw", MALFORMED, ids=[n for n, _ in MALFORMED])
def test_malformed_json_body_is_400_invalid_json(nox, admin, make_user, method, path, needs_auth, name, raw):
    token = admin.access_token if needs_auth else None
    resp = request(nox, method, _path(make_user, path), token=token, data=raw,
                   headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_json")


# --------------------------------------------------------------------------- 422 validation_failed

LOGIN_BAD_BODIES = [
    ("missing-password", {"username": "someone"}, "password"),
    ("missing-username", {"password": "x"}, "username"),
    ("empty-object", {}, "username"),
    ("username-number", {"username": 12, "password": "x"}, "username"),
    ("username-null", {"username": None, "password": "x"}, "username"),
    ("username-object", {"username": {"$ne": ""}, "password": "x"}, "username"),
    ("password-number", {"username": "someone", "password": 1234}, "password"),
    ("password-array", {"username": "someone", "password": ["x"]}, "password"),
    ("password-bool", {"username": "someone", "password": True}, "password"),
]


@pytest.mark.parametrize("name, body, field", LOGIN_BAD_BODIES, ids=[n for n, _, _ in LOGIN_BAD_BODIES])
def test_login_with_missing_or_mistyped_field_is_422_naming_it(nox, name, body, field):
    resp = request(nox, "POST", "/api/auth/login", json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, field, resp)


@pytest.mark.parametrize("body", [[], ["username", "password"], "username", 42, None, True],
                         ids=["array", "array-of-strings", "string", "number", "null", "bool"])
def test_login_with_json_that_is_not_an_object_is_422(nox, body):
    resp = request(nox, "POST", "/api/auth/login", data=json.dumps(body),
                   headers={"Content-Type": "application/json"})
    assert_error(resp, 422, "validation_failed")


# --------------------------------------------------------------------------- 413


def _chunks(total: int, size: int = 1 << 20):
    prefix = b'{"username": "big", "password": "'
    yield prefix
    sent = len(prefix)
    block = b"a" * size
    while sent + size < total - 2:
        yield block
        sent += size
    yield b"a" * max(0, total - 2 - sent) + b'"}'


def test_oversized_login_body_is_413_json(nox):
    total = 100 * 1024 * 1024
    rid = new_request_id()
    status, headers, body = raw_request_with_body(
        nox, "POST", "/api/auth/login",
        {"Content-Type": "application/json", "Content-Length": str(total), "X-Request-Id": rid},
        _chunks(total),
    )
    lower = {k.lower(): v for k, v in headers.items()}
    text = body.decode(errors="replace")
    assert status == 413, f"expected 413 for a 100 MB body, got {status}: {headers} {text[:500]!r}"
    assert lower.get("content-type", "").split(";")[0].strip() == "application/json", (
        f"413 must use the JSON error shape, got {headers} {text[:500]!r}"
    )
    err = json.loads(text)["error"]
    assert isinstance(err.get("code"), str) and isinstance(err.get("message"), str), text
    assert lower.get("x-request-id"), f"413 without X-Request-Id: {headers}"


def test_oversized_chunked_body_is_413_json(nox):
    """Same without Content-Length: the limit must hold for streamed bodies too."""

    def chunked(total=100 * 1024 * 1024, size=1 << 20):
        for piece in _chunks(total, size):
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        yield b"0\r\n\r\n"

    status, headers, body = raw_request_with_body(
        nox, "POST", "/api/auth/login",
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked", "X-Request-Id": new_request_id()},
        chunked(),
    )
    text = body.decode(errors="replace")
    assert status == 413, f"expected 413, got {status}: {headers} {text[:500]!r}"
    assert "error" in json.loads(text), text


# --------------------------------------------------------------------------- 404 / 405


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/api/auth/nope"), ("POST", "/api/auth/nope"), ("GET", "/api/auth/login/extra"),
     ("DELETE", "/api/auth/keys/x"), ("GET", "/api/keys/x/y")],
    ids=["get-unknown", "post-unknown", "below-login", "below-jwks", "below-key"],
)
def test_unknown_auth_route_is_404_json(nox, admin, method, path):
    resp = request(nox, method, path, token=admin.access_token)
    assert_error(resp, 404)


def test_unknown_route_without_token_is_404_or_401_json(nox):
    resp = request(nox, "GET", "/api/auth/definitely/not/here")
    assert resp.status_code in (401, 404), describe(resp)
    assert_error(resp, resp.status_code)


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/api/auth/login"), ("PUT", "/api/auth/login"), ("DELETE", "/api/auth/me"),
     ("POST", "/api/auth/me"), ("POST", "/api/auth/keys"), ("GET", "/api/auth/refresh"),
     ("GET", "/api/auth/logout"), ("PUT", "/api/keys")],
)
def test_wrong_method_is_405_json(nox, admin, method, path):
    resp = request(nox, method, path, token=admin.access_token)
    assert_error(resp, 405)


# --------------------------------------------------------------------------- never a 500

HUGE_STRING = "x" * 200_000
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000

# (method, path, raw body) sent with the admin's token; every one is bad input.
BAD_INPUTS = [
    ("login-deep-array", "POST", "/api/auth/login", DEEP_ARRAY),
    ("login-deep-object", "POST", "/api/auth/login", DEEP_OBJECT),
    ("login-huge-number", "POST", "/api/auth/login", '{"username": 1e999999, "password": "x"}'),
    ("login-duplicate-keys", "POST", "/api/auth/login", '{"username": 1, "username": [], "password": {}}'),
    ("refresh-huge-token", "POST", "/api/auth/refresh", json.dumps({"refresh_token": HUGE_STRING})),
    ("refresh-nul", "POST", "/api/auth/refresh", json.dumps({"refresh_token": "a\u0000b"})),
    ("refresh-lone-surrogate", "POST", "/api/auth/refresh", '{"refresh_token": "\\ud800"}'),
    ("user-huge-username", "POST", "/api/admin/users",
     json.dumps({"username": HUGE_STRING, "password": "pw-123456789", "role": "user"})),
    ("user-nul-username", "POST", "/api/admin/users",
     json.dumps({"username": "a\u0000b", "password": "pw-123456789", "role": "user"})),
    ("user-quota-overflow", "POST", "/api/admin/users",
     json.dumps({"username": "@NEW@", "password": "pw-123456789", "role": "user",
                 "quotas": {"memory_mb": 2**70}})),
    ("user-quota-float", "POST", "/api/admin/users",
     json.dumps({"username": "@NEW@", "password": "pw-123456789", "role": "user",
                 "quotas": {"memory_mb": 1.5e308}})),
    ("user-quota-nan", "POST", "/api/admin/users",
     '{"username": "@NEW@", "password": "pw-123456789", "role": "user", "quotas": {"memory_mb": NaN}}'),
    ("user-quotas-array", "POST", "/api/admin/users",
     json.dumps({"username": "@NEW@", "password": "pw-123456789", "role": "user", "quotas": [1, 2]})),
    ("key-huge-name", "POST", "/api/keys", json.dumps({"name": HUGE_STRING})),
    ("key-many-scopes", "POST", "/api/keys", json.dumps({"name": "k", "scopes": [f"s:{i}" for i in range(50_000)]})),
    ("key-days-overflow", "POST", "/api/keys", json.dumps({"name": "k", "expires_in_days": 2**64})),
    ("key-days-float-inf", "POST", "/api/keys", '{"name": "k", "expires_in_days": 1e400}'),
    ("patch-disabled-number", "PATCH", "/api/admin/users/{victim}", json.dumps({"disabled": 2})),
    ("get-user-huge-name", "GET", "/api/admin/users/" + "a" * 5000, None),
    ("get-user-percent-garbage", "GET", "/api/admin/users/%ff%fe", None),
    ("delete-key-huge-id", "DELETE", "/api/keys/" + "9" * 400, None),
    ("audit-since-garbage", "GET", "/api/admin/audit?since=%00%ff", None),
    ("audit-limit-overflow", "GET", "/api/admin/audit?limit=99999999999999999999999", None),
    ("users-cursor-garbage", "GET", "/api/admin/users?cursor=" + "A" * 3000, None),
]


# API.md sets no maximum for these, so a server may accept them; it must still not fail.
MAY_BE_ACCEPTED = {"key-huge-name"}


@pytest.mark.parametrize("name, method, path, raw", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_never_gives_500_or_stack_trace(nox, admin, make_user, name, method, path, raw):
    path = _path(make_user, path)
    if raw is not None:
        raw = raw.replace("@NEW@", unique_name("bad"))
    resp = request(nox, method, path, token=admin.access_token, data=raw.encode() if raw is not None else None,
                   headers={"Content-Type": "application/json"} if raw is not None else None, timeout=30)
    assert resp.status_code < 500, f"bad input gave a server error: {describe(resp)}"
    assert_no_stack_trace(resp)
    if name in MAY_BE_ACCEPTED and resp.status_code < 400:
        return
    assert 400 <= resp.status_code < 500, f"bad input was accepted: {describe(resp)}"
    assert_error(resp, resp.status_code)


def test_content_type_other_than_json_is_refused_cleanly(nox):
    resp = request(nox, "POST", "/api/auth/login", data=b"username=admin&password=admin",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code in (400, 415, 422), f"form body on a JSON endpoint: {describe(resp)}"
    assert_error(resp, resp.status_code)


def test_daemon_still_serves_after_bad_input(nox, admin):
    assert_json(request(nox, "GET", "/api/auth/me", token=admin.access_token), 200)


# --------------------------------------------------------------------------- X-Request-Id


@pytest.mark.parametrize(
    "method, path, auth",
    [("GET", "/api/auth/keys", False), ("GET", "/api/auth/me", True), ("GET", "/api/auth/me", False),
     ("GET", "/api/auth/nope", False), ("POST", "/api/auth/login", False)],
    ids=["ok-public", "ok-authenticated", "401", "404", "422"],
)
def test_x_request_id_is_echoed_when_sent(nox, admin, method, path, auth):
    rid = new_request_id()
    resp = request(nox, method, path, token=admin.access_token if auth else None, request_id=rid,
                   json_body={} if method == "POST" else None)
    assert resp.headers.get("X-Request-Id") == rid, f"X-Request-Id not echoed: {describe(resp)}"


def test_x_request_id_is_generated_when_not_sent(nox, admin):
    ids = []
    for _ in range(2):
        resp = request(nox, "GET", "/api/auth/me", token=admin.access_token, request_id=False)
        assert_json(resp, 200)
        rid = resp.headers.get("X-Request-Id", "")
        assert rid.strip(), f"no generated X-Request-Id: {describe(resp)}"
        ids.append(rid)
    assert ids[0] != ids[1], f"generated request ids repeat: {ids}"
    err = request(nox, "GET", "/api/auth/me", request_id=False)
    assert err.headers.get("X-Request-Id", "").strip(), f"no X-Request-Id on a 401: {describe(err)}"


@pytest.mark.parametrize(
    "method, path, auth, status",
    [("GET", "/api/auth/me", True, 200), ("GET", "/api/auth/me", False, 401), ("POST", "/api/auth/login", False, 422)],
    ids=["200", "401", "422"],
)
def test_sent_request_id_appears_in_nox_auth_journal(nox, admin, method, path, auth, status):
    rid = new_request_id()
    resp = request(nox, method, path, token=admin.access_token if auth else None, request_id=rid,
                   json_body={} if method == "POST" else None)
    assert resp.status_code == status, describe(resp)

    def entries():
        return [e for e in journal_entries_for_request(nox, rid)
                if journal_value(e, "_SYSTEMD_UNIT") == "nox-auth.service"]

    found = wait_until(entries, timeout=5, interval=0.5, what=f"journal entries of nox-auth with NOX_REQUEST_ID={rid}")
    assert all(journal_value(e, "NOX_REQUEST_ID") == rid for e in found), found


def test_generated_request_id_appears_in_journal(nox, admin):
    resp = request(nox, "GET", "/api/auth/me", token=admin.access_token, request_id=False)
    rid = resp.headers["X-Request-Id"]
    wait_until(lambda: journal_entries_for_request(nox, rid), timeout=5, interval=0.5,
               what=f"journal entries with generated NOX_REQUEST_ID={rid}")
