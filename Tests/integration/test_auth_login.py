"""POST /api/auth/login, the JWT access token and the JWKS at GET /api/auth/keys."""

from __future__ import annotations

import json
import time

import pytest

from helpers_api import (  # noqa: F401  (make_user is a fixture)
    assert_error,
    assert_json,
    assert_unauthorized,
    b64url_decode,
    b64url_encode,
    describe,
    fetch_jwks,
    jwk_verify,
    jwt_decode_unverified,
    login_response,
    make_user,
    me,
    request,
    unique_name,
)


def test_login_returns_bearer_token_pair_with_default_lifetime(nox, make_user):
    user = make_user(role="user", do_login=False)
    resp = login_response(nox, user.username, user.password)
    body = assert_json(resp, 200)
    assert set(body) >= {"access_token", "refresh_token", "token_type", "expires_in"}, describe(resp)
    assert body["token_type"] == "Bearer", describe(resp)
    assert isinstance(body["access_token"], str) and body["access_token"], describe(resp)
    assert isinstance(body["refresh_token"], str) and body["refresh_token"], describe(resp)
    assert body["access_token"] != body["refresh_token"], describe(resp)
    assert isinstance(body["expires_in"], int) and not isinstance(body["expires_in"], bool), describe(resp)
    assert body["expires_in"] == 900, f"default access-token life is 900 s: {describe(resp)}"


def test_login_access_token_opens_protected_endpoint(nox, make_user):
    user = make_user(role="user")
    resp = me(nox, user.access_token)
    body = assert_json(resp, 200)
    assert body["username"] == user.username, describe(resp)


def test_login_with_wrong_password_is_401_json_error(nox, make_user):
    user = make_user(role="user", do_login=False)
    resp = login_response(nox, user.username, user.password + "x")
    assert_error(resp, 401)
    assert "access_token" not in resp.text and "refresh_token" not in resp.text, describe(resp)


def test_login_with_unknown_user_answers_like_wrong_password(nox, make_user):
    """No account enumeration: an unknown username gets the wrong-password answer."""
    user = make_user(role="user", do_login=False)
    wrong = assert_error(login_response(nox, user.username, "not-the-password"), 401)
    unknown = assert_error(login_response(nox, unique_name("ghost"), "not-the-password"), 401)
    assert unknown["code"] == wrong["code"], f"unknown user {unknown} vs wrong password {wrong}"
    assert unknown["message"] == wrong["message"], f"unknown user {unknown} vs wrong password {wrong}"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer ", "Bearer garbage", "Basic YWRtaW46YWRtaW4=", "Bearer nox_notarealkey", "garbage"],
    ids=["no-header", "bearer-no-token", "bearer-empty", "bearer-garbage", "basic-scheme", "unknown-api-key", "no-scheme"],
)
def test_protected_endpoint_without_valid_token_is_401_with_bearer_challenge(nox, authorization):
    headers = {"Authorization": authorization} if authorization is not None else None
    resp = request(nox, "GET", "/api/auth/me", headers=headers)
    assert_unauthorized(resp)


def test_jwks_is_public_and_has_only_public_keys(nox):
    resp = request(nox, "GET", "/api/auth/keys")  # no Authorization header
    body = assert_json(resp, 200)
    assert isinstance(body.get("keys"), list) and body["keys"], describe(resp)
    for jwk in body["keys"]:
        assert isinstance(jwk.get("kid"), str) and jwk["kid"], f"every JWK needs a kid: {describe(resp)}"
        assert jwk.get("kty") in ("OKP", "EC"), f"expected an Ed25519 (OKP) or P-256 (EC) key: {describe(resp)}"
        for private in ("d", "p", "q", "dp", "dq", "qi", "k"):
            assert private not in jwk, f"JWKS leaks private key material {private!r}: {describe(resp)}"
    kids = [jwk["kid"] for jwk in body["keys"]]
    assert len(kids) == len(set(kids)), f"duplicate kids: {describe(resp)}"


def test_access_token_is_asymmetric_jwt_with_kid_from_jwks(nox, make_user):
    user = make_user(role="user")
    header, payload, _ = jwt_decode_unverified(user.access_token)
    assert header.get("alg") in ("EdDSA", "ES256"), f"JWT alg must be EdDSA or ES256: {header}"
    kids = {jwk["kid"] for jwk in fetch_jwks(nox)["keys"]}
    assert header.get("kid") in kids, f"JWT kid {header.get('kid')!r} not in JWKS kids {kids}"


def test_access_token_signature_verifies_with_jwks(nox, make_user):
    user = make_user(role="user")
    token = user.access_token
    header, _, signature = jwt_decode_unverified(token)
    jwk = next(k for k in fetch_jwks(nox)["keys"] if k["kid"] == header["kid"])
    signing_input = token.rsplit(".", 1)[0].encode()
    assert jwk_verify(jwk, header["alg"], signing_input, signature), f"signature does not verify with {jwk}"


def test_access_token_exp_is_integer_expires_in_from_now(nox, make_user):
    user = make_user(role="user", do_login=False)
    before = time.time()
    tokens = user.login()
    after = time.time()
    _, payload, _ = jwt_decode_unverified(tokens["access_token"])
    exp = payload.get("exp")
    assert isinstance(exp, int) and not isinstance(exp, bool), f"exp must be an integer NumericDate: {payload}"
    assert before + tokens["expires_in"] - 5 <= exp <= after + tokens["expires_in"] + 5, (
        f"exp {exp} is not now + expires_in ({tokens['expires_in']}): now={after:.0f} payload={payload}"
    )
    if "iat" in payload:
        assert isinstance(payload["iat"], int), f"iat must be an integer: {payload}"


def _forge(token: str, how: str) -> str:
    """Builds an invalid variant of a genuine access token."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    import hashlib
    import hmac

    h64, p64, s64 = token.split(".")
    header = json.loads(b64url_decode(h64))
    payload = json.loads(b64url_decode(p64))
    enc = lambda obj: b64url_encode(json.dumps(obj, separators=(",", ":")).encode())  # noqa: E731
    if how == "payload-altered":
        payload["exp"] = int(payload.get("exp", time.time())) + 86400
        payload["role"] = "admin"
        if "sub" in payload:
            payload["sub"] = "admin"
        return f"{h64}.{enc(payload)}.{s64}"
    if how == "signature-bit-flipped":
        sig = bytearray(b64url_decode(s64))
        sig[len(sig) // 2] ^= 0x01
        return f"{h64}.{p64}.{b64url_encode(bytes(sig))}"
    if how == "signature-stripped":
        return f"{h64}.{p64}."
    if how == "two-parts":
        return f"{h64}.{p64}"
    if how == "alg-none":
        return f"{enc({**header, 'alg': 'none'})}.{p64}."
    if how == "foreign-key-same-kid":
        other = Ed25519PrivateKey.generate()
        h = enc({**header, "alg": "EdDSA"})
        return f"{h}.{p64}.{b64url_encode(other.sign(f'{h}.{p64}'.encode()))}"
    if how == "hs256-with-kid-as-secret":
        h = enc({**header, "alg": "HS256"})
        mac = hmac.new(str(header.get("kid", "")).encode(), f"{h}.{p64}".encode(), hashlib.sha256).digest()
        return f"{h}.{p64}.{b64url_encode(mac)}"
    if how == "unknown-kid":
        return f"{enc({**header, 'kid': 'no-such-kid'})}.{p64}.{s64}"
    raise AssertionError(how)


FORGERIES = [
    "payload-altered",
    "signature-bit-flipped",
    "signature-stripped",
    "two-parts",
    "alg-none",
    "foreign-key-same-kid",
    "hs256-with-kid-as-secret",
    "unknown-kid",
]


@pytest.mark.parametrize("how", FORGERIES)
def test_forged_or_altered_access_token_is_refused(nox, make_user, how):
    user = make_user(role="viewer")
    assert_json(me(nox, user.access_token), 200)  # the genuine token works
    resp = me(nox, _forge(user.access_token, how))
    assert_unauthorized(resp)


def test_forged_token_cannot_reach_admin_endpoints(nox, make_user):
    user = make_user(role="viewer")
    resp = request(nox, "GET", "/api/admin/users", token=_forge(user.access_token, "payload-altered"))
    assert_unauthorized(resp)

