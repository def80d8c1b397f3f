"""The client: one connection pool, one credential, every API group of API.md."""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

import httpx

from . import __version__
from .api import AdminAPI, AuthAPI, BackupsAPI, ExecAPI, FilesAPI, KeysAPI, MetricsAPI
from .credentials import Credentials
from .http import HTTPCore, Verify
from .models.auth import TokenPair
from .retry import RetryPolicy

__all__ = ["NoxClient"]


class NoxClient:
    """A client of one Nox server.

    ::

        with NoxClient("https://nox.example.org", username="alice", password="…",
                       verify="/etc/nox/tls/ca.crt") as nox:
            print(nox.exec.run("python", "print(6 * 7)").stdout)

    Args:
        base_url: the server (``https://HOST``; the API is under ``/api``).
        token: an API key (``nox_…``) or a JWT access token.
        refresh_token: the refresh token belonging to ``token``, to renew it.
        username, password: sign in on first use (and again should the refresh token be
            refused); the tokens are then refreshed transparently.
        verify: ``True`` (the default trust store), ``False`` (no TLS check: testing only),
            a CA bundle path (e.g. ``/etc/nox/tls/ca.crt`` for the self-signed default), or
            an ``ssl.SSLContext``.
        timeout: seconds for connecting and for each read (long operations such as a
            waited run or a big transfer set their own).
        retry: when to retry ``429``/``503`` (:class:`RetryPolicy`); ``RetryPolicy.disabled()``
            turns it off.
        on_tokens: called with each new :class:`TokenPair` (to save them somewhere).
        transport: an ``httpx`` transport (``httpx.MockTransport`` in tests).
        headers: extra headers for every request.

    API groups: :attr:`auth`, :attr:`keys`, :attr:`admin`, :attr:`files`, :attr:`backups`,
    :attr:`exec`, :attr:`metrics`. Errors are :class:`~nox_client.errors.NoxError`
    subclasses, one per API error code.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        verify: Verify = True,
        timeout: float | httpx.Timeout | None = 30.0,
        retry: RetryPolicy | None = None,
        on_tokens: Callable[[TokenPair], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        trust_env: bool = True,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.credentials = Credentials(token=token, refresh_token=refresh_token, username=username,
                                       password=password, on_tokens=on_tokens)
        all_headers = {"User-Agent": f"nox-client-python/{__version__}", **(headers or {})}
        self._core = HTTPCore(base_url, self.credentials, verify=verify, timeout=timeout, retry=retry,
                              transport=transport, headers=all_headers, trust_env=trust_env)
        self.auth = AuthAPI(self._core)
        self.keys = KeysAPI(self._core)
        self.admin = AdminAPI(self._core)
        self.files = FilesAPI(self._core)
        self.backups = BackupsAPI(self._core)
        self.exec = ExecAPI(self._core)
        self.metrics = MetricsAPI(self._core)

    @classmethod
    def from_env(cls, **overrides: Any) -> "NoxClient":
        """A client from ``NOX_URL``, ``NOX_TOKEN`` (or ``NOX_USERNAME``/``NOX_PASSWORD``) and
        ``NOX_CA`` (a CA bundle path); keyword arguments win over the environment."""
        env = os.environ
        settings: dict[str, Any] = {}
        if env.get("NOX_TOKEN"):
            settings["token"] = env["NOX_TOKEN"]
        elif env.get("NOX_USERNAME"):
            settings["username"] = env["NOX_USERNAME"]
            settings["password"] = env.get("NOX_PASSWORD")
        if env.get("NOX_CA"):
            settings["verify"] = env["NOX_CA"]
        settings.update(overrides)
        base_url = settings.pop("base_url", None) or env.get("NOX_URL")
        if not base_url:
            raise ValueError("no server: set NOX_URL or pass base_url")
        return cls(base_url, **settings)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def retry(self) -> RetryPolicy:
        return self._core.retry

    def close(self) -> None:
        """Closes the connections (the tokens stay valid; see ``auth.logout``)."""
        self._core.close()

    def __enter__(self) -> "NoxClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NoxClient({self.base_url!r}, {self.credentials!r})"
