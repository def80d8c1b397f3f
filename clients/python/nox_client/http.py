"""Sending one API request: credentials, error mapping, refresh-and-retry, backoff.

Everything the API groups (``client.files``, ``client.exec`` …) send goes through
:meth:`HTTPCore.request`, so the rules live in one place:

* ``Authorization: Bearer`` from :class:`~nox_client.credentials.Credentials` (logging in
  or refreshing first when needed);
* an answer of 400 or more becomes the :mod:`~nox_client.errors` class of its code;
* a ``401`` is retried once after renewing the access token, when it can be renewed;
* a ``429``/``503`` is retried after ``Retry-After`` (or exponential backoff), bounded by
  the :class:`~nox_client.retry.RetryPolicy`.

A request body that is a stream (an upload from a file object) must be sent again from
its start on a retry; such bodies come as a callable (``body=``) returning the keyword
arguments for :meth:`httpx.Client.build_request`, called once per attempt, which raises
:class:`NotReplayable` when its stream cannot be rewound.
"""

from __future__ import annotations

import os
import ssl
from typing import Any, Callable, Mapping

import httpx

from .credentials import Credentials
from .errors import NoxConnectionError, NoxError, error_from_response
from .retry import RetryPolicy

__all__ = ["HTTPCore", "NotReplayable", "ssl_verify", "USE_CLIENT_DEFAULT"]

USE_CLIENT_DEFAULT: Any = httpx.USE_CLIENT_DEFAULT


class NotReplayable(Exception):
    """A request body that was a one-shot stream cannot be sent a second time."""


Verify = bool | str | os.PathLike | ssl.SSLContext


def ssl_verify(verify: Verify) -> bool | ssl.SSLContext:
    """``verify=`` for httpx: a CA bundle file (or directory) becomes an SSL context that
    trusts exactly it (httpx 0.28 no longer takes a path; 0.23 takes either)."""
    if isinstance(verify, (bool, ssl.SSLContext)):
        return verify
    path = os.fspath(verify)
    if os.path.isdir(path):
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as the API spells them."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


class HTTPCore:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        verify: Verify = True,
        timeout: float | httpx.Timeout | None = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        trust_env: bool = True,
    ) -> None:
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url,
            verify=ssl_verify(verify),
            timeout=timeout,
            transport=transport,
            headers=dict(headers or {}),
            follow_redirects=False,
            trust_env=trust_env,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        body: Callable[[], dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        stream: bool = False,
        timeout: Any = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """Sends the request; returns a response with a status below 400 or raises.

        With ``stream=True`` the body is left unread: iterate it, then close the response.
        """
        query = clean_params(params)
        attempt = 0
        renewed = False
        last_error: NoxError | None = None
        while True:
            try:
                content = body() if body is not None else {}
            except NotReplayable:
                assert last_error is not None  # the first call always succeeds
                raise last_error from None
            if json is not None:
                content["json"] = json
            sent_headers = {**(headers or {}), **content.pop("headers", {})}
            token = self.credentials.bearer(self) if auth else None
            if token:
                sent_headers["Authorization"] = f"Bearer {token}"
            request = self._client.build_request(method, path, params=query, headers=sent_headers, timeout=timeout,
                                                 **content)
            try:
                response = self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise NoxConnectionError(f"{method} {request.url}: {type(exc).__name__}: {exc}") from exc
            if response.status_code < 400:
                return response
            try:
                response.read()
            except httpx.TransportError:
                pass  # the status alone still says what went wrong
            finally:
                response.close()
            last_error = error_from_response(response)
            if response.status_code == 401 and auth and not renewed:
                renewed = True
                if self.credentials.renew_after_401(self, token):
                    continue
            if response.status_code in self.retry.statuses:
                delay = self.retry.delay(attempt, last_error.retry_after)
                if delay is not None:
                    attempt += 1
                    self.retry.sleep(delay)
                    continue
            raise last_error

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then the JSON body (``None`` for an empty one, as with 204)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise NoxError(f"{method} {path}: the answer is not JSON", code="invalid_response",
                           status=response.status_code, request_id=response.headers.get("X-Request-Id"),
                           response=response) from exc
