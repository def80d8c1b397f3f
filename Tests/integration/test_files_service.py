"""nox-files as a systemd service: its units and sockets, hardening, socket activation,
journald request ids, a SIGKILL in the middle of a streaming replace (old content intact), a
restart under a steady stream of downloads (nothing lost), a 200 MB streaming round trip in
bounded memory, the io.nox.Files Varlink interface, and the clean-up when nox-auth deletes
a user.

These tests stop, restart and kill nox-files; they leave it installed and serving."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import requests

from helpers_api import (
    security_exposure,  # noqa: F401  (admin, make_user are fixtures)
    Client,
    assert_socket_refuses_nobody,
    requests_through_a_restart,
    admin,
    assert_json,
    create_user,
    describe,
    journal_entries_for_request,
    journal_value,
    make_user,
    new_request_id,
    unique_name,
    unit_property,
    wait_until,
)
from helpers_files import (
    HTTP_SOCKET,
    HTTP_SOCKET_PATH,
    MIB,
    RUN_GROUP,
    SERVICE,
    VARLINK_SOCKET,
    VARLINK_SOCKET_PATH,
    SizedBody,
    create_backup,
    disk_entries,
    exists_on_disk,
    get_bytes,
    get_file,
    list_all,
    list_backups,
    main_pid,
    proc_status,
    pseudo_random_chunks,
    put_file,
    put_ok,
    running_pid,
    sandbox_dir,
    send,
    stat_on_disk,
    stream_sha256,
    user_dir,
    vm_kb,
    wait_files_answer,
)

CAP_DAC_OVERRIDE = 1 << 1


def _active_state(nox, unit: str) -> str:
    return unit_property(nox, unit, "ActiveState")


def _fast_user(make_user, **quotas):
    """A user whose requests_per_minute does not throttle seconds of steady traffic."""
    return make_user(quotas={"requests_per_minute": 100000, **quotas})


# =========================================================================== units


def test_service_is_triggered_by_its_two_sockets(nox):
    triggered_by = unit_property(nox, SERVICE, "TriggeredBy").split()
    assert {HTTP_SOCKET, VARLINK_SOCKET} <= set(triggered_by), (
        f"expected {SERVICE} triggered by {HTTP_SOCKET} and {VARLINK_SOCKET}, got {triggered_by}"
    )
    for sock, path in ((HTTP_SOCKET, HTTP_SOCKET_PATH), (VARLINK_SOCKET, VARLINK_SOCKET_PATH)):
        assert _active_state(nox, sock) == "active", f"expected {sock} active"
        assert unit_property(nox, sock, "SubState") in ("listening", "running"), f"expected {sock} listening"
        listen = unit_property(nox, sock, "Listen")
        assert path in listen, f"expected {sock} to listen on {path}, got {listen!r}"
        enabled = nox.run(["systemctl", "is-enabled", sock], check=False).stdout.strip()
        assert enabled in ("enabled", "static", "indirect"), f"expected {sock} enabled by the package, got {enabled!r}"


def test_service_is_notify_unprivileged_with_only_cap_dac_override(nox, make_user):
    user = make_user()
    pid = running_pid(nox, user)
    assert unit_property(nox, SERVICE, "Type") in ("notify", "notify-reload"), f"expected {SERVICE} Type=notify"
    assert unit_property(nox, SERVICE, "User") == "nox-files", f"expected {SERVICE} User=nox-files"
    status = proc_status(nox, pid)
    expected_uid = nox.run(["id", "-u", "nox-files"]).stdout.strip()
    assert status["Uid"].split() == [expected_uid] * 4, f"expected every uid of nox-files to be {expected_uid}: {status['Uid']}"
    cap_eff = int(status["CapEff"], 16)
    assert cap_eff == CAP_DAC_OVERRIDE, (
        f"expected CAP_DAC_OVERRIDE as the only effective capability (0x2), got CapEff={status['CapEff']}"
    )
    assert int(status["CapBnd"], 16) & ~CAP_DAC_OVERRIDE == 0, f"expected a bounding set of CAP_DAC_OVERRIDE only: {status['CapBnd']}"


def test_systemd_analyze_security_exposure_is_at_most_2(nox):
    score, text = security_exposure(nox, SERVICE)
    print(f"systemd-analyze security {SERVICE}: {score}")
    assert score <= 2.0, f"exposure {score} > 2.0:\n{text[-3000:]}"


def test_systemd_analyze_verify_prints_nothing(nox):
    units = [SERVICE, HTTP_SOCKET, VARLINK_SOCKET]
    paths = [unit_property(nox, u, "FragmentPath") for u in units]
    assert all(paths), f"expected unit files for {units}: {paths}"
    out = nox.run(["systemd-analyze", "verify", *paths], check=False)
    assert out.returncode == 0 and not (out.stdout.strip() or out.stderr.strip()), (
        f"expected systemd-analyze verify to be silent (rc={out.returncode}):\n{out.stdout}{out.stderr}"
    )


# =========================================================================== socket activation, journal


def test_stopped_service_is_started_again_by_its_socket(nox, make_user):
    user = make_user()
    put_ok(nox, user, "f.txt", b"still here\n")
    nox.systemctl("stop", SERVICE)
    assert _active_state(nox, SERVICE) in ("inactive", "failed") and main_pid(nox) == 0, (
        f"expected {SERVICE} stopped"
    )
    assert unit_property(nox, SERVICE, "Result") == "success", f"expected {SERVICE} to stop cleanly on SIGTERM"
    assert unit_property(nox, HTTP_SOCKET, "SubState") == "listening", f"expected {HTTP_SOCKET} still listening"
    started = time.monotonic()
    assert get_bytes(nox, user, "f.txt") == b"still here\n", "expected the first request to start nox-files and succeed"
    cold = time.monotonic() - started
    wait_until(lambda: _active_state(nox, SERVICE) == "active", timeout=10,
               what=f"{SERVICE} to be active after a request on its socket")
    assert cold < 10, f"expected a cold start under 10 s, took {cold:.1f} s"


def test_journal_entries_carry_request_id_and_user(nox, make_user):
    user = make_user()
    rid = new_request_id()
    resp = send(nox, "GET", "/api/files", who=user, request_id=rid)
    assert_json(resp, 200)
    assert resp.headers.get("X-Request-Id") == rid, f"expected X-Request-Id {rid} echoed: {describe(resp)}"

    def entries_with_user():
        entries = [e for e in journal_entries_for_request(nox, rid) if journal_value(e, "_SYSTEMD_UNIT") == SERVICE]
        return entries if any(journal_value(e, "NOX_USER") == user.username for e in entries) else None

    entries = wait_until(entries_with_user, timeout=5, interval=0.5,
                         what=f"{SERVICE} journal entries with NOX_REQUEST_ID={rid} and NOX_USER={user.username}")
    for e in entries:
        assert journal_value(e, "NOX_REQUEST_ID") == rid, f"expected NOX_REQUEST_ID={rid}: {e}"
        assert journal_value(e, "PRIORITY") is not None, f"expected a PRIORITY on every entry: {e}"


# =========================================================================== crash and restart safety


def test_kill_9_during_a_streaming_replace_keeps_the_old_content(nox, make_user):
    user = _fast_user(make_user)
    old = os.urandom(2 * MIB)
    put_ok(nox, user, "big/data.bin", old)
    pid = running_pid(nox, user)
    reached, killed = threading.Event(), threading.Event()

    def body():
        sent = 0
        for chunk in pseudo_random_chunks(64 * MIB, MIB, seed=7):
            yield chunk
            sent += len(chunk)
            if sent >= 16 * MIB and not reached.is_set():
                reached.set()
                killed.wait(60)

    result: dict = {}

    def uploader():
        try:
            result["resp"] = put_file(nox, user, "big/data.bin", body(), timeout=120)
        except requests.RequestException as exc:
            result["exc"] = exc

    thread = threading.Thread(target=uploader, daemon=True)
    thread.start()
    try:
        assert reached.wait(60), "expected the streaming upload to get 16 MiB out"
        time.sleep(0.5)  # let nginx pass what it has on to nox-files
        nox.run(["kill", "-9", str(pid)])
    finally:
        killed.set()
    thread.join(120)
    assert not thread.is_alive(), "expected the interrupted upload to end"
    resp = result.get("resp")
    assert resp is None or resp.status_code not in (200, 201), (
        f"expected the kill to interrupt the streaming upload (nginx must stream request bodies, "
        f"proxy_request_buffering off): {describe(resp)}"
    )
    wait_files_answer(nox, user)
    assert main_pid(nox) not in (0, pid), f"expected a new nox-files process after the SIGKILL of {pid}"
    assert get_bytes(nox, user, "big/data.bin") == old, "expected the old content byte-exact after the killed replace"
    items = {i["path"]: i for i in list_all(nox, user, recursive=True)}
    assert set(items) == {"big", "big/data.bin"}, f"expected no stray temporary file in the listing: {sorted(items)}"
    assert items["big/data.bin"]["size"] == len(old), f"expected the old size: {items['big/data.bin']}"
    assert disk_entries(nox, user.username) == {"big": "d", "big/data.bin": "f"}, (
        f"expected no temporary file left on disk: {disk_entries(nox, user.username)}"
    )


def test_restart_during_steady_downloads_loses_none(nox, make_user):
    user = _fast_user(make_user)
    data = os.urandom(512 * 1024)
    put_ok(nox, user, "dl.bin", data)
    running_pid(nox, user)
    token = user.access_token  # read once: the threads share it

    def download():
        resp = get_file(nox, token, "dl.bin", timeout=30)
        if resp.status_code == 200 and resp.content == data:
            return 200
        return f"{resp.status_code}, {len(resp.content)} bytes, equal={resp.content == data}: {describe(resp)[:300]}"

    results = requests_through_a_restart(nox, SERVICE, download)
    failures = [r for r in results if r[2] != 200]
    assert not failures, f"expected every download 200 and byte-exact; {len(failures)} of {len(results)} failed: {failures[:5]}"
    print(f"restart: {len(results)} downloads, none lost")


# =========================================================================== streaming and memory


def test_200_mb_streaming_round_trip_in_bounded_memory(nox, make_user):
    user = _fast_user(make_user)
    nox.systemctl("restart", SERVICE)  # a fresh VmHWM
    pid = running_pid(nox, user)
    put_ok(nox, user, "warm.txt", b"warm up\n")
    assert get_bytes(nox, user, "warm.txt") == b"warm up\n"
    baseline = vm_kb(nox, pid, "VmHWM")

    size = 200 * MIB
    body = SizedBody(size, seed=3)
    resp = put_file(nox, user, "stream/big.bin", body, timeout=300)
    answer = assert_json(resp, 201)
    assert answer.get("size") == size and answer.get("sha256") == body.sha256, (
        f"expected size {size} and sha256 {body.sha256} for the streamed upload: {describe(resp)}"
    )
    after_upload = vm_kb(nox, pid, "VmHWM")

    resp = get_file(nox, user, "stream/big.bin", stream=True, timeout=300)
    assert resp.status_code == 200, f"expected 200 for the download: {describe(resp)}"
    assert resp.headers.get("Content-Length") == str(size), f"expected Content-Length {size}: {dict(resp.headers)}"
    digest, length = stream_sha256(resp)
    assert length == size and digest == body.sha256, f"expected the same {size} bytes back (got {length}, sha {digest})"
    peak = vm_kb(nox, pid, "VmHWM")
    assert main_pid(nox) == pid, "expected the same nox-files process through the whole round trip"
    print(f"nox-files VmHWM: baseline {baseline} KiB, after upload {after_upload} KiB, after download {peak} KiB")
    assert peak - baseline < 64 * 1024, (
        f"expected peak RSS under baseline + 64 MiB while streaming 200 MB: {baseline} KiB -> {peak} KiB"
    )


# =========================================================================== Varlink


VARLINK_CLIENT = r"""
import json, sys, varlink
with varlink.Client(address=sys.argv[1]) as client:
    with client.open("io.nox.Files", namespaced=False) as files:
        usage = files.GetUsage(sys.argv[2])
        ensured = files.EnsureSandbox(sys.argv[3])
        try:
            files.GetUsage("Not A Valid Name")
            refused = None
        except varlink.VarlinkError as error:
            refused = error.error()
print(json.dumps({"usage": usage, "ensured": ensured, "refused": refused}))
"""


def test_varlink_get_usage_and_ensure_sandbox(nox, make_user):
    user = make_user()
    sizes = {"a.txt": 10, "d/b.bin": 2000, "d/e/c.bin": 30000}
    for path, n in sizes.items():
        put_ok(nox, user, path, os.urandom(n))
    fresh = make_user()  # never made a files request: no sandbox yet
    assert not exists_on_disk(nox, sandbox_dir(fresh.username)), "precondition: no sandbox for the fresh user"
    res = nox.run([sys.executable, "-c", VARLINK_CLIENT, f"unix:{VARLINK_SOCKET_PATH}", user.username, fresh.username],
                  check=False)
    assert res.returncode == 0, f"expected the Varlink client to succeed as root: {res.stderr}"
    reply = json.loads(res.stdout)
    assert reply["usage"] == {"usage": {"username": user.username, "bytes": sum(sizes.values()), "files": len(sizes)}}, (
        f"expected GetUsage to count {len(sizes)} files, {sum(sizes.values())} bytes: {reply['usage']}"
    )
    assert reply["ensured"] == {"path": sandbox_dir(fresh.username)}, f"expected EnsureSandbox's path: {reply['ensured']}"
    refused = reply["refused"]
    assert isinstance(refused, str) and refused.startswith(("io.nox.Files.", "org.varlink.service.")), (
        f"expected a Varlink error (not a crash) for an invalid username: {refused!r}"
    )
    assert stat_on_disk(nox, sandbox_dir(fresh.username)) == f"nox-files:{RUN_GROUP} 2770", (
        "expected EnsureSandbox to create the sandbox with owner nox-files, group nox-run, mode 2770"
    )


def test_varlink_socket_refuses_users_outside_group_nox(nox):
    assert_socket_refuses_nobody(nox, VARLINK_SOCKET_PATH)


# =========================================================================== user deletion


def test_deleting_a_user_removes_its_sandbox_and_backups(nox, admin):
    name, password, _ = create_user(nox, admin.access_token, username=unique_name("gone"))
    try:
        user = Client(nox, name, password, "user")
        user.login()
        put_ok(nox, user, "data/f.txt", b"to be deleted with the user\n")
        create_backup(nox, user)
        assert exists_on_disk(nox, user_dir(name)), f"precondition: {user_dir(name)} exists"
        resp = admin.delete(f"/api/admin/users/{name}")
        assert resp.status_code == 204, f"expected 204 deleting the user: {describe(resp)}"
        wait_until(lambda: not exists_on_disk(nox, user_dir(name)), timeout=15, interval=0.5,
                   what=f"{user_dir(name)} to be removed after the user was deleted")
        assert nox.run(["test", "!", "-e", user_dir(name)], check=False).returncode == 0, (
            f"expected {user_dir(name)} not to exist"
        )
        # Same name again: a new user starts empty, with none of the old backups.
        create_user(nox, admin.access_token, username=name, password=password)
        again = Client(nox, name, password, "user")
        again.login()
        assert list_all(nox, again, recursive=True) == [], "expected a re-created user's sandbox empty"
        assert list_backups(nox, again) == [], "expected none of the deleted user's backups for the new user"
    finally:
        admin.delete(f"/api/admin/users/{name}")  # best effort (404 if already gone)
