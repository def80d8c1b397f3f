"""Sign-in, tokens, the caller, the token-verification keys, and the caller's API keys."""

from __future__ import annotations

from typing import Iterator

from ..models.auth import JWKS, ApiKey, Me, TokenPair
from ..models.common import Page
from ..pagination import paginate
from .base import APIGroup, segment

__all__ = ["AuthAPI", "KeysAPI"]


class AuthAPI(APIGroup):
    """``/api/auth/*``. Logging in or refreshing here also switches the client to the new
    tokens (and keeps refreshing them)."""

    def login(self, username: str, password: str, *, remember_password: bool = False) -> TokenPair:
        """Signs in; the client uses the new tokens from now on. ``remember_password``
        keeps the password to sign in again should the refresh token be refused."""
        return self._core.credentials.login(self._core, username, password, remember=remember_password)

    def refresh(self, refresh_token: str | None = None) -> TokenPair:
        """Exchanges the (client's own, by default) refresh token for a new pair. The old one
        is spent: presenting it again revokes the whole token family."""
        return self._core.credentials.refresh(self._core, refresh_token)

    def logout(self, refresh_token: str | None = None) -> None:
        """Revokes the refresh token's family (the client's own by default), and makes the
        client forget its credentials when it was its own family."""
        creds = self._core.credentials
        token = refresh_token or creds.refresh_token
        if token:
            self._core.request("POST", "/api/auth/logout", json={"refresh_token": token}, auth=False)
        if refresh_token is None or refresh_token == creds.refresh_token:
            creds.clear()

    def me(self) -> Me:
        """Who the credential is: username, role, effective permissions, quotas."""
        return Me.from_json(self._core.request_json("GET", "/api/auth/me"))

    def jwks(self) -> JWKS:
        """The public keys access tokens are signed with (no credential needed)."""
        return JWKS.from_json(self._core.request_json("GET", "/api/auth/keys", auth=False))


class KeysAPI(APIGroup):
    """``/api/keys``: the caller's own API keys."""

    def create(self, name: str, *, scopes: list[str] | None = None, expires_in_days: int | None = None) -> ApiKey:
        """Creates a key; ``key.key`` holds the secret (``nox_…``), shown only this once."""
        body: dict = {"name": name}
        if scopes is not None:
            body["scopes"] = list(scopes)
        if expires_in_days is not None:
            body["expires_in_days"] = expires_in_days
        return ApiKey.from_json(self._core.request_json("POST", "/api/keys", json=body))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[ApiKey]:
        body = self._core.request_json("GET", "/api/keys", params={"limit": limit, "cursor": cursor})
        return Page.from_json(body, ApiKey.from_json)

    def iter(self, *, page_size: int | None = None) -> Iterator[ApiKey]:
        """Every key, page after page."""
        return paginate(lambda cursor: self.list(limit=page_size, cursor=cursor))

    def delete(self, key_id: str) -> None:
        """Deletes a key; it stops working at once."""
        self._core.request("DELETE", "/api/keys/" + segment(key_id))
