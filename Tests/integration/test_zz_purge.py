"""Purge removes all of Nox's data; a reinstall starts from scratch with a fresh admin.

Named to sort last: it wipes the users every other module relies on. It reinstalls the
package at the end, so whatever runs afterwards still finds Nox installed and serving.
"""

from __future__ import annotations

from helpers_api import (
    ADMIN_PASSWORD_FILES,
    admin_client,
    assert_error,
    assert_json,
    create_user_response,
    describe,
    find_deb,
    forget_clients,
    get_all_pages,
    login,
    me,
    new_password,
    login_response,
    read_admin_password,
    reinstall,
    unique_name,
    unit_property,
)


def _path_exists(nox, path: str) -> bool:
    return nox.run(["test", "-e", path], check=False).returncode == 0


def test_purge_removes_all_data_and_reinstall_starts_fresh(nox):
    adm = admin_client(nox)
    name, password = unique_name("gone"), new_password()
    assert_json(create_user_response(nox, adm.access_token, name, password, "user"), 201)
    old_token = login(nox, name, password)["access_token"]
    assert _path_exists(nox, "/var/lib/nox"), "/var/lib/nox missing before purge"

    forget_clients()
    nox.purge()
    assert not _path_exists(nox, "/var/lib/nox"), "purge left /var/lib/nox behind"
    for path in ADMIN_PASSWORD_FILES:
        assert not _path_exists(nox, path), f"purge left {path} behind"
    load = unit_property(nox, "nox-auth.service", "LoadState")
    assert load in ("not-found", ""), f"nox-auth.service still loadable after purge (LoadState={load})"

    reinstall(nox, find_deb(nox), same_version=False)

    resp = me(nox, old_token)
    assert resp.status_code == 401, f"a token from before the purge still works (signing key kept?): {describe(resp)}"
    assert_error(login_response(nox, name, password), 401)

    fresh_password = read_admin_password(nox) or nox.admin_password
    nox.admin_password = fresh_password  # keep the session's fixture truthful for anything after us
    tokens = login(nox, "admin", fresh_password)
    assert assert_json(me(nox, tokens["access_token"]), 200)["role"] == "admin"
    users = {u["username"] for u in get_all_pages(nox, "/api/admin/users", tokens["access_token"])}
    assert users == {"admin"}, f"a fresh install should hold only the admin, found {sorted(users)}"
    # The refused login just above is audited anew; anything else about the user is from before.
    audit = get_all_pages(nox, "/api/admin/audit", tokens["access_token"], params={"user": name})
    old = [event for event in audit if event["action"] != "auth.login"]
    created = get_all_pages(nox, "/api/admin/audit", tokens["access_token"], params={"action": "user.create"})
    old += [event for event in created if event.get("target") == name]
    assert old == [], f"the old audit log survived the purge: {old[:5]}"
