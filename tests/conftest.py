"""Shared fixtures of the service tests (store, api, worker, integration).

PostgreSQL and Redis are the real ones on 127.0.0.1 (``make test`` starts them through
``.ci/start-services``). Each test session works in its own freshly created database and
its own Celery queue, so concurrent runs do not collide; the database is dropped at the end.

Hypothesis runs under the profile ``ci`` unless told otherwise: derandomized (the examples
are a function of each test's source, the same on every run and machine), no example
database, no deadline (a slow, shared machine must not fail a test). ``make fuzz`` runs
the property tests under ``fuzz`` instead: fresh random examples on every run, kept in
the local ``.hypothesis/`` database; an example that fails there becomes an ``@example``
of its test, so that CI runs it from then on.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", derandomize=False, deadline=None)
# `pytest --hypothesis-profile=fuzz` (make fuzz) overrides this after the conftest is read.
settings.load_profile("ci")

POSTGRES_ADMIN_URL = os.environ.get(
    "DSRS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("DSRS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Tests build their settings explicitly; a developer's DSRS_* environment must not leak in.
for _name in [n for n in os.environ if n.startswith("DSRS_") and not n.startswith("DSRS_TEST_")]:
    del os.environ[_name]


def _admin_engine():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL, after checking the server answers (run .ci/start-services if not)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        pytest.fail(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable; run .ci/start-services ({error})"
        )
    finally:
        engine.dispose()
    return POSTGRES_ADMIN_URL


def create_database(admin_url: str, prefix: str) -> str:
    """Create a uniquely named database; returns its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = _admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def migrated_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A fresh database migrated to head, dropped on exit."""
    from dsrs_settings import Settings
    from dsrs_store.migrations import upgrade_to_head

    url = create_database(admin_url, prefix)
    upgrade_to_head(Settings(database_url=url))
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    with migrated_database(postgres_server, "dsrs_test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable; run .ci/start-services ({error})")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def embedded_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Embedded-mode settings (SQLite + in-process jobs) in a private directory."""
    from dsrs_settings import Settings

    return Settings(storage_dir=tmp_path / "var", chunk_size=3)


@pytest.fixture(scope="session")
def demo_weights() -> bytes:
    from dsrs_models.demo import DEMO_WEIGHTS_PATH

    return DEMO_WEIGHTS_PATH.read_bytes()


def unique_queue() -> str:
    return f"dsrs-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def empty_postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database with no schema, dropped after the test."""
    url = create_database(postgres_server, "dsrs_empty")
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def module_postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of one test module, dropped after it."""
    with migrated_database(postgres_server, "dsrs_module") as url:
        yield url


@pytest.fixture
def private_postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this test alone, dropped after it.

    For tests whose outcome depends on what else is stored (an upload of bytes another test
    already uploaded under the same tenant is answered 200 with that model, not 201).
    """
    with migrated_database(postgres_server, "dsrs_private") as url:
        yield url


# A test writes into tmp_path, never into the checkout: files that appear in the working tree
# during the run (untracked and not ignored) fail the session (a sweep run without --plot once
# committed its default plot, sweep-sweep.png, to the repository).
def _untracked_files() -> set[str] | None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, text=True, timeout=30, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # not a git checkout (an sdist, say): nothing to compare
    return set(listing.stdout.splitlines())


_UNTRACKED_AT_START: set[str] | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _UNTRACKED_AT_START
    _UNTRACKED_AT_START = _untracked_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    after = _untracked_files()
    if _UNTRACKED_AT_START is None or after is None:
        return
    created = sorted(after - _UNTRACKED_AT_START)
    if created:
        session.config.get_terminal_writer().line(
            f"tests wrote into the checkout (write under tmp_path instead): {created}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
