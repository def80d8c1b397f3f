"""``/api/backup``, ``/api/backups``, ``/api/restore``: archives of the caller's sandbox."""

from __future__ import annotations

import os
from typing import BinaryIO, Iterator, Union

import httpx

from ..models.common import Page
from ..models.files import Backup, Download
from ..pagination import paginate
from ..transfer import Progress, Source, UploadSource, save_response
from .base import APIGroup, segment

__all__ = ["BackupsAPI"]


class BackupsAPI(APIGroup):
    def create(self) -> Backup:
        """Backs up the whole sandbox as a ``.tar.gz`` kept on the server."""
        return Backup.from_json(self._core.request_json("POST", "/api/backup",
                                                        timeout=httpx.Timeout(30.0, read=600.0)))

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Backup]:
        """One page of the caller's backups, newest first."""
        body = self._core.request_json("GET", "/api/backups", params={"limit": limit, "cursor": cursor})
        return Page.from_json(body, Backup.from_json)

    def iter(self, *, page_size: int | None = None) -> Iterator[Backup]:
        return paginate(lambda cursor: self.list(limit=page_size, cursor=cursor))

    def download(self, backup_id: str, dest: Union[str, "os.PathLike[str]", BinaryIO], *,
                 progress: Progress | None = None) -> Download:
        """Streams the archive into ``dest`` (a local path or a writable binary file object)."""
        response = self._core.request("GET", "/api/backups/" + segment(backup_id), stream=True,
                                      headers={"Accept-Encoding": "identity"},
                                      timeout=httpx.Timeout(60.0, read=300.0))
        return save_response(response, dest, progress=progress)

    def delete(self, backup_id: str) -> None:
        self._core.request("DELETE", "/api/backups/" + segment(backup_id))

    def restore(self, backup_id: str | None = None, *, archive: Source | None = None,
                progress: Progress | None = None) -> int:
        """Replaces the sandbox, atomically, with one of the caller's backups (``backup_id``)
        or an uploaded ``.tar.gz`` (``archive``: bytes, a path or a binary file object).
        Returns how many regular files the sandbox now holds."""
        if (backup_id is None) == (archive is None):
            raise ValueError("restore takes exactly one of backup_id and archive")
        timeout = httpx.Timeout(60.0, write=None, read=600.0)
        if backup_id is not None:
            answer = self._core.request_json("POST", "/api/restore", json={"backup_id": backup_id}, timeout=timeout)
        else:
            upload = UploadSource(archive, progress=progress)
            answer = self._core.request_json("POST", "/api/restore", body=upload.body,
                                             headers={"Content-Type": "application/gzip"}, timeout=timeout)
        return int(answer.get("restored_files") or 0)
