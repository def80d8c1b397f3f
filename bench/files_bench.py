#!/usr/bin/env python3
"""nox-files benchmark, through nginx over HTTPS, against nginx itself in the same run (the
baseline):

  * upload and download of a 1 GB file: nox-files (PUT/GET /api/files/...) vs nginx writing
    the same bytes with WebDAV PUT and serving them back as a static file, from a temporary
    HTTPS server block on 127.0.0.1:8443 with the same certificate; MB/s and the ratio
    nox / nginx (target >= 0.7);
  * listing a directory of 10 000 files (limit=1000, so 10 pages per full listing): p50/p95
    over --runs runs;
  * full-text search over those 10 000 small text files: p50/p95 for a rare and a common
    word, and the first search after a run wrote files behind the API's back (rescan);
  * peak RSS (VmHWM, reset before each phase with /proc/PID/clear_refs) of nox-files.

Run as root from the repo root after `make deb`:  python3 bench/files_bench.py [--size-mb 1000]
It boots a private systemd (scripts/nox-sandbox), installs dist/nox_*.deb (unless Nox is
already installed on this machine), measures, and cleans up: the bench user, the temporary
nginx server block and its files, and the package if it installed it. Not run by CI.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))

BASE = "https://127.0.0.1"
STATIC_PORT = 8443
STATIC_BASE = f"https://127.0.0.1:{STATIC_PORT}"
# On the real (shared) disk, like the sandboxes under /var/lib/nox/users: a tmpfs baseline
# would not be a fair one. Removed when the benchmark ends.
STATIC_DIR = "/var/lib/nox-files-bench"
NGINX_CONF = "/etc/nginx/conf.d/nox-files-bench.conf"
NGINX_SITE_AVAILABLE = "/etc/nginx/sites-available/nox"
NGINX_SITE_ENABLED = "/etc/nginx/sites-enabled/nox"
ADMIN_PASSWORD_FILES = ("/etc/nox/initial-admin-password", "/etc/nox/credentials/auth/initial-admin-password")
SERVICE = "nox-files.service"
MB = 1_000_000
CHUNK = 8 * 1024 * 1024

NGINX_BLOCK = f"""# Temporary: written by bench/files_bench.py (baseline for nox-files), removed when it ends.
server {{
    listen 127.0.0.1:{STATIC_PORT} ssl;
    server_name _;
    ssl_certificate     /etc/nox/tls/nox.crt;
    ssl_certificate_key /etc/nox/tls/nox.key;
    ssl_protocols       TLSv1.2 TLSv1.3;
    client_max_body_size 2g;
    client_body_temp_path {STATIC_DIR}/tmp;
    location /bench/ {{
        alias {STATIC_DIR}/files/;
        dav_methods PUT;
        create_full_put_path on;
    }}
}}
"""


def enter_private_netns() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x40000000) != 0:
        raise SystemExit("unshare(CLONE_NEWNET) failed: run as root")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


@contextlib.contextmanager
def installed_nox(name: str):
    """A private systemd (named ``name``) with the newest ``dist/nox_*.deb`` installed, nox.target
    and nginx started and the first administrator logged in: yields ``(sandbox, session, admin
    access token)``; afterwards purges the package (unless it was installed before) and stops it."""
    import requests
    import urllib3
    from harness import Sandbox

    urllib3.disable_warnings()
    debs = sorted(REPO.glob("dist/nox_*_amd64.deb"), key=os.path.getmtime)
    if not debs:
        raise SystemExit("no dist/nox_*_amd64.deb: run `make deb` first")
    sandbox = Sandbox(name, share_net=True).boot()
    preinstalled = sandbox.package_status("nox") != "not-installed"
    session = requests.Session()
    session.trust_env = False
    try:
        sandbox.install_deb(debs[-1])
        sandbox.systemctl("start", "nox.target")
        sandbox.systemctl("restart", "nginx")
        password = sandbox.run(["cat", "/etc/nox/initial-admin-password"]).stdout.strip()
        for _ in range(100):
            try:
                r = session.post(BASE + "/api/auth/login", json={"username": "admin", "password": password}, verify=False, timeout=10)
                if r.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        yield sandbox, session, r.json()["access_token"]
    finally:
        if not preinstalled:
            sandbox.purge("nox")
        sandbox.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Body:
    """``size`` bytes from one random block (varied per chunk), sent with Content-Length."""

    def __init__(self, size: int, seed: int = 1):
        self.size = size
        self.block = random.Random(seed).randbytes(CHUNK)
        self.sha = hashlib.sha256()

    def __len__(self) -> int:
        return self.size

    def __iter__(self):
        self.sha = hashlib.sha256()
        sent, index = 0, 0
        while sent < self.size:
            n = min(CHUNK, self.size - sent)
            chunk = (index.to_bytes(8, "big") + self.block[8:])[:n]
            self.sha.update(chunk)
            yield chunk
            sent += n
            index += 1


class Bench:
    def __init__(self, sandbox, session, args):
        self.sb = sandbox
        self.s = session
        self.args = args
        self.token: str | None = None
        self.rows: list[tuple[str, str, str, str, str]] = []

    # -- nox-files the process ------------------------------------------------------------
    def pid(self) -> int:
        return int(self.sb.systemctl("show", "-p", "MainPID", "--value", SERVICE).stdout.strip() or 0)

    def status_kb(self, pid: int, field: str) -> int | None:
        res = self.sb.run(["cat", f"/proc/{pid}/status"], check=False)
        for line in res.stdout.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return None

    def start_phase(self) -> int:
        """Makes sure nox-files runs, resets its peak RSS; returns its PID."""
        self.get("/api/files", params={"limit": 1})
        pid = self.pid()
        self.sb.run(["sh", "-c", f"echo 5 > /proc/{pid}/clear_refs"], check=False)
        return pid

    def peak_mib(self, pid: int) -> str:
        if self.pid() != pid:
            return "(restarted)"
        kb = self.status_kb(pid, "VmHWM")
        return f"{kb / 1024:.1f} MiB" if kb is not None else "?"

    # -- HTTP ----------------------------------------------------------------------------
    def headers(self, extra: dict | None = None) -> dict:
        h = {"Authorization": f"Bearer {self.token}", "Accept-Encoding": "identity"}
        h.update(extra or {})
        return h

    def get(self, path: str, **kw):
        r = self.s.get(BASE + path, headers=self.headers(), verify=False, timeout=600, **kw)
        r.raise_for_status()
        return r

    def post_json(self, path: str, body: dict, token: str | None = None):
        h = {"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"}
        return self.s.post(BASE + path, data=json.dumps(body), headers=h, verify=False, timeout=600)

    def timed_download(self, url: str, headers: dict, verify_sha: str | None = None) -> float:
        """Seconds to stream the whole body (checking its length, and its sha256 if given)."""
        h = hashlib.sha256() if verify_sha else None
        start = time.perf_counter()
        with self.s.get(url, headers=headers, verify=False, timeout=600, stream=True) as r:
            r.raise_for_status()
            n = 0
            for block in r.iter_content(CHUNK):
                n += len(block)
                if h:
                    h.update(block)
        elapsed = time.perf_counter() - start
        if n != self.args.size_mb * MB:
            raise SystemExit(f"download of {url} gave {n} bytes, expected {self.args.size_mb * MB}")
        if h and h.hexdigest() != verify_sha:
            raise SystemExit(f"download of {url}: sha256 mismatch")
        return elapsed

    # -- phases --------------------------------------------------------------------------
    def big_file(self) -> None:
        size = self.args.size_mb * MB
        label = f"{size / 1e9:g} GB"
        # Upload: nox-files PUT vs nginx WebDAV PUT (nginx spools to its temp dir, then renames).
        pid = self.start_phase()
        body = Body(size, seed=11)
        start = time.perf_counter()
        r = self.s.put(BASE + "/api/files/bench/big.bin", data=body, verify=False, timeout=1200,
                       headers=self.headers({"Content-Type": "application/octet-stream"}))
        nox_up = time.perf_counter() - start
        r.raise_for_status()
        answer = r.json()
        if answer.get("sha256") != body.sha.hexdigest() or answer.get("size") != size:
            raise SystemExit(f"nox-files upload answer does not match what was sent: {answer}")
        up_peak = self.peak_mib(pid)
        sha = body.sha.hexdigest()

        body = Body(size, seed=11)
        start = time.perf_counter()
        r = self.s.put(STATIC_BASE + "/bench/big.bin", data=body, verify=False, timeout=1200,
                       headers={"Content-Type": "application/octet-stream"})
        nginx_up = time.perf_counter() - start
        if r.status_code not in (201, 204):
            raise SystemExit(f"nginx WebDAV PUT failed: {r.status_code} {r.text[:300]}")
        self.row(f"upload {label}", size / nox_up / MB, size / nginx_up / MB, up_peak)

        # Download: both files are now on disk (and in the page cache after the warm-up).
        nox_url, nginx_url = BASE + "/api/files/bench/big.bin", STATIC_BASE + "/bench/big.bin"
        self.timed_download(nox_url, self.headers(), verify_sha=sha)  # warm-up, checks the bytes
        self.timed_download(nginx_url, {"Accept-Encoding": "identity"}, verify_sha=sha)
        pid = self.start_phase()
        nox_t, nginx_t = [], []
        for _ in range(self.args.download_runs):
            nox_t.append(self.timed_download(nox_url, self.headers()))
            nginx_t.append(self.timed_download(nginx_url, {"Accept-Encoding": "identity"}))
        self.row(f"download {label} (median of {self.args.download_runs})", size / statistics.median(nox_t) / MB,
                 size / statistics.median(nginx_t) / MB, self.peak_mib(pid))

    def many_files(self) -> None:
        n, per_request = self.args.files, 1000
        rng = random.Random(5)
        words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
        start = time.perf_counter()
        for first in range(0, n, per_request):
            boundary = "----noxbench" + uuid.uuid4().hex
            out = bytearray(f'--{boundary}\r\nContent-Disposition: form-data; name="dir"\r\n\r\nmany\r\n'.encode())
            for i in range(first, min(n, first + per_request)):
                text = " ".join(rng.choice(words) for _ in range(12))
                if i % 100 == 0:
                    text += " needle"
                content = f"file {i}\n{text} common\nlast line of file {i}\n".encode()
                out += (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f{i:05d}.txt"\r\n'
                        f"Content-Type: text/plain\r\n\r\n").encode() + content + b"\r\n"
            out += f"--{boundary}--\r\n".encode()
            r = self.s.post(BASE + "/api/files", data=bytes(out), verify=False, timeout=600,
                            headers=self.headers({"Content-Type": f"multipart/form-data; boundary={boundary}"}))
            if r.status_code != 201:
                raise SystemExit(f"multipart upload of files {first}..: {r.status_code} {r.text[:300]}")
        created = time.perf_counter() - start
        print(f"created {n} files in {-(-n // per_request)} multipart requests: {created:.1f} s")

        # Listing: the full directory, 1000 per page.
        pid = self.start_phase()
        times, count = [], 0
        for _ in range(self.args.runs):
            start = time.perf_counter()
            count, cursor = 0, None
            while True:
                params = {"path": "many", "limit": 1000}
                if cursor:
                    params["cursor"] = cursor
                page = self.get("/api/files", params=params).json()
                count += len(page["items"])
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            times.append((time.perf_counter() - start) * 1000)
        if count != n:
            raise SystemExit(f"listing gave {count} items, expected {n}")
        self.row_ms(f"list {n} files (limit=1000, {-(-n // 1000)} pages)", times, self.peak_mib(pid))

        # Search.
        for query, expect_at_least in (("needle", n // 100), ("common", 50)):
            pid = self.start_phase()
            times = []
            for _ in range(self.args.runs):
                start = time.perf_counter()
                r = self.post_json("/api/files/search", {"query": query, "path": "many", "limit": 1000})
                times.append((time.perf_counter() - start) * 1000)
                r.raise_for_status()
            hits = len(r.json()["items"])
            if hits < min(expect_at_least, 1000):
                raise SystemExit(f"search {query!r} found {hits} items, expected at least {expect_at_least}")
            self.row_ms(f"search {query!r} over {n} files ({hits} hits)", times, self.peak_mib(pid))

        # First search after a run wrote 100 files behind the API's back: the rescan.
        user_box = f"/var/lib/nox/users/{self.args.user}/sandbox/many"
        self.sb.run(["sh", "-c", f"cd {user_box} && for i in $(seq 1 100); do echo \"run wrote zulu $i\" > run$i.txt; done"])
        pid = self.start_phase()
        start = time.perf_counter()
        r = self.post_json("/api/files/search", {"query": "zulu", "path": "many", "limit": 1000})
        rescan_ms = (time.perf_counter() - start) * 1000
        r.raise_for_status()
        found = len(r.json()["items"])
        self.rows.append((f"first search after 100 files written on disk ({found} hits)", f"{rescan_ms:.1f} ms", "", "",
                          self.peak_mib(pid)))

    # -- output --------------------------------------------------------------------------
    def row(self, name: str, nox_mbs: float, nginx_mbs: float, peak: str) -> None:
        ratio = nox_mbs / nginx_mbs if nginx_mbs else float("nan")
        flag = "" if ratio >= 0.7 else "  < 0.7 target"
        self.rows.append((name, f"{nox_mbs:.0f} MB/s", f"{nginx_mbs:.0f} MB/s", f"{ratio:.2f}{flag}", peak))

    def row_ms(self, name: str, times: list[float], peak: str) -> None:
        self.rows.append((name, f"p50 {percentile(times, .5):.1f} ms", f"p95 {percentile(times, .95):.1f} ms", "", peak))

    def print_table(self) -> None:
        head = ("phase", "nox-files", "nginx / p95", "ratio", "nox-files peak RSS")
        widths = [max(len(r[i]) for r in self.rows + [head]) for i in range(5)]
        line = "  ".join("{:<%d}" % w for w in widths)
        print(line.format(*head))
        print(line.format(*("-" * w for w in widths)))
        for r in self.rows:
            print(line.format(*r))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1000, help="big file size in MB (10^6 bytes); default 1000 = 1 GB")
    parser.add_argument("--files", type=int, default=10_000, help="files in the listed/searched directory")
    parser.add_argument("--runs", type=int, default=20, help="runs per listing/search measurement")
    parser.add_argument("--download-runs", type=int, default=3, help="timed downloads per side")
    parser.add_argument("--admin-password", help="the first admin's password (default: read from /etc/nox)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (it boots a private systemd)")

    enter_private_netns()
    import requests
    import urllib3
    from harness import Sandbox

    urllib3.disable_warnings()
    debs = sorted(REPO.glob("dist/nox_*_amd64.deb"), key=os.path.getmtime)
    if not debs:
        raise SystemExit("no dist/nox_*_amd64.deb: run `make deb` first")
    deb = debs[-1]
    sandbox = Sandbox("nox-files-bench", share_net=True).boot()
    preinstalled = sandbox.package_status("nox") != "not-installed"
    linked_site = False
    session = requests.Session()
    session.trust_env = False
    bench = Bench(sandbox, session, args)
    admin_token = None
    try:
        sandbox.install_deb(deb)
        sandbox.systemctl("start", "nox.target")
        if not os.path.lexists(NGINX_SITE_ENABLED):
            os.symlink("../sites-available/nox", NGINX_SITE_ENABLED)
            linked_site = True
        sandbox.run(["mkdir", "-p", f"{STATIC_DIR}/files", f"{STATIC_DIR}/tmp"])
        sandbox.run(["chown", "-R", "www-data:www-data", STATIC_DIR])
        Path(NGINX_CONF).write_text(NGINX_BLOCK)
        sandbox.run(["nginx", "-t", "-q"])
        sandbox.systemctl("restart", "nginx")
        for _ in range(100):
            try:
                if session.get(BASE + "/api/auth/keys", verify=False, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)

        password = args.admin_password
        for path in ADMIN_PASSWORD_FILES:
            if password:
                break
            res = sandbox.run(["cat", path], check=False)
            password = res.stdout.strip() if res.returncode == 0 else None
        if not password:
            raise SystemExit(f"no admin password (looked in {ADMIN_PASSWORD_FILES}); pass --admin-password")
        r = session.post(BASE + "/api/auth/login", json={"username": "admin", "password": password}, verify=False,
                         timeout=30)
        r.raise_for_status()
        admin_token = r.json()["access_token"]
        args.user = f"bench_{uuid.uuid4().hex[:10]}"
        user_password = f"pw-{uuid.uuid4().hex}"
        quotas = {"disk_mb": max(4096, 2 * args.size_mb + 1024), "requests_per_minute": 1_000_000}
        r = bench.post_json("/api/admin/users", {"username": args.user, "password": user_password, "role": "user",
                                                 "quotas": quotas}, token=admin_token)
        if r.status_code != 201:
            raise SystemExit(f"creating the bench user failed: {r.status_code} {r.text[:300]}")
        r = session.post(BASE + "/api/auth/login", json={"username": args.user, "password": user_password},
                         verify=False, timeout=30)
        r.raise_for_status()
        bench.token = r.json()["access_token"]

        idle_pid = bench.start_phase()
        time.sleep(1)
        idle_kb = bench.status_kb(idle_pid, "VmRSS")
        bench.big_file()
        bench.many_files()

        print(f"deb: {deb.name}")
        print(f"nox-files idle RSS: {idle_kb / 1024:.1f} MiB" if idle_kb else "nox-files idle RSS: ?")
        print(f"baseline: nginx on 127.0.0.1:{STATIC_PORT} (same certificate), WebDAV PUT then static GET "
              f"of {STATIC_DIR}/files/big.bin")
        print("(both sides are read by this one Python client: if both top out at the same MB/s, "
              "the client is the bottleneck, not the server)")
        bench.print_table()
    finally:
        try:
            if admin_token and getattr(args, "user", None):
                session.delete(f"{BASE}/api/admin/users/{args.user}", headers={"Authorization": f"Bearer {admin_token}"},
                               verify=False, timeout=120)
        except Exception as exc:  # keep cleaning up
            print(f"could not delete the bench user: {exc}", file=sys.stderr)
        if os.path.exists(NGINX_CONF):
            os.unlink(NGINX_CONF)
        sandbox.run(["rm", "-rf", STATIC_DIR], check=False)
        if linked_site and os.path.islink(NGINX_SITE_ENABLED):
            os.unlink(NGINX_SITE_ENABLED)
        if sandbox.alive():
            sandbox.systemctl("reload-or-restart", "nginx", check=False)
            if not preinstalled:
                sandbox.purge()
        sandbox.stop()


if __name__ == "__main__":
    main()
