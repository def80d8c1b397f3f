"""docs/openapi.yaml stays honest: it is a valid OpenAPI 3.1 document, it documents
exactly the routes nox-auth, nox-files and nox-exec register (read from the Swift sources), every
documented operation is routed by the installed Nox, and real responses — successes and
errors — validate against the documented schemas and headers.

The static tests (spec validity, route lists) need no sandbox; the others use the
``nox`` fixture and talk to nginx over HTTPS like any client.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, unquote

import jsonschema
import pytest
import requests
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from helpers_api import (  # noqa: F401  (admin is a fixture)
    admin,
    admin_client,
    describe,
    login_response,
    new_password,
    raw_request_with_body,
    request,
    unique_name,
)
from helpers_files import IDENTITY, MIB, Field, FilePart, file_url, multipart, raw_upload, sha256_hex

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / "docs" / "openapi.yaml"
# Daemons whose routes the spec must match, by source directory. Add each daemon here
# as it arrives (and its paths to the spec).
ROUTE_SOURCES = [
    REPO_ROOT / "Sources" / "nox-auth",
    REPO_ROOT / "Sources" / "nox-files",
    REPO_ROOT / "Sources" / "nox-exec",
    REPO_ROOT / "Sources" / "nox-metrics",
]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_URI = "urn:nox:openapi"
# `router.route(.post, "/api/auth/login", registry: ...)`, possibly across lines.
ROUTE_RE = re.compile(r"\brouter\s*\.\s*route\s*\(\s*\.(\w+)\s*,\s*\"([^\"]+)\"")
# Hummingbird registrations that bypass RouteRegistry (they would answer 404, not 405).
RAW_ROUTE_RE = re.compile(r"\b(?:router|group)\s*\.\s*(?:get|put|post|patch|delete|head|on|group)\s*\(")
# A 404 from the router or nginx for a path nothing serves (not a missing object).
GENERIC_404_PREFIXES = ("No such endpoint", "No such API endpoint", "Not found.")
# A route's last segment `{name...}` takes the rest of the path (RouteRegistry); the spec
# writes it `{name}` and marks the path item with this extension.
CATCH_ALL_RE = re.compile(r"\{(\w+)\.\.\.\}")
CATCH_ALL_EXTENSION = "x-nox-catch-all"
# The schemas of the Server-Sent Events of a job, by event name (the media type's extension).
EVENTS = "/api/jobs/{id}/events"
SSE_EXTENSION = "x-nox-sse-events"


# --------------------------------------------------------------------------- the spec


def _load_spec() -> tuple[dict | None, str | None]:
    try:
        with SPEC_PATH.open(encoding="utf-8") as f:
            return yaml.safe_load(f), None
    except Exception as exc:  # reported by test_spec_is_valid_openapi_31
        return None, f"{type(exc).__name__}: {exc}"


SPEC, SPEC_ERROR = _load_spec()


def spec() -> dict:
    if SPEC is None:
        pytest.fail(f"{SPEC_PATH} does not load: {SPEC_ERROR}", pytrace=False)
    return SPEC


def operations(doc: dict | None) -> list[tuple[str, str]]:
    """(METHOD, path) for every documented operation."""
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return []
    return [
        (method.upper(), path)
        for path, item in doc["paths"].items()
        if isinstance(item, dict)
        for method in HTTP_METHODS
        if method in item
    ]


def catch_all_paths(doc: dict | None) -> list[str]:
    """Spec paths whose last parameter spans segments (`x-nox-catch-all: true`)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return []
    return [path for path, item in doc["paths"].items() if isinstance(item, dict) and item.get(CATCH_ALL_EXTENSION) is True]


def catch_all_matches(template: str, concrete: str) -> bool:
    """Whether the catch-all spec path `template` matches the request path `concrete`, as
    RouteRegistry matches `{name...}`: the segments before it alike (a `{param}` matches any
    one), then one or more segments."""
    pattern, segments = template.strip("/").split("/"), concrete.strip("/").split("/")
    return len(segments) >= len(pattern) and all(
        p.startswith("{") or p == s for p, s in zip(pattern[:-1], segments)
    )


def pointer(*segments: str) -> str:
    """A URI-fragment JSON pointer into the spec."""
    return "".join("/" + quote(str(s).replace("~", "~0").replace("/", "~1"), safe="") for s in segments)


EVENTS_POINTER = pointer("paths", EVENTS, "get", "responses", "200", "content", "text/event-stream", SSE_EXTENSION)


def lookup(ptr: str) -> Any:
    node: Any = spec()
    for raw in ptr.split("/")[1:]:
        key = unquote(raw).replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def deref(ptr: str) -> tuple[Any, str]:
    """Follows `$ref`s (local ones only) from the node at `ptr`; returns (node, its pointer)."""
    node = lookup(ptr)
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"non-local $ref {ref!r} at {ptr}"
        assert ref not in seen, f"$ref loop at {ref}"
        seen.add(ref)
        ptr = pointer(*[s.replace("~1", "/").replace("~0", "~") for s in ref[2:].split("/")])
        node = lookup(ptr)
    return node, ptr


def parameters_of(method: str, path: str) -> list[dict]:
    """The operation's parameters, path-level ones included, `$ref`s resolved."""
    item = spec()["paths"][path]
    op = item[method.lower()]
    found = [deref(pointer("paths", path, "parameters", str(i)))[0] for i in range(len(item.get("parameters", [])))]
    found += [deref(pointer("paths", path, method.lower(), "parameters", str(i)))[0]
              for i in range(len(op.get("parameters", [])))]
    return found


_REGISTRY: Registry | None = None


def validator_for(ptr: str) -> jsonschema.Draft202012Validator:
    """A JSON Schema 2020-12 validator for the schema at `ptr`, its `$ref`s resolved in the spec."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec()))
    return jsonschema.Draft202012Validator(
        {"$ref": SPEC_URI + "#" + ptr},
        registry=_REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def schema_errors(ptr: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in sorted(validator_for(ptr).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def assert_matches_schema(ptr: str, instance: Any, context: str) -> None:
    errors = schema_errors(ptr, instance)
    assert not errors, f"does not match {ptr}: {errors[:10]}\n{context}"


# --------------------------------------------------------------------------- responses vs the spec


class Answer:
    """A response reduced to what the spec talks about (from requests or a raw socket)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes, text: str):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.text = text

    @classmethod
    def of(cls, resp: requests.Response) -> "Answer":
        return cls(resp.status_code, resp.headers, resp.content, describe(resp))

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            pytest.fail(f"response body is not JSON: {self.text}")


def documented_response(method: str, path: str, status: int) -> tuple[dict, str] | None:
    """The resolved response object the spec gives for this status, with its pointer."""
    op_ptr = pointer("paths", path, method.lower())
    responses = lookup(op_ptr).get("responses", {})
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            return deref(op_ptr + pointer("responses", key))
    return None


def media_type_matches(documented: str, actual: str) -> bool:
    """`actual` (no parameters) is the documented media type or falls under its wildcard."""
    documented = documented.split(";")[0].strip().lower()
    if documented == "*/*":
        return True
    if documented.endswith("/*"):
        return actual.startswith(documented[:-1])
    return actual == documented


def check_response(method: str, path: str, answer: Answer | requests.Response) -> Any:
    """Asserts that the status is documented for the operation and that the body and the
    documented headers match; returns the decoded body (None when there is none). A JSON
    body is validated against its schema; another documented body (file contents, an
    archive) only needs a documented Content-Type and is returned as bytes. A response to
    HEAD has the documented status and headers but never a body."""
    if isinstance(answer, requests.Response):
        answer = Answer.of(answer)
    found = documented_response(method, path, answer.status)
    assert found is not None, f"status {answer.status} is not documented for {method} {path}: {answer.text}"
    response, resp_ptr = found
    for name, header in (response.get("headers") or {}).items():
        header_obj, header_ptr = deref(resp_ptr + pointer("headers", name))
        value = answer.headers.get(name.lower())
        if header_obj.get("required"):
            assert value is not None, f"documented header {name} missing: {answer.text}"
        if value is not None and "schema" in header_obj:
            errors = schema_errors(header_ptr + "/schema", value)
            assert not errors, f"header {name}: {value!r} does not match the spec: {errors}\n{answer.text}"
    content = response.get("content")
    if method.upper() == "HEAD":
        assert answer.body == b"", f"a response to HEAD with a body: {answer.text}"
        return None
    if not content:
        assert answer.body == b"", f"documented without a body, but one came: {answer.text}"
        return None
    ctype = answer.headers.get("content-type", "")
    if "application/json" not in content:
        actual = ctype.split(";")[0].strip().lower()
        assert any(media_type_matches(key, actual) for key in content), (
            f"Content-Type {ctype!r} is not among the documented {sorted(content)}: {answer.text}"
        )
        return answer.body
    assert ctype.split(";")[0].strip().lower() == "application/json", f"expected JSON: {answer.text}"
    body = answer.json()
    assert_matches_schema(resp_ptr + pointer("content", "application/json", "schema"), body, answer.text)
    return body


def check_error(method: str, path: str, answer: Answer | requests.Response, status: int, code: str | None = None) -> dict:
    """An error response: the expected status, documented for the operation, matching the
    spec's response (whose schema must be the Error schema or a refinement of it)."""
    if isinstance(answer, requests.Response):
        answer = Answer.of(answer)
    assert answer.status == status, f"expected {status}: {answer.text}"
    body = check_response(method, path, answer)
    assert_matches_schema("/components/schemas/Error", body, answer.text)
    if code is not None:
        assert body["error"]["code"] == code, f"expected error code {code!r}: {answer.text}"
    return body["error"]


def check_component_error(response_name: str, answer: Answer | requests.Response, status: int) -> dict:
    """Checks an answer against a reusable response (e.g. MethodNotAllowed) directly."""
    if isinstance(answer, requests.Response):
        answer = Answer.of(answer)
    assert answer.status == status, f"expected {status}: {answer.text}"
    response, resp_ptr = deref(pointer("components", "responses", response_name))
    for name, header in (response.get("headers") or {}).items():
        header_obj, header_ptr = deref(resp_ptr + pointer("headers", name))
        value = answer.headers.get(name.lower())
        if header_obj.get("required"):
            assert value is not None, f"documented header {name} missing: {answer.text}"
        if value is not None and "schema" in header_obj:
            assert not schema_errors(header_ptr + "/schema", value), f"header {name}={value!r}: {answer.text}"
    body = answer.json()
    assert_matches_schema(resp_ptr + pointer("content", "application/json", "schema"), body, answer.text)
    assert_matches_schema("/components/schemas/Error", body, answer.text)
    return body["error"]


# --------------------------------------------------------------------------- static: the document


def test_spec_is_valid_openapi_31():
    doc = spec()
    assert isinstance(doc, dict), "the spec must be a YAML mapping"
    assert str(doc.get("openapi", "")).startswith("3.1."), f"openapi: {doc.get('openapi')!r}, want 3.1.x"
    # Structural checks of our own first (the only ones without the validator package):
    # https://spec.openapis.org/oas/v3.1.0
    info = doc.get("info")
    assert isinstance(info, dict) and isinstance(info.get("title"), str) and isinstance(info.get("version"), str)
    assert isinstance(doc.get("paths"), dict) and doc["paths"], "no paths"
    op_ids = []
    for method, path in operations(doc):
        assert path.startswith("/"), path
        op = doc["paths"][path][method.lower()]
        assert isinstance(op.get("responses"), dict) and op["responses"], f"{method} {path}: no responses"
        for key in op["responses"]:
            assert isinstance(key, str) and re.fullmatch(r"[1-5](\d\d|XX)|default", key), (
                f"{method} {path}: response key {key!r} (quote status codes in YAML)"
            )
        op_ids.append(op.get("operationId"))
        declared = {p["name"] for p in parameters_of(method, path) if p.get("in") == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", path)), f"{method} {path}: path parameters"
    assert len(op_ids) == len(set(op_ids)), "duplicate operationId"
    # A catch-all parameter can only be the last segment (RouteRegistry's `{name...}`).
    for path, item in doc["paths"].items():
        if isinstance(item, dict) and CATCH_ALL_EXTENSION in item:
            assert item[CATCH_ALL_EXTENSION] is True, f"{path}: {CATCH_ALL_EXTENSION} must be true or absent"
            assert re.search(r"/\{[^{}/]+\}$", path), f"{path}: {CATCH_ALL_EXTENSION} on a path not ending in a parameter"
    schemes = doc.get("components", {}).get("securitySchemes", {})
    for requirement in doc.get("security", []):
        assert set(requirement) <= set(schemes), f"unknown security scheme in {requirement}"
    try:
        from openapi_spec_validator import OpenAPIV31SpecValidator
    except ImportError:
        OpenAPIV31SpecValidator = None
    if OpenAPIV31SpecValidator is not None:
        errors = [str(e).splitlines()[0][:300] for e in OpenAPIV31SpecValidator(doc).iter_errors()]
        assert not errors, f"{SPEC_PATH} is not valid OpenAPI 3.1: {errors[:10]}"
    # Every local $ref resolves and every schema is a valid JSON Schema 2020-12 (both
    # checks hold with or without the validator package).
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(doc)
    assert refs, "no $refs at all: the reusable components are not used"
    for ref in refs:
        assert ref.startswith("#/"), f"non-local $ref {ref}"
        try:
            deref(pointer(*[s.replace("~1", "/").replace("~0", "~") for s in ref[2:].split("/")]))
        except (KeyError, IndexError) as exc:
            pytest.fail(f"$ref {ref} does not resolve ({exc})")
    for name in doc.get("components", {}).get("schemas", {}):
        jsonschema.Draft202012Validator.check_schema(doc["components"]["schemas"][name])


def test_spec_has_the_common_components():
    components = spec().get("components", {})
    for name in ("Error", "ValidationError", "Quotas", "NextCursor", "KeyPage", "UserPage", "AuditPage"):
        assert name in components.get("schemas", {}), f"components.schemas.{name} missing"
    assert "X-Request-Id" in components.get("headers", {}), "components.headers.X-Request-Id missing"
    assert "RequestId" in components.get("parameters", {}), "components.parameters.RequestId missing"
    schemes = components.get("securitySchemes", {})
    assert any(s.get("type") == "http" and str(s.get("scheme")).lower() == "bearer" for s in schemes.values()), (
        "no HTTP bearer security scheme"
    )
    # The documented error shape accepts the contract's examples and refuses others.
    ok = {"error": {"code": "not_found", "message": "No such user."}}
    with_details = {"error": {"code": "validation_failed", "message": "m", "details": {"field": "name"}}}
    assert not schema_errors("/components/schemas/Error", ok)
    assert not schema_errors("/components/schemas/ValidationError", with_details)
    assert schema_errors("/components/schemas/Error", {"code": "x", "message": "y"})
    assert schema_errors("/components/schemas/Error", {"error": {"code": "NotSnake", "message": "m"}})
    assert schema_errors("/components/schemas/ValidationError", ok)
    # Pages: next_cursor always present, a string or null.
    assert not schema_errors("/components/schemas/UserPage", {"items": [], "next_cursor": None})
    assert schema_errors("/components/schemas/UserPage", {"items": []})
    # nox-files: its pages have the same shape; its errors reuse the shared responses.
    for name in ("FilePage", "BackupPage"):
        assert name in components.get("schemas", {}), f"components.schemas.{name} missing"
        assert not schema_errors(f"/components/schemas/{name}", {"items": [], "next_cursor": "abc"})
        assert schema_errors(f"/components/schemas/{name}", {"items": []})
    for name in ("InvalidPath", "UnsupportedMediaType", "QuotaExceeded", "RangeNotSatisfiable"):
        assert name in components.get("responses", {}), f"components.responses.{name} missing"
    entry = {"path": "a/b.txt", "name": "b.txt", "type": "file", "size": 3, "modified": "2026-01-02T03:04:05Z"}
    assert not schema_errors("/components/schemas/FileEntry", entry)
    assert schema_errors("/components/schemas/FileEntry", entry | {"type": "symlink"})
    assert schema_errors("/components/schemas/FileEntry", entry | {"path": "/a/b.txt"})
    name_hit = {"path": "notes.txt", "snippet": "notes.txt", "highlights": [[0, 5]]}
    assert not schema_errors("/components/schemas/SearchHit", name_hit)
    assert not schema_errors("/components/schemas/SearchHit", name_hit | {"line": 1})
    assert schema_errors("/components/schemas/SearchHit", name_hit | {"line": 0})
    assert schema_errors("/components/schemas/SearchHit", name_hit | {"highlights": [[0]]})
    # nox-exec: results have every key, null when unknown, and the keys agree with the status.
    for name in ("RunResult", "FinalRunResult", "HistoryPage", "LanguageList", "ExecRequest", "OutputChunk"):
        assert name in components.get("schemas", {}), f"components.schemas.{name} missing"
    assert "ServiceUnavailable" in components.get("responses", {}), "components.responses.ServiceUnavailable missing"
    done = {
        "id": "job_" + "0" * 32, "language": "python", "status": "succeeded", "exit_code": 0, "signal": None,
        "stdout": "1\n", "stderr": "", "stdout_truncated": False, "stderr_truncated": False,
        "created_at": "2026-01-02T03:04:05.678Z", "started_at": "2026-01-02T03:04:05.700Z",
        "finished_at": "2026-01-02T03:04:05.900Z", "duration_ms": 200, "cpu_ms": 15, "memory_peak_bytes": 8 << 20,
        "error": None,
    }
    queued = done | {"status": "queued", "exit_code": None, "stdout": "", "started_at": None, "finished_at": None,
                     "duration_ms": None, "cpu_ms": None, "memory_peak_bytes": None}
    killed = done | {"status": "killed", "exit_code": None, "signal": "SIGKILL"}
    failed = done | {"status": "error", "exit_code": None, "error": "systemd refused the run: no."}
    for ok in (done, queued, killed, failed, done | {"status": "failed", "exit_code": 3}):
        assert not schema_errors("/components/schemas/RunResult", ok), (ok, schema_errors("/components/schemas/RunResult", ok))
    for bad in (
        {k: v for k, v in done.items() if k != "signal"},  # every key always present
        done | {"status": "finished"},
        done | {"exit_code": 1},  # succeeded is exit 0
        done | {"status": "failed"},  # failed is exit != 0
        done | {"error": "why"},  # error only with status error
        done | {"signal": "SIGTERM"},  # an exit is not a signal
        done | {"finished_at": None},  # final results have ended
        queued | {"exit_code": 0},
        queued | {"started_at": "2026-01-02T03:04:05.700Z"},
        killed | {"signal": "9"},
        done | {"extra": 1},
    ):
        assert schema_errors("/components/schemas/RunResult", bad), bad
    assert schema_errors("/components/schemas/FinalRunResult", queued)
    assert not schema_errors("/components/schemas/FinalRunResult", done)
    item = done | {"username": "alice", "code": "print(1)", "file": None}
    assert not schema_errors("/components/schemas/HistoryPage", {"items": [item], "next_cursor": None})
    assert not schema_errors("/components/schemas/HistoryItem", item | {"code": None, "file": "src/a.py"})
    assert schema_errors("/components/schemas/HistoryItem", item | {"file": "src/a.py"})
    assert schema_errors("/components/schemas/HistoryItem", {k: v for k, v in item.items() if k != "file"})
    assert schema_errors("/components/schemas/HistoryItem", item | {"status": "succeeded", "exit_code": 2})
    for ok in ({"language": "python", "code": "print(1)"}, {"language": "py", "code": None, "file": "a.py", "wait": False},
               {"language": "python", "code": "", "env": {"_X1": "v"}, "args": ["a b"], "files": {"d/a.txt": "t"}}):
        assert not schema_errors("/components/schemas/ExecRequest", ok), ok
    for bad in ({"code": "x"}, {"language": "python"}, {"language": "python", "code": "x", "file": "a.py"},
                {"language": "python", "code": "x", "env": {"PATH": "/x"}},
                {"language": "python", "code": "x", "env": {"LD_PRELOAD": "x"}},
                {"language": "python", "code": "x", "env": {"lower": "x"}},
                {"language": "python", "code": "x", "timeout_s": 0}, {"language": "python", "code": "x", "memory_mb": 8}):
        assert schema_errors("/components/schemas/ExecRequest", bad), bad
    assert not schema_errors("/components/schemas/LanguageList", {"items": [
        {"name": "python", "version": "3.11.2", "aliases": ["py", "python3"], "file_extension": "py"},
        {"name": "sh", "version": None, "aliases": [], "file_extension": "sh"}]})
    assert schema_errors("/components/schemas/LanguageList", {"items": [{"name": "python", "aliases": [], "file_extension": "py"}]})
    events = lookup(EVENTS_POINTER)
    assert set(events) == {"stdout", "stderr", "status"}, f"{EVENTS_POINTER}: {sorted(events)}"


@pytest.mark.parametrize("method, path", operations(SPEC), ids=[f"{m} {p}" for m, p in operations(SPEC)])
def test_every_operation_documents_request_id_and_errors(method, path):
    doc = spec()
    op = doc["paths"][path][method.lower()]
    params = parameters_of(method, path)
    assert any(p.get("in") == "header" and p.get("name") == "X-Request-Id" for p in params), (
        f"{method} {path}: X-Request-Id request header not documented"
    )
    secured = op.get("security", doc.get("security", []))
    for key in op["responses"]:
        response, ptr = deref(pointer("paths", path, method.lower(), "responses", key))
        assert "X-Request-Id" in (response.get("headers") or {}), f"{method} {path} {key}: no X-Request-Id header"
        if key[0] in "45":
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            assert schema.get("$ref") in ("#/components/schemas/Error", "#/components/schemas/ValidationError"), (
                f"{method} {path} {key}: error response without the Error schema"
            )
        if key == "401":
            assert "WWW-Authenticate" in (response.get("headers") or {}), f"{method} {path}: 401 without WWW-Authenticate"
        if key == "429":
            assert "Retry-After" in (response.get("headers") or {}), f"{method} {path}: 429 without Retry-After"
    if secured:
        assert "401" in op["responses"], f"{method} {path} needs a credential but documents no 401"
        assert "429" in op["responses"], f"{method} {path} is rate limited per user but documents no 429"
    if op.get("x-nox-permission"):
        assert "403" in op["responses"], f"{method} {path} needs {op['x-nox-permission']} but documents no 403"
    # Bodies other than JSON (a file's raw bytes, multipart) are streamed to disk: no
    # invalid_json, no JSON size limit; what they can be refused with is listed per operation.
    if method in ("POST", "PUT", "PATCH") and "application/json" in (op.get("requestBody") or {}).get("content", {}):
        for key in ("400", "413", "422"):
            assert key in op["responses"], f"{method} {path} takes a JSON body but documents no {key}"
    if method == "HEAD":
        # HEAD answers exactly what GET would, without the body.
        assert "get" in doc["paths"][path], f"HEAD {path} without GET"
        assert set(op["responses"]) == set(doc["paths"][path]["get"]["responses"]), (
            f"HEAD {path} documents other statuses than GET {path}"
        )


# --------------------------------------------------------------------------- static: routes vs sources


def _scan_routes() -> tuple[set[tuple[str, str]], set[str]]:
    """(METHOD, path) of every route registered with a literal path, the catch-all segment
    `{name...}` written `{name}` as in the spec; and the paths that had one.

    Registrations whose path is not a string literal are not seen: nox-files registers the
    file methods once more on `/api/files/move` and `/api/files/search` from a variable (so
    that files of those names stay reachable; the router prefers literal segments). Those
    are the documented `/api/files/{path}` operations, not operations of their own."""
    routes: set[tuple[str, str]] = set()
    catch_alls: set[str] = set()
    for directory in ROUTE_SOURCES:
        for source in sorted(directory.rglob("*.swift")):
            text = source.read_text(encoding="utf-8")
            for method, path in ROUTE_RE.findall(text):
                normalised = CATCH_ALL_RE.sub(r"{\1}", path)
                routes.add((method.upper(), normalised))
                if normalised != path:
                    catch_alls.add(normalised)
            raw = RAW_ROUTE_RE.findall(text)
            assert not raw, (
                f"{source.relative_to(REPO_ROOT)} registers routes without router.route(…, registry:) "
                f"({raw}); they would answer 404 instead of 405 and escape this check"
            )
    return routes, catch_alls


def served_routes() -> set[tuple[str, str]]:
    return _scan_routes()[0]


def test_documented_routes_are_exactly_the_served_ones():
    served, served_catch_alls = _scan_routes()
    assert len(served) >= 10, f"found only {sorted(served)} in {ROUTE_SOURCES}: has the route syntax changed?"
    missing = [str(d.relative_to(REPO_ROOT)) for d in ROUTE_SOURCES if not d.is_dir()]
    assert not missing, f"{missing} missing: update ROUTE_SOURCES"
    documented = set(operations(spec()))
    undocumented = sorted(served - documented)
    unserved = sorted(documented - served)
    assert not undocumented, f"served by the daemons but not in {SPEC_PATH.name}: {undocumented}"
    assert not unserved, f"in {SPEC_PATH.name} but served by no daemon: {unserved}"
    marked = set(catch_all_paths(spec()))
    assert served_catch_alls == marked, (
        f"paths served with a catch-all `{{name...}}` {sorted(served_catch_alls)} must be exactly those "
        f"marked {CATCH_ALL_EXTENSION}: true in {SPEC_PATH.name} {sorted(marked)}"
    )


# --------------------------------------------------------------------------- live: routing


def fill(path: str) -> str:
    """The path with every `{param}` replaced by a value that names nothing; a catch-all
    parameter gets two segments (`zz…/zz…`), so that spanning segments is exercised too."""
    catch_all = path in catch_all_paths(SPEC)

    def value(match: re.Match) -> str:
        one = f"zz{uuid.uuid4().hex[:12]}"
        return f"{one}/zz{uuid.uuid4().hex[:12]}" if catch_all and match.end() == len(path) else one

    return re.sub(r"\{[^}]+\}", value, path)


def assert_not_a_generic_404(resp: requests.Response) -> None:
    """A 404 that a handler gave (a missing object), not the router's or nginx's."""
    err = resp.json().get("error", {}) if resp.headers.get("Content-Type", "").startswith("application/json") else {}
    assert err.get("code") == "not_found" and not str(err.get("message", "")).startswith(GENERIC_404_PREFIXES), (
        f"documented but not routed (generic 404): {describe(resp)}"
    )


def undo(nox, token: str, method: str, path: str, filled: str, resp: requests.Response) -> None:
    """Removes what a routing probe created (best effort): a file PUT at a catch-all path
    (with the directory `fill` invented for it), a backup."""
    try:
        if method == "PUT" and path in catch_all_paths(SPEC) and resp.status_code in (200, 201):
            prefix = path[: path.index("{")]
            top = prefix + filled[len(prefix):].split("/")[0]
            request(nox, "DELETE", top, token=token, params={"recursive": "true"})
        elif method == "POST" and path == "/api/backup" and resp.status_code == 201:
            request(nox, "DELETE", f"/api/backups/{resp.json()['id']}", token=token)
    except (requests.RequestException, ValueError, KeyError):
        pass


@pytest.mark.parametrize("method, path", operations(SPEC), ids=[f"{m} {p}" for m, p in operations(SPEC)])
def test_documented_operation_is_routed(nox, admin, method, path):
    body = {} if method in ("POST", "PUT", "PATCH") else None
    filled = fill(path)
    if path == "/api/metrics/stream":
        # A live stream never ends by itself: read its head only (nox-metrics).
        with requests.get(nox.url + filled, headers={"Authorization": f"Bearer {admin.access_token}"}, verify=nox.verify,
                          stream=True, timeout=15) as live:
            assert live.status_code == 200 and live.headers.get("Content-Type", "").startswith("text/event-stream"), describe(live)
        return
    resp = request(nox, method, filled, token=admin.access_token, json_body=body)
    try:
        assert resp.status_code != 405, f"documented but not routed (405): {describe(resp)}"
        assert resp.status_code < 500, f"server error: {describe(resp)}"
        if resp.status_code == 404 and method == "HEAD":
            # No body to tell: the same path with GET must be a handler's 404. Then HEAD's is
            # too, as an unrouted HEAD would be 405 (the router answers "No such endpoint"
            # only for a path without any route).
            assert ("GET", path) in operations(spec()), f"HEAD {path} without GET: {describe(resp)}"
            probe = request(nox, "GET", filled, token=admin.access_token)
            assert probe.status_code == 404, f"HEAD was 404 but GET is not: {describe(probe)}"
            assert_not_a_generic_404(probe)
        elif resp.status_code == 404:
            assert_not_a_generic_404(resp)
        check_response(method, path, resp)
    finally:
        undo(nox, admin.access_token, method, path, filled, resp)


def _paths() -> list[str]:
    return sorted((SPEC or {}).get("paths", {}))


def allowed_methods(path: str, filled: str) -> tuple[set[str], list[str]]:
    """The methods a request to `filled` (a concrete `path`) is served with: those documented
    for `path`, and those of every other catch-all path that also matches it (nox-files
    serves a file named `move` at `/api/files/move` with the methods of `/api/files/{path}`);
    with the paths they came from."""
    ops = operations(spec())
    methods = {m for m, p in ops if p == path}
    sources = [path]
    for other in catch_all_paths(spec()):
        if other != path and catch_all_matches(other, filled):
            methods |= {m for m, p in ops if p == other}
            sources.append(other)
    return methods, sources


@pytest.mark.parametrize("path", _paths())
def test_undocumented_method_is_405_with_allow(nox, admin, path):
    filled = fill(path)
    expected, sources = allowed_methods(path, filled)
    method = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in expected)
    resp = request(nox, method, filled, token=admin.access_token, json_body={} if method != "GET" else None)
    err = check_component_error("MethodNotAllowed", resp, 405)
    assert err["code"] == "method_not_allowed", describe(resp)
    allow = {m.strip().upper() for m in resp.headers["Allow"].split(",") if m.strip()}
    assert allow == expected, (
        f"Allow lists {sorted(allow)}, the spec documents {sorted(expected)} (for {' and '.join(sources)}): {describe(resp)}"
    )


def test_catch_all_overlaps_are_what_the_405_test_expects():
    """Static: the literal paths under a catch-all are served with both paths' methods, and
    an undocumented method remains to try on each."""
    assert "/api/files/{path}" in catch_all_paths(spec()), catch_all_paths(spec())
    for path in ("/api/files/move", "/api/files/search"):
        methods, sources = allowed_methods(path, path)
        assert methods == {"POST", "GET", "HEAD", "PUT", "DELETE"} and sources == [path, "/api/files/{path}"], (path, methods)
    assert allowed_methods("/api/files", "/api/files")[0] == {"GET", "POST", "DELETE"}
    assert catch_all_matches("/api/files/{path}", "/api/files/a/b/c")
    assert not catch_all_matches("/api/files/{path}", "/api/files")
    assert not catch_all_matches("/api/files/{path}", "/api/backups/x")


@pytest.mark.parametrize(
    "path",
    ["/api/auth/no-such-thing", "/api/admin/users/x/y", "/api/keys/x/y", "/api/backups/x/y", "/api/restore/x",
     "/api/jobs/x/y", "/api/jobs/x/events/y", "/api/languages/x", "/api/history/x"],
)
def test_undocumented_path_is_404(nox, admin, path):
    resp = request(nox, "GET", path, token=admin.access_token)
    err = check_component_error("NotFound", resp, 404)
    assert err["code"] == "not_found", describe(resp)


# --------------------------------------------------------------------------- live: bodies vs schemas


@pytest.fixture(scope="module")
def created_users(nox):
    """Usernames this module created; deleted (best effort) when the module ends."""
    names: list[str] = []
    yield names
    if not names:
        return
    boss = admin_client(nox)
    for name in names:
        try:
            request(nox, "DELETE", f"/api/admin/users/{name}", token=boss.access_token)
        except requests.RequestException:
            pass


def make_person(nox, created_users, role: str = "user", quotas: dict | None = None) -> dict:
    """Creates a user (checking the 201 against the spec) and logs it in."""
    boss = admin_client(nox)
    username, password = unique_name("oa"), new_password()
    body: dict[str, Any] = {"username": username, "password": password, "role": role}
    if quotas is not None:
        body["quotas"] = quotas
    resp = request(nox, "POST", "/api/admin/users", token=boss.access_token, json_body=body)
    if resp.status_code == 201:
        created_users.append(username)
    user = check_response("POST", "/api/admin/users", resp)
    assert resp.status_code == 201, describe(resp)
    assert user["username"] == username and user["role"] == role, describe(resp)
    login = login_response(nox, username, password)
    tokens = check_response("POST", "/api/auth/login", login)
    assert login.status_code == 200, describe(login)
    return {"username": username, "password": password, "tokens": tokens}


@pytest.fixture(scope="module")
def person(nox, created_users) -> dict:
    return make_person(nox, created_users)


def test_login_refresh_logout_match_spec(nox, created_users):
    someone = make_person(nox, created_users)
    first = someone["tokens"]
    assert first["token_type"] == "Bearer"

    resp = request(nox, "POST", "/api/auth/refresh", json_body={"refresh_token": first["refresh_token"]})
    second = check_response("POST", "/api/auth/refresh", resp)
    assert resp.status_code == 200, describe(resp)
    # The first refresh token is spent now: presenting it again is a 401 (and revokes the family).
    again = request(nox, "POST", "/api/auth/refresh", json_body={"refresh_token": first["refresh_token"]})
    check_error("POST", "/api/auth/refresh", again, 401)

    third = check_response("POST", "/api/auth/login", login_response(nox, someone["username"], someone["password"]))
    resp = request(nox, "POST", "/api/auth/logout", json_body={"refresh_token": third["refresh_token"]})
    assert resp.status_code == 204, describe(resp)
    check_response("POST", "/api/auth/logout", resp)
    resp = request(nox, "POST", "/api/auth/logout", json_body={"refresh_token": "unknown-" + uuid.uuid4().hex})
    check_error("POST", "/api/auth/logout", resp, 401, "unauthorized")
    assert second["refresh_token"] != first["refresh_token"]

    wrong = request(nox, "POST", "/api/auth/login",
                    json_body={"username": someone["username"], "password": "wrong-" + uuid.uuid4().hex})
    if wrong.status_code != 429:  # another test's failures may have the address backing off
        check_error("POST", "/api/auth/login", wrong, 401, "invalid_credentials")
    # Clear this username's failure record again.
    login_response(nox, someone["username"], someone["password"])


def test_me_matches_spec(nox, person):
    resp = request(nox, "GET", "/api/auth/me", token=person["tokens"]["access_token"])
    me = check_response("GET", "/api/auth/me", resp)
    assert resp.status_code == 200 and me["username"] == person["username"], describe(resp)
    assert "key_id" not in me, f"key_id with a JWT: {describe(resp)}"

    created = request(nox, "POST", "/api/keys", token=person["tokens"]["access_token"], json_body={"name": "me-test"})
    key = check_response("POST", "/api/keys", created)
    assert created.status_code == 201, describe(created)
    try:
        resp = request(nox, "GET", "/api/auth/me", token=key["key"])
        me = check_response("GET", "/api/auth/me", resp)
        assert resp.status_code == 200 and me.get("key_id") == key["id"], describe(resp)
    finally:
        request(nox, "DELETE", f"/api/keys/{key['id']}", token=person["tokens"]["access_token"])


def test_jwks_matches_spec(nox, person):
    resp = request(nox, "GET", "/api/auth/keys")
    jwks = check_response("GET", "/api/auth/keys", resp)
    assert resp.status_code == 200, describe(resp)
    header_b64 = person["tokens"]["access_token"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    assert header.get("kid") in {k["kid"] for k in jwks["keys"]}, f"token kid {header.get('kid')!r} not in the JWKS"


def test_keys_match_spec(nox, person):
    token = person["tokens"]["access_token"]
    made = []
    for body in ({"name": "oa-one"}, {"name": "oa-two", "scopes": ["exec:run", "files:read"], "expires_in_days": 7}):
        resp = request(nox, "POST", "/api/keys", token=token, json_body=body)
        key = check_response("POST", "/api/keys", resp)
        assert resp.status_code == 201, describe(resp)
        made.append(key)
    assert made[0]["expires_at"] is None and made[1]["expires_at"] is not None
    assert made[1]["scopes"] == ["exec:run", "files:read"]

    seen = []
    cursor = None
    for _ in range(10):
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        resp = request(nox, "GET", "/api/keys", token=token, params=params)
        page = check_response("GET", "/api/keys", resp)
        assert resp.status_code == 200, describe(resp)
        seen += [k["id"] for k in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert {k["id"] for k in made} <= set(seen), f"created keys not listed: {seen}"
    resp = request(nox, "GET", "/api/keys", token=token)
    check_response("GET", "/api/keys", resp)

    for key in made:
        resp = request(nox, "DELETE", f"/api/keys/{key['id']}", token=token)
        assert resp.status_code == 204, describe(resp)
        check_response("DELETE", "/api/keys/{id}", resp)
    resp = request(nox, "DELETE", f"/api/keys/{made[0]['id']}", token=token)
    check_error("DELETE", "/api/keys/{id}", resp, 404, "not_found")


def test_users_match_spec(nox, admin, created_users):
    token = admin.access_token
    name = unique_name("oa")
    body = {"username": name, "password": new_password(), "role": "viewer", "quotas": {"memory_mb": 256}}
    resp = request(nox, "POST", "/api/admin/users", token=token, json_body=body)
    if resp.status_code == 201:
        created_users.append(name)
    user = check_response("POST", "/api/admin/users", resp)
    assert resp.status_code == 201 and user["quotas"]["memory_mb"] == 256, describe(resp)

    resp = request(nox, "POST", "/api/admin/users", token=token, json_body=body)
    check_error("POST", "/api/admin/users", resp, 409, "user_exists")

    resp = request(nox, "GET", "/api/admin/users", token=token, params={"limit": 1})
    page = check_response("GET", "/api/admin/users", resp)
    assert resp.status_code == 200 and isinstance(page["next_cursor"], str), describe(resp)
    resp = request(nox, "GET", "/api/admin/users", token=token, params={"limit": 1, "cursor": page["next_cursor"]})
    check_response("GET", "/api/admin/users", resp)
    assert resp.status_code == 200, describe(resp)
    resp = request(nox, "GET", "/api/admin/users", token=token, params={"limit": 1000})
    page = check_response("GET", "/api/admin/users", resp)
    assert resp.status_code == 200, describe(resp)

    resp = request(nox, "GET", f"/api/admin/users/{name}", token=token)
    got = check_response("GET", "/api/admin/users/{name}", resp)
    assert resp.status_code == 200 and got["username"] == name, describe(resp)

    resp = request(nox, "PATCH", f"/api/admin/users/{name}", token=token,
                   json_body={"role": "user", "quotas": {"tasks_max": 32}, "disabled": True})
    patched = check_response("PATCH", "/api/admin/users/{name}", resp)
    assert resp.status_code == 200, describe(resp)
    assert patched["role"] == "user" and patched["disabled"] is True, describe(resp)
    assert patched["quotas"]["tasks_max"] == 32 and patched["quotas"]["memory_mb"] == 256, describe(resp)

    resp = request(nox, "PATCH", f"/api/admin/users/{name}", token=token, json_body={"quotas": {"bogus": 1}})
    err = check_error("PATCH", "/api/admin/users/{name}", resp, 422, "validation_failed")
    assert_matches_schema("/components/schemas/ValidationError", {"error": err}, describe(resp))

    resp = request(nox, "DELETE", f"/api/admin/users/{name}", token=token)
    assert resp.status_code == 204, describe(resp)
    check_response("DELETE", "/api/admin/users/{name}", resp)
    for method in ("GET", "PATCH", "DELETE"):
        resp = request(nox, method, f"/api/admin/users/{name}", token=token, json_body={} if method == "PATCH" else None)
        check_error(method, "/api/admin/users/{name}", resp, 404, "not_found")


def test_audit_matches_spec(nox, admin, person):
    token = admin.access_token
    resp = request(nox, "GET", "/api/admin/audit", token=token, params={"limit": 5})
    page = check_response("GET", "/api/admin/audit", resp)
    assert resp.status_code == 200 and page["items"], describe(resp)
    if page["next_cursor"]:
        resp = request(nox, "GET", "/api/admin/audit", token=token, params={"limit": 5, "cursor": page["next_cursor"]})
        check_response("GET", "/api/admin/audit", resp)
    # Failed refreshes have no acting user: those fields are left out, which the spec must allow.
    request(nox, "POST", "/api/auth/refresh", json_body={"refresh_token": "not-a-token-" + uuid.uuid4().hex})
    for params in ({"user": person["username"]}, {"action": "auth.refresh", "limit": 20},
                   {"since": "2000-01-01T00:00:00Z", "until": "2999-01-01T00:00:00Z", "limit": 3}):
        resp = request(nox, "GET", "/api/admin/audit", token=token, params=params)
        page = check_response("GET", "/api/admin/audit", resp)
        assert resp.status_code == 200, describe(resp)
    resp = request(nox, "GET", "/api/admin/audit", token=token, params={"since": "yesterday"})
    check_error("GET", "/api/admin/audit", resp, 422, "validation_failed")


# --------------------------------------------------------------------------- live: errors vs Error


def test_401_and_403_match_spec(nox, person):
    resp = request(nox, "GET", "/api/auth/me")
    check_error("GET", "/api/auth/me", resp, 401, "unauthorized")
    resp = request(nox, "GET", "/api/keys", token="nox_" + "A" * 43)
    check_error("GET", "/api/keys", resp, 401, "unauthorized")
    resp = request(nox, "GET", "/api/admin/users", token=person["tokens"]["access_token"])
    err = check_error("GET", "/api/admin/users", resp, 403, "forbidden")
    assert err.get("details", {}).get("permission") == "admin:users", describe(resp)
    resp = request(nox, "GET", "/api/admin/audit", token=person["tokens"]["access_token"])
    check_error("GET", "/api/admin/audit", resp, 403, "forbidden")


def test_400_and_422_match_spec(nox, person):
    resp = request(nox, "POST", "/api/auth/login", data=b'{"username": "a",', headers={"Content-Type": "application/json"})
    check_error("POST", "/api/auth/login", resp, 400, "invalid_json")
    resp = request(nox, "POST", "/api/auth/login", json_body={"username": "a"})
    err = check_error("POST", "/api/auth/login", resp, 422, "validation_failed")
    assert err["details"]["field"] == "password", describe(resp)
    token = person["tokens"]["access_token"]
    resp = request(nox, "POST", "/api/keys", token=token, json_body={"name": "x", "scopes": ["admin:users"]})
    err = check_error("POST", "/api/keys", resp, 422, "validation_failed")
    assert err["details"]["field"] == "scopes", describe(resp)
    resp = request(nox, "GET", "/api/keys", token=token, params={"limit": 0})
    check_error("GET", "/api/keys", resp, 422, "validation_failed")
    resp = request(nox, "GET", "/api/keys", token=token, params={"cursor": "garbage"})
    check_error("GET", "/api/keys", resp, 422, "validation_failed")


def test_413_matches_spec(nox):
    total = 2 * 1024 * 1024
    payload = b'{"username": "big", "password": "' + b"a" * (total - 36) + b'"}'
    status, headers, body = raw_request_with_body(
        nox, "POST", "/api/auth/login",
        {"Content-Type": "application/json", "Content-Length": str(len(payload)), "X-Request-Id": f"oa-{uuid.uuid4().hex}"},
        [payload[i:i + (1 << 16)] for i in range(0, len(payload), 1 << 16)],
    )
    answer = Answer(status, headers, body, f"POST /api/auth/login (2 MiB) -> {status} {headers} {body[:300]!r}")
    check_error("POST", "/api/auth/login", answer, 413, "payload_too_large")


def test_429_matches_spec(nox, created_users):
    slow = make_person(nox, created_users, quotas={"requests_per_minute": 1})
    token = slow["tokens"]["access_token"]
    statuses = []
    for _ in range(3):
        resp = request(nox, "GET", "/api/auth/me", token=token)
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            err = check_error("GET", "/api/auth/me", resp, 429, "rate_limited")
            assert resp.headers["Retry-After"] == err["details"]["retry_after"], describe(resp)
            return
        check_response("GET", "/api/auth/me", resp)
    pytest.fail(f"requests_per_minute=1 never answered 429: {statuses}")


# --------------------------------------------------------------------------- live: nox-files vs the spec

FILE = "/api/files/{path}"


@pytest.fixture(scope="module")
def filer(nox, created_users) -> dict:
    """A user of its own for the files tests, so its sandbox holds only what they put there."""
    return make_person(nox, created_users)


def put_file(nox, token: str, path: str, data: bytes, expect: int) -> dict:
    resp = request(nox, "PUT", file_url(path), token=token, data=data,
                   headers={"Content-Type": "application/octet-stream"})
    written = check_response("PUT", FILE, resp)
    assert resp.status_code == expect, f"expected {expect}: {describe(resp)}"
    assert written == {"path": path, "size": len(data), "sha256": sha256_hex(data)}, describe(resp)
    return written


def test_file_listing_matches_spec(nox, filer):
    token = filer["tokens"]["access_token"]
    for path, data in (("ls/one.txt", b"one\n"), ("ls/two.bin", bytes(range(256))), ("ls/sub/three.txt", b"3\n")):
        put_file(nox, token, path, data, 201)

    resp = request(nox, "GET", "/api/files", token=token)
    page = check_response("GET", "/api/files", resp)
    assert resp.status_code == 200, describe(resp)
    ls = [i for i in page["items"] if i["path"] == "ls"]
    assert len(ls) == 1 and (ls[0]["name"], ls[0]["type"], ls[0]["size"]) == ("ls", "dir", 0), describe(resp)

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"path": "ls", "recursive": "true", "limit": 2} | ({"cursor": cursor} if cursor else {})
        resp = request(nox, "GET", "/api/files", token=token, params=params)
        page = check_response("GET", "/api/files", resp)
        assert resp.status_code == 200, describe(resp)
        seen += [i["path"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["ls/one.txt", "ls/sub", "ls/sub/three.txt", "ls/two.bin"], seen

    for params, status, code in (
        ({"path": "ls/missing"}, 404, "not_found"),
        ({"path": "ls/one.txt"}, 409, "not_a_directory"),
        ({"path": "../ls"}, 400, "invalid_path"),
        ({"recursive": "maybe"}, 422, "validation_failed"),
        ({"limit": 0}, 422, "validation_failed"),
        ({"cursor": "garbage"}, 422, "validation_failed"),
    ):
        resp = request(nox, "GET", "/api/files", token=token, params=params)
        check_error("GET", "/api/files", resp, status, code)
    resp = request(nox, "DELETE", "/api/files", token=token)
    check_error("DELETE", "/api/files", resp, 400, "invalid_path")


def test_file_download_matches_spec(nox, filer):
    token = filer["tokens"]["access_token"]
    data = bytes(range(256)) * 4
    url = file_url("dl/data.bin")
    put_file(nox, token, "dl/data.bin", b"old", 201)
    put_file(nox, token, "dl/data.bin", data, 200)

    resp = request(nox, "GET", url, token=token, headers=IDENTITY)
    body = check_response("GET", FILE, resp)
    assert resp.status_code == 200 and body == data, describe(resp)
    assert resp.headers["Content-Length"] == str(len(data)), describe(resp)
    etag = resp.headers["ETag"]
    assert not etag.startswith("W/"), f"a strong ETag without compression: {describe(resp)}"

    for method in ("HEAD", "GET"):
        resp = request(nox, method, url, token=token, headers=IDENTITY)
        check_response(method, FILE, resp)
        assert resp.status_code == 200 and resp.headers["ETag"] == etag, describe(resp)
        assert resp.headers["Content-Length"] == str(len(data)), describe(resp)

        resp = request(nox, method, url, token=token, headers={**IDENTITY, "Range": "bytes=2-5"})
        part = check_response(method, FILE, resp)
        assert resp.status_code == 206, describe(resp)
        assert resp.headers["Content-Range"] == f"bytes 2-5/{len(data)}", describe(resp)
        assert part == (data[2:6] if method == "GET" else None), describe(resp)

        resp = request(nox, method, url, token=token, headers={**IDENTITY, "If-None-Match": etag})
        check_response(method, FILE, resp)
        assert resp.status_code == 304 and resp.headers["ETag"] == etag, describe(resp)

        resp = request(nox, method, url, token=token, headers={**IDENTITY, "Range": f"bytes={len(data)}-"})
        check_response(method, FILE, resp)
        assert resp.status_code == 416 and resp.headers["Content-Range"] == f"bytes */{len(data)}", describe(resp)
    check_error("GET", FILE, resp, 416, "range_not_satisfiable")

    check_error("GET", FILE, request(nox, "GET", file_url("dl"), token=token), 409, "is_a_directory")
    check_error("GET", FILE, request(nox, "GET", file_url("dl/none/x.bin"), token=token), 404, "not_found")
    check_error("GET", FILE, request(nox, "GET", "/api/files/dl/a%5Cb", token=token), 400, "invalid_path")
    resp = request(nox, "HEAD", file_url("dl/none.bin"), token=token)
    check_response("HEAD", FILE, resp)
    assert resp.status_code == 404, describe(resp)
    resp = request(nox, "PUT", file_url("dl"), token=token, data=b"x", headers={"Content-Type": "application/octet-stream"})
    check_error("PUT", FILE, resp, 409, "is_a_directory")


@pytest.mark.parametrize("name", ["move", "search"])
def test_files_named_like_literal_routes_match_spec(nox, filer, name):
    """`/api/files/move` and `/api/files/search` are POST operations of their own, and for
    the other methods the file of that name (the `/api/files/{path}` operations)."""
    token = filer["tokens"]["access_token"]
    url = f"/api/files/{name}"
    put_file(nox, token, name, b"a file named " + name.encode(), 201)
    resp = request(nox, "GET", url, token=token, headers=IDENTITY)
    assert check_response("GET", FILE, resp) == b"a file named " + name.encode(), describe(resp)
    resp = request(nox, "HEAD", url, token=token, headers=IDENTITY)
    check_response("HEAD", FILE, resp)
    assert resp.status_code == 200, describe(resp)
    resp = request(nox, "DELETE", url, token=token)
    check_response("DELETE", FILE, resp)
    assert resp.status_code == 204, describe(resp)
    check_error("GET", FILE, request(nox, "GET", url, token=token), 404, "not_found")


def test_file_delete_matches_spec(nox, filer):
    token = filer["tokens"]["access_token"]
    put_file(nox, token, "del/a/b.txt", b"b", 201)
    check_error("DELETE", FILE, request(nox, "DELETE", file_url("del"), token=token), 409, "directory_not_empty")
    resp = request(nox, "DELETE", file_url("del"), token=token, params={"recursive": "maybe"})
    check_error("DELETE", FILE, resp, 422, "validation_failed")
    resp = request(nox, "DELETE", file_url("del/a/b.txt"), token=token)
    check_response("DELETE", FILE, resp)
    assert resp.status_code == 204, describe(resp)
    check_error("DELETE", FILE, request(nox, "DELETE", file_url("del/a/b.txt"), token=token), 404, "not_found")
    resp = request(nox, "DELETE", file_url("del"), token=token, params={"recursive": "true"})
    check_response("DELETE", FILE, resp)
    assert resp.status_code == 204, describe(resp)


def test_move_matches_spec(nox, filer):
    token = filer["tokens"]["access_token"]
    move = "/api/files/move"
    put_file(nox, token, "mv/src.txt", b"s", 201)
    put_file(nox, token, "mv/other.txt", b"oo", 201)

    resp = request(nox, "POST", move, token=token, json_body={"from": "mv/src.txt", "to": "mv/deep/dst.txt"})
    entry = check_response("POST", move, resp)
    assert resp.status_code == 200, describe(resp)
    assert (entry["path"], entry["name"], entry["type"], entry["size"]) == ("mv/deep/dst.txt", "dst.txt", "file", 1), entry
    resp = request(nox, "POST", move, token=token, json_body={"from": "mv/other.txt", "to": "mv/deep/dst.txt"})
    check_error("POST", move, resp, 409, "already_exists")
    resp = request(nox, "POST", move, token=token,
                   json_body={"from": "mv/other.txt", "to": "mv/deep/dst.txt", "overwrite": True})
    entry = check_response("POST", move, resp)
    assert resp.status_code == 200 and entry["size"] == 2, describe(resp)

    for body, status, code in (
        ({"from": "mv", "to": "mv/deeper/mv"}, 409, "invalid_move"),
        ({"from": "mv/none.txt", "to": "mv/x.txt"}, 404, "not_found"),
        ({"from": "../mv", "to": "x"}, 400, "invalid_path"),
        ({"from": "mv/deep/dst.txt"}, 422, "validation_failed"),
        ({"from": "mv/deep/dst.txt", "to": 7}, 422, "validation_failed"),
    ):
        check_error("POST", move, request(nox, "POST", move, token=token, json_body=body), status, code)
    resp = request(nox, "POST", move, token=token, data=b'{"from":', headers={"Content-Type": "application/json"})
    check_error("POST", move, resp, 400, "invalid_json")


def test_search_matches_spec(nox, filer):
    token = filer["tokens"]["access_token"]
    search = "/api/files/search"
    put_file(nox, token, "sr/notes.txt", b"alpha beta\ngamma Alphabet delta\n", 201)

    resp = request(nox, "POST", search, token=token, json_body={"query": "alpha", "path": "sr"})
    found = check_response("POST", search, resp)
    assert resp.status_code == 200, describe(resp)
    hits = [h for h in found["items"] if h["path"] == "sr/notes.txt"]
    assert {h.get("line") for h in hits} >= {1, 2}, describe(resp)
    for hit in hits:
        assert hit["highlights"], describe(resp)
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end].lower().startswith("alpha"), (hit, describe(resp))

    resp = request(nox, "POST", search, token=token, json_body={"query": "notes", "limit": 5})
    found = check_response("POST", search, resp)
    assert resp.status_code == 200 and len(found["items"]) <= 5, describe(resp)
    assert any(h["path"] == "sr/notes.txt" and "line" not in h for h in found["items"]), (
        f"expected a name hit (without line): {describe(resp)}"
    )

    for body, status, code in (
        ({"query": "   "}, 422, "validation_failed"),
        ({"query": "a" * 1001}, 422, "validation_failed"),
        ({"query": "alpha", "limit": 0}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
        ({"query": "alpha", "path": "sr/../.."}, 400, "invalid_path"),
    ):
        check_error("POST", search, request(nox, "POST", search, token=token, json_body=body), status, code)
    resp = request(nox, "POST", search, token=token, data=b"{", headers={"Content-Type": "application/json"})
    check_error("POST", search, resp, 400, "invalid_json")


def test_upload_matches_spec(nox, filer):
    token = filer["tokens"]["access_token"]

    def post(body: bytes, content_type: str) -> requests.Response:
        return request(nox, "POST", "/api/files", token=token, data=body, headers={"Content-Type": content_type})

    resp = post(*multipart([Field("dir", "up"), FilePart("a.txt", b"A"), FilePart("sub/b.bin", b"BB")]))
    written = check_response("POST", "/api/files", resp)
    assert resp.status_code == 201, describe(resp)
    assert written["items"] == [
        {"path": "up/a.txt", "size": 1, "sha256": sha256_hex(b"A")},
        {"path": "up/b.bin", "size": 2, "sha256": sha256_hex(b"BB")},
    ], describe(resp)

    resp = request(nox, "POST", "/api/files", token=token, json_body={"files": []})
    check_error("POST", "/api/files", resp, 415, "unsupported_media_type")
    for parts, status, code, field in (
        ([FilePart("late.txt", b"x"), Field("dir", "up")], 422, "validation_failed", "dir"),
        ([Field("dir", "up")], 422, "validation_failed", "files"),
        ([FilePart("..", b"x")], 400, "invalid_path", None),
    ):
        resp = post(*multipart(parts))
        err = check_error("POST", "/api/files", resp, status, code)
        if field:
            assert err["details"]["field"] == field, describe(resp)
    resp = post(b"this is not multipart", "multipart/form-data; boundary=nox-test-boundary")
    check_error("POST", "/api/files", resp, 400, "invalid_multipart")


def test_backups_match_spec(nox, created_users):
    someone = make_person(nox, created_users)  # restores replace the whole sandbox: a user of its own
    token = someone["tokens"]["access_token"]
    put_file(nox, token, "bk/a.txt", b"hello\n", 201)

    records = []
    for _ in range(2):
        resp = request(nox, "POST", "/api/backup", token=token)
        record = check_response("POST", "/api/backup", resp)
        assert resp.status_code == 201 and record["file_count"] == 1, describe(resp)
        records.append(record)
    resp = request(nox, "GET", "/api/backups", token=token, params={"limit": 1})
    page = check_response("GET", "/api/backups", resp)
    assert resp.status_code == 200 and page["items"] == [records[1]], f"newest first: {describe(resp)}"
    assert isinstance(page["next_cursor"], str), describe(resp)
    resp = request(nox, "GET", "/api/backups", token=token, params={"limit": 1, "cursor": page["next_cursor"]})
    page = check_response("GET", "/api/backups", resp)
    assert resp.status_code == 200 and page["items"] == [records[0]], describe(resp)
    check_error("GET", "/api/backups", request(nox, "GET", "/api/backups", token=token, params={"cursor": "x"}),
                422, "validation_failed")

    backup = records[0]
    url = f"/api/backups/{backup['id']}"
    resp = request(nox, "GET", url, token=token, headers=IDENTITY)
    archive = check_response("GET", "/api/backups/{id}", resp)
    assert resp.status_code == 200 and sha256_hex(archive) == backup["sha256"] and len(archive) == backup["size"], (
        describe(resp)
    )
    assert resp.headers["Content-Disposition"] == f'attachment; filename="nox-backup-{backup["id"]}.tar.gz"', describe(resp)
    resp = request(nox, "HEAD", url, token=token, headers=IDENTITY)
    check_response("HEAD", "/api/backups/{id}", resp)
    assert resp.status_code == 200 and resp.headers["Content-Length"] == str(backup["size"]), describe(resp)

    restore = "/api/restore"
    gzip_body = {"Content-Type": "application/gzip"}
    multipart_body, multipart_type = multipart([FilePart("b.tar.gz", archive, name="archive", content_type="application/gzip")])
    for kwargs in (
        {"json_body": {"backup_id": backup["id"]}},
        {"data": archive, "headers": gzip_body},
        {"data": multipart_body, "headers": {"Content-Type": multipart_type}},
    ):
        put_file(nox, token, "bk/a.txt", b"changed\n", 200)
        resp = request(nox, "POST", restore, token=token, timeout=120, **kwargs)
        result = check_response("POST", restore, resp)
        assert resp.status_code == 200 and result == {"restored_files": 1}, describe(resp)
        got = request(nox, "GET", file_url("bk/a.txt"), token=token, headers=IDENTITY)
        assert got.status_code == 200 and got.content == b"hello\n", describe(got)

    for kwargs, status, code in (
        ({"json_body": {"backup_id": "bk_" + "0" * 32}}, 404, "not_found"),
        ({"json_body": {}}, 422, "validation_failed"),
        ({"data": b'{"backup_id":', "headers": {"Content-Type": "application/json"}}, 400, "invalid_json"),
        ({"data": b"not an archive", "headers": gzip_body}, 422, "invalid_archive"),
        ({"data": b"x", "headers": {"Content-Type": "text/plain"}}, 415, "unsupported_media_type"),
        ({"data": b"this is not multipart", "headers": {"Content-Type": multipart_type}}, 400, "invalid_multipart"),
    ):
        resp = request(nox, "POST", restore, token=token, timeout=120, **kwargs)
        check_error("POST", restore, resp, status, code)
    # A multipart body without an `archive` part (its own boundary this time).
    body, ctype = multipart([Field("other", "x")])
    resp = request(nox, "POST", restore, token=token, data=body, headers={"Content-Type": ctype})
    check_error("POST", restore, resp, 422, "validation_failed")

    resp = request(nox, "DELETE", url, token=token)
    check_response("DELETE", "/api/backups/{id}", resp)
    assert resp.status_code == 204, describe(resp)
    for method in ("GET", "DELETE"):
        check_error(method, "/api/backups/{id}", request(nox, method, url, token=token), 404, "not_found")
    resp = request(nox, "HEAD", url, token=token)
    check_response("HEAD", "/api/backups/{id}", resp)
    assert resp.status_code == 404, describe(resp)


def test_files_401_403_507_match_spec(nox, created_users):
    resp = request(nox, "GET", "/api/files")
    check_error("GET", "/api/files", resp, 401, "unauthorized")
    resp = request(nox, "GET", "/api/backups", token="nox_" + "A" * 43)
    check_error("GET", "/api/backups", resp, 401, "unauthorized")

    viewer = make_person(nox, created_users, role="viewer")
    token = viewer["tokens"]["access_token"]
    resp = request(nox, "GET", "/api/files", token=token)
    check_response("GET", "/api/files", resp)
    assert resp.status_code == 200, describe(resp)
    resp = request(nox, "PUT", file_url("v.txt"), token=token, data=b"v")
    err = check_error("PUT", FILE, resp, 403, "forbidden")
    assert err["details"]["permission"] == "files:write", describe(resp)
    check_error("POST", "/api/backup", request(nox, "POST", "/api/backup", token=token), 403, "forbidden")

    small = make_person(nox, created_users, quotas={"disk_mb": 1})
    resp = raw_upload(nox, small["tokens"]["access_token"], "PUT", "/api/files/big.bin", os.urandom(MIB + 1))
    err = check_error("PUT", FILE, resp, 507, "quota_exceeded")
    assert err["details"]["quota_bytes"] == str(MIB), describe(resp)


# --------------------------------------------------------------------------- live: nox-exec vs the spec

JOB = "/api/jobs/{id}"
FINAL_STATUSES = ("succeeded", "failed", "timeout", "oom", "killed", "cancelled", "error")
EXEC_WAIT = 120  # seconds a request that waits for a run may take


def exec_post(nox, token: str, body: Any = None, **kwargs) -> requests.Response:
    return request(nox, "POST", "/api/exec", token=token, json_body=body, timeout=EXEC_WAIT, **kwargs)


def run_sync(nox, token: str, body: dict) -> dict:
    """`POST /api/exec` with `wait` (the default): 200 and a final result, checked against the spec."""
    resp = exec_post(nox, token, body)
    result = check_response("POST", "/api/exec", resp)
    assert resp.status_code == 200, describe(resp)
    assert result["status"] in FINAL_STATUSES, describe(resp)
    return result


def submit(nox, token: str, code: str, **fields) -> str:
    """`POST /api/exec` with `wait: false`: 202 `{id, status: "queued"}`; returns the id."""
    resp = exec_post(nox, token, {"language": "python", "code": code, "wait": False, **fields})
    queued = check_response("POST", "/api/exec", resp)
    assert resp.status_code == 202 and queued["status"] == "queued", describe(resp)
    return queued["id"]


def get_job(nox, token: str, job_id: str) -> dict:
    resp = request(nox, "GET", f"/api/jobs/{job_id}", token=token)
    result = check_response("GET", JOB, resp)
    assert resp.status_code == 200 and result["id"] == job_id, describe(resp)
    return result


def job_until(nox, token: str, job_id: str, statuses: tuple[str, ...], timeout: float = 90) -> tuple[dict, list[str]]:
    """Polls `GET /api/jobs/{id}` (every answer checked against the spec) until the status is
    one of `statuses`; returns that result and the statuses seen on the way."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        result = get_job(nox, token, job_id)
        if not seen or seen[-1] != result["status"]:
            seen.append(result["status"])
        if result["status"] in statuses:
            return result, seen
        assert result["status"] not in FINAL_STATUSES, f"job {job_id} ended {result['status']}, wanted {statuses}: {result}"
        assert time.monotonic() < deadline, f"job {job_id} not {statuses} after {timeout}s (seen {seen})"
        time.sleep(0.2)


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """The events of a stream as the spec describes them: each an `event:` line, one `data:`
    line of JSON, then an empty line. Returns (event name, data decoded)."""
    text = text.replace("\r\n", "\n")
    assert text.endswith("\n\n"), f"the stream does not end with a whole event: {text[-300:]!r}"
    events = []
    for block in text[:-2].split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                assert name is None, f"two event: lines in one event: {block!r}"
                name = value
            elif field == "data":
                data.append(value)
            else:
                pytest.fail(f"a line the spec does not describe ({line!r}) in event {block!r}")
        assert name is not None and len(data) == 1, f"want one event: and one data: line: {block!r}"
        try:
            events.append((name, json.loads(data[0])))
        except ValueError:
            pytest.fail(f"the data of event {name!r} is not JSON: {block!r}")
    return events


def read_events(nox, token: str, job_id: str, timeout: float = 90) -> tuple[Answer, list[tuple[str, Any]]]:
    """`GET /api/jobs/{id}/events`, read as a stream until the server ends it (after the
    `status` event); returns the answer, checked against the spec, and its events, each
    event's data validated against the schema the spec gives for its name."""
    url = f"/api/jobs/{job_id}/events"
    headers = {"X-Request-Id": f"oa-{uuid.uuid4().hex}", "Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    with requests.get(nox.url + url, headers=headers, verify=nox.verify, stream=True, timeout=timeout,
                      allow_redirects=False) as resp:
        body = b"".join(resp.iter_content(chunk_size=None))
        answer = Answer(resp.status_code, resp.headers, body,
                        f"GET {url} -> {resp.status_code} {dict(resp.headers)} {body[:2000]!r}")
    assert answer.status == 200, answer.text
    check_response("GET", EVENTS, answer)
    events = parse_sse(body.decode("utf-8"))
    schemas = lookup(EVENTS_POINTER)
    for name, data in events:
        assert name in schemas, f"event {name!r} is not documented ({sorted(schemas)}): {answer.text}"
        assert_matches_schema(EVENTS_POINTER + pointer(name), data, f"event {name}: {answer.text}")
    names = [name for name, _ in events]
    assert names and names[-1] == "status" and names.count("status") == 1, f"want one status event, last: {names}"
    status = events[-1][1]
    assert status["id"] == job_id, answer.text
    for stream in ("stdout", "stderr"):
        chunks = "".join(data["data"] for name, data in events if name == stream)
        assert chunks == status[stream], f"the {stream} events do not add up to the result's {stream}: {answer.text}"
    return answer, events


def quotas_of(nox, token: str) -> dict:
    resp = request(nox, "GET", "/api/auth/me", token=token)
    me = check_response("GET", "/api/auth/me", resp)
    assert resp.status_code == 200, describe(resp)
    return me["quotas"]


def test_languages_match_spec(nox, admin):
    resp = request(nox, "GET", "/api/languages", token=admin.access_token)
    languages = check_response("GET", "/api/languages", resp)
    assert resp.status_code == 200, describe(resp)
    names = [lang["name"] for lang in languages["items"]]
    assert names == sorted(names), f"sorted by name: {describe(resp)}"
    assert "python" in names, f"python is installed here: {describe(resp)}"
    check_error("GET", "/api/languages", request(nox, "GET", "/api/languages"), 401, "unauthorized")


def test_sync_run_matches_spec(nox, admin):
    token = admin.access_token
    result = run_sync(nox, token, {"language": "python", "code": "print(1)"})
    assert (result["status"], result["exit_code"], result["stdout"]) == ("succeeded", 0, "1\n"), result
    assert result["language"] == "python" and result["error"] is None, result

    # Every field of the request; an alias is answered with the name.
    code = "import os, sys\nprint(sys.stdin.read(), sys.argv[1:], os.environ['OA_VAR'], open('{}').read())\nsys.exit(3)\n"
    folder = f"oa-exec-{uuid.uuid4().hex[:8]}"
    quotas = quotas_of(nox, token)
    try:
        result = run_sync(nox, token, {
            "language": "py", "code": code.format(f"{folder}/data.txt"), "stdin": "in", "args": ["a b"],
            "env": {"OA_VAR": "v"}, "files": {f"{folder}/data.txt": "f"}, "timeout_s": min(20, quotas["exec_timeout_s"]),
            "memory_mb": min(128, quotas["memory_mb"]), "network": None, "wait": True,
        })
        assert (result["status"], result["exit_code"], result["language"]) == ("failed", 3, "python"), result
        assert result["stdout"] == "in ['a b'] v f\n", result

        # A file of the sandbox (it must exist before the request: `files` are written when the run starts).
        put_file(nox, token, f"{folder}/hello.py", b"print('hello from a file')\n", 201)
        result = run_sync(nox, token, {"language": "python", "file": f"{folder}/hello.py"})
        assert (result["status"], result["stdout"]) == ("succeeded", "hello from a file\n"), result
    finally:
        request(nox, "DELETE", file_url(folder), token=token, params={"recursive": "true"})


def test_async_run_and_job_match_spec(nox, admin):
    token = admin.access_token
    job_id = submit(nox, token, "import time\nprint('a')\ntime.sleep(1)\nprint('b')\n")
    result, seen = job_until(nox, token, job_id, FINAL_STATUSES)
    assert result["status"] == "succeeded" and result["stdout"] == "a\nb\n", (result, seen)
    assert set(seen) <= {"queued", "running", "succeeded"}, seen
    for method in ("GET", "DELETE"):
        resp = request(nox, method, f"/api/jobs/job_{uuid.uuid4().hex}", token=token)
        err = check_error(method, JOB, resp, 404, "not_found")
        assert not err["message"].startswith(GENERIC_404_PREFIXES), describe(resp)


def test_job_events_match_spec(nox, admin):
    token = admin.access_token
    code = ("import sys, time\nprint('out-1')\ntime.sleep(0.5)\nprint('err-1', file=sys.stderr)\n"
            "time.sleep(0.5)\nprint('out-2')\n")
    job_id = submit(nox, token, code)
    _, live = read_events(nox, token, job_id)  # subscribed while queued or running
    status = live[-1][1]
    assert (status["status"], status["stdout"], status["stderr"]) == ("succeeded", "out-1\nout-2\n", "err-1\n"), live
    assert get_job(nox, token, job_id)["status"] == "succeeded"
    # Once the run is over: everything again, then the same result.
    _, replay = read_events(nox, token, job_id)
    assert replay[-1][1]["stdout"] == status["stdout"] and replay[-1][1]["status"] == "succeeded", replay

    resp = request(nox, "GET", f"/api/jobs/job_{uuid.uuid4().hex}/events", token=token)
    check_error("GET", EVENTS, resp, 404, "not_found")


def test_cancel_and_finished_job_match_spec(nox, admin):
    token = admin.access_token
    timeout = min(30, quotas_of(nox, token)["exec_timeout_s"])
    job_id = submit(nox, token, "import time\nprint('started')\ntime.sleep(60)\n", timeout_s=timeout)
    job_until(nox, token, job_id, ("running",), timeout=60)
    resp = request(nox, "DELETE", f"/api/jobs/{job_id}", token=token)
    cancelling = check_response("DELETE", JOB, resp)
    assert resp.status_code == 202 and cancelling == {"id": job_id, "status": "running"}, describe(resp)
    result, _ = job_until(nox, token, job_id, FINAL_STATUSES, timeout=60)
    assert result["status"] == "cancelled", result
    check_error("DELETE", JOB, request(nox, "DELETE", f"/api/jobs/{job_id}", token=token), 409, "job_finished")

    done = run_sync(nox, token, {"language": "python", "code": "print(1)"})
    resp = request(nox, "DELETE", f"/api/jobs/{done['id']}", token=token)
    check_error("DELETE", JOB, resp, 409, "job_finished")
    assert get_job(nox, token, done["id"]) == done, "a refused cancellation changed the result"


def test_history_matches_spec(nox, admin):
    token = admin.access_token
    marker = f"oamarker{uuid.uuid4().hex[:10]}"
    first = run_sync(nox, token, {"language": "python", "code": f"{marker} = 1\nprint({marker})"})
    second = run_sync(nox, token, {"language": "py", "code": f"print('{marker}')"})

    resp = request(nox, "GET", "/api/history", token=token, params={"q": marker})
    page = check_response("GET", "/api/history", resp)
    assert resp.status_code == 200, describe(resp)
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]], f"newest first: {describe(resp)}"
    item = page["items"][1]
    assert {k: item[k] for k in first} == first, f"a history item holds the result: {describe(resp)}"
    assert (item["username"], item["file"]) == (admin.username, None), describe(resp)
    assert marker in item["code"], describe(resp)

    seen: list[str] = []
    params: dict[str, Any] = {"language": "python", "status": "succeeded", "since": first["created_at"], "limit": 1}
    for _ in range(50):
        resp = request(nox, "GET", "/api/history", token=token, params=params)
        page = check_response("GET", "/api/history", resp)
        assert resp.status_code == 200 and len(page["items"]) <= 1, describe(resp)
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert {first["id"], second["id"]} <= set(seen), f"filtered pages miss the runs: {seen}"
    resp = request(nox, "GET", "/api/history", token=token, params={"limit": 1000})
    check_response("GET", "/api/history", resp)
    assert resp.status_code == 200, describe(resp)

    for params, field in (
        ({"status": "done"}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"q": "a" * 1001}, "q"),
        ({"limit": 0}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
    ):
        resp = request(nox, "GET", "/api/history", token=token, params=params)
        err = check_error("GET", "/api/history", resp, 422, "validation_failed")
        assert err["details"]["field"] == field, describe(resp)


def test_exec_errors_match_spec(nox, admin, created_users):
    token = admin.access_token
    quotas = quotas_of(nox, token)
    folder = f"oa-exec-{uuid.uuid4().hex[:8]}"
    put_file(nox, token, f"{folder}/sub/x.txt", b"x", 201)
    try:
        resp = exec_post(nox, token, data=b'{"language":', headers={"Content-Type": "application/json"})
        check_error("POST", "/api/exec", resp, 400, "invalid_json")
        for body, status, code, field in (
            ({}, 422, "validation_failed", "language"),
            ({"language": 5, "code": "print(1)"}, 422, "validation_failed", "language"),
            ({"language": "python"}, 422, "validation_failed", "code"),
            ({"language": "python", "code": "print(1)", "file": "a.py"}, 422, "validation_failed", "file"),
            ({"language": "python", "code": "print(1)", "env": {"PATH": "/tmp"}}, 422, "validation_failed", "env"),
            ({"language": "python", "code": "print(1)", "timeout_s": 0}, 422, "validation_failed", "timeout_s"),
            ({"language": "python", "code": "print(1)", "memory_mb": 8}, 422, "validation_failed", "memory_mb"),
            ({"language": "no-such-language", "code": "print(1)"}, 422, "unknown_language", "language"),
            ({"language": "python", "code": "print(1)", "timeout_s": quotas["exec_timeout_s"] + 1},
             422, "limit_exceeds_quota", "timeout_s"),
            ({"language": "python", "code": "print(1)", "memory_mb": quotas["memory_mb"] + 1},
             422, "limit_exceeds_quota", "memory_mb"),
            ({"language": "python", "file": "../x.py"}, 400, "invalid_path", "file"),
            ({"language": "python", "code": "print(1)", "files": {"../x.txt": "x"}}, 400, "invalid_path", "files"),
            ({"language": "python", "file": f"{folder}/none.py"}, 404, "not_found", None),
            ({"language": "python", "file": f"{folder}/sub"}, 409, "not_a_regular_file", None),
            ({"language": "python", "file": f"{folder}/sub/x.txt/y.py"}, 409, "not_a_directory", None),
        ):
            resp = exec_post(nox, token, body)
            err = check_error("POST", "/api/exec", resp, status, code)
            if field is not None:
                assert err["details"]["field"] == field, describe(resp)
            if code == "limit_exceeds_quota":
                quota_key = {"timeout_s": "exec_timeout_s"}.get(field, field)
                assert err["details"]["quota"] == str(quotas[quota_key]), describe(resp)
    finally:
        request(nox, "DELETE", file_url(folder), token=token, params={"recursive": "true"})

    check_error("POST", "/api/exec", exec_post(nox, None, {"language": "python", "code": "print(1)"}), 401, "unauthorized")
    person = make_person(nox, created_users)
    resp = exec_post(nox, person["tokens"]["access_token"], {"language": "python", "code": "print(1)", "network": True})
    err = check_error("POST", "/api/exec", resp, 403, "forbidden")
    assert err["details"]["field"] == "network", describe(resp)
    viewer = make_person(nox, created_users, role="viewer")
    viewer_token = viewer["tokens"]["access_token"]
    resp = exec_post(nox, viewer_token, {"language": "python", "code": "print(1)"})
    err = check_error("POST", "/api/exec", resp, 403, "forbidden")
    assert err["details"]["permission"] == "exec:run", describe(resp)
    resp = request(nox, "DELETE", f"/api/jobs/job_{uuid.uuid4().hex}", token=viewer_token)
    check_error("DELETE", JOB, resp, 403, "forbidden")
    for path in ("/api/languages", "/api/history"):
        resp = request(nox, "GET", path, token=viewer_token)
        check_response("GET", path, resp)
        assert resp.status_code == 200, describe(resp)
