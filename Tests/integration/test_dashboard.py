"""The web dashboard in a real browser (Playwright + Debian's Chromium) against the installed
Nox through nginx: sign in and out, transparent token refresh, writing and running Python with
the output streamed live, saving/loading sandbox files from the editor, drag-and-drop upload,
search with highlights, rename/delete, backups, history (filter, search, open, re-run), the
admin creating a user who then signs in, a non-admin kept out of the admin pages, API keys.

Every test's browser tabs must finish with no console error or warning, no page error, no
failed request, no HTTP error response and no CSP violation, except those a test provokes on
purpose and allows by name (``tab.allow``).
"""

from __future__ import annotations

import tarfile
import uuid

import pytest

from helpers_api import (  # noqa: F401  (admin, make_user are fixtures)
    Client,
    admin,
    make_user,
    me,
    new_password,
    refresh,
    request,
    unique_name,
)
from helpers_dashboard import (  # noqa: F401  (browser, open_dashboard, screenshots_dir are fixtures)
    PHONE,
    browser,
    open_dashboard,
    screenshots_dir,
    wait_api,
)
from helpers_exec import run as run_code
from helpers_files import get_bytes, list_paths, put_ok, search_items

pytestmark = pytest.mark.usefixtures("nox")


def user_with_room(make_user) -> Client:
    """A plain user whose request budget a browser session cannot exhaust."""
    return make_user("user", quotas={"requests_per_minute": 100000})


# --------------------------------------------------------------------- sign in / out


def test_sign_in_keeps_tokens_in_session_storage_and_sign_out_revokes_them(nox, open_dashboard, make_user):
    user = user_with_room(make_user)
    tab = open_dashboard()
    tab.goto("files")
    # Not signed in: any page is the sign-in form.
    tab.heading("Sign in to Nox").wait_for()
    assert tab.page.url.endswith("#/login")
    tab.sign_in(user.username, user.password)
    stored = tab.session_storage()
    assert stored and stored["access_token"] and stored["refresh_token"], stored
    assert tab.page.evaluate("localStorage.length") == 0, "tokens must not be kept in localStorage"
    assert tab.page.evaluate("document.cookie") == "", "tokens must not be kept in cookies"
    # The token really is the user's.
    assert me(nox, stored["access_token"]).json()["username"] == user.username

    # A reload keeps the session (sessionStorage), then signing out ends it on the server too.
    tab.page.reload()
    tab.heading("Run").wait_for()
    tab.page.get_by_role("button", name="Sign out").click()
    tab.heading("Sign in to Nox").wait_for()
    assert tab.session_storage() is None
    wait_api(lambda: refresh(nox, stored["refresh_token"]).status_code == 401, what="the refresh token to be revoked")


def test_tokens_are_refreshed_transparently(nox, open_dashboard, make_user):
    user = user_with_room(make_user)
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    before = tab.session_storage()

    # An access token about to expire is exchanged before the next request, without a 401.
    tab.page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('nox.session'));
        s.expires_at = Date.now() + 1000;
        sessionStorage.setItem('nox.session', JSON.stringify(s));
    }""")
    tab.page.reload()
    tab.nav_link("Files").click()
    tab.heading("Files").wait_for()
    tab.page.locator("#storage-text").filter(has_text="Storage:").wait_for()
    after = tab.session_storage()
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert refresh(nox, before["refresh_token"]).status_code == 401  # spent (and the family now revoked)

    # The server refusing an access token (401) makes the app refresh once and retry.
    tab2 = open_dashboard()
    tab2.sign_in(user.username, user.password)
    tab2.page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('nox.session'));
        s.access_token = 'not-a-valid-token';
        sessionStorage.setItem('nox.session', JSON.stringify(s));
    }""")
    tab2.allow(r"(status of 401|HTTP 401).*(/api/auth/me|\(\)|$)")
    tab2.page.reload()
    tab2.heading("Run").wait_for()
    tab2.page.locator("#nav-username").filter(has_text=user.username).wait_for(state="attached")
    assert tab2.session_storage()["access_token"] != "not-a-valid-token"


# --------------------------------------------------------------------- run


def test_write_and_run_python_with_output_streamed_live(nox, open_dashboard, make_user, screenshots_dir):
    user = user_with_room(make_user)
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    page = tab.page
    page.get_by_label("Language").select_option("python")
    marker = uuid.uuid4().hex[:10]
    tab.set_editor(
        "import sys, time\n"
        f"print('first {marker}', flush=True)\n"
        "time.sleep(3)\n"
        "name = sys.stdin.readline().strip()\n"
        f"print('second', name, '{marker}')\n"
        "print('to stderr', file=sys.stderr)\n")
    # Python is highlighted by CodeMirror's python mode.
    page.locator(".CodeMirror .cm-keyword", has_text="import").first.wait_for()
    page.get_by_label("Standard input").fill("Ada")

    # Ctrl-Enter in the editor runs the code.
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+Enter")
    output = page.locator("#run-output")
    output.filter(has_text=f"first {marker}").wait_for()
    # Streamed: the first line is there while the run still sleeps, before the second one.
    assert "second" not in output.inner_text()
    assert page.locator("#run-status").inner_text().strip() in ("running", "queued")

    page.locator("#run-status").filter(has_text="succeeded").wait_for(timeout=60_000)
    text = output.inner_text()
    assert f"second Ada {marker}" in text
    assert page.locator("#run-output .stderr").inner_text().strip() == "to stderr"
    assert page.locator("#run-exit").inner_text().strip() == "0"
    assert page.locator("#run-duration").inner_text().strip().endswith("s")
    assert page.locator("#run-memory").inner_text().strip() != "—"
    assert page.locator("#run-cpu").inner_text().strip() != "—"
    tab.screenshot(screenshots_dir, "run-result-laptop")

    # A failing program: status failed and its exit code; the Run button works too.
    tab.set_editor("raise SystemExit(3)\n")
    page.get_by_role("button", name="Run", exact=True).click()
    page.locator("#run-status").filter(has_text="failed").wait_for(timeout=60_000)
    assert page.locator("#run-exit").inner_text().strip() == "3"


def test_editor_saves_to_and_loads_from_the_sandbox(nox, open_dashboard, make_user):
    user = user_with_room(make_user)
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    page = tab.page
    code = f"print('saved {uuid.uuid4().hex}')\n"
    tab.set_editor(code)
    page.get_by_label("Path").fill("dash/saved.py")
    page.get_by_role("button", name="Save").click()
    page.locator("#notices").filter(has_text="Saved dash/saved.py").wait_for()
    assert get_bytes(nox, user, "dash/saved.py").decode() == code

    other = "echo loaded from the sandbox\n"
    put_ok(nox, user, "dash/other.sh", other.encode())
    page.get_by_label("Path").fill("dash/other.sh")
    page.get_by_role("button", name="Load").click()
    page.locator("#notices").filter(has_text="Loaded dash/other.sh").wait_for()
    assert tab.editor_text() == other
    # The language follows the file's extension.
    assert page.get_by_label("Language").input_value() in ("bash", "sh")

    # An API error is shown in words.
    tab.allow(r"404.*/api/files/dash/missing\.py|/api/files/dash/missing\.py.*404|status of 404")
    page.get_by_label("Path").fill("dash/missing.py")
    page.get_by_role("button", name="Load").click()
    page.locator(".message-area .alert-danger").wait_for()
    assert page.locator(".message-area .alert-danger").inner_text().strip()


# --------------------------------------------------------------------- files


def files_page(open_dashboard, user):
    """A new tab, signed in as ``user``, on the Files page."""
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    tab.nav_link("Files").click()
    tab.heading("Files").wait_for()
    return tab


DROP_FILES = """([files, dir]) => {
    const dt = new DataTransfer();
    for (const [name, text] of files) dt.items.add(new File([text], name, { type: 'text/plain' }));
    const zone = document.getElementById('drop-zone');
    zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
}"""


def test_drag_and_drop_upload_search_view_rename_delete(nox, open_dashboard, make_user, screenshots_dir):
    user = user_with_room(make_user)
    put_ok(nox, user, "docs/readme.txt", b"folder file\n")
    tab = files_page(open_dashboard, user)
    page = tab.page

    # Into a subfolder: open it first, then drop two files on the drop zone.
    page.locator("tbody").get_by_role("button", name="docs/").click()
    page.locator(".breadcrumb").filter(has_text="docs").wait_for()
    word = f"zebra{uuid.uuid4().hex[:8]}"
    big = ("line of filler text\n" * 20000) + f"the {word} is here\n"
    page.evaluate(DROP_FILES, [[["notes.txt", f"some notes about a {word}\nsecond line\n"], ["big.txt", big]], "docs"])
    page.locator("#uploads").filter(has_text="Uploaded 2 files").wait_for()
    assert page.locator("#uploads progress").first.evaluate("p => p.value") == 100
    files = list_paths(nox, user)
    assert files["docs/notes.txt"]["size"] == len(f"some notes about a {word}\nsecond line\n")
    assert get_bytes(nox, user, "docs/big.txt").decode() == big
    page.locator("tr[data-path='docs/notes.txt']").wait_for()

    # Search: hits with the matched word highlighted.
    page.get_by_label("Search file names and contents").fill(word)
    page.get_by_role("button", name="Search", exact=True).click()
    hits = page.locator("#search-results .search-hits li")
    hits.first.wait_for()
    assert hits.count() == len(search_items(nox, user, word)) >= 2
    marks = page.locator("#search-results mark").all_inner_texts()
    assert marks and all(m.lower() == word for m in marks), marks

    # A hit opens the file's text.
    hits.filter(has_text="docs/notes.txt").get_by_role("button").click()
    page.locator("#file-viewer pre").filter(has_text=f"some notes about a {word}").wait_for()
    assert "Showing the first" not in page.locator("#file-viewer").inner_text()
    tab.screenshot(screenshots_dir, "files-search-and-view-laptop")

    # Download (an authenticated fetch handed to the browser as a file).
    with page.expect_download() as download:
        page.locator("tr[data-path='docs/big.txt']").get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "big.txt"
    assert open(download.value.path(), encoding="utf-8").read() == big

    # Rename through the dialog, then delete after confirming.
    page.locator("tr[data-path='docs/notes.txt']").get_by_role("button", name="Rename").click()
    page.locator("dialog[open]").get_by_label("New path").fill("docs/renamed.txt")
    tab.confirm_dialog("Rename")
    page.locator("tr[data-path='docs/renamed.txt']").wait_for()
    assert "docs/renamed.txt" in list_paths(nox, user) and "docs/notes.txt" not in list_paths(nox, user)

    page.locator("tr[data-path='docs/renamed.txt']").get_by_role("button", name="Delete").click()
    tab.confirm_dialog("Delete")
    page.locator("tr[data-path='docs/renamed.txt']").wait_for(state="detached")
    assert "docs/renamed.txt" not in list_paths(nox, user)

    # Storage used vs quota is shown.
    assert "of" in page.locator("#storage-text").inner_text()


def test_backup_create_and_restore_after_confirmation(nox, open_dashboard, make_user):
    user = user_with_room(make_user)
    put_ok(nox, user, "keep.txt", b"precious\n")
    tab = files_page(open_dashboard, user)
    page = tab.page
    page.get_by_role("button", name="Create backup").click()
    page.locator("#notices").filter(has_text="Backup created").wait_for()
    backups = page.locator("section[aria-labelledby='backups-heading'] tbody tr")
    backups.get_by_role("button", name="Restore").first.wait_for()
    with page.expect_download() as download:
        backups.get_by_role("button", name="Download").first.click()
    assert download.value.suggested_filename.endswith(".tar.gz")
    with tarfile.open(download.value.path()) as archive:
        assert any(name.endswith("keep.txt") for name in archive.getnames())

    request(nox, "DELETE", "/api/files/keep.txt", token=user.access_token)
    assert "keep.txt" not in list_paths(nox, user)

    # Dismissing the confirmation restores nothing; confirming restores.
    backups.get_by_role("button", name="Restore").first.click()
    page.locator("dialog[open]").get_by_role("button", name="Cancel").click()
    assert "keep.txt" not in list_paths(nox, user)
    backups.get_by_role("button", name="Restore").first.click()
    tab.confirm_dialog("Replace my files")
    page.locator("#notices").filter(has_text="Restored").wait_for()
    assert get_bytes(nox, user, "keep.txt") == b"precious\n"
    page.locator("tr[data-path='keep.txt']").wait_for()


# --------------------------------------------------------------------- history


def test_history_filters_opens_and_reruns(nox, open_dashboard, make_user, screenshots_dir):
    user = user_with_room(make_user)
    marker = f"m{uuid.uuid4().hex[:10]}"
    run_code(nox, user, "python", f"print('{marker} ok')\n")
    run_code(nox, user, "python", f"import sys\nprint('{marker} bad')\nsys.exit(2)\n")
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    page = tab.page
    tab.nav_link("History").click()
    tab.heading("History").wait_for()
    rows = page.locator("tbody tr[data-job]")
    rows.nth(1).wait_for()
    assert rows.count() == 2

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Apply").click()
    page.locator("tbody tr[data-job] .badge", has_text="failed").wait_for()
    wait_api(lambda: rows.count() == 1, what="only the failed run listed")

    page.get_by_label("Status").select_option("")
    page.get_by_label("Search in code").fill(marker)
    page.get_by_role("button", name="Apply").click()
    wait_api(lambda: rows.count() == 2, what="both runs found by their code")

    # Open the successful run: its code and output.
    rows.filter(has=page.locator(".badge", has_text="succeeded")).get_by_role("button", name="Open").click()
    detail = page.locator("#history-detail")
    detail.locator(".run-output").filter(has_text=f"{marker} ok").wait_for()
    assert marker in tab.editor_text()
    tab.screenshot(screenshots_dir, "history-detail-laptop")

    # Re-run: the Run page runs the same code again.
    detail.get_by_role("button", name="Re-run").click()
    tab.heading("Run").wait_for()
    page.locator("#run-status").filter(has_text="succeeded").wait_for(timeout=60_000)
    assert f"{marker} ok" in page.locator("#run-output").inner_text()
    assert marker in tab.editor_text()


# --------------------------------------------------------------------- admin


def test_admin_creates_a_user_who_then_signs_in(nox, open_dashboard, admin):
    tab = open_dashboard()
    tab.sign_in(admin.username, admin.password)
    page = tab.page
    tab.nav_link("Admin").click()
    tab.heading("Admin").wait_for()
    username = unique_name("dash")
    password = new_password()
    form = page.locator("form[aria-labelledby='create-user-heading']")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_label("Role").select_option("user")
    form.locator("summary").click()
    form.get_by_label("Disk (MiB)").fill("321")
    form.get_by_role("button", name="Create user").click()
    page.locator(f"tr[data-user='{username}']").wait_for()
    created = request(nox, "GET", f"/api/admin/users/{username}", token=admin.access_token).json()
    assert created["role"] == "user" and created["quotas"]["disk_mb"] == 321

    # The same name again: the API's 409 message is shown in words.
    tab.allow(r"(status of 409|HTTP 409)")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Create user").click()
    error = page.locator(".message-area .alert-danger")
    error.wait_for()
    assert error.inner_text().strip() and "409" not in error.inner_text()

    # Edit: a quota changes through the dialog.
    page.locator(f"tr[data-user='{username}']").get_by_role("button", name="Edit").click()
    page.locator("dialog[open]").get_by_label("Concurrent runs").fill("2")
    tab.confirm_dialog("Save")
    page.locator("#notices").filter(has_text=f"Saved {username}").wait_for()
    assert request(nox, "GET", f"/api/admin/users/{username}", token=admin.access_token).json()["quotas"]["max_concurrent"] == 2

    # The audit log shows the creation, filtered by action.
    page.get_by_role("link", name="Audit log").click()
    audit = page.get_by_role("search", name="Filter the audit log")
    audit.get_by_label("Action").fill("user.create")
    audit.get_by_role("button", name="Apply").click()
    page.locator("tbody tr", has_text=username).first.wait_for()

    # The new user signs in (another browser, phone width) and sees no admin page.
    other = open_dashboard(PHONE)
    other.sign_in(username, password)
    assert other.page.locator("#nav-links a", has_text="Admin").count() == 0

    # Disable, then delete, through the UI.
    page.get_by_role("link", name="Users").click()
    page.locator(f"tr[data-user='{username}']").get_by_role("button", name="Disable").click()
    tab.confirm_dialog("Disable")
    page.locator(f"tr[data-user='{username}']").filter(has_text="disabled").wait_for()
    page.locator(f"tr[data-user='{username}']").get_by_role("button", name="Delete").click()
    tab.confirm_dialog("Delete")
    page.locator(f"tr[data-user='{username}']").wait_for(state="detached")
    assert request(nox, "GET", f"/api/admin/users/{username}", token=admin.access_token).status_code == 404


def test_non_admin_does_not_see_admin_pages(nox, open_dashboard, make_user):
    user = user_with_room(make_user)
    tab = open_dashboard()
    admin_requests: list[str] = []
    tab.page.on("request", lambda req: admin_requests.append(req.url) if "/api/admin/" in req.url else None)
    tab.sign_in(user.username, user.password)
    links = tab.page.locator("#nav-links a").all_inner_texts()
    assert "Admin" not in links and {"Run", "Files", "History", "Monitoring", "Account"} <= set(links)
    tab.goto("admin/users")
    tab.heading("Not allowed").wait_for()
    assert "administrators only" in tab.page.locator("main").inner_text()
    assert tab.page.locator("form[aria-labelledby='create-user-heading']").count() == 0
    assert admin_requests == []


# --------------------------------------------------------------------- account


def test_account_api_key_shown_once_works_and_is_deleted(nox, open_dashboard, make_user):
    user = user_with_room(make_user)
    tab = open_dashboard()
    tab.sign_in(user.username, user.password)
    page = tab.page
    tab.nav_link("Account").click()
    tab.heading("Account").wait_for()
    page.get_by_label("Name", exact=True).fill("dashboard key")
    page.get_by_label("Expires after (days)").fill("7")
    page.get_by_label("files:write").uncheck()
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key-secret")
    secret.wait_for()
    key = secret.input_value()
    assert key.startswith("nox_")
    body = me(nox, key).json()
    assert body["username"] == user.username and "files:write" not in body["permissions"]

    row = page.locator("tbody tr", has_text="dashboard key")
    row.wait_for()
    assert key not in page.locator("table").inner_text()  # listed without the secret
    # Shown once: after a reload only the list remains.
    tab.page.reload()
    tab.heading("Account").wait_for()
    assert page.locator("#new-key-secret").count() == 0
    page.locator("tbody tr", has_text="dashboard key").get_by_role("button", name="Delete key dashboard key").click()
    tab.confirm_dialog("Delete")
    page.locator("tbody tr", has_text="dashboard key").wait_for(state="detached")
    assert me(nox, key).status_code == 401
