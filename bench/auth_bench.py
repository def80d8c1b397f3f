#!/usr/bin/env python3
"""nox-auth benchmark: cold start, warm latency and idle memory, through nginx over HTTPS,
against nginx serving a static file in the same run (the baseline).

Run as root from the repo root after `make deb`:  python3 bench/auth_bench.py [--requests N]
It boots a private systemd (scripts/nox-sandbox), installs dist/nox_*.deb, measures, purges.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))


def enter_private_netns() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x40000000) != 0:
        raise SystemExit("unshare(CLONE_NEWNET) failed: run as root")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def timed_get(session, url: str) -> float:
    start = time.perf_counter()
    response = session.get(url, verify=False, timeout=30)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cold-starts", type=int, default=7)
    args = parser.parse_args()

    enter_private_netns()
    import requests
    import urllib3
    from harness import Sandbox

    urllib3.disable_warnings()
    deb = sorted(REPO.glob("dist/nox_*_amd64.deb"), key=os.path.getmtime)[-1]
    sandbox = Sandbox("nox-bench", share_net=True).boot()
    try:
        sandbox.install_deb(deb)
        sandbox.systemctl("start", "nox.target")
        sandbox.sh("mkdir -p /usr/share/nox/web && echo '{\"keys\":[]}' > /usr/share/nox/web/bench.json")
        sandbox.systemctl("restart", "nginx")
        session = requests.Session()
        base = "https://127.0.0.1"
        for _ in range(50):
            try:
                session.get(base + "/api/auth/keys", verify=False, timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)

        # Warm latency: nginx static file (baseline) vs nox-auth's JWKS endpoint, same path through nginx.
        for _ in range(20):
            timed_get(session, base + "/bench.json")
            timed_get(session, base + "/api/auth/keys")
        static = [timed_get(session, base + "/bench.json") for _ in range(args.requests)]
        auth = [timed_get(session, base + "/api/auth/keys") for _ in range(args.requests)]

        # Cold start: service stopped, socket listening; first request starts it.
        cold = []
        for _ in range(args.cold_starts):
            sandbox.systemctl("stop", "nox-auth.service")
            time.sleep(1)
            fresh = requests.Session()
            try:
                cold.append(timed_get(fresh, base + "/api/auth/keys"))
            except requests.HTTPError:
                print(sandbox.journal_text("-u", "nox-auth.service", "-n", "40", "--no-pager"))
                raise

        time.sleep(3)
        pid = sandbox.systemctl("show", "-p", "MainPID", "--value", "nox-auth.service").stdout.strip()
        # The PID is the sandbox's own: read its /proc from inside.
        status = sandbox.run(["cat", f"/proc/{pid}/status"]).stdout
        rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        security = sandbox.run(["systemd-analyze", "security", "nox-auth.service"]).stdout.strip().splitlines()[-1]

        def row(name, values):
            return f"{name:<28} p50 {percentile(values, .5):7.2f} ms  p95 {percentile(values, .95):7.2f} ms"

        print(f"deb: {deb.name} ({deb.stat().st_size / 1e6:.1f} MB)")
        print(row("nginx static (baseline)", static))
        print(row("nox-auth GET /api/auth/keys", auth))
        print(f"{'ratio (nox / baseline)':<28} p50 {percentile(auth, .5) / percentile(static, .5):7.2f}x")
        print(f"{'cold start, first response':<28} median {statistics.median(cold):7.1f} ms  "
              f"({statistics.median(cold) / percentile(auth, .5):.0f}x a warm request)")
        print(f"{'nox-auth idle RSS':<28} {rss_kb / 1024:7.1f} MiB")
        print(f"security: {security}")
    finally:
        sandbox.purge()
        sandbox.stop()


if __name__ == "__main__":
    main()
