"""Moving bytes between local files and requests, in chunks, never all in memory.

Uploads take bytes, a local path or a binary file object; a path or a seekable file object
can be sent again from the same start when a request is retried (see ``HTTPCore``), a
one-shot stream cannot. Downloads go to a local path (written to a temporary file beside it
and renamed into place only when complete, so a failed download leaves no half file) or to
a writable binary file object.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import IO, Any, BinaryIO, Callable, Iterable, Iterator, Union

import httpx

from .errors import NoxConnectionError
from .http import NotReplayable
from .models.files import Download

__all__ = ["UploadSource", "Progress", "save_response", "Rewinder", "CHUNK_SIZE"]

CHUNK_SIZE = 1 << 20  # 1 MiB

#: ``progress(done_bytes, total_bytes_or_None)``, called after every chunk.
Progress = Callable[[int, Union[int, None]], None]

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", BinaryIO, Iterable[bytes]]


def _file_size(f: Any) -> int | None:
    """Bytes from the current position to the end, when the object can tell."""
    try:
        if f.seekable():
            here = f.tell()
            end = f.seek(0, os.SEEK_END)
            f.seek(here)
            return end - here
    except (AttributeError, OSError, ValueError):
        pass
    try:
        return os.fstat(f.fileno()).st_size - f.tell()
    except (AttributeError, OSError, ValueError):
        return None


class UploadSource:
    """A request body read in chunks. ``size`` is known for bytes, paths and seekable files
    (it is then sent as ``Content-Length``); other streams go chunked."""

    def __init__(self, source: Source, *, chunk_size: int = CHUNK_SIZE, progress: Progress | None = None) -> None:
        self._chunk_size = chunk_size
        self._progress = progress
        self._data: bytes | None = None
        self._path: str | None = None
        self._file: Any = None
        self._iterable: Iterable[bytes] | None = None
        self._start = 0
        self._used = False
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._data = bytes(source)
            self.size: int | None = len(self._data)
        elif isinstance(source, (str, os.PathLike)):
            self._path = os.fspath(source)
            self.size = os.stat(self._path).st_size
        elif hasattr(source, "read"):
            self._file = source
            try:
                self._start = source.tell() if source.seekable() else -1
            except (AttributeError, OSError, ValueError):
                self._start = -1
            self.size = _file_size(source)
        elif isinstance(source, Iterable):
            self._iterable = source
            self.size = None
        else:
            raise TypeError(f"cannot upload a {type(source).__name__}: give bytes, a path or a binary file object")

    def _chunks(self) -> Iterator[bytes]:
        if self._data is not None:
            yield from (self._data[i:i + self._chunk_size] for i in range(0, len(self._data), self._chunk_size))
        elif self._path is not None:
            with open(self._path, "rb") as f:
                yield from iter(lambda: f.read(self._chunk_size), b"")
        elif self._file is not None:
            yield from iter(lambda: self._file.read(self._chunk_size), b"")
        else:
            for chunk in self._iterable or ():
                yield bytes(chunk)

    def _counted(self) -> Iterator[bytes]:
        done = 0
        for chunk in self._chunks():
            if not chunk:
                continue
            if isinstance(chunk, str):
                raise TypeError("an upload stream must give bytes, not str (open the file in binary mode)")
            done += len(chunk)
            yield chunk
            if self._progress is not None:
                self._progress(done, self.size)

    def body(self) -> dict[str, Any]:
        """Keyword arguments for one attempt of the request (see ``HTTPCore.request``)."""
        if self._used:
            if self._file is not None and self._start >= 0:
                self._file.seek(self._start)
            elif self._file is not None or self._iterable is not None:
                raise NotReplayable()
        self._used = True
        headers = {"Content-Length": str(self.size)} if self.size is not None else {}
        return {"content": self._counted(), "headers": headers}


class Rewinder:
    """Sends a set of file objects (a multipart upload's) again from where they started."""

    def __init__(self, files: Iterable[IO[bytes]]) -> None:
        self._starts: list[tuple[Any, int]] = []
        for f in files:
            try:
                self._starts.append((f, f.tell() if f.seekable() else -1))
            except (AttributeError, OSError, ValueError):
                self._starts.append((f, -1))
        self._used = False

    def rewind(self) -> None:
        if self._used:
            for f, start in self._starts:
                if start < 0:
                    raise NotReplayable()
                f.seek(start)
        self._used = True


def save_response(response: httpx.Response, dest: str | os.PathLike[str] | BinaryIO, *,
                  progress: Progress | None = None, chunk_size: int = CHUNK_SIZE) -> Download:
    """Writes a streamed response's body to ``dest`` and closes the response."""
    total_header = response.headers.get("Content-Length")
    total = int(total_header) if total_header and total_header.isdigit() else None
    digest = hashlib.sha256()
    done = 0

    def copy(out: Any) -> None:
        nonlocal done
        try:
            for chunk in response.iter_bytes(chunk_size):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        except httpx.TransportError as exc:
            raise NoxConnectionError(f"download cut off after {done} bytes: {exc}") from exc

    path: str | None = None
    try:
        if isinstance(dest, (str, os.PathLike)):
            path = os.fspath(dest)
            folder = os.path.dirname(os.path.abspath(path))
            # Not mkstemp: its 0600 would stick to the result; this honours the umask.
            tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                with os.fdopen(fd, "wb") as out:
                    copy(out)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        else:
            copy(dest)
    finally:
        response.close()
    return Download(done, digest.hexdigest(), response.headers.get("ETag"), response.headers.get("Content-Type"), path)
