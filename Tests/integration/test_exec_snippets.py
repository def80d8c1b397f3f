"""Snippets and templates (issue 8): `/api/snippets` CRUD and search, per user and global (admins
write global ones), `POST /api/exec` with `snippet`, and `/api/templates` seeding a sandbox."""

from __future__ import annotations

import uuid

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    admin,
    assert_details_name_field,
    assert_error,
    assert_json,
    make_user,
)
from helpers_exec import exec_response


def name() -> str:
    return "s" + uuid.uuid4().hex[:10]


def create(user, **fields) -> dict:
    body = {"name": name(), "language": "python", "code": "print('hi')", **fields}
    return assert_json(user.post("/api/snippets", body), 201)


def test_create_read_update_delete(nox, make_user):
    user = make_user()
    word = "zq" + uuid.uuid4().hex[:8]
    snippet = create(user, description=f"adds {word}", tags=["math", "demo"], language="py", code="print(1 + 1)")
    assert snippet["id"].startswith("snp_") and snippet["scope"] == "mine", snippet
    assert snippet["language"] == "python" and snippet["tags"] == ["demo", "math"], snippet
    for key in ("name", "description", "code", "created_at", "updated_at"):
        assert key in snippet, snippet
    assert assert_json(user.get(f"/api/snippets/{snippet['id']}"), 200) == snippet
    patched = assert_json(user.patch(f"/api/snippets/{snippet['id']}", {"code": "print(2 + 2)"}), 200)
    assert patched["code"] == "print(2 + 2)" and patched["name"] == snippet["name"], patched
    # Search covers name, description and code; tag and language filter.
    found = assert_json(user.get("/api/snippets", params={"q": word}), 200)
    assert [item["id"] for item in found["items"]] == [snippet["id"]] and found["next_cursor"] is None, found
    assert snippet["id"] in [i["id"] for i in assert_json(user.get("/api/snippets", params={"tag": "math"}), 200)["items"]]
    assert assert_json(user.get("/api/snippets", params={"tag": "nothere"}), 200)["items"] == []
    assert assert_json(user.get("/api/snippets", params={"language": "c", "scope": "mine"}), 200)["items"] == []
    assert user.delete(f"/api/snippets/{snippet['id']}").status_code == 204
    assert_error(user.get(f"/api/snippets/{snippet['id']}"), 404, "not_found")


def test_pagination_walks_every_snippet(nox, make_user):
    user = make_user()
    ids = {create(user)["id"] for _ in range(5)}
    pages = []
    cursor = None
    while True:
        params = {"limit": 2, "scope": "mine", **({"cursor": cursor} if cursor else {})}
        page = assert_json(user.get("/api/snippets", params=params), 200)
        pages.append(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert {item["id"] for page in pages for item in page["items"]} == ids
    assert_error(user.get("/api/snippets", params={"cursor": "garbage"}), 422, "validation_failed")


def test_names_are_unique_per_owner(nox, make_user):
    alice, bob = make_user(), make_user()
    first = create(alice)
    assert_error(alice.post("/api/snippets", {"name": first["name"], "language": "python", "code": "x"}), 409, "snippet_exists")
    create(bob, name=first["name"])  # another owner may use it


def test_another_users_snippet_is_404(nox, make_user):
    alice, bob = make_user(), make_user()
    snippet = create(alice)
    for method in ("GET", "PATCH", "DELETE"):
        resp = bob.request(method, f"/api/snippets/{snippet['id']}", json_body={"code": "x"} if method == "PATCH" else None)
        assert_error(resp, 404, "not_found")
    assert snippet["id"] not in [i["id"] for i in assert_json(bob.get("/api/snippets"), 200)["items"]]
    assert_error(exec_response(nox, bob, {"snippet": snippet["id"]}), 422, "unknown_snippet")


def test_global_snippets_are_written_by_admins_and_read_by_everyone(nox, admin, make_user):
    user = make_user()
    assert_error(user.post("/api/snippets", {"name": name(), "language": "python", "code": "x", "global": True}), 403, "forbidden")
    shared = create(admin, **{"global": True, "code": "print('global snippet')"})
    assert shared["scope"] == "global"
    try:
        seen = assert_json(user.get(f"/api/snippets/{shared['id']}"), 200)
        assert seen["scope"] == "global" and seen["code"] == shared["code"]
        listed = assert_json(user.get("/api/snippets", params={"scope": "global", "q": "global snippet"}), 200)
        assert shared["id"] in [i["id"] for i in listed["items"]], listed
        assert shared["id"] not in [i["id"] for i in assert_json(user.get("/api/snippets", params={"scope": "mine"}), 200)["items"]]
        assert_error(user.patch(f"/api/snippets/{shared['id']}", {"code": "x"}), 403, "forbidden")
        assert_error(user.delete(f"/api/snippets/{shared['id']}"), 403, "forbidden")
        result = assert_json(exec_response(nox, user, {"snippet": shared["id"]}), 200)
        assert result["status"] == "succeeded" and result["stdout"] == "global snippet\n", result
    finally:
        assert admin.delete(f"/api/snippets/{shared['id']}").status_code == 204


def test_exec_by_snippet_id_or_name(nox, make_user):
    user = make_user()
    snippet = create(user, code="import sys; print('from snippet', sys.argv[1:])")
    by_id = assert_json(exec_response(nox, user, {"snippet": snippet["id"], "args": ["a"]}), 200)
    assert by_id["status"] == "succeeded" and by_id["stdout"] == "from snippet ['a']\n" and by_id["language"] == "python", by_id
    by_name = assert_json(exec_response(nox, user, {"snippet": snippet["name"], "language": "py"}), 200)
    assert by_name["stdout"] == "from snippet []\n", by_name
    assert_error(exec_response(nox, user, {"snippet": snippet["id"], "language": "sh"}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"snippet": snippet["id"], "code": "print(1)"}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"snippet": snippet["id"], "file": "x.py"}), 422, "validation_failed")
    assert_error(exec_response(nox, user, {"snippet": "no-such-snippet"}), 422, "unknown_snippet")
    assert_error(exec_response(nox, user, {"code": "print(1)"}), 422, "validation_failed")


@pytest.mark.parametrize("body, field", [
    ({"language": "python", "code": "x"}, "name"),
    ({"name": "ok", "code": "x"}, "language"),
    ({"name": "ok", "language": "python"}, "code"),
    ({"name": "bad name", "language": "python", "code": "x"}, "name"),
    ({"name": "snp_x", "language": "python", "code": "x"}, "name"),
    ({"name": "ok", "language": "python", "code": "x", "tags": ["Not OK"]}, "tags"),
    ({"name": "ok", "language": "python", "code": "x", "tags": "demo"}, None),
    ({"name": 5, "language": "python", "code": "x"}, None),
])
def test_bad_snippets_are_422(nox, make_user, body, field):
    user = make_user()
    resp = user.post("/api/snippets", body)
    err = assert_error(resp, 422)
    if field:
        assert_details_name_field(err, field, resp)


def test_bad_requests_are_json_errors(nox, make_user):
    user = make_user()
    resp = user.request("POST", "/api/snippets", data="{not json")
    assert_error(resp, 400, "invalid_json")
    assert_error(user.post("/api/snippets", {"name": "ok", "language": "cobol", "code": "x"}), 422, "unknown_language")
    assert_error(user.get("/api/snippets", params={"scope": "everyone"}), 422, "validation_failed")
    assert_error(user.get("/api/snippets", params={"limit": 0}), 422, "validation_failed")
    assert_error(user.get("/api/snippets/snp_doesnotexist"), 404, "not_found")
    assert_error(user.get("/api/snippets", token=None), 401)


# --------------------------------------------------------------------------- templates


def test_templates_list_the_shipped_ones(nox, make_user):
    user = make_user()
    listed = assert_json(user.get("/api/templates"), 200)
    by_name = {item["name"]: item for item in listed["items"]}
    assert {"python-project", "c-project"} <= set(by_name), listed
    assert by_name["python-project"]["language"] == "python" and "main.py" in by_name["python-project"]["files"]
    assert "template.toml" not in by_name["python-project"]["files"]
    assert listed["next_cursor"] is None


def test_apply_writes_the_files_and_they_run(nox, make_user):
    user = make_user()
    applied = assert_json(user.post("/api/templates/python-project/apply", {"dir": "proj"}), 200)
    assert "proj/main.py" in applied["written"] and "proj/src/greeting.py" in applied["written"], applied
    listing = assert_json(user.get("/api/files", params={"path": "proj", "recursive": "true"}), 200)
    assert "proj/src/greeting.py" in [item["path"] for item in listing["items"]], listing
    c = assert_json(user.post("/api/templates/c-project/apply", {}), 200)
    assert "main.c" in c["written"]
    result = assert_json(exec_response(nox, user, {"language": "c", "file": "main.c", "args": ["Nox"]}), 200)
    assert result["status"] == "succeeded" and result["stdout"] == "Hello, Nox!\n", result


def test_existing_files_conflict_unless_overwrite(nox, make_user):
    user = make_user()
    assert user.request("PUT", "/api/files/main.py", data=b"print('mine')").status_code == 201
    err = assert_error(user.post("/api/templates/python-project/apply", {}), 409, "file_exists")
    assert err["details"]["path"] == "main.py", err
    # Nothing was written: all or nothing.
    assert user.get("/api/files/src/greeting.py").status_code == 404
    applied = assert_json(user.post("/api/templates/python-project/apply", {"overwrite": True}), 200)
    assert "main.py" in applied["written"]
    assert "greet" in user.get("/api/files/main.py").text


def test_template_errors(nox, make_user):
    user = make_user()
    assert_error(user.post("/api/templates/no-such-template/apply", {}), 404, "not_found")
    assert_error(user.post("/api/templates/python-project/apply", {"dir": "../up"}), 400, "invalid_path")
    assert_error(user.post("/api/templates/python-project/apply", {"overwrite": "yes"}), 422, "validation_failed")
    assert_error(user.request("POST", "/api/templates/python-project/apply", data="{"), 400, "invalid_json")


def test_apply_respects_the_disk_quota(nox, make_user):
    user = make_user(quotas={"disk_mb": 1})
    assert user.request("PUT", "/api/files/big.bin", data=b"x" * (1024 * 1024 - 100)).status_code == 201
    assert_error(user.post("/api/templates/python-project/apply", {}), 507, "quota_exceeded")
