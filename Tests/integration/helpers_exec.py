"""Helpers for the black-box tests of nox-exec (``test_exec_*``), written from API.md's
"Execution — nox-exec" section and "Details that clients rely on" only.

Everything goes through nginx over HTTPS, like :mod:`helpers_api` (whose ``request``,
``assert_json`` and ``Client`` these build on). What is new here:

* runs: :func:`run` (``wait: true``, asserting 200 and the result's shape), :func:`submit`
  (``wait: false``, asserting ``202 {id, status: "queued"}``), :func:`wait_final` (polls
  ``GET /api/jobs/{id}``), :func:`exec_response` for the error cases;
* Server-Sent Events of ``GET /api/jobs/{id}/events``, with the time each event arrived;
* the run as systemd sees it: its transient unit ``nox-run-<id>.service``, the user's slice
  ``nox-user-NAME.slice`` and what is left in it (:func:`slice_processes`), every
  ``nox-run-*`` unit still loaded, ``systemd-analyze security`` of a unit;
* nox-exec as a process (MainPID, VmRSS) and its journal.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Iterator

import pytest
import requests

from helpers_api import (
    TIMEOUT,
    assert_json,
    bearer,
    describe,
    new_request_id,
    parse_rfc3339,
    unit_property,
    wait_until,
)

SERVICE = "nox-exec.service"
HTTP_SOCKET = "nox-exec.socket"
VARLINK_SOCKET = "nox-exec-varlink.socket"
HTTP_SOCKET_PATH = "/run/nox/http/exec.sock"
VARLINK_SOCKET_PATH = "/run/nox/ipc/io.nox.Exec"
MIB = 1024 * 1024

RESULT_KEYS = (
    "id", "language", "status", "exit_code", "signal", "stdout", "stderr", "stdout_truncated",
    "stderr_truncated", "created_at", "started_at", "finished_at", "duration_ms", "cpu_ms",
    "memory_peak_bytes", "error",
)
STATUSES = ("queued", "running", "succeeded", "failed", "timeout", "oom", "killed", "cancelled", "error")
FINAL_STATUSES = ("succeeded", "failed", "timeout", "oom", "killed", "cancelled", "error")


# --------------------------------------------------------------------------- requests


def token_of(who: Any) -> str:
    return who if isinstance(who, str) else who.access_token


def exec_response(nox, who, body: Any = None, *, data: str | bytes | None = None, timeout: float = 60,
                  request_id: str | None = None) -> requests.Response:
    """``POST /api/exec`` with ``body`` as JSON (or raw ``data``); no assertion."""
    headers = {"X-Request-Id": request_id or new_request_id(), **bearer(token_of(who)),
               "Content-Type": "application/json"}
    payload = data if data is not None else json.dumps(body)
    return requests.post(nox.url + "/api/exec", data=payload, headers=headers, verify=nox.verify, timeout=timeout,
                         allow_redirects=False)


def get(nox, who, path: str, *, params: dict | None = None, timeout: float = TIMEOUT, **kw) -> requests.Response:
    headers = {"X-Request-Id": new_request_id(), **bearer(token_of(who))}
    return requests.get(nox.url + path, headers=headers, params=params, verify=nox.verify, timeout=timeout,
                        allow_redirects=False, **kw)


def delete(nox, who, path: str, *, timeout: float = TIMEOUT) -> requests.Response:
    headers = {"X-Request-Id": new_request_id(), **bearer(token_of(who))}
    return requests.delete(nox.url + path, headers=headers, verify=nox.verify, timeout=timeout, allow_redirects=False)


def run(nox, who, language: str = "python", code: str | None = None, *, timeout: float = 90, **fields) -> dict:
    """A run with ``wait: true`` (the default): asserts 200 and the result's shape, returns it."""
    body: dict[str, Any] = {"language": language, **fields}
    if code is not None:
        body["code"] = code
    resp = exec_response(nox, who, body, timeout=timeout)
    result = assert_json(resp, 200)
    assert_result(result, final=True, where=describe(resp) if len(resp.text) < 4000 else resp.text[:4000])
    return result


def submit(nox, who, language: str = "python", code: str | None = None, **fields) -> str:
    """A run with ``wait: false``: asserts ``202 {id, status: "queued"}`` and returns the id."""
    body: dict[str, Any] = {"language": language, "wait": False, **fields}
    if code is not None:
        body["code"] = code
    resp = exec_response(nox, who, body)
    answer = assert_json(resp, 202)
    assert isinstance(answer.get("id"), str) and answer["id"], f"expected a job id in the 202 answer: {describe(resp)}"
    assert answer.get("status") == "queued", f"expected status 'queued' in the 202 answer: {describe(resp)}"
    return answer["id"]


def job(nox, who, job_id: str) -> dict:
    resp = get(nox, who, f"/api/jobs/{job_id}")
    result = assert_json(resp, 200)
    assert_result(result, final=False, where=describe(resp))
    return result


def wait_final(nox, who, job_id: str, timeout: float = 60) -> dict:
    """Polls ``GET /api/jobs/{id}`` until the status is final; returns that result."""
    return wait_until(lambda: (r := job(nox, who, job_id))["status"] in FINAL_STATUSES and r, timeout, interval=0.2,
                      what=f"job {job_id} to reach a final status")


def wait_status(nox, who, job_id: str, status: str, timeout: float = 30) -> dict:
    return wait_until(lambda: (r := job(nox, who, job_id))["status"] == status and r, timeout, interval=0.1,
                      what=f"job {job_id} to be {status}")


def assert_result(result: Any, *, final: bool, where: str = "") -> None:
    """The result object of API.md: every key present, types right, times RFC 3339 UTC."""
    assert isinstance(result, dict), f"a result must be an object: {where}"
    missing = [k for k in RESULT_KEYS if k not in result]
    assert not missing, f"result lacks {missing}: {where}"
    assert result["status"] in STATUSES, f"unknown status {result['status']!r}: {where}"
    if final:
        assert result["status"] in FINAL_STATUSES, f"expected a final status: {where}"
    assert isinstance(result["stdout"], str) and isinstance(result["stderr"], str), where
    assert isinstance(result["stdout_truncated"], bool) and isinstance(result["stderr_truncated"], bool), where
    parse_rfc3339(result["created_at"])
    for key in ("exit_code", "duration_ms", "cpu_ms", "memory_peak_bytes"):
        assert result[key] is None or (isinstance(result[key], int) and not isinstance(result[key], bool)), (
            f"{key} must be an integer or null: {where}")
    if result["status"] in ("succeeded", "failed"):
        assert isinstance(result["exit_code"], int), f"expected an exit_code with status {result['status']}: {where}"
        assert (result["exit_code"] == 0) == (result["status"] == "succeeded"), where
    if result["status"] == "killed":
        assert result["exit_code"] is None and isinstance(result["signal"], str) and result["signal"].startswith("SIG"), (
            f"a killed run has exit_code null and a signal name: {where}")
    if result["status"] == "error":
        assert isinstance(result["error"], str) and result["error"].strip(), f"status error needs a message: {where}"
    if result["status"] in FINAL_STATUSES:
        finished = parse_rfc3339(result["finished_at"])
        assert finished >= parse_rfc3339(result["created_at"]), f"finished before created: {where}"
        if result["started_at"] is not None:
            started = parse_rfc3339(result["started_at"])
            assert parse_rfc3339(result["created_at"]) <= started <= finished, f"times out of order: {where}"


# --------------------------------------------------------------------------- SSE


def sse_stream(nox, token: str, path: str, timeout: float = 60) -> Iterator[tuple[float, str, Any]]:
    """``GET path`` as Server-Sent Events: ``(monotonic time received, event, data as JSON)``.

    Parses the stream line by line as it arrives (no buffering past one event); ends when
    the server closes the stream, or closes the connection when the caller stops iterating."""
    headers = {"X-Request-Id": new_request_id(), **bearer(token), "Accept": "text/event-stream"}
    with requests.get(nox.url + path, headers=headers, verify=nox.verify, stream=True, timeout=timeout) as resp:
        assert resp.status_code == 200, describe(resp)
        ctype = resp.headers.get("Content-Type", "")
        assert ctype.split(";")[0].strip() == "text/event-stream", f"expected text/event-stream: {describe(resp)}"
        event, data = "message", []
        for raw in resp.iter_lines(chunk_size=1, decode_unicode=False):
            line = raw.decode()
            if line == "":
                if data:
                    yield time.monotonic(), event, json.loads("\n".join(data))
                event, data = "message", []
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])


def sse_events(nox, who, job_id: str, timeout: float = 60) -> Iterator[tuple[float, str, Any]]:
    """``GET /api/jobs/{id}/events`` (see :func:`sse_stream`)."""
    return sse_stream(nox, token_of(who), f"/api/jobs/{job_id}/events", timeout=timeout)


def collect_events(nox, who, job_id: str, timeout: float = 60) -> list[tuple[float, str, Any]]:
    return list(sse_events(nox, who, job_id, timeout=timeout))


# --------------------------------------------------------------------------- systemd side


def run_unit(job_id: str) -> str:
    bare = job_id[4:] if job_id.startswith("job_") else job_id
    return f"nox-run-{bare}.service"


def user_slice(username: str) -> str:
    return f"nox-user-{username}.slice"


def slice_cgroup(nox, username: str) -> str | None:
    path = unit_property(nox, user_slice(username), "ControlGroup")
    return path or None


def slice_processes(nox, username: str) -> list[str]:
    """Every process in the user's slice, as ``PID COMMAND`` lines (empty when none).

    Reads the slice's cgroup recursively in every hierarchy that has it (cgroup v2, or the
    v1 ``pids``/``memory``/``systemd`` ones), so nothing a run left behind can hide."""
    script = r"""
cg="$1"; [ -n "$cg" ] || exit 0
for root in /sys/fs/cgroup /sys/fs/cgroup/systemd /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup/unified; do
  [ -d "$root$cg" ] || continue
  find "$root$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
done | sort -un | while read -r pid; do
  [ -n "$pid" ] && echo "$pid $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null)"
done
"""
    cgroup = slice_cgroup(nox, username)
    if not cgroup:
        return []
    out = nox.run(["sh", "-c", script, "sh", cgroup], check=False).stdout
    return [line for line in out.splitlines() if line.strip()]


def assert_slice_empty(nox, username: str, timeout: float = 10) -> None:
    """Nothing of the user's runs is left: no process in the slice, TasksCurrent 0 (or unknown)."""
    deadline = time.monotonic() + timeout
    while True:
        procs = slice_processes(nox, username)
        tasks = unit_property(nox, user_slice(username), "TasksCurrent")
        if not procs and tasks in ("0", "", "[not set]", "18446744073709551615"):
            return
        if time.monotonic() > deadline:
            cgls = nox.run(["systemd-cgls", "--no-pager", "-u", user_slice(username)], check=False).stdout
            pytest.fail(f"expected nothing left in {user_slice(username)}: TasksCurrent={tasks}, processes={procs}\n{cgls}")
        time.sleep(0.25)


def loaded_run_units(nox) -> list[str]:
    out = nox.run(["systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager", "nox-run-*"],
                  check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def main_pid(nox) -> int:
    return int(unit_property(nox, SERVICE, "MainPID") or 0)


def vm_kb(nox, pid: int, field: str = "VmRSS") -> int:
    out = nox.run(["cat", f"/proc/{pid}/status"]).stdout
    m = re.search(rf"^{field}:\s+(\d+) kB", out, re.M)
    assert m, f"no {field} in /proc/{pid}/status"
    return int(m.group(1))


def set_quotas(nox, admin, username: str, quotas: dict) -> dict:
    resp = admin.patch(f"/api/admin/users/{username}", {"quotas": quotas})
    body = assert_json(resp, 200)
    return body


def wait_quota_seen(nox, who, field: str, value: int, timeout: float = 15) -> None:
    """Quotas reach nox-exec through nox-auth's user cache (at most ``user_cache_ttl_s``): waits
    until ``/api/auth/me`` shows the value, then one TTL more."""
    def seen():
        resp = requests.get(nox.url + "/api/auth/me", headers=bearer(token_of(who)), verify=nox.verify, timeout=TIMEOUT)
        return resp.status_code == 200 and resp.json().get("quotas", {}).get(field) == value
    wait_until(seen, timeout, interval=0.3, what=f"quota {field}={value} to be in effect")


def exec_is_healthy(nox, who) -> None:
    """nox-exec still answers and runs code."""
    result = run(nox, who, "sh", "echo healthy", timeout=60)
    assert result["status"] == "succeeded" and result["stdout"] == "healthy\n", f"nox-exec is not healthy: {result}"
    assert unit_property(nox, SERVICE, "ActiveState") == "active", f"expected {SERVICE} active"


@pytest.fixture(scope="module")
def module_user(nox):
    """One plain user for a module's checks that run nothing of consequence (validation, search
    syntax): saves creating a user per parametrized case. Deleted at the end of the module."""
    from helpers_api import Client, admin_client, create_user, request

    adm = admin_client(nox)
    username, password, _ = create_user(nox, adm.access_token, role="user", quotas={"requests_per_minute": 100000})
    client = Client(nox, username, password, "user", relogin=True)
    client.login()
    yield client
    try:
        request(nox, "DELETE", f"/api/admin/users/{username}", token=adm.access_token, timeout=5)
    except requests.RequestException:
        pass
