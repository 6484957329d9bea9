"""``/healthz`` (the process answers) and ``/readyz`` (database and broker reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with request.app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any driver error means "not ready"
        checks["database"] = f"unavailable: {type(error).__name__}"
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
