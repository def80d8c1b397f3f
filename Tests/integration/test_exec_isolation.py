"""What a run cannot do: hostile code submitted to nox-exec, each test one attack.

Each test asserts that the run could not do it AND that afterwards nothing of the run is left
in the user's slice (``nox-user-NAME.slice``: no process, TasksCurrent 0) and, where the attack
aims at the service itself, that nox-exec still answers and runs code. Written from API.md
("Runs never see Nox's own configuration, state or keys: /etc/nox and /var/lib/nox (except the
caller's own sandbox) are inaccessible inside a run, as are /dev/shm and /tmp of the host")
and the issue's list of attacks."""

from __future__ import annotations

import json
import random
import uuid

from helpers_api import (
    security_exposure,  # noqa: F401  (make_user is a fixture)
    assert_error,
    make_user,
    unit_property,
)
from helpers_exec import (
    MIB,
    assert_slice_empty,
    delete,
    exec_is_healthy,
    main_pid,
    run,
    run_unit,
    slice_processes,
    submit,
    vm_kb,
    wait_final,
    wait_status,
)
from helpers_files import get_file, list_paths, put_ok, sandbox_dir


def _json_out(result: dict) -> dict:
    assert result["stdout"].strip(), f"expected the probe's JSON on stdout: {result}"
    return json.loads(result["stdout"].strip().splitlines()[-1])


# =========================================================================== Nox's own files


def test_a_run_cannot_read_shadow_or_see_nox_state(nox, make_user):
    user = make_user()
    code = r"""
import json, os
def probe(fn, *a):
    try:
        r = fn(*a)
        return r if isinstance(r, (list, str)) else "ok"
    except OSError as e:
        return f"denied:{e.errno}"
out = {
    "shadow": probe(lambda: open("/etc/shadow").read()),
    "gshadow": probe(lambda: open("/etc/gshadow").read()),
    "etc_nox": probe(os.listdir, "/etc/nox"),
    "nox_toml": probe(lambda: open("/etc/nox/nox.toml").read()),
    "admin_password": probe(lambda: open("/etc/nox/initial-admin-password").read()),
    "var_lib_nox": probe(lambda: sorted(os.listdir("/var/lib/nox"))),
    "users": probe(os.listdir, "/var/lib/nox/users"),
    "auth_db": probe(lambda: open("/var/lib/nox/auth/auth.sqlite", "rb").read(10)),
    "exec_db": probe(lambda: open("/var/lib/nox/exec/jobs.sqlite", "rb").read(10)),
    "run_nox": probe(os.listdir, "/run/nox"),
    "uid": os.getuid(),
}
print(json.dumps(out))
"""
    result = run(nox, user, "python", code)
    assert result["status"] == "succeeded", result
    out = _json_out(result)
    for key in ("shadow", "gshadow", "etc_nox", "nox_toml", "admin_password", "users", "auth_db", "exec_db", "run_nox"):
        assert isinstance(out[key], str) and out[key].startswith("denied"), f"expected {key} inaccessible in a run: {out}"
    assert out["var_lib_nox"] == ["code", "sandbox"], f"expected only code and sandbox in /var/lib/nox: {out}"
    assert out["uid"] != 0, out
    assert_slice_empty(nox, user.username)


def test_a_run_cannot_reach_another_users_sandbox(nox, make_user):
    victim, attacker = make_user(), make_user()
    put_ok(nox, victim, "secret.txt", b"victim's secret\n")
    host_path = sandbox_dir(victim.username) + "/secret.txt"
    assert nox.run(["test", "-f", host_path], check=False).returncode == 0, f"precondition: {host_path} exists"
    code = f"""
import json, os
paths = [{host_path!r}, "/var/lib/nox/users/{victim.username}", "/var/lib/nox/users",
         "/proc/1/root{host_path}", "/proc/self/root{host_path}"]
out = {{}}
for p in paths:
    try:
        out[p] = os.listdir(p) if os.path.isdir(p) else open(p).read()
    except OSError as e:
        out[p] = f"denied:{{e.errno}}"
out["own"] = sorted(os.listdir("."))
print(json.dumps(out))
"""
    result = run(nox, attacker, "python", code)
    assert result["status"] == "succeeded", result
    out = _json_out(result)
    assert "victim's secret" not in result["stdout"], f"a run read another user's file: {out}"
    for path, value in out.items():
        if path != "own":
            assert isinstance(value, str) and value.startswith("denied"), f"expected {path} not there in a run: {out}"
    assert "secret.txt" not in out["own"], f"expected the attacker's own sandbox, not the victim's: {out}"
    assert_slice_empty(nox, attacker.username)


def test_planted_symlinks_are_never_followed_by_the_files_api(nox, make_user):
    user = make_user()
    result = run(nox, user, "sh", "ln -s /etc/shadow shadow; ln -s /var/lib/nox/users users; ln -s / root; "
                                  "mkdir d; ln -s /etc/passwd d/pw; ls")
    assert result["status"] == "succeeded", result
    for path in ("shadow", "users/x", "root/etc/shadow", "d/pw"):
        resp = get_file(nox, user, path)
        assert_error(resp, 400, "invalid_path")
        assert "root:" not in resp.text, f"{path}: the files API followed a planted link"
    listed = list_paths(nox, user)
    assert not {"shadow", "users", "root", "d/pw"} & set(listed), f"expected links left out of listings: {sorted(listed)}"
    assert_slice_empty(nox, user.username)


def test_host_tmp_and_dev_shm_are_not_visible_and_tmp_is_private_per_run(nox, make_user):
    user = make_user()
    marker = f"nox-host-marker-{uuid.uuid4().hex}"
    nox.run(["sh", "-c", f"echo host-secret > /tmp/{marker} && echo host-secret > /dev/shm/{marker}"])
    try:
        code = f"""
import json, os
out = {{}}
for p in ["/tmp/{marker}", "/dev/shm/{marker}"]:
    try:
        out[p] = open(p).read()
    except OSError as e:
        out[p] = f"denied:{{e.errno}}"
for d in ["/tmp", "/dev/shm"]:
    try:
        out[d] = os.listdir(d)
    except OSError as e:
        out[d] = f"denied:{{e.errno}}"
open("/tmp/left-by-first-run", "w").write("x")
print(json.dumps(out))
"""
        result = run(nox, user, "python", code)
        assert result["status"] == "succeeded", result
        out = _json_out(result)
        assert "host-secret" not in result["stdout"], f"a run saw the host's /tmp or /dev/shm: {out}"
        assert marker not in json.dumps(out["/tmp"]) and marker not in json.dumps(out["/dev/shm"]), out
        second = run(nox, user, "sh", "test -e /tmp/left-by-first-run && echo present || echo gone")
        assert second["stdout"] == "gone\n", f"expected a private /tmp per run: {second}"
    finally:
        nox.run(["rm", "-f", f"/tmp/{marker}", f"/dev/shm/{marker}"], check=False)
    assert_slice_empty(nox, user.username)


# =========================================================================== other runs


def test_proc_shows_only_the_runs_own_processes_and_others_cannot_be_signalled(nox, make_user):
    victim, attacker = make_user(), make_user()
    victim_job = submit(nox, victim, "sh", "sleep 28; echo survived", timeout_s=30)
    wait_status(nox, victim, victim_job, "running", timeout=15)
    victims = nox.wait_for(lambda: [int(line.split()[0]) for line in slice_processes(nox, victim.username)],
                           timeout=10, what="the victim's processes")
    daemons = [int(unit_property(nox, unit, "MainPID") or 0) for unit in ("nox-exec.service", "nox-auth.service")]
    targets = victims + [p for p in daemons if p] + [1]
    code = f"""
import ctypes, json, os, signal
libc = ctypes.CDLL(None, use_errno=True)
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
cmdlines = {{}}
for p in pids:
    try:
        cmdlines[p] = open(f"/proc/{{p}}/cmdline", "rb").read().replace(b"\\0", b" ").decode().strip()
    except OSError as e:
        cmdlines[p] = f"denied:{{e.errno}}"
out = {{"self": os.getpid(), "pids": pids, "cmdlines": cmdlines, "kill": {{}}, "ptrace": {{}}, "environ": {{}}}}
for t in {targets!r}:
    try:
        os.kill(t, signal.SIGKILL)
        out["kill"][t] = "killed"
    except OSError as e:
        out["kill"][t] = e.errno
    r = libc.ptrace(16, t, None, None)  # PTRACE_ATTACH
    out["ptrace"][t] = "attached" if r == 0 else ctypes.get_errno()
    try:
        out["environ"][t] = open(f"/proc/{{t}}/environ", "rb").read().decode(errors="replace")
    except OSError as e:
        out["environ"][t] = f"denied:{{e.errno}}"
print(json.dumps(out))
"""
    result = run(nox, attacker, "python", code)
    assert result["status"] == "succeeded", result
    out = _json_out(result)
    cmdlines = " | ".join(out["cmdlines"].values())
    assert len(out["pids"]) <= 3 and out["self"] in out["pids"], f"expected only the run's own processes in /proc: {out}"
    for word in ("sleep", "nox-exec", "nox-auth", "nox-files", "systemd", "nginx"):
        assert word not in cmdlines, f"a run sees {word!r} in /proc: {cmdlines}"
    for t in map(str, targets):
        assert out["kill"][t] != "killed", f"a run killed process {t}: {out}"
        assert out["ptrace"][t] != "attached", f"a run attached to process {t}: {out}"
        assert out["environ"][t].startswith("denied"), f"a run read /proc/{t}/environ: {out}"
    # The victim's run is unharmed.
    assert all(nox.run(["kill", "-0", str(p)], check=False).returncode == 0 for p in victims), "the victim's run was hurt"
    assert_slice_empty(nox, attacker.username)
    resp = delete(nox, victim, f"/api/jobs/{victim_job}")
    assert resp.status_code == 202, resp.text
    assert wait_final(nox, victim, victim_job, timeout=10)["status"] == "cancelled"
    assert_slice_empty(nox, victim.username)


# =========================================================================== network


def test_network_is_off_in_a_run(nox, make_user):
    user = make_user()
    code = r"""
import json, socket
out = {}
for host, port in (("127.0.0.1", 443), ("1.1.1.1", 53), ("::1", 443)):
    try:
        s = socket.create_connection((host, port), timeout=3)
        out[f"{host}:{port}"] = "connected"
        s.close()
    except OSError as e:
        out[f"{host}:{port}"] = f"failed:{e.errno}"
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("1.1.1.1", 53))
    out["udp"] = "sent"
except OSError as e:
    out["udp"] = f"failed:{e.errno}"
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
    out["netlink"] = "opened"
except OSError as e:
    out["netlink"] = f"failed:{e.errno}"
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect("/run/nox/http/exec.sock")
    out["exec_socket"] = "connected"
except OSError as e:
    out["exec_socket"] = f"failed:{e.errno}"
print(json.dumps(out))
"""
    result = run(nox, user, "python", code, timeout_s=20)
    assert result["status"] == "succeeded", result
    out = _json_out(result)
    for key, value in out.items():
        assert value.startswith("failed"), f"expected {key} to fail in a run without network: {out}"
    assert_slice_empty(nox, user.username)


# =========================================================================== resources


def test_python_fork_bomb_ends_and_leaves_nothing(nox, make_user):
    user = make_user()
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run(nox, user, "python", code, timeout_s=4, timeout=60)
    assert result["status"] in ("timeout", "killed", "oom"), result
    assert_slice_empty(nox, user.username, timeout=15)
    exec_is_healthy(nox, user)
    assert_slice_empty(nox, user.username)


def test_bash_fork_bomb_ends_and_leaves_nothing(nox, make_user):
    user = make_user()
    result = run(nox, user, "bash", ":(){ :|:& };:\nwait\n", timeout_s=4, timeout=60)
    assert result["status"] in ("succeeded", "failed", "timeout", "killed", "oom"), result
    assert_slice_empty(nox, user.username, timeout=15)
    exec_is_healthy(nox, user)


def test_allocating_2_gb_is_oom(nox, make_user):
    user = make_user()
    code = "a = bytearray(2 * 1024 ** 3)\nfor i in range(0, len(a), 4096): a[i] = 1\nprint('allocated')"
    result = run(nox, user, "python", code)
    assert result["status"] == "oom", result
    assert "allocated" not in result["stdout"], result
    assert_slice_empty(nox, user.username)
    exec_is_healthy(nox, user)


def test_filling_the_disk_is_stopped_by_the_file_size_limit(nox, make_user):
    user = make_user()
    code = (
        "import os\n"
        "chunk = b'\\0' * (1024 * 1024)\n"
        "with open('big.bin', 'wb') as f:\n"
        "    for i in range(2048):\n"
        "        f.write(chunk)\n"
        "print('wrote 2 GB')\n"
    )
    try:
        result = run(nox, user, "python", code, timeout_s=30)
        assert result["status"] in ("failed", "killed"), result
        assert "wrote 2 GB" not in result["stdout"], result
        if result["status"] == "killed":
            assert result["signal"] == "SIGXFSZ", result
        else:
            assert "File too large" in result["stderr"] or "EFBIG" in result["stderr"], result
        size = int(nox.run(["stat", "-c", "%s", sandbox_dir(user.username) + "/big.bin"]).stdout)
        assert size <= 256 * MIB, f"expected LimitFSIZE to stop the file at 256 MiB, it has {size} bytes"
        shell = run(nox, user, "sh", "exec dd if=/dev/zero of=big2.bin bs=1M count=2048 2>/dev/null", timeout_s=30)
        assert shell["status"] == "killed" and shell["signal"] == "SIGXFSZ" and shell["exit_code"] is None, shell
    finally:
        nox.run(["rm", "-f", sandbox_dir(user.username) + "/big.bin", sandbox_dir(user.username) + "/big2.bin"], check=False)
    assert_slice_empty(nox, user.username)


def test_printing_100_mb_is_truncated_and_nox_exec_stays_small(nox, make_user):
    user = make_user()
    code = "import sys\nb = b'z' * (1024 * 1024)\nfor _ in range(100):\n    sys.stdout.buffer.write(b)\nprint('end', file=sys.stderr)\n"
    result = run(nox, user, "python", code, timeout_s=30)
    assert result["status"] == "succeeded", {**result, "stdout": result["stdout"][:80]}
    assert result["stdout_truncated"] is True and len(result["stdout"].encode()) <= MIB, len(result["stdout"])
    assert result["stderr"] == "end\n", result["stderr"]
    rss = vm_kb(nox, main_pid(nox), "VmRSS")
    print(f"nox-exec VmRSS after a 100 MB print: {rss / 1024:.0f} MiB")
    assert rss < 200 * 1024, f"expected nox-exec to stay small after a 100 MB print, VmRSS {rss} kB"
    assert_slice_empty(nox, user.username)
    exec_is_healthy(nox, user)


def test_daemonized_processes_die_with_the_run(nox, make_user):
    user = make_user()
    seconds = random.randint(60000, 69999)
    code = (
        f"setsid sleep {seconds} >/dev/null 2>&1 &\n"
        f"(sleep {seconds + 1} >/dev/null 2>&1 &)\n"
        f"nohup sleep {seconds + 2} >/dev/null 2>&1 &\n"
        f"python3 -c 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execvp(\"sleep\", [\"sleep\", \"{seconds + 3}\"])\n' &\n"
        "sleep 0.5\n"
        "echo spawned\n"
    )
    result = run(nox, user, "sh", code)
    assert result["status"] == "succeeded" and result["stdout"] == "spawned\n", result
    pattern = f"sleep {seconds}|sleep {seconds + 1}|sleep {seconds + 2}|sleep {seconds + 3}"
    left = nox.run(["pgrep", "-af", pattern], check=False).stdout.strip()
    assert not left, f"expected no process of the run to outlive it: {left}"
    assert_slice_empty(nox, user.username)


def test_setuid_binaries_cannot_elevate(nox, make_user):
    user = make_user()
    code = (
        "id -u\n"
        "grep -E '^(NoNewPrivs|CapEff|CapBnd)' /proc/self/status\n"
        "su -c id root </dev/null >su.out 2>&1; echo \"su=$?\"; cat su.out\n"
        "/usr/bin/passwd --help >/dev/null 2>&1; echo \"passwd=$?\"\n"
        "cp /bin/sh mysh && chmod u+s mysh 2>/dev/null; echo \"chmod=$?\"\n"
        "ls -l mysh\n"
    )
    result = run(nox, user, "sh", code)
    out = result["stdout"]
    lines = out.splitlines()
    assert lines[0].isdigit() and lines[0] != "0", f"expected a run not to be root: {result}"
    assert "NoNewPrivs:\t1" in out, f"expected NoNewPrivs in a run: {result}"
    assert "CapEff:\t0000000000000000" in out and "CapBnd:\t0000000000000000" in out, f"expected no capabilities: {result}"
    assert "su=0" not in out and "uid=0" not in out, f"su elevated inside a run: {result}"
    assert "chmod=0" not in out, f"expected setuid bits refused (RestrictSUIDSGID): {result}"
    assert_slice_empty(nox, user.username)


# =========================================================================== the unit's sandbox


def test_a_running_units_exposure_is_at_most_1(nox, make_user):
    user = make_user()
    job_id = submit(nox, user, "sh", "sleep 28", timeout_s=30)
    wait_status(nox, user, job_id, "running", timeout=15)
    unit = run_unit(job_id)
    nox.wait_for(lambda: unit_property(nox, unit, "ActiveState") == "active", timeout=10, what=f"{unit} active")
    try:
        score, text = security_exposure(nox, unit)
        print(f"systemd-analyze security {unit}: {score}")
        assert score <= 1.0, f"expected a run's exposure <= 1.0, got {score}:\n{text[-4000:]}"
        assert unit_property(nox, unit, "Slice") == f"nox-user-{user.username}.slice"
        assert unit_property(nox, unit, "DynamicUser") == "yes"
        assert unit_property(nox, unit, "PrivateNetwork") == "yes"
    finally:
        delete(nox, user, f"/api/jobs/{job_id}")
    assert wait_final(nox, user, job_id, timeout=10)["status"] == "cancelled"
    assert_slice_empty(nox, user.username)
