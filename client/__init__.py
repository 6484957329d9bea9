"""Python client of the dsrs HTTP API: :class:`DsrsClient` (sync) and
:class:`AsyncDsrsClient` (asyncio), typed with the API's own schemas (:mod:`dsrs_api.schemas`).

Importing the client imports neither torch nor FastAPI.
"""

from __future__ import annotations

from dsrs_client.async_client import AsyncDsrsClient
from dsrs_client.errors import (
    ApiResponseError,
    DsrsClientError,
    JobFailedError,
    JobTimeoutError,
    ServiceUnreachableError,
)
from dsrs_client.retry_policy import RetryPolicy
from dsrs_client.sync_client import DEFAULT_URL, DsrsClient

__all__ = [
    "DEFAULT_URL",
    "ApiResponseError",
    "AsyncDsrsClient",
    "DsrsClient",
    "DsrsClientError",
    "JobFailedError",
    "JobTimeoutError",
    "RetryPolicy",
    "ServiceUnreachableError",
]
