"""Python's varlink client against a NoxIPC server.

Usage: client_against_swift.py SOCKET_PATH TEST_IDL_PATH AUTH_IDL_PATH
Prints "OK" on success; any failed check raises and exits non-zero.
"""
import json
import socket
import sys

import varlink

socket_path, test_idl_path, auth_idl_path = sys.argv[1:4]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def expect_error(name, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except varlink.VarlinkError as error:
        assert error.error() == name, (name, error.as_dict())
        return error.parameters()
    raise AssertionError("expected the error " + name)


with varlink.Client(address="unix:" + socket_path) as client:
    # GetInfo
    interfaces = client.get_interfaces()
    assert interfaces == ["org.varlink.service", "io.nox.Test", "io.nox.Auth"], interfaces
    assert client.info["vendor"] == "Nox", client.info
    assert client.info["product"] == "noxipc-tests", client.info

    # GetInterfaceDescription serves the real files, which Python's parser accepts.
    for name, path in (("io.nox.Test", test_idl_path), ("io.nox.Auth", auth_idl_path)):
        interface = client.get_interface(name)
        assert interface.name == name
        assert interface.description == read(path), name

    with client.open("org.varlink.service") as service:
        description = service.GetInterfaceDescription("io.nox.Auth")["description"]
        assert description == read(auth_idl_path)
        expect_error("org.varlink.service.InterfaceNotFound", service.GetInterfaceDescription, "io.nox.Nothing")

    with client.open("io.nox.Test") as test:
        assert test.Echo("héllo \"quoted\"\n", 7) == {"text": "héllo \"quoted\"\n", "number": 7}
        assert test.Add(2, 40) == {"sum": 42}
        assert [reply["index"] for reply in test.Count(3, _more=True)] == [0, 1, 2]
        parameters = expect_error("io.nox.Test.TestFailure", test.Fail, "broken")
        assert parameters == {"reason": "broken"}, parameters
        expect_error("org.varlink.service.PermissionDenied", test.Forbidden)
        expect_error("org.varlink.service.MethodNotImplemented", test.Unimplemented)
        expect_error("org.varlink.service.ExpectedMore", test.Count, 3)
        expect_error("io.nox.InternalError", test.Crash)
        test.Note("from python", _oneway=True)
        assert test.Notes() == {"notes": ["from python"]}

    with client.open("io.nox.Auth") as auth:
        expect_error("org.varlink.service.MethodNotImplemented", auth.GetUser, "alice")

# Python's client checks parameter types itself, so send a mistyped call on a plain socket.
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
    raw.settimeout(10)
    raw.connect(socket_path)
    raw.sendall(json.dumps({"method": "io.nox.Test.Add", "parameters": {"a": "two", "b": 40}}).encode() + b"\0")
    received = b""
    while not received.endswith(b"\0"):
        chunk = raw.recv(4096)
        assert chunk, "the server closed the connection"
        received += chunk
    reply = json.loads(received[:-1])
    assert reply == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "a"}}, reply

print("OK")
