"""Results of nox-auth: tokens, the caller, API keys, users, quotas, audit events."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Mapping

from .common import parse_time, raw_field

__all__ = [
    "TokenPair", "Quotas", "Me", "JSONWebKey", "JWKS", "ApiKey", "User", "AuditEvent", "QUOTA_NAMES",
]

#: The quota names of API.md, in its order.
QUOTA_NAMES = (
    "cpu_percent", "memory_mb", "tasks_max", "max_concurrent", "exec_timeout_s", "disk_mb", "requests_per_minute",
)


@dataclass(frozen=True)
class TokenPair:
    """What login and refresh answer. ``expires_in`` is the access token's life in seconds."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TokenPair":
        return cls(d["access_token"], d["refresh_token"], d.get("token_type", "Bearer"), int(d.get("expires_in", 0)),
                   dict(d))


@dataclass(frozen=True)
class Quotas:
    """A user's effective quotas (``None`` for one the server did not report)."""

    cpu_percent: int | None = None
    memory_mb: int | None = None
    tasks_max: int | None = None
    max_concurrent: int | None = None
    exec_timeout_s: int | None = None
    disk_mb: int | None = None
    requests_per_minute: int | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "Quotas":
        d = d or {}
        return cls(**{name: d.get(name) for name in QUOTA_NAMES}, raw=dict(d))

    def to_dict(self) -> dict[str, int]:
        """The quotas that are set, as the API spells them."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in QUOTA_NAMES and getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Me:
    """``GET /api/auth/me``: who the credential is. ``key_id`` is set when it is an API key."""

    username: str
    role: str
    permissions: list[str]
    quotas: Quotas
    key_id: str | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Me":
        return cls(d["username"], d["role"], list(d.get("permissions") or []), Quotas.from_json(d.get("quotas")),
                   d.get("key_id"), dict(d))

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class JSONWebKey:
    """One public token-verification key (Ed25519, RFC 8037)."""

    kid: str
    kty: str
    crv: str | None
    x: str | None
    alg: str | None
    use: str | None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "JSONWebKey":
        return cls(d["kid"], d["kty"], d.get("crv"), d.get("x"), d.get("alg"), d.get("use"), dict(d))


@dataclass(frozen=True)
class JWKS:
    """``GET /api/auth/keys``: the keys access tokens are signed with (by ``kid``)."""

    keys: list[JSONWebKey]
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "JWKS":
        return cls([JSONWebKey.from_json(k) for k in d.get("keys") or []], dict(d))

    def get(self, kid: str) -> JSONWebKey | None:
        return next((k for k in self.keys if k.kid == kid), None)


@dataclass(frozen=True)
class ApiKey:
    """An API key. ``key`` (the secret, ``nox_…``) is only set in the answer that created it."""

    id: str
    name: str
    scopes: list[str]
    created_at: datetime | None
    expires_at: datetime | None
    prefix: str | None = None
    key: str | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ApiKey":
        return cls(d["id"], d.get("name", ""), list(d.get("scopes") or []), parse_time(d.get("created_at")),
                   parse_time(d.get("expires_at")), d.get("prefix"), d.get("key"), dict(d))


@dataclass(frozen=True)
class User:
    """A user as the admin API shows it."""

    username: str
    role: str
    quotas: Quotas
    disabled: bool
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "User":
        return cls(d["username"], d["role"], Quotas.from_json(d.get("quotas")), bool(d.get("disabled", False)),
                   parse_time(d.get("created_at")), parse_time(d.get("updated_at")), dict(d))


@dataclass(frozen=True)
class AuditEvent:
    """One audit log entry; ``outcome`` is ``success``, ``failure`` or ``denied``."""

    time: datetime | None
    user: str | None
    action: str
    target: str | None
    outcome: str
    request_id: str | None
    source_ip: str | None
    id: int | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "AuditEvent":
        return cls(parse_time(d.get("time")), d.get("user"), d.get("action", ""), d.get("target"),
                   d.get("outcome", ""), d.get("request_id"), d.get("source_ip"), d.get("id"), dict(d))
