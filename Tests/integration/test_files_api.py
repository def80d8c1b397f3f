"""nox-files over HTTP, as a client sees it through nginx: PUT/GET/HEAD (ETag, Range,
If-None-Match, Content-Type), listings (sorting, pagination, validation), multipart upload,
DELETE, move, full-text search, the disk quota, and the sandbox shared with code runs
(files written by another uid, mode 0600, are still listed, read, searched and deleted)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    admin,
    assert_details_name_field,
    assert_error,
    assert_json,
    describe,
    make_user,
    parse_rfc3339,
    wait_until,
)
from helpers_files import (
    FOREIGN_UID,
    MIB,
    RUN_GROUP,
    Field,
    FilePart,
    assert_list_item,
    delete_path,
    disk_entries,
    ensure_sandbox,
    exists_on_disk,
    get_bytes,
    get_file,
    list_all,
    list_page,
    list_paths,
    move,
    multipart,
    no_crashes_of_nox_files,
    put_file,
    put_ok,
    raw_upload,
    sandbox_dir,
    search,
    search_items,
    send,
    set_disk_quota,
    sh_in_sandbox,
    sha256_hex,
    stat_on_disk,
    upload,
)


@pytest.fixture(scope="module", autouse=True)
def nox_files_never_crashes(nox):
    with no_crashes_of_nox_files(nox):
        yield


def byte_sorted(paths: list[str]) -> list[str]:
    return sorted(paths, key=lambda p: p.encode())


# =========================================================================== PUT


def test_put_new_file_is_201_and_replacing_it_is_200(nox, make_user):
    user = make_user()
    first = put_ok(nox, user, "notes/a.txt", b"first version\n", expect=201)
    assert first["path"] == "notes/a.txt", f"expected the canonical path 'notes/a.txt': {first}"
    second = put_ok(nox, user, "notes/a.txt", b"second, longer version\n", expect=200)
    assert second["sha256"] != first["sha256"], f"expected a new sha256 after replacing: {first} {second}"
    assert get_bytes(nox, user, "notes/a.txt") == b"second, longer version\n", "expected GET to return the replacement"


def test_put_sha256_is_lowercase_hex(nox, make_user):
    user = make_user()
    data = os.urandom(4096)
    body = put_ok(nox, user, "r.bin", data)
    assert body["sha256"] == body["sha256"].lower() and len(body["sha256"]) == 64, (
        f"expected 64 lowercase hex digits: {body}"
    )


def test_put_empty_body_makes_an_empty_file(nox, make_user):
    user = make_user()
    put_ok(nox, user, "empty.txt", b"", expect=201)
    resp = get_file(nox, user, "empty.txt")
    assert resp.status_code == 200 and resp.content == b"", f"expected 200 with an empty body: {describe(resp)}"


def test_put_creates_parent_directories(nox, make_user):
    user = make_user()
    put_ok(nox, user, "a/b/c/deep.txt", b"deep\n", expect=201)
    items = list_paths(nox, user, recursive=True)
    for d in ("a", "a/b", "a/b/c"):
        assert d in items and items[d]["type"] == "dir", f"expected parent directory {d!r} to be created: {items}"
    assert items["a/b/c/deep.txt"]["type"] == "file", f"expected the file in the listing: {items}"


def test_put_onto_a_directory_is_409_is_a_directory(nox, make_user):
    user = make_user()
    put_ok(nox, user, "d/inner.txt", b"x")
    resp = put_file(nox, user, "d", b"would replace a directory")
    assert_error(resp, 409, "is_a_directory")
    assert get_bytes(nox, user, "d/inner.txt") == b"x", "expected the directory's content untouched"


def test_put_below_a_file_is_409_not_a_directory(nox, make_user):
    user = make_user()
    put_ok(nox, user, "plain.txt", b"I am a file")
    resp = put_file(nox, user, "plain.txt/child.txt", b"x")
    assert_error(resp, 409, "not_a_directory")
    assert get_bytes(nox, user, "plain.txt") == b"I am a file", "expected the file untouched"


def test_unicode_space_and_percent_names_round_trip(nox, make_user):
    user = make_user()
    path = "Ünïcødé dir/100% done & more.txt"
    put_ok(nox, user, path, "grüße\n".encode())
    assert get_bytes(nox, user, path) == "grüße\n".encode(), f"expected the content of {path!r}"
    assert path in list_paths(nox, user, recursive=True), f"expected {path!r} in the recursive listing"


# =========================================================================== GET / HEAD


def test_get_returns_exact_bytes_and_headers(nox, make_user):
    user = make_user()
    data = bytes(range(256)) * 40 + os.urandom(1000)
    put_ok(nox, user, "blob.bin", data)
    resp = get_file(nox, user, "blob.bin")
    assert resp.status_code == 200, f"expected 200: {describe(resp)}"
    assert resp.content == data, f"expected the exact {len(data)} bytes back, got {len(resp.content)}"
    h = resp.headers
    assert h.get("Content-Length") == str(len(data)), f"expected Content-Length {len(data)}: {dict(h)}"
    etag = h.get("ETag", "")
    assert len(etag) >= 3 and etag.endswith('"') and (etag.startswith('"') or etag.startswith('W/"')), (
        f"expected a quoted ETag: {dict(h)}"
    )
    assert h.get("Accept-Ranges") == "bytes", f"expected Accept-Ranges: bytes: {dict(h)}"
    assert h.get("Last-Modified"), f"expected a Last-Modified header: {dict(h)}"
    modified = parsedate_to_datetime(h["Last-Modified"])
    assert abs(modified - datetime.now(timezone.utc)) < timedelta(minutes=10), (
        f"expected a Last-Modified of about now: {h.get('Last-Modified')}"
    )
    # nginx adds nosniff to every response too: a repeated header arrives joined ("nosniff, nosniff").
    nosniff = [v.strip().lower() for v in h.get("X-Content-Type-Options", "").split(",")]
    assert nosniff and set(nosniff) == {"nosniff"}, f"expected X-Content-Type-Options: nosniff: {dict(h)}"
    assert "sandbox" in h.get("Content-Security-Policy", ""), f"expected Content-Security-Policy: sandbox: {dict(h)}"
    assert h.get("X-Request-Id"), f"expected X-Request-Id: {dict(h)}"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("readme.txt", "text/plain; charset=utf-8"),
        ("data.json", "application/json"),
        ("script.py", "text/x-python"),
        ("mystery.zzqx", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_content_type_is_guessed_from_the_extension(nox, make_user, name, expected):
    user = make_user()
    put_ok(nox, user, name, b'{"k": 1}\n' if name.endswith(".json") else b"print('hi')\n")
    resp = get_file(nox, user, name)
    assert resp.status_code == 200, f"expected 200: {describe(resp)}"
    got = resp.headers.get("Content-Type", "")
    norm = lambda v: v.replace(" ", "").lower()  # noqa: E731
    if ";" in expected:
        assert norm(got) == norm(expected), f"expected Content-Type {expected!r} for {name}, got {got!r}"
    else:
        assert norm(got).split(";")[0] == expected, f"expected Content-Type {expected!r} for {name}, got {got!r}"


def test_head_has_the_headers_of_get_but_no_body(nox, make_user):
    user = make_user()
    data = b"head me\n" * 100
    put_ok(nox, user, "h.txt", data)
    get = get_file(nox, user, "h.txt")
    head = get_file(nox, user, "h.txt", method="HEAD")
    assert head.status_code == 200, f"expected HEAD to answer 200: {describe(head)}"
    assert head.content == b"", f"expected HEAD without a body: {describe(head)}"
    assert head.headers.get("Content-Length") == str(len(data)), f"expected Content-Length {len(data)} on HEAD"
    for name in ("ETag", "Content-Type", "Accept-Ranges", "Last-Modified"):
        assert head.headers.get(name) == get.headers.get(name), (
            f"expected HEAD's {name} to equal GET's: {head.headers.get(name)!r} vs {get.headers.get(name)!r}"
        )


def test_if_none_match_gives_304_and_etag_follows_the_content(nox, make_user):
    user = make_user()
    put_ok(nox, user, "e.txt", b"version 1\n")
    etag = get_file(nox, user, "e.txt").headers.get("ETag")
    assert etag, "expected an ETag on GET"
    resp = get_file(nox, user, "e.txt", headers={"If-None-Match": etag})
    assert resp.status_code == 304, f"expected 304 for If-None-Match equal to the ETag: {describe(resp)}"
    assert resp.content == b"", f"expected 304 without a body: {describe(resp)}"
    resp = get_file(nox, user, "e.txt", headers={"If-None-Match": "*"})
    assert resp.status_code == 304, f"expected 304 for If-None-Match: *: {describe(resp)}"
    resp = get_file(nox, user, "e.txt", headers={"If-None-Match": '"not-the-etag"'})
    assert resp.status_code == 200 and resp.content == b"version 1\n", f"expected 200 for another ETag: {describe(resp)}"
    put_ok(nox, user, "e.txt", b"version 2\n", expect=200)
    new = get_file(nox, user, "e.txt", headers={"If-None-Match": etag})
    assert new.status_code == 200 and new.content == b"version 2\n", (
        f"expected 200 with the new content once the old ETag no longer matches: {describe(new)}"
    )
    assert new.headers.get("ETag") != etag, f"expected a different ETag after the content changed ({etag})"


RANGE_DATA = bytes((i * 7) % 251 for i in range(1000))


@pytest.mark.parametrize(
    "spec, start, end",
    [("bytes=2-5", 2, 5), ("bytes=990-", 990, 999), ("bytes=-3", 997, 999), ("bytes=0-0", 0, 0),
     ("bytes=995-5000", 995, 999)],
    ids=["a-b", "a-", "-n", "first-byte", "end-beyond-size"],
)
def test_range_requests_give_206_with_content_range(nox, make_user, spec, start, end):
    user = make_user()
    put_ok(nox, user, "r.bin", RANGE_DATA)
    resp = get_file(nox, user, "r.bin", headers={"Range": spec})
    assert resp.status_code == 206, f"expected 206 for Range {spec}: {describe(resp)}"
    assert resp.content == RANGE_DATA[start:end + 1], f"expected bytes {start}-{end} for Range {spec}"
    assert resp.headers.get("Content-Range") == f"bytes {start}-{end}/{len(RANGE_DATA)}", (
        f"expected Content-Range 'bytes {start}-{end}/{len(RANGE_DATA)}': {dict(resp.headers)}"
    )


@pytest.mark.parametrize("spec", ["bytes=1000-", "bytes=5000-6000"])
def test_unsatisfiable_range_is_416(nox, make_user, spec):
    user = make_user()
    put_ok(nox, user, "r.bin", RANGE_DATA)
    resp = get_file(nox, user, "r.bin", headers={"Range": spec})
    assert resp.status_code == 416, f"expected 416 for Range {spec} on a 1000-byte file: {describe(resp)}"
    assert resp.headers.get("Content-Range") == f"bytes */{len(RANGE_DATA)}", (
        f"expected Content-Range 'bytes */1000' on 416: {dict(resp.headers)}"
    )


def test_get_a_directory_is_409_and_a_missing_file_404(nox, make_user):
    user = make_user()
    put_ok(nox, user, "dir/f.txt", b"x")
    assert_error(get_file(nox, user, "dir"), 409, "is_a_directory")
    assert_error(get_file(nox, user, "nope.txt"), 404, "not_found")
    assert_error(get_file(nox, user, "dir/nope/deeper.txt"), 404, "not_found")


# =========================================================================== listing


def test_listing_items_have_the_contract_shape(nox, make_user):
    user = make_user()
    before = datetime.now(timezone.utc) - timedelta(minutes=5)
    put_ok(nox, user, "one.txt", b"12345")
    put_ok(nox, user, "sub/two.txt", b"x")
    items = {i["path"]: i for i in list_all(nox, user)}
    assert set(items) == {"one.txt", "sub"}, f"expected exactly one.txt and sub at the root: {sorted(items)}"
    for item in items.values():
        assert_list_item(item)
    assert items["one.txt"]["type"] == "file" and items["one.txt"]["size"] == 5, f"expected a 5-byte file: {items}"
    assert items["sub"]["type"] == "dir", f"expected sub to be a dir: {items}"
    modified = parse_rfc3339(items["one.txt"]["modified"])
    assert before <= modified <= datetime.now(timezone.utc) + timedelta(minutes=5), (
        f"expected modified to be about now: {items['one.txt']}"
    )


def test_listing_is_sorted_by_path_in_byte_order(nox, make_user):
    user = make_user()
    names = ["b.txt", "B.txt", "_x", "é.txt", "a.txt", "Z", "a-b", "a0"]
    for n in names:
        put_ok(nox, user, n, n.encode())
    put_ok(nox, user, "a/inner.txt", b"x")  # byte order puts a-b and a.txt between a and a/inner.txt
    paths = [i["path"] for i in list_all(nox, user, recursive=True)]
    assert paths == byte_sorted(paths), f"expected the items sorted by path in byte order, got {paths}"
    assert set(paths) == set(names) | {"a", "a/inner.txt"}, f"expected every entry listed once: {paths}"
    top = [i["path"] for i in list_all(nox, user)]
    assert top == byte_sorted(set(names) | {"a"}), f"expected the root's children in byte order: {top}"


def test_non_recursive_lists_children_only_recursive_lists_all(nox, make_user):
    user = make_user()
    for p in ("top.txt", "d1/mid.txt", "d1/d2/low.txt"):
        put_ok(nox, user, p, p.encode())
    flat = {i["path"] for i in list_all(nox, user)}
    assert flat == {"top.txt", "d1"}, f"expected only the root's children without recursive: {flat}"
    deep = {i["path"] for i in list_all(nox, user, recursive=True)}
    assert deep == {"top.txt", "d1", "d1/mid.txt", "d1/d2", "d1/d2/low.txt"}, f"expected everything recursively: {deep}"
    sub = {i["path"] for i in list_all(nox, user, path="d1")}
    assert sub == {"d1/mid.txt", "d1/d2"}, f"expected d1's children with paths relative to the root: {sub}"
    subdeep = {i["path"] for i in list_all(nox, user, path="d1", recursive=True)}
    assert subdeep == {"d1/mid.txt", "d1/d2", "d1/d2/low.txt"}, f"expected everything below d1: {subdeep}"


@pytest.mark.parametrize("root", ["", "/"], ids=["empty", "slash"])
def test_listing_root_spelled_empty_or_slash(nox, make_user, root):
    user = make_user()
    put_ok(nox, user, "r.txt", b"x")
    items = list_all(nox, user, path=root)
    assert [i["path"] for i in items] == ["r.txt"], f"expected ?path={root!r} to be the root: {items}"


def test_listing_empty_sandbox_is_an_empty_page(nox, make_user):
    user = make_user()
    resp = list_page(nox, user)
    body = assert_json(resp, 200)
    assert body.get("items") == [] and "next_cursor" in body and body["next_cursor"] is None, (
        f"expected {{items: [], next_cursor: null}}: {describe(resp)}"
    )


def test_listing_pagination_walks_every_item_once_in_order(nox, make_user):
    user = make_user()
    names = [f"f{i:02d}.txt" for i in range(7)] + ["dir"]
    for n in names[:-1]:
        put_ok(nox, user, n, b"x")
    put_ok(nox, user, "dir/x.txt", b"x")
    first = assert_json(list_page(nox, user, limit=3), 200)
    assert len(first["items"]) == 3 and isinstance(first["next_cursor"], str), (
        f"expected a full page of 3 and a next_cursor: {first}"
    )
    paged = [i["path"] for i in list_all(nox, user, limit=3)]
    whole = [i["path"] for i in list_all(nox, user, limit=1000)]
    assert paged == whole, f"expected pages of 3 to give the same sequence as one page: {paged} vs {whole}"
    assert sorted(paged) == sorted(names), f"expected every entry exactly once: {paged}"


def test_listing_a_missing_directory_is_404_and_a_file_409(nox, make_user):
    user = make_user()
    put_ok(nox, user, "file.txt", b"x")
    assert_error(list_page(nox, user, path="nope"), 404, "not_found")
    assert_error(list_page(nox, user, path="file.txt"), 409, "not_a_directory")


@pytest.mark.parametrize("limit", [0, 1001, "x", -1, "1.5"])
def test_listing_bad_limit_is_422(nox, make_user, limit):
    user = make_user()
    err = assert_error(list_page(nox, user, limit=limit), 422, "validation_failed")
    assert "limit" in str(err.get("details")), f"expected details to name 'limit': {err}"


def test_listing_limit_1000_is_accepted(nox, make_user):
    user = make_user()
    assert_json(list_page(nox, user, limit=1000), 200)


# =========================================================================== multipart upload


def test_multipart_upload_into_a_dir(nox, make_user):
    user = make_user()
    a, b = b"alpha\n", os.urandom(3000)
    resp = upload(nox, user, [("a.txt", a), ("b.bin", b)], dir="inbox/2024")
    body = assert_json(resp, 201)
    items = {i["path"]: i for i in body.get("items", [])}
    assert set(items) == {"inbox/2024/a.txt", "inbox/2024/b.bin"}, f"expected both files under the dir: {describe(resp)}"
    assert items["inbox/2024/a.txt"]["size"] == len(a) and items["inbox/2024/a.txt"]["sha256"] == sha256_hex(a), (
        f"expected size and sha256 of a.txt: {items}"
    )
    assert items["inbox/2024/b.bin"]["sha256"] == sha256_hex(b), f"expected sha256 of b.bin: {items}"
    assert get_bytes(nox, user, "inbox/2024/a.txt") == a, "expected a.txt's content"
    assert get_bytes(nox, user, "inbox/2024/b.bin") == b, "expected b.bin's content"


def test_multipart_upload_without_dir_goes_to_the_root(nox, make_user):
    user = make_user()
    body = assert_json(upload(nox, user, [("root.txt", b"r")]), 201)
    assert [i["path"] for i in body["items"]] == ["root.txt"], f"expected root.txt at the root: {body}"
    assert get_bytes(nox, user, "root.txt") == b"r", "expected the uploaded content"


def test_multipart_upload_replaces_an_existing_file(nox, make_user):
    user = make_user()
    put_ok(nox, user, "same.txt", b"old")
    assert_json(upload(nox, user, [("same.txt", b"new content")]), 201)
    assert get_bytes(nox, user, "same.txt") == b"new content", "expected the upload to replace the file"


@pytest.mark.parametrize(
    "filename, expected",
    [("../../x.txt", "x.txt"), ("a\\b.txt", "b.txt"), ("dir/sub/c.txt", "c.txt"),
     ("C:\\Users\\me\\d.txt", "d.txt"), ("/etc/e.txt", "e.txt")],
    ids=["dotdot", "backslash", "slashes", "windows", "absolute"],
)
def test_multipart_filename_is_reduced_to_its_last_component(nox, make_user, filename, expected):
    user = make_user()
    body = assert_json(upload(nox, user, [(filename, b"payload")], dir="up"), 201)
    assert [i["path"] for i in body["items"]] == [f"up/{expected}"], (
        f"expected filename {filename!r} to land as up/{expected}: {body}"
    )
    paths = set(list_paths(nox, user, recursive=True))
    assert paths == {"up", f"up/{expected}"}, f"expected nothing but up/{expected} in the sandbox: {paths}"


@pytest.mark.parametrize("filename", ["", "..", "../", "a/.."], ids=["empty", "dotdot", "dotdot-slash", "ends-dotdot"])
def test_multipart_filename_that_reduces_to_nothing_is_400_invalid_path(nox, make_user, filename):
    user = make_user()
    resp = upload(nox, user, [(filename, b"x")])
    assert_error(resp, 400, "invalid_path")
    assert list_all(nox, user, recursive=True) == [], "expected nothing written"


def test_multipart_dir_after_a_file_part_is_422_naming_dir(nox, make_user):
    user = make_user()
    resp = upload(nox, user, [("late.txt", b"x")], dir="target", dir_after=True)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, "dir", resp)
    assert list_all(nox, user, recursive=True) == [], "expected nothing written when the request is refused"


@pytest.mark.parametrize("variant", ["only-dir", "other-field-name"])
def test_multipart_without_a_files_part_is_422_naming_files(nox, make_user, variant):
    user = make_user()
    parts = {
        "only-dir": [Field("dir", "x")],
        "other-field-name": [FilePart("a.txt", b"x", name="file")],
    }[variant]
    body, ctype = multipart(parts)
    resp = send(nox, "POST", "/api/files", who=user, data=body, headers={"Content-Type": ctype})
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, "files", resp)


@pytest.mark.parametrize(
    "ctype, body",
    [("application/json", b'{"files": []}'), ("application/octet-stream", b"raw bytes"), ("text/plain", b"x")],
    ids=["json", "octet-stream", "text"],
)
def test_upload_that_is_not_multipart_is_415(nox, make_user, ctype, body):
    user = make_user()
    resp = send(nox, "POST", "/api/files", who=user, data=body, headers={"Content-Type": ctype})
    assert_error(resp, 415, "unsupported_media_type")


# =========================================================================== DELETE


def test_delete_a_file_is_204_then_it_is_gone(nox, make_user):
    user = make_user()
    put_ok(nox, user, "gone.txt", b"x")
    resp = delete_path(nox, user, "gone.txt")
    assert resp.status_code == 204 and resp.content == b"", f"expected 204 without a body: {describe(resp)}"
    assert_error(get_file(nox, user, "gone.txt"), 404, "not_found")
    assert_error(delete_path(nox, user, "gone.txt"), 404, "not_found")


def test_delete_a_non_empty_directory_needs_recursive(nox, make_user):
    user = make_user()
    put_ok(nox, user, "tree/a/b.txt", b"x")
    put_ok(nox, user, "tree/c.txt", b"y")
    assert_error(delete_path(nox, user, "tree"), 409, "directory_not_empty")
    assert get_bytes(nox, user, "tree/a/b.txt") == b"x", "expected the tree untouched after the 409"
    resp = delete_path(nox, user, "tree", recursive=True)
    assert resp.status_code == 204, f"expected 204 for a recursive delete: {describe(resp)}"
    assert list_all(nox, user, recursive=True) == [], "expected the whole tree gone"


@pytest.mark.parametrize("path, params", [("/api/files/", None), ("/api/files", None),
                                          ("/api/files/", {"recursive": "true"}),
                                          ("/api/files", {"recursive": "true"})],
                         ids=["slash", "bare", "slash-recursive", "bare-recursive"])
def test_deleting_the_root_is_400_invalid_path(nox, make_user, path, params):
    user = make_user()
    put_ok(nox, user, "keep.txt", b"keep")
    resp = send(nox, "DELETE", path, who=user, params=params)
    assert_error(resp, 400, "invalid_path")
    assert get_bytes(nox, user, "keep.txt") == b"keep", "expected the sandbox untouched"


# =========================================================================== move


def test_move_a_file_answers_the_moved_entry(nox, make_user):
    user = make_user()
    put_ok(nox, user, "src.txt", b"moving\n")
    resp = move(nox, user, "src.txt", "new/parents/dst.txt")
    body = assert_json(resp, 200)
    assert_list_item(body, " (move answer)")
    assert body["path"] == "new/parents/dst.txt" and body["name"] == "dst.txt" and body["type"] == "file", (
        f"expected the moved entry at its new path: {describe(resp)}"
    )
    assert body["size"] == 7, f"expected size 7: {describe(resp)}"
    assert_error(get_file(nox, user, "src.txt"), 404, "not_found")
    assert get_bytes(nox, user, "new/parents/dst.txt") == b"moving\n", "expected the content at the destination"


def test_move_a_directory_moves_its_contents(nox, make_user):
    user = make_user()
    put_ok(nox, user, "old/x.txt", b"x")
    put_ok(nox, user, "old/sub/y.txt", b"y")
    body = assert_json(move(nox, user, "old", "renamed"), 200)
    assert body["type"] == "dir" and body["path"] == "renamed", f"expected the moved dir: {body}"
    paths = set(list_paths(nox, user, recursive=True))
    assert paths == {"renamed", "renamed/x.txt", "renamed/sub", "renamed/sub/y.txt"}, (
        f"expected the tree under its new name only: {paths}"
    )


def test_move_onto_an_existing_destination_needs_overwrite(nox, make_user):
    user = make_user()
    put_ok(nox, user, "a.txt", b"A")
    put_ok(nox, user, "b.txt", b"B")
    assert_error(move(nox, user, "a.txt", "b.txt"), 409, "already_exists")
    assert_error(move(nox, user, "a.txt", "b.txt", overwrite=False), 409, "already_exists")
    assert get_bytes(nox, user, "a.txt") == b"A" and get_bytes(nox, user, "b.txt") == b"B", "expected both untouched"
    assert_json(move(nox, user, "a.txt", "b.txt", overwrite=True), 200)
    assert get_bytes(nox, user, "b.txt") == b"A", "expected b.txt replaced by a.txt with overwrite=true"
    assert_error(get_file(nox, user, "a.txt"), 404, "not_found")


def test_move_a_missing_source_is_404(nox, make_user):
    user = make_user()
    assert_error(move(nox, user, "nothing.txt", "x.txt"), 404, "not_found")


@pytest.mark.parametrize("dst", ["dir/inside", "dir/a/b/c", "dir"], ids=["child", "grandchild", "itself"])
def test_move_a_directory_into_itself_is_409_invalid_move(nox, make_user, dst):
    user = make_user()
    put_ok(nox, user, "dir/a/f.txt", b"x")
    resp = move(nox, user, "dir", dst)
    if dst == "dir":  # onto itself: either a no-op refused as invalid or as already existing
        assert resp.status_code == 409, f"expected 409 moving a dir onto itself: {describe(resp)}"
        assert_error(resp, 409)
    else:
        assert_error(resp, 409, "invalid_move")
    assert get_bytes(nox, user, "dir/a/f.txt") == b"x", "expected the directory untouched"


def test_move_with_a_body_that_is_not_json_is_400(nox, make_user):
    user = make_user()
    resp = send(nox, "POST", "/api/files/move", who=user, data=b'{"from": "a", "to": ',
                headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_json")


@pytest.mark.parametrize(
    "body, field",
    [({"to": "b"}, "from"), ({"from": "a"}, "to"), ({"from": 1, "to": "b"}, "from"), ({"from": "a", "to": None}, "to"),
     ({"from": "a", "to": "b", "overwrite": "yes"}, "overwrite")],
    ids=["no-from", "no-to", "from-number", "to-null", "overwrite-string"],
)
def test_move_with_missing_or_mistyped_field_is_422_naming_it(nox, make_user, body, field):
    user = make_user()
    put_ok(nox, user, "a", b"x")
    resp = send(nox, "POST", "/api/files/move", who=user, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, field, resp)


# =========================================================================== search


def assert_highlights(item: dict, word: str) -> None:
    snippet, highlights = item.get("snippet"), item.get("highlights")
    assert isinstance(snippet, str) and isinstance(highlights, list) and highlights, (
        f"expected a snippet and non-empty highlights: {item}"
    )
    for pair in highlights:
        assert isinstance(pair, list) and len(pair) == 2, f"expected [start, end) pairs: {item}"
        start, end = pair
        assert 0 <= start < end <= len(snippet), f"expected offsets inside the snippet: {item}"
        assert snippet[start:end].lower() == word.lower(), (
            f"expected snippet[{start}:{end}] to be {word!r} (case-insensitively), got {snippet[start:end]!r}: {item}"
        )


def test_search_finds_a_word_with_line_snippet_and_highlights(nox, make_user):
    user = make_user()
    put_ok(nox, user, "docs/story.txt", b"the quick brown fox\n  Jumps over a lazy Dog and another dog\nend\n")
    items = search_items(nox, user, "dog")
    hits = [i for i in items if i["path"] == "docs/story.txt"]
    assert len(hits) == 1, f"expected one hit (line 2) in docs/story.txt: {items}"
    hit = hits[0]
    assert hit["line"] == 2, f"expected line 2 (1-based): {hit}"
    assert "lazy Dog" in hit["snippet"], f"expected the line's text in the snippet: {hit}"
    assert_highlights(hit, "dog")
    assert len(hit["highlights"]) == 2, f"expected both 'Dog' and 'dog' highlighted: {hit}"


def test_search_highlights_are_character_offsets(nox, make_user):
    user = make_user()
    line = "Grüße aus Köln – hello wörld"
    put_ok(nox, user, "u.txt", (line + "\n").encode())
    items = search_items(nox, user, "hello")
    assert items and items[0]["path"] == "u.txt", f"expected a hit in u.txt: {items}"
    hit = items[0]
    assert_highlights(hit, "hello")
    start = hit["snippet"].index("hello")
    assert hit["highlights"] == [[start, start + 5]], (
        f"expected character (not byte) offsets [{start}, {start + 5}] in {hit['snippet']!r}: {hit}"
    )
    items = search_items(nox, user, "KÖLN")
    assert items and items[0]["path"] == "u.txt", f"expected a case-insensitive hit for KÖLN: {items}"
    assert_highlights(items[0], "köln")


def test_search_name_only_match_has_no_line(nox, make_user):
    user = make_user()
    put_ok(nox, user, "projects/zebrafish-notes.txt", b"nothing interesting inside\n")
    items = search_items(nox, user, "zebrafish")
    assert [i["path"] for i in items] == ["projects/zebrafish-notes.txt"], f"expected the file found by name: {items}"
    assert items[0].get("line") is None, f"expected line null/absent for a name match: {items[0]}"


def test_search_binary_and_large_files_match_by_name_only(nox, make_user):
    user = make_user()
    put_ok(nox, user, "haystack-blob.bin", b"\x00\x01\x02 needleword inside binary\n" + os.urandom(100))
    big = b"needleword on the first line\n" + b"filler text line\n" * ((MIB // 17) + 100)
    assert len(big) > MIB
    put_ok(nox, user, "haystack-large.txt", big)
    put_ok(nox, user, "small.txt", b"a needleword here\n")
    by_word = search_items(nox, user, "needleword")
    assert [i["path"] for i in by_word] == ["small.txt"], (
        f"expected only the small text file to match by content (binary and >1 MiB: name only): {by_word}"
    )
    by_name = {i["path"]: i for i in search_items(nox, user, "haystack")}
    assert set(by_name) == {"haystack-blob.bin", "haystack-large.txt"}, f"expected both found by name: {by_name}"
    assert all(i.get("line") is None for i in by_name.values()), f"expected name matches without line: {by_name}"


def test_search_path_and_limit(nox, make_user):
    user = make_user()
    for p in ("a/one.txt", "a/deeper/two.txt", "b/three.txt", "ab/four.txt"):
        put_ok(nox, user, p, b"marmalade\n")
    under_a = {i["path"] for i in search_items(nox, user, "marmalade", path="a")}
    assert under_a == {"a/one.txt", "a/deeper/two.txt"}, f"expected only hits below a/ (not ab/): {under_a}"
    limited = search_items(nox, user, "marmalade", limit=2)
    assert len(limited) == 2, f"expected exactly limit=2 hits out of 4: {limited}"


def test_search_follows_replace_move_and_delete(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"apricot\n")
    assert [i["path"] for i in search_items(nox, user, "apricot")] == ["f.txt"], "expected the first content found"
    put_ok(nox, user, "f.txt", b"blueberry\n", expect=200)
    assert search_items(nox, user, "apricot") == [], "expected the replaced content no longer found"
    assert [i["path"] for i in search_items(nox, user, "blueberry")] == ["f.txt"], "expected the new content found"
    assert_json(move(nox, user, "f.txt", "g/f2.txt"), 200)
    assert [i["path"] for i in search_items(nox, user, "blueberry")] == ["g/f2.txt"], "expected the moved path"
    assert delete_path(nox, user, "g", recursive=True).status_code == 204
    assert search_items(nox, user, "blueberry") == [], "expected nothing found after the delete"


@pytest.mark.parametrize(
    "body, field",
    [({"query": ""}, "query"), ({"query": "   "}, "query"), ({}, "query"), ({"query": 42}, "query"),
     ({"query": None}, "query"), ({"query": "x", "limit": "ten"}, "limit")],
    ids=["empty", "blank", "missing", "number", "null", "limit-string"],
)
def test_search_bad_query_is_422_naming_the_field(nox, make_user, body, field):
    user = make_user()
    resp = send(nox, "POST", "/api/files/search", who=user, json_body=body)
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, field, resp)


def test_search_with_a_body_that_is_not_json_is_400(nox, make_user):
    user = make_user()
    resp = send(nox, "POST", "/api/files/search", who=user, data=b"query=hello",
                headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_json")


FTS_WORDY = ['"hello"', "hello*", "-hello", "(hello)", "hello:", "^hello", 'hello"', '"hello world',
             "NEAR(hello world)", "NEAR(hello", "hello OR world", "hello AND NOT world", "world -hello",
             "content:hello", "hello NEAR world", "{hello}", "hello'", "hello;--"]
FTS_WORDLESS = ['"', "*", "()", "-", '"*"', "NEAR(", "OR", "AND", "NOT", ":", "^"]


def test_search_treats_fts_syntax_as_plain_words(nox, make_user):
    """One user, many queries (one test keeps the suite fast); every failure is reported."""
    user = make_user()
    put_ok(nox, user, "words.txt", b"hello world, or near enough and not content\n")
    problems = []

    def items_of(resp):
        try:
            items = resp.json().get("items") if resp.status_code == 200 else None
        except (ValueError, AttributeError):
            return None
        return items if isinstance(items, list) else None

    for query in FTS_WORDY:
        resp = search(nox, user, query)
        items = items_of(resp)
        if items is None:
            problems.append(f"{query!r}: expected 200 with an items list: {describe(resp)}")
        elif "words.txt" not in [i.get("path") for i in items]:
            problems.append(f"{query!r}: expected words.txt (which holds every word of the query) found: {resp.text[:300]}")
    for query in FTS_WORDLESS:
        resp = search(nox, user, query)
        if items_of(resp) is None:
            problems.append(f"{query!r}: expected 200 with an items list (operators only, never an error): {describe(resp)}")
    assert not problems, "FTS syntax must be read as plain words:\n" + "\n".join(problems)


# =========================================================================== quota


def test_quota_allows_exactly_disk_mb_and_refuses_one_byte_more(nox, make_user):
    user = make_user(quotas={"disk_mb": 1})
    put_ok(nox, user, "full.bin", os.urandom(MIB), expect=201)
    resp = raw_upload(nox, user, "PUT", "/api/files/one-more.bin", b"x")
    assert_error(resp, 507, "quota_exceeded")
    assert_error(get_file(nox, user, "one-more.bin"), 404, "not_found")
    assert [i["path"] for i in list_all(nox, user, recursive=True)] == ["full.bin"], "expected only full.bin"


def test_quota_counts_a_replaced_files_old_size_as_freed(nox, make_user):
    user = make_user(quotas={"disk_mb": 1})
    old = os.urandom(600_000)
    put_ok(nox, user, "f.bin", old, expect=201)
    resp = raw_upload(nox, user, "PUT", "/api/files/g.bin", os.urandom(600_000))
    assert_error(resp, 507, "quota_exceeded")
    bigger = os.urandom(1_000_000)
    put_ok(nox, user, "f.bin", bigger, expect=200)  # 1_000_000 <= 1 MiB once the old 600_000 are freed
    resp = raw_upload(nox, user, "PUT", "/api/files/f.bin", os.urandom(MIB + 1))
    assert_error(resp, 507, "quota_exceeded")
    assert get_bytes(nox, user, "f.bin") == bigger, "expected the old content unchanged after a refused replace"


def test_multipart_over_quota_writes_none_of_its_files(nox, make_user):
    user = make_user(quotas={"disk_mb": 1})
    parts = [FilePart(f"p{i}.bin", os.urandom(400_000)) for i in range(3)]  # 1.2 MB > 1 MiB
    body, ctype = multipart([Field("dir", "batch")] + parts)
    resp = raw_upload(nox, user, "POST", "/api/files", body, content_type=ctype)
    assert_error(resp, 507, "quota_exceeded")
    written = [i["path"] for i in list_all(nox, user, recursive=True) if i["type"] == "file"]
    assert written == [], f"expected none of the request's files to exist (all or nothing): {written}"
    files_on_disk = [p for p, kind in disk_entries(nox, user.username).items() if kind == "f"]
    assert files_on_disk == [], f"expected no file (not even a temporary one) left on disk: {files_on_disk}"


def test_quota_lowered_by_admin_patch_takes_effect(nox, admin, make_user):
    user = make_user()
    put_ok(nox, user, "a.bin", os.urandom(600_000))
    set_disk_quota(nox, admin, user.username, 1)
    probe = os.urandom(600_000)

    def refused():
        resp = raw_upload(nox, user, "PUT", "/api/files/b.bin", probe)
        # A tuple: a requests.Response is falsy for any status >= 400.
        return (resp,) if resp.status_code == 507 else None

    (resp,) = wait_until(refused, timeout=15, interval=1, what="a PUT over the lowered disk quota to be refused with 507")
    assert_error(resp, 507, "quota_exceeded")


# =========================================================================== the sandbox shared with runs


def test_sandbox_is_created_on_first_use_with_the_shared_ownership(nox, make_user):
    user = make_user()
    box = sandbox_dir(user.username)
    assert not exists_on_disk(nox, box), f"expected no sandbox at {box} before the first files request"
    ensure_sandbox(nox, user)
    assert stat_on_disk(nox, box) == f"nox-files:{RUN_GROUP} 2770", (
        f"expected {box} owned by nox-files, group {RUN_GROUP}, mode 2770 (setgid): {stat_on_disk(nox, box)}"
    )


def test_files_a_run_wrote_as_another_uid_are_listed_read_searched_and_deleted(nox, make_user):
    user = make_user()
    ensure_sandbox(nox, user)
    sh_in_sandbox(nox, user.username, "umask 077; mkdir -p d; echo hello-from-run > d/x.txt", uid=FOREIGN_UID)
    box = sandbox_dir(user.username)
    assert stat_on_disk(nox, f"{box}/d/x.txt", "%u %a") == f"{FOREIGN_UID} 600", "precondition: a 0600 file of another uid"
    assert stat_on_disk(nox, f"{box}/d", "%u %a").split()[1] in ("700", "2700"), "precondition: a 0700 directory"

    assert "d" in {i["path"] for i in list_all(nox, user)}, "expected the run's directory listed"
    items = list_paths(nox, user, recursive=True)
    assert "d/x.txt" in items and items["d/x.txt"]["size"] == 15, f"expected d/x.txt (15 bytes) listed: {items}"
    assert get_bytes(nox, user, "d/x.txt") == b"hello-from-run\n", "expected the run's file readable through the API"
    hits = [i for i in search_items(nox, user, "hello") if i["path"] == "d/x.txt"]
    assert hits and hits[0].get("line") == 1, f"expected search to find 'hello' on line 1 of d/x.txt: {hits}"
    resp = delete_path(nox, user, "d", recursive=True)
    assert resp.status_code == 204, f"expected 204 deleting the run's 0700 directory: {describe(resp)}"
    assert not exists_on_disk(nox, f"{box}/d"), "expected the directory gone from disk"


def test_files_written_through_the_api_are_writable_by_a_run(nox, make_user):
    user = make_user()
    put_ok(nox, user, "shared/notes.txt", b"v1\n")
    res = sh_in_sandbox(nox, user.username, "echo v2 >> shared/notes.txt && echo new > shared/from-run.txt",
                        uid=FOREIGN_UID, check=False)
    assert res.returncode == 0, (
        f"expected a uid in group {RUN_GROUP} to append to an API file and create files next to it: {res.stderr}"
    )
    assert get_bytes(nox, user, "shared/notes.txt") == b"v1\nv2\n", "expected the run's append visible"
    assert get_bytes(nox, user, "shared/from-run.txt") == b"new\n", "expected the run's new file visible"


def test_search_rescans_files_changed_on_disk(nox, make_user):
    user = make_user()
    put_ok(nox, user, "doc.txt", b"original words\n")
    assert search_items(nox, user, "original"), "expected the API-written content found"
    sh_in_sandbox(nox, user.username, "echo 'rewritten by a run' > doc.txt; echo 'fresh tangerine' > new.txt",
                  uid=FOREIGN_UID)
    assert search_items(nox, user, "original") == [], "expected content replaced on disk no longer found"
    assert [i["path"] for i in search_items(nox, user, "tangerine")] == ["new.txt"], "expected a new on-disk file found"
    sh_in_sandbox(nox, user.username, "rm new.txt", uid=FOREIGN_UID)
    assert search_items(nox, user, "tangerine") == [], "expected a file removed on disk no longer found"


def test_multipart_upload_of_a_thousand_files_commits_them_all(nox, make_user):
    # Every part stays an open temporary file until the whole body is in (all or nothing):
    # a thousand of them must not run the daemon out of file descriptors.
    user = make_user()
    resp = upload(nox, user, [(f"f{i:04d}.txt", f"file {i}\n".encode()) for i in range(1000)], dir="many")
    body = assert_json(resp, 201)
    assert len(body["items"]) == 1000, f"expected 1000 files written: {len(body['items'])}"
    assert len(list_all(nox, user, path="many")) == 1000, "expected the 1000 files listed"
