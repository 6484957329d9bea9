"""Request-scoped dependencies: everything comes from ``app.state``, set by the factory.

A database session is only handed out to an authenticated request, and a tenant's
session sees only the tenant's rows (:mod:`dsrs_store.tenancy`): a route cannot forget either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dsrs_api.authentication import Principal, authenticate
from dsrs_api.services.dispatch import JobDispatcher
from dsrs_settings import Settings
from dsrs_store.tenancy import scope_to_tenant

__all__ = ["get_dispatcher", "get_principal", "get_session", "get_settings"]


def get_principal(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    return principal


async def get_session(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> AsyncIterator[Session]:
    """A session for the request, closed on the event loop.

    Closed here rather than in a worker thread: with every thread of the pool waiting for
    a database connection, a connection held by a finished request must not need a thread
    to be given back, or the server deadlocks under load (each close is one quick
    ROLLBACK on a local connection).
    """
    session = request.app.state.session_factory()
    try:
        if principal.tenant_id is not None:
            scope_to_tenant(session, principal.tenant_id)
        yield session
    finally:
        session.close()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_dispatcher(request: Request) -> JobDispatcher:
    return request.app.state.dispatcher  # type: ignore[no-any-return]
