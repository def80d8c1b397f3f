"""Results of nox-exec: languages, run results, queued jobs, history, job events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Union

from .common import parse_time, raw_field

__all__ = [
    "Language", "RunResult", "HistoryItem", "JobRef", "OutputEvent", "StatusEvent", "JobEvent",
    "FINAL_STATUSES",
]

#: The statuses a run ends with (``queued`` and ``running`` are not final).
FINAL_STATUSES = frozenset({"succeeded", "failed", "timeout", "oom", "killed", "cancelled", "error"})


@dataclass(frozen=True)
class Language:
    """A language the server runs: send ``name`` (or an alias) as ``language``."""

    name: str
    version: str | None
    aliases: list[str]
    file_extension: str
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Language":
        return cls(d["name"], d.get("version"), list(d.get("aliases") or []), d.get("file_extension", ""), dict(d))


def _result_fields(d: Mapping[str, Any]) -> dict[str, Any]:
    return dict(
        id=d["id"], language=d.get("language", ""), status=d["status"], exit_code=d.get("exit_code"),
        signal=d.get("signal"), stdout=d.get("stdout") or "", stderr=d.get("stderr") or "",
        stdout_truncated=bool(d.get("stdout_truncated")), stderr_truncated=bool(d.get("stderr_truncated")),
        created_at=parse_time(d.get("created_at")), started_at=parse_time(d.get("started_at")),
        finished_at=parse_time(d.get("finished_at")), duration_ms=d.get("duration_ms"), cpu_ms=d.get("cpu_ms"),
        memory_peak_bytes=d.get("memory_peak_bytes"), error=d.get("error"), raw=dict(d),
    )


@dataclass(frozen=True)
class RunResult:
    """The result of a run. While ``queued``/``running`` the end fields are ``None`` and
    ``stdout``/``stderr`` empty (the output so far is in the job's events)."""

    id: str
    language: str
    status: str
    exit_code: int | None
    signal: str | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    cpu_ms: int | None
    memory_peak_bytes: int | None
    error: str | None
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "RunResult":
        return cls(**_result_fields(d))

    @property
    def final(self) -> bool:
        """The run is over (any status but ``queued`` and ``running``)."""
        return self.status in FINAL_STATUSES

    @property
    def ok(self) -> bool:
        """The program exited with status 0."""
        return self.status == "succeeded"


@dataclass(frozen=True)
class HistoryItem(RunResult):
    """A past job: its result plus whose it is and what it ran (``code`` or ``file``)."""

    username: str | None = None
    code: str | None = None
    file: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "HistoryItem":
        return cls(**_result_fields(d), username=d.get("username"), code=d.get("code"), file=d.get("file"))


@dataclass(frozen=True)
class JobRef:
    """A job and its status: the answer to an async submit (``queued``) or a cancel."""

    id: str
    status: str
    raw: dict = raw_field()

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "JobRef":
        return cls(d["id"], d.get("status", ""), dict(d))


@dataclass(frozen=True)
class OutputEvent:
    """A chunk of what the run wrote; ``stream`` is ``"stdout"`` or ``"stderr"``."""

    stream: str
    data: str


@dataclass(frozen=True)
class StatusEvent:
    """The last event of a job's stream: its final result."""

    result: RunResult


JobEvent = Union[OutputEvent, StatusEvent]
