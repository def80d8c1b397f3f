"""When and how long to wait before sending a request again.

Nox answers ``429`` when a user is over their ``requests_per_minute`` quota (or logins back
off) and ``503`` when it is overloaded (a full run queue, a daemon out of descriptors, a
dependency restarting). Both mean "not done, try later", usually with ``Retry-After``; the
request had no effect, so even a ``POST`` may be sent again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries with exponential backoff, honouring ``Retry-After``, bounded.

    Attributes:
        max_retries: how many times one request is sent again (0 disables retrying).
        statuses: the HTTP statuses that are retried.
        backoff_base: the first wait (seconds) when the server sent no ``Retry-After``;
            it doubles on each retry …
        backoff_max: … up to this.
        max_retry_after: the longest ``Retry-After`` waited out; a server asking for longer
            gets its error raised at once (the caller sees ``.retry_after``).
        jitter: spread waits without ``Retry-After`` by up to this fraction (so many clients
            do not come back in step).
        sleep: how to wait (injectable for tests).
        random: a source of ``[0, 1)`` numbers for the jitter (injectable for tests).
    """

    max_retries: int = 3
    statuses: frozenset[int] = frozenset({429, 503})
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    jitter: float = 0.1
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    @classmethod
    def disabled(cls) -> "RetryPolicy":
        return cls(max_retries=0)

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (0-based), or ``None`` to give up."""
        if attempt >= self.max_retries:
            return None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return retry_after
        wait = min(self.backoff_max, self.backoff_base * (2 ** attempt))
        if self.jitter:
            wait *= 1 + self.jitter * (2 * self.random() - 1)
        return max(0.0, wait)
