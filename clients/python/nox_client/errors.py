"""Nox's API errors as Python exceptions: one class per ``error.code``.

Every error response of the Nox API is ``{"error": {"code", "message", "details"?}}``
(API.md). :func:`error_from_response` turns one into the class registered for its code;
a code this client does not know yet becomes a plain :class:`NoxError`, so a newer server
never breaks an older client. Catch a specific class (``except NotFoundError``), or
:class:`NoxError` and look at ``.code`` / ``.status``.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any, ClassVar

import httpx

__all__ = [
    "error_class_for", "error_from_response", "parse_retry_after",
    "NoxError", "NoxConnectionError", "InvalidJSONError", "BadRequestError", "InvalidPathError",
    "InvalidMultipartError", "UnauthorizedError", "InvalidCredentialsError", "ForbiddenError",
    "NotFoundError", "MethodNotAllowedError", "RequestTimeoutError", "ConflictError",
    "UserExistsError", "LastAdminError", "JobFinishedError", "RunCancelledError",
    "AlreadyExistsError", "DirectoryNotEmptyError", "PathIsDirectoryError", "PathNotDirectoryError",
    "NotRegularFileError", "InvalidMoveError", "PayloadTooLargeError", "URITooLongError",
    "UnsupportedMediaTypeError", "RangeNotSatisfiableError", "ValidationError",
    "LimitExceedsQuotaError", "UnknownLanguageError", "UnknownSecretError", "UnknownSnippetError",
    "FileExistsConflictError", "SnippetExistsError", "SecretLimitReachedError", "InvalidArchiveError", "RateLimitedError",
    "InternalError", "BadGatewayError", "ServiceUnavailableError", "QueueFullError",
    "AuthUnavailableError", "FilesUnavailableError", "BusyError", "GatewayTimeoutError",
    "QuotaExceededError",
]

_REGISTRY: dict[str, type["NoxError"]] = {}


class NoxError(Exception):
    """An error answered by Nox (or by the proxy in front of it).

    Attributes:
        code: the API's snake_case error code (``"not_found"``). An answer without the JSON
            error shape (a ``HEAD``, a foreign proxy's page) gets the code its status stands
            for, or ``"http_NNN"``; ``"connection_error"`` for :class:`NoxConnectionError`.
        message: the server's human sentence.
        details: the ``details`` object (``{}`` when absent), e.g. ``{"field": "language"}``.
        status: the HTTP status (``None`` when no answer arrived).
        request_id: the response's ``X-Request-Id`` (grep the server's journal for it:
            ``journalctl NOX_REQUEST_ID=…``).
        retry_after: seconds from ``Retry-After``, when the server sent one.
    """

    #: The code a subclass stands for (set with ``class X(NoxError, code="…")``).
    error_code: ClassVar[str | None] = None

    def __init_subclass__(cls, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.error_code = code
            _REGISTRY[code] = cls

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code or self.error_code or "unknown_error"
        self.message = message
        self.status = status
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        self.retry_after = retry_after
        self.response = response

    @property
    def field(self) -> str | None:
        """``details.field``: the request field the server objected to, if it named one."""
        value = self.details.get("field")
        return value if isinstance(value, str) else None

    def __str__(self) -> str:
        where = f"HTTP {self.status}, " if self.status is not None else ""
        rid = f", request {self.request_id}" if self.request_id else ""
        return f"{self.message} ({where}{self.code}{rid})"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
                f"message={self.message!r}, details={self.details!r}, request_id={self.request_id!r})")


class NoxConnectionError(NoxError, code="connection_error"):
    """No HTTP answer at all: connection refused, TLS failure, timeout, reset."""


# --------------------------------------------------------------------------- 400
class InvalidJSONError(NoxError, code="invalid_json"):
    """400: the request body was not JSON."""


class BadRequestError(NoxError, code="bad_request"):
    """400 from the proxy: the HTTP request itself could not be understood."""


class InvalidPathError(NoxError, code="invalid_path"):
    """400: a sandbox path breaks the rules (``..``, absolute, NUL, backslash, too long…)."""


class InvalidMultipartError(NoxError, code="invalid_multipart"):
    """400: a malformed, empty or truncated multipart body."""


# --------------------------------------------------------------------------- 401 / 403
class UnauthorizedError(NoxError, code="unauthorized"):
    """401: missing, invalid or expired credentials."""


class InvalidCredentialsError(UnauthorizedError, code="invalid_credentials"):
    """401 from login: wrong username or password, or a disabled user."""


class ForbiddenError(NoxError, code="forbidden"):
    """403: the credential lacks a permission (``details.permission``)."""


# --------------------------------------------------------------------------- 404 / 405 / 408
class NotFoundError(NoxError, code="not_found"):
    """404: no such object (another user's objects are 404 too)."""


class MethodNotAllowedError(NoxError, code="method_not_allowed"):
    """405: the path exists, but not with this method."""


class RequestTimeoutError(NoxError, code="request_timeout"):
    """408 from the proxy: the request took too long to arrive."""


# --------------------------------------------------------------------------- 409
class ConflictError(NoxError, code="conflict"):
    """409: the request conflicts with the current state (base of the specific 409s)."""


class UserExistsError(ConflictError, code="user_exists"):
    """409: a user with that name exists."""


class LastAdminError(ConflictError, code="last_admin"):
    """409: the change would leave no enabled administrator."""


class JobFinishedError(ConflictError, code="job_finished"):
    """409: cancelling a job that has already ended."""


class RunCancelledError(ConflictError, code="cancelled"):
    """409: the run was cancelled before it started."""


class AlreadyExistsError(ConflictError, code="already_exists"):
    """409: a move's destination exists and ``overwrite`` was not asked for."""


class FileExistsConflictError(ConflictError, code="file_exists"):
    """409: applying a template would replace a file (``details.path``) without ``overwrite``."""


class SnippetExistsError(ConflictError, code="snippet_exists"):
    """409: the caller already has a snippet of that name."""


class SecretLimitReachedError(ConflictError, code="secret_limit_reached"):
    """409: the caller has as many secrets as a user may keep."""


class DirectoryNotEmptyError(ConflictError, code="directory_not_empty"):
    """409: deleting a non-empty directory without ``recursive=True``."""


class PathIsDirectoryError(ConflictError, code="is_a_directory"):
    """409: a file operation named a directory."""


class PathNotDirectoryError(ConflictError, code="not_a_directory"):
    """409: a component of the path, or the path, is a file where a directory is needed."""


class NotRegularFileError(ConflictError, code="not_a_regular_file"):
    """409: a FIFO, socket, device or symbolic link where a regular file is needed."""


class InvalidMoveError(ConflictError, code="invalid_move"):
    """409: a directory moved into itself or below itself."""


# --------------------------------------------------------------------------- 413 - 416
class PayloadTooLargeError(NoxError, code="payload_too_large"):
    """413: the body is over the limit (``details.limit`` when the daemon said)."""


class URITooLongError(NoxError, code="uri_too_long"):
    """414 from the proxy."""


class UnsupportedMediaTypeError(NoxError, code="unsupported_media_type"):
    """415: a ``Content-Type`` the operation does not take."""


class RangeNotSatisfiableError(NoxError, code="range_not_satisfiable"):
    """416: the ``Range`` starts past the end of the file."""


# --------------------------------------------------------------------------- 422
class ValidationError(NoxError, code="validation_failed"):
    """422: a field missing, of the wrong type or out of range (``.field`` names it)."""


class LimitExceedsQuotaError(NoxError, code="limit_exceeds_quota"):
    """422: a run's ``timeout_s`` or ``memory_mb`` above the caller's quota."""


class UnknownLanguageError(NoxError, code="unknown_language"):
    """422: no language on offer has this name or alias."""


class UnknownSecretError(NoxError, code="unknown_secret"):
    """422: a run names a secret the caller does not have."""


class UnknownSnippetError(NoxError, code="unknown_snippet"):
    """422: a run names a snippet the caller cannot see."""


class InvalidArchiveError(NoxError, code="invalid_archive"):
    """422: a restore archive that is not a sound gzip-compressed tar of plain files."""


# --------------------------------------------------------------------------- 429
class RateLimitedError(NoxError, code="rate_limited"):
    """429: too many requests (or failed logins); ``.retry_after`` says how long to wait."""


# --------------------------------------------------------------------------- 5xx
class InternalError(NoxError, code="internal_error"):
    """500: Nox failed; the server's journal has the details under ``.request_id``."""


class BadGatewayError(NoxError, code="bad_gateway"):
    """502 from the proxy: the daemon behind this path is not answering."""


class ServiceUnavailableError(NoxError, code="service_unavailable"):
    """503: the proxy found no daemon, or (base of) a daemon that is overloaded."""


class QueueFullError(ServiceUnavailableError, code="queue_full"):
    """503: the server-wide queue of waiting runs is full."""


class AuthUnavailableError(ServiceUnavailableError, code="auth_unavailable"):
    """503: nox-auth could not be asked about the credential."""


class FilesUnavailableError(ServiceUnavailableError, code="files_unavailable"):
    """503: nox-exec could not ask nox-files where the sandbox is."""


class BusyError(ServiceUnavailableError, code="busy"):
    """503: the daemon is out of file descriptors for now."""


class GatewayTimeoutError(NoxError, code="gateway_timeout"):
    """504 from the proxy: the daemon took too long to answer."""


class QuotaExceededError(NoxError, code="quota_exceeded"):
    """507: the write does not fit the caller's disk quota."""


# --------------------------------------------------------------------------- mapping


# The code an error answer without the JSON shape is taken to have, by its status.
_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    408: "request_timeout", 409: "conflict", 413: "payload_too_large", 414: "uri_too_long",
    415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "validation_failed", 429: "rate_limited",
    500: "internal_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
    507: "quota_exceeded",
}


def error_class_for(code: str) -> type[NoxError]:
    """The class registered for ``code``; :class:`NoxError` for a code not known here."""
    return _REGISTRY.get(code, NoxError)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_from_response(response: httpx.Response) -> NoxError:
    """The exception for an error response (status 400 or more).

    The body must be read already (for a streamed response: ``response.read()`` first).
    A body that is not the JSON error shape (an HTML page from some other proxy, say)
    still gives an error: code ``http_<status>`` and the start of the body as message.
    """
    code: str | None = None
    message = ""
    details: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code = error["code"]
        message = str(error.get("message") or "")
        if isinstance(error.get("details"), dict):
            details = error["details"]
    if code is None:
        # No JSON error (a HEAD answer has no body; another proxy may answer in HTML):
        # the status alone still picks the class.
        code = _STATUS_CODES.get(response.status_code, f"http_{response.status_code}")
        text = response.text.strip() if response.content else ""
        message = text[:200] if text and not text.lstrip().startswith("<") else response.reason_phrase
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if retry_after is None and "retry_after" in details:
        retry_after = parse_retry_after(str(details["retry_after"]))
    cls = error_class_for(code)
    return cls(
        message or response.reason_phrase or code,
        code=code,
        status=response.status_code,
        details=details,
        request_id=response.headers.get("X-Request-Id"),
        retry_after=retry_after,
        response=response,
    )
