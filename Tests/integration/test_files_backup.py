"""Backups and restores of a user's sandbox: POST /api/backup, GET /api/backups (newest first,
paginated, at most 10 kept), GET/DELETE /api/backups/{id}, POST /api/restore from a backup id,
a multipart ``archive`` or a raw ``application/gzip`` body — the sandbox replaced exactly —
and hostile archives (``..``, absolute names, links, devices, FIFOs, not gzip, over quota)
refused with the sandbox unchanged."""

from __future__ import annotations

import os
import time

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    assert_details_name_field,
    assert_error,
    assert_json,
    describe,
    make_user,
    parse_rfc3339,
)
from helpers_files import (
    FOREIGN_UID,
    MIB,
    TarEntry,
    create_backup,
    delete_path,
    disk_entries,
    download_backup,
    exists_on_disk,
    get_bytes,
    list_all,
    list_backups,
    move,
    no_crashes_of_nox_files,
    put_ok,
    restore_json,
    restore_multipart,
    restore_raw,
    search_items,
    send,
    sh_in_sandbox,
    sha256_hex,
    tar_file_contents,
    tar_gz,
    tar_members,
    user_dir,
)


@pytest.fixture(scope="module", autouse=True)
def nox_files_never_crashes(nox):
    with no_crashes_of_nox_files(nox):
        yield


ORIGINAL = {
    "a.txt": b"alpha\n",
    "dir/b.bin": bytes(range(256)) * 8,
    "dir/sub/c.txt": "grüße, café\n".encode(),
    "empty.txt": b"",
}


def populate(nox, user, files: dict[str, bytes] = ORIGINAL) -> None:
    for path, data in files.items():
        put_ok(nox, user, path, data)


def snapshot(nox, user) -> dict[str, tuple[str, bytes | None]]:
    """path -> (type, content or None for dirs), from the API."""
    out = {}
    for item in list_all(nox, user, recursive=True):
        content = get_bytes(nox, user, item["path"]) if item["type"] == "file" else None
        out[item["path"]] = (item["type"], content)
    return out


def expected_snapshot(files: dict[str, bytes]) -> dict[str, tuple[str, bytes | None]]:
    out: dict[str, tuple[str, bytes | None]] = {}
    for path, data in files.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            out["/".join(parts[:i])] = ("dir", None)
        out[path] = ("file", data)
    return out


# =========================================================================== backup records


def test_backup_record_and_archive_match_the_sandbox(nox, make_user):
    user = make_user()
    populate(nox, user)
    record = create_backup(nox, user)
    assert record["file_count"] == len(ORIGINAL), f"expected file_count {len(ORIGINAL)}: {record}"
    assert isinstance(record["size"], int) and record["size"] > 0, f"expected a positive size: {record}"
    assert len(record["sha256"]) == 64 and record["sha256"] == record["sha256"].lower(), (
        f"expected sha256 as 64 lowercase hex digits: {record}"
    )
    parse_rfc3339(record["created_at"])
    resp = download_backup(nox, user, record["id"])
    assert resp.status_code == 200, f"expected 200 downloading the backup: {describe(resp)}"
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == "application/gzip", (
        f"expected Content-Type application/gzip: {describe(resp)}"
    )
    assert len(resp.content) == record["size"], f"expected {record['size']} bytes, got {len(resp.content)}"
    assert sha256_hex(resp.content) == record["sha256"], "expected the archive's sha256 to equal the record's"
    assert resp.content[:2] == b"\x1f\x8b", "expected a gzip stream"
    assert tar_file_contents(resp.content) == ORIGINAL, "expected the archive to hold exactly the sandbox's files"
    members = tar_members(resp.content)
    for name, m in members.items():
        assert not name.startswith("/") and ".." not in name.split("/"), f"expected relative member names: {name}"
        assert m.isfile() or m.isdir(), f"expected only files and directories in the archive: {name} type {m.type!r}"


def test_backup_of_an_empty_sandbox(nox, make_user):
    user = make_user()
    record = create_backup(nox, user)
    assert record["file_count"] == 0, f"expected file_count 0 for an empty sandbox: {record}"
    archive = download_backup(nox, user, record["id"]).content
    assert tar_file_contents(archive) == {}, "expected an archive without files"


def test_backups_are_listed_newest_first_and_paginated(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"x")
    created = []
    for i in range(3):
        created.append(create_backup(nox, user)["id"])
        if i < 2:
            time.sleep(1.1)  # distinct created_at even at one-second resolution
    listed = list_backups(nox, user)
    assert [b["id"] for b in listed] == list(reversed(created)), (
        f"expected the backups newest first: {[b['id'] for b in listed]} vs created {created}"
    )
    times = [parse_rfc3339(b["created_at"]) for b in listed]
    assert times == sorted(times, reverse=True), f"expected created_at descending: {times}"
    for b in listed:
        for key in ("id", "size", "sha256", "created_at", "file_count"):
            assert key in b, f"expected {key!r} in each listed backup: {b}"
    paged = list_backups(nox, user, limit=1)
    assert [b["id"] for b in paged] == [b["id"] for b in listed], "expected pages of 1 to give the same order"


def test_at_most_ten_backups_are_kept_oldest_pruned(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"x")
    oldest = create_backup(nox, user)["id"]
    time.sleep(1.1)
    later = [create_backup(nox, user)["id"] for _ in range(10)]
    ids = [b["id"] for b in list_backups(nox, user)]
    assert len(ids) == 10, f"expected exactly 10 backups kept: {ids}"
    assert oldest not in ids, f"expected the oldest backup {oldest} pruned: {ids}"
    assert set(ids) == set(later), f"expected the 10 newest kept: {ids}"
    assert_error(download_backup(nox, user, oldest), 404, "not_found")


def test_delete_a_backup(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"x")
    keep = create_backup(nox, user)
    gone = create_backup(nox, user)
    resp = send(nox, "DELETE", f"/api/backups/{gone['id']}", who=user)
    assert resp.status_code == 204 and resp.content == b"", f"expected 204 without a body: {describe(resp)}"
    assert [b["id"] for b in list_backups(nox, user)] == [keep["id"]], "expected only the other backup listed"
    assert_error(download_backup(nox, user, gone["id"]), 404, "not_found")
    assert_error(send(nox, "DELETE", f"/api/backups/{gone['id']}", who=user), 404, "not_found")
    assert_error(restore_json(nox, user, gone["id"]), 404, "not_found")
    assert download_backup(nox, user, keep["id"]).status_code == 200, "expected the other backup still there"


def test_unknown_backup_id_is_404(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"x")
    real = create_backup(nox, user)["id"]
    unknown = str(real)[:-4] + ("0000" if not str(real).endswith("0000") else "1111")
    for resp in (download_backup(nox, user, unknown), restore_json(nox, user, unknown),
                 send(nox, "DELETE", f"/api/backups/{unknown}", who=user),
                 download_backup(nox, user, "no-such-backup")):
        assert_error(resp, 404, "not_found")
    assert get_bytes(nox, user, "f.txt") == b"x", "expected the sandbox unchanged by a failed restore"


# =========================================================================== restore


def _change_everything(nox, user) -> None:
    put_ok(nox, user, "a.txt", b"changed after the backup\n", expect=200)
    assert delete_path(nox, user, "dir/sub", recursive=True).status_code == 204
    put_ok(nox, user, "new/after.txt", b"created after the backup\n", expect=201)
    assert_json(move(nox, user, "empty.txt", "moved/empty.txt"), 200)


def test_restore_by_backup_id_replaces_the_sandbox_exactly(nox, make_user):
    user = make_user()
    populate(nox, user)
    record = create_backup(nox, user)
    _change_everything(nox, user)
    resp = restore_json(nox, user, record["id"])
    body = assert_json(resp, 200)
    assert body.get("restored_files") == len(ORIGINAL), f"expected restored_files {len(ORIGINAL)}: {describe(resp)}"
    assert snapshot(nox, user) == expected_snapshot(ORIGINAL), (
        "expected exactly the backed-up files and directories, nothing created after the backup"
    )
    assert search_items(nox, user, "created") == [], "expected the search index to forget files gone by the restore"
    assert [h["path"] for h in search_items(nox, user, "alpha")] == ["a.txt"], "expected restored content searchable"


def test_restore_from_an_uploaded_multipart_archive(nox, make_user):
    user = make_user()
    populate(nox, user)
    record = create_backup(nox, user)
    archive = download_backup(nox, user, record["id"]).content
    _change_everything(nox, user)
    resp = restore_multipart(nox, user, archive)
    assert assert_json(resp, 200).get("restored_files") == len(ORIGINAL), f"expected restored_files: {describe(resp)}"
    assert snapshot(nox, user) == expected_snapshot(ORIGINAL), "expected the sandbox to equal the uploaded archive"


def test_restore_from_a_raw_gzip_body(nox, make_user):
    user = make_user()
    put_ok(nox, user, "old.txt", b"to be replaced\n")
    files = {"x.txt": b"from a hand-made archive\n", "d/y.txt": b"y\n"}
    archive = tar_gz([TarEntry("x.txt", data=files["x.txt"]), TarEntry("d", kind="dir"),
                      TarEntry("d/y.txt", data=files["d/y.txt"])])
    resp = restore_raw(nox, user, archive)
    assert assert_json(resp, 200).get("restored_files") == 2, f"expected restored_files 2: {describe(resp)}"
    assert snapshot(nox, user) == expected_snapshot(files), "expected the sandbox to equal the archive"


def test_restore_archive_with_dot_slash_names_and_no_directory_entries(nox, make_user):
    user = make_user()
    files = {"p/q/r.txt": b"deep\n", "top.txt": b"top\n"}
    archive = tar_gz([TarEntry("./p/q/r.txt", data=files["p/q/r.txt"]), TarEntry("./top.txt", data=files["top.txt"])])
    resp = restore_raw(nox, user, archive)
    assert assert_json(resp, 200).get("restored_files") == 2, f"expected restored_files 2: {describe(resp)}"
    assert snapshot(nox, user) == expected_snapshot(files), "expected parents created for members without dir entries"


def test_restore_replaces_files_a_run_made_unreadable(nox, make_user):
    user = make_user()
    populate(nox, user)
    record = create_backup(nox, user)
    sh_in_sandbox(nox, user.username, "umask 077; mkdir -p locked; echo private > locked/f.txt", uid=FOREIGN_UID)
    resp = restore_json(nox, user, record["id"])
    assert_json(resp, 200)
    assert snapshot(nox, user) == expected_snapshot(ORIGINAL), "expected the run's 0700 directory gone after restore"


def test_restore_request_that_is_not_json_is_400(nox, make_user):
    user = make_user()
    resp = send(nox, "POST", "/api/restore", who=user, data=b'{"backup_id": ', headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_json")


@pytest.mark.parametrize("body", [{}, {"backup_id": None}, {"backup_id": ["x"]}], ids=["missing", "null", "array"])
def test_restore_json_without_backup_id_is_422_naming_it(nox, make_user, body):
    user = make_user()
    resp = send(nox, "POST", "/api/restore", who=user, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, "backup_id", resp)


# =========================================================================== hostile archives


HOSTILE = {
    "dotdot": [TarEntry("ok.txt", data=b"ok"), TarEntry("../evil", data=b"escaped")],
    "dotdot-nested": [TarEntry("a/../../evil", data=b"escaped")],
    "absolute": [TarEntry("ok.txt", data=b"ok"), TarEntry("/abs", data=b"absolute")],
    "absolute-deep": [TarEntry("/tmp/nox-evil-absolute", data=b"absolute")],
    "symlink": [TarEntry("ok.txt", data=b"ok"), TarEntry("link", kind="symlink", linkname="/etc/passwd")],
    "symlink-relative": [TarEntry("link", kind="symlink", linkname="ok.txt"), TarEntry("ok.txt", data=b"ok")],
    "symlink-then-file-through-it": [TarEntry("esc", kind="symlink", linkname="/tmp"),
                                     TarEntry("esc/nox-evil-through", data=b"through")],
    "hardlink": [TarEntry("ok.txt", data=b"ok"), TarEntry("hl", kind="hardlink", linkname="ok.txt")],
    "hardlink-outside": [TarEntry("hl", kind="hardlink", linkname="/etc/passwd")],
    "char-device": [TarEntry("ok.txt", data=b"ok"), TarEntry("null", kind="chr")],
    "block-device": [TarEntry("disk", kind="blk")],
    "fifo": [TarEntry("ok.txt", data=b"ok"), TarEntry("pipe", kind="fifo")],
}


@pytest.fixture
def settled(nox, make_user):
    """A user with a known sandbox; returns (client, snapshot before)."""
    user = make_user()
    populate(nox, user)
    return user, snapshot(nox, user)


def _assert_unchanged(nox, user, before, what: str) -> None:
    assert snapshot(nox, user) == before, f"expected the sandbox unchanged after {what}"
    for outside in (f"{user_dir(user.username)}/evil", f"{user_dir(user.username)}/abs", "/abs", "/evil"):
        assert not exists_on_disk(nox, outside), f"expected nothing written outside the sandbox by {what}: {outside}"


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("how", ["raw", "multipart"])
def test_hostile_archive_is_422_invalid_archive_and_changes_nothing(nox, settled, name, how):
    user, before = settled
    archive = tar_gz(HOSTILE[name])
    resp = restore_raw(nox, user, archive) if how == "raw" else restore_multipart(nox, user, archive)
    assert_error(resp, 422, "invalid_archive")
    _assert_unchanged(nox, user, before, f"the {name} archive")


@pytest.mark.parametrize(
    "name", ["not-gzip", "plain-tar", "gzip-not-tar", "truncated", "empty-body"],
)
def test_archive_that_is_not_a_tar_gz_is_422_invalid_archive(nox, settled, name):
    import gzip

    user, before = settled
    if name == "not-gzip":
        blob = os.urandom(4096)
    elif name == "plain-tar":
        blob = tar_gz([TarEntry("x.txt", data=b"x")], compress=False)
    elif name == "gzip-not-tar":
        blob = gzip.compress(b"this is not a tar archive at all, just text\n" * 50)
    elif name == "truncated":
        full = tar_gz([TarEntry("x.txt", data=os.urandom(200_000))])
        blob = full[: len(full) // 2]
    else:
        blob = b""
    resp = restore_raw(nox, user, blob)
    assert_error(resp, 422, "invalid_archive")
    _assert_unchanged(nox, user, before, f"the {name} body")


def test_archive_over_the_disk_quota_is_507_and_changes_nothing(nox, make_user):
    user = make_user(quotas={"disk_mb": 1})
    populate(nox, user)
    before = snapshot(nox, user)
    # Zeros: a tiny archive whose content is 2 MiB — the quota counts content, not archive bytes.
    archive = tar_gz([TarEntry("big.bin", data=bytes(2 * MIB)), TarEntry("small.txt", data=b"s")])
    assert len(archive) < 100_000, "precondition: a small archive"
    resp = restore_raw(nox, user, archive)
    assert_error(resp, 507, "quota_exceeded")
    assert snapshot(nox, user) == before, "expected the sandbox unchanged after a restore over quota"
    leftovers = [p for p in disk_entries(nox, user.username) if p not in before]
    assert leftovers == [], f"expected no partial restore left on disk: {leftovers}"


def test_restore_of_exactly_the_quota_is_accepted(nox, make_user):
    user = make_user(quotas={"disk_mb": 1})
    put_ok(nox, user, "old.bin", os.urandom(900_000))  # replaced, so it does not count
    archive = tar_gz([TarEntry("full.bin", data=os.urandom(MIB))])
    resp = restore_raw(nox, user, archive)
    assert assert_json(resp, 200).get("restored_files") == 1, f"expected a restore of exactly 1 MiB accepted: {describe(resp)}"
    assert [i["path"] for i in list_all(nox, user, recursive=True)] == ["full.bin"], "expected only full.bin"
