"""nox-auth as a systemd service: socket activation, restarts without loss, hardening,
structured journald entries, and package upgrade keeping the data.

These tests stop, restart and reinstall nox-auth; they leave it installed and serving.
The purge test lives in test_zz_purge.py so that it runs last.
"""

from __future__ import annotations

import threading
import time


from helpers_api import (
    security_exposure,  # noqa: F401  (admin, make_user are fixtures)
    admin,
    assert_json,
    create_user_response,
    describe,
    find_deb,
    journal_entries_for_request,
    journal_value,
    login,
    make_user,
    me,
    new_password,
    new_request_id,
    refresh,
    reinstall,
    request,
    requests_through_a_restart,
    unique_name,
    unit_property,
    wait_until,
)

SERVICE = "nox-auth.service"


def _sockets(nox) -> list[str]:
    triggered_by = unit_property(nox, SERVICE, "TriggeredBy").split()
    sockets = [u for u in triggered_by if u.endswith(".socket")]
    assert sockets, f"{SERVICE} is not triggered by any socket unit (TriggeredBy={triggered_by})"
    return sockets


def _active_state(nox, unit: str) -> str:
    return unit_property(nox, unit, "ActiveState")


def _main_pid(nox) -> int:
    return int(unit_property(nox, SERVICE, "MainPID") or 0)


def _ensure_running(nox, admin) -> int:
    assert_json(me(nox, admin.access_token), 200)
    return wait_until(lambda: _main_pid(nox), timeout=10, what=f"{SERVICE} to have a MainPID")


def _user_with_high_rate_limit(nox, admin) -> tuple[str, str]:
    """A user whose requests_per_minute does not throttle a few seconds of steady traffic."""
    name, password = unique_name("stream"), new_password()
    resp = create_user_response(nox, admin.access_token, name, password, "user",
                                quotas={"requests_per_minute": 100000})
    if resp.status_code == 422:
        resp = create_user_response(nox, admin.access_token, name, password, "user")
    assert_json(resp, 201)
    return name, password


# --------------------------------------------------------------------------- socket activation


def test_sockets_are_listening_and_enabled(nox):
    for sock in _sockets(nox):
        assert _active_state(nox, sock) == "active", f"{sock} is not active"
        # "running" while the service holds the socket, "listening" while it is idle.
        assert unit_property(nox, sock, "SubState") in ("listening", "running"), f"{sock} is not listening"
        enabled = nox.run(["systemctl", "is-enabled", sock], check=False).stdout.strip()
        assert enabled in ("enabled", "static", "indirect"), f"{sock} is {enabled!r}, the package must enable it"


def test_stopped_service_is_started_again_by_its_socket(nox, admin):
    _ensure_running(nox, admin)
    nox.systemctl("stop", SERVICE)
    assert _active_state(nox, SERVICE) in ("inactive", "failed") and _main_pid(nox) == 0, (
        f"{SERVICE} still running after stop"
    )
    assert unit_property(nox, SERVICE, "Result") == "success", "nox-auth did not stop cleanly on SIGTERM"
    for sock in _sockets(nox):
        assert unit_property(nox, sock, "SubState") == "listening", f"{sock} stopped listening with the service"
    started = time.monotonic()
    resp = me(nox, admin.access_token)
    first_response_s = time.monotonic() - started
    assert_json(resp, 200)
    wait_until(lambda: _active_state(nox, SERVICE) == "active", timeout=10,
               what=f"{SERVICE} to be active after a request on its socket")
    assert first_response_s < 10, f"cold start took {first_response_s:.1f}s"


def test_stopped_service_stays_stopped_until_a_request_comes(nox, admin):
    _ensure_running(nox, admin)
    nox.systemctl("stop", SERVICE)
    time.sleep(1)
    assert _active_state(nox, SERVICE) in ("inactive", "failed"), "something restarted nox-auth without a request"
    resp = request(nox, "GET", "/api/auth/keys")  # a public endpoint starts it too
    assert_json(resp, 200)


def test_restart_during_steady_requests_loses_none(nox, admin):
    name, password = _user_with_high_rate_limit(nox, admin)
    _ensure_running(nox, admin)
    tokens = threading.local()

    def login_or_me():
        # Per thread: a login every third request (a write), else GET /me with the newest token.
        if not hasattr(tokens, "token"):
            tokens.token, tokens.count = login(nox, name, password)["access_token"], 0
        tokens.count += 1
        if tokens.count % 3 == 0:
            resp = request(nox, "POST", "/api/auth/login", json_body={"username": name, "password": password}, timeout=20)
            if resp.status_code == 200:
                tokens.token = resp.json()["access_token"]
        else:
            resp = me(nox, tokens.token, timeout=20)
        return 200 if resp.status_code == 200 else describe(resp)

    results = requests_through_a_restart(nox, SERVICE, login_or_me)
    failures = [r for r in results if r[2] != 200]
    assert not failures, f"{len(failures)} of {len(results)} requests failed around the restart: {failures[:5]}"
    print(f"restart: {len(results)} requests, none lost")


# --------------------------------------------------------------------------- hardening


def test_systemd_analyze_security_exposure_is_at_most_2(nox):
    score, text = security_exposure(nox, SERVICE)
    print(f"systemd-analyze security {SERVICE}: {score}")
    assert score <= 2.0, f"exposure {score} > 2.0:\n{text[-3000:]}"


def test_systemd_analyze_verify_prints_nothing(nox):
    units = [SERVICE] + _sockets(nox)
    paths = [unit_property(nox, u, "FragmentPath") for u in units]
    assert all(paths), f"no unit files for {units}: {paths}"
    out = nox.run(["systemd-analyze", "verify", *paths], check=False)
    assert out.returncode == 0 and not (out.stdout.strip() or out.stderr.strip()), (
        f"systemd-analyze verify {' '.join(paths)} complained (rc={out.returncode}):\n{out.stdout}{out.stderr}"
    )


def test_service_runs_as_its_own_unprivileged_user(nox, admin):
    _ensure_running(nox, admin)
    user = unit_property(nox, SERVICE, "User")
    dynamic = unit_property(nox, SERVICE, "DynamicUser")
    assert user not in ("", "root") or dynamic == "yes", f"{SERVICE} runs as {user or 'root'}"
    pid = _main_pid(nox)
    uid_line = next(l for l in nox.run(["cat", f"/proc/{pid}/status"]).stdout.splitlines() if l.startswith("Uid:"))
    assert all(v != "0" for v in uid_line.split()[1:]), f"nox-auth runs with uid 0: {uid_line}"
    assert unit_property(nox, SERVICE, "Type") in ("notify", "notify-reload"), f"{SERVICE} should be Type=notify"


# --------------------------------------------------------------------------- journald


def test_journal_entries_carry_request_id_and_user(nox, make_user):
    user = make_user()
    rid = new_request_id()
    resp = me(nox, user.access_token, request_id=rid)
    assert_json(resp, 200)

    def entries_with_user():
        entries = [e for e in journal_entries_for_request(nox, rid)
                   if journal_value(e, "_SYSTEMD_UNIT") == SERVICE]
        return [e for e in entries if journal_value(e, "NOX_USER") == user.username] and entries

    entries = wait_until(entries_with_user, timeout=5, interval=0.5,
                         what=f"nox-auth journal entries with NOX_REQUEST_ID={rid} and NOX_USER={user.username}")
    for e in entries:
        assert journal_value(e, "NOX_REQUEST_ID") == rid, e
        assert journal_value(e, "PRIORITY") is not None, f"entry without PRIORITY: {e}"


def test_journal_records_failed_login_without_the_password(nox, make_user):
    user = make_user(do_login=False)
    rid = new_request_id()
    secret = "wrong-" + user.password
    resp = request(nox, "POST", "/api/auth/login", json_body={"username": user.username, "password": secret},
                   request_id=rid)
    assert resp.status_code == 401, describe(resp)
    entries = wait_until(lambda: journal_entries_for_request(nox, rid), timeout=5, interval=0.5,
                         what=f"journal entries for the failed login {rid}")
    for e in entries:
        assert secret not in str(e) and user.password not in str(e), f"password in the journal: {e}"


# --------------------------------------------------------------------------- upgrade


def test_upgrade_keeps_users_keys_and_tokens(nox, admin, make_user):
    user = make_user()
    key = user.create_key()
    reinstall(nox, find_deb(nox), same_version=True)

    tokens = login(nox, user.username, user.password)  # the user survived
    assert assert_json(me(nox, tokens["access_token"]), 200)["username"] == user.username
    assert assert_json(me(nox, key["key"]), 200)["username"] == user.username, "API key lost on upgrade"
    resp = me(nox, user.access_token)
    assert resp.status_code == 200, f"signing key changed on upgrade, old token refused: {describe(resp)}"
    assert_json(refresh(nox, user.refresh_token), 200)
    login(nox, "admin", nox.admin_password)  # the first admin's password did not change
    for sock in _sockets(nox):
        assert unit_property(nox, sock, "SubState") in ("listening", "running"), f"{sock} not listening after upgrade"
