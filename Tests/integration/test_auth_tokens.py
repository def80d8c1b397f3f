"""Refresh-token rotation, reuse detection, logout, and GET /api/auth/me."""

from __future__ import annotations

import numbers

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    QUOTA_FIELDS,
    admin,
    assert_error,
    assert_json,
    assert_unauthorized,
    describe,
    logout,
    make_user,
    me,
    refresh,
    request,
)


def _pair(resp) -> dict:
    body = assert_json(resp, 200)
    for key in ("access_token", "refresh_token", "token_type", "expires_in"):
        assert key in body, f"refresh answer lacks {key!r}: {describe(resp)}"
    assert body["token_type"] == "Bearer", describe(resp)
    return body


def test_refresh_returns_new_working_token_pair(nox, make_user):
    user = make_user()
    old = user.tokens
    new = _pair(refresh(nox, old["refresh_token"]))
    assert new["refresh_token"] != old["refresh_token"], "refresh token was not rotated"
    # (the access token may equal the old one byte for byte within the same second: a JWT
    # with second-resolution claims and a deterministic Ed25519 signature; that is fine)
    resp = me(nox, new["access_token"])
    assert assert_json(resp, 200)["username"] == user.username, describe(resp)


def test_refresh_token_is_single_use(nox, make_user):
    user = make_user()
    r1 = user.refresh_token
    _pair(refresh(nox, r1))
    assert_error(refresh(nox, r1), 401)


def test_reused_refresh_token_revokes_its_whole_family(nox, make_user):
    user = make_user()
    r1 = user.refresh_token
    r2 = _pair(refresh(nox, r1))["refresh_token"]
    assert_error(refresh(nox, r1), 401)  # r1 is spent: presenting it again is a reuse
    resp = refresh(nox, r2)
    assert_error(resp, 401)  # ...which revoked r2, its successor in the same family


def test_reuse_detection_spares_other_families_of_the_same_user(nox, make_user):
    user = make_user()
    family_a = user.tokens["refresh_token"]
    family_b = user.login()["refresh_token"]  # a second, independent login
    a2 = _pair(refresh(nox, family_a))["refresh_token"]
    assert_error(refresh(nox, family_a), 401)  # reuse in family A
    assert_error(refresh(nox, a2), 401)
    _pair(refresh(nox, family_b))  # family B is untouched


def test_refresh_chain_keeps_working(nox, make_user):
    user = make_user()
    token = user.refresh_token
    for _ in range(5):
        token = _pair(refresh(nox, token))["refresh_token"]


def test_logout_returns_204_and_revokes_the_family(nox, make_user):
    user = make_user()
    r1 = user.refresh_token
    r2 = _pair(refresh(nox, r1))["refresh_token"]
    resp = logout(nox, r2)
    assert resp.status_code == 204, describe(resp)
    assert resp.content == b"", f"204 must have no body: {describe(resp)}"
    assert resp.headers.get("X-Request-Id"), describe(resp)
    assert_error(refresh(nox, r2), 401)
    assert_error(refresh(nox, r1), 401)


def test_logout_leaves_other_sessions_alone(nox, make_user):
    user = make_user()
    first = user.tokens["refresh_token"]
    second = user.login()["refresh_token"]
    assert logout(nox, first).status_code == 204
    _pair(refresh(nox, second))


def test_refresh_with_unknown_token_is_401(nox):
    assert_error(refresh(nox, "definitely-not-a-refresh-token"), 401)


def test_access_token_is_not_accepted_as_refresh_token(nox, make_user):
    user = make_user()
    assert_error(refresh(nox, user.access_token), 401)


def test_refresh_token_is_not_accepted_as_bearer(nox, make_user):
    user = make_user()
    assert_unauthorized(me(nox, user.refresh_token))


@pytest.mark.parametrize("path", ["/api/auth/refresh", "/api/auth/logout"])
@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": 42}, {"refresh_token": None}, {"refresh_token": ["x"]}, {"token": "x"}],
    ids=["missing", "number", "null", "array", "wrong-name"],
)
def test_refresh_and_logout_validate_the_body(nox, path, body):
    resp = request(nox, "POST", path, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert "refresh_token" in str(err.get("details")), f"details must name refresh_token: {describe(resp)}"


# --------------------------------------------------------------------------- /me


@pytest.mark.parametrize("role", ["admin", "user", "viewer"])
def test_me_describes_the_caller(nox, make_user, role):
    user = make_user(role=role)
    resp = me(nox, user.access_token)
    body = assert_json(resp, 200)
    assert body.get("username") == user.username, describe(resp)
    assert body.get("role") == role, describe(resp)
    perms = body.get("permissions")
    assert isinstance(perms, list) and all(isinstance(p, str) for p in perms), describe(resp)
    assert len(perms) == len(set(perms)), f"duplicate permissions: {describe(resp)}"
    quotas = body.get("quotas")
    assert isinstance(quotas, dict), describe(resp)
    for name in QUOTA_FIELDS:
        assert name in quotas, f"quotas lack {name!r}: {describe(resp)}"
        assert isinstance(quotas[name], numbers.Real) and not isinstance(quotas[name], bool), (
            f"quota {name!r} must be a number: {describe(resp)}"
        )
        assert quotas[name] >= 0, f"quota {name!r} negative: {describe(resp)}"
    for secret in ("password", "password_hash", "hash"):
        assert secret not in body, f"/me leaks {secret!r}: {describe(resp)}"


def test_me_permissions_follow_the_role(nox, make_user):
    perms = {}
    for role in ("admin", "user", "viewer"):
        perms[role] = set(assert_json(me(nox, make_user(role=role).access_token), 200)["permissions"])
    assert {"admin:users", "admin:audit", "exec:run", "keys:manage"} <= perms["admin"], perms
    assert "exec:run" in perms["user"] and "keys:manage" in perms["user"], perms
    assert not any(p.startswith("admin:") for p in perms["user"]), f"role user has admin permissions: {perms}"
    assert not any(p.startswith("admin:") for p in perms["viewer"]), f"role viewer has admin permissions: {perms}"
    assert "exec:run" not in perms["viewer"], f"viewer may not exec: {perms}"
    assert "files:write" not in perms["viewer"], f"viewer may not write: {perms}"
    assert perms["viewer"] <= perms["admin"] and perms["user"] <= perms["admin"], f"admin has everything: {perms}"


def test_me_shows_quotas_set_by_the_admin(nox, admin, make_user):
    user = make_user(quotas={"memory_mb": 123, "max_concurrent": 2})
    quotas = assert_json(me(nox, user.access_token), 200)["quotas"]
    assert quotas["memory_mb"] == 123 and quotas["max_concurrent"] == 2, quotas


def test_me_accepts_an_api_key(nox, make_user):
    user = make_user()
    key = user.create_key()
    resp = me(nox, key["key"])
    assert assert_json(resp, 200)["username"] == user.username, describe(resp)


def test_access_token_after_logout_is_valid_until_exp_or_cleanly_refused(nox, make_user):
    """Logout revokes the refresh family; the short-lived access token may live on until
    `exp` (stateless JWT) or be refused — either way the answer is 200 or a proper 401."""
    user = make_user()
    assert logout(nox, user.refresh_token).status_code == 204
    resp = me(nox, user.access_token)
    if resp.status_code != 200:
        assert_unauthorized(resp)
