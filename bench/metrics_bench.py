#!/usr/bin/env python3
"""nox-metrics benchmark, through nginx over HTTPS:

  * GET /metrics with 1 000 users (sandboxes with a file each) and 100 000 runs in nox-exec's
    history, seeded straight into nox-files' directory and nox-exec's database while those
    daemons are stopped: p50/p95 over --scrapes scrapes, and the bytes of one scrape; the same
    for GET /api/stats as the admin (every user, percentiles over all 100 000 runs);
  * nox-metrics's RSS after a full history store (an hour of 1-second points and a week of
    1-minute points seeded into its database) and --sample-seconds of live sampling;
  * the cost of the per-request metric recording on another daemon: requests per second of
    GET /api/auth/keys on nox-auth's HTTP socket, with recording on and with it off
    (NOX_REQUEST_METRICS=off in a runtime drop-in), alternated --rounds times; the ratio
    on / off.

Run as root from the repo root after `make deb`:  python3 bench/metrics_bench.py
It boots a private systemd (scripts/nox-sandbox), installs dist/nox_*.deb, measures, and
cleans up (purges the package if it installed it). Not run by CI.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
sys.path.insert(0, str(REPO / "bench"))

from files_bench import BASE, enter_private_netns, installed_nox, percentile  # noqa: E402

USERS = 1000
RUNS = 100_000
LANGUAGES = ("python", "sh", "node", "c", "go")
STATUSES = ("succeeded",) * 8 + ("failed", "timeout", "error")


def rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def seed_users(sandbox) -> None:
    """1 000 sandboxes (USERS/NAME/sandbox with one small file), owned as nox-files makes them."""
    script = (
        "set -e; cd /var/lib/nox/users; for i in $(seq -w 1 %d); do u=bench_$i; mkdir -p $u/sandbox; "
        "printf 'print(%%s)\\n' $i > $u/sandbox/main.py; done; chown -R nox-files:nox-run bench_*; chmod -R g+rwX bench_*" % USERS
    )
    sandbox.run(["sh", "-c", script], timeout=600)


def seed_runs(db_path: Path) -> None:
    """100 000 finished runs spread over the last 30 days, among the 1 000 users."""
    now = time.time()
    db = sqlite3.connect(db_path)
    rows = []
    for i in range(RUNS):
        created = now - (RUNS - i) * (30 * 86400 / RUNS)
        duration = 20 + (i * 7919) % 2000
        rows.append((f"job_bench{i:011d}{uuid.uuid4().hex[:8]}", f"bench_{(i % USERS) + 1:04d}", LANGUAGES[i % len(LANGUAGES)],
                     "print(1)", STATUSES[i % len(STATUSES)], 0, rfc3339(created), rfc3339(created), rfc3339(created + duration / 1000),
                     duration, duration // 2, 10_000_000))
    db.executemany(
        "INSERT INTO jobs (id, username, language, code, status, exit_code, created_at, started_at, finished_at, duration_ms, cpu_ms, "
        "memory_peak_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


def seed_history(db_path: Path) -> None:
    """A full store: an hour of 1-second points and a week of 1-minute points."""
    now = int(time.time())
    db = sqlite3.connect(db_path)
    point = lambda t, r: (r, t, 12.5, 1 << 30, 8 << 30, 10 << 30, 100 << 30, 0.5, 0.4, 0.3)
    rows = [point(t, 1) for t in range(now - 3600, now - 5)] + [point(t - t % 60, 60) for t in range(now - 7 * 86400, now - 3600, 60)]
    db.executemany("INSERT OR REPLACE INTO samples (resolution, t, cpu_percent, memory_used_bytes, memory_total_bytes, disk_used_bytes, "
                   "disk_total_bytes, load1, load5, load15) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


def hammer(socket_path: str, seconds: float, queue) -> None:
    """One worker: GET /api/auth/keys on a Unix socket, a new connection each (as nginx does)."""
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("localhost")
        connection.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.sock.connect(socket_path)
        connection.request("GET", "/api/auth/keys")
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status == 200:
            count += 1
    queue.put(count)


def request_rate(socket_path: str, seconds: float, workers: int) -> float:
    queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=hammer, args=(socket_path, seconds, queue)) for _ in range(workers)]
    for process in processes:
        process.start()
    total = sum(queue.get() for _ in processes)
    for process in processes:
        process.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--sample-seconds", type=int, default=120, help="live sampling before RSS is read")
    parser.add_argument("--rounds", type=int, default=3, help="on/off alternations of the recording-overhead phase")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each request-rate measurement")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only-overhead", action="store_true", help="measure only the recording overhead")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (it boots a private systemd)")
    enter_private_netns()
    with installed_nox("nox-metrics-bench") as (sandbox, session, admin):
        headers = {"Authorization": f"Bearer {admin}"}
        # nox-exec creates its database on first start: make sure it has.
        session.get(BASE + "/api/languages", headers=headers, verify=False, timeout=30).raise_for_status()
        if not args.only_overhead:
            measure_metrics(sandbox, session, headers, args)
        measure_overhead(sandbox, args)


def measure_metrics(sandbox, session, headers, args) -> None:

    # --- seed, with nox-files and nox-exec stopped (they own those files).
    sandbox.systemctl("stop", "nox-files.service", "nox-exec.service", "nox-metrics.service")
    started = time.monotonic()
    seed_users(sandbox)
    seed_runs(sandbox.host_path("/var/lib/nox/exec/jobs.sqlite"))
    seed_history(sandbox.host_path("/var/lib/nox/metrics/history.sqlite"))
    sandbox.run(["chown", "-R", "nox-metrics:nox-metrics", "/var/lib/nox/metrics"])
    print(f"seeded {USERS} users, {RUNS} runs and a full history in {time.monotonic() - started:.1f}s")
    sandbox.systemctl("start", "nox-files.service", "nox-exec.service", "nox-metrics.service")
    sandbox.wait_active("nox-metrics.service")
    # The storage cache refreshes while nox-files runs (first time at once).
    time.sleep(8)

    def timed(path: str, params=None) -> tuple[list[float], int]:
        times, size = [], 0
        for _ in range(args.scrapes):
            t0 = time.perf_counter()
            resp = session.get(BASE + path, headers=headers, params=params, verify=False, timeout=60)
            times.append((time.perf_counter() - t0) * 1000)
            resp.raise_for_status()
            size = len(resp.content)
        return times, size

    scrape, scrape_bytes = timed("/metrics")
    text = session.get(BASE + "/metrics", headers=headers, verify=False, timeout=60).text
    series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    users_in_scrape = len({line.split('nox_user="')[1].split('"')[0] for line in text.splitlines() if 'nox_user="' in line})
    print(f"GET /metrics: p50 {statistics.median(scrape):.1f} ms, p95 {percentile(scrape, 0.95):.1f} ms, "
          f"{scrape_bytes} bytes, {series} series, {users_in_scrape} users labelled")
    stats, stats_bytes = timed("/api/stats")
    print(f"GET /api/stats (admin, {RUNS} runs, {USERS} users): p50 {statistics.median(stats):.1f} ms, "
          f"p95 {percentile(stats, 0.95):.1f} ms, {stats_bytes} bytes")
    history, history_bytes = timed("/api/system/metrics/history", {"range": "1h"})
    print(f"GET /api/system/metrics/history?range=1h: p50 {statistics.median(history):.1f} ms, {history_bytes} bytes")

    # --- RSS after sampling.
    time.sleep(max(0, args.sample_seconds - 8))
    pid = sandbox.run(["systemctl", "show", "-p", "MainPID", "--value", "nox-metrics.service"]).stdout.strip()
    status = sandbox.host_path(f"/proc/{pid}/status").read_text()
    rss = next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]
    print(f"nox-metrics RSS after {args.sample_seconds}s of sampling on a full store: {int(rss) / 1024:.1f} MiB (peak {int(hwm) / 1024:.1f} MiB)")



def measure_overhead(sandbox, args) -> None:
    """Recording on vs off, alternated; each pair measured back to back so that load from
    elsewhere on the machine hits both alike; the median of the pairs' ratios."""
    socket_path = str(sandbox.host_path("/run/nox/http/auth.sock"))
    dropin = "/run/systemd/system/nox-auth.service.d"
    on, off = [], []
    for _ in range(args.rounds):
        for recording in (True, False):
            if recording:
                sandbox.run(["rm", "-rf", dropin])
            else:
                sandbox.run(["sh", "-c", f"mkdir -p {dropin} && printf '[Service]\\nEnvironment=NOX_REQUEST_METRICS=off\\n' > {dropin}/bench.conf"])
            sandbox.systemctl("daemon-reload")
            sandbox.systemctl("restart", "nox-auth.service")
            sandbox.wait_active("nox-auth.service")
            request_rate(socket_path, 1.0, args.workers)  # warm
            (on if recording else off).append(request_rate(socket_path, args.seconds, args.workers))
    sandbox.run(["rm", "-rf", dropin])
    sandbox.systemctl("daemon-reload")
    sandbox.systemctl("restart", "nox-auth.service")
    ratios = [a / b for a, b in zip(on, off)]
    print(f"GET /api/auth/keys on nox-auth's socket, {args.workers} clients: recording on {statistics.median(on):.0f} req/s "
          f"{[round(x) for x in on]}, off {statistics.median(off):.0f} req/s {[round(x) for x in off]}; "
          f"ratio on/off per pair {[round(r, 3) for r in ratios]}, median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
