"""nox-files security: authentication and roles (viewer, a files:read API key), isolation
between users by every route, path tricks through nginx (``..``, percent-encoded forms,
backslash, NUL, absolute, over-long), symlinks and special files planted on disk inside a
sandbox (to /etc/shadow, /var/lib/nox/auth, another user's sandbox, a symlinked directory in
the middle of a path) — never read, written, listed, searched, moved, backed up or deleted
through."""

from __future__ import annotations

import uuid

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    Client,
    admin,
    assert_error,
    assert_json,
    assert_unauthorized,
    create_user,
    describe,
    make_user,
    unique_name,
    wait_until,
)
from helpers_files import (
    FilePart,
    create_backup,
    delete_path,
    disk_entries,
    download_backup,
    ensure_sandbox,
    exists_on_disk,
    file_sha256_on_disk,
    get_bytes,
    get_file,
    gunzip,
    list_all,
    list_backups,
    list_page,
    move,
    multipart,
    no_crashes_of_nox_files,
    plant_symlink,
    put_file,
    put_ok,
    restore_json,
    sandbox_dir,
    search,
    search_items,
    send,
    sh_in_sandbox,
    sha256_hex,
    tar_members,
    upload,
    user_dir,
)


@pytest.fixture(scope="module", autouse=True)
def nox_files_never_crashes(nox):
    with no_crashes_of_nox_files(nox):
        yield


def secret_token() -> str:
    return f"topsecret{uuid.uuid4().hex}"


# =========================================================================== authentication


UNAUTH_ROUTES = [
    ("GET", "/api/files", None),
    ("GET", "/api/files/x.txt", None),
    ("HEAD", "/api/files/x.txt", None),
    ("PUT", "/api/files/x.txt", b"x"),
    ("POST", "/api/files", "multipart"),
    ("DELETE", "/api/files/x.txt", None),
    ("POST", "/api/files/move", {"from": "a", "to": "b"}),
    ("POST", "/api/files/search", {"query": "x"}),
    ("POST", "/api/backup", None),
    ("GET", "/api/backups", None),
    ("GET", "/api/backups/1", None),
    ("DELETE", "/api/backups/1", None),
    ("POST", "/api/restore", {"backup_id": "1"}),
]


def _send_route(nox, who, method, path, body):
    if body == "multipart":
        data, ctype = multipart([FilePart("x.txt", b"x")])
        return send(nox, method, path, who=who, data=data, headers={"Content-Type": ctype})
    if isinstance(body, dict):
        return send(nox, method, path, who=who, json_body=body)
    return send(nox, method, path, who=who, data=body)


@pytest.mark.parametrize("method, path, body", UNAUTH_ROUTES, ids=[f"{m} {p}" for m, p, _ in UNAUTH_ROUTES])
@pytest.mark.parametrize("token", [None, "not-a-token", "nox_not-a-real-key"], ids=["none", "garbage", "fake-key"])
def test_every_files_route_needs_a_valid_token(nox, method, path, body, token):
    resp = _send_route(nox, token, method, path, body)
    if method == "HEAD":
        assert resp.status_code == 401, f"expected 401 for HEAD without a valid token: {describe(resp)}"
        assert resp.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), (
            f"expected WWW-Authenticate: Bearer: {describe(resp)}"
        )
    else:
        assert_unauthorized(resp)


# =========================================================================== roles and scopes


def _plant_readable_file(nox, username: str, rel: str, text: str) -> None:
    sh_in_sandbox(nox, username, f"mkdir -p \"$(dirname '{rel}')\" && printf '%s\\n' '{text}' > '{rel}'")


def _assert_writes_forbidden(nox, who, existing: str, backup_id=None) -> None:
    data, ctype = multipart([FilePart("up.txt", b"x")])
    attempts = [
        ("PUT", put_file(nox, who, "new.txt", b"x")),
        ("PUT replace", put_file(nox, who, existing, b"overwritten")),
        ("POST upload", send(nox, "POST", "/api/files", who=who, data=data, headers={"Content-Type": ctype})),
        ("DELETE", delete_path(nox, who, existing)),
        ("DELETE recursive", delete_path(nox, who, existing.split("/")[0], recursive=True)),
        ("move", move(nox, who, existing, "moved.txt")),
        ("backup", send(nox, "POST", "/api/backup", who=who)),
        ("restore", restore_json(nox, who, backup_id if backup_id is not None else "00000000")),
    ]
    if backup_id is not None:
        attempts.append(("DELETE backup", send(nox, "DELETE", f"/api/backups/{backup_id}", who=who)))
    for label, resp in attempts:
        assert resp.status_code == 403, f"expected 403 for {label} without files:write: {describe(resp)}"
        assert_error(resp, 403, "forbidden")


def test_viewer_reads_lists_and_searches_but_cannot_write(nox, make_user):
    viewer = make_user(role="viewer")
    ensure_sandbox(nox, viewer)
    _plant_readable_file(nox, viewer.username, "docs/readme.txt", "viewer can read this periwinkle")
    assert [i["path"] for i in list_all(nox, viewer, recursive=True)] == ["docs", "docs/readme.txt"], (
        "expected the viewer to list its own files"
    )
    assert get_bytes(nox, viewer, "docs/readme.txt") == b"viewer can read this periwinkle\n", "expected GET to work"
    head = get_file(nox, viewer, "docs/readme.txt", method="HEAD")
    assert head.status_code == 200, f"expected HEAD to work for a viewer: {describe(head)}"
    hits = search_items(nox, viewer, "periwinkle")
    assert [h["path"] for h in hits] == ["docs/readme.txt"], f"expected search to work for a viewer: {hits}"
    assert list_backups(nox, viewer) == [], "expected the viewer to list (no) backups"
    _assert_writes_forbidden(nox, viewer, "docs/readme.txt")
    assert sorted(disk_entries(nox, viewer.username)) == ["docs", "docs/readme.txt"], (
        "expected nothing written, moved or deleted by the refused requests"
    )


def test_user_demoted_to_viewer_still_downloads_own_backup_but_cannot_restore(nox, admin, make_user):
    user = make_user()
    put_ok(nox, user, "keep/data.txt", b"kept\n")
    record = create_backup(nox, user)
    resp = admin.patch(f"/api/admin/users/{user.username}", {"role": "viewer"})
    assert assert_json(resp, 200).get("role") == "viewer", f"expected the role changed to viewer: {describe(resp)}"
    user.login()  # a token carrying the new role

    def refused():
        r = put_file(nox, user, "probe.txt", b"x")
        return r.status_code == 403

    wait_until(refused, timeout=15, interval=1, what="writes of the demoted user to be refused with 403")
    ids = [b["id"] for b in list_backups(nox, user)]
    assert record["id"] in ids, f"expected the viewer to list its backup {record['id']}: {ids}"
    dl = download_backup(nox, user, record["id"])
    assert dl.status_code == 200 and sha256_hex(dl.content) == record["sha256"], (
        f"expected the viewer to download its backup (sha256 {record['sha256']}): {describe(dl)}"
    )
    _assert_writes_forbidden(nox, user, "keep/data.txt", backup_id=record["id"])
    assert get_bytes(nox, user, "keep/data.txt") == b"kept\n", "expected the file untouched"


def test_api_key_with_files_read_only_reads(nox, make_user):
    user = make_user()
    put_ok(nox, user, "k/file.txt", b"readable by the key, marigold\n")
    record = create_backup(nox, user)
    key = user.create_key(scopes=["files:read"])["key"]
    assert_json(list_page(nox, key), 200)
    assert get_bytes(nox, key, "k/file.txt") == b"readable by the key, marigold\n", "expected the key to read files"
    assert [h["path"] for h in search_items(nox, key, "marigold")] == ["k/file.txt"], "expected the key to search"
    assert record["id"] in [b["id"] for b in list_backups(nox, key)], "expected the key to list backups"
    assert download_backup(nox, key, record["id"]).status_code == 200, "expected the key to download a backup"
    _assert_writes_forbidden(nox, key, "k/file.txt", backup_id=record["id"])
    assert get_bytes(nox, user, "k/file.txt") == b"readable by the key, marigold\n", "expected the file untouched"


def test_api_key_without_files_read_cannot_read(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"x")
    key = user.create_key(scopes=["exec:run"])["key"]
    for label, resp in [("list", list_page(nox, key)), ("GET", get_file(nox, key, "f.txt")),
                        ("search", search(nox, key, "x")), ("backups", send(nox, "GET", "/api/backups", who=key))]:
        assert resp.status_code == 403, f"expected 403 for {label} with a key lacking files:read: {describe(resp)}"
        assert_error(resp, 403, "forbidden")


# =========================================================================== isolation between users


@pytest.fixture
def victim(nox, make_user):
    """User A with a secret file (and a backup); returns (client, secret bytes, backup record)."""
    user = make_user()
    secret = secret_token().encode()
    put_ok(nox, user, "private/secret.txt", secret + b"\n")
    record = create_backup(nox, user)
    return user, secret, record


def test_other_users_files_are_invisible_by_listing_get_and_search(nox, make_user, victim):
    owner, secret, _ = victim
    intruder = make_user()
    put_ok(nox, intruder, "mine.txt", b"mine\n")
    assert_error(get_file(nox, intruder, "private/secret.txt"), 404, "not_found")
    assert_error(get_file(nox, intruder, "private/secret.txt", method="GET", headers={"Range": "bytes=0-5"}),
                 404, "not_found")
    assert [i["path"] for i in list_all(nox, intruder, recursive=True)] == ["mine.txt"], "expected only own files"
    assert_error(list_page(nox, intruder, path="private"), 404, "not_found")
    assert search_items(nox, intruder, secret.decode()) == [], "expected search never to find another user's content"
    assert search_items(nox, intruder, "secret") == [], "expected search never to find another user's file names"
    assert_error(delete_path(nox, intruder, "private/secret.txt"), 404, "not_found")
    assert_error(move(nox, intruder, "private/secret.txt", "stolen.txt"), 404, "not_found")
    assert get_bytes(nox, owner, "private/secret.txt") == secret + b"\n", "expected the owner's file untouched"


def test_other_users_backups_are_404_by_every_route(nox, make_user, victim):
    owner, secret, record = victim
    intruder = make_user()
    mine = create_backup(nox, intruder)
    assert record["id"] not in [b["id"] for b in list_backups(nox, intruder)], "expected only own backups listed"
    assert [b["id"] for b in list_backups(nox, intruder)] == [mine["id"]], "expected exactly the intruder's backup"
    assert_error(download_backup(nox, intruder, record["id"]), 404, "not_found")
    assert_error(send(nox, "DELETE", f"/api/backups/{record['id']}", who=intruder), 404, "not_found")
    assert_error(restore_json(nox, intruder, record["id"]), 404, "not_found")
    assert list_all(nox, intruder, recursive=True) == [], "expected the intruder's sandbox not restored from A's backup"
    dl = download_backup(nox, owner, record["id"])
    assert dl.status_code == 200 and sha256_hex(dl.content) == record["sha256"], "expected A's backup intact"


def _foreign_path_tricks(owner: str) -> list[str]:
    box = f"/var/lib/nox/users/{owner}/sandbox"
    return [
        f"../{owner}/sandbox/private/secret.txt",
        f"../../{owner}/sandbox/private/secret.txt",
        f"%2e%2e/%2e%2e/{owner}/sandbox/private/secret.txt",
        f"%2E%2E%2F%2E%2E%2F{owner}%2Fsandbox%2Fprivate%2Fsecret.txt",
        f"..%2f..%2f{owner}%2fsandbox%2fprivate%2fsecret.txt",
        f"x/../../{owner}/sandbox/private/secret.txt",
        f"{box}/private/secret.txt",
        f"%2f{box.lstrip('/').replace('/', '%2f')}%2fprivate%2fsecret.txt",
        "../../../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "..%5c..%5c..%5cetc%5cpasswd",
        f"..%00/{owner}/sandbox/private/secret.txt",
    ]


def test_path_tricks_never_reach_another_users_sandbox(nox, make_user, victim):
    owner, secret, _ = victim
    intruder = make_user()
    ensure_sandbox(nox, intruder)
    for raw in _foreign_path_tricks(owner.username):
        for method in ("GET", "PUT", "DELETE"):
            resp = send(nox, method, "/api/files/" + raw, who=intruder, raw_path=True,
                        data=b"overwritten" if method == "PUT" else None,
                        headers={"Accept-Encoding": "identity"})
            assert_refused_cleanly(resp, [secret, b"root:"], f"{method} /api/files/{raw}")
    assert get_bytes(nox, owner, "private/secret.txt") == secret + b"\n", (
        "expected the victim's file neither overwritten nor deleted by any path trick"
    )
    assert sorted(disk_entries(nox, owner.username)) == ["private", "private/secret.txt"], (
        "expected nothing planted in the victim's sandbox"
    )


def test_json_and_query_path_fields_never_reach_another_users_sandbox(nox, make_user, victim):
    owner, secret, _ = victim
    intruder = make_user()
    put_ok(nox, intruder, "mine.txt", b"mine\n")
    for path in (f"../{owner.username}/sandbox", f"../../{owner.username}/sandbox/private",
                 f"/var/lib/nox/users/{owner.username}/sandbox"):
        assert_error(list_page(nox, intruder, path=path), 400, "invalid_path")
        assert_error(list_page(nox, intruder, path=path, recursive=True), 400, "invalid_path")
        resp = search(nox, intruder, secret.decode(), path=path)
        assert_error(resp, 400, "invalid_path")
        src = path + "/private/secret.txt" if path.endswith("sandbox") else path + "/secret.txt"
        assert_error(move(nox, intruder, src, "stolen.txt"), 400, "invalid_path")
        assert_error(move(nox, intruder, "mine.txt", path + "/planted.txt"), 400, "invalid_path")
    assert get_bytes(nox, owner, "private/secret.txt") == secret + b"\n", "expected the victim's file in place"
    assert sorted(disk_entries(nox, owner.username)) == ["private", "private/secret.txt"], (
        "expected nothing moved into the victim's sandbox"
    )
    assert get_bytes(nox, intruder, "mine.txt") == b"mine\n", "expected the intruder's own file not moved"


def assert_refused_cleanly(resp, secrets, what: str) -> None:
    """A path nginx may normalise before the daemon sees it: the answer must be a JSON 400
    (invalid_path from the daemon, bad_request from nginx) or 404 (not_found), never 200,
    never a 5xx, never carrying foreign content."""
    assert resp.status_code in (400, 404), f"expected 400 or 404 for {what}: {describe(resp)}"
    for s in secrets:
        assert s not in resp.content, f"expected {what} not to reveal {s!r}: {describe(resp)}"
    if resp.request.method != "HEAD":
        try:
            code = resp.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            pytest.fail(f"expected the JSON error shape for {what}: {describe(resp)}")
        assert code in ("invalid_path", "not_found", "bad_request"), (
            f"expected error code invalid_path/not_found/bad_request for {what}: {describe(resp)}"
        )


# =========================================================================== path rules (strict)


# Forms that stay below /api/files/ after nginx's own normalisation, so the daemon sees them
# as sent (nginx passes the original URI on): the contract's 400 invalid_path, "even where
# the result would stay inside".
STRICT_URL_PATHS = [
    ("dotdot-inside", "a/../b.txt"),
    ("dotdot-last", "a/.."),
    ("encoded-dotdot", "a/%2e%2e/b.txt"),
    ("encoded-dotdot-upper", "a/%2E%2E/b.txt"),
    ("dotdot-encoded-slash", "a/..%2fb.txt"),
    ("all-encoded", "a/%2E%2E%2Fb.txt"),
    ("backslash-encoded", "a%5cb.txt"),
    ("backslash-dotdot", "a/..%5Cb.txt"),
    # absolute paths naming the caller's own file (so a bug could only ever harm the test user)
    ("absolute", "{box}/b.txt"),
    ("absolute-encoded", "{box_enc}%2fb.txt"),
    ("name-256-bytes", "n" * 256),
    ("name-256-bytes-utf8", "é" * 128),
    ("path-over-4096", ("d" * 200 + "/") * 21 + "f.txt"),
]


@pytest.mark.parametrize("raw", [p for _, p in STRICT_URL_PATHS], ids=[n for n, _ in STRICT_URL_PATHS])
def test_bad_url_paths_are_400_invalid_path(nox, make_user, raw):
    user = make_user()
    put_ok(nox, user, "a/b.txt", b"inside a\n")
    put_ok(nox, user, "b.txt", b"at the root\n")
    before = disk_entries(nox, user.username)
    box = sandbox_dir(user.username)
    url_path = "/api/files/" + _quote(raw.format(box=box, box_enc=box.replace("/", "%2f")))
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        resp = send(nox, method, url_path, who=user, raw_path=True,
                    data=b"replaced" if method == "PUT" else None, headers={"Accept-Encoding": "identity"})
        if method == "HEAD":
            assert resp.status_code == 400, f"expected 400 for HEAD {url_path[:120]}: {describe(resp)}"
        else:
            assert_error(resp, 400, "invalid_path")
    assert disk_entries(nox, user.username) == before, "expected the sandbox unchanged by refused requests"
    assert get_bytes(nox, user, "b.txt") == b"at the root\n", "expected b.txt untouched"


def _quote(raw: str) -> str:
    from urllib.parse import quote

    return quote(raw, safe="/%")


BAD_FIELD_PATHS = [
    ("dotdot", "../x"),
    ("dotdot-inside", "a/../b.txt"),
    ("dotdot-only", ".."),
    ("backslash", "a\\b.txt"),
    ("nul", "a\x00b"),
    ("absolute", "/etc"),
    ("encoded-dotdot", "%2e%2e/x"),
    ("long-name", "n" * 256),
    ("long-path", ("d" * 200 + "/") * 21),
]


@pytest.mark.parametrize("bad", [p for _, p in BAD_FIELD_PATHS], ids=[n for n, _ in BAD_FIELD_PATHS])
def test_bad_paths_in_query_and_json_fields_are_400_invalid_path(nox, make_user, bad):
    user = make_user()
    put_ok(nox, user, "a/b.txt", b"x")
    put_ok(nox, user, "b.txt", b"y")
    before = disk_entries(nox, user.username)
    assert_error(list_page(nox, user, path=bad), 400, "invalid_path")
    assert_error(search(nox, user, "x", path=bad), 400, "invalid_path")
    assert_error(move(nox, user, bad, "moved.txt"), 400, "invalid_path")
    assert_error(move(nox, user, "b.txt", bad), 400, "invalid_path")
    resp = upload(nox, user, [("ok.txt", b"z")], dir=bad)
    assert_error(resp, 400, "invalid_path")
    assert disk_entries(nox, user.username) == before, "expected the sandbox unchanged by refused requests"


# =========================================================================== planted symlinks


@pytest.fixture
def planted(nox, make_user, victim):
    """An attacker whose sandbox holds, planted as root: links to /etc/shadow, /var/lib/nox/auth,
    the victim's sandbox, a symlinked directory in the middle of a path, and a link to its own
    directory; plus real files real/own.txt and mid/plain.txt. The links are removed (as root)
    before the users are deleted."""
    owner, secret, _ = victim
    attacker = make_user()
    put_ok(nox, attacker, "real/own.txt", b"own content\n")
    put_ok(nox, attacker, "mid/plain.txt", b"plain\n")
    vbox = sandbox_dir(owner.username)
    plant_symlink(nox, attacker.username, "/etc/shadow", "shadow")
    plant_symlink(nox, attacker.username, "/var/lib/nox/auth", "authdir")
    plant_symlink(nox, attacker.username, vbox, "victim")
    plant_symlink(nox, attacker.username, f"{vbox}/private", "mid/through")
    plant_symlink(nox, attacker.username, "real", "inner")
    auth_files = nox.run(["ls", "-A", "/var/lib/nox/auth"], check=False).stdout.split()
    links = {"shadow": "l", "authdir": "l", "victim": "l", "mid/through": "l", "inner": "l"}
    entries = disk_entries(nox, attacker.username)
    assert all(entries.get(k) == v for k, v in links.items()), f"precondition: links planted: {entries}"
    shadow_sha = file_sha256_on_disk(nox, "/etc/shadow")
    yield {
        "owner": owner, "secret": secret, "attacker": attacker, "victim_box": vbox,
        "auth_file": auth_files[0] if auth_files else "users.sqlite", "shadow_sha": shadow_sha,
    }
    nox.run(["find", sandbox_dir(attacker.username), "-type", "l", "-delete"], check=False)


def _leaks(p) -> list[bytes]:
    return [p["secret"], b"root:", b"SQLite format"]


def _assert_victim_intact(nox, p) -> None:
    assert get_bytes(nox, p["owner"], "private/secret.txt") == p["secret"] + b"\n", "expected the victim's secret intact"
    assert sorted(disk_entries(nox, p["owner"].username)) == ["private", "private/secret.txt"], (
        "expected nothing added to or removed from the victim's sandbox"
    )
    assert file_sha256_on_disk(nox, "/etc/shadow") == p["shadow_sha"], "expected /etc/shadow unchanged"


LINK_READ_PATHS = ["shadow", "authdir", "authdir/{auth_file}", "victim", "victim/private/secret.txt",
                   "mid/through", "mid/through/secret.txt", "inner", "inner/own.txt"]


def test_get_and_head_never_follow_a_symlink(nox, planted):
    p = planted
    for template in LINK_READ_PATHS:
        path = template.format(auth_file=p["auth_file"])
        for method in ("GET", "HEAD"):
            resp = get_file(nox, p["attacker"], path, method=method)
            assert resp.status_code == 400, f"expected 400 for {method} {path} (a symlink on the way): {describe(resp)}"
            if method == "GET":
                assert_error(resp, 400, "invalid_path")
                for leak in _leaks(p):
                    assert leak not in resp.content, f"expected {path} not to reveal {leak!r}"


def test_listing_omits_symlinks_and_refuses_to_list_through_them(nox, planted):
    p = planted
    paths = [i["path"] for i in list_all(nox, p["attacker"], recursive=True)]
    assert sorted(paths) == ["mid", "mid/plain.txt", "real", "real/own.txt"], (
        f"expected the links omitted and never descended into: {paths}"
    )
    assert sorted(i["path"] for i in list_all(nox, p["attacker"], path="mid")) == ["mid/plain.txt"], (
        "expected the link mid/through omitted from mid's listing"
    )
    for path in ("victim", "authdir", "mid/through", "inner", "victim/private"):
        assert_error(list_page(nox, p["attacker"], path=path), 400, "invalid_path")
        assert_error(list_page(nox, p["attacker"], path=path, recursive=True), 400, "invalid_path")


def test_search_never_indexes_through_symlinks(nox, planted):
    p = planted
    assert search_items(nox, p["attacker"], p["secret"].decode()) == [], "expected the victim's secret never found"
    hits = search_items(nox, p["attacker"], "root")
    assert hits == [], f"expected nothing of /etc/shadow found (no 'root' anywhere in the attacker's files): {hits}"
    for path in ("victim", "mid/through"):
        assert_error(search(nox, p["attacker"], "secret", path=path), 400, "invalid_path")
    own = {h["path"] for h in search_items(nox, p["attacker"], "own")}
    assert own == {"real/own.txt"}, f"expected the real file found, never again through the 'inner' link: {own}"


def test_put_never_writes_through_a_symlink(nox, planted):
    p = planted
    for path in ("victim/planted.txt", "victim/private/secret.txt", "mid/through/planted.txt",
                 "mid/through/secret.txt", "victim", "mid/through", "inner/new.txt"):
        resp = put_file(nox, p["attacker"], path, b"written through a link")
        assert_error(resp, 400, "invalid_path")
    _assert_victim_intact(nox, p)
    assert not exists_on_disk(nox, f"{p['victim_box']}/planted.txt"), "expected no file created in the victim's box"
    entries = disk_entries(nox, p["attacker"].username)
    assert entries.get("victim") == "l" and entries.get("mid/through") == "l", (
        f"expected the refused PUTs to leave the links as they were: {entries}"
    )
    assert "real/new.txt" not in entries, "expected nothing written through the 'inner' link"


def test_upload_into_a_symlinked_dir_is_refused(nox, planted):
    p = planted
    for d in ("victim", "mid/through", "victim/private"):
        resp = upload(nox, p["attacker"], [("planted.txt", b"x")], dir=d)
        assert_error(resp, 400, "invalid_path")
    _assert_victim_intact(nox, p)


def test_delete_through_a_symlink_is_refused_but_the_link_itself_can_go(nox, planted):
    p = planted
    for path in ("victim/private/secret.txt", "mid/through/secret.txt", "victim/private"):
        assert_error(delete_path(nox, p["attacker"], path), 400, "invalid_path")
        assert_error(delete_path(nox, p["attacker"], path, recursive=True), 400, "invalid_path")
    _assert_victim_intact(nox, p)
    resp = delete_path(nox, p["attacker"], "victim")
    assert resp.status_code == 204, f"expected 204 deleting the link itself: {describe(resp)}"
    resp = delete_path(nox, p["attacker"], "mid/through", recursive=True)
    assert resp.status_code == 204, f"expected 204 deleting the directory link itself, recursively: {describe(resp)}"
    entries = disk_entries(nox, p["attacker"].username)
    assert "victim" not in entries and "mid/through" not in entries, f"expected both links removed: {entries}"
    _assert_victim_intact(nox, p)  # the links went, never what they pointed to


def test_move_never_goes_through_a_symlink(nox, planted):
    p = planted
    attempts = [("victim/private/secret.txt", "stolen.txt"), ("mid/through/secret.txt", "stolen.txt"),
                ("real/own.txt", "victim/own.txt"), ("real/own.txt", "mid/through/own.txt"),
                ("real/own.txt", "inner/own2.txt")]
    for src, dst in attempts:
        assert_error(move(nox, p["attacker"], src, dst), 400, "invalid_path")
    _assert_victim_intact(nox, p)
    assert get_bytes(nox, p["attacker"], "real/own.txt") == b"own content\n", "expected the attacker's file in place"
    assert_error(get_file(nox, p["attacker"], "stolen.txt"), 404, "not_found")


def test_backup_never_contains_what_symlinks_point_to(nox, planted):
    p = planted
    record = create_backup(nox, p["attacker"])
    assert record["file_count"] == 2, f"expected the 2 real files counted, no link: {record}"
    archive = download_backup(nox, p["attacker"], record["id"]).content
    assert sha256_hex(archive) == record["sha256"], "expected the archive to match its record"
    members = tar_members(archive)
    odd = {n: m.type for n, m in members.items() if not (m.isfile() or m.isdir())}
    assert not odd, f"expected only regular files and directories in the archive (no links): {odd}"
    files = sorted(n for n, m in members.items() if m.isfile())
    assert files == ["mid/plain.txt", "real/own.txt"], f"expected exactly the real files: {files}"
    plain = gunzip(archive)
    for leak in _leaks(p):
        assert leak not in plain, f"expected the archive not to contain {leak!r}"
    resp = restore_json(nox, p["attacker"], record["id"])
    assert assert_json(resp, 200).get("restored_files") == 2, f"expected the backup restorable: {describe(resp)}"
    _assert_victim_intact(nox, p)
    assert sorted(disk_entries(nox, p["attacker"].username)) == ["mid", "mid/plain.txt", "real", "real/own.txt"], (
        "expected the restore to replace the sandbox exactly (links gone)"
    )


def test_deleting_a_user_whose_sandbox_holds_links_removes_only_the_links(nox, admin, victim):
    owner, secret, _ = victim
    name, password, _ = create_user(nox, admin.access_token, username=unique_name("doomed"))
    deleted = False
    try:
        doomed = Client(nox, name, password, "user")
        doomed.login()
        put_ok(nox, doomed, "own.txt", b"mine\n")
        plant_symlink(nox, name, sandbox_dir(owner.username), "victim")
        plant_symlink(nox, name, f"{sandbox_dir(owner.username)}/private", "deep/through")
        resp = admin.delete(f"/api/admin/users/{name}")
        assert resp.status_code == 204, f"expected 204 deleting the user: {describe(resp)}"
        deleted = True
        wait_until(lambda: not exists_on_disk(nox, user_dir(name)), timeout=15, interval=0.5,
                   what=f"{user_dir(name)} to be removed after the user was deleted")
        assert get_bytes(nox, owner, "private/secret.txt") == secret + b"\n", (
            "expected the other user's file intact: the deletion removes links, never their targets"
        )
        assert sorted(disk_entries(nox, owner.username)) == ["private", "private/secret.txt"], (
            "expected the other user's sandbox untouched"
        )
    finally:
        if not deleted:
            nox.run(["find", sandbox_dir(name), "-type", "l", "-delete"], check=False)
            admin.delete(f"/api/admin/users/{name}")


def test_special_files_are_omitted_and_never_opened(nox, make_user):
    user = make_user()
    put_ok(nox, user, "ok.txt", b"fine\n")
    sh_in_sandbox(nox, user.username, "mkfifo pipe")
    assert [i["path"] for i in list_all(nox, user, recursive=True)] == ["ok.txt"], "expected FIFOs omitted from listing"
    resp = get_file(nox, user, "pipe", timeout=10)
    assert 400 <= resp.status_code < 500, f"expected a prompt 4xx for GET of a FIFO (never opened): {describe(resp)}"
    assert_error(resp, resp.status_code)
    record = create_backup(nox, user)
    members = tar_members(download_backup(nox, user, record["id"]).content)
    assert sorted(members) == ["ok.txt"], f"expected only the regular file in the backup: {sorted(members)}"
    hits = search_items(nox, user, "pipe")
    assert [h for h in hits if h["path"] == "pipe"] == [], f"expected FIFOs not indexed (and search not blocked): {hits}"
