"""noxctl run / jobs / job / cancel / history / languages: streamed output and exit codes."""

from __future__ import annotations

import time

from helpers_api import make_user, admin, wait_until  # noqa: F401  (fixtures)
from helpers_noxctl import assert_error_output, ctl_user  # noqa: F401  (fixtures)


def test_run_propagates_the_exit_code_and_output(ctl_user):
    res = ctl_user("run", "-l", "python", "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
                   check=False)
    assert res.returncode == 3, res.stderr
    assert res.stdout == "out\n"
    assert "err\n" in res.stderr
    ok = ctl_user("run", "-l", "python", "-c", "print('fine')")
    assert ok.returncode == 0 and ok.stdout == "fine\n"


def test_run_a_local_file_by_extension_stdin_code_and_program_input(ctl_user):
    script = ctl_user.write_local("hello.py", b"import sys\nprint('hello', sys.argv[1:], sys.stdin.read().strip())\n")
    data = ctl_user.write_local("input.txt", b"from-stdin\n")
    res = ctl_user("run", script, "--arg", "x y", "--stdin", data)
    assert res.stdout == "hello ['x y'] from-stdin\n"
    piped = ctl_user("run", "-l", "python", input="print(2 ** 10)\n")
    assert piped.stdout == "1024\n"
    env = ctl_user("run", "-l", "python", "-c", "import os; print(os.environ['MODE'])", "--env", "MODE=fast")
    assert env.stdout == "fast\n"


def test_run_streams_output_as_it_comes(ctl_user):
    code = "import time\nprint('first', flush=True)\ntime.sleep(4)\nprint('second', flush=True)\n"
    proc = ctl_user.popen("run", "-l", "python", "-c", code)
    try:
        start = time.monotonic()
        first = proc.stdout.readline()
        first_at = time.monotonic() - start
        second = proc.stdout.readline()
        second_at = time.monotonic() - start
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert first == b"first\n" and second == b"second\n"
    assert second_at - first_at >= 3, f"output was not streamed (first at {first_at:.1f}s, second at {second_at:.1f}s)"


def test_timeout_and_unknown_language(ctl_user):
    res = ctl_user("run", "-l", "python", "-c", "while True: pass", "--timeout", "1", check=False)
    assert res.returncode == 124, (res.returncode, res.stderr)
    assert "timed out" in res.stderr
    bad = ctl_user("run", "-l", "cobol-9000", "-c", "x", check=False)
    assert_error_output(bad, "unknown_language", "HTTP 422")


def test_async_jobs_job_cancel_and_history(ctl_user):
    job_id = ctl_user("run", "--async", "-l", "python", "-c", "import time; time.sleep(60)").stdout.strip()
    assert job_id
    wait_until(lambda: [j for j in ctl_user.json("jobs") if j["id"] == job_id], 30, what="the job listed by jobs")
    assert job_id in ctl_user("jobs").stdout
    assert ctl_user.json("job", job_id)["status"] in ("queued", "running")

    assert f"cancelled {job_id}" in ctl_user("cancel", job_id).stdout
    wait_until(lambda: ctl_user.json("job", job_id)["status"] == "cancelled", 30, what="the job cancelled")
    followed = ctl_user("job", "--follow", job_id, check=False)
    assert followed.returncode == 130

    marker = f"marker_{time.time_ns()}"
    ctl_user("run", "-l", "python", "-c", f"print('{marker}')")
    ctl_user("run", "-l", "python", "-c", f"# {marker}\nraise SystemExit(2)", check=False)
    found = ctl_user.json("history", "--search", marker)
    assert len(found) == 2, found
    failed = ctl_user.json("history", "--search", marker, "--status", "failed", "--since", "1h")
    assert [r["exit_code"] for r in failed] == [2]
    cancelled = ctl_user.json("history", "--status", "cancelled")
    assert job_id in [r["id"] for r in cancelled]
    table = ctl_user("history", "--limit", "5").stdout
    assert table.splitlines()[0].split()[:3] == ["ID", "LANGUAGE", "STATUS"]
    shown = ctl_user("job", job_id).stdout
    assert job_id in shown and "cancelled" in shown


def test_job_follow_streams_an_async_run_and_exits_with_its_code(ctl_user):
    job_id = ctl_user("run", "--async", "-l", "python", "-c", "print('later'); raise SystemExit(5)").stdout.strip()
    res = ctl_user("job", "--follow", job_id, check=False)
    assert res.returncode == 5 and res.stdout == "later\n"


def test_languages(ctl_user):
    langs = ctl_user.json("languages")
    assert "python" in [l["name"] for l in langs]
    assert "python" in ctl_user("languages").stdout
