"""``/healthz`` (the process answers) and ``/readyz`` (database reachable and migrated,
broker reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.types import Scope

from dsrs_store.migrations import schema_is_current

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """On the event loop, past admission control (:func:`is_liveness`): it answers while
    every database slot and worker thread is busy (slow uploads waiting for their probe)."""
    return {"status": "ok"}


def is_liveness(scope: Scope) -> bool:
    """``GET /healthz`` touches no database, so it never waits for a database slot."""
    return scope["method"] == "GET" and scope["path"] == "/healthz"


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with request.app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any driver error means "not ready"
        checks["database"] = f"unavailable: {type(error).__name__}"
    if checks["database"] == "ok":
        try:
            current = schema_is_current(request.app.state.engine)
            checks["schema"] = "ok" if current else "not at head: run dsrs migrate"
        except Exception as error:  # noqa: BLE001 - cannot tell means "not ready"
            checks["schema"] = f"unknown: {error}"
    try:
        request.app.state.dispatcher.ping()
        checks["broker"] = "ok" if not request.app.state.settings.embedded else "in-process"
    except Exception as error:  # noqa: BLE001 - any broker error means "not ready"
        checks["broker"] = f"unavailable: {type(error).__name__}"
    ready = all(value in ("ok", "in-process") for value in checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not ready", **checks},
    )
