"""A Python varlink server for NoxIPC's client to call.

Usage: server_for_swift.py SOCKET_PATH
Serves io.nox.Test (from the .varlink file beside this script) until terminated.
"""
import os
import socket
import struct
import sys
import time

import varlink

here = os.path.dirname(os.path.abspath(__file__))
service = varlink.Service(vendor="Python", product="noxipc-test-peer", version="1", url="https://varlink.org",
                          interface_dir=here)
notes = []


class TestFailure(varlink.VarlinkError):
    def __init__(self, reason):
        varlink.VarlinkError.__init__(self, {"error": "io.nox.Test.TestFailure", "parameters": {"reason": reason}})


@service.interface("io.nox.Test")
class Test:
    def Echo(self, text, number=None):
        return {"text": text, "number": number}

    def Add(self, a, b):
        return {"sum": a + b}

    def Count(self, count, _more=False):
        if not _more:
            raise varlink.VarlinkError({"error": "org.varlink.service.ExpectedMore", "parameters": {}})
        for index in range(count):
            yield {"index": index, "_continues": index < count - 1}

    def Note(self, text):
        notes.append(text)

    def Notes(self):
        return {"notes": notes}

    def Fail(self, reason):
        raise TestFailure(reason)

    def WhoAmI(self, _request=None):
        pid, uid, gid = struct.unpack("3i", _request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                struct.calcsize("3i")))
        return {"peer": {"pid": pid, "uid": uid, "gid": gid}}

    def Sleep(self, milliseconds):
        time.sleep(milliseconds / 1000)
        return {}


class Handler(varlink.RequestHandler):
    service = service


with varlink.ThreadingServer("unix:" + sys.argv[1], Handler) as server:
    print("listening", flush=True)
    server.serve_forever()
