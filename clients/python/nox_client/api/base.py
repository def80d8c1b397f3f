"""What every API group shares: the HTTP core, and turning paths into URLs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import quote

import httpx

from ..errors import InvalidPathError, NoxConnectionError, NoxError
from ..sse import ServerSentEvent, iter_sse

if TYPE_CHECKING:
    from ..http import HTTPCore

__all__ = ["APIGroup", "segment", "sandbox_url", "decode_json", "UNSET"]


class _Unset:
    """Marks an argument that was not given (``None`` may mean something, e.g. "default")."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def segment(value: str) -> str:
    """One URL path segment, percent-encoded; ``.`` and ``..`` too, which the HTTP library
    would otherwise resolve away, sending the request to another URL."""
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


def sandbox_url(prefix: str, path: str) -> str:
    """``prefix/PATH`` for a sandbox path, each ``/``-separated segment encoded on its own.

    A ``..`` segment is refused here, before sending (API.md: any ``..`` segment is
    ``invalid_path``): the proxy resolves it before routing, so the request would reach
    some other endpoint and come back as a misleading ``404``. Everything else (empty and
    ``.`` segments, a leading ``/``) goes to the server as given, for it to judge."""
    parts = path.split("/")
    if ".." in parts:
        raise InvalidPathError("A sandbox path may not contain '..' segments (refused before sending).",
                               details={"path": path})
    return "/".join([prefix, *(segment(part) for part in parts)]) if path else prefix


class APIGroup:
    def __init__(self, core: "HTTPCore") -> None:
        self._core = core

    def _sse(self, path: str, *, params: dict[str, Any] | None = None,
             timeout: httpx.Timeout | None = None) -> Iterator[ServerSentEvent]:
        """The events of one ``text/event-stream`` response; the response is closed when the
        iterator is exhausted or closed. A connection lost mid-stream is a
        :class:`NoxConnectionError`."""
        response = self._core.request("GET", path, params=params, stream=True,
                                      headers={"Accept": "text/event-stream", "Cache-Control": "no-cache"},
                                      timeout=timeout if timeout is not None else httpx.Timeout(30.0, read=None))
        try:
            yield from iter_sse(response.iter_bytes())
        except httpx.TransportError as exc:
            raise NoxConnectionError(f"GET {path}: the event stream broke off: {exc}") from exc
        finally:
            response.close()


def decode_json(text: str, what: str) -> Any:
    """An event's JSON data; anything else is a server fault worth a clear error."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise NoxError(f"{what}: the event data is not JSON: {text[:200]!r}", code="invalid_response") from exc
