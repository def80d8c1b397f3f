"""noxctl backup → wipe → restore on the server host gives back identical users, files,
keys and history; a damaged or foreign archive is refused with nothing changed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import pytest

import helpers_api
from helpers_api import make_user, admin  # noqa: F401  (fixtures)
from helpers_noxctl import NOXCTL, NoxCtl, assert_error_output, ctl_admin  # noqa: F401  (fixtures)

ARCHIVE = "/var/tmp/noxctl-test-backup.tar.gz"


def snapshot(ctl: NoxCtl, admin_ctl: NoxCtl) -> dict:
    """What must survive: the user, its files (with checksums) and its run history."""
    files = {i["path"]: (i["type"], i.get("size")) for i in ctl.json("files", "ls", "-R")}
    contents = {}
    for index, (path, (kind, _)) in enumerate(sorted(files.items())):
        if kind == "file":
            local = f"{ctl.config_home}/snapshot-{index}"
            ctl("files", "get", path, local)
            contents[path] = hashlib.sha256(ctl.read_local(local)).hexdigest()
    history = [(r["id"], r["status"], r["exit_code"], r.get("stdout"), r.get("code"), r.get("created_at"))
               for r in ctl.json("history", "--limit", "100")]
    user = admin_ctl.json("users", "show", ctl.username)
    return {"files": files, "contents": contents, "history": history,
            "user": {k: user[k] for k in ("username", "role", "quotas")}}


def wipe_all_state(nox) -> None:
    """Everything Nox keeps under /var/lib/nox is gone (as after a purge of its data)."""
    nox.sh("systemctl stop nox.target 'nox-*.socket' 'nox-*.service'")
    nox.sh("rm -rf /var/lib/nox/* && systemd-tmpfiles --create nox.conf")
    nox.systemctl("start", "nox.target")
    nox.wait_active("nox.target", timeout=60)
    helpers_api.wait_for_auth(nox)


@pytest.fixture(scope="module")
def populated(nox):
    """A user with files (binary and text, nested), a key and a history of runs, and a backup of it all."""
    admin_api = helpers_api.admin_client(nox)
    name, password, _ = helpers_api.create_user(nox, admin_api.access_token, quotas={"memory_mb": 300})
    ctl = NoxCtl(nox, username=name, password=password)
    ctl.login()
    admin_ctl = NoxCtl(nox, username=admin_api.username, password=admin_api.password)
    admin_ctl.login()
    ctl("files", "put", ctl.write_local("blob.bin", os.urandom(200_000)), "data/blob.bin")
    ctl("files", "put", "-", "notes/ünïcode name.txt", input="hello backup\n")
    ctl("run", "-l", "python", "-c", "open('made-by-run.txt', 'w').write('run output\\n'); print('ran')")
    ctl("run", "-l", "python", "-c", "raise SystemExit(4)", check=False)
    key = ctl.json("keys", "create", "backup-test")
    before = snapshot(ctl, admin_ctl)
    assert "made-by-run.txt" in before["files"] and len(before["history"]) == 2

    res = nox.run([NOXCTL, "backup", ARCHIVE], check=False, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "databases" in res.stdout
    yield {"ctl": ctl, "admin": admin_ctl, "before": before, "key": key, "password": password}
    nox.run(["rm", "-f", ARCHIVE], check=False)


def test_backup_is_private_and_holds_every_database(nox, populated):
    mode = nox.run(["stat", "-c", "%a", ARCHIVE]).stdout.strip()
    assert mode == "600", f"the archive holds secrets: mode {mode}"
    with tarfile.open(nox.host_path(ARCHIVE)) as tar:
        names = tar.getnames()
    assert names[0] == "NOX-BACKUP.json" and names[-1] == "NOX-BACKUP-SHA256.json"
    databases = [n for n in names if n.endswith(".sqlite")]
    assert any(n.startswith("var/lib/nox/auth/") for n in databases), databases
    assert any(n.startswith("var/lib/nox/exec/") for n in databases), databases
    assert not [n for n in names if n.endswith("-wal") or n.endswith("-shm")]
    assert f"var/lib/nox/users/{populated['ctl'].username}/sandbox/data/blob.bin" in names
    assert "etc/nox/nox.toml" in names
    verified = json.loads(nox.run([NOXCTL, "restore", "--verify-only", ARCHIVE, "--json"]).stdout)
    assert verified["verified"] and not verified["restored"]


def test_restore_after_wiping_everything_gives_back_users_files_keys_and_history(nox, populated):
    ctl, admin_ctl, before = populated["ctl"], populated["admin"], populated["before"]
    wipe_all_state(nox)
    assert helpers_api.login_response(nox, ctl.username, populated["password"]).status_code == 401, "not wiped"

    res = nox.run([NOXCTL, "restore", ARCHIVE], check=False, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "restored" in res.stdout
    nox.wait_active("nox.target", timeout=60)
    helpers_api.wait_for_auth(nox)

    ctl.login()
    admin_ctl.login()
    assert snapshot(ctl, admin_ctl) == before
    # The API key made before the backup works again (nox-auth's database and signing keys came back).
    other = NoxCtl(nox)
    assert other.json("whoami", env={"NOX_TOKEN": populated["key"]["key"]})["username"] == ctl.username
    # And Nox works normally on the restored state.
    assert ctl("run", "-l", "python", "-c", "print(open('made-by-run.txt').read().strip())").stdout == "run output\n"


def test_a_damaged_or_foreign_archive_is_refused_with_nothing_changed(nox, populated):
    ctl = populated["ctl"]
    marker = f"marker-{os.getpid()}.txt"
    ctl("files", "put", "-", marker, input="made after the backup\n")
    pid_before = helpers_api.unit_property(nox, "nox-auth.service", "MainPID")

    data = bytearray(nox.host_path(ARCHIVE).read_bytes())
    damaged = bytearray(data)
    for offset in range(len(damaged) // 2, len(damaged) // 2 + 64):
        damaged[offset] ^= 0x5A
    truncated = data[: len(data) * 2 // 3]
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w:gz") as tar:
        payload = b"not nox"
        info = tarfile.TarInfo("var/lib/nox/auth/auth.sqlite")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    # Our format, but a manifest claiming /etc: refused before anything is read further.
    foreign_root = io.BytesIO()
    with tarfile.open(fileobj=foreign_root, mode="w:gz") as tar:
        manifest = json.dumps({"format": "nox-backup", "version": 1, "created_at": "2026-01-01T00:00:00Z",
                               "hostname": "x", "roots": ["/etc"], "creator": "test"}).encode()
        info = tarfile.TarInfo("NOX-BACKUP.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    cases = {"damaged": bytes(damaged), "truncated": bytes(truncated), "foreign": plain.getvalue(),
             "foreign-root": foreign_root.getvalue(), "not-gzip": b"hello\n" * 100}
    for label, blob in cases.items():
        path = f"/var/tmp/noxctl-test-{label}.tar.gz"
        nox.host_path(path).write_bytes(blob)
        try:
            res = nox.run([NOXCTL, "restore", path], check=False, timeout=300)
        finally:
            nox.run(["rm", "-f", path], check=False)
        assert_error_output(res, "refusing", "nothing was changed")
        assert res.returncode == 2, (label, res.returncode, res.stderr)

    # Nothing changed: the file made after the backup is still there, Nox was never stopped.
    assert ctl("files", "cat", marker).stdout == "made after the backup\n"
    assert helpers_api.unit_property(nox, "nox-auth.service", "MainPID") == pid_before
    assert not nox.run(["sh", "-c", "ls -d /var/lib/nox.* /etc/nox.* 2>/dev/null"], check=False).stdout.strip()
