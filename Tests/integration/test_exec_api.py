"""nox-exec's HTTP API as a client sees it through nginx, written from API.md ("Execution —
nox-exec" and "Details that clients rely on" → Execution): languages, synchronous and
asynchronous runs and their result objects, stdin/args/env/files/file, compiled languages,
limits (timeout, memory, quota checks), Server-Sent Events, cancellation, other users' jobs,
history with filters, search and pagination, output caps, the per-user queue, the viewer
role, and what a run leaves in journald.

Every test uses users of its own (``make_user``)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    admin,
    assert_error,
    assert_json,
    describe,
    get_all_pages,
    journal_value,
    make_user,
    parse_rfc3339,
    wait_until,
)
from helpers_exec import (  # noqa: F401  (module_user is a fixture)
    MIB,
    RESULT_KEYS,
    SERVICE,
    assert_result,
    collect_events,
    delete,
    exec_response,
    get,
    job,
    module_user,
    run,
    set_quotas,
    sse_events,
    submit,
    wait_final,
    wait_quota_seen,
    wait_status,
)
from helpers_files import delete_path, get_bytes, list_paths, put_ok

REQUIRED_LANGUAGES = ("python", "bash", "sh", "c", "node")


# =========================================================================== languages


def test_languages_lists_the_shipped_toolchains_with_versions(nox, make_user):
    user = make_user()
    body = assert_json(get(nox, user, "/api/languages"), 200)
    assert isinstance(body, dict) and isinstance(body.get("items"), list), f"expected {{items: [...]}}: {body}"
    by_name = {item["name"]: item for item in body["items"]}
    for item in body["items"]:
        assert set(item) >= {"name", "version", "aliases", "file_extension"}, f"language item lacks keys: {item}"
        assert isinstance(item["aliases"], list) and isinstance(item["file_extension"], str), item
    missing = [name for name in REQUIRED_LANGUAGES if name not in by_name]
    assert not missing, f"expected {missing} in GET /api/languages: {sorted(by_name)}"
    for name in REQUIRED_LANGUAGES:
        version = by_name[name]["version"]
        assert isinstance(version, str) and version[:1].isdigit(), f"expected a version for {name}: {by_name[name]}"
    assert by_name["python"]["file_extension"] == "py" and "py" in by_name["python"]["aliases"], by_name["python"]


# =========================================================================== synchronous runs


def test_sync_python_print_succeeds_with_every_result_key(nox, make_user):
    user = make_user()
    started = time.monotonic()
    result = run(nox, user, "python", "print(1)")
    latency = time.monotonic() - started
    print(f"sync python print(1): {latency * 1000:.0f} ms round trip, duration_ms={result['duration_ms']}")
    assert result["status"] == "succeeded" and result["exit_code"] == 0, result
    assert result["stdout"] == "1\n" and result["stderr"] == "", result
    assert set(RESULT_KEYS) <= set(result), f"missing keys: {set(RESULT_KEYS) - set(result)}"
    assert result["signal"] is None and result["error"] is None, result
    assert result["stdout_truncated"] is False and result["stderr_truncated"] is False, result
    assert result["language"] == "python" and result["id"].startswith("job_"), result
    created, began, ended = (parse_rfc3339(result[k]) for k in ("created_at", "started_at", "finished_at"))
    assert created <= began <= ended, result
    assert 0 <= result["duration_ms"] <= latency * 1000 + 50, f"duration_ms beyond the round trip: {result}"
    assert abs((ended - began).total_seconds() * 1000 - result["duration_ms"]) < 50, result
    assert isinstance(result["memory_peak_bytes"], int) and result["memory_peak_bytes"] > 0, result
    assert result["cpu_ms"] is None or result["cpu_ms"] >= 0, result
    # The same result afterwards through GET /api/jobs/{id}.
    again = job(nox, user, result["id"])
    assert {k: again[k] for k in RESULT_KEYS} == {k: result[k] for k in RESULT_KEYS}, (again, result)


def test_language_alias_runs_as_the_canonical_language(nox, make_user):
    user = make_user()
    result = run(nox, user, "py", "print('alias')")
    assert result["status"] == "succeeded" and result["language"] == "python", result


def test_nonzero_exit_is_failed_with_its_exit_code_and_stderr(nox, make_user):
    user = make_user()
    result = run(nox, user, "python", "import sys\nprint('to err', file=sys.stderr)\nsys.exit(3)")
    assert result["status"] == "failed" and result["exit_code"] == 3, result
    assert result["stderr"] == "to err\n" and result["stdout"] == "", result
    assert result["signal"] is None, result


def test_stdin_args_and_env_reach_the_program(nox, make_user):
    user = make_user()
    args = ["two words", "it's \"quoted\"", "a;b", "$HOME", "${PATH}", "$(id)", "`id`", "%h %n %%", "", "--flag=x y", "*"]
    code = "import sys, os, json\nprint(json.dumps({'argv': sys.argv[1:], 'env': os.environ.get('GREETING'), 'stdin': sys.stdin.read()}))"
    result = run(nox, user, "python", code, args=args, env={"GREETING": "hello world; $x"}, stdin="line 1\nline 2\n")
    assert result["status"] == "succeeded", result
    seen = json.loads(result["stdout"])
    assert seen["argv"] == args, f"expected every arg as one literal argv item: {seen}"
    assert seen["env"] == "hello world; $x", seen
    assert seen["stdin"] == "line 1\nline 2\n", seen


def test_args_reach_a_shell_script_unexpanded(nox, make_user):
    user = make_user()
    result = run(nox, user, "bash", 'for a in "$@"; do printf "[%s]\\n" "$a"; done', args=["a b", ";ls", "$(id)", "$HOME", "${USER}"])
    assert result["status"] == "succeeded", result
    assert result["stdout"] == "[a b]\n[;ls]\n[$(id)]\n[$HOME]\n[${USER}]\n", result


@pytest.mark.parametrize("name", ["PATH", "HOME", "USER", "SHELL", "LD_PRELOAD", "LD_LIBRARY_PATH", "NOX_X", "lower", "1ABC", "A-B", ""])
def test_reserved_or_malformed_env_names_are_refused(nox, module_user, name):
    user = module_user
    resp = exec_response(nox, user, {"language": "sh", "code": "true", "env": {name: "x"}})
    err = assert_error(resp, 422, "validation_failed")
    assert "env" in json.dumps(err.get("details") or {}), f"expected details naming env: {describe(resp)}"


def test_files_are_written_before_the_run_and_outputs_stay_in_the_sandbox(nox, make_user):
    user = make_user()
    code = (
        "import os\n"
        "data = open('data/in.txt').read()\n"
        "os.makedirs('out', exist_ok=True)\n"
        "open('out/result.txt', 'w').write(data.upper())\n"
        "print(sorted(os.listdir('.')))\n"
    )
    result = run(nox, user, "python", code, files={"data/in.txt": "hello files", "helper.py": "X = 1\n"})
    assert result["status"] == "succeeded", result
    assert "data" in result["stdout"] and "helper.py" in result["stdout"], result
    listed = list_paths(nox, user)
    for path in ("data/in.txt", "helper.py", "out/result.txt"):
        assert path in listed, f"expected {path} in the sandbox through /api/files: {sorted(listed)}"
    assert get_bytes(nox, user, "data/in.txt") == b"hello files"
    assert get_bytes(nox, user, "out/result.txt") == b"HELLO FILES"
    # What a run wrote can be deleted through the files API (group nox-run, mode 660/2770).
    resp = delete_path(nox, user, "out", recursive=True)
    assert resp.status_code == 204, f"expected a run's directory to be deletable through /api/files: {describe(resp)}"
    assert "out/result.txt" not in list_paths(nox, user)


def test_a_module_sent_in_files_can_be_imported(nox, make_user):
    user = make_user()
    result = run(nox, user, "python", "import helper\nprint(helper.VALUE)", files={"helper.py": "VALUE = 42\n"})
    assert result["status"] == "succeeded" and result["stdout"] == "42\n", result


def test_file_runs_a_file_already_in_the_sandbox(nox, make_user):
    user = make_user()
    put_ok(nox, user, "proj/prog.py", b"import sys\nprint('from file', sys.argv[1:])\n")
    result = run(nox, user, "python", file="proj/prog.py", args=["x"])
    assert result["status"] == "succeeded" and result["stdout"] == "from file ['x']\n", result
    missing = exec_response(nox, user, {"language": "python", "file": "nope.py"})
    assert missing.status_code in (400, 404, 422), f"expected a missing file to be refused: {describe(missing)}"
    assert_error(missing, missing.status_code)
    escape = exec_response(nox, user, {"language": "python", "file": "../../etc/passwd"})
    assert_error(escape, 400, "invalid_path")
    both = exec_response(nox, user, {"language": "python", "file": "proj/prog.py", "code": "print(1)"})
    assert_error(both, 422, "validation_failed")


def test_c_compiles_and_runs_with_args(nox, make_user):
    user = make_user()
    code = '#include <stdio.h>\nint main(int c, char **v) { for (int i = 1; i < c; i++) printf("<%s>\\n", v[i]); return 7; }\n'
    result = run(nox, user, "c", code, args=["a b", "'q'", ";x", "$HOME"])
    assert result["status"] == "failed" and result["exit_code"] == 7, result
    assert result["stdout"] == "<a b>\n<'q'>\n<;x>\n<$HOME>\n", result


def test_c_includes_a_header_sent_in_files(nox, make_user):
    user = make_user()
    code = '#include <stdio.h>\n#include "answer.h"\nint main(void) { printf("%d\\n", ANSWER); return 0; }\n'
    result = run(nox, user, "c", code, files={"answer.h": "#define ANSWER 42\n"})
    assert result["status"] == "succeeded" and result["stdout"] == "42\n", result


def test_c_compile_error_fails_with_the_compilers_message(nox, make_user):
    user = make_user()
    result = run(nox, user, "c", "int main( { return 0 }\n")
    assert result["status"] == "failed" and result["exit_code"] not in (0, None), result
    assert "error" in result["stderr"] and "main" in result["stderr"], f"expected gcc's diagnostics in stderr: {result}"
    assert result["stdout"] == "", result


def test_node_runs(nox, make_user):
    user = make_user()
    result = run(nox, user, "node", "console.log([1, 2, 3].map(x => x * 2).join(','))")
    assert result["status"] == "succeeded" and result["stdout"] == "2,4,6\n", result


# =========================================================================== limits


def test_timeout_ends_the_run_soon_after_timeout_s(nox, make_user):
    user = make_user()
    started = time.monotonic()
    result = run(nox, user, "python", "import time\nprint('before', flush=True)\ntime.sleep(30)", timeout_s=2)
    took = time.monotonic() - started
    assert result["status"] == "timeout", result
    assert result["exit_code"] is None, result
    assert result["stdout"] == "before\n", f"expected the output written before the timeout: {result}"
    assert 1.9 <= took <= 4.5, f"expected the answer about 2 s after the start, took {took:.1f} s: {result}"
    assert 1900 <= result["duration_ms"] <= 4500, result


def test_memory_limit_of_the_request_ends_a_hungry_run_as_oom(nox, make_user):
    user = make_user()
    code = "a = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(a), 4096): a[i] = 1\nprint('allocated')"
    result = run(nox, user, "python", code, memory_mb=64)
    assert result["status"] == "oom", result
    assert "allocated" not in result["stdout"], result
    assert result["memory_peak_bytes"] is None or result["memory_peak_bytes"] <= 64 * MIB + MIB, result
    # Under the limit the same program runs.
    fine = run(nox, user, "python", code.replace("200 *", "20 *"), memory_mb=64)
    assert fine["status"] == "succeeded" and fine["stdout"] == "allocated\n", fine


def test_limits_above_the_quota_are_refused(nox, make_user):
    user = make_user(quotas={"exec_timeout_s": 10, "memory_mb": 256})
    for field, value, quota in (("timeout_s", 11, 10), ("memory_mb", 257, 256)):
        resp = exec_response(nox, user, {"language": "sh", "code": "echo no", field: value})
        err = assert_error(resp, 422, "limit_exceeds_quota")
        assert field in json.dumps(err.get("details") or {}) or field in err["message"], describe(resp)
    ok = run(nox, user, "sh", "echo ok", timeout_s=10, memory_mb=256)
    assert ok["status"] == "succeeded", ok
    for field, value in (("timeout_s", 0), ("memory_mb", 1), ("timeout_s", "5"), ("memory_mb", -1)):
        resp = exec_response(nox, user, {"language": "sh", "code": "true", field: value})
        assert_error(resp, 422)


def test_bad_requests_are_refused_with_the_contracts_errors(nox, make_user):
    user = make_user()
    assert_error(exec_response(nox, user, {"language": "cobol", "code": "x"}), 422, "unknown_language")
    assert_error(exec_response(nox, user, data='{"language": "python", "code": '), 400, "invalid_json")
    assert_error(exec_response(nox, user, data="not json at all"), 400, "invalid_json")
    assert_error(exec_response(nox, user, {"code": "print(1)"}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"language": "python"}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"language": "python", "code": 5}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"language": "python", "code": "1", "args": "a b"}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"language": "python", "code": "1", "files": {"../x": "y"}}), 400, "invalid_path")
    assert_error(exec_response(nox, user, {"language": "python", "code": "1", "network": True}), 403)


def test_output_over_one_mib_is_truncated_and_the_run_goes_on(nox, make_user):
    user = make_user()
    code = (
        "import sys\n"
        "chunk = 'y' * 65536\n"
        "for _ in range(48): sys.stdout.write(chunk)\n"  # 3 MiB
        "sys.stdout.flush()\n"
        "print('still running', file=sys.stderr)\n"
    )
    result = run(nox, user, "python", code)
    assert result["status"] == "succeeded" and result["exit_code"] == 0, {**result, "stdout": result["stdout"][:100]}
    assert result["stdout_truncated"] is True and result["stderr_truncated"] is False, result["stdout_truncated"]
    assert MIB - 65536 <= len(result["stdout"].encode()) <= MIB, len(result["stdout"])
    assert set(result["stdout"]) == {"y"}, "expected only the program's bytes in stdout"
    assert result["stderr"] == "still running\n", result["stderr"]


# =========================================================================== async, events, cancel


def test_async_run_answers_202_then_the_job_reaches_its_result(nox, make_user):
    user = make_user()
    t0 = time.monotonic()
    job_id = submit(nox, user, "sh", "sleep 1; echo done")
    assert time.monotonic() - t0 < 1.0, "expected 202 at once, not after the run"
    first = job(nox, user, job_id)
    assert first["status"] in ("queued", "running", "succeeded"), first
    if first["status"] != "succeeded":
        assert first["exit_code"] is None and first["finished_at"] is None, first
    final = wait_final(nox, user, job_id, timeout=20)
    assert final["status"] == "succeeded" and final["stdout"] == "done\n" and final["id"] == job_id, final


def test_events_arrive_while_the_run_goes_and_end_with_the_status(nox, make_user):
    user = make_user()
    code = "import time\nfor i in range(4):\n    print('tick', i)\n    time.sleep(0.6)\n"
    job_id = submit(nox, user, "python", code)
    events = collect_events(nox, user, job_id, timeout=30)
    names = [name for _, name, _ in events]
    assert names and names[-1] == "status" and names.count("status") == 1, f"expected one final status event: {names}"
    outs = [(t, data) for t, name, data in events if name == "stdout"]
    assert outs, f"expected stdout events: {events}"
    assert "".join(d["data"] for _, d in outs) == "tick 0\ntick 1\ntick 2\ntick 3\n", events
    status_time, _, status = events[-1]
    assert status_time - outs[0][0] >= 1.2, (
        f"expected the first chunk about 1.8 s before the end (streamed live), got {status_time - outs[0][0]:.2f} s")
    assert len(outs) >= 2, f"expected the ticks in more than one event: {outs}"
    assert_result(status, final=True)
    assert status["status"] == "succeeded" and status["id"] == job_id, status
    assert status["stdout"] == "tick 0\ntick 1\ntick 2\ntick 3\n", status


def test_stderr_events_and_a_late_subscriber_gets_everything(nox, make_user):
    user = make_user()
    result = run(nox, user, "sh", "echo out1; echo err1 >&2; echo out2; exit 4")
    assert result["status"] == "failed" and result["exit_code"] == 4, result
    events = collect_events(nox, user, result["id"], timeout=15)
    names = [name for _, name, _ in events]
    assert names[-1] == "status", names
    out = "".join(d["data"] for _, n, d in events if n == "stdout")
    err = "".join(d["data"] for _, n, d in events if n == "stderr")
    assert out == "out1\nout2\n" and err == "err1\n", events
    status = events[-1][2]
    assert {k: status[k] for k in RESULT_KEYS} == {k: result[k] for k in RESULT_KEYS}, (status, result)


def test_a_subscriber_joining_mid_run_first_gets_what_was_emitted(nox, make_user):
    user = make_user()
    job_id = submit(nox, user, "python", "import time\nprint('early', flush=True)\ntime.sleep(1.5)\nprint('late')")
    wait_until(lambda: "early" in job_or_events_text(nox, user, job_id), 10, interval=0.2, what="the first line")
    events = collect_events(nox, user, job_id, timeout=15)
    out = "".join(d["data"] for _, n, d in events if n == "stdout")
    assert out == "early\nlate\n", events
    assert events[-1][1] == "status" and events[-1][2]["status"] == "succeeded", events


def job_or_events_text(nox, user, job_id) -> str:
    """What job_id has printed so far, read from its event stream's first event."""
    for _, name, data in sse_events(nox, user, job_id, timeout=15):
        return data.get("data", "") if name == "stdout" else ""
    return ""


def test_cancelling_a_running_job(nox, make_user):
    user = make_user()
    job_id = submit(nox, user, "sh", "echo started; sleep 30; echo never")
    wait_status(nox, user, job_id, "running", timeout=15)
    time.sleep(0.3)
    t0 = time.monotonic()
    resp = delete(nox, user, f"/api/jobs/{job_id}")
    assert resp.status_code == 202, f"expected 202 for cancelling a running job: {describe(resp)}"
    final = wait_final(nox, user, job_id, timeout=10)
    took = time.monotonic() - t0
    assert final["status"] == "cancelled", final
    assert took < 5, f"expected the cancellation within a few seconds, took {took:.1f} s"
    assert "never" not in final["stdout"], final
    again = delete(nox, user, f"/api/jobs/{job_id}")
    assert_error(again, 409, "job_finished")


def test_cancelling_a_queued_job_and_deleting_a_finished_one(nox, make_user):
    user = make_user(quotas={"max_concurrent": 1})
    first = submit(nox, user, "sh", "sleep 3")
    second = submit(nox, user, "sh", "echo should not run")
    wait_status(nox, user, first, "running", timeout=15)
    assert job(nox, user, second)["status"] == "queued"
    resp = delete(nox, user, f"/api/jobs/{second}")
    assert resp.status_code == 202, describe(resp)
    final = wait_final(nox, user, second, timeout=10)
    assert final["status"] == "cancelled" and final["stdout"] == "" and final["started_at"] is None, final
    assert wait_final(nox, user, first, timeout=15)["status"] == "succeeded"
    assert_error(delete(nox, user, f"/api/jobs/{first}"), 409, "job_finished")


def test_another_users_job_is_404_everywhere(nox, make_user):
    owner, other = make_user(), make_user()
    job_id = submit(nox, owner, "sh", "sleep 2; echo mine")
    for resp in (get(nox, other, f"/api/jobs/{job_id}"), get(nox, other, f"/api/jobs/{job_id}/events"),
                 delete(nox, other, f"/api/jobs/{job_id}")):
        assert_error(resp, 404)
    unknown = "job_" + uuid.uuid4().hex
    assert_error(get(nox, owner, f"/api/jobs/{unknown}"), 404)
    assert_error(delete(nox, owner, f"/api/jobs/{unknown}"), 404)
    final = wait_final(nox, owner, job_id, timeout=15)
    assert final["status"] == "succeeded", f"expected the other user's DELETE to leave the job alone: {final}"
    other_history = get_all_pages(nox, "/api/history", other.access_token)
    assert job_id not in {item["id"] for item in other_history}


# =========================================================================== history


def test_history_filters_search_and_pagination(nox, make_user):
    user, other = make_user(), make_user()
    marker = f"zeta{uuid.uuid4().hex[:8]}"
    ids = {
        "py_ok": run(nox, user, "python", f"{marker} = 1\nprint({marker})")["id"],
        "py_fail": run(nox, user, "python", "import sys\nsys.exit(2)")["id"],
        "sh_ok": run(nox, user, "sh", "echo shell")["id"],
        "sh_ok2": run(nox, user, "sh", "echo again")["id"],
    }
    run(nox, other, "python", f"print('{marker}')")
    everything = get_all_pages(nox, "/api/history", user.access_token)
    assert [item["id"] for item in everything] == list(reversed(ids.values())), "expected newest first, only own jobs"
    for item in everything:
        assert_result(item, final=True)
        assert item.get("code"), f"expected the code in history items: {item}"
    paged = get_all_pages(nox, "/api/history", user.access_token, limit=1)
    assert [i["id"] for i in paged] == [i["id"] for i in everything], "expected pagination to walk the same list"
    failed = get_all_pages(nox, "/api/history", user.access_token, params={"status": "failed"})
    assert [i["id"] for i in failed] == [ids["py_fail"]], failed
    shells = get_all_pages(nox, "/api/history", user.access_token, params={"language": "sh"})
    assert {i["id"] for i in shells} == {ids["sh_ok"], ids["sh_ok2"]}, shells
    found = get_all_pages(nox, "/api/history", user.access_token, params={"q": marker})
    assert [i["id"] for i in found] == [ids["py_ok"]], f"expected q to find the code holding {marker}: {found}"
    both = get_all_pages(nox, "/api/history", user.access_token, params={"q": "echo", "language": "sh", "status": "succeeded"})
    assert {i["id"] for i in both} == {ids["sh_ok"], ids["sh_ok2"]}, both
    future = get_all_pages(nox, "/api/history", user.access_token, params={"since": "2999-01-01T00:00:00Z"})
    assert future == [], future
    assert_error(get(nox, user, "/api/history", params={"status": "bogus"}), 422)
    assert_error(get(nox, user, "/api/history", params={"since": "yesterday"}), 422)
    assert_error(get(nox, user, "/api/history", params={"cursor": "not-a-cursor"}), 422)


@pytest.mark.parametrize("q", ['"unterminated', "a AND OR", "NEAR(", "*", "col:x", "^", ")(", "code:print", "-x",
                               "'", "a OR", "\\", "%", "x" * 1000, "\u00e9t\u00e9 \u4e2d\u6587", "NOT", "{}", "\x00"])
def test_fts_syntax_in_q_never_fails(nox, module_user, q):
    resp = get(nox, module_user, "/api/history", params={"q": q})
    assert resp.status_code in (200, 400, 422), f"expected 200 (or a 4xx error) for q={q!r}: {describe(resp)}"
    if resp.status_code == 200:
        body = assert_json(resp, 200)
        assert isinstance(body.get("items"), list) and "next_cursor" in body, body
    else:
        assert_error(resp, resp.status_code)


# =========================================================================== queue


def test_max_concurrent_one_serialises_a_users_runs_but_not_others(nox, admin, make_user):
    user, other = make_user(), make_user()
    set_quotas(nox, admin, user.username, {"max_concurrent": 1})
    wait_quota_seen(nox, user, "max_concurrent", 1)  # nox-exec has not seen (cached) this user yet
    a = submit(nox, user, "sh", "sleep 1")
    b = submit(nox, user, "sh", "sleep 1")
    time.sleep(0.3)
    c = submit(nox, other, "sh", "sleep 1")
    ra, rb, rc = (wait_final(nox, who, j, timeout=20) for who, j in ((user, a), (user, b), (other, c)))
    for r in (ra, rb, rc):
        assert r["status"] == "succeeded", r
    assert parse_rfc3339(rb["started_at"]) >= parse_rfc3339(ra["finished_at"]), (
        f"expected the second run of a max_concurrent=1 user to start after the first ended: {ra}, {rb}")
    assert parse_rfc3339(rc["started_at"]) < parse_rfc3339(ra["finished_at"]) or \
        parse_rfc3339(rc["started_at"]) < parse_rfc3339(rb["started_at"]), (
        f"expected another user's run not to wait for this user's queue: {ra}, {rb}, {rc}")
    assert parse_rfc3339(rc["started_at"]) < parse_rfc3339(rb["started_at"]), (rb, rc)


def test_default_quota_runs_in_parallel(nox, make_user):
    user = make_user()
    ids = [submit(nox, user, "sh", "sleep 1") for _ in range(3)]
    results = [wait_final(nox, user, j, timeout=20) for j in ids]
    assert all(r["status"] == "succeeded" for r in results), results
    latest_start = max(parse_rfc3339(r["started_at"]) for r in results)
    earliest_end = min(parse_rfc3339(r["finished_at"]) for r in results)
    assert latest_start < earliest_end, f"expected 3 runs of a max_concurrent=4 user to overlap: {results}"


# =========================================================================== roles


def test_viewer_reads_history_and_languages_but_cannot_run(nox, make_user):
    viewer = make_user(role="viewer")
    assert_json(get(nox, viewer, "/api/languages"), 200)
    body = assert_json(get(nox, viewer, "/api/history"), 200)
    assert body["items"] == [] and body["next_cursor"] is None, body
    assert_error(exec_response(nox, viewer, {"language": "python", "code": "print(1)"}), 403)


def test_requests_without_a_token_are_401(nox):
    import requests as rq

    for method, path in (("GET", "/api/languages"), ("POST", "/api/exec"), ("GET", "/api/history"),
                         ("GET", "/api/jobs/job_00"), ("DELETE", "/api/jobs/job_00")):
        resp = rq.request(method, nox.url + path, verify=nox.verify, timeout=10, json={"language": "sh", "code": "id"})
        assert_error(resp, 401)
        assert resp.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), describe(resp)


# =========================================================================== journald


def test_a_run_is_journaled_with_user_job_and_outcome_but_never_its_output(nox, make_user):
    user = make_user()
    token = uuid.uuid4().hex
    # The marker is assembled at run time: it is in the output, not in the code.
    code = f"import sys\nm = 'NOXMARK' + '-' + '{token}'\nprint(m)\nprint(m, file=sys.stderr)\nsys.exit(5)"
    result = run(nox, user, "python", code)
    assert result["status"] == "failed" and result["exit_code"] == 5 and token in result["stdout"], result

    def entries():
        found = [e for e in nox.journal(f"NOX_JOB_ID={result['id']}") if journal_value(e, "NOX_STATUS")]
        return found or None

    found = wait_until(entries, timeout=10, interval=0.5, what=f"a journal entry with NOX_JOB_ID={result['id']}")
    entry = found[-1]
    assert journal_value(entry, "NOX_USER") == user.username, entry
    assert journal_value(entry, "NOX_STATUS") == "failed", entry
    assert journal_value(entry, "_SYSTEMD_UNIT") == SERVICE, entry
    text = nox.journal_text("--since", "-5min")
    assert f"NOXMARK-{token}" not in text, "the run's own output must never reach the journal"
