"""The dashboard as served: nginx's security headers (a strict CSP the app lives with), the
Debian libraries it loads, every page at laptop and phone width (screenshots saved to
test-artifacts/dashboard/ for a person to look at; no sideways scrolling on a phone; every
control labelled), keyboard use, and the Monitoring page with or without nox-metrics.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import requests

from helpers_api import admin, make_user, request  # noqa: F401  (fixtures)
from helpers_dashboard import (  # noqa: F401  (browser, open_dashboard, screenshots_dir are fixtures)
    LAPTOP,
    PHONE,
    browser,
    metrics_installed,
    open_dashboard,
    screenshots_dir,
)
from helpers_exec import run as run_code
from helpers_files import put_ok

pytestmark = pytest.mark.usefixtures("nox")

PAGES = ["run", "files", "history", "monitoring", "admin/users", "admin/keys", "admin/audit", "account"]
LIBRARIES = {
    "/javascript/bootstrap5/css/bootstrap.min.css": "text/css",
    "/javascript/codemirror/lib/codemirror.js": "javascript",
    "/javascript/codemirror/mode/python/python.js": "javascript",
    "/javascript/codemirror/mode/rust/rust.js": "javascript",
    "/javascript/chart.js/chart.min.js": "javascript",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


class _Markup(HTMLParser):
    """Collects what a strict CSP would refuse in a page: inline scripts, style elements and
    attributes, inline event handlers, and anything loaded from another origin."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            if not a.get("src"):
                self.problems.append("inline <script>")
            else:
                self.scripts.append(a["src"])
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in a:
            self.problems.append(f"style attribute on <{tag}>")
        for name in a:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
        for name in ("src", "href"):
            if a.get(name, "").startswith(("http:", "https:", "//")):
                self.problems.append(f"other origin: {a[name]}")


def test_dashboard_is_served_with_strict_security_headers(nox):
    resp = requests.get(nox.url + "/", verify=nox.verify, timeout=15)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["Content-Type"].startswith("text/html")
    csp = resp.headers.get("Content-Security-Policy", "")
    d = csp_directives(csp)
    assert d.get("default-src") == ["'none'"], csp
    assert d.get("script-src") == ["'self'"], csp
    assert d.get("style-src") == ["'self'"], csp
    assert d.get("connect-src") == ["'self'"], csp
    assert d.get("frame-ancestors") == ["'none'"], csp
    assert d.get("base-uri") == ["'none'"], csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert resp.headers.get("X-Frame-Options") == "DENY"
    assert resp.headers.get("Referrer-Policy") == "no-referrer"
    assert "camera=()" in resp.headers.get("Permissions-Policy", "")
    # The add_header inheritance trap: the location's own headers must not drop the server's.
    assert resp.headers.get("X-Request-Id")
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"

    markup = _Markup()
    markup.feed(resp.text)
    assert markup.problems == [], markup.problems
    # Every script the page names is there, from this origin.
    for src in markup.scripts:
        url = src if src.startswith("/") else "/" + src
        lib = requests.get(nox.url + url, verify=nox.verify, timeout=15)
        assert lib.status_code == 200, f"{url}: {lib.status_code}"
        assert "javascript" in lib.headers["Content-Type"], f"{url}: {lib.headers['Content-Type']}"
        assert lib.headers.get("Content-Security-Policy") == csp
        assert lib.headers.get("X-Content-Type-Options") == "nosniff"

    for path, ctype in LIBRARIES.items():
        lib = requests.get(nox.url + path, verify=nox.verify, timeout=15)
        assert lib.status_code == 200 and ctype in lib.headers["Content-Type"], f"{path}: {lib.status_code}"

    # Only the three libraries of /usr/share/javascript are published, and a missing file is
    # the API's JSON 404, not nginx's HTML page.
    for path in ("/javascript/jquery/jquery.js", "/javascript/", "/no-such-page.html"):
        other = requests.get(nox.url + path, verify=nox.verify, timeout=15)
        assert other.status_code == 404, f"{path}: {other.status_code}"
        assert other.headers["Content-Type"].startswith("application/json"), path

    # The API keeps its own headers (no CSP of the app on JSON answers needed, nothing lost).
    api = requests.get(nox.url + "/api/auth/keys", verify=nox.verify, timeout=15)
    assert api.status_code == 200 and api.headers.get("X-Request-Id")


def test_every_page_at_laptop_and_phone_width(nox, open_dashboard, admin, screenshots_dir):
    """Screenshots of every page, both widths; no sideways scrolling; every control labelled;
    no console error, failed request or CSP violation anywhere."""
    put_ok(nox, admin, "examples/hello.py", b"print('hello from a file')\n")
    put_ok(nox, admin, "examples/data.csv", b"a,b\n1,2\n")
    run_code(nox, admin, "python", "print('a run for the history page')\n")
    run_code(nox, admin, "python", "import sys\nsys.exit(1)\n")
    installed = metrics_installed(nox)
    for label, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        tab = open_dashboard(viewport)
        if not installed:
            tab.allow(r"(status of 404|HTTP 404).*(/api/health|/api/system/|/api/stats|/api/metrics/)|/api/(health|system/|stats|metrics/).*404|status of 404 \(\) \(https://127\.0\.0\.1/api/(health|stats|system|metrics)")
        tab.page.goto(f"{nox.url}/#/login")
        tab.heading("Sign in to Nox").wait_for()
        tab.screenshot(screenshots_dir, f"login-{label}")
        tab.sign_in(admin.username, admin.password)
        for route in PAGES:
            tab.goto(route)
            title = route.split("/")[0].capitalize()
            tab.heading(title).wait_for()
            tab.page.wait_for_load_state("networkidle") if route != "monitoring" else tab.page.wait_for_timeout(2500)
            tab.page.wait_for_timeout(300)
            name = route.replace("/", "-")
            tab.screenshot(screenshots_dir, f"{name}-{label}")
            assert tab.unlabelled_controls() == [], f"{route} ({label}): controls without a label"
            overflow = tab.horizontal_overflow()
            assert overflow <= 1, f"{route} ({label}): the page scrolls sideways by {overflow}px"
        if label == "phone":
            # The menu collapses behind a toggle that opens it.
            toggle = tab.page.get_by_role("button", name="Show the menu")
            assert toggle.is_visible()
            assert not tab.page.locator("#nav-links").is_visible()
            toggle.click()
            assert toggle.get_attribute("aria-expanded") == "true"
            tab.page.locator("#nav-links").get_by_role("link", name="Files").click()
            tab.heading("Files").wait_for()
        tab.assert_clean()


def test_keyboard_only_sign_in_and_run(nox, open_dashboard, make_user):
    user = make_user("user", quotas={"requests_per_minute": 100000})
    tab = open_dashboard()
    page = tab.page
    page.goto(f"{nox.url}/#/login")
    tab.heading("Sign in to Nox").wait_for()
    # The sign-in form takes focus; type, Tab, type, Enter.
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(user.password)
    page.keyboard.press("Enter")
    tab.heading("Run").wait_for()
    tab.wait_run_page_ready()

    # On a fresh page the first Tab reaches the skip link, visible when focused; it leads to <main>.
    page.reload()
    tab.heading("Run").wait_for()
    tab.wait_run_page_ready()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Focus is visible: a focused button draws an outline.
    run_button = page.get_by_role("button", name="Run", exact=True)
    run_button.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline

    # Type code in the editor, leave it with Esc (Tab indents inside it), run with the keyboard.
    page.locator(".CodeMirror textarea").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("print(6 * 7)")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.textContent") == "Run"
    page.keyboard.press("Enter")
    page.locator("#run-status").filter(has_text="succeeded").wait_for(timeout=60_000)
    assert page.locator("#run-output").inner_text().strip() == "42"


def test_monitoring_page_shows_health_or_says_metrics_are_missing(nox, open_dashboard, make_user):
    user = make_user("user", quotas={"requests_per_minute": 100000})
    run_code(nox, user, "python", "print(1)\n")
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    if not metrics_installed(nox):
        tab.allow(r"(status of 404|HTTP 404).*/api/health|/api/health.*404|status of 404 \(\) \(https://127\.0\.0\.1/api/health")
        tab.nav_link("Monitoring").click()
        tab.heading("Monitoring").wait_for()
        notice = tab.page.locator(".message-area .alert-warning")
        notice.wait_for()
        assert "not installed" in notice.inner_text()
        assert not tab.page.locator("#charts").is_visible() and not tab.page.locator("#health").is_visible()
        return
    tab.nav_link("Monitoring").click()
    tab.heading("Monitoring").wait_for()
    health = request(nox, "GET", "/api/health").json()
    for name in health["services"]:
        tab.page.locator(f".health-card[data-service='{name}'] .badge").wait_for()
    # The live stream feeds the CPU chart within a few seconds.
    tab.page.locator("#charts figure").first.filter(has_text=re.compile(r"now \d")).wait_for(timeout=15_000)
    # Per-user usage lists the caller with the run just made.
    tab.page.locator("#usage tr", has_text=user.username).wait_for(timeout=15_000)
