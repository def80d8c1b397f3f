"""API keys: POST/GET /api/keys, DELETE /api/keys/{id}, scopes and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpers_api import (  # noqa: F401  (make_user is a fixture)
    assert_details_name_field,
    assert_error,
    assert_json,
    assert_unauthorized,
    create_key_response,
    describe,
    get_all_pages,
    make_user,
    me,
    parse_rfc3339,
    request,
    unique_name,
)


def _list_keys(nox, token) -> list[dict]:
    return get_all_pages(nox, "/api/keys", token)


def test_create_key_returns_201_with_secret_shown_once(nox, make_user):
    user = make_user()
    resp = create_key_response(nox, user.access_token, name="ci-key")
    body = assert_json(resp, 201)
    assert set(body) >= {"id", "name", "key", "scopes", "created_at", "expires_at"}, describe(resp)
    assert body["name"] == "ci-key", describe(resp)
    assert isinstance(body["key"], str) and body["key"].startswith("nox_") and len(body["key"]) > 20, describe(resp)
    assert isinstance(body["id"], (str, int)) and str(body["id"]), describe(resp)
    assert str(body["id"]) not in ("", body["key"]), f"the id must not be the secret: {describe(resp)}"
    assert isinstance(body["scopes"], list), describe(resp)
    parse_rfc3339(body["created_at"])
    assert body["expires_at"] is None, f"a key without expires_in_days does not expire: {describe(resp)}"


def test_api_key_works_as_bearer_token(nox, make_user):
    user = make_user()
    key = user.create_key()
    resp = me(nox, key["key"])
    assert assert_json(resp, 200)["username"] == user.username, describe(resp)


def test_key_without_scopes_carries_the_owners_permissions(nox, make_user):
    user = make_user()
    owner_perms = set(assert_json(me(nox, user.access_token), 200)["permissions"])
    key = user.create_key()
    assert set(key["scopes"]) <= owner_perms, f"scopes {key['scopes']} beyond owner's {owner_perms}"


def test_key_list_shows_own_keys_but_never_the_secret(nox, make_user):
    user = make_user()
    other = make_user()
    mine = user.create_key(name="mine")
    theirs = other.create_key(name="theirs")
    resp = request(nox, "GET", "/api/keys", token=user.access_token)
    assert_json(resp, 200)
    assert mine["key"] not in resp.text, f"key list leaks the secret: {describe(resp)}"
    items = _list_keys(nox, user.access_token)
    ids = {str(item["id"]) for item in items}
    assert str(mine["id"]) in ids, f"own key missing from list: {items}"
    assert str(theirs["id"]) not in ids, f"another user's key is listed: {items}"
    entry = next(item for item in items if str(item["id"]) == str(mine["id"]))
    assert entry.get("name") == "mine", entry
    for item in items:
        for value in item.values():
            assert value != mine["key"], f"secret in list item: {item}"


def test_key_list_is_paginated(nox, make_user):
    user = make_user()
    created = {str(user.create_key(name=f"k{i}")["id"]) for i in range(3)}
    items = get_all_pages(nox, "/api/keys", user.access_token, limit=1)
    ids = [str(item["id"]) for item in items]
    assert len(ids) == len(set(ids)), f"duplicate keys across pages: {ids}"
    assert created <= set(ids), f"walking pages of 1 missed keys: {created - set(ids)}"


def test_key_with_scopes_beyond_owner_permissions_is_422(nox, make_user):
    user = make_user(role="user")
    resp = create_key_response(nox, user.access_token, scopes=["admin:users"])
    assert_error(resp, 422)


def test_key_with_unknown_scope_is_422(nox, make_user):
    user = make_user(role="user")
    resp = create_key_response(nox, user.access_token, scopes=["no:such_permission"])
    assert_error(resp, 422)


def test_scoped_key_of_admin_without_admin_users_gets_403_on_admin_endpoints(nox, make_user):
    owner = make_user(role="admin")
    perms = assert_json(me(nox, owner.access_token), 200)["permissions"]
    scopes = [p for p in perms if not p.startswith("admin:")][:2]
    assert scopes, f"admin has no non-admin permissions to scope a key to: {perms}"
    key = owner.create_key(scopes=scopes)
    assert sorted(key["scopes"]) == sorted(scopes), key
    assert_json(me(nox, key["key"]), 200)  # the key authenticates...
    assert_error(request(nox, "GET", "/api/admin/users", token=key["key"]), 403)  # ...but is not allowed
    assert_error(request(nox, "GET", f"/api/admin/users/{owner.username}", token=key["key"]), 403)
    assert_error(
        request(nox, "POST", "/api/admin/users", token=key["key"],
                json_body={"username": unique_name("never"), "password": "pw-123456789", "role": "admin"}),
        403,
    )
    assert_json(request(nox, "GET", "/api/admin/users", token=owner.access_token), 200)  # the owner still may


def test_scoped_key_with_admin_users_may_use_admin_endpoints(nox, make_user):
    owner = make_user(role="admin")
    key = owner.create_key(scopes=["admin:users"])
    assert_json(request(nox, "GET", "/api/admin/users", token=key["key"]), 200)


def test_scoped_key_without_admin_audit_gets_403_on_audit(nox, make_user):
    owner = make_user(role="admin")
    key = owner.create_key(scopes=["admin:users"])
    assert_error(request(nox, "GET", "/api/admin/audit", token=key["key"]), 403)


def test_key_cannot_mint_keys_with_more_scopes_than_itself(nox, make_user):
    owner = make_user(role="admin")
    key = owner.create_key(scopes=["keys:manage"])
    resp = create_key_response(nox, key["key"], scopes=["admin:users"])
    assert resp.status_code in (403, 422), f"a key escalated its own scopes: {describe(resp)}"
    assert_error(resp, resp.status_code)


def test_deleted_key_is_refused_at_once(nox, make_user):
    user = make_user()
    key = user.create_key()
    assert_json(me(nox, key["key"]), 200)
    resp = request(nox, "DELETE", f"/api/keys/{key['id']}", token=user.access_token)
    assert resp.status_code == 204, describe(resp)
    assert resp.content == b"", describe(resp)
    assert_unauthorized(me(nox, key["key"]))  # immediately, no grace period
    ids = {str(item["id"]) for item in _list_keys(nox, user.access_token)}
    assert str(key["id"]) not in ids, "deleted key still listed"
    assert_error(request(nox, "DELETE", f"/api/keys/{key['id']}", token=user.access_token), 404)


def test_deleting_another_users_key_is_404_and_leaves_it_working(nox, make_user):
    owner = make_user()
    intruder = make_user()
    key = owner.create_key()
    assert_error(request(nox, "DELETE", f"/api/keys/{key['id']}", token=intruder.access_token), 404)
    assert_json(me(nox, key["key"]), 200)


def test_deleting_unknown_key_is_404(nox, make_user):
    """An id shaped like a real one (same format) that names no key."""
    import uuid

    user = make_user()
    real = user.create_key()["id"]
    if isinstance(real, int):
        unknown = str(real + 10**6)
    else:
        try:
            uuid.UUID(str(real))
            unknown = str(uuid.uuid4())
        except ValueError:
            unknown = str(real)[:-4] + ("zzzz" if not str(real).endswith("zzzz") else "yyyy")
    assert_error(request(nox, "DELETE", f"/api/keys/{unknown}", token=user.access_token), 404)


def test_key_can_delete_itself(nox, make_user):
    user = make_user()
    key = user.create_key()
    resp = request(nox, "DELETE", f"/api/keys/{key['id']}", token=key["key"])
    assert resp.status_code == 204, describe(resp)
    assert_unauthorized(me(nox, key["key"]))


def test_expires_in_days_sets_expires_at(nox, make_user):
    user = make_user()
    key = user.create_key(expires_in_days=7)
    created = parse_rfc3339(key["created_at"])
    expires = parse_rfc3339(key["expires_at"])
    assert abs((expires - created) - timedelta(days=7)) <= timedelta(minutes=2), key
    assert_json(me(nox, key["key"]), 200)  # not expired yet
    listed = next(i for i in _list_keys(nox, user.access_token) if str(i["id"]) == str(key["id"]))
    assert listed.get("expires_at") and parse_rfc3339(listed["expires_at"]) == expires, listed


def test_keys_endpoints_need_authentication(nox):
    assert_unauthorized(request(nox, "GET", "/api/keys"))
    assert_unauthorized(request(nox, "POST", "/api/keys", json_body={"name": "x"}))
    assert_unauthorized(request(nox, "DELETE", "/api/keys/1"))


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": 123}, "name"),
        ({"name": None}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "k", "scopes": "exec:run"}, "scopes"),
        ({"name": "k", "scopes": [1, 2]}, "scopes"),
        ({"name": "k", "scopes": {"exec:run": True}}, "scopes"),
        ({"name": "k", "expires_in_days": "7"}, "expires_in_days"),
        ({"name": "k", "expires_in_days": -1}, "expires_in_days"),
        ({"name": "k", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "k", "expires_in_days": 1.5}, "expires_in_days"),
        ({"name": "k", "expires_in_days": 10**30}, "expires_in_days"),
    ],
    ids=[
        "name-missing", "name-number", "name-null", "name-array", "scopes-string", "scopes-numbers",
        "scopes-object", "days-string", "days-negative", "days-zero", "days-fraction", "days-huge",
    ],
)
def test_invalid_key_request_is_422_naming_the_field(nox, make_user, body, field):
    user = make_user()
    resp = request(nox, "POST", "/api/keys", token=user.access_token, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, field, resp)
