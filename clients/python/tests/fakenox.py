"""A fake Nox behind ``httpx.MockTransport``: routes, recorded requests, no sleeping.

Imported by the tests as ``fakenox`` (a module name of its own: ``conftest`` is taken by
the black-box suite's, should both run in one pytest)."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any, Callable, Iterable

import httpx
from nox_client import NoxClient, RetryPolicy

BASE = "https://nox.test"
Handler = Callable[[httpx.Request], httpx.Response]


def make_jwt(exp: float, sub: str = "alice", kid: str = "k1") -> str:
    """An unsigned-looking JWT with ``exp`` (the client never verifies signatures)."""
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'EdDSA', 'kid': kid})}.{part({'sub': sub, 'exp': int(exp)})}.c2ln"


def tokens(access: str, refresh: str, expires_in: int = 900) -> dict:
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": expires_in}


def error(status: int, code: str, message: str = "It went wrong.", details: dict | None = None,
          headers: dict | None = None, request_id: str = "req-1") -> httpx.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return httpx.Response(status, json={"error": body}, headers={"X-Request-Id": request_id, **(headers or {})})


def ok(body: Any = None, status: int = 200, headers: dict | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def sse_response(chunks: Iterable[bytes]) -> httpx.Response:
    """A ``text/event-stream`` answer delivered in exactly these pieces."""
    return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=iter(list(chunks)))


class FakeNox:
    """Answers requests by ``(method, path)``. A route is a handler, a response, or a list
    of them used in turn (the last one repeats). Every request is recorded with its body."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Any]] = {}
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def route(self, method: str, path: str, *answers: Any) -> None:
        self.routes[(method, path)] = list(answers)

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        with self.lock:
            self.requests.append(request)
            self.bodies.append(body)
            answers = self.routes.get((request.method, request.url.path))
            if not answers:
                return error(404, "not_found", f"no fake route for {request.method} {request.url.path}")
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer

    def client(self, **kwargs: Any) -> NoxClient:
        kwargs.setdefault("retry", RetryPolicy(sleep=self.sleeps.append, jitter=0))
        if "username" not in kwargs:
            kwargs.setdefault("token", "nox_testkey")
        return NoxClient(BASE, transport=httpx.MockTransport(self), **kwargs)
