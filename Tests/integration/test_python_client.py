"""The Python client (clients/python, package ``nox_client``) against the installed Nox:
sign-in, transparent refresh, tokens, API keys, JWKS, users, quotas, audit, error classes,
and retrying on 429 with Retry-After.

The client is used exactly as a user would import it; this folder's ``sys.path`` insertion
stands in for ``pip install clients/python``. The fixtures here (``pyadmin``,
``make_pyuser``) are imported by the other ``test_python_client_*`` modules.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

import pytest

from helpers_api import bootstrap_admin_password, new_password, unique_name

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))

from nox_client import (  # noqa: E402
    ForbiddenError,
    InvalidCredentialsError,
    NotFoundError,
    NoxClient,
    RateLimitedError,
    RetryPolicy,
    UnauthorizedError,
    UserExistsError,
    ValidationError,
)

HIGH_RATE = {"requests_per_minute": 100000}


def connect(nox, **kwargs) -> NoxClient:
    return NoxClient(nox.url, verify=nox.verify, timeout=60, **kwargs)


@pytest.fixture(scope="module")
def pyadmin(nox):
    """An administrator of its own, created through the client by the package's ``admin``."""
    with connect(nox, username="admin", password=bootstrap_admin_password(nox)) as boot:
        name, password = unique_name("pyadm"), new_password()
        boot.admin.create_user(name, password, "admin", quotas=HIGH_RATE)
    client = connect(nox, username=name, password=password)
    yield client
    client.close()


@pytest.fixture
def make_pyuser(nox, pyadmin):
    """``make_pyuser(role="user", quotas=None) -> (NoxClient, username, password)``: a fresh
    user signed in with the client; deleted again afterwards."""
    made: list[tuple[str, NoxClient]] = []

    def factory(role: str = "user", quotas: dict | None = None, **client_args):
        name, password = unique_name("py"), new_password()
        pyadmin.admin.create_user(name, password, role, quotas={**HIGH_RATE, **(quotas or {})})
        client = connect(nox, username=name, password=password, **client_args)
        made.append((name, client))
        return client, name, password

    yield factory
    for name, client in made:
        client.close()
        try:
            pyadmin.admin.delete_user(name)
        except NotFoundError:
            pass


def tampered(jwt: str) -> str:
    """The same token with a signature that no longer verifies."""
    head, payload, sig = jwt.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[0] ^= 0xFF
    return ".".join([head, payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()])


# =========================================================================== auth


def test_login_me_refresh_logout(nox, make_pyuser):
    _, name, password = make_pyuser()
    with connect(nox) as client:
        pair = client.auth.login(name, password)
        assert pair.token_type == "Bearer" and pair.expires_in > 0 and pair.refresh_token
        me = client.auth.me()
        assert (me.username, me.role, me.key_id) == (name, "user", None)
        assert me.can("exec:run") and me.quotas.requests_per_minute == HIGH_RATE["requests_per_minute"]
        fresh = client.auth.refresh()
        assert fresh.access_token != pair.access_token and fresh.refresh_token != pair.refresh_token
        assert client.auth.me().username == name
        client.auth.logout()
        assert client.credentials.access_token is None
        with pytest.raises(UnauthorizedError) as info:
            client.auth.me()
        assert info.value.status == 401 and info.value.request_id
        with pytest.raises(UnauthorizedError):
            client.auth.refresh(fresh.refresh_token)  # the family is revoked


def test_a_spent_refresh_token_revokes_its_family(nox, make_pyuser):
    client, _, _ = make_pyuser()
    client.auth.me()  # signs in
    spent = client.credentials.refresh_token
    client.auth.refresh()
    with connect(nox) as other, pytest.raises(UnauthorizedError):
        other.auth.refresh(spent)
    with pytest.raises(UnauthorizedError):
        client.auth.refresh()  # the current token went with its family


def test_a_rejected_access_token_is_renewed_transparently(nox, make_pyuser):
    client, name, _ = make_pyuser()
    client.auth.me()  # signs in
    bad = tampered(client.credentials.access_token)
    client.credentials.access_token = bad
    assert client.auth.me().username == name
    assert client.credentials.access_token not in (None, bad)


def test_an_expired_token_with_only_a_refresh_token_is_refreshed(nox, make_pyuser):
    _, name, password = make_pyuser()
    with connect(nox) as signer:
        pair = signer.auth.login(name, password)
    seen = []
    with connect(nox, token=tampered(pair.access_token), refresh_token=pair.refresh_token,
                 on_tokens=seen.append) as client:
        assert client.auth.me().username == name
        assert len(seen) == 1 and seen[0].access_token == client.credentials.access_token
        client.credentials.expires_at = time.time() - 1  # as if it had run out: renewed before sending
        assert client.auth.me().username == name
        assert len(seen) == 2


def test_wrong_password_and_disabled_user_are_invalid_credentials(nox, pyadmin, make_pyuser):
    _, name, password = make_pyuser()
    with connect(nox, username=name, password=password + "x", retry=RetryPolicy.disabled()) as wrong:
        with pytest.raises(InvalidCredentialsError) as info:
            wrong.auth.me()
    assert info.value.status == 401 and isinstance(info.value, UnauthorizedError)
    assert pyadmin.admin.disable_user(name).disabled is True
    with connect(nox, username=name, password=password) as client, pytest.raises(InvalidCredentialsError):
        client.auth.me()
    assert pyadmin.admin.enable_user(name).disabled is False
    with connect(nox, username=name, password=password) as client:
        assert client.auth.me().username == name


def test_jwks_names_the_key_of_every_token(nox, make_pyuser):
    client, _, _ = make_pyuser()
    client.auth.me()
    header = json.loads(base64.urlsafe_b64decode(client.credentials.access_token.split(".")[0] + "=="))
    with connect(nox) as anonymous:
        jwks = anonymous.auth.jwks()
    key = jwks.get(header["kid"])
    assert key is not None and (key.kty, key.crv, key.alg, key.use) == ("OKP", "Ed25519", "EdDSA", "sig")


# =========================================================================== API keys


def test_api_keys_create_use_list_delete(nox, make_pyuser):
    client, name, _ = make_pyuser()
    key = client.keys.create("ci", scopes=["files:read"], expires_in_days=7)
    assert key.key and key.key.startswith("nox_") and key.scopes == ["files:read"] and key.expires_at is not None
    with connect(nox, token=key.key) as keyed:
        me = keyed.auth.me()
        assert (me.username, me.key_id, me.permissions) == (name, key.id, ["files:read"])
        assert keyed.files.list().items == []
        with pytest.raises(ForbiddenError) as info:
            keyed.exec.run("python", "print(1)")
        assert info.value.details.get("permission") == "exec:run"
        listed = {k.id: k for k in client.keys.iter(page_size=1)}
        assert key.id in listed and listed[key.id].key is None and listed[key.id].prefix == key.key[:12]
        client.keys.delete(key.id)
        with pytest.raises(UnauthorizedError):
            keyed.auth.me()
    assert key.id not in {k.id for k in client.keys.iter()}
    with pytest.raises(NotFoundError):
        client.keys.delete(key.id)


def test_a_key_scope_beyond_the_owner_is_a_validation_error(make_pyuser):
    client, _, _ = make_pyuser()
    with pytest.raises(ValidationError) as info:
        client.keys.create("too-much", scopes=["admin:users"])
    assert info.value.status == 422 and info.value.field == "scopes"


# =========================================================================== admin


def test_users_create_list_show_change_delete(nox, pyadmin, make_pyuser):
    _, name, password = make_pyuser()
    with pytest.raises(UserExistsError):
        pyadmin.admin.create_user(name, password, "user")
    with pytest.raises(ValidationError) as info:
        pyadmin.admin.create_user("Not A Name", password, "user")
    assert info.value.field == "username"
    user = pyadmin.admin.get_user(name)
    assert user.role == "user" and not user.disabled and user.created_at is not None
    assert name in {u.username for u in pyadmin.admin.iter_users(page_size=2)}
    page = pyadmin.admin.list_users(limit=1)
    assert len(page.items) == 1 and page.next_cursor

    changed = pyadmin.admin.update_user(name, role="viewer", quotas={"memory_mb": 200, "disk_mb": 7})
    assert (changed.role, changed.quotas.memory_mb, changed.quotas.disk_mb) == ("viewer", 200, 7)
    default = pyadmin.admin.set_quotas(name, memory_mb=None)
    assert default.quotas.memory_mb != 200 and default.quotas.disk_mb == 7
    pyadmin.admin.update_user(name, password="another-password-1")
    with connect(nox, username=name, password="another-password-1") as client:
        assert client.auth.me().role == "viewer"

    pyadmin.admin.delete_user(name)
    with pytest.raises(NotFoundError):
        pyadmin.admin.get_user(name)


def test_a_plain_user_is_forbidden_admin_calls(make_pyuser):
    client, _, _ = make_pyuser()
    with pytest.raises(ForbiddenError) as info:
        client.admin.list_users()
    assert info.value.status == 403


def test_audit_records_the_clients_actions(nox, pyadmin, make_pyuser):
    started = time.time() - 5
    client, name, _ = make_pyuser()
    client.auth.me()  # the sign-in
    key = client.keys.create("audited")
    client.keys.delete(key.id)
    events = list(pyadmin.admin.iter_audit(user=name, since=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                             time.gmtime(started)), page_size=2))
    actions = {(e.action, e.outcome) for e in events}
    assert {("auth.login", "success"), ("key.create", "success"), ("key.delete", "success")} <= actions
    assert all(e.user == name and e.time is not None for e in events)
    logins = pyadmin.admin.audit(user=name, action="auth.login", limit=5).items
    assert logins and all(e.action == "auth.login" for e in logins)


# =========================================================================== errors and retries


def test_errors_carry_the_request_id_that_was_sent(nox, make_pyuser):
    client, _, _ = make_pyuser(headers={"X-Request-Id": "pyclient-test-0001"})
    with pytest.raises(NotFoundError) as info:
        client.files.read_bytes("no/such/file.txt")
    err = info.value
    assert (err.status, err.code, err.request_id) == (404, "not_found", "pyclient-test-0001")
    assert err.message


def test_rate_limit_is_waited_out_with_retry_after(nox, make_pyuser):
    """A user over ``requests_per_minute`` gets 429 with Retry-After; the client waits that
    long (really: the server must let the retry through) and every call succeeds."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    client, name, password = make_pyuser(quotas={"requests_per_minute": 30},
                                         retry=RetryPolicy(max_retries=5, sleep=sleep))
    for _ in range(36):
        assert client.auth.me().username == name
    assert waits, "expected at least one 429 to be retried"
    assert all(1 <= w <= 60 and float(w).is_integer() for w in waits), waits

    with connect(nox, username=name, password=password, retry=RetryPolicy.disabled()) as impatient:
        with pytest.raises(RateLimitedError) as info:
            for _ in range(40):
                impatient.auth.me()
    assert info.value.status == 429 and info.value.retry_after and info.value.retry_after >= 1
