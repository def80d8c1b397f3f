"""``/api/files``: the caller's sandbox directory (paths relative to it, ``/``-separated)."""

from __future__ import annotations

import contextlib
import os
from typing import Any, BinaryIO, Iterable, Iterator, Union

import httpx

from ..errors import NoxConnectionError, NotFoundError
from ..models.common import Page
from ..models.files import Download, FileEntry, FileInfo, SearchHit, WrittenFile
from ..pagination import paginate
from ..transfer import CHUNK_SIZE, Progress, Rewinder, Source, UploadSource, save_response
from .base import APIGroup, sandbox_url

__all__ = ["FilesAPI"]

#: An item of a multipart upload: a local path (sent under its own name), or
#: ``(filename, bytes | binary file object | local path)``.
UploadItem = Union[str, "os.PathLike[str]", tuple[str, Any]]

# Downloads are the file's own bytes: no gzip from the proxy, so Range and Content-Length
# stay about the file.
_IDENTITY = {"Accept-Encoding": "identity"}


def _url(path: str) -> str:
    return sandbox_url("/api/files", path)


class FilesAPI(APIGroup):
    # ------------------------------------------------------------------ listing
    def list(self, path: str = "", *, recursive: bool | None = None, limit: int | None = None,
             cursor: str | None = None) -> Page[FileEntry]:
        """One page of a directory (``""`` or ``"/"``: the root), sorted by path."""
        params = {"path": path or None, "recursive": recursive, "limit": limit, "cursor": cursor}
        return Page.from_json(self._core.request_json("GET", "/api/files", params=params), FileEntry.from_json)

    def iter(self, path: str = "", *, recursive: bool = False, page_size: int | None = None) -> Iterator[FileEntry]:
        """Every entry of a directory (with ``recursive``, of the whole tree below it)."""
        return paginate(lambda cursor: self.list(path, recursive=recursive or None, limit=page_size, cursor=cursor))

    def search(self, query: str, *, path: str | None = None, limit: int | None = None) -> list[SearchHit]:
        """Full-text search over names and text contents (plain words, not a syntax)."""
        body: dict[str, Any] = {"query": query}
        if path is not None:
            body["path"] = path
        if limit is not None:
            body["limit"] = limit
        answer = self._core.request_json("POST", "/api/files/search", json=body)
        return [SearchHit.from_json(x) for x in answer.get("items") or []]

    # ------------------------------------------------------------------ one file
    def stat(self, path: str) -> FileInfo:
        """Size, ``ETag``, type and modification time of a file, without its content."""
        response = self._core.request("HEAD", _url(path), headers=_IDENTITY)
        return FileInfo.from_headers(path, response.headers)

    def exists(self, path: str) -> bool:
        """Whether a regular file is at ``path`` (a directory is not a file here)."""
        try:
            self.stat(path)
            return True
        except NotFoundError:
            return False

    def upload(self, path: str, source: Source, *, progress: Progress | None = None,
               chunk_size: int = CHUNK_SIZE) -> WrittenFile:
        """Creates or replaces ``path`` with ``source``: bytes, a local file's path, or a binary
        file object (read from its current position). Streamed in chunks; the server swaps
        the file in atomically once all of it has arrived. Missing parents are created."""
        body = UploadSource(source, chunk_size=chunk_size, progress=progress)
        answer = self._core.request_json("PUT", _url(path), body=body.body,
                                         headers={"Content-Type": "application/octet-stream"},
                                         timeout=httpx.Timeout(60.0, write=None, read=300.0))
        return WrittenFile.from_json(answer)

    def write_bytes(self, path: str, data: bytes) -> WrittenFile:
        return self.upload(path, data)

    def write_text(self, path: str, text: str, encoding: str = "utf-8") -> WrittenFile:
        return self.upload(path, text.encode(encoding))

    def download(self, path: str, dest: Union[str, "os.PathLike[str]", BinaryIO], *,
                 progress: Progress | None = None, chunk_size: int = CHUNK_SIZE) -> Download:
        """Streams ``path`` into ``dest``: a local path (complete or not at all) or a writable
        binary file object. Returns the size and SHA-256 of what was written."""
        response = self._core.request("GET", _url(path), headers=_IDENTITY, stream=True,
                                      timeout=httpx.Timeout(60.0, read=300.0))
        return save_response(response, dest, progress=progress, chunk_size=chunk_size)

    def iter_bytes(self, path: str, *, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The content of ``path`` in chunks, as it arrives (close the iterator to stop early)."""
        response = self._core.request("GET", _url(path), headers=_IDENTITY, stream=True,
                                      timeout=httpx.Timeout(60.0, read=300.0))
        try:
            yield from response.iter_bytes(chunk_size)
        except httpx.TransportError as exc:
            raise NoxConnectionError(f"GET {path}: the download broke off: {exc}") from exc
        finally:
            response.close()

    def read_bytes(self, path: str, *, offset: int = 0, length: int | None = None) -> bytes:
        """The content of ``path``, or ``length`` bytes of it from ``offset`` (a ``Range``)."""
        headers = dict(_IDENTITY)
        if offset or length is not None:
            if offset < 0 or (length is not None and length < 1):
                raise ValueError("offset must be 0 or more and length 1 or more")
            last = "" if length is None else str(offset + length - 1)
            headers["Range"] = f"bytes={offset}-{last}"
        return self._core.request("GET", _url(path), headers=headers).content

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        return self.read_bytes(path).decode(encoding)

    # ------------------------------------------------------------------ several files
    def upload_many(self, items: Iterable[UploadItem], *, dir: str | None = None) -> list[WrittenFile]:
        """One ``multipart/form-data`` upload of several files into ``dir`` (default the
        root); each file keeps the last component of its name. All or nothing."""
        with contextlib.ExitStack() as stack:
            parts: list[tuple[str, tuple[str, Any, str]]] = []
            for item in items:
                if isinstance(item, tuple):
                    name, source = item
                else:
                    name, source = os.path.basename(os.fspath(item)), item
                if isinstance(source, (str, os.PathLike)):
                    source = stack.enter_context(open(source, "rb"))
                elif isinstance(source, (bytearray, memoryview)):
                    source = bytes(source)
                parts.append(("files", (name, source, "application/octet-stream")))
            if not parts:
                raise ValueError("upload_many needs at least one file")
            rewinder = Rewinder(f for _, (_, f, _) in parts if hasattr(f, "read"))
            data = {"dir": dir} if dir is not None else None

            def body() -> dict[str, Any]:
                rewinder.rewind()
                return {"files": parts, "data": data}

            answer = self._core.request_json("POST", "/api/files", body=body,
                                             timeout=httpx.Timeout(60.0, write=None, read=300.0))
        return [WrittenFile.from_json(x) for x in answer.get("items") or []]

    # ------------------------------------------------------------------ changes
    def delete(self, path: str, *, recursive: bool = False) -> None:
        """Deletes a file, or a directory (a non-empty one only with ``recursive=True``)."""
        self._core.request("DELETE", _url(path), params={"recursive": True if recursive else None})

    def move(self, source: str, destination: str, *, overwrite: bool = False) -> FileEntry:
        """Moves or renames; an existing destination is replaced only with ``overwrite``."""
        body: dict[str, Any] = {"from": source, "to": destination}
        if overwrite:
            body["overwrite"] = True
        return FileEntry.from_json(self._core.request_json("POST", "/api/files/move", json=body))
