"""nox-metrics: ``/api/health``, ``/api/system/metrics``, ``/api/stats``,
``/api/metrics/stream`` and the Prometheus ``/metrics``."""

from __future__ import annotations

from datetime import datetime
from typing import Iterator

from ..models.common import format_time
from ..models.metrics import Health, Stats, SystemMetrics
from .base import APIGroup, decode_json

__all__ = ["MetricsAPI"]


class MetricsAPI(APIGroup):
    def health(self) -> Health:
        """Every Nox service's state (no credential needed). A degraded server answers
        this too, so read ``health.status`` rather than expecting an exception."""
        return Health.from_json(self._core.request_json("GET", "/api/health", auth=False))

    def system(self) -> SystemMetrics:
        """The host's CPU, memory, disk, load, and per-service and per-slice figures
        (``metrics:read``)."""
        return SystemMetrics.from_json(self._core.request_json("GET", "/api/system/metrics"))

    def stats(self, *, since: datetime | str | None = None, user: str | None = None) -> Stats:
        """Runs by status and language, latency percentiles, storage; an administrator sees
        every user (or ``user``), others themselves."""
        params = {"since": format_time(since) if since is not None else None, "user": user}
        return Stats.from_json(self._core.request_json("GET", "/api/stats", params=params))

    def stream(self) -> Iterator[SystemMetrics]:
        """The live ``metrics`` events (one a second) until the iterator is closed. Other
        event types a newer server may add are skipped."""
        for sse in self._sse("/api/metrics/stream"):
            if sse.event == "metrics":
                yield SystemMetrics.from_json(decode_json(sse.data, "/api/metrics/stream"))

    def prometheus(self) -> str:
        """``GET /metrics``: the Prometheus text exposition (``metrics:read``)."""
        return self._core.request("GET", "/metrics", headers={"Accept": "text/plain"}).text
