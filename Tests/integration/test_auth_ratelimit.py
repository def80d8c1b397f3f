"""Failed logins back off: 429 with Retry-After, even for the right password.

The whole suite reaches nginx from 127.0.0.1, and the contract backs off per username
*and* per address. So this module provokes the backoff with a throwaway user, stops at
the first 429, and waits the backoff out before returning, so that later modules find
127.0.0.1 free again (the helpers' login also waits out a stray 429 as a safety net).
"""

from __future__ import annotations

import time

from helpers_api import (  # noqa: F401  (make_user is a fixture)
    assert_error,
    assert_json,
    describe,
    make_user,
    post_login,
)

MAX_FAILED_ATTEMPTS = 50  # stop long before this; the first 429 ends the loop
MAX_BACKOFF_WAIT_S = 600


def _retry_after(resp) -> int:
    value = resp.headers.get("Retry-After", "")
    assert value.isdigit(), f"429 needs Retry-After in integer seconds: {describe(resp)}"
    assert int(value) >= 1, f"Retry-After must be at least 1 s: {describe(resp)}"
    return int(value)


def test_repeated_failed_logins_back_off_with_429_even_for_the_right_password(nox, make_user):
    user = make_user(do_login=False)
    first_429 = None
    failures = 0
    for _ in range(MAX_FAILED_ATTEMPTS):
        resp = post_login(nox, user.username, "wrong-" + user.password)
        if resp.status_code == 429:
            first_429 = resp
            break
        assert_error(resp, 401)
        failures += 1
    assert first_429 is not None, f"no 429 after {failures} failed logins for {user.username}"
    assert failures >= 1, "429 before any failed login: the address was already backing off"
    assert_error(first_429, 429)
    wait = _retry_after(first_429)

    try:
        # While backing off, even the right password is refused with 429.
        right = post_login(nox, user.username, user.password)
        assert_error(right, 429)
        assert "access_token" not in right.text, describe(right)
        wait = _retry_after(right)
    finally:
        # Wait the backoff out, so the shared address is usable by the rest of the suite.
        deadline = time.monotonic() + MAX_BACKOFF_WAIT_S
        last = None
        while time.monotonic() < deadline:
            time.sleep(min(wait + 0.5, max(0.0, deadline - time.monotonic())))
            last = post_login(nox, user.username, user.password)
            if last.status_code != 429:
                break
            wait = _retry_after(last)

    assert last is not None and last.status_code == 200, (
        f"the backoff did not end within {MAX_BACKOFF_WAIT_S}s (last: {describe(last) if last is not None else None})"
    )
    assert_json(last, 200)


def test_address_is_free_again_once_the_backoff_has_passed(nox, make_user):
    """After the previous test waited its backoff out, other users log in normally."""
    other = make_user(do_login=False)
    resp = post_login(nox, other.username, other.password)
    assert resp.status_code == 200, f"address still backing off after Retry-After elapsed: {describe(resp)}"
