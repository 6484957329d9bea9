"""When and how long the client waits before trying a request again."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["RetryPolicy"]

#: Statuses that mean "the service is there but not ready"; retried for GET only.
RETRIED_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff.

    Parameters
    ----------
    attempts : int
        Total tries of one request (1 = no retry).
    initial_delay : float
        Seconds before the second try; doubled each time.
    max_delay : float
        Longest wait between two tries.

    Notes
    -----
    A request that never reached the service (connection refused or timed out while
    connecting) is retried whatever its method. Other transport errors and 502/503/504
    answers are retried for ``GET`` only, which is idempotent: a ``POST`` that may have
    been received is never sent twice.
    """

    attempts: int = 4
    initial_delay: float = 0.25
    max_delay: float = 4.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))

    def retries_error(self, method: str, error: httpx.TransportError) -> bool:
        if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
            return True
        return method == "GET"

    def retries_status(self, method: str, status_code: int) -> bool:
        return method == "GET" and status_code in RETRIED_STATUSES

    def pause_after(
        self, method: str, attempt: int, outcome: httpx.Response | httpx.TransportError
    ) -> float | None:
        """Seconds to wait before trying again after try number ``attempt`` ended with
        ``outcome``, or None when that outcome is final (the one rule both clients follow)."""
        if attempt >= self.attempts:
            return None
        if isinstance(outcome, httpx.Response):
            retry = outcome.is_error and self.retries_status(method, outcome.status_code)
        else:
            retry = self.retries_error(method, outcome)
        return self.delay(attempt) if retry else None
