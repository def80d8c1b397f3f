"""noxctl users / audit as an administrator, and what a plain user is refused."""

from __future__ import annotations


from helpers_api import make_user, admin, new_password, unique_name, login_response  # noqa: F401  (fixtures)
from helpers_noxctl import NoxCtl, assert_error_output, ctl_admin, ctl_user  # noqa: F401  (fixtures)


def test_users_add_show_set_list_disable_delete(nox, ctl_admin):
    name = unique_name("c")
    password = new_password()
    added = ctl_admin.json("users", "add", name, "--role", "user", "--password-stdin", "--quota", "memory_mb=256",
                           input=password + "\n")
    assert added["username"] == name and added["role"] == "user" and added["quotas"]["memory_mb"] == 256

    shown = ctl_admin("users", "show", name).stdout
    assert name in shown and "quota memory_mb: 256" in " ".join(shown.split())

    changed = ctl_admin.json("users", "set", name, "--role", "viewer", "--quota", "memory_mb=default", "--quota",
                             "disk_mb=64")
    assert changed["role"] == "viewer" and changed["quotas"]["disk_mb"] == 64 and changed["quotas"]["memory_mb"] != 256

    listed = ctl_admin.json("users", "list")
    assert name in [u["username"] for u in listed]
    assert name in ctl_admin("users", "list").stdout

    # The user can sign in with the password given on stdin, until disabled.
    person = NoxCtl(nox, username=name, password=password)
    person.login()
    ctl_admin("users", "disable", name)
    assert login_response(nox, name, password).status_code == 401
    ctl_admin("users", "set", name, "--enable")
    assert login_response(nox, name, password).status_code == 200

    newer = new_password()
    ctl_admin("users", "set", name, "--password-stdin", input=newer + "\n")
    assert login_response(nox, name, newer).status_code == 200

    assert f"deleted user {name}" in ctl_admin("users", "delete", name).stdout
    assert_error_output(ctl_admin("users", "show", name, check=False), "HTTP 404")


def test_duplicate_user_is_a_conflict(ctl_admin, make_user):
    user = make_user(do_login=False)
    res = ctl_admin("users", "add", user.username, "--password-stdin", input="pw-Xy12345!\n", check=False)
    assert_error_output(res, "HTTP 409")


def test_a_plain_user_is_refused_admin_commands(ctl_user):
    assert_error_output(ctl_user("users", "list", check=False), "HTTP 403")
    assert_error_output(ctl_user("audit", check=False), "HTTP 403")


def test_audit_filters_by_user_action_and_time(nox, ctl_admin, ctl_user):
    entries = ctl_admin.json("audit", "--user", ctl_user.username, "--since", "1h")
    assert entries and all(e["user"] == ctl_user.username for e in entries), entries
    assert "auth.login" in [e["action"] for e in entries]
    logins = ctl_admin.json("audit", "--user", ctl_user.username, "--action", "auth.login")
    assert logins and all(e["action"] == "auth.login" for e in logins)
    assert ctl_admin.json("audit", "--user", ctl_user.username, "--until", "2000-01-01T00:00:00Z") == []
    table = ctl_admin("audit", "--user", ctl_user.username).stdout
    assert table.splitlines()[0].split()[:3] == ["TIME", "USER", "ACTION"] and "auth.login" in table
