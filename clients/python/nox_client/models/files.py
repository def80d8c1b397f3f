"""Results of nox-files: entries, written files, search hits, backups, downloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

from .common import parse_time, raw_field

__all__ = ["FileEntry", "WrittenFile", "SearchHit", "Backup", "FileInfo", "Download"]


@dataclass(frozen=True)
class FileEntry:
    """A file or directory of the sandbox; ``path`` is relative to its root."""

    path: str
    name: str
    type: str
    size: int
    modified: datetime | None
    sha256: str | None = None
    raw: dict = raw_field()

    @property
    def is_dir(self) -> bool:
        return self.type == "dir"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "FileEntry":
        path = d["path"]
        return cls(path, d.get("name") or path.rsplit("/", 1)[-1], d.get("type", "file"), int(d.get("size") or 0),
                   parse_time(d.get("modified")), d.get("sha256"), dict(d))


@dataclass(frozen=True)
class WrittenFile:
    """A file just written by an upload: its path, size and SHA-256."""

    path: str
    size: int
    sha256: str
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "WrittenFile":
        return cls(d["path"], int(d.get("size") or 0), d.get("sha256", ""), dict(d))


@dataclass(frozen=True)
class SearchHit:
    """A search hit: a name hit (``line`` is ``None``) or a 1-based content line.
    ``highlights`` are ``(start, end)`` character offsets of the matches in ``snippet``."""

    path: str
    snippet: str
    line: int | None = None
    highlights: list[tuple[int, int]] | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "SearchHit":
        spans = [(int(a), int(b)) for a, b in d.get("highlights") or []]
        return cls(d["path"], d.get("snippet", ""), d.get("line"), spans, dict(d))


@dataclass(frozen=True)
class Backup:
    """A backup (a ``.tar.gz``) of the caller's sandbox."""

    id: str
    size: int
    sha256: str
    created_at: datetime | None
    file_count: int | None = None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Backup":
        return cls(d["id"], int(d.get("size") or 0), d.get("sha256", ""), parse_time(d.get("created_at")),
                   d.get("file_count"), dict(d))


@dataclass(frozen=True)
class FileInfo:
    """What ``HEAD`` tells about a file without downloading it."""

    path: str
    size: int | None
    etag: str | None
    content_type: str | None
    last_modified: datetime | None

    @classmethod
    def from_headers(cls, path: str, headers: Mapping[str, str]) -> "FileInfo":
        length = headers.get("Content-Length")
        modified = headers.get("Last-Modified")
        try:
            when = parsedate_to_datetime(modified) if modified else None
        except (TypeError, ValueError):
            when = None
        return cls(path, int(length) if length and length.isdigit() else None, headers.get("ETag"),
                   headers.get("Content-Type"), when)


@dataclass(frozen=True)
class Download:
    """A finished download: where it went, how many bytes, their SHA-256, the ``ETag``."""

    size: int
    sha256: str
    etag: str | None
    content_type: str | None
    path: str | None = None
