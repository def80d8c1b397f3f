"""Admin user management (/api/admin/users), RBAC, and disabled/deleted users."""

from __future__ import annotations

import time

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    QUOTA_FIELDS,
    admin,
    assert_details_name_field,
    assert_error,
    assert_json,
    assert_unauthorized,
    create_user_response,
    describe,
    get_all_pages,
    login,
    make_user,
    me,
    new_password,
    parse_rfc3339,
    login_response,
    refresh,
    request,
    unique_name,
)

REVOCATION_DEADLINE_S = 10  # API.md: refused "within 10 seconds on every daemon"


def _user_url(name: str) -> str:
    return f"/api/admin/users/{name}"


def _assert_user_object(body: dict, resp, username: str, role: str) -> None:
    assert set(body) >= {"username", "role", "quotas", "created_at"}, describe(resp)
    assert body["username"] == username, describe(resp)
    assert body["role"] == role, describe(resp)
    assert isinstance(body["quotas"], dict), describe(resp)
    for name in QUOTA_FIELDS:
        assert name in body["quotas"], f"quotas lack {name!r}: {describe(resp)}"
    parse_rfc3339(body["created_at"])
    for secret in ("password", "password_hash", "hash", "salt"):
        assert secret not in body, f"user object leaks {secret!r}: {describe(resp)}"


def _refused_within(nox, token: str, seconds: float = REVOCATION_DEADLINE_S + 1) -> float:
    """Polls GET /api/auth/me with `token` until it is refused (401); returns the delay."""
    start = time.monotonic()
    while True:
        resp = me(nox, token)
        if resp.status_code == 401:
            assert_unauthorized(resp)
            return time.monotonic() - start
        assert resp.status_code == 200, f"expected 200 or 401 while waiting for revocation: {describe(resp)}"
        if time.monotonic() - start > seconds:
            pytest.fail(f"token still accepted {seconds:.0f}s later: {describe(resp)}")
        time.sleep(0.5)


# --------------------------------------------------------------------------- create


def test_create_user_returns_201_with_user_object(nox, admin):
    name, password = unique_name("new"), new_password()
    resp = create_user_response(nox, admin.access_token, name, password, "user")
    body = assert_json(resp, 201)
    _assert_user_object(body, resp, name, "user")
    assert password not in resp.text, f"password echoed back: {describe(resp)}"
    tokens = login(nox, name, password)
    assert assert_json(me(nox, tokens["access_token"]), 200)["role"] == "user"


@pytest.mark.parametrize("role", ["admin", "user", "viewer"])
def test_create_user_with_each_builtin_role(nox, admin, role):
    name = unique_name(role[0])
    resp = create_user_response(nox, admin.access_token, name, new_password(), role)
    _assert_user_object(assert_json(resp, 201), resp, name, role)


def test_create_user_with_quotas_overrides_only_those(nox, admin):
    default_name = unique_name("dq")
    default = assert_json(create_user_response(nox, admin.access_token, default_name, new_password()), 201)
    name = unique_name("q")
    resp = create_user_response(nox, admin.access_token, name, new_password(), "user", quotas={"memory_mb": 321})
    body = assert_json(resp, 201)
    assert body["quotas"]["memory_mb"] == 321, describe(resp)
    for q in QUOTA_FIELDS:
        if q != "memory_mb":
            assert body["quotas"][q] == default["quotas"][q], f"quota {q} should keep the default: {describe(resp)}"


def test_create_duplicate_user_is_409(nox, admin):
    name = unique_name("dup")
    assert_json(create_user_response(nox, admin.access_token, name, new_password()), 201)
    resp = create_user_response(nox, admin.access_token, name, new_password(), "viewer")
    assert_error(resp, 409)


def test_username_of_32_characters_is_accepted(nox, admin):
    name = ("m" + unique_name("x") + "0" * 32)[:32]
    resp = create_user_response(nox, admin.access_token, name, new_password())
    assert_json(resp, 201)


@pytest.mark.parametrize(
    "username",
    ["", "1abc", "Abc", "aBc", "a-b", "a.b", "a b", "_abc", "ab\u00e9", "a" * 33, "abc\n", "abc/def", "..", "a\u0000b"],
    ids=["empty", "leading-digit", "upper-first", "upper-inner", "dash", "dot", "space", "leading-underscore",
         "non-ascii", "33-chars", "newline", "slash", "dotdot", "nul"],
)
def test_create_user_with_invalid_username_is_422(nox, admin, username):
    resp = create_user_response(nox, admin.access_token, username, new_password())
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, "username", resp)


@pytest.mark.parametrize("role", ["superuser", "Admin", "", "root"])
def test_create_user_with_unknown_role_is_422(nox, admin, role):
    resp = create_user_response(nox, admin.access_token, unique_name("r"), new_password(), role)
    err = assert_error(resp, 422)
    assert_details_name_field(err, "role", resp)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": "pw-123456789", "role": "user"}, "username"),
        ({"username": "@NAME@", "role": "user"}, "password"),
        ({"username": "@NAME@", "password": "pw-123456789"}, "role"),
        ({"username": 42, "password": "pw-123456789", "role": "user"}, "username"),
        ({"username": "@NAME@", "password": 42, "role": "user"}, "password"),
        ({"username": "@NAME@", "password": "pw-123456789", "role": ["user"]}, "role"),
        ({"username": "@NAME@", "password": "pw-123456789", "role": "user", "quotas": "big"}, "quotas"),
        ({"username": "@NAME@", "password": "pw-123456789", "role": "user", "quotas": {"memory_mb": "lots"}},
         "memory_mb"),
        ({"username": "@NAME@", "password": "pw-123456789", "role": "user", "quotas": {"memory_mb": -5}},
         "memory_mb"),
        ({"username": "@NAME@", "password": "pw-123456789", "role": "user", "quotas": {"cpu_percent": 10**40}},
         "cpu_percent"),
    ],
    ids=["no-username", "no-password", "no-role", "username-number", "password-number", "role-array",
         "quotas-string", "quota-string", "quota-negative", "quota-huge"],
)
def test_create_user_with_invalid_body_is_422_naming_the_field(nox, admin, body, field):
    body = {k: (unique_name("inv") if v == "@NAME@" else v) for k, v in body.items()}
    resp = request(nox, "POST", "/api/admin/users", token=admin.access_token, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, field, resp)


# --------------------------------------------------------------------------- list


def test_user_list_pages_walk_all_users_without_duplicates(nox, admin):
    created = set()
    for _ in range(5):
        name = unique_name("pg")
        assert_json(create_user_response(nox, admin.access_token, name, new_password()), 201)
        created.add(name)
    items = get_all_pages(nox, "/api/admin/users", admin.access_token, limit=2)
    names = [item["username"] for item in items]
    assert len(names) == len(set(names)), f"duplicates across pages: {sorted(n for n in names if names.count(n) > 1)}"
    assert created <= set(names), f"pages missed users: {created - set(names)}"
    assert {"admin", admin.username} <= set(names), "the admins are missing from the list"
    for item in items:
        assert set(item) >= {"username", "role", "quotas", "created_at"}, item


def test_user_list_default_page_is_at_most_50(nox, admin):
    resp = request(nox, "GET", "/api/admin/users", token=admin.access_token)
    body = assert_json(resp, 200)
    assert set(body) >= {"items", "next_cursor"}, describe(resp)
    assert len(body["items"]) <= 50, describe(resp)
    if len(body["items"]) < 50:
        assert body["next_cursor"] is None, f"short last page must have next_cursor null: {describe(resp)}"


def test_user_list_accepts_limit_1000(nox, admin):
    assert_json(request(nox, "GET", "/api/admin/users", token=admin.access_token, params={"limit": 1000}), 200)


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "5000"])
def test_user_list_with_out_of_range_limit_is_422(nox, admin, limit):
    resp = request(nox, "GET", "/api/admin/users", token=admin.access_token, params={"limit": limit})
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, "limit", resp)


@pytest.mark.parametrize("limit", ["abc", "1.5", "99999999999999999999", ""])
def test_user_list_with_non_numeric_limit_is_a_client_error(nox, admin, limit):
    resp = request(nox, "GET", "/api/admin/users", token=admin.access_token, params={"limit": limit})
    if limit == "" and resp.status_code == 200:
        return  # an empty limit may reasonably mean "the default"
    assert resp.status_code in (400, 422), f"a non-numeric limit is bad input: {describe(resp)}"
    assert_error(resp, resp.status_code)


def test_user_list_with_garbage_cursor_is_a_client_error(nox, admin):
    resp = request(nox, "GET", "/api/admin/users", token=admin.access_token, params={"cursor": "%%%not-a-cursor"})
    assert resp.status_code in (400, 422), f"a bad cursor is bad input: {describe(resp)}"
    assert_error(resp, resp.status_code)


# --------------------------------------------------------------------------- read / patch / delete


def test_get_user_returns_the_user_object(nox, admin, make_user):
    user = make_user(role="viewer", do_login=False)
    resp = request(nox, "GET", _user_url(user.username), token=admin.access_token)
    _assert_user_object(assert_json(resp, 200), resp, user.username, "viewer")


def test_get_unknown_user_is_404(nox, admin):
    assert_error(request(nox, "GET", _user_url(unique_name("nobody")), token=admin.access_token), 404)


def test_patch_role_returns_updated_user_and_takes_effect(nox, admin, make_user):
    user = make_user(role="viewer")
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token, json_body={"role": "user"})
    _assert_user_object(assert_json(resp, 200), resp, user.username, "user")
    get = request(nox, "GET", _user_url(user.username), token=admin.access_token)
    assert assert_json(get, 200)["role"] == "user", describe(get)
    fresh = login(nox, user.username, user.password)
    body = assert_json(me(nox, fresh["access_token"]), 200)
    assert body["role"] == "user" and "exec:run" in body["permissions"], body


def test_patch_password_replaces_the_old_one(nox, admin, make_user):
    user = make_user()
    new = new_password()
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token, json_body={"password": new})
    body = assert_json(resp, 200)
    assert body["username"] == user.username and new not in resp.text, describe(resp)
    assert_error(login_response(nox, user.username, user.password), 401)
    login(nox, user.username, new)


def test_patch_quotas_returns_updated_quotas(nox, admin, make_user):
    user = make_user()
    before = assert_json(request(nox, "GET", _user_url(user.username), token=admin.access_token), 200)["quotas"]
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token,
                   json_body={"quotas": {"memory_mb": 256, "tasks_max": 33}})
    quotas = assert_json(resp, 200)["quotas"]
    assert quotas["memory_mb"] == 256 and quotas["tasks_max"] == 33, describe(resp)
    for q in QUOTA_FIELDS:
        if q not in ("memory_mb", "tasks_max"):
            assert quotas[q] == before[q], f"quota {q} changed unasked: {describe(resp)}"
    assert assert_json(me(nox, user.access_token), 200)["quotas"]["memory_mb"] == 256


def test_patch_quota_to_null_returns_it_to_the_server_default(nox, admin, make_user):
    user = make_user()
    default = assert_json(request(nox, "GET", _user_url(user.username), token=admin.access_token), 200)["quotas"]
    assert_json(request(nox, "PATCH", _user_url(user.username), token=admin.access_token,
                        json_body={"quotas": {"memory_mb": 200}}), 200)
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token,
                   json_body={"quotas": {"memory_mb": None}})
    assert assert_json(resp, 200)["quotas"] == default, describe(resp)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"role": "superuser"}, "role"),
        ({"role": 1}, "role"),
        ({"password": 12345678}, "password"),
        ({"quotas": {"memory_mb": "lots"}}, "memory_mb"),
        ({"quotas": {"memory_mb": -1}}, "memory_mb"),
        ({"disabled": "yes"}, "disabled"),
    ],
    ids=["role-unknown", "role-number", "password-number", "quota-string", "quota-negative", "disabled-string"],
)
def test_patch_with_invalid_body_is_422_naming_the_field(nox, admin, make_user, body, field):
    user = make_user(do_login=False)
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, field, resp)


def test_patch_unknown_user_is_404(nox, admin):
    resp = request(nox, "PATCH", _user_url(unique_name("nobody")), token=admin.access_token, json_body={"role": "user"})
    assert_error(resp, 404)


def test_delete_user_returns_204_then_404(nox, admin, make_user):
    user = make_user(do_login=False)
    resp = request(nox, "DELETE", _user_url(user.username), token=admin.access_token)
    assert resp.status_code == 204, describe(resp)
    assert resp.content == b"", describe(resp)
    assert_error(request(nox, "GET", _user_url(user.username), token=admin.access_token), 404)
    assert_error(request(nox, "DELETE", _user_url(user.username), token=admin.access_token), 404)
    names = {i["username"] for i in get_all_pages(nox, "/api/admin/users", admin.access_token, limit=1000)}
    assert user.username not in names, "deleted user still listed"


def test_deleted_username_can_be_created_again_fresh(nox, admin, make_user):
    user = make_user()
    old_key = user.create_key()
    assert request(nox, "DELETE", _user_url(user.username), token=admin.access_token).status_code == 204
    password = new_password()
    assert_json(create_user_response(nox, admin.access_token, user.username, password, "viewer"), 201)
    tokens = login(nox, user.username, password)
    assert assert_json(me(nox, tokens["access_token"]), 200)["role"] == "viewer"
    _refused_within(nox, old_key["key"])  # the old account's key does not carry over


# --------------------------------------------------------------------------- RBAC

# "{victim}" is replaced by a throwaway user, so a broken RBAC check cannot hurt the
# accounts the rest of the session relies on.
ADMIN_CALLS = [
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users", {"username": "{new}", "password": "pw-123456789", "role": "admin"}),
    ("GET", "/api/admin/users/{victim}", None),
    ("PATCH", "/api/admin/users/{victim}", {"role": "admin"}),
    ("DELETE", "/api/admin/users/{victim}", None),
    ("GET", "/api/admin/audit", None),
]
ADMIN_CALL_IDS = [f"{m} {p}" for m, p, _ in ADMIN_CALLS]


def _fill(make_user, path: str, body):
    victim = make_user(role="viewer", do_login=False).username if "{victim}" in path else "x"
    path = path.replace("{victim}", victim)
    if body is not None:
        body = {k: (unique_name("never") if v == "{new}" else v) for k, v in body.items()}
    return path, body


@pytest.mark.parametrize("role", ["viewer", "user"])
@pytest.mark.parametrize("method, path, body", ADMIN_CALLS, ids=ADMIN_CALL_IDS)
def test_non_admin_roles_get_403_on_admin_endpoints(nox, make_user, role, method, path, body):
    user = make_user(role=role)
    path, body = _fill(make_user, path, body)
    resp = request(nox, method, path, token=user.access_token, json_body=body)
    assert_error(resp, 403)


@pytest.mark.parametrize("role", ["viewer", "user"])
def test_non_admin_api_key_gets_403_on_admin_endpoints(nox, make_user, role):
    user = make_user(role=role)
    if role == "viewer":
        resp = request(nox, "POST", "/api/keys", token=user.access_token, json_body={"name": "v"})
        if resp.status_code == 403:
            pytest.skip("viewers may not create keys (no keys:manage)")
        token = assert_json(resp, 201)["key"]
    else:
        token = user.create_key()["key"]
    assert_error(request(nox, "GET", "/api/admin/users", token=token), 403)


@pytest.mark.parametrize("method, path, body", ADMIN_CALLS, ids=ADMIN_CALL_IDS)
def test_admin_endpoints_without_token_are_401(nox, make_user, method, path, body):
    path, body = _fill(make_user, path, body)
    assert_unauthorized(request(nox, method, path, json_body=body))


def test_demoted_admin_loses_admin_access(nox, admin, make_user):
    other = make_user(role="admin")
    assert_json(request(nox, "GET", "/api/admin/users", token=other.access_token), 200)
    resp = request(nox, "PATCH", _user_url(other.username), token=admin.access_token, json_body={"role": "viewer"})
    assert assert_json(resp, 200)["role"] == "viewer"
    fresh = login(nox, other.username, other.password)
    assert_error(request(nox, "GET", "/api/admin/users", token=fresh["access_token"]), 403)


# --------------------------------------------------------------------------- disabled / deleted users


def test_disabled_user_cannot_log_in_and_gets_the_wrong_password_answer(nox, admin, make_user):
    user = make_user(do_login=False)
    wrong = assert_error(login_response(nox, user.username, "wrong-" + user.password), 401)
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token, json_body={"disabled": True})
    body = assert_json(resp, 200)
    if "disabled" in body:
        assert body["disabled"] is True, describe(resp)
    refused = login_response(nox, user.username, user.password)
    err = assert_error(refused, 401)
    assert (err["code"], err["message"]) == (wrong["code"], wrong["message"]), (
        f"disabled-user answer differs from wrong-password answer {wrong}: {describe(refused)}"
    )


def test_disabled_users_access_token_refresh_token_and_keys_are_refused_within_10s(nox, admin, make_user):
    user = make_user()
    key = user.create_key()
    assert_json(me(nox, key["key"]), 200)
    resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token, json_body={"disabled": True})
    assert_json(resp, 200)
    _refused_within(nox, user.access_token)
    _refused_within(nox, key["key"])
    assert_error(refresh(nox, user.refresh_token), 401)


def test_reenabled_user_can_log_in_again(nox, admin, make_user):
    user = make_user(do_login=False)
    for disabled in (True, False):
        resp = request(nox, "PATCH", _user_url(user.username), token=admin.access_token,
                       json_body={"disabled": disabled})
        assert_json(resp, 200)
    tokens = login(nox, user.username, user.password)
    assert_json(me(nox, tokens["access_token"]), 200)


def test_deleted_users_tokens_and_keys_are_refused(nox, admin, make_user):
    user = make_user()
    key = user.create_key()
    resp = request(nox, "DELETE", _user_url(user.username), token=admin.access_token)
    assert resp.status_code == 204, describe(resp)
    _refused_within(nox, user.access_token)
    _refused_within(nox, key["key"])
    assert_error(refresh(nox, user.refresh_token), 401)
    assert_error(login_response(nox, user.username, user.password), 401)


def test_disabled_admin_loses_admin_access(nox, admin, make_user):
    other = make_user(role="admin")
    resp = request(nox, "PATCH", _user_url(other.username), token=admin.access_token, json_body={"disabled": True})
    assert_json(resp, 200)
    deadline = time.monotonic() + REVOCATION_DEADLINE_S + 1
    while True:
        r = request(nox, "GET", "/api/admin/users", token=other.access_token)
        if r.status_code == 401:
            assert_unauthorized(r)
            break
        assert r.status_code == 200, describe(r)
        assert time.monotonic() < deadline, f"disabled admin still served after 10 s: {describe(r)}"
        time.sleep(0.5)
