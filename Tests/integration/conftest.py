"""pytest fixtures for Nox's integration tests: a real systemd, the real .deb.

At import (while pytest is still single-threaded) this process moves into a
fresh network namespace with only ``lo`` up. The sandboxed systemd is booted
sharing that namespace, so plain ``requests`` calls from the tests reach
nginx on https://127.0.0.1 inside the sandbox, and no port ever clashes with
the host (or with another test run).

Fixtures:
  artifacts_dir   Path of <repo>/test-artifacts (created)
  sandbox         session-scoped harness.Sandbox, booted (no Nox installed)
  nox             session-scoped NoxInstance: the sandbox with the .deb from
                  $NOX_DEB or the newest dist/nox_*_amd64.deb installed and
                  nox.target started; .url, .verify, .admin_password, .run,
                  .systemctl, .journal, ...  Purged again on teardown.

Environment:
  NOX_DEB             .deb to test (default: newest dist/nox_*_amd64.deb)
  NOX_REQUIRE_DEB=1   fail (instead of skip) the tests that need the .deb when none exists
  NOX_PURGE           auto (default): purge nox at the end unless it was already
                      installed on this machine when the session started (the
                      root filesystem is shared: someone else may be using it);
                      always | never
  NOX_SANDBOX_NAME    sandbox name (default nox-pytest[-<xdist worker>])
  NOX_KEEP_SANDBOX=1  do not purge/stop at the end (debugging; stop it with
                      scripts/nox-sandbox stop NAME, purge with apt-get purge nox)
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REPO_ROOT, Sandbox, SandboxError  # noqa: E402

CLONE_NEWNET = 0x40000000


def _enter_private_netns() -> str | None:
    """Move this (single-threaded) process into a new network namespace.

    Returns None on success, else the reason why not.
    """
    if os.geteuid() != 0:
        return "integration tests need root (they boot a private systemd)"
    if threading.active_count() != 1:
        return ("cannot move pytest into a private network namespace: "
                f"{threading.active_count()} threads are already running")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        return f"unshare(CLONE_NEWNET) failed: {os.strerror(err)}"
    res = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    if res.returncode != 0:
        return f"'ip link set lo up' failed in the new network namespace: {res.stderr.strip()}"
    return None


# Test traffic goes to the sandbox on loopback, never through a proxy.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost", "::1"]))

# Done at import: conftest is imported before any test (or plugin thread) runs.
NETNS_ERROR = _enter_private_netns()
NETNS = os.readlink("/proc/self/ns/net") if NETNS_ERROR is None else None


def _sandbox_name() -> str:
    name = os.environ.get("NOX_SANDBOX_NAME", "nox-pytest")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{name}-{worker}" if worker else name


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_journal(box: Sandbox, artifacts: Path, label: str) -> None:
    try:
        if box.alive():
            text = box.journal_text("--boot")
            (artifacts / f"journal-{label}.txt").write_text(text)
    except Exception as exc:  # never mask the real failure
        print(f"could not save the sandbox journal: {exc}", file=sys.stderr)


@pytest.fixture(scope="session")
def sandbox(artifacts_dir):
    """A booted private systemd sharing this process's network namespace."""
    if NETNS_ERROR:
        pytest.skip(NETNS_ERROR)
    box = Sandbox(_sandbox_name(), share_net=True)
    try:
        box.boot()
    except SandboxError as exc:
        pytest.fail(f"could not boot the sandbox: {exc}", pytrace=False)
    try:
        yield box
    finally:
        _save_journal(box, artifacts_dir, box.name)
        if os.environ.get("NOX_KEEP_SANDBOX") == "1":
            print(f"\nNOX_KEEP_SANDBOX=1: sandbox {box.name!r} left running "
                  f"(PID {box.pid}; its network is this pytest's namespace, now gone)",
                  file=sys.stderr)
        else:
            box.stop()


# ------------------------------------------------------------------- nox
def find_deb() -> Path | None:
    env = os.environ.get("NOX_DEB")
    if env:
        path = Path(env).resolve()
        if not path.is_file():
            pytest.fail(f"NOX_DEB={env} does not exist", pytrace=False)
        return path
    debs = sorted((REPO_ROOT / "dist").glob("nox_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
    return debs[-1] if debs else None


ADMIN_PASSWORD_FILES = (
    "/etc/nox/initial-admin-password",
    "/etc/nox/credentials/auth/initial-admin-password",
)
TLS_CERT_FILES = ("/etc/nox/tls/ca.crt", "/etc/nox/tls/nox.crt")
NGINX_SITE = "/etc/nginx/sites-enabled/nox"
NGINX_DEFAULT_SITE = "/etc/nginx/sites-enabled/default"


class NoxInstance:
    """The sandbox with Nox installed. Unknown attributes go to the Sandbox."""

    url = "https://127.0.0.1"
    admin_user = "admin"

    def __init__(self, box: Sandbox, deb: Path):
        self.sandbox = box
        self.deb = deb
        self.verify: bool | str = False
        self.admin_password: str | None = None

    def __getattr__(self, attr):
        return getattr(self.sandbox, attr)

    def api(self, path: str) -> str:
        return self.url + "/" + path.lstrip("/")


def _http_get(url: str, verify, timeout: float = 5.0):
    import requests  # imported here: the harness self-tests don't need it
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return requests.get(url, verify=verify, timeout=timeout)


def _wait_http(url: str, verify, timeout: float, box: Sandbox) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            resp = _http_get(url, verify)
            if resp.status_code < 500:  # 502/503/504: nginx up, daemon not (yet)
                return
            last = f"HTTP {resp.status_code}: {resp.text[:300]}"
        except Exception as exc:
            last = repr(exc)
        time.sleep(0.5)
    status = box.systemctl("status", "--lines=0", "nox*", "nginx", check=False).stdout
    logs = box.journal_text("-n", "80", "-u", "nox*", "-u", "nginx")
    errlog = box.run(["tail", "-n", "30", "/var/log/nginx/error.log"], check=False).stdout
    raise SandboxError(f"{url} did not answer within {timeout}s (last: {last})\n{status}\n"
                       f"--- journal ---\n{logs}\n--- nginx error.log ---\n{errlog}")


def _choose_verify(url: str, box: Sandbox):
    """CA/cert file for requests' verify= if it validates, else False."""
    candidates = []
    if os.environ.get("NOX_CA"):
        candidates.append(os.environ["NOX_CA"])
    candidates += [p for p in TLS_CERT_FILES if os.path.exists(p)]
    for ca in candidates:
        try:
            _http_get(url, ca)
            return ca
        except Exception:
            continue
    return False


@pytest.fixture(scope="session")
def nox(sandbox, artifacts_dir):
    deb = find_deb()
    if deb is None:
        msg = ("no Nox package: build it with `make deb` (dist/nox_*_amd64.deb) "
               "or point NOX_DEB at one")
        if os.environ.get("NOX_REQUIRE_DEB") == "1":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)

    # The root filesystem is shared with the host: remember what the package's
    # maintainer scripts change outside its own files, to put it back.
    default_site = os.readlink(NGINX_DEFAULT_SITE) if os.path.islink(NGINX_DEFAULT_SITE) else None
    site_existed = os.path.lexists(NGINX_SITE)
    preinstalled = sandbox.package_status("nox")
    purge_mode = os.environ.get("NOX_PURGE", "auto")
    if purge_mode not in ("auto", "always", "never"):
        pytest.fail(f"NOX_PURGE={purge_mode}: use auto, always or never", pytrace=False)
    if preinstalled != "not-installed":
        # The dpkg database is the host's: someone (scripts/up, another test
        # run) has Nox on this machine. We upgrade in place; purging it at the
        # end would pull it from under them, so "auto" leaves it installed.
        print(f"\nnote: package nox is already '{preinstalled}' on this machine (shared root "
              f"filesystem): testing an upgrade in place, not a first install", file=sys.stderr)
    do_purge = purge_mode == "always" or (purge_mode == "auto" and preinstalled == "not-installed")
    inst = NoxInstance(sandbox, deb)
    try:
        try:
            sandbox.install_deb(deb)
        except Exception as exc:
            pytest.fail(f"installing {deb} in the sandbox failed: {exc}", pytrace=False)
        sandbox.systemctl("start", "nox.target")
        sandbox.wait_active("nox.target", timeout=60)
        if not os.path.lexists(NGINX_SITE):
            if not os.path.exists("/etc/nginx/sites-available/nox"):
                pytest.fail("the package installed no /etc/nginx/sites-available/nox", pytrace=False)
            os.symlink("../sites-available/nox", NGINX_SITE)
        sandbox.run(["nginx", "-t", "-q"])
        sandbox.systemctl("restart", "nginx")
        sandbox.wait_active("nginx", timeout=30)
        probe = inst.api("/api/auth/keys")
        _wait_http(probe, False, 60, sandbox)
        inst.verify = _choose_verify(probe, sandbox)
        for path in ADMIN_PASSWORD_FILES:
            res = sandbox.run(["cat", path], check=False)
            if res.returncode == 0 and res.stdout.strip():
                inst.admin_password = res.stdout.strip()
                break
        else:
            print(f"\nnote: no initial admin password file ({', '.join(ADMIN_PASSWORD_FILES)}); "
                  "nox.admin_password is None", file=sys.stderr)
        yield inst
    finally:
        _save_journal(sandbox, artifacts_dir, f"{sandbox.name}-nox")
        if do_purge and os.environ.get("NOX_KEEP_SANDBOX") != "1" and sandbox.alive():
            try:
                sandbox.purge("nox")
            finally:
                # undo what the maintainer scripts did to the shared /etc/nginx
                if not site_existed and os.path.islink(NGINX_SITE):
                    os.unlink(NGINX_SITE)
                if default_site and not os.path.lexists(NGINX_DEFAULT_SITE):
                    os.symlink(default_site, NGINX_DEFAULT_SITE)
