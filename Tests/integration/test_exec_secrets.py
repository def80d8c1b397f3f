"""Per-user secrets (issue 8, "Secrets"): `/api/secrets` CRUD, write-only values, and
`POST /api/exec` `secrets: [NAME]`, which gives a run those secrets as environment variables.

The value must reach the run and nothing else: not the API's answers, not the history or the
job, not the journal, not nox-exec's databases in the clear, not the run unit's properties or
its transient unit file as another local user sees them (`systemctl show` as `nobody`)."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    assert_details_name_field,
    assert_error,
    assert_json,
    describe,
    make_user,
    request,
    wait_until,
)
from helpers_exec import (  # noqa: F401  (module_user is a fixture)
    exec_response, get, module_user, run, run_unit, submit, wait_final, wait_status,
)

NAME_RE_CASES = ["lower", "1ABC", "A-B", "PATH", "HOME", "LD_PRELOAD", "NOX_TOKEN", "K" + "9" * 64]


def secret_value() -> str:
    # Distinctive, so finding it anywhere is a leak and never a coincidence.
    return "nxs-" + uuid.uuid4().hex + "-" + uuid.uuid4().hex


def put(user, name: str, value, **kw):
    return user.request("PUT", f"/api/secrets/{name}", json_body={"value": value} if value is not None else None, **kw)


def assert_secret_object(body, name: str) -> None:
    assert isinstance(body, dict) and set(body) == {"name", "created_at", "updated_at"}, body
    assert body["name"] == name


def test_crud_and_values_are_never_returned(make_user):
    user = make_user()
    value = secret_value()
    created = assert_json(put(user, "API_TOKEN", value), 201)
    assert_secret_object(created, "API_TOKEN")
    replaced_resp = put(user, "API_TOKEN", value + "2")
    replaced = assert_json(replaced_resp, 200)
    assert_secret_object(replaced, "API_TOKEN")
    assert replaced["created_at"] == created["created_at"]
    assert value not in replaced_resp.text
    listing_resp = user.get("/api/secrets")
    listing = assert_json(listing_resp, 200)
    assert listing["next_cursor"] is None
    assert [item["name"] for item in listing["items"]] == ["API_TOKEN"]
    assert_secret_object(listing["items"][0], "API_TOKEN")
    assert value not in listing_resp.text
    # There is no way to read a value back.
    assert user.get("/api/secrets/API_TOKEN").status_code in (404, 405)
    assert user.delete("/api/secrets/API_TOKEN").status_code == 204
    assert_error(user.delete("/api/secrets/API_TOKEN"), 404)
    assert assert_json(user.get("/api/secrets"), 200)["items"] == []


def test_pagination(make_user):
    user = make_user()
    for index in range(5):
        assert put(user, f"S{index}", "x").status_code == 201
    first = assert_json(user.get("/api/secrets", params={"limit": 2}), 200)
    assert [i["name"] for i in first["items"]] == ["S0", "S1"] and first["next_cursor"]
    names = [i["name"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = assert_json(user.get("/api/secrets", params={"limit": 2, "cursor": cursor}), 200)
        names += [i["name"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert names == ["S0", "S1", "S2", "S3", "S4"]


@pytest.mark.parametrize("name", NAME_RE_CASES)
def test_bad_names_are_422(module_user, name):
    resp = put(module_user, name, "x")
    err = assert_error(resp, 422, "validation_failed")
    assert_details_name_field(err, "name", resp)
    assert_error(module_user.delete(f"/api/secrets/{name}"), 422, "validation_failed")


def test_bad_bodies(make_user):
    user = make_user()
    assert_error(user.request("PUT", "/api/secrets/TOKEN", data="{not json", headers={"Content-Type": "application/json"}), 400,
                 "invalid_json")
    err = assert_error(user.request("PUT", "/api/secrets/TOKEN", json_body={}), 422, "validation_failed")
    assert "value" in json.dumps(err.get("details"))
    assert_error(user.request("PUT", "/api/secrets/TOKEN", json_body={"value": 5}), 422, "validation_failed")
    assert_error(put(user, "TOKEN", "a\u0000b"), 422, "validation_failed")
    assert_error(put(user, "TOKEN", "x" * (64 * 1024 + 1)), 422, "validation_failed")
    assert put(user, "TOKEN", "x" * (64 * 1024)).status_code == 201


def test_viewer_is_refused(make_user):
    viewer = make_user(role="viewer")
    assert_error(viewer.get("/api/secrets"), 403)
    assert_error(put(viewer, "TOKEN", "x"), 403)
    assert_error(viewer.delete("/api/secrets/TOKEN"), 403)


def test_unauthenticated_is_401(nox):
    resp = request(nox, "GET", "/api/secrets")
    assert_error(resp, 401)
    assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_a_run_sees_a_secret_only_when_it_names_it(make_user):
    user = make_user()
    value = secret_value()
    assert put(user, "MY_TOKEN", value).status_code == 201
    code = 'printf "%s|%s" "${MY_TOKEN-unset}" "${OTHER-unset}"'
    named = run(user.nox, user, "sh", code, secrets=["MY_TOKEN"])
    assert named["status"] == "succeeded" and named["stdout"] == value + "|unset", named
    unnamed = run(user.nox, user, "sh", code)
    assert unnamed["status"] == "succeeded" and unnamed["stdout"] == "unset|unset", unnamed
    # Trailing newlines and shell metacharacters arrive exactly.
    odd = "line1\nline2\n\n$(id) `x` 'q' \"d\" \\"
    assert put(user, "ODD", odd).status_code == 201
    result = run(user.nox, user, "python", "import os,sys; sys.stdout.write(os.environ['ODD'])", secrets=["ODD"], args=["$HOME"])
    assert result["status"] == "succeeded" and result["stdout"] == odd, result
    # argv still reaches the program literally through the wrapper.
    result = run(user.nox, user, "python", "import sys; print(sys.argv[1:])", secrets=["ODD"], args=["$HOME", "a b"])
    assert result["stdout"] == "['$HOME', 'a b']\n", result


def test_unknown_secret_and_bad_secret_lists(make_user):
    user = make_user()
    err = assert_error(exec_response(user.nox, user, {"language": "sh", "code": "true", "secrets": ["NOPE"]}), 422,
                       "unknown_secret")
    assert err["details"]["field"] == "secrets"
    for bad in (["lower"], ["PATH"], "NOPE", [1], ["A", "A"]):
        resp = exec_response(user.nox, user, {"language": "sh", "code": "true", "secrets": bad})
        assert_error(resp, 422, "validation_failed")
    assert put(user, "BOTH", "x").status_code == 201
    resp = exec_response(user.nox, user, {"language": "sh", "code": "true", "secrets": ["BOTH"], "env": {"BOTH": "y"}})
    assert_error(resp, 422, "validation_failed")


def test_another_users_secrets_are_invisible_and_unusable(make_user):
    alice, bob = make_user(), make_user()
    value = secret_value()
    assert put(alice, "ALICE_ONLY", value).status_code == 201
    assert assert_json(bob.get("/api/secrets"), 200)["items"] == []
    assert_error(bob.delete("/api/secrets/ALICE_ONLY"), 404)
    resp = exec_response(bob.nox, bob, {"language": "sh", "code": "true", "secrets": ["ALICE_ONLY"]})
    err = assert_error(resp, 422, "unknown_secret")
    assert value not in resp.text and err["details"]["field"] == "secrets"
    # Bob's own secret of the same name is his, and Alice's stays hers.
    assert put(bob, "ALICE_ONLY", "bob's").status_code == 201
    assert run(bob.nox, bob, "sh", 'printf %s "$ALICE_ONLY"', secrets=["ALICE_ONLY"])["stdout"] == "bob's"
    assert run(alice.nox, alice, "sh", 'printf %s "$ALICE_ONLY"', secrets=["ALICE_ONLY"])["stdout"] == value


def test_the_value_appears_nowhere_else(nox, make_user):
    user = make_user()
    value = secret_value()
    digest = hashlib.sha256(value.encode()).hexdigest()
    assert put(user, "LEAK_CHECK", value).status_code == 201
    # The run proves it has the value (by its hash), then stays up while we look at its unit.
    code = 'printf %s "$LEAK_CHECK" | sha256sum; sleep 10'
    job_id = submit(nox, user, "sh", code, secrets=["LEAK_CHECK"])
    wait_status(nox, user, job_id, "running", timeout=30)
    unit = run_unit(job_id)
    wait_until(lambda: nox.run(["systemctl", "is-active", unit], check=False).stdout.strip() == "active", 20,
               what=f"{unit} active")
    # What another local user can see of the running unit: properties and the transient unit file.
    shown = nox.run(["runuser", "-u", "nobody", "--", "systemctl", "show", "--no-pager", unit], check=False)
    assert shown.returncode == 0 and "ActiveState=active" in shown.stdout, shown.stderr
    assert value not in shown.stdout
    env = nox.run(["runuser", "-u", "nobody", "--", "systemctl", "show", "-p", "Environment", "--value", unit], check=False)
    assert value not in env.stdout and "LEAK_CHECK" not in env.stdout
    transient = nox.run(["runuser", "-u", "nobody", "--", "cat", f"/run/systemd/transient/{unit}"], check=False)
    assert value not in transient.stdout
    # nox-exec's copy for systemd is root's only.
    probe = nox.run(["runuser", "-u", "nobody", "--", "ls", f"/run/nox-exec/secrets/{job_id}"], check=False)
    assert probe.returncode != 0
    result = wait_final(nox, user, job_id, timeout=60)
    assert result["status"] == "succeeded" and result["stdout"].startswith(digest), result
    assert not nox.run(["test", "-e", f"/run/nox-exec/secrets/{job_id}"], check=False).returncode == 0, \
        "the run's secret files outlive it"
    # The API: the job, the history.
    for path in (f"/api/jobs/{job_id}", "/api/history", "/api/secrets"):
        resp = get(nox, user, path)
        assert resp.status_code == 200 and value not in resp.text, describe(resp)
    history = assert_json(get(nox, user, "/api/history", params={"q": "sha256sum"}), 200)
    assert any(item["id"] == job_id for item in history["items"]), history
    # The journal (everything in it), the databases and anything else under /var/lib/nox, raw.
    nox.run(["journalctl", "--sync"], check=False)
    journal = nox.run(["journalctl", "--no-pager", "-o", "json"], timeout=120, check=False)
    assert journal.stdout and value not in journal.stdout
    assert "LEAK_CHECK" in journal.stdout, "the journal should name the secret (its creation)"
    for root in ("/var/lib/nox", "/run/nox-exec", "/run/systemd/transient"):
        found = nox.run(["grep", "-rlaF", value, root], check=False)
        assert found.returncode == 1, f"the value is in {found.stdout.strip()} ({found.stderr.strip()})"
    # And the encrypted store does hold it, under its name.
    rows = nox.run(["grep", "-rlaF", "LEAK_CHECK", "/var/lib/nox/exec"], check=False)
    assert "secrets.sqlite" in rows.stdout


def test_the_key_is_a_root_only_credential(nox):
    mode = nox.run(["stat", "-c", "%a %U", "/etc/nox/credentials/exec/secrets.key"]).stdout.split()
    assert mode == ["600", "root"], mode
    unit = nox.run(["systemctl", "cat", "nox-exec.service"]).stdout
    assert "LoadCredential=secrets.key:/etc/nox/credentials/exec/secrets.key" in unit
    # nox-exec runs with it (it refuses to start without), and the key is in no database.
    assert nox.run(["systemctl", "is-active", "nox-exec.service"], check=False).stdout.strip() in ("active", "inactive")
    key = nox.run(["cat", "/etc/nox/credentials/exec/secrets.key"]).stdout.strip()
    assert len(key) >= 43
    found = nox.run(["grep", "-rlaF", key, "/var/lib/nox"], check=False)
    assert found.returncode == 1, f"the secrets key is in {found.stdout.strip()}"
