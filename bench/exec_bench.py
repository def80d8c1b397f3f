#!/usr/bin/env python3
"""nox-exec benchmark: a Python `print(1)` end to end through nginx over HTTPS, against two
baselines measured in the same run on the same machine:

  (a) bare `python3 -c 'print(1)'` (fork + exec + interpreter start), and
  (b) `systemd-run --wait --pipe` with the same sandbox properties as a Nox run (a transient
      unit from the command line: what a Judge0-style "one sandbox per run" costs here);

then throughput with 8 concurrent clients (runs per second). Targets (issue 4): p50 <= (b),
p50 <= 3 x (a), >= 60 runs/s.

Run as root from the repo root after `make deb`:  python3 bench/exec_bench.py [--runs 200]
It boots a private systemd (the test harness's Sandbox), installs dist/nox_*.deb (unless Nox is
already installed), measures, and purges what it installed. Not run by CI.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
sys.path.insert(0, str(REPO / "bench"))

from files_bench import BASE, enter_private_netns, installed_nox, percentile  # noqa: E402

# The properties a Nox run gets that matter for start-up cost (see Sources/nox-exec/Systemd/RunUnit.swift).
SYSTEMD_RUN_PROPERTIES = [
    "Type=exec", "DynamicUser=yes", "User=noxr-benchbaseline", "SupplementaryGroups=nox-run", "UMask=0007",
    "TemporaryFileSystem=/var/lib/nox:ro", "PrivateTmp=yes", "PrivateDevices=yes", "PrivateIPC=yes", "PrivateNetwork=yes",
    "ProtectSystem=strict", "ProtectHome=yes", "ProtectProc=invisible", "ProcSubset=pid", "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes", "ProtectClock=yes",
    "ProtectHostname=yes", "NoNewPrivileges=yes", "RestrictSUIDSGID=yes", "RestrictRealtime=yes", "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes", "CapabilityBoundingSet=", "RestrictNamespaces=yes", "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX", "MemoryMax=512M", "TasksMax=64",
    "RuntimeMaxSec=30", "KillMode=control-group", "KillSignal=SIGKILL", "CollectMode=inactive-or-failed",
]


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<44} p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms  "
            f"p99 {percentile(values, 0.99):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the throughput phase")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (it boots a private systemd)")
    enter_private_netns()
    with installed_nox("nox-exec-bench") as (sandbox, session, admin):
        user, user_password = f"bench_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        session.post(BASE + "/api/admin/users", verify=False, headers={"Authorization": f"Bearer {admin}"},
                     json={"username": user, "password": user_password, "role": "user",
                           "quotas": {"max_concurrent": args.concurrency, "requests_per_minute": 1_000_000}}).raise_for_status()
        token = session.post(BASE + "/api/auth/login", json={"username": user, "password": user_password},
                             verify=False).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def nox_run(s=session):
            r = s.post(BASE + "/api/exec", json={"language": "python", "code": "print(1)"}, headers=headers, verify=False, timeout=60)
            if r.status_code != 200 or r.json().get("stdout") != "1\n":
                raise SystemExit(f"run failed: {r.status_code} {r.text[:300]}")

        for _ in range(5):
            nox_run()  # warm: the daemons started, the user's slice made, the interpreter in the page cache
        bare = timed(lambda: sandbox.run(["/usr/bin/python3", "-c", "print(1)"]), args.runs)
        unit_command = ["systemd-run", "--wait", "--pipe", "--quiet", "--collect"]
        for prop in SYSTEMD_RUN_PROPERTIES:
            unit_command += ["-p", prop]
        unit = timed(lambda: sandbox.run(unit_command + ["/usr/bin/python3", "-c", "print(1)"]), args.runs)
        nox = timed(nox_run, args.runs)
        print(summary("(a) bare python3 -c 'print(1)' (in sandbox)", bare))
        print(summary("(b) systemd-run --wait --pipe, same sandbox", unit))
        print(summary("Nox: POST /api/exec through nginx/TLS", nox))
        print("    note: (a) and (b) are timed through `nsenter` into the private systemd (+ a few ms each)")
        p50 = statistics.median(nox)
        print(f"ratios: Nox p50 / (b) = {p50 / statistics.median(unit):.2f} (target <= 1), "
              f"Nox p50 / (a) = {p50 / statistics.median(bare):.2f} (target <= 3)")

        done = 0
        stop_at = time.perf_counter() + args.seconds

        def client() -> int:
            s = type(session)()
            s.trust_env = False
            count = 0
            while time.perf_counter() < stop_at:
                nox_run(s)
                count += 1
            return count

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            done = sum(pool.map(lambda _: client(), range(args.concurrency)))
        elapsed = time.perf_counter() - started
        print(f"throughput: {done} runs in {elapsed:.1f} s with {args.concurrency} clients = {done / elapsed:.1f} runs/s (target >= 60)")


if __name__ == "__main__":
    main()
