"""Engine and session factories (built on demand, never at import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from dsrs_settings.shared import SharedSettings
from dsrs_store.tenancy import install_tenant_scoping

__all__ = ["make_engine", "make_session_factory"]


def make_engine(settings: SharedSettings) -> Engine:
    """An engine for ``settings.resolved_database_url``.

    SQLite (the embedded mode) is shared between the API threads and the in-process job
    runner: WAL journal, a busy timeout and enforced foreign keys. PostgreSQL: a pool of
    ``database_pool_size`` connections (plus overflow for the in-process helpers), each
    checked with a ping before use, so a connection the server dropped is replaced.
    """
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            settings.storage_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.database_pool_size,
        max_overflow=max(2, settings.database_pool_size // 2),
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that can be scoped to a tenant (:func:`dsrs_store.tenancy.scope_to_tenant`)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    install_tenant_scoping(factory)
    return factory
