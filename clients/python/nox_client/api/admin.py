"""``/api/admin/*``: users (create, list, show, change, delete) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Mapping

from ..models.auth import AuditEvent, Quotas, User
from ..models.common import Page, format_time
from ..pagination import paginate
from .base import UNSET, APIGroup, segment

__all__ = ["AdminAPI"]


def _quota_body(quotas: Quotas | Mapping[str, Any]) -> dict[str, Any]:
    return quotas.to_dict() if isinstance(quotas, Quotas) else dict(quotas)


class AdminAPI(APIGroup):
    """Needs an administrator (``admin:users``, ``admin:audit``)."""

    def create_user(self, username: str, password: str, role: str = "user", *,
                    quotas: Quotas | Mapping[str, Any] | None = None) -> User:
        """Creates a user; ``quotas`` overrides some of the server's defaults."""
        body: dict[str, Any] = {"username": username, "password": password, "role": role}
        if quotas is not None:
            body["quotas"] = _quota_body(quotas)
        return User.from_json(self._core.request_json("POST", "/api/admin/users", json=body))

    def list_users(self, *, limit: int | None = None, cursor: str | None = None) -> Page[User]:
        body = self._core.request_json("GET", "/api/admin/users", params={"limit": limit, "cursor": cursor})
        return Page.from_json(body, User.from_json)

    def iter_users(self, *, page_size: int | None = None) -> Iterator[User]:
        return paginate(lambda cursor: self.list_users(limit=page_size, cursor=cursor))

    def get_user(self, username: str) -> User:
        return User.from_json(self._core.request_json("GET", "/api/admin/users/" + segment(username)))

    def update_user(self, username: str, *, role: str = UNSET, password: str = UNSET,
                    quotas: Quotas | Mapping[str, Any] = UNSET, disabled: bool = UNSET) -> User:
        """Changes only what is given. ``quotas`` entries merge into the user's overrides; a
        quota given as ``None`` goes back to the server default."""
        body: dict[str, Any] = {}
        for name, value in (("role", role), ("password", password), ("disabled", disabled)):
            if value is not UNSET:
                body[name] = value
        if quotas is not UNSET:
            body["quotas"] = _quota_body(quotas)
        return User.from_json(self._core.request_json("PATCH", "/api/admin/users/" + segment(username), json=body))

    def set_quotas(self, username: str, **quotas: int | None) -> User:
        """``set_quotas("alice", memory_mb=512, disk_mb=None)``: ``None`` resets to the default."""
        return self.update_user(username, quotas=quotas)

    def disable_user(self, username: str) -> User:
        """A disabled user cannot sign in, and its tokens and keys are refused."""
        return self.update_user(username, disabled=True)

    def enable_user(self, username: str) -> User:
        return self.update_user(username, disabled=False)

    def delete_user(self, username: str) -> None:
        self._core.request("DELETE", "/api/admin/users/" + segment(username))

    def audit(self, *, user: str | None = None, action: str | None = None, since: datetime | str | None = None,
              until: datetime | str | None = None, limit: int | None = None,
              cursor: str | None = None) -> Page[AuditEvent]:
        """One page of audit events, newest first; ``user`` is the acting user."""
        params = {"user": user, "action": action, "since": format_time(since) if since is not None else None,
                  "until": format_time(until) if until is not None else None, "limit": limit, "cursor": cursor}
        return Page.from_json(self._core.request_json("GET", "/api/admin/audit", params=params), AuditEvent.from_json)

    def iter_audit(self, *, user: str | None = None, action: str | None = None, since: datetime | str | None = None,
                   until: datetime | str | None = None, page_size: int | None = None) -> Iterator[AuditEvent]:
        return paginate(lambda cursor: self.audit(user=user, action=action, since=since, until=until,
                                                  limit=page_size, cursor=cursor))
