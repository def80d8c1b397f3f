"""Lists: one page at a time with its cursor, or every item through an iterator."""

from __future__ import annotations

import itertools

import pytest
from fakenox import ok

from nox_client import NoxError


def user(name: str) -> dict:
    return {"username": name, "role": "user", "quotas": {}, "disabled": False,
            "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05.5Z"}


def pages(*names_per_page: list[str]):
    """A handler serving the users in pages, following the ``cursor`` parameter."""
    def handler(request):
        cursor = request.url.params.get("cursor")
        index = int(cursor[1:]) if cursor else 0
        nxt = f"c{index + 1}" if index + 1 < len(names_per_page) else None
        return ok({"items": [user(n) for n in names_per_page[index]], "next_cursor": nxt})
    return handler


def test_iterating_follows_every_cursor(fake):
    fake.route("GET", "/api/admin/users", pages(["a", "b"], ["c", "d"], ["e"]))
    with fake.client() as nox:
        names = [u.username for u in nox.admin.iter_users(page_size=2)]
    assert names == ["a", "b", "c", "d", "e"]
    sent = [(r.url.params.get("limit"), r.url.params.get("cursor")) for r in fake.requests]
    assert sent == [("2", None), ("2", "c1"), ("2", "c2")]


def test_pages_are_fetched_only_when_needed(fake):
    fake.route("GET", "/api/admin/users", pages(["a", "b"], ["c", "d"], ["e"]))
    with fake.client() as nox:
        first_three = list(itertools.islice(nox.admin.iter_users(), 3))
    assert [u.username for u in first_three] == ["a", "b", "c"]
    assert len(fake.requests) == 2


def test_one_page_with_its_cursor(fake):
    fake.route("GET", "/api/admin/users", pages(["a"], ["b"]))
    with fake.client() as nox:
        page = nox.admin.list_users(limit=1)
        assert [u.username for u in page] == ["a"] and len(page) == 1 and page.next_cursor == "c1"
        last = nox.admin.list_users(limit=1, cursor=page.next_cursor)
    assert [u.username for u in last.items] == ["b"] and last.next_cursor is None
    assert last.items[0].updated_at.microsecond == 500000


def test_unset_parameters_are_not_sent(fake):
    fake.route("GET", "/api/files", ok({"items": [], "next_cursor": None}))
    with fake.client() as nox:
        nox.files.list()
    assert str(fake.requests[0].url) == "https://nox.test/api/files"


def test_a_repeated_cursor_is_an_error_not_an_endless_loop(fake):
    fake.route("GET", "/api/keys", ok({"items": [], "next_cursor": "same"}))
    with fake.client() as nox, pytest.raises(NoxError) as info:
        list(nox.keys.iter())
    assert info.value.code == "invalid_response"
    assert len(fake.requests) == 2


@pytest.mark.parametrize("method,path,call", [
    ("GET", "/api/keys", lambda nox: nox.keys.iter()),
    ("GET", "/api/files", lambda nox: nox.files.iter("src", recursive=True)),
    ("GET", "/api/backups", lambda nox: nox.backups.iter()),
    ("GET", "/api/history", lambda nox: nox.exec.iter_history(status="failed")),
    ("GET", "/api/admin/audit", lambda nox: nox.admin.iter_audit(action="auth.login")),
])
def test_every_list_has_an_iterator(fake, method, path, call):
    fake.route(method, path, ok({"items": [], "next_cursor": "n1"}), ok({"items": [], "next_cursor": None}))
    with fake.client() as nox:
        assert list(call(nox)) == []
    assert [r.url.params.get("cursor") for r in fake.requests] == [None, "n1"]
