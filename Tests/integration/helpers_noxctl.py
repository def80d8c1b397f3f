"""Drive the installed ``noxctl`` (``/usr/bin/noxctl`` from the .deb) inside the sandbox, as a
person or a shell script would: real argv, stdin, exit codes, stdout and stderr.

Every :class:`NoxCtl` has its own config directory (``XDG_CONFIG_HOME``) in the sandbox's
private ``/tmp``, so its login (``credentials.json``) is its own and nothing touches the
host's ``/root/.config``. It reaches nginx at ``nox.url`` and trusts the package's
self-signed certificate (``--ca-file``), or skips verification only when the harness could
not verify it either.

Fixtures: ``ctl_factory`` (make ``NoxCtl`` objects), ``ctl_user`` (a fresh user logged in
through ``noxctl login``) and ``ctl_admin`` (the session's test administrator, logged in).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from helpers_api import admin_client

NOXCTL = "/usr/bin/noxctl"


class NoxCtl:
    """One noxctl user: a config directory, a URL, and (after :meth:`login`) stored tokens."""

    def __init__(self, nox, *, username: str | None = None, password: str | None = None):
        self.nox = nox
        self.username = username
        self.password = password
        self.config_home = f"/tmp/noxctl-{uuid.uuid4().hex[:10]}"
        nox.run(["mkdir", "-p", "-m", "0700", self.config_home])

    # -- running --------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        env = {"XDG_CONFIG_HOME": self.config_home, "NOX_URL": self.nox.url}
        if isinstance(self.nox.verify, str):
            env["NOX_CA_FILE"] = self.nox.verify
        return env

    def flags(self) -> list[str]:
        return [] if isinstance(self.nox.verify, str) else ["--insecure"]

    def argv(self, *args: str) -> list[str]:
        """noxctl ARGS, the TLS flag last (after the subcommand, whose option it is)."""
        return [NOXCTL, *map(str, args), *self.flags()]

    def __call__(self, *args: str, input: str | None = None, check: bool = True, env: dict | None = None,
                 timeout: float = 180, cwd: str = "/") -> subprocess.CompletedProcess:
        full_env = {**self.env, **(env or {})}
        res = self.nox.run(self.argv(*args), check=False, input=input, env=full_env, timeout=timeout, cwd=cwd)
        if check and res.returncode != 0:
            pytest.fail(f"noxctl {' '.join(args)} exited {res.returncode}\n--- stdout ---\n{res.stdout[-3000:]}"
                        f"\n--- stderr ---\n{res.stderr[-3000:]}")
        return res

    def json(self, *args: str, **kw) -> Any:
        res = self(*args, "--json", **kw)
        try:
            return json.loads(res.stdout)
        except ValueError:
            pytest.fail(f"noxctl {' '.join(args)} --json printed no JSON:\n{res.stdout[-3000:]}\n{res.stderr[-2000:]}")

    def popen(self, *args: str) -> subprocess.Popen:
        """noxctl started inside the sandbox with pipes, for watching output as it arrives."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root", **self.env}
        argv = ["nsenter", "-t", str(self.nox.pid), "-m", "-u", "-i", "-n", "-p", "-C", "--wd=/", "--",
                *self.argv(*args)]
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)

    # -- files in the sandbox's /tmp ------------------------------------------------
    def host_path(self, path: str) -> Path:
        return self.nox.host_path(path)

    def write_local(self, name: str, data: bytes) -> str:
        """Writes a local file for noxctl (inside the sandbox's /tmp); returns its path there."""
        path = f"{self.config_home}/{name}"
        target = self.host_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return path

    def read_local(self, path: str) -> bytes:
        return self.host_path(path).read_bytes()

    @property
    def credentials_path(self) -> str:
        return f"{self.config_home}/nox/credentials.json"

    def credentials(self) -> dict:
        return json.loads(self.host_path(self.credentials_path).read_text())

    def write_credentials(self, value: dict) -> None:
        self.host_path(self.credentials_path).write_text(json.dumps(value))

    # -- auth -----------------------------------------------------------------------
    def login(self, *, max_wait: float = 300) -> subprocess.CompletedProcess:
        """noxctl login --password-stdin, waiting out a 429 caused by other tests' failures."""
        deadline = time.monotonic() + max_wait
        while True:
            res = self("login", "--username", self.username, "--password-stdin", input=self.password + "\n",
                       check=False)
            if res.returncode == 0:
                return res
            if "429" not in res.stderr or time.monotonic() > deadline:
                pytest.fail(f"noxctl login as {self.username} failed ({res.returncode}): {res.stderr}")
            time.sleep(2)


def assert_error_output(res: subprocess.CompletedProcess, *fragments: str) -> None:
    """A failed command: non-zero exit, nothing on stdout, ``noxctl: …`` with fragments on stderr."""
    assert res.returncode != 0, f"expected a failure, got exit 0: {res.stdout!r}"
    assert res.stdout == "", f"a failure must print nothing on stdout: {res.stdout!r}"
    assert res.stderr.startswith("noxctl: "), f"expected 'noxctl: …' on stderr: {res.stderr!r}"
    for fragment in fragments:
        assert fragment in res.stderr, f"expected {fragment!r} in stderr: {res.stderr!r}"
    for marker in ("Fatal error", "Stack trace", ".swift:"):
        assert marker not in res.stderr, f"noxctl crashed: {res.stderr!r}"


@pytest.fixture
def ctl_factory(nox):
    def factory(**kw) -> NoxCtl:
        return NoxCtl(nox, **kw)
    return factory


@pytest.fixture
def ctl_user(nox, make_user) -> NoxCtl:
    user = make_user()
    ctl = NoxCtl(nox, username=user.username, password=user.password)
    ctl.login()
    return ctl


@pytest.fixture
def ctl_admin(nox) -> NoxCtl:
    admin = admin_client(nox)
    ctl = NoxCtl(nox, username=admin.username, password=admin.password)
    ctl.login()
    return ctl
