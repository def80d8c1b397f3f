"""Helpers for the black-box tests of nox-metrics (``test_metrics_*``), written from API.md's
"Metrics and health" section and "Details that clients rely on" only.

Everything goes through nginx over HTTPS like :mod:`helpers_api`. What is new here:

* ``/api/health`` and the status words (``ok``, ``idle``, ``degraded``, ``failed``);
* a daemon made ``failed`` on purpose (:func:`failed_daemon`: no restart, ``systemctl kill``)
  and put back afterwards, whatever the test did;
* the live stream of ``GET /api/metrics/stream`` with the time each event arrived;
* the Prometheus text format: a small parser and ``promtool check metrics``.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from typing import Any, Iterator

import pytest
import requests

from helpers_api import assert_json, describe, request, unit_property, wait_until
from helpers_exec import sse_stream

STATUS_WORDS = ("ok", "idle", "degraded", "failed")
DAEMONS = ("auth", "files", "exec", "metrics")
SNAPSHOT_KEYS = ("time", "cpu", "memory", "disk", "load", "services", "slices")
PROMETHEUS_CONTENT_TYPE = "text/plain"
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def health(nox, token: str | None = None) -> dict:
    resp = request(nox, "GET", "/api/health", token=token)
    body = assert_json(resp, 200)
    assert body.get("status") in ("ok", "degraded"), f"overall status must be ok or degraded: {describe(resp)}"
    assert isinstance(body.get("services"), dict), describe(resp)
    for name in DAEMONS:
        service = body["services"].get(name)
        assert isinstance(service, dict), f"services.{name} missing: {describe(resp)}"
        assert service.get("status") in STATUS_WORDS, f"services.{name}.status: {describe(resp)}"
        assert isinstance(service.get("version"), str) and service["version"], f"services.{name}.version: {describe(resp)}"
    return body


def wait_service_status(nox, name: str, statuses: tuple[str, ...], timeout: float = 20) -> dict:
    """Polls /api/health until services.NAME.status is one of ``statuses``; returns the body."""
    last: dict = {}

    def seen():
        nonlocal last
        last = health(nox)
        return last if last["services"][name]["status"] in statuses else None

    try:
        return wait_until(seen, timeout, 0.3, f"services.{name}.status in {statuses}")
    except pytest.fail.Exception:
        pytest.fail(f"services.{name}.status never became one of {statuses}; last /api/health: {last}")


@contextlib.contextmanager
def failed_daemon(nox, name: str) -> Iterator[str]:
    """nox-NAME.service killed with SIGKILL and left ``failed`` (a runtime drop-in turns its
    Restart= off meanwhile). Afterwards the drop-in goes, the failure is reset and the daemon
    started again, so later tests find the suite as before."""
    unit = f"nox-{name}.service"
    dropin = f"/run/systemd/system/{unit}.d"
    nox.run(["mkdir", "-p", dropin])
    nox.run(["sh", "-c", f"printf '[Service]\\nRestart=no\\n' > {dropin}/zz-test-no-restart.conf"])
    try:
        nox.systemctl("daemon-reload")
        nox.systemctl("start", unit)
        nox.wait_active(unit, timeout=30)
        nox.systemctl("kill", "--signal=SIGKILL", unit)
        wait_until(lambda: unit_property(nox, unit, "ActiveState") == "failed", 15, 0.2, f"{unit} failed")
        yield unit
    finally:
        nox.run(["rm", "-rf", dropin])
        nox.systemctl("daemon-reload")
        nox.systemctl("reset-failed", unit, check=False)
        nox.systemctl("start", unit)
        nox.wait_active(unit, timeout=30)


def metrics_events(nox, token: str, timeout: float = 30) -> Iterator[tuple[float, str, Any]]:
    """``GET /api/metrics/stream`` (see ``helpers_exec.sse_stream``)."""
    return sse_stream(nox, token, "/api/metrics/stream", timeout=timeout)


def scrape(nox, token: str | None) -> requests.Response:
    return request(nox, "GET", "/metrics", token=token, timeout=30)


def parse_exposition(text: str) -> dict[str, dict]:
    """``{family: {"type": ..., "help": ..., "samples": [(name, {label: value}, float)]}}``.
    Fails on a line that is not a comment, a blank or a sample."""
    families: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            families.setdefault(name, {"type": kind, "help": None, "samples": []})["type"] = kind
            current = name
            continue
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            families.setdefault(parts[2], {"type": "untyped", "help": None, "samples": []})["help"] = parts[3] if len(parts) > 3 else ""
            continue
        if line.startswith("#"):
            continue
        match = SAMPLE_RE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, _, labels, value = match.group(1), match.group(2), match.group(3) or "", match.group(4)
        owner = current if current and name.startswith(current) else name
        families.setdefault(owner, {"type": "untyped", "help": None, "samples": []})
        families[owner]["samples"].append((name, dict(LABEL_RE.findall(labels)), float(value)))
    return families


def promtool() -> str | None:
    return shutil.which("promtool")


def promtool_check_metrics(text: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), "check", "metrics"], input=text, text=True, capture_output=True, timeout=60)
