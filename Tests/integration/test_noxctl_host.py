"""noxctl on the server host (status, logs) and its packaging: help, man page, completions,
colours only on a terminal and never with NO_COLOR."""

from __future__ import annotations

import json
import re

import helpers_api
from helpers_api import make_user, admin  # noqa: F401  (fixtures)
from helpers_noxctl import NOXCTL, ctl_user  # noqa: F401  (fixtures)

ESC = "\x1b["


def test_status_shows_every_nox_unit_and_the_health(nox):
    helpers_api.wait_for_auth(nox)  # nox-auth.service running, not only its socket
    res = nox.run([NOXCTL, "status", "--json"], check=False)
    assert res.returncode in (0, 3), res.stderr
    report = json.loads(res.stdout)
    units = {u["unit"]: u for u in report["units"]}
    for unit in ("nox.target", "nox-auth.socket", "nox-auth.service", "nox-files.socket", "nox-exec.socket",
                 "nox-auth-varlink.socket"):
        assert unit in units, f"{unit} missing from {sorted(units)}"
    assert units["nox.target"]["active"] == "active"
    assert units["nox-auth.socket"]["active"] == "active"
    assert units["nox-auth.service"]["active"] == "active" and units["nox-auth.service"]["main_pid"] > 0
    # /api/health may come from nox-metrics; without it the report says why instead.
    assert report["health"] is not None or report["health_error"]
    if report["health"] is not None:
        assert report["health"]["status"] in ("ok", "degraded")
    assert (res.returncode == 0) == report["healthy"]

    table = nox.run([NOXCTL, "status"], check=False).stdout
    assert table.splitlines()[0].split() == ["UNIT", "ACTIVE", "SUB", "ENABLED", "PID", "MEMORY", "HEALTH"]
    assert re.search(r"^nox-auth\.service\s+active\s+running", table, re.M), table
    assert "health:" in table and "runs in progress:" in table


def test_backup_and_restore_need_root(nox):
    for args in (["backup", "/tmp/x.tar.gz"], ["restore", "/tmp/x.tar.gz"]):
        res = nox.run(["runuser", "-u", "nobody", "--", NOXCTL, *args], check=False)
        assert res.returncode == 1 and "as root" in res.stderr, res.stderr


def test_logs_filters_by_request_and_user(nox, make_user):
    user = make_user()
    request_id = helpers_api.new_request_id()
    assert helpers_api.me(nox, user.access_token, request_id=request_id).status_code == 200

    def entries():
        res = nox.run([NOXCTL, "logs", "--request", request_id, "--json"], check=False)
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    found = helpers_api.wait_until(entries, 20, what="journal entries of the request")
    assert all(helpers_api.journal_value(e, "NOX_REQUEST_ID") == request_id for e in found)
    assert any(helpers_api.journal_value(e, "_SYSTEMD_UNIT") == "nox-auth.service" for e in found)

    by_user = nox.run([NOXCTL, "logs", "--user", user.username, "--unit", "auth", "--json"], check=False).stdout
    lines = [json.loads(line) for line in by_user.splitlines() if line.strip()]
    assert lines and all(helpers_api.journal_value(e, "NOX_USER") == user.username for e in lines)
    assert nox.run([NOXCTL, "logs", "--unit", "exec", "--since", "1h", "--dry-run"]).stdout.split()[1:] == [
        "--no-hostname", "--unit", "nox-exec.service", "--since", "-1h", "--output", "short-iso-precise"]


def test_help_man_page_and_completions_are_installed(nox):
    help_text = nox.run([NOXCTL, "run", "--help"]).stdout
    assert "Examples:" in help_text and "sys.exit(3)" in help_text
    man = nox.run(["sh", "-c", "zcat /usr/share/man/man1/noxctl.1.gz"]).stdout
    assert man.startswith(".TH NOXCTL 1") and "restore" in man and "history" in man
    for path, needle in (("/usr/share/bash-completion/completions/noxctl", "noxctl"),
                         ("/usr/share/zsh/vendor-completions/_noxctl", "#compdef noxctl"),
                         ("/usr/share/fish/vendor_completions.d/noxctl.fish", "complete -c 'noxctl'")):
        assert needle in nox.run(["cat", path]).stdout, path
    # The completion script really completes subcommands.
    words = nox.run(["bash", "-c", "source /usr/share/bash-completion/completions/noxctl; "
                     "COMP_WORDS=(noxctl fi); COMP_CWORD=1; COMP_LINE='noxctl fi'; COMP_POINT=9; "
                     "_noxctl; echo \"${COMPREPLY[@]}\""]).stdout.split()
    assert "files" in words, words


def test_colours_only_on_a_terminal_and_never_with_no_color(nox, ctl_user):
    plain = ctl_user("history", "--limit", "1").stdout
    assert ESC not in plain, "colours on a pipe"
    command = " ".join(ctl_user.argv("whoami"))
    env = {**ctl_user.env, "TERM": "xterm"}
    tty = nox.run(["script", "-qec", command, "/dev/null"], env=env).stdout
    assert ESC in tty, f"no colours on a terminal: {tty!r}"
    no_color = nox.run(["script", "-qec", command, "/dev/null"], env={**env, "NO_COLOR": "1"}).stdout
    assert ESC not in no_color and ctl_user.username in no_color
