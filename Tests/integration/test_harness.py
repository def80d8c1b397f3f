"""Tests of the integration harness itself (scripts/nox-sandbox + harness.py).

None of these needs Nox's .deb: they boot private systemds, run transient
units, install and purge a throwaway package built here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from harness import CLI, STATE_ROOT, Sandbox, SandboxCommandError, SandboxError, _proc_start

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the harness needs root")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def host_mount_options(target: str) -> str:
    """Superblock options of the host mount at target ('' if not mounted)."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, right = line.split(" - ")
        if left.split()[4] == target:
            return right.split()[2]
    return ""


@pytest.fixture
def fresh():
    """A throwaway sandbox with its own network namespace, always stopped."""
    boxes = []

    def make(**kw):
        kw.setdefault("share_net", False)
        box = Sandbox(unique("selftest"), **kw)
        boxes.append(box)
        return box.boot()

    yield make
    for box in boxes:
        box.stop()


# ------------------------------------------------------------------ boot
def test_boot_reaches_basic_target(sandbox):
    state = sandbox.systemctl("is-system-running", check=False).stdout.strip()
    assert state in ("running", "degraded"), sandbox.systemctl("--failed", check=False).stdout
    assert sandbox.systemctl("is-active", "basic.target").stdout.strip() == "active"
    # we booted basic.target, not the default target: multi-user services stay off
    assert sandbox.systemctl("is-active", "multi-user.target", check=False).stdout.strip() == "inactive"
    # PID 1 inside is systemd, and the sandbox sees only its own processes
    assert sandbox.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"
    pids = [p for p in os.listdir(sandbox.host_path("/proc")) if p.isdigit()]
    assert len(pids) < 50, pids
    assert sandbox.run(["systemd-detect-virt", "--container"], check=False).stdout.strip() == "container-other"


def test_systemd_sees_its_own_cgroup_root(sandbox):
    # cgroup namespace: systemd's root is "/"; init.scope sits right below it
    cg = sandbox.run(["cat", "/proc/1/cgroup"]).stdout
    assert "name=systemd:/init.scope" in cg, cg
    assert "memory:/init.scope" in cg, cg
    # ... which on the host is our subtree /nox-sandbox/NAME in every hierarchy
    host_cg = Path(f"/proc/{sandbox.pid}/cgroup").read_text()
    lines = {l.split(":")[1]: l.split(":", 2)[2] for l in host_cg.splitlines()}
    ours = f"/nox-sandbox/{sandbox.name}"
    for ctl in ("memory", "pids", "devices", "name=systemd", ""):  # "" = unified
        assert lines[ctl] == f"{ours}/init.scope", host_cg
    for ctl in ("cpu", "cpuacct", "cpuset", "blkio", "freezer"):  # no accounting on init.scope
        assert lines[ctl].startswith(ours), host_cg


def test_exec_exit_codes_and_stdin(sandbox):
    assert sandbox.run(["sh", "-c", "exit 3"], check=False).returncode == 3
    with pytest.raises(SandboxCommandError) as info:
        sandbox.run(["sh", "-c", "echo oops >&2; exit 4"])
    assert info.value.returncode == 4 and "oops" in str(info.value)
    assert sandbox.run(["cat"], input="hello\n").stdout == "hello\n"
    # the CLI propagates exit codes too
    res = subprocess.run([str(CLI), "exec", sandbox.name, "--", "sh", "-c", "exit 7"])
    assert res.returncode == 7


def test_run_timeout_kills_what_it_started(sandbox):
    marker = unique("sleep")
    with pytest.raises(SandboxError, match="timed out"):
        sandbox.run(["bash", "-c", f"exec -a {marker} sleep 60"], timeout=1)
    time.sleep(0.3)
    assert marker not in sandbox.run(["ps", "-eo", "args"]).stdout


def test_host_tmp_untouched(fresh):
    with tempfile.NamedTemporaryFile(dir="/tmp", prefix="nox-canary-", delete=False) as f:
        f.write(b"canary")
    canary = Path(f.name)
    try:
        cgroup_opts = host_mount_options("/sys/fs/cgroup")
        box = fresh()
        # boot is complete (tmpfiles-setup ran): the host's /tmp is intact...
        assert canary.read_bytes() == b"canary"
        # ... the sandbox has its own /tmp, /var/tmp and /run
        assert box.run(["test", "-e", str(canary)], check=False).returncode == 1
        box.run(["touch", "/tmp/inside-only", "/var/tmp/inside-only"])
        assert not Path("/tmp/inside-only").exists() and not Path("/var/tmp/inside-only").exists()
        assert box.run(["findmnt", "-no", "FSTYPE", "/tmp"]).stdout.strip() == "tmpfs"
        assert box.run(["findmnt", "-no", "FSTYPE", "/run"]).stdout.strip() == "tmpfs"
        assert box.run(["cat", "/run/tmpfiles.d/tmp.conf"]).stdout == ""
        # systemd remounts its /sys/fs/cgroup read-only: must not be the host's
        assert host_mount_options("/sys/fs/cgroup") == cgroup_opts
        assert host_mount_options("/sys").startswith("rw")
    finally:
        canary.unlink(missing_ok=True)


def test_journal_is_volatile_and_queryable(sandbox):
    unit = unique("journaltest")
    marker = unique("hello-journal")
    sandbox.run(["systemd-run", "--quiet", "--wait", "--collect", f"--unit={unit}",
                 "/bin/echo", marker])
    entries = sandbox.wait_for(
        lambda: [e for e in sandbox.journal("-u", unit) if e.get("MESSAGE") == marker],
        timeout=10, what="the marker in the journal")
    assert entries[0]["_SYSTEMD_UNIT"] == f"{unit}.service"
    header = sandbox.run(["journalctl", "--header"]).stdout
    assert "/run/log/journal/" in header and "/var/log/journal/" not in header
    conf = sandbox.run(["systemd-analyze", "cat-config", "systemd/journald.conf"]).stdout
    assert "Storage=volatile" in conf


ALLOC = "b = bytearray({mb} * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint('allocated', flush=True)"


def test_memory_max_kills_allocation_over_limit(sandbox):
    unit = unique("memhog")
    res = sandbox.run(["systemd-run", "--quiet", "--wait", "--pipe", f"--unit={unit}",
                       "-p", "MemoryMax=64M", "/usr/bin/python3", "-c", ALLOC.format(mb=200)],
                      check=False, timeout=60)
    assert res.returncode != 0, res
    assert "allocated" not in res.stdout
    show = sandbox.systemctl("show", unit, "-p", "Result", "-p", "ExecMainStatus").stdout
    assert "Result=oom-kill" in show or ("Result=signal" in show and "ExecMainStatus=9" in show), show
    sandbox.systemctl("reset-failed", unit, check=False)
    # the kernel's OOM report names our cgroup (via /dev/kmsg in the journal)
    oom = sandbox.wait_for(lambda: [e for e in sandbox.journal("-k", "--grep", "oom_memcg")
                                    if f"{unit}.service" in e.get("MESSAGE", "")],
                           timeout=10, what="the kernel OOM report")
    assert f"/nox-sandbox/{sandbox.name}/system.slice/{unit}.service" in oom[-1]["MESSAGE"]
    # control: the same allocation under a larger limit succeeds
    ok = sandbox.run(["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                      "-p", "MemoryMax=400M", "/usr/bin/python3", "-c", ALLOC.format(mb=200)],
                     timeout=60)
    assert "allocated" in ok.stdout


def test_memory_max_lands_in_our_host_subtree(sandbox):
    unit = unique("memlimit")
    sandbox.run(["systemd-run", "--quiet", f"--unit={unit}", "-p", "MemoryMax=64M", "sleep", "60"])
    try:
        limit = Path(f"/sys/fs/cgroup/memory/nox-sandbox/{sandbox.name}/system.slice/"
                     f"{unit}.service/memory.limit_in_bytes")
        assert sandbox.wait_for(limit.exists, timeout=10, what=str(limit))
        assert int(limit.read_text()) == 64 * 1024 * 1024
    finally:
        sandbox.systemctl("stop", unit, check=False)


BUSY = "import time\nt = time.time()\nwhile time.time() - t < 2: pass\nprint(round(time.process_time(), 2))"


def test_cpu_quota_throttles(sandbox):
    res = sandbox.run(["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                       "-p", "CPUQuota=20%", "/usr/bin/python3", "-c", BUSY], timeout=60)
    assert float(res.stdout) < 0.8, res.stdout  # ~0.4 s of CPU in 2 s of wall time
    res = sandbox.run(["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                       "/usr/bin/python3", "-c", BUSY], timeout=60)
    assert float(res.stdout) > 1.2, res.stdout  # control: unthrottled


FORKS = textwrap.dedent("""
    import os, signal, time
    kids, err = [], None
    for _ in range(200):          # bounded: a bomb that stops by itself
        try:
            pid = os.fork()
        except OSError as e:
            err = e.errno
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        kids.append(pid)
    print(len(kids), err, flush=True)
    for k in kids:
        os.kill(k, signal.SIGKILL)
    for k in kids:
        os.waitpid(k, 0)
""")


def test_tasks_max_stops_fork_bomb(sandbox):
    res = sandbox.run(["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                       "-p", "TasksMax=20", "/usr/bin/python3", "-c", FORKS], timeout=60)
    forked, err = res.stdout.split()
    assert int(forked) < 20 and err == "11", res.stdout  # EAGAIN from the pids controller
    # control: without that limit the same loop gets all 200
    res = sandbox.run(["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                       "-p", "TasksMax=1000", "/usr/bin/python3", "-c", FORKS], timeout=60)
    assert res.stdout.split() == ["200", "None"], res.stdout


def test_systemd_sandboxing_works_inside(sandbox):
    """The hardening Nox's units use (namespaces, DynamicUser, credentials...)."""
    cred = sandbox.host_path("/run/selftest-cred")
    cred.write_text("s3cret")
    res = sandbox.run([
        "systemd-run", "--quiet", "--wait", "--pipe", "--collect",
        "-p", "DynamicUser=yes", "-p", "ProtectSystem=strict", "-p", "ProtectHome=yes",
        "-p", "PrivateTmp=yes", "-p", "PrivateDevices=yes", "-p", "PrivateNetwork=yes",
        "-p", "NoNewPrivileges=yes", "-p", "CapabilityBoundingSet=",
        "-p", "ProtectKernelTunables=yes", "-p", "ProtectControlGroups=yes",
        "-p", "RestrictAddressFamilies=AF_UNIX", "-p", "SystemCallFilter=@system-service",
        "-p", "StateDirectory=selftest", "-p", "LoadCredential=c:/run/selftest-cred",
        "sh", "-c",
        'id -u; cat "$CREDENTIALS_DIRECTORY/c"; echo; touch /etc/x 2>/dev/null || echo ro-etc; '
        'ls /dev | wc -l; ip -o link 2>/dev/null | wc -l; touch /var/lib/selftest/ok && echo state-ok'],
        timeout=60)
    uid, secret, ro, ndev, nlinks, state = res.stdout.split()
    assert 61184 <= int(uid) <= 65519  # DynamicUser range
    assert secret == "s3cret" and ro == "ro-etc" and state == "state-ok"
    assert int(ndev) < 30 and int(nlinks) <= 1


def test_nginx_workers_run_as_www_data_and_are_reachable(sandbox):
    import requests

    sandbox.systemctl("start", "nginx")
    try:
        sandbox.wait_active("nginx", timeout=30)
        users = sandbox.run(["ps", "-o", "user=,args=", "-C", "nginx"]).stdout.splitlines()
        workers = [u for u in users if "worker process" in u]
        assert workers and all(w.split()[0] == "www-data" for w in workers), users
        # this process shares the sandbox's network namespace (see conftest):
        # whatever nginx listens on (the host's sites decide) is reachable
        listening = sandbox.run(["ss", "-ltnH", "sport", "= :80"]).stdout
        if "127.0.0.1:80" in listening or "0.0.0.0:80" in listening or "*:80" in listening:
            resp = requests.get("http://127.0.0.1/", timeout=5, allow_redirects=False)
            assert resp.status_code < 500
    finally:
        sandbox.systemctl("stop", "nginx", check=False)


def test_maintainer_scripts_may_start_services(sandbox):
    """A host policy-rc.d (Docker-style "exit 101") does not apply inside."""
    if not os.path.exists("/usr/sbin/policy-rc.d"):
        pytest.skip("no /usr/sbin/policy-rc.d on this machine")
    assert sandbox.run(["/usr/sbin/policy-rc.d", "nginx", "start"], check=False).returncode == 0
    sandbox.run(["deb-systemd-invoke", "start", "nginx.service"])
    try:
        sandbox.wait_active("nginx", timeout=30)
    finally:
        sandbox.systemctl("stop", "nginx", check=False)


# ------------------------------------------------------------- packages
SELFTEST_PKG = "nox-harness-selftest"


def build_selftest_deb(workdir: Path, version: str = "1.0") -> Path:
    root = workdir / f"pkg-{version}"
    workdir.mkdir(parents=True, exist_ok=True)
    (root / "DEBIAN").mkdir(parents=True)
    (root / "lib/systemd/system").mkdir(parents=True)
    (root / "usr/share/nox-harness-selftest").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(textwrap.dedent(f"""\
        Package: {SELFTEST_PKG}
        Version: {version}
        Architecture: all
        Maintainer: Nox Developers <nox-devel@lists.nox.invalid>
        Depends: systemd, python3
        Description: throwaway package for the Nox harness self-test
        """))
    (root / "DEBIAN/postinst").write_text(textwrap.dedent(f"""\
        #!/bin/sh
        set -e
        if [ -d /run/systemd/system ]; then
            systemctl daemon-reload
            systemctl restart {SELFTEST_PKG}.service
        fi
        """))
    (root / "DEBIAN/prerm").write_text(textwrap.dedent(f"""\
        #!/bin/sh
        set -e
        if [ -d /run/systemd/system ]; then systemctl stop {SELFTEST_PKG}.service || true; fi
        """))
    (root / "DEBIAN/postrm").write_text(textwrap.dedent("""\
        #!/bin/sh
        set -e
        if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
        """))
    for script in ("postinst", "prerm", "postrm"):
        (root / "DEBIAN" / script).chmod(0o755)
    (root / "usr/share/nox-harness-selftest/index.html").write_text(f"selftest {version}\n")
    (root / f"lib/systemd/system/{SELFTEST_PKG}.service").write_text(textwrap.dedent("""\
        [Service]
        DynamicUser=yes
        ExecStart=/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory /usr/share/nox-harness-selftest 18080
        """))
    deb = workdir / f"{SELFTEST_PKG}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)],
                   check=True, capture_output=True)
    return deb


def test_install_upgrade_and_purge_deb(sandbox, tmp_path):
    import requests

    if sandbox.is_installed(SELFTEST_PKG):  # left over by a killed run
        sandbox.purge(SELFTEST_PKG)
    try:
        sandbox.install_deb(build_selftest_deb(tmp_path, "1.0"))
        sandbox.wait_active(f"{SELFTEST_PKG}.service", timeout=30)
        got = sandbox.wait_for(lambda: requests.get("http://127.0.0.1:18080/", timeout=2).text,
                               timeout=20, what="the selftest service")
        assert got == "selftest 1.0\n"
        # upgrade in place
        sandbox.install_deb(build_selftest_deb(tmp_path, "2.0"))
        got = sandbox.wait_for(
            lambda: (t := requests.get("http://127.0.0.1:18080/", timeout=2).text) == "selftest 2.0\n" and t,
            timeout=20, what="the upgraded selftest service")
        assert sandbox.package_status(SELFTEST_PKG) == "installed"
        # the same version again is reinstalled (a rebuilt package is what gets tested)
        res = sandbox.install_deb(build_selftest_deb(tmp_path / "again", "2.0"))
        assert "Unpacking" in res.stdout, res.stdout
    finally:
        sandbox.purge(SELFTEST_PKG)
    assert not sandbox.is_installed(SELFTEST_PKG)
    assert not Path(f"/lib/systemd/system/{SELFTEST_PKG}.service").exists()
    load = sandbox.systemctl("show", "-p", "LoadState", f"{SELFTEST_PKG}.service").stdout.strip()
    assert load == "LoadState=not-found"
    assert sandbox.purge(SELFTEST_PKG) is None  # idempotent


# ----------------------------------------------------------------- stop
def test_stop_cleans_up_everything(fresh):
    box = fresh()
    pid = box.pid
    cgroups = [line.split()[1] for line in (box.state_dir / "cgroups").read_text().splitlines()]
    assert len(cgroups) >= 9 and all(Path(c).is_dir() for c in cgroups)
    box.run(["systemd-run", "--quiet", "sleep", "300"])  # something running in a sub-cgroup
    t0 = time.monotonic()
    box.stop()
    assert time.monotonic() - t0 < 15
    assert _proc_start(pid) is None
    assert not box.state_dir.exists()
    assert not any(Path(c).exists() for c in cgroups)
    box.stop()  # idempotent
    assert subprocess.run([str(CLI), "stop", box.name], capture_output=True).returncode == 0


def test_stop_after_half_failed_boot(tmp_path):
    name = unique("halfboot")
    state = STATE_ROOT / name
    cg = Path(f"/sys/fs/cgroup/pids/nox-sandbox/{name}")
    cg.mkdir(parents=True)
    (cg / "leftover-child").mkdir()
    state.mkdir(parents=True)
    (state / "cgroups").write_text(f"/sys/fs/cgroup/pids {cg}\n")
    (state / "pid").write_text("999999999\n")  # no such process: nothing is killed
    res = subprocess.run([str(CLI), "stop", name], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert not cg.exists() and not state.exists()
    # leftover cgroups without any state dir are found too
    cg.mkdir(parents=True)
    res = subprocess.run([str(CLI), "stop", name], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert not cg.exists()


def test_boot_refuses_running_name_and_reports_errors(fresh):
    box = fresh()
    res = subprocess.run([str(CLI), "boot", "--name", box.name], capture_output=True, text=True)
    assert res.returncode != 0 and "already running" in res.stderr
    res = subprocess.run([str(CLI), "boot", "--name", "../evil"], capture_output=True, text=True)
    assert res.returncode != 0 and "invalid sandbox name" in res.stderr
    res = subprocess.run([str(CLI), "exec", unique("nosuch"), "--", "true"], capture_output=True, text=True)
    assert res.returncode != 0 and "not running" in res.stderr


CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {here!r})
    from harness import Sandbox
    box = Sandbox({name!r}, share_net=False).boot()
    print(box.pid, flush=True)
    time.sleep(120)
""")


def _spawn_owner(name: str) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(here=str(HERE), name=name)],
                             stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    assert line.strip().isdigit(), f"child did not boot a sandbox: {line!r}"
    return child, int(line)


def test_sigterm_to_owner_stops_its_sandbox():
    name = unique("sigterm")
    child, pid = _spawn_owner(name)
    try:
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == -signal.SIGTERM
        assert _proc_start(pid) is None
        assert not (STATE_ROOT / name).exists()
    finally:
        child.kill()
        subprocess.run([str(CLI), "stop", name], capture_output=True)


def test_sandbox_of_killed_owner_is_reclaimed():
    name = unique("orphan")
    child, pid = _spawn_owner(name)
    try:
        # a live owner keeps its sandbox
        with pytest.raises(SandboxError, match="in use by live process"):
            Sandbox(name, share_net=False).boot()
        child.kill()  # SIGKILL: no cleanup can run
        child.wait(timeout=30)
        assert _proc_start(pid) is not None  # the orphan is still up
        with Sandbox(name, share_net=False) as box:  # ... and is replaced
            assert box.pid != pid
            assert _proc_start(pid) is None
        assert not (STATE_ROOT / name).exists()
    finally:
        child.kill()
        subprocess.run([str(CLI), "stop", name], capture_output=True)
