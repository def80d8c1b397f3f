"""Helpers for the black-box tests of nox-files (``test_files_*``), written from API.md's
"Files — nox-files" section and the daemon's design notes only.

Everything goes through nginx over HTTPS, like :mod:`helpers_api` (whose ``request``,
``assert_json``, ``assert_error`` and ``get_all_pages`` these build on). What is new here:

* :func:`send` — one request with the options ``helpers_api.request`` lacks: ``stream=True``
  for big downloads, ``raw_path=True`` to put a path on the wire byte for byte (``requests``
  would otherwise resolve ``..`` and decode ``%2e``), iterable/generator bodies;
* file operations (``put_file``, ``get_file``, ``list_all``, ``move``, ``search``, multipart
  ``upload``), backups and restores, and tar.gz builders for hostile archives;
* the sandbox on disk (``/var/lib/nox/users/NAME/sandbox``): commands run as root inside the
  booted systemd's namespaces (``nox.run``), files written as another uid (as a code run
  would), planted symlinks;
* nox-files as a process: MainPID, peak RSS (VmHWM).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import re
import shlex
import tarfile
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Iterator
from urllib.parse import quote

import requests
from requests.structures import CaseInsensitiveDict

from helpers_api import (
    TIMEOUT,
    assert_json,
    bearer,
    describe,
    get_all_pages,
    journal_value,
    new_request_id,
    parse_rfc3339,
    raw_request_with_body,
    unit_property,
    wait_until,
)

SERVICE = "nox-files.service"
HTTP_SOCKET = "nox-files.socket"
VARLINK_SOCKET = "nox-files-varlink.socket"
HTTP_SOCKET_PATH = "/run/nox/http/files.sock"
VARLINK_SOCKET_PATH = "/run/nox/ipc/io.nox.Files"
USERS_ROOT = "/var/lib/nox/users"
RUN_GROUP = "nox-run"
FOREIGN_UID = 61999  # "a code run": neither root nor nox-files
MIB = 1024 * 1024

# Downloads ask for the identity encoding: nginx gzips some types (text/plain, JSON) on the
# way out, which would turn a strong ETag into a weak one and change Content-Length.
IDENTITY = {"Accept-Encoding": "identity"}


# --------------------------------------------------------------------------- basics


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def token_of(who: Any) -> str | None:
    """A bearer token from a helpers_api.Client, a raw token string, or None."""
    if who is None or isinstance(who, str):
        return who
    return who.access_token


def enc(path: str) -> str:
    """A sandbox path percent-encoded for a URL (``/`` kept as the separator)."""
    return quote(path, safe="/")


def file_url(path: str) -> str:
    return "/api/files/" + enc(path)


def send(
    nox,
    method: str,
    path: str,
    *,
    who: Any = None,
    data: Any = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    stream: bool = False,
    raw_path: bool = False,
    request_id: str | None = None,
    timeout: float = TIMEOUT,
) -> requests.Response:
    """One HTTP request through nginx, like ``helpers_api.request`` plus:

    ``stream``    leave the body unread (``iter_content``) — for big downloads;
    ``raw_path``  send ``path`` exactly as given: no dot-segment removal, no re-quoting
                  (a prepared request whose ``url`` is set afterwards);
    ``data``      may be bytes, a generator (sent chunked) or a :class:`SizedBody`.
    """
    hdrs: dict[str, str] = {"X-Request-Id": request_id or new_request_id()}
    token = token_of(who)
    if token is not None:
        hdrs.update(bearer(token))
    if json_body is not None:
        import json

        data = json.dumps(json_body)
        hdrs["Content-Type"] = "application/json"
    if headers:
        hdrs.update(headers)
    prepared = requests.Request(method, nox.url + ("/" if raw_path else path), data=data, headers=hdrs,
                                params=None if raw_path else params).prepare()
    if raw_path:
        prepared.url = nox.url + path
    with requests.Session() as session:
        session.trust_env = False
        return session.send(prepared, verify=nox.verify, timeout=timeout, stream=stream, allow_redirects=False)


def response_from_raw(status: int, headers: dict[str, str], body: bytes, method: str, path: str,
                      sent_headers: dict[str, str]) -> requests.Response:
    """Wraps what ``helpers_api.raw_request_with_body`` returns into a ``requests.Response``
    so that ``assert_error``/``describe`` work on it."""
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict(headers)
    resp._content = body
    resp.encoding = "utf-8"
    resp.url = path
    resp.request = requests.Request(method, "https://127.0.0.1" + path, headers=sent_headers).prepare()
    return resp


def raw_upload(nox, who: Any, method: str, path: str, body: bytes, content_type: str = "application/octet-stream",
               extra_headers: dict[str, str] | None = None, timeout: float = 60) -> requests.Response:
    """A body upload that survives the server answering before it has read the body (507 on
    quota, 413): raw TLS with ``Expect: 100-continue`` (see ``raw_request_with_body``)."""
    headers = {
        "Authorization": f"Bearer {token_of(who)}",
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "X-Request-Id": new_request_id(),
        **(extra_headers or {}),
    }
    chunks = [body[i:i + 256 * 1024] for i in range(0, len(body), 256 * 1024)] or [b""]
    status, resp_headers, resp_body = raw_request_with_body(nox, method, path, headers, chunks, timeout=timeout)
    return response_from_raw(status, resp_headers, resp_body, method, path, headers)


class SizedBody:
    """An iterable body of known length (sent with Content-Length, read lazily): ``size``
    bytes of a deterministic pseudo-random stream; ``sha256`` is known after iterating."""

    def __init__(self, size: int, chunk: int = MIB, seed: int = 1, on_chunk=None):
        self.size = size
        self.chunk = chunk
        self.seed = seed
        self.on_chunk = on_chunk
        self._hash = hashlib.sha256()
        self.sent = 0

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        self._hash = hashlib.sha256()
        self.sent = 0
        for block in pseudo_random_chunks(self.size, self.chunk, self.seed):
            self._hash.update(block)
            self.sent += len(block)
            if self.on_chunk:
                self.on_chunk(self.sent)
            yield block

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def pseudo_random_chunks(total: int, chunk: int = MIB, seed: int = 1) -> Iterator[bytes]:
    """``total`` bytes in ``chunk``-sized pieces; cheap (one random block, varied per chunk)."""
    import random

    base = random.Random(seed).randbytes(chunk)
    index = 0
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        prefix = index.to_bytes(8, "big")  # no two chunks equal: a shuffled or repeated chunk shows
        block = (prefix + base[8:])[:n]
        yield block
        sent += n
        index += 1


def stream_sha256(resp: requests.Response, chunk: int = MIB) -> tuple[str, int]:
    """(sha256, length) of a streamed response body."""
    h = hashlib.sha256()
    n = 0
    for block in resp.iter_content(chunk):
        h.update(block)
        n += len(block)
    return h.hexdigest(), n


# --------------------------------------------------------------------------- file operations


def put_file(nox, who, path: str, data: Any, *, headers: dict | None = None, timeout: float = TIMEOUT,
             raw_path: bool = False) -> requests.Response:
    hdrs = {"Content-Type": "application/octet-stream", **(headers or {})}
    url = ("/api/files/" + path) if raw_path else file_url(path)
    return send(nox, "PUT", url, who=who, data=data, headers=hdrs, timeout=timeout, raw_path=raw_path)


def put_ok(nox, who, path: str, data: bytes, expect: int | None = None) -> dict:
    """PUTs ``data`` (asserting 201 for new / 200 for replaced when ``expect`` is given)
    and checks the ``{path, size, sha256}`` answer; returns it."""
    resp = put_file(nox, who, path, data)
    assert resp.status_code in ((expect,) if expect else (200, 201)), (
        f"expected PUT {path} to answer {expect or '200/201'}: {describe(resp)}"
    )
    body = assert_json(resp, resp.status_code)
    assert body.get("path") == path.strip("/"), f"expected path {path!r} in the PUT answer: {describe(resp)}"
    assert body.get("size") == len(data), f"expected size {len(data)} in the PUT answer: {describe(resp)}"
    assert body.get("sha256") == sha256_hex(data), (
        f"expected sha256 {sha256_hex(data)} (lowercase hex) in the PUT answer: {describe(resp)}"
    )
    return body


def get_file(nox, who, path: str, *, headers: dict | None = None, method: str = "GET", stream: bool = False,
             raw_path: bool = False, timeout: float = TIMEOUT) -> requests.Response:
    url = ("/api/files/" + path) if raw_path else file_url(path)
    return send(nox, method, url, who=who, headers={**IDENTITY, **(headers or {})}, stream=stream,
                raw_path=raw_path, timeout=timeout)


def get_bytes(nox, who, path: str) -> bytes:
    resp = get_file(nox, who, path)
    assert resp.status_code == 200, f"expected 200 with the content of {path!r}: {describe(resp)}"
    return resp.content


def list_page(nox, who, path: str | None = None, recursive: bool | None = None, limit: Any = None,
              cursor: str | None = None) -> requests.Response:
    params: dict[str, Any] = {}
    if path is not None:
        params["path"] = path
    if recursive is not None:
        params["recursive"] = "true" if recursive else "false"
    if limit is not None:
        params["limit"] = limit
    if cursor is not None:
        params["cursor"] = cursor
    return send(nox, "GET", "/api/files", who=who, params=params)


def list_all(nox, who, path: str | None = None, recursive: bool = False, limit: int | None = None) -> list[dict]:
    """Every item of a (possibly paginated) directory listing."""
    params: dict[str, Any] = {"recursive": "true" if recursive else "false"}
    if path is not None:
        params["path"] = path
    return get_all_pages(nox, "/api/files", token_of(who), params=params, limit=limit)


def list_paths(nox, who, path: str | None = None, recursive: bool = True) -> dict[str, dict]:
    return {item["path"]: item for item in list_all(nox, who, path, recursive)}


def delete_path(nox, who, path: str, recursive: bool = False) -> requests.Response:
    return send(nox, "DELETE", file_url(path), who=who, params={"recursive": "true"} if recursive else None)


def move(nox, who, src: str, dst: str, overwrite: bool | None = None) -> requests.Response:
    body: dict[str, Any] = {"from": src, "to": dst}
    if overwrite is not None:
        body["overwrite"] = overwrite
    return send(nox, "POST", "/api/files/move", who=who, json_body=body)


def search(nox, who, query: Any, path: str | None = None, limit: int | None = None) -> requests.Response:
    body: dict[str, Any] = {"query": query}
    if path is not None:
        body["path"] = path
    if limit is not None:
        body["limit"] = limit
    return send(nox, "POST", "/api/files/search", who=who, json_body=body)


def search_items(nox, who, query: str, path: str | None = None, limit: int | None = None) -> list[dict]:
    resp = search(nox, who, query, path, limit)
    body = assert_json(resp, 200)
    assert isinstance(body, dict) and isinstance(body.get("items"), list), (
        f"expected a search answer {{items: [...]}}: {describe(resp)}"
    )
    return body["items"]


def ensure_sandbox(nox, who) -> None:
    """Any files request creates the caller's sandbox on first use."""
    assert_json(list_page(nox, who), 200)


def assert_list_item(item: dict, where: str = "") -> None:
    """The contract's list item: ``{path, name, type, size, modified}``."""
    assert isinstance(item, dict), f"expected a list item object{where}, got {item!r}"
    for key in ("path", "name", "type", "size", "modified"):
        assert key in item, f"expected key {key!r} in list item{where}: {item}"
    assert item["type"] in ("file", "dir"), f"expected type 'file' or 'dir'{where}: {item}"
    assert item["name"] == item["path"].rsplit("/", 1)[-1], f"expected name = last component of path{where}: {item}"
    assert not item["path"].startswith("/"), f"expected path relative to the sandbox root{where}: {item}"
    assert isinstance(item["size"], int) and item["size"] >= 0, f"expected a non-negative integer size{where}: {item}"
    parse_rfc3339(item["modified"])


# --------------------------------------------------------------------------- multipart


@dataclass
class Field:
    name: str
    value: str | bytes


@dataclass
class FilePart:
    filename: str
    content: bytes
    name: str = "files"
    content_type: str = "application/octet-stream"


def quoted(value: str) -> str:
    """An RFC 9110 quoted-string: ``\\`` and ``"`` escaped with a backslash.

    A backslash in a filename is sent as ``\\\\``: a parser that reads quoted-pairs (RFC 9110)
    gets ``a\\b.txt`` back, one that does not (HTML5 style) gets ``a\\\\b.txt`` — whose last
    component is ``b.txt`` either way, so the filename tests do not depend on that choice."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def multipart(parts: Iterable[Field | FilePart]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body built by hand: parts in exactly the given order, filenames
    as RFC 9110 quoted-strings (see :func:`quoted`)."""
    boundary = "----noxtest" + uuid.uuid4().hex
    out = bytearray()
    for part in parts:
        out += f"--{boundary}\r\n".encode()
        if isinstance(part, Field):
            out += f'Content-Disposition: form-data; name="{part.name}"\r\n\r\n'.encode()
            out += part.value.encode() if isinstance(part.value, str) else part.value
        else:
            out += (f'Content-Disposition: form-data; name="{part.name}"; filename={quoted(part.filename)}\r\n'
                    f"Content-Type: {part.content_type}\r\n\r\n").encode()
            out += part.content
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def upload(nox, who, files: list[tuple[str, bytes]] | list[FilePart], dir: str | None = None,
           dir_after: bool = False, extra: Iterable[Field | FilePart] = ()) -> requests.Response:
    """POST /api/files with ``files`` parts (and ``dir`` before them, or after when ``dir_after``)."""
    file_parts = [f if isinstance(f, FilePart) else FilePart(f[0], f[1]) for f in files]
    parts: list[Field | FilePart] = []
    if dir is not None and not dir_after:
        parts.append(Field("dir", dir))
    parts += file_parts
    parts += list(extra)
    if dir is not None and dir_after:
        parts.append(Field("dir", dir))
    body, ctype = multipart(parts)
    return send(nox, "POST", "/api/files", who=who, data=body, headers={"Content-Type": ctype}, timeout=60)


# --------------------------------------------------------------------------- backups


def create_backup(nox, who) -> dict:
    resp = send(nox, "POST", "/api/backup", who=who, timeout=120)
    body = assert_json(resp, 201)
    for key in ("id", "size", "sha256", "created_at", "file_count"):
        assert key in body, f"expected key {key!r} in the backup record: {describe(resp)}"
    return body


def list_backups(nox, who, limit: int | None = None) -> list[dict]:
    return get_all_pages(nox, "/api/backups", token_of(who), limit=limit)


def download_backup(nox, who, backup_id: Any) -> requests.Response:
    return send(nox, "GET", f"/api/backups/{backup_id}", who=who, headers=IDENTITY, timeout=120)


def restore_json(nox, who, backup_id: Any) -> requests.Response:
    return send(nox, "POST", "/api/restore", who=who, json_body={"backup_id": backup_id}, timeout=120)


def restore_raw(nox, who, archive: bytes, content_type: str = "application/gzip") -> requests.Response:
    return raw_upload(nox, who, "POST", "/api/restore", archive, content_type=content_type, timeout=120)


def restore_multipart(nox, who, archive: bytes, field: str = "archive") -> requests.Response:
    body, ctype = multipart([FilePart("backup.tar.gz", archive, name=field, content_type="application/gzip")])
    return send(nox, "POST", "/api/restore", who=who, data=body, headers={"Content-Type": ctype}, timeout=120)


@dataclass
class TarEntry:
    """One member of a hand-built archive. ``kind``: file, dir, symlink, hardlink, chr, blk, fifo."""

    name: str
    kind: str = "file"
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644


def tar_gz(entries: Iterable[TarEntry], compress: bool = True) -> bytes:
    """A tar (gzip-compressed unless ``compress=False``) with members exactly as given: no
    name cleaning, so ``../evil`` and ``/abs`` stay what they are."""
    kinds = {
        "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
        "hardlink": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE,
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if compress else "w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type = kinds[e.kind]
            info.mode = 0o755 if e.kind == "dir" else e.mode
            info.mtime = int(time.time())
            info.linkname = e.linkname
            if e.kind in ("chr", "blk"):
                info.devmajor, info.devminor = 1, 3
            if e.kind == "file":
                info.size = len(e.data)
                tf.addfile(info, io.BytesIO(e.data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def tar_members(archive: bytes) -> dict[str, tarfile.TarInfo]:
    """Members of a .tar.gz by normalised name (no leading ``./``, no trailing ``/``)."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tf:
        out = {}
        for m in tf.getmembers():
            name = m.name
            while name.startswith("./"):
                name = name[2:]
            name = name.rstrip("/")
            if name in ("", "."):
                continue
            out[name] = m
    return out


def tar_file_contents(archive: bytes) -> dict[str, bytes]:
    """Regular files of a .tar.gz: normalised name -> content."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tf:
        for m in tf.getmembers():
            if m.isfile():
                name = m.name
                while name.startswith("./"):
                    name = name[2:]
                f = tf.extractfile(m)
                out[name] = f.read() if f else b""
    return out


def gunzip(archive: bytes) -> bytes:
    return gzip.decompress(archive)


# --------------------------------------------------------------------------- the sandbox on disk


def user_dir(username: str) -> str:
    return f"{USERS_ROOT}/{username}"


def sandbox_dir(username: str) -> str:
    return f"{USERS_ROOT}/{username}/sandbox"


def exists_on_disk(nox, path: str) -> bool:
    """``test -e`` (or a dangling symlink, ``test -L``) as root inside the booted systemd."""
    return nox.run(["sh", "-c", f"test -e {shlex.quote(path)} || test -L {shlex.quote(path)}"],
                   check=False).returncode == 0


def disk_entries(nox, username: str) -> dict[str, str]:
    """Everything under the user's sandbox on disk: relative path -> find's type letter
    (f file, d dir, l symlink, p fifo, ...)."""
    out = nox.run(["find", sandbox_dir(username), "-mindepth", "1", "-printf", "%y %P\\n"]).stdout
    entries = {}
    for line in out.splitlines():
        kind, _, rel = line.partition(" ")
        entries[rel] = kind
    return entries


def sh_in_sandbox(nox, username: str, script: str, *, uid: int | None = None, check: bool = True):
    """Runs ``sh -c script`` with the user's sandbox as working directory: as root, or — with
    ``uid`` — as that uid with only the supplementary group ``nox-run``, the way a code run
    (a DynamicUser with SupplementaryGroups=nox-run) writes there."""
    cmd = ["sh", "-c", script]
    if uid is not None:
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", f"--groups={RUN_GROUP}", "--"] + cmd
    return nox.run(cmd, cwd=sandbox_dir(username), check=check)


def plant_symlink(nox, username: str, target: str, link: str) -> None:
    """As root: ``ln -s target SANDBOX/link`` (parents of the link created)."""
    full = f"{sandbox_dir(username)}/{link}"
    nox.run(["mkdir", "-p", os.path.dirname(full)])
    nox.run(["ln", "-sfn", target, full])


def file_sha256_on_disk(nox, path: str) -> str | None:
    res = nox.run(["sha256sum", path], check=False)
    return res.stdout.split()[0] if res.returncode == 0 else None


def stat_on_disk(nox, path: str, fmt: str = "%U:%G %a") -> str:
    return nox.run(["stat", "-c", fmt, path]).stdout.strip()


# --------------------------------------------------------------------------- nox-files the process


def main_pid(nox, unit: str = SERVICE) -> int:
    return int(unit_property(nox, unit, "MainPID") or 0)


def running_pid(nox, who) -> int:
    """Makes sure nox-files runs (a request starts it) and returns its MainPID."""
    assert_json(list_page(nox, who), 200)
    return wait_until(lambda: main_pid(nox), timeout=10, what=f"{SERVICE} to have a MainPID")


def proc_status(nox, pid: int) -> dict[str, str]:
    text = nox.run(["cat", f"/proc/{pid}/status"]).stdout
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def vm_kb(nox, pid: int, field: str = "VmHWM") -> int:
    """VmHWM (peak RSS) or VmRSS of a process, in KiB."""
    value = proc_status(nox, pid).get(field)
    assert value, f"expected {field} in /proc/{pid}/status"
    return int(value.split()[0])


def wait_files_answer(nox, who, timeout: float = 30) -> None:
    """Waits until a files request succeeds again (after a kill or restart)."""

    def ok():
        try:
            return list_page(nox, who).status_code == 200
        except requests.RequestException:
            return False

    wait_until(ok, timeout, interval=0.5, what="GET /api/files to answer 200 again")


# --------------------------------------------------------------------------- users and errors


def set_disk_quota(nox, admin, username: str, disk_mb: int) -> None:
    resp = admin.patch(f"/api/admin/users/{username}", {"quotas": {"disk_mb": disk_mb}})
    body = assert_json(resp, 200)
    assert body.get("quotas", {}).get("disk_mb") == disk_mb, f"expected quotas.disk_mb={disk_mb}: {describe(resp)}"


CRASH_RE = re.compile(r"Main process exited, code=(dumped|killed)|code=exited, status=[1-9]|Failed with result")


@contextlib.contextmanager
def no_crashes_of_nox_files(nox):
    """Whatever runs inside must not crash nox-files. Socket activation hides a crash from
    HTTP clients (the next request starts it again), so look at what systemd saw: automatic
    restarts and the unit's exit messages in the journal."""
    start = int(time.time()) - 1
    before = unit_property(nox, SERVICE, "NRestarts")
    yield
    after = unit_property(nox, SERVICE, "NRestarts")
    assert after == before, f"expected no automatic restart of {SERVICE} here, NRestarts went {before} -> {after}"
    crashes = [
        journal_value(e, "MESSAGE")
        for e in nox.journal("-u", SERVICE, "--since", f"@{start}")
        if CRASH_RE.search(str(journal_value(e, "MESSAGE") or ""))
    ]
    assert not crashes, f"expected {SERVICE} never to crash here, systemd saw: {crashes[:5]}"
