"""Black-box tests of the limits nox-exec holds a run to beyond the unit's own (issue 4): a
compile step's own time limit (`compile_timeout_s` of a language manifest), the run's CPU time
measured, the user's `disk_mb` quota while a run writes files, and runs ended when nox-exec is
stopped. Through nginx like the rest of the suite; the run's unit and slice as systemd sees them.
"""

from __future__ import annotations

import time

from helpers_api import make_user  # noqa: F401  (fixture)
from helpers_exec import (
    MIB,
    SERVICE,
    assert_slice_empty,
    exec_is_healthy,
    loaded_run_units,
    run,
    run_unit,
    submit,
    wait_final,
    wait_status,
)
from helpers_files import sandbox_dir

# A language whose "compiler" only waits: `compile_timeout_s` and the request's `timeout_s` can be
# told apart by how long each step may take. {binary} is a copy of /bin/echo, so the run prints.
SLOW_BUILD = """
name = "slowbuild"
file_extension = "sb"
compile = ["/bin/sh", "-c", "sleep \\"$(cat {source})\\"; cp /bin/echo {binary}"]
run = ["{binary}", "built"]
compile_timeout_s = %d
"""
MANIFEST = "/etc/nox/languages.d/slowbuild.toml"


def _with_language(nox, text: str) -> None:
    nox.run(["mkdir", "-p", "/etc/nox/languages.d"])
    nox.run(["sh", "-c", f"cat > {MANIFEST}"], input=text)
    nox.systemctl("restart", SERVICE)


def test_compiling_has_its_own_time_limit_apart_from_timeout_s(nox, make_user):
    user = make_user()
    try:
        _with_language(nox, SLOW_BUILD % 3)
        # Compiling for 2 s with timeout_s=1: the compile step is not counted against the program.
        built = run(nox, user, "slowbuild", "2", timeout_s=1)
        assert built["status"] == "succeeded" and built["stdout"] == "built\n", built
        assert built["duration_ms"] >= 1900, built
        # Compiling longer than compile_timeout_s (3 s) is a timeout, even with a long timeout_s.
        started = time.monotonic()
        slow = run(nox, user, "slowbuild", "20", timeout_s=30)
        took = time.monotonic() - started
        assert slow["status"] == "timeout" and slow["exit_code"] is None, slow
        assert 2.8 <= took <= 8, f"expected the compile step stopped after about 3 s, took {took:.1f} s: {slow}"
        assert slow["stdout"] == "", slow
    finally:
        nox.run(["rm", "-f", MANIFEST])
        nox.systemctl("restart", SERVICE)
    assert_slice_empty(nox, user.username)


def test_a_failed_compile_step_is_the_runs_result(nox, make_user):
    user = make_user()
    result = run(nox, user, "c", "int main(void) { return undefined_name; }\n")
    assert result["status"] == "failed" and result["exit_code"] == 1, result
    assert "undefined_name" in result["stderr"], result
    assert result["error"] is None, result


def test_cpu_time_is_measured(nox, make_user):
    user = make_user()
    busy = run(nox, user, "python", "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass\n")
    assert busy["status"] == "succeeded", busy
    assert isinstance(busy["cpu_ms"], int) and 350 <= busy["cpu_ms"] <= 5000, busy
    idle = run(nox, user, "sh", "sleep 1")
    assert isinstance(idle["cpu_ms"], int) and idle["cpu_ms"] < 300, idle


def test_a_run_writing_past_the_disk_quota_is_stopped(nox, make_user):
    user = make_user(quotas={"disk_mb": 20})
    writer = (
        "import time\n"
        "for i in range(40):\n"
        "    with open(f'fill{i}.bin', 'wb') as f: f.write(b'x' * (1024 * 1024))\n"
        "print('wrote 40 MB', flush=True)\n"
        "time.sleep(20)\n"
        "print('still here')\n"
    )
    started = time.monotonic()
    result = run(nox, user, "python", writer, timeout_s=30)
    took = time.monotonic() - started
    assert result["status"] == "killed" and result["signal"] == "SIGKILL" and result["exit_code"] is None, result
    assert "disk quota" in result["stderr"] and "still here" not in result["stdout"], result
    assert took < 10, f"expected the run stopped within a few seconds of going over the quota, took {took:.1f} s"
    assert_slice_empty(nox, user.username)
    # The files it wrote stay (the user deletes them); within the quota a run goes on as usual.
    nox.run(["sh", "-c", f"rm -f {sandbox_dir(user.username)}/fill*.bin"])
    small = run(nox, user, "python", "open('small.bin', 'wb').write(b'y' * (5 * 1024 * 1024))\nprint('ok')")
    assert small["status"] == "succeeded" and small["stdout"] == "ok\n", small
    assert 5 * MIB <= int(nox.run(["stat", "-c", "%s", sandbox_dir(user.username) + "/small.bin"]).stdout)


def test_stopping_nox_exec_ends_its_runs_at_once_as_error(nox, make_user):
    user = make_user()
    job_id = submit(nox, user, "sh", "echo begun; sleep 25; echo never", timeout_s=30)
    wait_status(nox, user, job_id, "running", timeout=15)
    unit = run_unit(job_id)
    started = time.monotonic()
    nox.systemctl("stop", SERVICE)
    took = time.monotonic() - started
    assert took < 10, f"expected `systemctl stop nox-exec` to end its runs, not wait for them: {took:.1f} s"
    assert unit not in loaded_run_units(nox), f"expected {unit} stopped with nox-exec"
    assert_slice_empty(nox, user.username, timeout=10)
    # The next request starts nox-exec again (socket activation); the run is recorded as error.
    final = wait_final(nox, user, job_id, timeout=20)
    assert final["status"] == "error" and "nox-exec" in (final["error"] or ""), final
    assert "never" not in final["stdout"], final
    exec_is_healthy(nox, user)
