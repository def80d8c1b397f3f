"""``/api/languages``, ``/api/exec``, ``/api/jobs``, ``/api/history``: running code."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Iterator, Mapping, Sequence

import httpx

from ..errors import NoxConnectionError, NoxError
from ..models.common import Page, format_time
from ..models.exec import HistoryItem, JobEvent, JobRef, Language, OutputEvent, RunResult, StatusEvent
from ..pagination import paginate
from .base import APIGroup, decode_json, segment

__all__ = ["ExecAPI"]


def _run_body(language: str, code: str | None, file: str | None, stdin: str | None, args: Sequence[str] | None,
              env: Mapping[str, str] | None, files: Mapping[str, str] | None, timeout_s: int | None,
              memory_mb: int | None, network: bool | None, wait: bool) -> dict[str, Any]:
    if (code is None) == (file is None):
        raise ValueError("give exactly one of code and file")
    body: dict[str, Any] = {"language": language, "wait": wait}
    optional = {"code": code, "file": file, "stdin": stdin, "args": list(args) if args is not None else None,
                "env": dict(env) if env is not None else None, "files": dict(files) if files is not None else None,
                "timeout_s": timeout_s, "memory_mb": memory_mb, "network": network}
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


class ExecAPI(APIGroup):
    def languages(self) -> list[Language]:
        """The languages the server runs (only those whose toolchain is installed)."""
        body = self._core.request_json("GET", "/api/languages")
        return [Language.from_json(x) for x in body.get("items") or []]

    def run(self, language: str, code: str | None = None, *, file: str | None = None, stdin: str | None = None,
            args: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
            files: Mapping[str, str] | None = None, timeout_s: int | None = None, memory_mb: int | None = None,
            network: bool | None = None) -> RunResult:
        """Runs ``code`` (or the sandbox file ``file``) and waits for the result.

        A program that fails is not an exception: look at ``result.status`` /
        ``result.exit_code``. Errors are for requests Nox refuses (unknown language, a limit
        above the quota, …). ``files`` (path → text) are written to the sandbox first.
        """
        body = _run_body(language, code, file, stdin, args, env, files, timeout_s, memory_mb, network, True)
        # No read timeout: the answer comes when the run is over (bounded by timeout_s).
        answer = self._core.request_json("POST", "/api/exec", json=body, timeout=httpx.Timeout(30.0, read=None))
        return RunResult.from_json(answer)

    def submit(self, language: str, code: str | None = None, *, file: str | None = None, stdin: str | None = None,
               args: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
               files: Mapping[str, str] | None = None, timeout_s: int | None = None, memory_mb: int | None = None,
               network: bool | None = None) -> JobRef:
        """Queues a run and returns at once (``status`` ``queued``); follow it with
        :meth:`events`, :meth:`wait` or :meth:`job`."""
        body = _run_body(language, code, file, stdin, args, env, files, timeout_s, memory_mb, network, False)
        return JobRef.from_json(self._core.request_json("POST", "/api/exec", json=body))

    def job(self, job_id: str) -> RunResult:
        """A job's result, final or not yet (``queued``/``running``)."""
        return RunResult.from_json(self._core.request_json("GET", "/api/jobs/" + segment(job_id)))

    def cancel(self, job_id: str) -> JobRef:
        """Asks for a queued or running job to be cancelled; its result becomes ``cancelled``.
        ``JobFinishedError`` when it had already ended."""
        return JobRef.from_json(self._core.request_json("DELETE", "/api/jobs/" + segment(job_id)))

    def events(self, job_id: str, *, reconnects: int = 3, timeout: float | None = None) -> Iterator[JobEvent]:
        """The job's output as it comes (:class:`OutputEvent`), then its result
        (:class:`StatusEvent`), after which the iterator ends.

        Should the connection drop before the result, it is opened again (at most
        ``reconnects`` times in a row): the server replays the output from the start, and
        what was already delivered here is skipped, so every character arrives once.
        ``timeout`` bounds the whole wait (``TimeoutError``).
        """
        delivered = {"stdout": 0, "stderr": 0}
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = 0
        path = f"/api/jobs/{segment(job_id)}/events"
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"job {job_id} did not finish within {timeout} s")
            replayed = {"stdout": 0, "stderr": 0}
            try:
                for sse in self._sse(path, timeout=httpx.Timeout(30.0, read=remaining)):
                    if sse.event in replayed:
                        chunk = decode_json(sse.data, path)
                        text = str(chunk.get("data") or "") if isinstance(chunk, dict) else ""
                        start = replayed[sse.event]
                        replayed[sse.event] += len(text)
                        new = text[max(0, delivered[sse.event] - start):]
                        if new:
                            delivered[sse.event] += len(new)
                            failures = 0
                            yield OutputEvent(sse.event, new)
                    elif sse.event == "status":
                        yield StatusEvent(RunResult.from_json(decode_json(sse.data, path)))
                        return
            except NoxConnectionError as exc:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"job {job_id} did not finish within {timeout} s") from exc
                reason: Exception = exc
            else:
                reason = NoxError(f"{path}: the event stream ended before the job's result",
                                  code="incomplete_stream")
            failures += 1
            if failures > reconnects:
                raise reason
            self._core.retry.sleep(min(5.0, 0.5 * 2 ** (failures - 1)))

    def wait(self, job_id: str, *, timeout: float | None = None) -> RunResult:
        """Blocks until the job is over and returns its final result."""
        for event in self.events(job_id, timeout=timeout):
            if isinstance(event, StatusEvent):
                return event.result
        raise NoxError(f"job {job_id}: no result", code="incomplete_stream")  # events() never gets here

    def stream(self, language: str, code: str | None = None, **fields: Any) -> Iterator[JobEvent]:
        """Submits a run and yields its events: output as it comes, then the result."""
        ref = self.submit(language, code, **fields)
        return self.events(ref.id)

    def history(self, *, language: str | None = None, status: str | None = None, q: str | None = None,
                since: datetime | str | None = None, limit: int | None = None,
                cursor: str | None = None) -> Page[HistoryItem]:
        """One page of the caller's jobs, newest first, with what they ran. ``q`` searches
        the inline code (plain words)."""
        params = {"language": language, "status": status, "q": q,
                  "since": format_time(since) if since is not None else None, "limit": limit, "cursor": cursor}
        return Page.from_json(self._core.request_json("GET", "/api/history", params=params), HistoryItem.from_json)

    def iter_history(self, *, language: str | None = None, status: str | None = None, q: str | None = None,
                     since: datetime | str | None = None, page_size: int | None = None) -> Iterator[HistoryItem]:
        return paginate(lambda cursor: self.history(language=language, status=status, q=q, since=since,
                                                    limit=page_size, cursor=cursor))
