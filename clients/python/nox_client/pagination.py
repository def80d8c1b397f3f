"""Walking a paginated list (``{items, next_cursor}``) to its end."""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

from .errors import NoxError
from .models.common import Page

T = TypeVar("T")

__all__ = ["paginate"]


def paginate(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Yields every item of every page; ``fetch(cursor)`` gets one page (``None``: the first).

    Pages are fetched lazily, one when the previous is used up, so breaking out early costs
    nothing more. A server handing back a cursor it gave before would loop for ever: that
    is an error instead.
    """
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(cursor)
        yield from page.items
        cursor = page.next_cursor
        if not cursor:
            return
        if cursor in seen:
            raise NoxError(f"the server repeated the cursor {cursor!r}: the list would never end",
                           code="invalid_response")
        seen.add(cursor)
