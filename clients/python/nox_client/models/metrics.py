"""Results of nox-metrics: health, system metrics, usage statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from .common import parse_time, raw_field

__all__ = ["ServiceHealth", "Health", "SystemMetrics", "RunStats", "Percentiles", "UserStats", "Stats"]


@dataclass(frozen=True)
class ServiceHealth:
    """One daemon in ``/api/health``: ``ok``, ``idle`` (socket-activated, not running),
    ``degraded`` or ``failed``, and its version when known."""

    status: str
    version: str | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Any) -> "ServiceHealth":
        if isinstance(d, str):  # tolerate a bare status word
            return cls(d, None, {"status": d})
        d = d or {}
        return cls(d.get("status", ""), d.get("version"), dict(d))


@dataclass(frozen=True)
class Health:
    """``GET /api/health``: ``status`` is ``ok`` or ``degraded``; one entry per service."""

    status: str
    services: dict[str, ServiceHealth]
    raw: dict = raw_field()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Health":
        services = d.get("services") or {}
        return cls(d.get("status", ""), {k: ServiceHealth.from_json(v) for k, v in services.items()}, dict(d))


@dataclass(frozen=True)
class SystemMetrics:
    """``GET /api/system/metrics`` and each event of the metrics stream: the host's CPU,
    memory, disk and load, and per-service and per-slice figures (as the server names them)."""

    time: datetime | None
    cpu: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    disk: dict[str, Any] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)
    slices: dict[str, Any] = field(default_factory=dict)
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "SystemMetrics":
        return cls(parse_time(d.get("time")), dict(d.get("cpu") or {}), dict(d.get("memory") or {}),
                   dict(d.get("disk") or {}), list(d.get("load") or []), dict(d.get("services") or {}),
                   dict(d.get("slices") or {}), dict(d))


@dataclass(frozen=True)
class RunStats:
    total: int
    by_status: dict[str, int]
    by_language: dict[str, int]

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "RunStats":
        d = d or {}
        return cls(int(d.get("total") or 0), dict(d.get("by_status") or {}), dict(d.get("by_language") or {}))


@dataclass(frozen=True)
class Percentiles:
    """Run latency percentiles in milliseconds (``None`` when there were no runs)."""

    p50: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "Percentiles":
        d = d or {}
        return cls(d.get("p50"), d.get("p95"), d.get("p99"))


@dataclass(frozen=True)
class UserStats:
    runs: int
    storage_bytes: int | None

    @classmethod
    def from_json(cls, d: Any) -> "UserStats":
        d = d or {}
        runs = d.get("runs")
        if isinstance(runs, Mapping):  # a server may break runs down like the totals
            runs = runs.get("total")
        return cls(int(runs or 0), d.get("storage_bytes"))


@dataclass(frozen=True)
class Stats:
    """``GET /api/stats``: runs by status and language, latency, storage; ``users`` holds
    only the caller unless the caller is an administrator."""

    since: datetime | None
    runs: RunStats
    duration_ms: Percentiles
    storage_bytes: int | None
    users: dict[str, UserStats]
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Stats":
        users = d.get("users") or {}
        return cls(parse_time(d.get("since")), RunStats.from_json(d.get("runs")),
                   Percentiles.from_json(d.get("duration_ms")), d.get("storage_bytes"),
                   {k: UserStats.from_json(v) for k, v in users.items()}, dict(d))
