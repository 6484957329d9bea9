"""The FastAPI application factory. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from dsrs_api.authentication import VerifiedKeys, authenticate, check_auth_configuration
from dsrs_api.dashboard.routes import install_dashboard
from dsrs_api.error_handlers import install_error_handlers
from dsrs_api.errors import InsecureConfigurationError
from dsrs_api.middleware.admission import ConcurrencyLimit, Slots
from dsrs_api.middleware.body_limit import BodySizeLimit
from dsrs_api.middleware.nul_guard import NulGuard
from dsrs_api.middleware.read_timeouts import BodyReadTimeout, uvicorn_options
from dsrs_api.middleware.security_headers import SecurityHeaders
from dsrs_api.routes import catalogue, compare, health, inputs, jobs, models, plan, tenants
from dsrs_api.routes.docs import install_api_docs
from dsrs_api.services.dispatch import JobDispatcher, make_dispatcher
from dsrs_api.services.response_cache import ResponseCache
from dsrs_api.services.upload_slots import UploadSlots
from dsrs_client.contract import ACTIVE_STATUSES
from dsrs_settings import Settings, load_settings
from dsrs_store import repository
from dsrs_store.chunks import chunk_count
from dsrs_store.database import make_engine, make_session_factory
from dsrs_store.migrations import upgrade_to_head

__all__ = ["create_app", "startup_problem", "uvicorn_options"]  # the served app's timeouts


def startup_problem(settings: Settings) -> str | None:
    """Why the API must not start with ``settings`` (an insecure auth configuration), or
    None; ``dsrs serve`` asks before it starts the server."""
    try:
        check_auth_configuration(settings)
    except InsecureConfigurationError as error:
        return str(error)
    return None


def create_app(
    settings: Settings | None = None, *, dispatcher: JobDispatcher | None = None
) -> FastAPI:
    """Build the API for ``settings`` (default: from ``DSRS_*`` environment variables).

    Embedded mode (no database URL): the SQLite schema is migrated to head here and jobs
    left unfinished by a previous run are queued again on the in-process runner.

    Raises :class:`dsrs_api.errors.InsecureConfigurationError` when API keys are required and
    the admin key is missing or a placeholder.
    """
    settings = settings or load_settings()
    check_auth_configuration(settings)
    engine = make_engine(settings)
    session_factory = make_session_factory(engine)
    if settings.database_url is None:
        upgrade_to_head(settings)
    dispatcher = dispatcher or make_dispatcher(settings, session_factory)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        dispatcher.close()
        engine.dispose()

    app = FastAPI(
        title="dsrs",
        summary="Certify L2 robustness with DSRS and the Neyman-Pearson certificate.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from installed assets by install_api_docs (offline)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.dispatcher = dispatcher
    app.state.verified_keys = VerifiedKeys()
    app.state.response_cache = ResponseCache()
    app.state.upload_slots = UploadSlots(settings.tenant_max_concurrent_uploads)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(BodyReadTimeout, idle_timeout_s=settings.body_idle_timeout_s)
    app.state.database_slots = Slots(settings.database_pool_size)
    app.add_middleware(
        ConcurrencyLimit,
        limit=settings.database_pool_size,
        slots=app.state.database_slots,
        exempt=lambda scope: health.is_liveness(scope) or jobs.admits_itself(scope),
    )
    app.add_middleware(NulGuard)
    app.add_middleware(SecurityHeaders)  # outermost: also on 413s and admission refusals
    app.include_router(health.router)
    # Every /v1 route is authenticated (a database session also requires it).
    for module in (
        models,
        inputs,
        jobs,
        compare,
        plan,
        tenants,
        catalogue,
    ):
        app.include_router(module.router, dependencies=[Depends(authenticate)])
    install_dashboard(app)
    install_api_docs(app)
    if settings.embedded:
        _resume_unfinished(session_factory, dispatcher)
    return app


def _resume_unfinished(session_factory, dispatcher: JobDispatcher) -> None:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        for status in ACTIVE_STATUSES:
            for job in repository.list_jobs(session, status=status, limit=10_000):
                dispatcher.enqueue(job.id, chunk_count(job.total, job.chunk_size))
