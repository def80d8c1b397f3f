"""Drive a private systemd booted by ``scripts/nox-sandbox`` from Python.

The sandbox is a real systemd 252 (PID 1 of its own PID namespace, own mount,
cgroup, UTS and IPC namespaces, own cgroup subtree in every hierarchy) on a
machine whose PID 1 is not systemd. Its root filesystem is SHARED with the
host: only /run, /tmp and /var/tmp are private. Installing a .deb inside
installs it on the machine, which is why every test that installs must purge.

Typical use::

    with Sandbox("demo") as sb:
        sb.systemctl("start", "nginx")
        sb.wait_active("nginx", timeout=30)
        print(sb.journal("-u", "nginx"))

Every Sandbox that was booted is stopped when its ``with`` block ends, when
``stop()`` is called, at interpreter exit (atexit) and on SIGTERM/SIGHUP.
A sandbox left behind by a SIGKILLed owner is stopped by the next ``boot()``
of the same name.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("NOX_SANDBOX_CLI", REPO_ROOT / "scripts" / "nox-sandbox"))
STATE_ROOT = Path(os.environ.get("NOX_SANDBOX_STATE_ROOT", "/run/nox-sandbox"))

DEFAULT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "dumb",
    "HOME": "/root",
    "SYSTEMD_PAGER": "",
    "SYSTEMD_COLORS": "0",
    "SYSTEMD_LESS": "",
    "DEBIAN_FRONTEND": "noninteractive",
}

APT_OPTS = [
    "-o", "Dpkg::Options::=--force-confdef",
    "-o", "Dpkg::Options::=--force-confold",
    "-o", "APT::Sandbox::User=root",
    "-o", "Acquire::Retries=0",
    "-o", "DPkg::Lock::Timeout=120",
]


class SandboxError(RuntimeError):
    """The sandbox could not be booted, stopped or used."""


class SandboxCommandError(subprocess.CalledProcessError):
    """A command run inside the sandbox exited non-zero (check=True)."""

    def __str__(self) -> str:  # include the output: it is what one needs
        msg = super().__str__()
        for label, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            if text:
                text = text if len(text) < 4000 else "...\n" + text[-4000:]
                msg += f"\n--- {label} ---\n{text.rstrip()}"
        return msg


def _proc_start(pid: int) -> str | None:
    """Start time of a PID (field 22 of /proc/PID/stat), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return fields[19]


# ----------------------------------------------------------------- cleanup
_live: "dict[int, Sandbox]" = {}
_live_lock = threading.Lock()
_handlers_installed = False


def stop_all() -> None:
    """Stop every sandbox booted by this process (idempotent)."""
    with _live_lock:
        boxes = list(_live.values())
    for box in boxes:
        try:
            box.stop()
        except Exception as exc:  # keep going: cleanup of the others matters
            print(f"nox-sandbox harness: stopping {box.name!r} failed: {exc}")


def _on_signal(signum, frame):  # pragma: no cover - exercised via subprocess
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(stop_all)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)


# ----------------------------------------------------------------- Sandbox
class Sandbox:
    """A private systemd booted with ``scripts/nox-sandbox``.

    share_net=True (the default) keeps the caller's network namespace, so a
    test process that made its own network namespace (see conftest.py)
    reaches the sandbox's services on 127.0.0.1. share_net=False gives the
    sandbox a fresh network namespace of its own.
    """

    def __init__(self, name: str | None = None, *, share_net: bool = True,
                 boot_timeout: float = 120, cli: Path | str = CLI):
        self.name = name or f"pytest-{os.getpid()}"
        self.share_net = share_net
        self.boot_timeout = boot_timeout
        self.cli = str(cli)
        self.pid: int | None = None
        self._pid_start: str | None = None

    # -- lifecycle ---------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        return STATE_ROOT / self.name

    def _cli(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([self.cli, *args], capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"'nox-sandbox {' '.join(args)}' timed out after {timeout}s\n"
                               f"{exc.stderr or ''}") from None

    def _recorded_pid_alive(self) -> bool:
        try:
            pid = int((self.state_dir / "pid").read_text())
            start = (self.state_dir / "pid.start").read_text().strip()
        except (OSError, ValueError):
            return False
        return _proc_start(pid) == start

    def _reclaim(self) -> None:
        """Clean up a same-named sandbox left behind: stale state, or a
        sandbox whose owning process died (SIGKILL). Refuse to touch one that
        a live process owns, or that was booted by hand (no owner file)."""
        if not self.state_dir.exists():
            return
        if self._recorded_pid_alive():
            try:
                opid, ostart = (self.state_dir / "owner").read_text().split()
            except (OSError, ValueError):
                raise SandboxError(
                    f"a sandbox named {self.name!r} is running and was not booted by this "
                    f"harness; stop it with: {self.cli} stop {self.name}") from None
            if int(opid) != os.getpid() and _proc_start(int(opid)) == ostart:
                raise SandboxError(
                    f"sandbox {self.name!r} is in use by live process {opid}; "
                    f"stop it with: {self.cli} stop {self.name}")
        res = self._cli("stop", self.name, timeout=90)
        if res.returncode != 0:
            raise SandboxError(f"could not clean up the old sandbox {self.name!r}:\n{res.stderr}")

    def boot(self) -> "Sandbox":
        if self.alive():
            return self
        if os.geteuid() != 0:
            raise SandboxError("booting a sandbox needs root")
        self._reclaim()
        _install_handlers()
        args = ["boot", "--name", self.name, "--timeout", str(int(self.boot_timeout))]
        if self.share_net:
            args.append("--share-net")
        with _live_lock:
            _live[id(self)] = self  # register first: a half-failed boot is cleaned too
        res = self._cli(*args, timeout=self.boot_timeout + 30)
        if res.returncode != 0:
            self.stop()
            raise SandboxError(f"nox-sandbox boot failed (exit {res.returncode}):\n"
                               f"{res.stderr.strip()}")
        self.pid = int(res.stdout.strip().splitlines()[-1])
        self._pid_start = _proc_start(self.pid)
        (self.state_dir / "owner").write_text(f"{os.getpid()} {_proc_start(os.getpid())}\n")
        return self

    def alive(self) -> bool:
        return self.pid is not None and _proc_start(self.pid) == self._pid_start

    def stop(self, timeout: float = 60) -> None:
        """Kill the sandbox's PID 1, remove its cgroups and state. Idempotent."""
        try:
            if self.pid is not None or self.state_dir.exists():
                res = self._cli("stop", "--timeout", str(int(timeout)), self.name,
                                timeout=timeout + 30)
                if res.returncode != 0:
                    raise SandboxError(f"nox-sandbox stop {self.name} failed:\n"
                                       f"{res.stderr.strip()}")
        finally:
            self.pid = None
            with _live_lock:
                _live.pop(id(self), None)

    def __enter__(self) -> "Sandbox":
        return self.boot()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Sandbox {self.name} pid={self.pid}>"

    # -- running things ----------------------------------------------------
    def _require(self) -> int:
        if not self.alive():
            raise SandboxError(f"sandbox {self.name!r} is not running")
        assert self.pid is not None
        return self.pid

    def host_path(self, path: str | os.PathLike) -> Path:
        """Host-side path of a file as the sandbox sees it (private /tmp, /run)."""
        return Path(f"/proc/{self._require()}/root") / str(path).lstrip("/")

    def run(self, cmd: Sequence[str], check: bool = True, input: str | None = None,
            timeout: float = 120, env: Mapping[str, str] | None = None,
            cwd: str = "/") -> subprocess.CompletedProcess:
        """Run cmd inside the sandbox's namespaces (text mode, output captured).

        On timeout the whole process group (nsenter and what it forked inside)
        is SIGKILLed and SandboxError is raised.
        """
        pid = self._require()
        if isinstance(cmd, (str, bytes)):
            raise TypeError("cmd must be a list of arguments, not a string")
        full_env = dict(DEFAULT_ENV)
        if env:
            full_env.update(env)
        argv = ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", "-C",
                f"--wd={cwd}", "--", *map(str, cmd)]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=full_env, start_new_session=True)
        try:
            out, err = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
            raise SandboxError(f"command timed out after {timeout}s in sandbox {self.name!r}: "
                               f"{list(cmd)}\n--- stdout ---\n{out[-2000:]}\n--- stderr ---\n{err[-2000:]}")
        res = subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)
        if check and res.returncode != 0:
            raise SandboxCommandError(res.returncode, list(cmd), out, err)
        return res

    def sh(self, script: str, **kw) -> subprocess.CompletedProcess:
        """run(["sh", "-c", script], ...)"""
        return self.run(["sh", "-c", script], **kw)

    def systemctl(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return self.run(["systemctl", "--no-pager", "--no-ask-password", *args],
                        check=check, timeout=timeout)

    def journal(self, *args: str, timeout: float = 60) -> list[dict]:
        """journalctl -o json ARGS inside, one dict per entry."""
        res = self.run(["journalctl", "--no-pager", "-o", "json", *args], timeout=timeout,
                       check=False)
        if res.returncode != 0 and "No entries" not in res.stderr:
            raise SandboxCommandError(res.returncode, res.args, res.stdout, res.stderr)
        entries = []
        for line in res.stdout.splitlines():
            line = line.strip()
            if line:
                entries.append(json.loads(line))
        return entries

    def journal_text(self, *args: str, timeout: float = 60) -> str:
        """journalctl (short-precise) ARGS inside, as text; for failure messages."""
        return self.run(["journalctl", "--no-pager", "-o", "short-precise", *args],
                        timeout=timeout, check=False).stdout

    def wait_active(self, unit: str, timeout: float = 60) -> None:
        """Wait until unit is active; raise at once if it failed."""
        deadline = time.monotonic() + timeout
        state = ""
        while True:
            state = self.systemctl("is-active", unit, check=False, timeout=30).stdout.strip()
            if state == "active":
                return
            if state == "failed" or time.monotonic() > deadline:
                status = self.systemctl("status", "--lines=0", unit, check=False).stdout
                logs = self.journal_text("-u", unit, "-n", "60")
                why = "failed" if state == "failed" else f"not active after {timeout}s (state {state!r})"
                raise SandboxError(f"unit {unit} {why} in sandbox {self.name!r}\n{status}\n{logs}")
            time.sleep(0.2)

    def wait_for(self, predicate, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
        """Poll predicate() until it returns a truthy value (returned)."""
        deadline = time.monotonic() + timeout
        last_exc = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except Exception as exc:  # keep polling, report the last one
                last_exc = exc
            time.sleep(interval)
        raise SandboxError(f"timed out after {timeout}s waiting for {what}"
                           + (f" (last error: {last_exc!r})" if last_exc else ""))

    # -- packages ----------------------------------------------------------
    def install_deb(self, path: str | os.PathLike, timeout: float = 600,
                    allow_downgrade: bool = False,
                    extra_args: Iterable[str] = ()) -> subprocess.CompletedProcess:
        """apt-get install -y ./file.deb inside (installs or upgrades in place;
        the same version already installed is reinstalled, so a rebuilt
        package is really what gets tested).

        Works without network as long as the dependencies are installed on
        the host (the root filesystem, so the dpkg database, is shared).
        """
        extra_args = ["--reinstall", *(["--allow-downgrades"] if allow_downgrade else []),
                      *extra_args]
        src = Path(path).resolve()
        if not src.is_file():
            raise SandboxError(f"no such .deb: {src}")
        staged_dir = self.host_path("/tmp/nox-sandbox-debs")
        staged_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, staged_dir / src.name)
        os.chmod(staged_dir / src.name, 0o644)
        inside = f"/tmp/nox-sandbox-debs/{src.name}"
        try:
            return self.run(["apt-get", "install", "-y", *APT_OPTS, *extra_args, inside],
                            timeout=timeout)
        finally:
            (staged_dir / src.name).unlink(missing_ok=True)

    def package_status(self, pkg: str) -> str:
        """dpkg status of pkg: 'installed', 'config-files', ... or 'not-installed'."""
        res = self.run(["dpkg-query", "-W", "-f=${db:Status-Status}", pkg], check=False)
        return (res.stdout.strip() or "not-installed") if res.returncode == 0 else "not-installed"

    def is_installed(self, pkg: str) -> bool:
        """True if dpkg knows anything of pkg (installed, half-installed, config-files...)."""
        return self.package_status(pkg) != "not-installed"

    def purge(self, pkg: str = "nox", timeout: float = 300) -> subprocess.CompletedProcess | None:
        """apt-get purge -y pkg inside; nothing to do if it is not installed."""
        if not self.is_installed(pkg):
            return None
        return self.run(["apt-get", "purge", "-y", *APT_OPTS, pkg], timeout=timeout)
