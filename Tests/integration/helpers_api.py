"""A tiny black-box client for the Nox HTTP API, written from docs/API.md only.

Used by the ``test_auth_*`` modules. Everything goes through nginx over HTTPS
(``nox.url``), exactly as a user would call it. Every request carries a timeout.

Also exports two pytest fixtures the test modules import by name:

* ``admin``     — a logged-in :class:`Client` with the ``admin`` role (a dedicated
                  test administrator created once per session by the packaged
                  ``admin`` account, so tests don't share the bootstrap account).
* ``make_user`` — a factory ``make_user(role="user", quotas=None) -> Client`` that
                  creates a fresh uniquely named user and logs it in; users are
                  deleted again (best effort) when the test ends.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import re
import select
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import pytest
import requests
import urllib3

# The sandbox's certificate is self-signed; the nox fixture decides whether to verify it.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

TIMEOUT = 15  # seconds, for every single HTTP request
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ERROR_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
QUOTA_FIELDS = (
    "cpu_percent",
    "memory_mb",
    "tasks_max",
    "max_concurrent",
    "exec_timeout_s",
    "disk_mb",
    "requests_per_minute",
)
AUDIT_FIELDS = ("time", "user", "action", "target", "outcome", "request_id", "source_ip")
# Texts that betray a leaked stack trace / crash report in a response body.
STACK_TRACE_MARKERS = (
    "Traceback",
    "Fatal error",
    "fatalError",
    "Stack trace",
    "stack trace",
    ".swift:",
    "Swift runtime failure",
    "SIGSEGV",
    "SIGILL",
    "Thread 0",
    "<html",  # nginx's default error pages are HTML, not the JSON shape
)
LOOPBACK_ADDRESSES = ("127.0.0.1", "::ffff:127.0.0.1", "::1")


# --------------------------------------------------------------------------- basics


def unique_name(prefix: str = "t") -> str:
    """A fresh username matching ``^[a-z][a-z0-9_]{0,31}$``."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    assert USERNAME_RE.match(name), name
    return name


def new_request_id() -> str:
    return f"test-{uuid.uuid4().hex}"


def new_password() -> str:
    return f"pw-{uuid.uuid4().hex}-Aa1!"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def utc_now_rfc3339(offset_s: float = 0.0) -> str:
    t = datetime.fromtimestamp(time.time() + offset_s, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: Any) -> datetime:
    """Parses an RFC 3339 timestamp and insists it is UTC."""
    assert isinstance(value, str), f"expected an RFC 3339 string, got {value!r}"
    assert re.match(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", value), (
        f"not an RFC 3339 timestamp: {value!r}"
    )
    parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0, (
        f"timestamp is not UTC: {value!r}"
    )
    return parsed


def describe(resp: requests.Response) -> str:
    """A one-paragraph description of a response, for assertion messages."""
    req = resp.request
    interesting = {
        k: v
        for k, v in resp.headers.items()
        if k.lower() in ("content-type", "x-request-id", "www-authenticate", "retry-after", "allow", "location")
    }
    sent_id = req.headers.get("X-Request-Id") if req is not None else None
    body = resp.text
    if len(body) > 2000:
        body = body[:2000] + f"... ({len(resp.text)} chars)"
    method = req.method if req is not None else "?"
    return (
        f"{method} {resp.url} -> {resp.status_code} (sent X-Request-Id={sent_id}) "
        f"headers={interesting} body={body!r}"
    )


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.25, what: str = "condition"):
    """Polls ``predicate`` until it returns something truthy; returns that value or fails."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")
        time.sleep(interval)


# --------------------------------------------------------------------------- requests


def request(
    nox,
    method: str,
    path: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    data: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    request_id: str | None | bool = None,
    timeout: float = TIMEOUT,
) -> requests.Response:
    """One HTTP request through nginx.

    ``request_id``: None → send a fresh test id (so every failure message can be
    grepped in the journal); a string → send exactly that; False → send none.
    """
    hdrs: dict[str, str] = {}
    if request_id is None:
        request_id = new_request_id()
    if request_id is not False:
        hdrs["X-Request-Id"] = str(request_id)
    if token is not None:
        hdrs.update(bearer(token))
    if json_body is not None:
        data = json.dumps(json_body)
        hdrs["Content-Type"] = "application/json"
    if headers:
        hdrs.update(headers)
    return requests.request(
        method,
        nox.url + path,
        data=data,
        headers=hdrs,
        params=params,
        verify=nox.verify,
        timeout=timeout,
        allow_redirects=False,
    )


def json_of(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        pytest.fail(f"response body is not JSON: {describe(resp)}")


def assert_json(resp: requests.Response, status: int) -> Any:
    """Asserts the status and a JSON body; returns the decoded body."""
    assert resp.status_code == status, f"expected {status}: {describe(resp)}"
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/json", (
        f"expected Content-Type application/json: {describe(resp)}"
    )
    assert resp.headers.get("X-Request-Id"), f"no X-Request-Id on the response: {describe(resp)}"
    return json_of(resp)


def assert_no_stack_trace(resp: requests.Response) -> None:
    for marker in STACK_TRACE_MARKERS:
        assert marker not in resp.text, f"response leaks internals ({marker!r}): {describe(resp)}"


def assert_request_id_echoed(resp: requests.Response) -> None:
    got = resp.headers.get("X-Request-Id")
    assert got, f"no X-Request-Id on the response: {describe(resp)}"
    sent = resp.request.headers.get("X-Request-Id") if resp.request is not None else None
    if sent:
        assert got == sent, f"X-Request-Id not echoed (sent {sent!r}, got {got!r}): {describe(resp)}"


def assert_error(resp: requests.Response, status: int, code: str | None = None) -> dict:
    """Asserts the contract's JSON error shape and returns the ``error`` object.

    ``{"error": {"code": "snake_case", "message": "human sentence", "details": {...}?}}``,
    ``Content-Type: application/json``, ``X-Request-Id`` present (and equal to the one
    sent, if any), never a stack trace. ``code=None`` accepts any snake_case code.
    """
    assert resp.status_code == status, f"expected {status}: {describe(resp)}"
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/json", (
        f"error response is not application/json: {describe(resp)}"
    )
    assert_request_id_echoed(resp)
    assert_no_stack_trace(resp)
    body = json_of(resp)
    assert isinstance(body, dict) and set(body) == {"error"}, (
        f"error body must be exactly {{'error': {{...}}}}: {describe(resp)}"
    )
    err = body["error"]
    assert isinstance(err, dict), f"'error' must be an object: {describe(resp)}"
    assert set(err) <= {"code", "message", "details"}, f"unexpected keys in error object: {describe(resp)}"
    assert isinstance(err.get("code"), str) and ERROR_CODE_RE.match(err["code"]), (
        f"error.code must be a snake_case string: {describe(resp)}"
    )
    assert isinstance(err.get("message"), str) and err["message"].strip(), (
        f"error.message must be a non-empty string: {describe(resp)}"
    )
    if "details" in err:
        assert err["details"] is None or isinstance(err["details"], dict), (
            f"error.details must be an object when present: {describe(resp)}"
        )
    if code is not None:
        assert err["code"] == code, f"expected error code {code!r}: {describe(resp)}"
    return err


def assert_details_name_field(err: dict, field_name: str, resp: requests.Response) -> None:
    """``details`` must name the offending field (anywhere in its JSON text)."""
    details = err.get("details")
    assert details, f"validation error without details naming {field_name!r}: {describe(resp)}"
    assert field_name in json.dumps(details), f"details do not name the field {field_name!r}: {describe(resp)}"


def assert_unauthorized(resp: requests.Response) -> dict:
    """401 on a protected endpoint: JSON error shape plus ``WWW-Authenticate: Bearer``."""
    err = assert_error(resp, 401)
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.split(" ")[0].split(",")[0].lower() == "bearer", (
        f"401 without 'WWW-Authenticate: Bearer': {describe(resp)}"
    )
    return err


def get_all_pages(
    nox, path: str, token: str, params: dict | None = None, limit: int | None = None, max_pages: int = 2000
) -> list[dict]:
    """Walks a paginated list (``{items, next_cursor}``) and returns all items."""
    items: list[dict] = []
    cursor = None
    seen_cursors = set()
    for _ in range(max_pages):
        p = dict(params or {})
        if limit is not None:
            p["limit"] = limit
        if cursor is not None:
            p["cursor"] = cursor
        resp = request(nox, "GET", path, token=token, params=p)
        body = assert_json(resp, 200)
        assert isinstance(body, dict) and "items" in body and "next_cursor" in body, (
            f"paginated list must be {{items, next_cursor}}: {describe(resp)}"
        )
        assert isinstance(body["items"], list), describe(resp)
        if limit is not None:
            assert len(body["items"]) <= limit, f"page longer than limit={limit}: {describe(resp)}"
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert isinstance(cursor, str) and cursor, f"next_cursor must be a string or null: {describe(resp)}"
        assert cursor not in seen_cursors, f"pagination loops (cursor {cursor!r} seen before): {describe(resp)}"
        seen_cursors.add(cursor)
    pytest.fail(f"{path}: more than {max_pages} pages, giving up")


# --------------------------------------------------------------------------- auth flows


def post_login(nox, username: str, password: str, **kw) -> requests.Response:
    return request(nox, "POST", "/api/auth/login", json_body={"username": username, "password": password}, **kw)


def login_response(nox, username: str, password: str, *, max_backoff_wait: float = 300, **kw) -> requests.Response:
    """Logs in, waiting out a 429 (``Retry-After``) caused by other tests' failed logins.

    The suite shares one client address (127.0.0.1 as nginx sees it), and the contract
    backs off per address; this keeps unrelated tests independent of that.
    """
    deadline = time.monotonic() + max_backoff_wait
    while True:
        resp = post_login(nox, username, password, **kw)
        if resp.status_code != 429:
            return resp
        retry_after = resp.headers.get("Retry-After", "")
        assert retry_after.isdigit(), f"429 without an integer Retry-After: {describe(resp)}"
        wait = max(1, int(retry_after))
        if time.monotonic() + wait > deadline:
            pytest.fail(f"login for {username!r} still backing off after {max_backoff_wait}s: {describe(resp)}")
        time.sleep(wait)


def login(nox, username: str, password: str) -> dict:
    """Logs in and returns the token pair (asserting the contract's fields)."""
    resp = login_response(nox, username, password)
    body = assert_json(resp, 200)
    for key in ("access_token", "refresh_token", "token_type", "expires_in"):
        assert key in body, f"login response lacks {key!r}: {describe(resp)}"
    return body


def refresh(nox, refresh_token: str, **kw) -> requests.Response:
    return request(nox, "POST", "/api/auth/refresh", json_body={"refresh_token": refresh_token}, **kw)


def logout(nox, refresh_token: str, **kw) -> requests.Response:
    return request(nox, "POST", "/api/auth/logout", json_body={"refresh_token": refresh_token}, **kw)


def me(nox, token: str, **kw) -> requests.Response:
    return request(nox, "GET", "/api/auth/me", token=token, **kw)


@dataclass
class Client:
    """A logged-in user: its credentials, role and current token pair."""

    nox: Any
    username: str
    password: str
    role: str
    tokens: dict = field(default_factory=dict)
    obtained_at: float = 0.0
    relogin: bool = False  # re-login transparently when the access token is about to expire

    @property
    def access_token(self) -> str:
        if self.relogin and time.monotonic() - self.obtained_at > int(self.tokens.get("expires_in", 900)) - 120:
            self.login()
        return self.tokens["access_token"]

    @property
    def refresh_token(self) -> str:
        return self.tokens["refresh_token"]

    def login(self) -> dict:
        self.tokens = login(self.nox, self.username, self.password)
        self.obtained_at = time.monotonic()
        return self.tokens

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("token", self.access_token)
        return request(self.nox, method, path, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> requests.Response:
        return self.request("POST", path, json_body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw) -> requests.Response:
        return self.request("PATCH", path, json_body=body, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def create_key(self, name: str | None = None, scopes: list[str] | None = None, expires_in_days=None) -> dict:
        return create_key(self.nox, self.access_token, name=name, scopes=scopes, expires_in_days=expires_in_days)


def create_user_response(
    nox, admin_token: str, username: str, password: str, role: str = "user", quotas: dict | None = None, **kw
) -> requests.Response:
    body: dict[str, Any] = {"username": username, "password": password, "role": role}
    if quotas is not None:
        body["quotas"] = quotas
    return request(nox, "POST", "/api/admin/users", token=admin_token, json_body=body, **kw)


def create_user(
    nox, admin_token: str, role: str = "user", quotas: dict | None = None, username: str | None = None,
    password: str | None = None,
) -> tuple[str, str, dict]:
    """Creates a user through the admin API; returns (username, password, response body)."""
    username = username or unique_name(role[:1] if role else "u")
    password = password or new_password()
    resp = create_user_response(nox, admin_token, username, password, role, quotas)
    body = assert_json(resp, 201)
    return username, password, body


def create_key_response(nox, token: str, name: str | None = None, scopes=None, expires_in_days=None, **kw):
    body: dict[str, Any] = {"name": name or f"key-{uuid.uuid4().hex[:8]}"}
    if scopes is not None:
        body["scopes"] = scopes
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    return request(nox, "POST", "/api/keys", token=token, json_body=body, **kw)


def create_key(nox, token: str, name: str | None = None, scopes=None, expires_in_days=None) -> dict:
    """Creates an API key (asserting 201) and returns the response body, secret included."""
    resp = create_key_response(nox, token, name=name, scopes=scopes, expires_in_days=expires_in_days)
    body = assert_json(resp, 201)
    assert isinstance(body.get("key"), str) and body["key"].startswith("nox_"), (
        f"API key secret must start with 'nox_': {describe(resp)}"
    )
    return body


# --------------------------------------------------------------------------- session admin

_ADMIN_CACHE: dict[int, Client] = {}


def bootstrap_admin_password(nox) -> str:
    password = getattr(nox, "admin_password", None) or read_admin_password(nox)
    if not password:
        pytest.fail(f"cannot find the first admin's password (looked in {ADMIN_PASSWORD_FILES})")
    return password


def admin_client(nox) -> Client:
    """A dedicated test administrator, created once per Nox installation by ``admin``.

    It asks for a generous ``requests_per_minute`` so the whole suite, which runs as
    one address and one admin, is not throttled by the per-user limiter; if the
    server refuses that value, it falls back to the defaults.
    """
    cached = _ADMIN_CACHE.get(id(nox))
    if cached is not None:
        return cached
    boot = Client(nox, "admin", bootstrap_admin_password(nox), "admin", relogin=True)
    boot.login()
    username = unique_name("tadmin")
    password = new_password()
    resp = create_user_response(
        nox, boot.access_token, username, password, "admin", quotas={"requests_per_minute": 100000}
    )
    if resp.status_code == 422:
        resp = create_user_response(nox, boot.access_token, username, password, "admin")
    assert_json(resp, 201)
    client = Client(nox, username, password, "admin", relogin=True)
    client.login()
    _ADMIN_CACHE[id(nox)] = client
    return client


def forget_clients() -> None:
    """Drops cached clients (after a purge the users no longer exist)."""
    _ADMIN_CACHE.clear()


def wait_for_auth(nox, timeout: float = 60) -> None:
    """Waits until nox-auth answers through nginx (after install, restart, purge…)."""

    def up():
        try:
            return request(nox, "GET", "/api/auth/keys", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, timeout, interval=0.5, what="GET /api/auth/keys to answer 200")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def admin(nox) -> Client:
    return admin_client(nox)


@pytest.fixture
def make_user(nox):
    adm = admin_client(nox)
    created: list[str] = []

    def factory(role: str = "user", quotas: dict | None = None, do_login: bool = True) -> Client:
        username, password, _ = create_user(nox, adm.access_token, role=role, quotas=quotas)
        created.append(username)
        client = Client(nox, username, password, role)
        if do_login:
            client.login()
        return client

    yield factory
    for username in created:
        try:
            request(nox, "DELETE", f"/api/admin/users/{username}", token=adm.access_token, timeout=5)
        except requests.RequestException:
            pass


# --------------------------------------------------------------------------- JWT / JWKS


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_decode_unverified(token: str) -> tuple[dict, dict, bytes]:
    parts = token.split(".")
    assert len(parts) == 3, f"a JWT has 3 dot-separated parts, got {len(parts)}: {token[:60]}..."
    header = json.loads(b64url_decode(parts[0]))
    payload = json.loads(b64url_decode(parts[1]))
    return header, payload, b64url_decode(parts[2])


def fetch_jwks(nox) -> dict:
    resp = request(nox, "GET", "/api/auth/keys")
    body = assert_json(resp, 200)
    assert isinstance(body, dict) and isinstance(body.get("keys"), list) and body["keys"], (
        f"JWKS must be {{'keys': [...]}} with at least one key: {describe(resp)}"
    )
    return body


def jwk_verify(jwk: dict, alg: str, signing_input: bytes, signature: bytes) -> bool:
    """Verifies a JWS signature with a public JWK (EdDSA/Ed25519 or ES256)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        if alg == "EdDSA":
            assert jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519", f"EdDSA needs an OKP/Ed25519 JWK: {jwk}"
            Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"])).verify(signature, signing_input)
            return True
        if alg == "ES256":
            assert jwk.get("kty") == "EC" and jwk.get("crv") == "P-256", f"ES256 needs an EC/P-256 JWK: {jwk}"
            if len(signature) != 64:
                return False
            numbers = ec.EllipticCurvePublicNumbers(
                int.from_bytes(b64url_decode(jwk["x"]), "big"),
                int.from_bytes(b64url_decode(jwk["y"]), "big"),
                ec.SECP256R1(),
            )
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            numbers.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    raise AssertionError(f"unsupported JWT alg {alg!r}")


# --------------------------------------------------------------------------- raw HTTP (oversize bodies)


def raw_request_with_body(
    nox, method: str, path: str, headers: dict[str, str], body_chunks: Iterable[bytes], timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    """Sends a request over a raw TLS socket and returns (status, headers, body).

    Built for oversized bodies: it asks for ``Expect: 100-continue`` (when the length is
    declared), stops sending as soon as the server answers (nginx answers 413 straight
    after the headers), and keeps whatever answer arrived even if the server then
    resets the connection — so a test can send 100 MB without tripping over the server
    closing the connection mid-upload.
    """
    import http.client
    import io

    parts = urlsplit(nox.url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 443
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    if nox.verify is False:
        ctx.verify_mode = ssl.CERT_NONE
    elif isinstance(nox.verify, (str, os.PathLike)):
        ctx.load_verify_locations(str(nox.verify))
    sock = ctx.wrap_socket(socket.create_connection((host, port), timeout=timeout), server_hostname=host)
    deadline = time.monotonic() + timeout
    received = bytearray()

    def readable(wait: float) -> bool:
        if sock.pending():
            return True
        r, _, _ = select.select([sock], [], [], wait)
        return bool(r)

    def read_some(nonblocking: bool = False) -> bool:
        """Reads what is there; False on EOF or reset.

        Non-blocking while uploading: the socket may be readable for a TLS record that holds no
        application data (a TLS 1.3 session ticket), and a blocking read would then wait for an
        answer the server only sends after more of the body."""
        sock.settimeout(0.0 if nonblocking else timeout)
        try:
            data = sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return True
        except (ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            return False
        finally:
            sock.settimeout(timeout)
        if not data:
            return False
        received.extend(data)
        return True

    def drop_interim() -> None:
        """Removes a complete ``100 Continue`` (or other 1xx) from what was read."""
        while received.startswith(b"HTTP/1.1 1") and b"\r\n\r\n" in received:
            del received[: received.index(b"\r\n\r\n") + 4]

    def complete() -> bool:
        """True once a whole final response (by Content-Length or chunked end) is in."""
        if b"\r\n\r\n" not in received or received.startswith(b"HTTP/1.1 1"):
            return False
        head, _, body = bytes(received).partition(b"\r\n\r\n")
        m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
        if m:
            return len(body) >= int(m.group(1))
        if re.search(rb"(?im)^transfer-encoding:.*chunked", head):
            return body.endswith(b"0\r\n\r\n")
        return False

    try:
        hdrs = {"Host": host, "Connection": "close", **headers}
        if "Content-Length" in hdrs:
            hdrs.setdefault("Expect", "100-continue")
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        sock.sendall(head.encode())
        answered = False
        wait_until = time.monotonic() + 3.0  # for "100 Continue" or the final answer
        while not received and time.monotonic() < wait_until:
            if readable(max(0.0, wait_until - time.monotonic())):
                if not read_some(nonblocking=True):
                    break
                if not received:
                    time.sleep(0.05)  # a TLS record without application data
        if received:
            drop_interim()
            answered = bool(received)
        if not answered:
            for chunk in body_chunks:
                if time.monotonic() > deadline:
                    break
                if readable(0):
                    if read_some(nonblocking=True):
                        drop_interim()
                        if received:
                            break  # the final answer arrived mid-upload: stop sending
                    else:
                        break
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    break
        while not complete() and time.monotonic() < deadline and readable(max(0.0, deadline - time.monotonic())):
            if not read_some():
                break
            drop_interim()
    finally:
        sock.close()
    if not received:
        pytest.fail(f"{method} {path}: connection closed without an HTTP answer")

    class _Bytes:
        def makefile(self, *_a, **_k):
            return io.BytesIO(bytes(received))

    resp = http.client.HTTPResponse(_Bytes(), method=method)  # type: ignore[arg-type]
    resp.begin()
    try:
        body = resp.read()
    except http.client.IncompleteRead as exc:
        body = exc.partial
    return resp.status, {k: v for k, v in resp.getheaders()}, body


# --------------------------------------------------------------------------- the sandbox


def unit_property(nox, unit: str, prop: str) -> str:
    return nox.run(["systemctl", "show", "--property", prop, "--value", unit]).stdout.strip()


def find_deb(nox) -> Path:
    """The .deb under test: the one the nox fixture installed, else $NOX_DEB, else the
    newest dist/nox_*_amd64.deb."""
    for candidate in (getattr(nox, "deb", None), getattr(nox, "deb_path", None), os.environ.get("NOX_DEB")):
        if candidate:
            return Path(candidate)
    repo = Path(__file__).resolve().parents[2]
    debs = sorted(glob.glob(str(repo / "dist" / "nox_*_amd64.deb")), key=os.path.getmtime)
    if not debs:
        pytest.fail(f"no .deb found: set NOX_DEB or build one into {repo / 'dist'}")
    return Path(debs[-1])


ADMIN_PASSWORD_FILES = (
    "/etc/nox/initial-admin-password",
    "/etc/nox/credentials/auth/initial-admin-password",
)
NGINX_SITE_AVAILABLE = "/etc/nginx/sites-available/nox"
NGINX_SITE_ENABLED = "/etc/nginx/sites-enabled/nox"


def read_admin_password(nox) -> str | None:
    """The first admin's password as the package left it (None if no file holds one)."""
    for path in ADMIN_PASSWORD_FILES:
        res = nox.run(["cat", path], check=False)
        if res.returncode == 0 and res.stdout.strip():
            return res.stdout.strip()
    return None


def reinstall(nox, deb: Path, *, same_version: bool) -> None:
    """Installs the .deb and brings Nox up the way the nox fixture does.

    ``same_version=True`` passes ``--reinstall`` (apt would otherwise skip a package
    that is already at that version, and the upgrade path would not run at all).
    """
    extra = ["--reinstall"] if same_version else []
    try:
        nox.install_deb(deb, extra_args=extra)
    except TypeError:  # a harness without extra_args
        if same_version:
            nox.run(["apt-get", "install", "-y", "--reinstall", str(deb)])
        else:
            nox.install_deb(deb)
    nox.systemctl("start", "nox.target")
    nox.wait_active("nox.target", timeout=60)
    if nox.run(["test", "-e", NGINX_SITE_ENABLED], check=False).returncode != 0:
        nox.run(["ln", "-sfn", "../sites-available/nox", NGINX_SITE_ENABLED])
    nox.run(["nginx", "-t", "-q"])
    nox.systemctl("restart", "nginx")
    nox.wait_active("nginx", timeout=30)
    wait_for_auth(nox)


def journal_entries_for_request(nox, request_id: str) -> list[dict]:
    return nox.journal(f"NOX_REQUEST_ID={request_id}")


def journal_value(entry: dict, key: str) -> str | None:
    """journalctl -o json gives a string, a list of byte values, or a list of those."""
    value = entry.get(key)
    if isinstance(value, list) and value and all(isinstance(b, int) for b in value):
        return bytes(value).decode(errors="replace")
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


# A bare AF_UNIX connect, run with the system python (the test's own interpreter may live under
# /root, which another user cannot even execute: the exec, not the connect, would then fail).
CONNECT_PROBE = "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('connected')"


def assert_socket_refuses_nobody(nox, socket_path: str) -> None:
    """root connects to ``socket_path`` (control); user ``nobody`` gets EACCES on connect."""
    ok = nox.run(["/usr/bin/python3", "-c", CONNECT_PROBE, socket_path], check=False)
    assert ok.returncode == 0 and "connected" in ok.stdout, f"expected root to connect to {socket_path} (control): {ok.stderr}"
    res = nox.run(["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c", CONNECT_PROBE, socket_path], check=False)
    assert res.returncode != 0, f"expected user nobody refused by {socket_path}: {res.stdout}"
    assert "PermissionError" in res.stderr, f"expected a PermissionError on connect for user nobody: {res.stderr[-2000:]}"


def requests_through_a_restart(nox, unit: str, request_once: Callable[[], Any], *, threads: int = 2,
                               seconds: float = 6.0) -> list[tuple[float, float, Any]]:
    """Runs ``request_once`` in a loop on ``threads`` threads for ``seconds`` while ``unit`` is
    restarted 1.5 s in; returns ``(start, end, outcome)`` for every request, an exception being
    recorded as its repr. Asserts the unit really restarted and traffic spanned the restart;
    the caller asserts the outcomes (``request_once`` returns 200 for a success, else a description)."""
    pid_before = int(unit_property(nox, unit, "MainPID") or 0)
    assert pid_before, f"precondition: {unit} runs before the restart"
    results: list[tuple[float, float, Any]] = []
    stop_at = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop_at:
            t0 = time.monotonic()
            try:
                outcome = request_once()
            except requests.RequestException as exc:
                outcome = repr(exc)
            except BaseException as exc:  # a failure inside a thread: record it, don't lose it
                outcome = f"unexpected {exc!r}"
            results.append((t0, time.monotonic(), outcome))
            time.sleep(0.02)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    time.sleep(1.5)
    restart_started = time.monotonic()
    nox.systemctl("restart", unit)
    restart_done = time.monotonic()
    for t in workers:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in workers), "request threads hung"
    pid_after = int(unit_property(nox, unit, "MainPID") or 0)
    assert pid_after and pid_after != pid_before, f"{unit} was not restarted (MainPID {pid_before} -> {pid_after})"
    before = [r for r in results if r[1] < restart_started]
    after = [r for r in results if r[0] > restart_done]
    assert before and after, f"traffic did not span the restart (before={len(before)}, after={len(after)})"
    return results


def security_exposure(nox, unit: str) -> tuple[float, str]:
    """``systemd-analyze security UNIT``'s overall exposure and the whole text."""
    out = nox.run(["systemd-analyze", "security", "--no-pager", unit], check=False)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    m = re.search(r"Overall exposure level for \S+:\s*([0-9]+(?:\.[0-9]+)?)", text)
    assert m, f"expected an overall exposure level in systemd-analyze security {unit}:\n{text[-3000:]}"
    return float(m.group(1)), text
