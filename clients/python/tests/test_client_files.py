"""Files and backups: paths in URLs, streamed uploads and downloads, multipart, restore."""

from __future__ import annotations

import hashlib
import io
import json
import os

import httpx
import pytest
from fakenox import error, ok

from nox_client import DirectoryNotEmptyError, InvalidPathError, NoxConnectionError

ENTRY = {"path": "src/a.py", "name": "a.py", "type": "file", "size": 3, "modified": "2026-01-02T03:04:05Z"}


def written(path: str, data: bytes) -> dict:
    return {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def echo_put(request: httpx.Request) -> httpx.Response:
    path = request.url.path.removeprefix("/api/files/")
    return ok(written(path, request.read()), 201)


@pytest.mark.parametrize("path,raw", [
    ("a b/c#d?.txt", "/api/files/a%20b/c%23d%3F.txt"),
    ("x/./y", "/api/files/x/%2E/y"),
    ("/abs//double/", "/api/files//abs//double/"),
    ("move", "/api/files/move"),
    ("\u00e9t\u00e9.txt", "/api/files/%C3%A9t%C3%A9.txt"),
])
def test_sandbox_paths_reach_the_server_as_given(fake, path, raw):
    """Every segment is encoded on its own; ``.`` too, so the HTTP library cannot resolve it
    away. What the path means is the server's to judge."""
    fake.route("DELETE", httpx.URL("https://h" + raw).path, ok(status=204))
    with fake.client() as nox:
        nox.files.delete(path)
    assert fake.requests[0].url.raw_path.decode() == raw


@pytest.mark.parametrize("path", ["..", "../x", "a/../b", "a/.."])
def test_dotdot_segments_are_refused_before_sending(fake, path):
    with fake.client() as nox:
        for call in (nox.files.read_bytes, nox.files.delete, nox.files.stat,
                     lambda p: nox.files.upload(p, b"x"), lambda p: nox.files.download(p, io.BytesIO())):
            with pytest.raises(InvalidPathError) as info:
                call(path)
            assert info.value.code == "invalid_path" and info.value.details == {"path": path}
    assert fake.requests == []


def test_upload_streams_a_local_file_with_its_length_and_progress(fake, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    fake.route("PUT", "/api/files/dir/big.bin", echo_put)
    progress = []
    with fake.client() as nox:
        result = nox.files.upload("dir/big.bin", local, progress=lambda done, total: progress.append((done, total)),
                                  chunk_size=1024 * 1024)
    assert result.size == len(data) and result.sha256 == hashlib.sha256(data).hexdigest()
    request = fake.requests[0]
    assert request.headers["Content-Length"] == str(len(data))
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert fake.bodies[0] == data
    assert [d for d, _ in progress] == [1 << 20, 2 << 20, 3 << 20, len(data)]
    assert {t for _, t in progress} == {len(data)}


def test_upload_from_a_file_object_and_bytes_and_text(fake):
    fake.route("PUT", "/api/files/f.txt", echo_put)
    with fake.client() as nox:
        nox.files.upload("f.txt", io.BytesIO(b"from a file object"))
        nox.files.write_bytes("f.txt", b"raw bytes")
        nox.files.write_text("f.txt", "t\u00e9xt")
    assert fake.bodies == [b"from a file object", b"raw bytes", "t\u00e9xt".encode()]


def test_upload_refuses_a_text_stream(fake):
    fake.route("PUT", "/api/files/f.txt", echo_put)
    with fake.client() as nox, pytest.raises(TypeError):
        nox.files.upload("f.txt", io.StringIO("text"))


def test_download_to_a_path_streams_and_replaces_atomically(fake, tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 5)
    fake.route("GET", "/api/files/big.bin", httpx.Response(
        200, headers={"ETag": '"e1"', "Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        content=iter([data[:1000], data[1000:]])))
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old content")
    progress = []
    with fake.client() as nox:
        got = nox.files.download("big.bin", dest, progress=lambda d, t: progress.append((d, t)))
    assert dest.read_bytes() == data
    assert (got.size, got.sha256, got.etag, got.path) == (len(data), hashlib.sha256(data).hexdigest(), '"e1"',
                                                          str(dest))
    assert progress[-1] == (len(data), len(data))
    assert fake.requests[0].headers["Accept-Encoding"] == "identity"
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]


def test_a_download_cut_off_leaves_the_old_file_and_no_leftovers(fake, tmp_path):
    def chunks():
        yield b"first part"
        raise httpx.ReadError("connection reset")

    fake.route("GET", "/api/files/f", httpx.Response(200, content=chunks()))
    dest = tmp_path / "f"
    dest.write_bytes(b"old")
    with fake.client() as nox, pytest.raises(NoxConnectionError):
        nox.files.download("f", dest)
    assert dest.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f"]


def test_download_into_a_file_object_and_iter_bytes(fake):
    fake.route("GET", "/api/files/f", lambda r: httpx.Response(200, content=iter([b"ab", b"cd", b"e"])))
    sink = io.BytesIO()
    with fake.client() as nox:
        got = nox.files.download("f", sink)
        chunks = b"".join(nox.files.iter_bytes("f"))
    assert sink.getvalue() == b"abcde" and got.size == 5 and got.path is None
    assert chunks == b"abcde"


def test_read_bytes_with_a_range(fake):
    fake.route("GET", "/api/files/f", httpx.Response(206, content=b"cde"))
    with fake.client() as nox:
        assert nox.files.read_bytes("f", offset=2, length=3) == b"cde"
        nox.files.read_bytes("f", offset=4)
    assert [r.headers.get("Range") for r in fake.requests] == ["bytes=2-4", "bytes=4-"]


def test_stat_and_exists_use_head(fake):
    fake.route("HEAD", "/api/files/f", httpx.Response(200, headers={
        "Content-Length": "42", "ETag": '"abc"', "Content-Type": "text/plain",
        "Last-Modified": "Fri, 02 Jan 2026 03:04:05 GMT"}))
    fake.route("HEAD", "/api/files/missing", httpx.Response(404))
    with fake.client() as nox:
        info = nox.files.stat("f")
        assert nox.files.exists("f") and not nox.files.exists("missing")
    assert (info.size, info.etag, info.content_type, info.last_modified.day) == (42, '"abc"', "text/plain", 2)


def test_list_and_iterate(fake):
    fake.route("GET", "/api/files", ok({"items": [ENTRY, {**ENTRY, "path": "src", "name": "src", "type": "dir",
                                                          "size": 0}], "next_cursor": None}))
    with fake.client() as nox:
        page = nox.files.list("src", recursive=True, limit=10)
    assert dict(fake.requests[0].url.params) == {"path": "src", "recursive": "true", "limit": "10"}
    assert [(e.path, e.is_dir) for e in page.items] == [("src/a.py", False), ("src", True)]
    assert page.items[0].modified.year == 2026


def test_upload_many_sends_dir_first_then_each_file(fake, tmp_path):
    local = tmp_path / "local.txt"
    local.write_bytes(b"from disk")
    fake.route("POST", "/api/files", ok({"items": [written("in/local.txt", b"from disk"),
                                                  written("in/b.bin", b"bytes"), written("in/c.txt", b"obj")]}, 201))
    with fake.client() as nox:
        items = nox.files.upload_many([local, ("b.bin", b"bytes"), ("c.txt", io.BytesIO(b"obj"))], dir="in")
    assert [i.path for i in items] == ["in/local.txt", "in/b.bin", "in/c.txt"]
    request, body = fake.requests[0], fake.bodies[0]
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert body.index(b'name="dir"') < body.index(b'filename="local.txt"') < body.index(b'filename="b.bin"')
    assert b"from disk" in body and b"bytes" in body and b"obj" in body
    assert body.count(b'name="files"') == 3


def test_delete_move_search(fake):
    fake.route("DELETE", "/api/files/d", error(409, "directory_not_empty", "Not empty."), ok(status=204))
    fake.route("POST", "/api/files/move", ok({**ENTRY, "path": "b.py", "name": "b.py"}))
    fake.route("POST", "/api/files/search", ok({"items": [
        {"path": "a.py", "line": 3, "snippet": "def hello():", "highlights": [[4, 9]]},
        {"path": "hello.txt", "snippet": "hello.txt", "highlights": [[0, 5]]}]}))
    with fake.client() as nox:
        with pytest.raises(DirectoryNotEmptyError):
            nox.files.delete("d")
        nox.files.delete("d", recursive=True)
        moved = nox.files.move("a.py", "b.py", overwrite=True)
        hits = nox.files.search("hello", path="src", limit=5)
    assert [r.url.params.get("recursive") for r in fake.calls("DELETE", "/api/files/d")] == [None, "true"]
    assert moved.path == "b.py"
    assert json.loads(fake.calls("POST", "/api/files/move")[0].content) == {"from": "a.py", "to": "b.py",
                                                                            "overwrite": True}
    assert json.loads(fake.calls("POST", "/api/files/search")[0].content) == {"query": "hello", "path": "src",
                                                                              "limit": 5}
    assert (hits[0].line, hits[0].highlights, hits[1].line) == (3, [(4, 9)], None)


def test_invalid_path_error_names_the_field(fake):
    fake.route("GET", "/api/files", error(400, "invalid_path", "Bad path.", {"field": "path"}))
    with fake.client() as nox, pytest.raises(InvalidPathError) as info:
        nox.files.list("../x")
    assert info.value.field == "path" and info.value.status == 400


BACKUP = {"id": "bk_" + "1" * 32, "size": 120, "sha256": "0" * 64, "created_at": "2026-01-02T03:04:05Z",
          "file_count": 2}


def test_backups_create_list_download_delete(fake, tmp_path):
    fake.route("POST", "/api/backup", ok(BACKUP, 201))
    fake.route("GET", "/api/backups", ok({"items": [BACKUP], "next_cursor": None}))
    fake.route("GET", f"/api/backups/{BACKUP['id']}", httpx.Response(200, content=b"\x1f\x8barchive"))
    fake.route("DELETE", f"/api/backups/{BACKUP['id']}", ok(status=204))
    with fake.client() as nox:
        made = nox.backups.create()
        listed = list(nox.backups.iter())
        got = nox.backups.download(made.id, tmp_path / "b.tar.gz")
        nox.backups.delete(made.id)
    assert made.file_count == 2 and listed == [made]
    assert (tmp_path / "b.tar.gz").read_bytes() == b"\x1f\x8barchive" and got.size == 9
    assert [r.method for r in fake.requests] == ["POST", "GET", "GET", "DELETE"]


def test_restore_by_id_or_from_an_uploaded_archive(fake, tmp_path):
    fake.route("POST", "/api/restore", ok({"restored_files": 4}))
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + b"z" * 100)
    with fake.client() as nox:
        assert nox.backups.restore(BACKUP["id"]) == 4
        assert nox.backups.restore(archive=archive) == 4
        with pytest.raises(ValueError):
            nox.backups.restore()
    first, second = fake.requests
    assert json.loads(first.content) == {"backup_id": BACKUP["id"]}
    assert second.headers["Content-Type"] == "application/gzip" and fake.bodies[1] == archive.read_bytes()
