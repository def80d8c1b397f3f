"""Helpers for the dashboard tests (``test_dashboard*``): Playwright driving Debian's Chromium
against the installed Nox through nginx, exactly as a person's browser would.

* ``browser`` (module fixture: Playwright's sync API runs one event loop at a time, so each
  test module starts and stops its own): headless /usr/bin/chromium (no browser download; ``--no-sandbox``
  because the tests run as root). It starts inside pytest's private network namespace, so
  https://127.0.0.1 is the sandbox's nginx (self-signed certificate: ignore_https_errors).
* ``open_dashboard`` (fixture): a factory of :class:`Tab` — a fresh browser context (no shared
  sessionStorage) whose console messages, page errors, failed requests and Content-Security-
  Policy violations are all recorded; when the test ends every tab must have none of them,
  apart from what the test explicitly allowed (``tab.allow(regex)``).
* sign-in helpers and small readers of what the pages show.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000

# Runs in every page before its own scripts (Playwright injects it over CDP, outside the CSP):
# report each CSP violation to the test.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.noxReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@dataclass
class Tab:
    """One browser context + page, and everything that went wrong in it."""

    nox: object
    context: object
    page: object
    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Accepts problems matching ``pattern`` (an error the test provokes on purpose)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]

    def assert_clean(self) -> None:
        bad = self.unexpected()
        assert not bad, "the browser reported problems:\n  " + "\n  ".join(bad)

    # ------------------------------------------------------------------ navigation

    def goto(self, route: str) -> None:
        """Opens ``#/route`` and waits for its heading."""
        self.page.goto(f"{self.nox.url}/#/{route}")

    def sign_in(self, username: str, password: str) -> None:
        page = self.page
        page.goto(f"{self.nox.url}/#/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Run", level=1).wait_for()
        self.wait_run_page_ready()
        # (attached: at phone width the menu holding it is collapsed)
        page.locator("#nav-username").filter(has_text=username).wait_for(state="attached")

    def heading(self, text: str):
        return self.page.get_by_role("heading", name=text, level=1)

    def nav_link(self, text: str):
        return self.page.locator("#nav-links").get_by_role("link", name=text, exact=True)

    def session_storage(self) -> dict | None:
        return self.page.evaluate("JSON.parse(sessionStorage.getItem('nox.session') || 'null')")

    def wait_run_page_ready(self) -> None:
        """The Run page has its languages (its last request), so it is fully set up."""
        self.page.locator("select[name=language] option").first.wait_for(state="attached")
        self.page.locator(".CodeMirror").first.wait_for()

    def set_editor(self, code: str) -> None:
        """Replaces the Run page's editor text through CodeMirror's own API."""
        self.wait_run_page_ready()
        self.page.evaluate("(code) => document.querySelector('.CodeMirror').CodeMirror.setValue(code)", code)

    def editor_text(self, index: int = 0) -> str:
        return self.page.evaluate("(i) => document.querySelectorAll('.CodeMirror')[i].CodeMirror.getValue()", index)

    def wait_for_text(self, selector: str, text: str, timeout_ms: int = TIMEOUT_MS) -> None:
        self.page.locator(selector).filter(has_text=text).first.wait_for(timeout=timeout_ms)

    def confirm_dialog(self, button: str) -> None:
        dlg = self.page.locator("dialog[open]")
        dlg.wait_for()
        dlg.get_by_role("button", name=button).click()
        dlg.wait_for(state="detached")

    def unlabelled_controls(self) -> list[str]:
        """Form controls with no accessible name (label, aria-label or aria-labelledby)."""
        return self.page.evaluate("""() => Array.from(document.querySelectorAll('input, select, textarea, button'))
            .filter((el) => el.offsetParent !== null || el.closest('.CodeMirror'))
            .filter((el) => !(el.type === 'hidden'))
            .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim())))
            .map((el) => el.outerHTML.slice(0, 120))""")

    def horizontal_overflow(self) -> int:
        """Pixels the page is wider than the window (0: nothing scrolls sideways)."""
        return self.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")

    def screenshot(self, directory: Path, name: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _describe_console(msg) -> str:
    loc = msg.location or {}
    where = loc.get("url") or ""
    return f"console.{msg.type}: {msg.text} ({where})"


def new_tab(browser, nox, viewport: dict) -> Tab:
    context = browser.new_context(ignore_https_errors=True, viewport=viewport, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(nox, context, page)
    context.expose_function("noxReportCsp", lambda text: tab.problems.append(f"CSP violation: {text}"))
    context.add_init_script(CSP_LISTENER)
    page.on("console", lambda msg: tab.problems.append(_describe_console(msg)) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: tab.problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: tab.problems.append(
        f"request failed: {req.method} {req.url}: {req.failure}") if not _aborted_on_purpose(req) else None)
    page.on("response", lambda resp: tab.problems.append(
        f"HTTP {resp.status}: {resp.request.method} {resp.url}") if resp.status >= 400 else None)
    return tab


def _aborted_on_purpose(req) -> bool:
    """The app aborts its own SSE streams when a page is left or a run is cancelled."""
    failure = req.failure or ""
    return "ERR_ABORTED" in failure and ("/events" in req.url or "/api/metrics/stream" in req.url)


@pytest.fixture(scope="module")
def browser(nox):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the dashboard tests need Playwright: pip install playwright (scripts/deps)", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the dashboard tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_dashboard(browser, nox):
    """``open_dashboard(viewport=LAPTOP) -> Tab``; every tab must end clean."""
    tabs: list[Tab] = []

    def factory(viewport: dict = LAPTOP) -> Tab:
        tab = new_tab(browser, nox, viewport)
        tabs.append(tab)
        return tab

    yield factory
    problems = []
    for tab in tabs:
        # Give late console messages of the last action a moment to arrive.
        try:
            tab.page.wait_for_timeout(300)
        except Exception:
            pass
        problems += tab.unexpected()
        tab.context.close()
    assert not problems, "the browser reported problems:\n  " + "\n  ".join(problems)


@pytest.fixture(scope="session")
def screenshots_dir(artifacts_dir) -> Path:
    path = artifacts_dir / "dashboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


def metrics_installed(nox) -> bool:
    """Whether nox-metrics answers /api/health (else nginx's API 404)."""
    from helpers_api import request

    return request(nox, "GET", "/api/health").status_code != 404


def wait_api(predicate, timeout: float = 15, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {value!r})")
        time.sleep(0.25)
