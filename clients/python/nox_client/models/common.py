"""What every result type shares: times, pages, and the raw JSON behind each object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Generic, Mapping, TypeVar

T = TypeVar("T")

__all__ = ["Page", "parse_time", "format_time", "raw_field"]


def raw_field() -> Any:
    """The ``raw`` attribute of every result: the JSON object it was made from, so fields a
    newer server adds are reachable before this client knows them."""
    return field(default_factory=dict, repr=False, compare=False)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time from the API (``2026-01-02T03:04:05.678Z``) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = text.replace("t", "T", 1) if "T" not in text else text
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_time(value: datetime | str) -> str:
    """A query parameter time: a string is sent as given; a naive datetime is taken as UTC."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``items`` and the ``next_cursor`` to pass for the next one
    (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None

    @classmethod
    def from_json(cls, body: Mapping[str, Any], item: Any) -> "Page[T]":
        return cls([item(x) for x in body.get("items") or []], body.get("next_cursor") or None)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
