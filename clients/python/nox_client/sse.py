"""An incremental Server-Sent Events decoder (the WHATWG ``text/event-stream`` rules).

Nox streams a job's output and live metrics as SSE. Bytes arrive in whatever pieces the
network delivers, so the decoder keeps what it has not finished: a line split across
reads, a ``\\r\\n`` split between its two bytes, a UTF-8 character split between reads.
Written here rather than taken from a package because the one SSE package for httpx is not
in Debian, and the format is small: lines of ``field: value``, ``:`` comments (keep-alives),
an empty line ending an event, several ``data:`` lines joined with ``\\n``.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Iterable, Iterator

__all__ = ["ServerSentEvent", "SSEDecoder", "iter_sse"]


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: ``event`` is ``"message"`` when the stream named none."""

    event: str
    data: str
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it bytes with :meth:`feed`; it returns the events completed by them."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._skip_lf = False  # the last chunk ended in "\r": a leading "\n" belongs to it
        self._first = True  # a byte-order mark is dropped only at the very start
        self._event = ""
        self._data: list[str] = []
        self._has_data = False
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        text = self._text.decode(chunk)
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf and text:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        self._buffer += text
        return self._drain()

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: an unfinished event is dropped, as the standard says."""
        self._buffer += self._text.decode(b"", final=True)
        events = self._drain()
        self._buffer = ""
        self._reset_event()
        return events

    def _drain(self) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        buffer = self._buffer
        start = 0
        while True:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr < 0 and lf < 0:
                break
            if cr >= 0 and (lf < 0 or cr < lf):
                end, nxt = cr, cr + 1
                if nxt < len(buffer):
                    if buffer[nxt] == "\n":
                        nxt += 1
                else:
                    self._skip_lf = True  # "\r" last: a "\n" may follow in the next chunk
            else:
                end, nxt = lf, lf + 1
            event = self._line(buffer[start:end])
            if event is not None:
                events.append(event)
            start = nxt
        self._buffer = buffer[start:]
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: servers send them as keep-alives
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
            self._has_data = True
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._has_data:
            self._reset_event()
            return None
        event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._last_id, self._retry)
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._event = ""
        self._data = []
        self._has_data = False


def iter_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """The events of a byte stream, as they complete."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()
