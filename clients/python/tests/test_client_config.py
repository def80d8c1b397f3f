"""Building a client: TLS verification settings and the environment."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from nox_client import NoxClient
from nox_client.http import ssl_verify

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def test_verify_true_false_and_contexts_pass_through():
    assert ssl_verify(True) is True and ssl_verify(False) is False
    ctx = ssl.create_default_context()
    assert ssl_verify(ctx) is ctx


@pytest.mark.skipif(not SYSTEM_BUNDLE.exists(), reason="no system CA bundle (Debian: ca-certificates)")
def test_a_ca_bundle_path_becomes_a_context_trusting_it():
    ctx = ssl_verify(SYSTEM_BUNDLE)
    assert isinstance(ctx, ssl.SSLContext) and ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] > 0
    ctx = ssl_verify(str(SYSTEM_BUNDLE.parent))  # a hashed directory works too
    assert isinstance(ctx, ssl.SSLContext)


def test_a_missing_ca_bundle_fails_at_once(tmp_path):
    with pytest.raises((FileNotFoundError, ssl.SSLError)):
        NoxClient("https://nox.test", verify=tmp_path / "nope.crt")


def test_from_env(monkeypatch):
    monkeypatch.setenv("NOX_URL", "https://nox.example:8443/")
    monkeypatch.setenv("NOX_TOKEN", "nox_fromenv")
    monkeypatch.delenv("NOX_CA", raising=False)
    with NoxClient.from_env() as nox:
        assert nox.base_url == "https://nox.example:8443"
        assert nox.credentials.access_token == "nox_fromenv" and nox.credentials.is_api_key
    monkeypatch.delenv("NOX_TOKEN")
    monkeypatch.setenv("NOX_USERNAME", "alice")
    monkeypatch.setenv("NOX_PASSWORD", "pw")
    with NoxClient.from_env(base_url="https://other") as nox:
        assert nox.base_url == "https://other" and nox.credentials.username == "alice"
        assert nox.credentials.renewable
    monkeypatch.delenv("NOX_URL")
    with pytest.raises(ValueError):
        NoxClient.from_env()
