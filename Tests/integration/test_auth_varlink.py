"""io.nox.Auth over Varlink, as the installed nox-auth serves it, driven by a foreign peer:
Python's `varlink` package (run inside the sandbox, where /run/nox lives)."""

from __future__ import annotations

import json
import sys

from helpers_api import assert_socket_refuses_nobody

SOCKET = "unix:/run/nox/ipc/io.nox.Auth"

CLIENT = r"""
import json, sys, varlink
with varlink.Client(address=sys.argv[1]) as client:
    with client.open("org.varlink.service") as service:
        info = service.GetInfo()
        description = service.GetInterfaceDescription("io.nox.Auth")["description"]
    with client.open("io.nox.Auth", namespaced=True) as auth:
        keys = auth.GetPublicKeys()
        try:
            auth.Authenticate("nox_not-a-real-key")
            refused = None
        except varlink.VarlinkError as error:
            refused = error.error()
        admin = auth.GetUser("admin")
print(json.dumps({"info": info, "description": description, "keys": keys.keys,
                  "refused": refused, "admin": admin.principal}, default=lambda o: o.__dict__))
"""


def run_client(nox, user: str | None = None):
    cmd = [sys.executable, "-c", CLIENT, SOCKET]
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    return nox.run(cmd, check=False)


def test_python_varlink_client_reads_info_keys_and_users(nox):
    nox.systemctl("start", "nox-auth-varlink.socket")
    result = run_client(nox)
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert "io.nox.Auth" in reply["info"]["interfaces"]
    assert reply["description"].startswith("# Nox authentication")
    assert "method Authenticate(token: string)" in reply["description"]
    assert reply["keys"] and reply["keys"][0]["alg"] == "EdDSA"
    assert reply["refused"] == "io.nox.Auth.InvalidToken"
    assert reply["admin"]["role"] == "admin"


def test_varlink_socket_refuses_users_outside_group_nox(nox):
    nox.systemctl("start", "nox-auth-varlink.socket")
    assert_socket_refuses_nobody(nox, SOCKET.removeprefix("unix:"))
