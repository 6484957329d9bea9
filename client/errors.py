"""Errors raised by the Python client.

Tree::

    DsrsClientError
    ├── ServiceUnreachableError   no connection after the bounded retries
    ├── ApiResponseError          the service answered 4xx / 5xx (``status_code``, ``detail``)
    ├── JobFailedError            a waited-for job ended ``failed`` or ``cancelled``
    └── JobTimeoutError           a waited-for job did not finish in time

Foreign exceptions (``httpx``) never escape the client: they are translated here.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiResponseError",
    "DsrsClientError",
    "JobFailedError",
    "JobTimeoutError",
    "ServiceUnreachableError",
    "error_from_response",
]


class DsrsClientError(Exception):
    """Base class of every error raised by :mod:`client`."""


class ServiceUnreachableError(DsrsClientError):
    """The service could not be reached (connection refused, DNS, timeouts)."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(
            f"cannot reach the dsrs service at {url} ({cause}); is it running? "
            "Start it with `dsrs serve`, or pass --url / set DSRS_URL."
        )
        self.url = url


class ApiResponseError(DsrsClientError):
    """The service refused or failed a request.

    Attributes
    ----------
    status_code : int
        HTTP status.
    detail : str
        The service's explanation (its ``detail`` field, or the body).
    method, url : str
        The request that failed.
    """

    def __init__(self, status_code: int, detail: str, method: str, url: str) -> None:
        super().__init__(f"{method} {url} failed with HTTP {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.method = method
        self.url = url


class JobFailedError(DsrsClientError):
    """A job ended without results for every input (``failed`` or ``cancelled``)."""

    def __init__(self, job_id: str, status: str, error: str | None) -> None:
        super().__init__(f"job {job_id} {status}" + (f": {error}" if error else ""))
        self.job_id = job_id
        self.status = status
        self.error = error


class JobTimeoutError(DsrsClientError):
    """A job was still queued or running when the wait ran out."""

    def __init__(self, job_id: str, timeout: float, status: str) -> None:
        super().__init__(f"job {job_id} still {status} after {timeout:g} s")
        self.job_id = job_id
        self.timeout = timeout
        self.status = status


def error_from_response(
    status_code: int, body: Any, text: str, method: str, url: str
) -> ApiResponseError:
    """Build an :class:`ApiResponseError` from an error response's parsed body or text."""
    detail: Any = text.strip() or "no detail"
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
    if isinstance(detail, list):  # FastAPI validation errors: [{loc, msg, ...}, ...]
        detail = "; ".join(_validation_message(item) for item in detail)
    return ApiResponseError(status_code, str(detail), method, url)


def _validation_message(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
    message = str(item.get("msg", item))
    return f"{location}: {message}" if location else message
