"""noxctl login / whoami / logout, transparent refresh, API keys — driven as a user would."""

from __future__ import annotations

import stat

from helpers_api import make_user, admin  # noqa: F401  (fixtures)
from helpers_noxctl import NoxCtl, assert_error_output, ctl_factory, ctl_user  # noqa: F401  (fixtures)


def test_login_stores_tokens_privately_and_whoami_shows_the_user(nox, make_user):
    user = make_user(do_login=False)
    ctl = NoxCtl(nox, username=user.username, password=user.password)
    out = ctl.login()
    assert user.username in out.stdout

    mode = stat.S_IMODE(ctl.host_path(ctl.credentials_path).stat().st_mode)
    assert mode == 0o600, f"credentials file mode {oct(mode)}, want 0600"
    saved = ctl.credentials()["servers"][nox.url]
    assert saved["username"] == user.username and saved["refresh_token"] and saved["access_token"]
    # The URL given by NOX_URL was saved for later commands.
    assert nox.url in ctl.host_path(f"{ctl.config_home}/nox/config.toml").read_text()

    me = ctl.json("whoami")
    assert me["username"] == user.username and me["role"] == "user"
    table = ctl("whoami").stdout
    assert user.username in table and "exec:run" in table and "quota memory_mb" in table


def test_wrong_password_is_an_error_on_stderr_with_the_servers_message(nox, make_user):
    user = make_user(do_login=False)
    ctl = NoxCtl(nox, username=user.username, password="not-the-password")
    res = ctl("login", "--username", user.username, "--password-stdin", input="wrong\n", check=False)
    assert_error_output(res, "HTTP 4")
    assert res.returncode == 1


def test_logout_revokes_the_login_on_the_server(nox, ctl_user):
    refresh = ctl_user.credentials()["servers"][nox.url]["refresh_token"]
    out = ctl_user("logout")
    assert "Logged out" in out.stdout
    assert nox.url not in ctl_user.credentials()["servers"]
    assert_error_output(ctl_user("whoami", check=False), "not logged in", "noxctl login")
    # The refresh token was revoked server-side, not only forgotten here.
    import helpers_api
    assert helpers_api.refresh(nox, refresh).status_code == 401


def test_an_expired_access_token_is_refreshed_transparently(nox, ctl_user):
    before = ctl_user.credentials()
    before["servers"][nox.url]["expires_at"] = 0  # as if the 15 minutes had passed
    ctl_user.write_credentials(before)
    assert ctl_user.json("whoami")["username"] == ctl_user.username
    after = ctl_user.credentials()["servers"][nox.url]
    assert after["refresh_token"] != before["servers"][nox.url]["refresh_token"], "the pair was not rotated"
    assert after["expires_at"] > 0


def test_a_refused_access_token_is_refreshed_and_the_request_retried(nox, ctl_user):
    creds = ctl_user.credentials()
    creds["servers"][nox.url]["access_token"] = "not.a.token"  # looks unexpired, the server refuses it
    ctl_user.write_credentials(creds)
    assert ctl_user.json("whoami")["username"] == ctl_user.username
    assert ctl_user.credentials()["servers"][nox.url]["access_token"] != "not.a.token"


def test_a_revoked_login_asks_to_log_in_again(nox, ctl_user):
    import helpers_api
    creds = ctl_user.credentials()
    assert helpers_api.logout(nox, creds["servers"][nox.url]["refresh_token"]).status_code == 204
    creds["servers"][nox.url]["expires_at"] = 0
    ctl_user.write_credentials(creds)
    assert_error_output(ctl_user("whoami", check=False), "expired or was revoked", "noxctl login")


def test_token_from_the_environment_needs_no_login(nox, make_user, ctl_factory):
    user = make_user()
    ctl = ctl_factory()
    assert ctl.json("whoami", env={"NOX_TOKEN": user.access_token})["username"] == user.username


def test_no_server_url_says_how_to_give_one(nox, ctl_factory):
    ctl = ctl_factory()
    res = nox.run(["/usr/bin/noxctl", "whoami"], check=False, env={"XDG_CONFIG_HOME": ctl.config_home})
    assert_error_output(res, "no server URL", "NOX_URL")


def test_keys_create_list_use_and_delete(nox, ctl_user, ctl_factory):
    key = ctl_user.json("keys", "create", "ci", "--scope", "exec:run", "--scope", "files:read")
    assert key["key"].startswith("nox_") and sorted(key["scopes"]) == ["exec:run", "files:read"]
    listed = ctl_user.json("keys", "list")
    assert [k for k in listed if str(k["id"]) == str(key["id"])], listed
    assert all("key" not in k or not str(k.get("key", "")).startswith("nox_") for k in listed), "secret listed"
    assert "ci" in ctl_user("keys", "list").stdout

    other = ctl_factory()
    # exec:run without history:read: no event stream, yet the output and the exit code come back.
    run = other("run", "-l", "python", "-c", "print(6*7); raise SystemExit(7)", env={"NOX_TOKEN": key["key"]}, check=False)
    assert run.returncode == 7 and run.stdout == "42\n", run.stderr
    full = ctl_user.json("keys", "create", "full")
    streamed = other("run", "-l", "python", "-c", "print(6*7)", env={"NOX_TOKEN": full["key"]})
    assert streamed.stdout == "42\n"
    ctl_user("keys", "delete", str(full["id"]))

    ctl_user("keys", "delete", str(key["id"]))
    assert not [k for k in ctl_user.json("keys", "list") if str(k["id"]) == str(key["id"])]
    res = other("whoami", env={"NOX_TOKEN": key["key"]}, check=False)
    assert_error_output(res, "HTTP 401")
