"""Typed results of the Nox API (frozen dataclasses; ``raw`` holds the JSON they came from)."""

from .auth import JWKS, QUOTA_NAMES, ApiKey, AuditEvent, JSONWebKey, Me, Quotas, TokenPair, User
from .common import Page, format_time, parse_time
from .exec import (
    FINAL_STATUSES, HistoryItem, JobEvent, JobRef, Language, OutputEvent, RunResult, StatusEvent,
)
from .files import Backup, Download, FileEntry, FileInfo, SearchHit, WrittenFile
from .metrics import Health, Percentiles, RunStats, ServiceHealth, Stats, SystemMetrics, UserStats

__all__ = [
    "ApiKey", "AuditEvent", "Backup", "Download", "FileEntry", "FileInfo", "FINAL_STATUSES", "format_time",
    "Health", "HistoryItem", "JobEvent", "JobRef", "JSONWebKey", "JWKS", "Language", "Me", "OutputEvent", "Page",
    "parse_time", "Percentiles", "QUOTA_NAMES", "Quotas", "RunResult", "RunStats", "SearchHit", "ServiceHealth",
    "Stats", "StatusEvent", "SystemMetrics", "TokenPair", "User", "UserStats", "WrittenFile",
]
