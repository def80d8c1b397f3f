"""Error answers become the exception class of their code, carrying everything they said."""

from __future__ import annotations

import re
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fakenox import error

import nox_client
from nox_client import errors as E
from nox_client.errors import error_class_for, error_from_response, parse_retry_after

REPO = Path(__file__).resolve().parents[3]

# Codes API.md names, with the status it gives them.
CONTRACT_CODES = {
    "invalid_json": 400, "invalid_path": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404,
    "directory_not_empty": 409, "validation_failed": 422, "unknown_language": 422, "limit_exceeds_quota": 422,
    "rate_limited": 429, "quota_exceeded": 507,
}


@pytest.mark.parametrize("code,cls", sorted(nox_client.ERROR_CLASSES.items()))
def test_every_registered_code_maps_to_its_class_with_all_fields(fake, code, cls):
    fake.route("GET", "/api/auth/me", error(418, code, "Human sentence.", {"field": "x", "n": 1},
                                            request_id="rid-42"))
    with fake.client() as nox, pytest.raises(nox_client.NoxError) as info:
        nox.auth.me()
    err = info.value
    assert type(err) is cls
    assert (err.code, err.message, err.status, err.request_id) == (code, "Human sentence.", 418, "rid-42")
    assert err.details == {"field": "x", "n": 1}
    assert err.field == "x"
    assert "rid-42" in str(err) and code in str(err)


@pytest.mark.parametrize("code,status", sorted(CONTRACT_CODES.items()))
def test_the_contracts_codes_have_their_own_classes(code, status):
    assert error_class_for(code) is not nox_client.NoxError
    assert error_class_for(code).error_code == code


def test_unknown_code_falls_back_to_the_base_class(fake):
    fake.route("GET", "/api/auth/me", error(409, "brand_new_code", "Something new.", {"k": "v"}))
    with fake.client() as nox, pytest.raises(nox_client.NoxError) as info:
        nox.auth.me()
    assert type(info.value) is nox_client.NoxError
    assert info.value.code == "brand_new_code" and info.value.status == 409 and info.value.details == {"k": "v"}


def test_an_answer_without_the_json_shape_is_classed_by_its_status(fake):
    fake.route("GET", "/api/auth/me", httpx.Response(502, text="<html><body>Bad Gateway</body></html>",
                                                     headers={"Content-Type": "text/html"}))
    fake.route("HEAD", "/api/files/gone", httpx.Response(404))
    fake.route("GET", "/api/files/odd", httpx.Response(418, text="I'm a teapot"))
    with fake.client() as nox:
        with pytest.raises(E.BadGatewayError) as info:
            nox.auth.me()
        assert info.value.code == "bad_gateway" and info.value.status == 502
        assert "<html" not in info.value.message
        with pytest.raises(E.NotFoundError):
            nox.files.stat("gone")
        with pytest.raises(nox_client.NoxError) as info:
            nox.files.read_bytes("odd")
    assert type(info.value) is nox_client.NoxError and info.value.code == "http_418"
    assert info.value.message == "I'm a teapot"


def test_families_of_codes_share_a_base():
    assert issubclass(E.InvalidCredentialsError, E.UnauthorizedError)
    assert issubclass(E.QueueFullError, E.ServiceUnavailableError)
    assert issubclass(E.DirectoryNotEmptyError, E.ConflictError)
    assert all(issubclass(cls, nox_client.NoxError) for cls in nox_client.ERROR_CLASSES.values())


def test_classes_are_exported_from_the_package():
    for cls in nox_client.ERROR_CLASSES.values():
        assert getattr(nox_client, cls.__name__) is cls
        assert cls.__name__ in nox_client.__all__


def test_a_connection_failure_is_a_nox_connection_error(fake):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    fake.route("GET", "/api/auth/me", refuse)
    with fake.client() as nox, pytest.raises(nox_client.NoxConnectionError) as info:
        nox.auth.me()
    assert info.value.status is None and info.value.code == "connection_error"
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_retry_after_as_seconds_date_or_details():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 25 <= parse_retry_after(format_datetime(when, usegmt=True)) <= 31
    past = datetime.now(timezone.utc) - timedelta(seconds=30)
    assert parse_retry_after(format_datetime(past, usegmt=True)) == 0.0
    resp = error(503, "queue_full", details={"retry_after": "5"})
    assert error_from_response(resp).retry_after == 5.0
    resp = error(429, "rate_limited", headers={"Retry-After": "3"})
    err = error_from_response(resp)
    assert isinstance(err, E.RateLimitedError) and err.retry_after == 3.0


def _codes_in_repo() -> set[str]:
    """The codes the daemons document (OpenAPI) and the proxy sends (nginx site)."""
    codes: set[str] = set()
    openapi = REPO / "docs" / "openapi.yaml"
    nginx = REPO / "packaging" / "nginx" / "nox"
    if openapi.exists():
        codes |= set(re.findall(r"code `([a-z][a-z0-9_]*)`", openapi.read_text()))
        codes |= set(re.findall(r"- `([a-z]+_[a-z_]+)`: ", openapi.read_text()))
    if nginx.exists():
        codes |= set(re.findall(r'"code":"([a-z_]+)"', nginx.read_text()))
    return {c for c in codes if not c.startswith("http_")}


@pytest.mark.skipif(not (REPO / "docs" / "openapi.yaml").exists(), reason="not inside the Nox repository")
def test_every_code_the_server_documents_or_the_proxy_sends_has_a_class():
    codes = _codes_in_repo()
    assert len(codes) > 20, codes
    missing = sorted(c for c in codes if error_class_for(c) is nox_client.NoxError)
    assert not missing, f"codes without an exception class: {missing}"
