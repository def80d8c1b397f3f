"""The credential a client sends, and keeping it fresh.

Three ways to authenticate (API.md "Common rules"):

* an API key (``nox_…``): sent as is, never refreshed;
* a JWT access token, with or without its refresh token: refreshed when it is about to
  expire, or once after a ``401``, when a refresh token is at hand;
* a username and password: logged in on first use, then as above; when the refresh token
  is refused too (spent, revoked, expired), logged in again.

Refresh tokens are single-use and presenting a spent one revokes the whole family, so two
threads must never refresh with the same one: everything here happens under one lock, and
a thread that finds the token already renewed by another simply uses the new one.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import TYPE_CHECKING, Callable

from .errors import UnauthorizedError
from .models.auth import TokenPair

if TYPE_CHECKING:
    from .http import HTTPCore

__all__ = ["Credentials", "jwt_expiry"]

#: Renew this many seconds before the access token expires (covers clock skew and latency).
REFRESH_MARGIN_S = 30.0


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (unverified: only to know when to refresh), else None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, (int, float)) else None


class Credentials:
    """Holds the tokens (and optionally the password) of one client."""

    def __init__(
        self,
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        on_tokens: Callable[[TokenPair], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if password is not None and not username:
            raise ValueError("a password needs a username")
        self._lock = threading.RLock()
        self.access_token = token
        self.refresh_token = refresh_token
        self.username = username
        self._password = password
        self._on_tokens = on_tokens
        self._clock = clock
        self.expires_at = jwt_expiry(token) if token else None

    # ------------------------------------------------------------------ state
    @property
    def is_api_key(self) -> bool:
        return bool(self.access_token and self.access_token.startswith("nox_"))

    @property
    def renewable(self) -> bool:
        """A new access token can be had (refresh token or password, and not an API key)."""
        return not self.is_api_key and bool(self.refresh_token or self._password)

    def expired(self) -> bool:
        """The access token is past (or within the margin of) its expiry, as far as known."""
        return self.expires_at is not None and self._clock() >= self.expires_at - REFRESH_MARGIN_S

    def store(self, pair: TokenPair) -> TokenPair:
        with self._lock:
            self.access_token = pair.access_token
            self.refresh_token = pair.refresh_token
            exp = jwt_expiry(pair.access_token)
            self.expires_at = exp if exp is not None else (self._clock() + pair.expires_in if pair.expires_in else None)
        if self._on_tokens is not None:
            self._on_tokens(pair)
        return pair

    def clear(self) -> None:
        """Forget every credential (after a logout)."""
        with self._lock:
            self.access_token = self.refresh_token = self._password = None
            self.expires_at = None

    # ------------------------------------------------------------------ flows
    def login(self, core: "HTTPCore", username: str, password: str, remember: bool = False) -> TokenPair:
        body = core.request_json("POST", "/api/auth/login", json={"username": username, "password": password},
                                 auth=False)
        with self._lock:
            if remember:
                self._password = password
            elif username != self.username:
                self._password = None  # a password kept for another user must never renew this one
            self.username = username
            return self.store(TokenPair.from_json(body))

    def refresh(self, core: "HTTPCore", refresh_token: str | None = None) -> TokenPair:
        with self._lock:
            token = refresh_token or self.refresh_token
            if not token:
                raise UnauthorizedError("No refresh token to refresh with.", code="unauthorized")
            body = core.request_json("POST", "/api/auth/refresh", json={"refresh_token": token}, auth=False)
            return self.store(TokenPair.from_json(body))

    def bearer(self, core: "HTTPCore") -> str | None:
        """The token to send now: logs in first when only a password is known, and renews
        an access token that is about to expire."""
        with self._lock:
            if self.access_token is None and self._password is not None and self.username:
                self.login(core, self.username, self._password)
            elif self.expired() and self.renewable:
                self._renew(core)
            return self.access_token

    def renew_after_401(self, core: "HTTPCore", token_sent: str | None) -> bool:
        """After a ``401`` to ``token_sent``: True when a different token is now at hand
        (renewed here or by another thread meanwhile), so the request is worth one retry."""
        with self._lock:
            if self.access_token != token_sent and self.access_token is not None:
                return True
            if token_sent is None or not self.renewable:
                return False
            try:
                self._renew(core)
            except UnauthorizedError:
                return False
            return self.access_token is not None and self.access_token != token_sent

    def _renew(self, core: "HTTPCore") -> None:
        if self.refresh_token:
            try:
                self.refresh(core)
                return
            except UnauthorizedError:
                self.refresh_token = None
                if self._password is None:
                    raise
        if self._password is not None and self.username:
            self.login(core, self.username, self._password)

    def __repr__(self) -> str:
        kind = "api-key" if self.is_api_key else ("token" if self.access_token else "none")
        return f"Credentials(user={self.username!r}, kind={kind}, renewable={self.renewable})"

