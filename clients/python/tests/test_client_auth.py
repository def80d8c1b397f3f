"""Signing in, transparent refresh, API keys, and the auth endpoints' requests."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from fakenox import error, make_jwt, ok, tokens

from nox_client import InvalidCredentialsError, NoxClient, UnauthorizedError

ME = {"username": "alice", "role": "user", "permissions": ["exec:run", "files:read"],
      "quotas": {"cpu_percent": 100, "memory_mb": 512, "tasks_max": 64, "max_concurrent": 2,
                 "exec_timeout_s": 30, "disk_mb": 100, "requests_per_minute": 600}}


def bearer_of(request: httpx.Request) -> str | None:
    value = request.headers.get("Authorization")
    return value.split(" ", 1)[1] if value else None


def me_for(good_token: str):
    """/api/auth/me answering 200 to ``good_token`` and 401 to anything else."""
    def handler(request):
        if bearer_of(request) == good_token:
            return ok(ME)
        return error(401, "unauthorized", "Missing, invalid or expired credentials.",
                     headers={"WWW-Authenticate": "Bearer"})
    return handler


def test_password_client_logs_in_on_first_use_and_sends_the_token(fake):
    access = make_jwt(time.time() + 900)
    fake.route("POST", "/api/auth/login", ok(tokens(access, "r1")))
    fake.route("GET", "/api/auth/me", me_for(access))
    with fake.client(username="alice", password="pw-secret") as nox:
        me = nox.auth.me()
        nox.auth.me()
    assert me.username == "alice" and me.quotas.memory_mb == 512 and me.can("exec:run")
    assert len(fake.calls("POST", "/api/auth/login")) == 1
    login = fake.calls("POST", "/api/auth/login")[0]
    assert json.loads(login.content) == {"username": "alice", "password": "pw-secret"}
    assert "Authorization" not in login.headers


def test_401_with_an_expired_access_token_refreshes_once_and_retries(fake):
    old, new = make_jwt(time.time() - 5), make_jwt(time.time() + 900)
    fake.route("POST", "/api/auth/refresh", ok(tokens(new, "r2")))
    fake.route("GET", "/api/auth/me", me_for(new))
    seen = []
    # A clock skewed so the client believes the token still valid: the 401 must trigger it.
    nox = fake.client(token=old, refresh_token="r1", on_tokens=seen.append)
    nox.credentials.expires_at = time.time() + 3600
    assert nox.auth.me().username == "alice"
    refreshes = fake.calls("POST", "/api/auth/refresh")
    assert len(refreshes) == 1 and json.loads(refreshes[0].content) == {"refresh_token": "r1"}
    assert [bearer_of(r) for r in fake.calls("GET", "/api/auth/me")] == [old, new]
    assert [p.access_token for p in seen] == [new]
    assert nox.credentials.refresh_token == "r2"


def test_a_token_about_to_expire_is_refreshed_before_the_request(fake):
    old, new = make_jwt(time.time() + 10), make_jwt(time.time() + 900)
    fake.route("POST", "/api/auth/refresh", ok(tokens(new, "r2")))
    fake.route("GET", "/api/auth/me", me_for(new))
    nox = fake.client(token=old, refresh_token="r1")
    nox.auth.me()
    assert [bearer_of(r) for r in fake.calls("GET", "/api/auth/me")] == [new]


def test_a_second_401_after_refreshing_is_raised_not_looped(fake):
    fake.route("POST", "/api/auth/refresh", ok(tokens(make_jwt(time.time() + 900), "r2")))
    fake.route("GET", "/api/auth/me", me_for("never-this"))
    nox = fake.client(token=make_jwt(time.time() + 900, kid="old"), refresh_token="r1")
    with pytest.raises(UnauthorizedError):
        nox.auth.me()
    assert len(fake.calls("POST", "/api/auth/refresh")) == 1
    assert len(fake.calls("GET", "/api/auth/me")) == 2


def test_an_api_key_is_never_refreshed(fake):
    fake.route("GET", "/api/auth/me", me_for("other"))
    nox = fake.client(token="nox_abc", refresh_token="r1")
    with pytest.raises(UnauthorizedError) as info:
        nox.auth.me()
    assert info.value.status == 401
    assert not fake.calls("POST", "/api/auth/refresh")
    assert len(fake.calls("GET", "/api/auth/me")) == 1


def test_a_refused_refresh_token_falls_back_to_the_password(fake):
    first, second = make_jwt(time.time() + 900, kid="a"), make_jwt(time.time() + 900, kid="b")
    fake.route("POST", "/api/auth/login", ok(tokens(first, "r1")), ok(tokens(second, "r2")))
    fake.route("POST", "/api/auth/refresh", error(401, "unauthorized", "Spent."))
    fake.route("GET", "/api/auth/me", me_for(second))
    nox = fake.client(username="alice", password="pw")
    assert nox.auth.me().username == "alice"
    assert len(fake.calls("POST", "/api/auth/login")) == 2
    assert len(fake.calls("POST", "/api/auth/refresh")) == 1


def test_a_refused_refresh_without_password_raises_the_original_401(fake):
    fake.route("POST", "/api/auth/refresh", error(401, "unauthorized", "Family revoked."))
    fake.route("GET", "/api/auth/me", me_for("x"))
    nox = fake.client(token=make_jwt(time.time() + 900), refresh_token="r1")
    with pytest.raises(UnauthorizedError) as info:
        nox.auth.me()
    assert info.value.message == "Missing, invalid or expired credentials."


def test_wrong_password_is_invalid_credentials(fake):
    fake.route("POST", "/api/auth/login", error(401, "invalid_credentials", "Wrong username or password."))
    nox = fake.client(username="alice", password="bad")
    with pytest.raises(InvalidCredentialsError):
        nox.auth.me()


def test_concurrent_401s_spend_the_refresh_token_only_once(fake):
    """A refresh token presented twice revokes the whole family: two threads hitting an
    expired token at once must share one refresh."""
    old, new = make_jwt(time.time() - 5), make_jwt(time.time() + 900)
    both_in = threading.Barrier(2, timeout=5)

    def me(request):
        if bearer_of(request) == old:
            both_in.wait()  # both requests are in flight with the old token
            return error(401, "unauthorized")
        return ok(ME)

    fake.route("GET", "/api/auth/me", me)
    fake.route("POST", "/api/auth/refresh", ok(tokens(new, "r2")))
    nox = fake.client(token=old, refresh_token="r1")
    nox.credentials.expires_at = None  # expiry unknown: only the 401 tells
    results, failures = [], []

    def call():
        try:
            results.append(nox.auth.me().username)
        except Exception as exc:  # recorded for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not failures and results == ["alice", "alice"]
    assert len(fake.calls("POST", "/api/auth/refresh")) == 1


def test_explicit_login_refresh_logout(fake):
    a1, a2 = make_jwt(time.time() + 900, kid="1"), make_jwt(time.time() + 900, kid="2")
    fake.route("POST", "/api/auth/login", ok(tokens(a1, "r1")))
    fake.route("POST", "/api/auth/refresh", ok(tokens(a2, "r2")))
    fake.route("POST", "/api/auth/logout", ok(status=204))
    nox = NoxClient("https://nox.test", transport=httpx.MockTransport(fake))
    pair = nox.auth.login("alice", "pw")
    assert (pair.access_token, pair.refresh_token, pair.token_type, pair.expires_in) == (a1, "r1", "Bearer", 900)
    assert nox.credentials.access_token == a1
    assert nox.auth.refresh().access_token == a2
    assert json.loads(fake.calls("POST", "/api/auth/refresh")[0].content) == {"refresh_token": "r1"}
    nox.auth.logout()
    assert json.loads(fake.calls("POST", "/api/auth/logout")[0].content) == {"refresh_token": "r2"}
    assert nox.credentials.access_token is None and nox.credentials.refresh_token is None


def test_jwks_needs_no_credential(fake):
    fake.route("GET", "/api/auth/keys", ok({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "abc", "kid": "k1",
                                                     "alg": "EdDSA", "use": "sig"}]}))
    with fake.client() as nox:
        jwks = nox.auth.jwks()
    assert jwks.get("k1").x == "abc" and jwks.get("nope") is None
    assert "Authorization" not in fake.requests[0].headers


def test_keys_create_list_delete(fake):
    key = {"id": "key_1", "name": "ci", "key": "nox_secret", "prefix": "nox_secret12", "scopes": ["exec:run"],
           "created_at": "2026-01-02T03:04:05.678Z", "expires_at": None}
    fake.route("POST", "/api/keys", ok(key, 201))
    fake.route("GET", "/api/keys", ok({"items": [{k: v for k, v in key.items() if k != "key"}], "next_cursor": None}))
    fake.route("DELETE", "/api/keys/key_1", ok(status=204))
    with fake.client() as nox:
        created = nox.keys.create("ci", scopes=["exec:run"], expires_in_days=30)
        listed = list(nox.keys.iter())
        nox.keys.delete("key_1")
    assert created.key == "nox_secret" and created.created_at.year == 2026 and created.expires_at is None
    assert json.loads(fake.calls("POST", "/api/keys")[0].content) == {"name": "ci", "scopes": ["exec:run"],
                                                                      "expires_in_days": 30}
    assert [k.id for k in listed] == ["key_1"] and listed[0].key is None
    assert len(fake.calls("DELETE", "/api/keys/key_1")) == 1


def test_a_password_without_username_is_refused():
    with pytest.raises(ValueError):
        NoxClient("https://nox.test", password="pw")
    with pytest.raises(ValueError):
        NoxClient("nox.test")


def test_signing_in_as_someone_else_forgets_the_first_users_password(fake):
    fake.route("POST", "/api/auth/login", ok(tokens(make_jwt(time.time() + 900, kid="x"), "r1")))
    nox = fake.client(username="alice", password="alice-pw")
    nox.auth.login("bob", "bob-pw")
    assert nox.credentials.username == "bob" and nox.credentials.refresh_token == "r1"
    fake.route("POST", "/api/auth/refresh", error(401, "unauthorized"))
    fake.route("GET", "/api/auth/me", error(401, "unauthorized"))
    with pytest.raises(UnauthorizedError):
        nox.auth.me()
    logins = [json.loads(r.content)["username"] for r in fake.calls("POST", "/api/auth/login")]
    assert logins == ["bob"]  # never alice's password again
