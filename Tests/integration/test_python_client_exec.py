"""The Python client's runs against the installed Nox: languages, waited and queued runs,
the live event iterator, cancelling, file runs, refusals as exception classes, history."""

from __future__ import annotations

import time
import uuid

import pytest

from test_python_client import make_pyuser, pyadmin  # noqa: F401  (fixtures)

from nox_client import (  # noqa: E402
    ForbiddenError,
    JobFinishedError,
    LimitExceedsQuotaError,
    NotFoundError,
    OutputEvent,
    StatusEvent,
    UnknownLanguageError,
    ValidationError,
)

# Prints in steps, to both streams, flushing: the events arrive while it runs.
CHATTY = """
import sys, time
for i in range(3):
    print(f"out {i}", flush=True)
    print(f"err {i}", file=sys.stderr, flush=True)
    time.sleep(0.3)
"""


def test_languages_and_a_waited_run(make_pyuser):
    client, _, _ = make_pyuser()
    python = {lang.name: lang for lang in client.exec.languages()}["python"]
    assert python.file_extension == "py" and "py" in python.aliases
    result = client.exec.run("py", "import sys; print(sum(map(int, sys.argv[1:])), input())",
                             args=["2", "40"], stdin="from stdin\n", timeout_s=30)
    assert (result.status, result.exit_code, result.stdout) == ("succeeded", 0, "42 from stdin\n")
    assert result.ok and result.final and result.language == "python" and result.id.startswith("job_")
    assert result.finished_at >= result.started_at and result.duration_ms is not None


def test_a_failing_program_is_a_result_not_an_exception(make_pyuser):
    client, _, _ = make_pyuser()
    result = client.exec.run("python", "import os, sys; print(os.environ['GREETING'], file=sys.stderr); sys.exit(3)",
                             env={"GREETING": "hi"})
    assert (result.status, result.exit_code, result.stderr, result.ok) == ("failed", 3, "hi\n", False)


def test_files_sent_with_the_run_and_a_sandbox_file_run(make_pyuser):
    client, _, _ = make_pyuser()
    result = client.exec.run("python", "import helper; helper.hello()",
                             files={"helper.py": "def hello():\n    open('out.txt', 'w').write('written by the run')\n"})
    assert result.ok, result
    assert client.files.read_text("out.txt") == "written by the run"
    client.files.write_text("tools/main.py", "print('from a file')\n")
    assert client.exec.run("python", file="tools/main.py").stdout == "from a file\n"


def test_events_stream_the_output_then_the_result(make_pyuser):
    client, _, _ = make_pyuser()
    ref = client.exec.submit("python", CHATTY)
    assert ref.status == "queued" and ref.id.startswith("job_")
    events = list(client.exec.events(ref.id, timeout=120))
    assert isinstance(events[-1], StatusEvent) and all(isinstance(e, OutputEvent) for e in events[:-1])
    final = events[-1].result
    out = "".join(e.data for e in events if isinstance(e, OutputEvent) and e.stream == "stdout")
    err = "".join(e.data for e in events if isinstance(e, OutputEvent) and e.stream == "stderr")
    assert out == final.stdout == "out 0\nout 1\nout 2\n"
    assert err == final.stderr == "err 0\nerr 1\nerr 2\n"
    assert client.exec.job(ref.id).status == "succeeded"
    # A late subscriber gets everything again, then the result.
    replay = list(client.exec.events(ref.id))
    assert "".join(e.data for e in replay if isinstance(e, OutputEvent) and e.stream == "stdout") == final.stdout


def test_stream_and_wait(make_pyuser):
    client, _, _ = make_pyuser()
    chunks = [e for e in client.exec.stream("python", "print('streamed')")]
    assert chunks[-1].result.stdout == "streamed\n"
    ref = client.exec.submit("bash", "echo waited; exit 4")
    final = client.exec.wait(ref.id, timeout=120)
    assert (final.status, final.exit_code, final.stdout) == ("failed", 4, "waited\n")


def test_cancel_a_running_job(make_pyuser):
    client, _, _ = make_pyuser()
    ref = client.exec.submit("python", "import time\nprint('started', flush=True)\ntime.sleep(60)")
    for event in client.exec.events(ref.id, timeout=60):
        if isinstance(event, OutputEvent):
            break  # it runs
    cancel = client.exec.cancel(ref.id)
    assert cancel.id == ref.id and cancel.status in ("queued", "running")
    final = client.exec.wait(ref.id, timeout=60)
    assert final.status == "cancelled"
    with pytest.raises(JobFinishedError) as info:
        client.exec.cancel(ref.id)
    assert info.value.status == 409


def test_refusals_are_exception_classes(make_pyuser):
    client, _, _ = make_pyuser(quotas={"exec_timeout_s": 10})
    with pytest.raises(UnknownLanguageError) as info:
        client.exec.run("no-such-language", "x")
    assert info.value.field == "language"
    with pytest.raises(LimitExceedsQuotaError) as info:
        client.exec.run("python", "print(1)", timeout_s=11)
    assert info.value.field == "timeout_s"
    with pytest.raises(ValidationError) as info:
        client.exec.run("python", "print(1)", env={"LD_PRELOAD": "x"})
    assert info.value.field == "env"
    with pytest.raises(NotFoundError):
        client.exec.job("job_" + "0" * 32)
    with pytest.raises(NotFoundError):
        client.exec.run("python", file="missing.py")
    viewer, _, _ = make_pyuser("viewer")
    with pytest.raises(ForbiddenError):
        viewer.exec.run("python", "print(1)")


def test_history_filters_and_pages(make_pyuser):
    client, _, _ = make_pyuser()
    marker = "m" + uuid.uuid4().hex[:10]
    started = time.time() - 2
    ids = [client.exec.run("python", f"print('{marker}')").id,
           client.exec.run("python", f"raise SystemExit(2)  # {marker}").id,
           client.exec.run("bash", "echo other").id]
    newest_first = [item.id for item in client.exec.iter_history(page_size=1)]
    assert newest_first == ids[::-1]
    first = client.exec.history(limit=2)
    assert len(first.items) == 2 and first.next_cursor
    failed = client.exec.history(status="failed").items
    assert [i.id for i in failed] == [ids[1]] and failed[0].exit_code == 2
    found = [i.id for i in client.exec.iter_history(q=marker)]
    assert sorted(found) == sorted(ids[:2])
    bash = client.exec.history(language="bash").items
    assert [i.id for i in bash] == [ids[2]] and bash[0].code == "echo other" and bash[0].file is None
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    assert len(list(client.exec.iter_history(since=since))) == 3
    with pytest.raises(ValidationError):
        client.exec.history(status="no-such-status")
