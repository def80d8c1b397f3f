"""The Python client's files and backups against the installed Nox: streamed uploads and
downloads, ranges, listing page by page, multipart, move, search, delete, quota, backups
and restores (by id and from an uploaded archive)."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile

import pytest

from test_python_client import make_pyuser, pyadmin  # noqa: F401  (fixtures)

from nox_client import (  # noqa: E402
    AlreadyExistsError,
    DirectoryNotEmptyError,
    InvalidArchiveError,
    InvalidPathError,
    NotFoundError,
    QuotaExceededError,
)

MIB = 1024 * 1024


def test_streamed_upload_and_download_of_a_large_file(make_pyuser, tmp_path):
    client, _, _ = make_pyuser()
    data = os.urandom(5 * MIB + 123)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    progress = []
    written = client.files.upload("data/big.bin", local, progress=lambda done, total: progress.append((done, total)))
    digest = hashlib.sha256(data).hexdigest()
    assert (written.path, written.size, written.sha256) == ("data/big.bin", len(data), digest)
    assert progress[-1] == (len(data), len(data)) and len(progress) >= 5

    info = client.files.stat("data/big.bin")
    assert info.size == len(data) and info.etag and info.last_modified is not None

    dest = tmp_path / "copy.bin"
    got = client.files.download("data/big.bin", dest)
    assert (got.size, got.sha256) == (len(data), digest) and dest.read_bytes() == data
    assert got.etag == info.etag
    assert b"".join(client.files.iter_bytes("data/big.bin", chunk_size=MIB)) == data
    assert client.files.read_bytes("data/big.bin", offset=MIB, length=10) == data[MIB:MIB + 10]
    assert client.files.read_bytes("data/big.bin", offset=len(data) - 3) == data[-3:]


def test_upload_from_a_file_object_replaces_and_text_round_trips(make_pyuser):
    client, _, _ = make_pyuser()
    assert client.files.upload("notes.txt", io.BytesIO(b"first")).size == 5
    assert client.files.write_text("notes.txt", "gr\u00fc\u00dfe\n").size == len("gr\u00fc\u00dfe\n".encode())
    assert client.files.read_text("notes.txt") == "gr\u00fc\u00dfe\n"
    assert client.files.exists("notes.txt") and not client.files.exists("absent.txt")
    odd = "dir with space/#hash?.txt"
    client.files.write_bytes(odd, b"odd")
    assert client.files.read_bytes(odd) == b"odd"


def test_listing_page_by_page_and_recursively(make_pyuser):
    client, _, _ = make_pyuser()
    names = [f"pg/f{i}.txt" for i in range(5)]
    for name in names:
        client.files.write_text(name, name)
    client.files.write_text("pg/sub/deep.txt", "deep")
    first = client.files.list("pg", limit=2)
    assert [e.path for e in first.items] == names[:2] and first.next_cursor
    second = client.files.list("pg", limit=2, cursor=first.next_cursor)
    assert [e.path for e in second.items] == names[2:4]
    flat = list(client.files.iter("pg", page_size=2))
    assert [e.path for e in flat] == names + ["pg/sub"] and flat[-1].is_dir
    deep = {e.path for e in client.files.iter("", recursive=True, page_size=3)}
    assert {"pg", "pg/sub", "pg/sub/deep.txt", *names} <= deep
    entry = flat[0]
    assert (entry.name, entry.type, entry.size) == ("f0.txt", "file", len(names[0])) and entry.modified


def test_multipart_upload_into_a_folder(make_pyuser, tmp_path):
    client, _, _ = make_pyuser()
    local = tmp_path / "local.txt"
    local.write_bytes(b"from disk\n")
    items = client.files.upload_many([local, ("b.bin", b"\x00\x01"), ("c.txt", io.BytesIO(b"file object"))],
                                     dir="inbox")
    assert [i.path for i in items] == ["inbox/local.txt", "inbox/b.bin", "inbox/c.txt"]
    assert client.files.read_bytes("inbox/c.txt") == b"file object"
    assert items[1].sha256 == hashlib.sha256(b"\x00\x01").hexdigest()


def test_move_search_delete(make_pyuser):
    client, _, _ = make_pyuser()
    client.files.write_text("src/hello.py", "def greet():\n    return 'zebracorn'\n")
    client.files.write_text("other.txt", "x")
    moved = client.files.move("src/hello.py", "lib/hello.py")
    assert moved.path == "lib/hello.py" and not client.files.exists("src/hello.py")
    with pytest.raises(AlreadyExistsError):
        client.files.move("other.txt", "lib/hello.py")
    assert client.files.move("other.txt", "lib/hello.py", overwrite=True).size == 1
    client.files.write_text("lib/hello.py", "def greet():\n    return 'zebracorn'\n")

    hits = client.files.search("zebracorn")
    content = [h for h in hits if h.line is not None]
    assert content and content[0].path == "lib/hello.py" and content[0].line == 2
    start, end = content[0].highlights[0]
    assert content[0].snippet[start:end].lower() == "zebracorn"
    assert client.files.search("zebracorn", path="src") == []

    with pytest.raises(DirectoryNotEmptyError):
        client.files.delete("lib")
    client.files.delete("lib", recursive=True)
    with pytest.raises(NotFoundError):
        client.files.delete("lib")


def test_bad_paths_and_the_disk_quota(make_pyuser):
    client, _, _ = make_pyuser(quotas={"disk_mb": 1})
    for bad in ("../escape.txt", "a/../../b", "a/.."):
        with pytest.raises(InvalidPathError) as info:
            client.files.read_bytes(bad)  # refused by the client itself
        assert info.value.status is None
    for bad in ("/etc/passwd", "back\\slash", "n" * 256):
        with pytest.raises(InvalidPathError) as info:
            client.files.write_bytes(bad, b"x")
        assert info.value.status == 400
    client.files.upload("full.bin", os.urandom(MIB))
    with pytest.raises(QuotaExceededError) as info:
        client.files.write_bytes("one-more.bin", b"x")
    assert info.value.status == 507
    assert not client.files.exists("one-more.bin")


def test_backup_download_restore_by_id_and_by_upload(make_pyuser, tmp_path):
    client, _, _ = make_pyuser()
    client.files.write_text("keep/a.txt", "alpha\n")
    client.files.write_bytes("keep/b.bin", bytes(range(256)))
    backup = client.backups.create()
    assert backup.id.startswith("bk_") and backup.size > 0 and backup.file_count == 2
    assert backup.id in [b.id for b in client.backups.iter(page_size=1)]

    archive = tmp_path / "backup.tar.gz"
    got = client.backups.download(backup.id, archive)
    assert got.size == backup.size and got.sha256 == backup.sha256
    with tarfile.open(archive) as tar:
        assert {"keep/a.txt", "keep/b.bin"} <= {m.name.lstrip("./") for m in tar.getmembers() if m.isfile()}

    client.files.delete("keep", recursive=True)
    client.files.write_text("stray.txt", "gone after restore")
    assert client.backups.restore(backup.id) == 2
    assert client.files.read_text("keep/a.txt") == "alpha\n" and not client.files.exists("stray.txt")

    client.files.delete("keep/a.txt")
    assert client.backups.restore(archive=archive) == 2
    assert client.files.read_bytes("keep/b.bin") == bytes(range(256))
    with pytest.raises(InvalidArchiveError):
        client.backups.restore(archive=b"this is not a gzip-compressed tar")

    client.backups.delete(backup.id)
    assert backup.id not in [b.id for b in client.backups.iter()]
    with pytest.raises(NotFoundError):
        client.backups.download(backup.id, tmp_path / "never.tar.gz")
    assert not (tmp_path / "never.tar.gz").exists()
