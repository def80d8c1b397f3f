"""The Python client's metrics and health calls against the installed Nox (nox-metrics):
``/api/health`` without a credential, ``/api/system/metrics``, ``/api/stats`` (a user sees
themselves, an administrator anyone), the ``/api/metrics/stream`` iterator and the
Prometheus text of ``/metrics``; ``metrics:read`` is needed."""

from __future__ import annotations

import itertools

import pytest

from test_python_client import connect, make_pyuser, pyadmin  # noqa: F401  (fixtures)

from nox_client import ForbiddenError  # noqa: E402

SERVICE_WORDS = {"ok", "idle", "degraded", "failed"}


def test_health_needs_no_credential(nox):
    with connect(nox) as anonymous:
        health = anonymous.metrics.health()
    assert health.status in ("ok", "degraded")
    assert {"auth", "files", "exec", "metrics"} <= set(health.services)
    assert {s.status for s in health.services.values()} <= SERVICE_WORDS
    assert health.services["metrics"].status == "ok"


def test_system_metrics(make_pyuser):
    client, _, _ = make_pyuser()
    system = client.metrics.system()
    assert system.time is not None
    assert system.cpu and system.memory and system.disk
    assert len(system.load) == 3 and all(isinstance(x, (int, float)) for x in system.load)


def test_stats_show_a_user_themselves_and_an_admin_anyone(pyadmin, make_pyuser):
    client, name, _ = make_pyuser()
    client.exec.run("python", "print(1)")
    client.exec.run("python", "raise SystemExit(1)")
    mine = client.metrics.stats()
    assert set(mine.users) == {name}
    assert mine.users[name].runs == 2 and mine.runs.total == 2
    assert mine.runs.by_status.get("succeeded") == 1 and mine.runs.by_status.get("failed") == 1
    assert mine.runs.by_language.get("python") == 2
    assert mine.duration_ms.p50 is not None
    theirs = pyadmin.metrics.stats(user=name)
    assert name in theirs.users and theirs.users[name].runs == 2


def test_metrics_stream_gives_a_snapshot_a_second(make_pyuser):
    client, _, _ = make_pyuser()
    stream = client.metrics.stream()
    try:
        snaps = list(itertools.islice(stream, 2))
    finally:
        stream.close()
    assert len(snaps) == 2 and snaps[0].time is not None and snaps[1].time > snaps[0].time
    assert snaps[1].cpu and snaps[1].memory


def test_prometheus_text_and_the_metrics_read_permission(make_pyuser, nox):
    client, _, _ = make_pyuser()
    text = client.metrics.prometheus()
    assert "# TYPE " in text and "\n" in text
    scraper = client.keys.create("scraper", scopes=["metrics:read"])
    with connect(nox, token=scraper.key) as keyed:
        assert "# TYPE " in keyed.metrics.prometheus()
    files_only = client.keys.create("files-only", scopes=["files:read"])
    with connect(nox, token=files_only.key) as keyed:
        with pytest.raises(ForbiddenError):
            keyed.metrics.system()
        with pytest.raises(ForbiddenError):
            keyed.metrics.prometheus()
