"""noxctl files: put/get/cat/ls/mv/search/rm round trips through the real server."""

from __future__ import annotations

import hashlib
import os

from helpers_api import make_user, admin  # noqa: F401  (fixtures)
from helpers_noxctl import assert_error_output, ctl_user  # noqa: F401  (fixtures)


def test_put_get_round_trip_is_byte_identical(ctl_user):
    data = os.urandom(3 * 1024 * 1024 + 17)
    local = ctl_user.write_local("blob.bin", data)
    put = ctl_user.json("files", "put", local, "data/")
    assert put["path"] == "data/blob.bin" and put["size"] == len(data)
    assert put["sha256"] == hashlib.sha256(data).hexdigest()

    target = f"{ctl_user.config_home}/back.bin"
    got = ctl_user("files", "get", "data/blob.bin", target)
    assert "saved" in got.stdout
    assert ctl_user.read_local(target) == data
    # No partial file is left beside it.
    assert not [p for p in os.listdir(ctl_user.host_path(ctl_user.config_home)) if p.endswith(".part")]


def test_put_from_stdin_and_cat(ctl_user):
    text = "line one\nzweite Zeile ü\n"
    ctl_user("files", "put", "-", "notes/today.txt", input=text)
    assert ctl_user("files", "cat", "notes/today.txt").stdout == text
    assert ctl_user("files", "get", "notes/today.txt", "-").stdout == text


def test_ls_long_recursive_and_json(ctl_user):
    ctl_user("files", "put", "-", "src/a.py", input="print('a')\n")
    ctl_user("files", "put", "-", "src/lib/b.py", input="print('b')\n")
    short = ctl_user("files", "ls").stdout.split()
    assert "src/" in short
    rec = ctl_user("files", "ls", "-R", "src").stdout.split()
    assert "a.py" in rec and "lib/" in rec and "lib/b.py" in rec
    long = ctl_user("files", "ls", "-l", "src").stdout
    assert long.splitlines()[0].split() == ["TYPE", "SIZE", "MODIFIED", "PATH"]
    assert "11 B" in long
    items = ctl_user.json("files", "ls", "-R")
    paths = {i["path"]: i for i in items}
    assert paths["src/lib/b.py"]["type"] == "file" and paths["src/lib"]["type"] == "dir"


def test_mv_search_and_rm(ctl_user):
    ctl_user("files", "put", "-", "draft.txt", input="the quick brown fox\n")
    ctl_user("files", "mv", "draft.txt", "final.txt")
    assert "final.txt" in ctl_user("files", "ls").stdout.split()
    hits = ctl_user.json("files", "search", "brown")
    assert [h for h in hits if h["path"] == "final.txt" and h["line"] == 1], hits
    assert "final.txt:1" in ctl_user("files", "search", "brown").stdout

    ctl_user("files", "put", "-", "tree/x/y.txt", input="y\n")
    res = ctl_user("files", "rm", "tree", check=False)
    assert_error_output(res, "directory_not_empty", "HTTP 409")
    ctl_user("files", "rm", "-r", "tree")
    ctl_user("files", "rm", "final.txt")
    assert ctl_user.json("files", "ls") == []


def test_missing_file_is_an_error_not_a_file(ctl_user):
    target = f"{ctl_user.config_home}/nothing.txt"
    res = ctl_user("files", "get", "nope.txt", target, check=False)
    assert_error_output(res, "HTTP 404")
    assert not ctl_user.host_path(target).exists()
    # nginx may resolve the dot segment itself (404) or pass it on (400 invalid_path): refused either way.
    assert_error_output(ctl_user("files", "cat", "../etc/passwd", check=False), "HTTP 4")


def test_progress_bar_only_on_a_terminal(nox, ctl_user):
    local = ctl_user.write_local("big.bin", os.urandom(4 * 1024 * 1024))
    piped = ctl_user("files", "put", local, "big.bin")
    assert "[#" not in piped.stderr and "\r" not in piped.stderr, "progress bar drawn on a pipe"
    command = " ".join(ctl_user.argv("files", "put", local, "big-tty.bin"))
    typescript = nox.run(["script", "-qec", command, "/dev/null"], env={**ctl_user.env, "TERM": "xterm"}).stdout
    assert "big-tty.bin  [" in typescript and "100%" in typescript, typescript[-2000:]
    assert "created big-tty.bin" in typescript
