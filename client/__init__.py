"""Python client of the dsrs HTTP API: :class:`DsrsClient` (sync) and
:class:`AsyncDsrsClient` (asyncio), typed with the contract the service itself uses
(:mod:`dsrs_client.contract`).

The ``dsrs-client`` distribution depends on httpx and pydantic only: it imports no server
code, no FastAPI, SQLAlchemy or torch. Names are imported on first use, so that reading
``dsrs_client.contract.defaults`` imports neither httpx nor pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Where each name lives.
_HOME = {
    "DEFAULT_URL": "sync_client",
    "AsyncDsrsClient": "async_client",
    "DsrsClient": "sync_client",
    "RetryPolicy": "retry_policy",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOME.get(name, 'errors')}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
