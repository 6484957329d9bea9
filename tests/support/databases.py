"""Scratch PostgreSQL databases: created with a unique name on the test server, migrated
when asked, and dropped (even with connections still open) when done.

The servers are the real ones on 127.0.0.1 unless ``DSRS_TEST_POSTGRES_URL`` and
``DSRS_TEST_REDIS_URL`` say otherwise (``.ci/start-services`` starts them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

POSTGRES_ADMIN_URL = os.environ.get(
    "DSRS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("DSRS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

__all__ = [
    "POSTGRES_ADMIN_URL",
    "REDIS_URL",
    "create_database",
    "drop_database",
    "migrated_database",
    "scratch_database",
]


def create_database(admin_url: str, prefix: str) -> str:
    """Create ``<prefix>_<random>`` on the server of ``admin_url``; return its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url``, ending its open connections."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        name = make_url(url).database
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A fresh, empty database (its URL), dropped on exit."""
    url = create_database(admin_url, prefix)
    try:
        yield url
    finally:
        drop_database(admin_url, url)


@contextmanager
def migrated_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A fresh database migrated to head (its URL), dropped on exit."""
    from dsrs_settings import Settings
    from dsrs_store.migrations import upgrade_to_head

    with scratch_database(admin_url, prefix) as url:
        upgrade_to_head(Settings(database_url=url))
        yield url
