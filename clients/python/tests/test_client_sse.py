"""Server-Sent Events: the decoder on any split of the bytes, and the job/metrics iterators."""

from __future__ import annotations

import json

import httpx
import pytest
from fakenox import error, ok, sse_response

from nox_client import NoxError, NotFoundError, OutputEvent, SSEDecoder, StatusEvent, iter_sse
from nox_client.sse import ServerSentEvent

JOB = "job_" + "a" * 32


def result(status="succeeded", stdout="", exit_code=0) -> dict:
    return {"id": JOB, "language": "python", "status": status, "exit_code": exit_code, "signal": None,
            "stdout": stdout, "stderr": "", "stdout_truncated": False, "stderr_truncated": False,
            "created_at": "2026-01-02T03:04:05.678Z", "started_at": "2026-01-02T03:04:05.700Z",
            "finished_at": "2026-01-02T03:04:06.000Z", "duration_ms": 300, "cpu_ms": 12,
            "memory_peak_bytes": 1 << 20, "error": None}


def event(name: str, data) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def decode_in_pieces(stream: bytes, cuts: list[int]) -> list[ServerSentEvent]:
    decoder, out, last = SSEDecoder(), [], 0
    for cut in cuts + [len(stream)]:
        out += decoder.feed(stream[last:cut])
        last = cut
    return out + decoder.flush()


STREAM = ("\ufeff: keep-alive\r\n"
          "event: stdout\r\ndata: {\"data\":\"h\u00e9llo \u2603\"}\r\n\r\n"
          "event: stderr\ndata: first line\ndata: second line\nid: 7\nretry: 1500\n\n"
          ":another comment\r"
          "data:no space after the colon\r\r"
          "event: status\ndata: {}\n\n").encode()
EXPECTED = [
    ServerSentEvent("stdout", '{"data":"h\u00e9llo \u2603"}'),
    ServerSentEvent("stderr", "first line\nsecond line", "7", 1500),
    ServerSentEvent("message", "no space after the colon", "7", 1500),
    ServerSentEvent("status", "{}", "7", 1500),
]


def test_decoder_whole_stream():
    assert decode_in_pieces(STREAM, []) == EXPECTED


def test_decoder_every_single_split_point():
    """Any line, CRLF pair or UTF-8 character cut between two reads."""
    for cut in range(1, len(STREAM)):
        assert decode_in_pieces(STREAM, [cut]) == EXPECTED, f"cut at byte {cut}"


def test_decoder_byte_by_byte():
    assert decode_in_pieces(STREAM, list(range(1, len(STREAM)))) == EXPECTED


def test_unfinished_event_at_the_end_is_dropped_and_dataless_events_are_ignored():
    events = list(iter_sse([b"event: lonely\n\n", b"data: done\n\n", b"data: half"]))
    assert events == [ServerSentEvent("message", "done")]


def test_an_empty_data_line_is_an_empty_event():
    assert list(iter_sse([b"data\n\n"])) == [ServerSentEvent("message", "")]


def test_job_events_are_typed_and_end_with_the_status(fake):
    body = (event("stdout", {"data": "1\n"}) + b": ping\n\n" + event("stderr", {"data": "oops\n"})
            + event("stdout", {"data": "2\n"}) + event("status", result(stdout="1\n2\n")))
    fake.route("GET", f"/api/jobs/{JOB}/events", sse_response([body[:13], body[13:40], body[40:41], body[41:]]))
    with fake.client() as nox:
        events = list(nox.exec.events(JOB))
    assert events[:3] == [OutputEvent("stdout", "1\n"), OutputEvent("stderr", "oops\n"), OutputEvent("stdout", "2\n")]
    assert isinstance(events[3], StatusEvent) and events[3].result.stdout == "1\n2\n"
    assert events[3].result.ok and events[3].result.final and events[3].result.duration_ms == 300
    assert fake.requests[0].headers["Accept"] == "text/event-stream"


def test_a_dropped_stream_is_resumed_without_repeating_output(fake):
    """The server replays everything on reconnect (merged into bigger chunks); only the
    part not yet delivered comes out."""
    first = event("stdout", {"data": "ab"}) + event("stderr", {"data": "E"})
    second = (event("stdout", {"data": "abc"}) + event("stderr", {"data": "E"}) + event("stdout", {"data": "d"})
              + event("status", result(stdout="abcd")))
    fake.route("GET", f"/api/jobs/{JOB}/events", sse_response([first]), sse_response([second]))
    with fake.client() as nox:
        events = list(nox.exec.events(JOB))
    outputs = [(e.stream, e.data) for e in events if isinstance(e, OutputEvent)]
    assert outputs == [("stdout", "ab"), ("stderr", "E"), ("stdout", "c"), ("stdout", "d")]
    assert isinstance(events[-1], StatusEvent)
    assert fake.sleeps == [0.5]


def test_a_stream_that_keeps_ending_early_gives_up(fake):
    fake.route("GET", f"/api/jobs/{JOB}/events", lambda request: sse_response([b": nothing\n\n"]))
    with fake.client() as nox, pytest.raises(NoxError) as info:
        list(nox.exec.events(JOB, reconnects=2))
    assert info.value.code == "incomplete_stream"
    assert len(fake.requests) == 3


def test_wait_returns_the_final_result(fake):
    fake.route("GET", f"/api/jobs/{JOB}/events",
               sse_response([event("stdout", {"data": "x"}), event("status", result("failed", "x", 3))]))
    with fake.client() as nox:
        final = nox.exec.wait(JOB)
    assert final.status == "failed" and final.exit_code == 3 and not final.ok


def test_events_of_an_unknown_job_is_not_found(fake):
    fake.route("GET", f"/api/jobs/{JOB}/events", error(404, "not_found", "No such job."))
    with fake.client() as nox, pytest.raises(NotFoundError):
        list(nox.exec.events(JOB))


def test_stream_submits_then_follows(fake):
    fake.route("POST", "/api/exec", ok({"id": JOB, "status": "queued"}, 202))
    fake.route("GET", f"/api/jobs/{JOB}/events", sse_response([event("status", result())]))
    with fake.client() as nox:
        events = list(nox.exec.stream("python", "print(1)", stdin="in"))
    assert json.loads(fake.bodies[0]) == {"language": "python", "code": "print(1)", "stdin": "in", "wait": False}
    assert len(events) == 1 and isinstance(events[0], StatusEvent)


def test_metrics_stream_yields_snapshots_and_skips_other_events(fake):
    snap = {"time": "2026-01-02T03:04:05Z", "cpu": {"percent": 12.5}, "memory": {"used_bytes": 1},
            "disk": {}, "load": [0.1, 0.2, 0.3], "services": {"auth": {"status": "ok"}}, "slices": {}}
    body = event("metrics", snap) + b": keep-alive\n\n" + event("hello", {}) + event("metrics", snap)
    fake.route("GET", "/api/metrics/stream", sse_response([body[:7], body[7:]]))
    with fake.client() as nox:
        snaps = list(nox.metrics.stream())
    assert len(snaps) == 2 and snaps[0].cpu == {"percent": 12.5} and snaps[0].load == [0.1, 0.2, 0.3]
    assert snaps[1].time.year == 2026


class RecordingStream(httpx.SyncByteStream):
    """A response body that records being closed."""

    def __init__(self, chunks: list[bytes]):
        self.chunks, self.closed = chunks, False

    def __iter__(self):
        yield from self.chunks

    def close(self):
        self.closed = True


def test_a_stream_closed_early_by_the_caller_closes_the_response(fake):
    body = RecordingStream([event("metrics", {"time": None})] * 3)
    fake.route("GET", "/api/metrics/stream", httpx.Response(200, headers={"Content-Type": "text/event-stream"},
                                                            stream=body))
    with fake.client() as nox:
        it = nox.metrics.stream()
        next(it)
        it.close()
    assert body.closed
