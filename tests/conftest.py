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
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.databases import (
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    migrated_database,
    scratch_database,
)

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", derandomize=False, deadline=None)
# `pytest --hypothesis-profile=fuzz` (make fuzz) overrides this after the conftest is read.
settings.load_profile("ci")

#: Fixtures that reach a service: a test that uses one (directly or through another fixture)
#: is marked ``services`` at collection, so that ``make test-fast`` (``-m "not services ..."``)
#: runs without PostgreSQL, Redis or a browser.
SERVICE_FIXTURES = frozenset({"postgres_server", "redis_url", "browser"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


# Tests build their settings explicitly; a developer's DSRS_* environment must not leak in.
for _name in [n for n in os.environ if n.startswith("DSRS_") and not n.startswith("DSRS_TEST_")]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL, after checking the server answers (run .ci/start-services if not)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
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


@pytest.fixture
def empty_postgres_database(postgres_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database with no schema, dropped after the test."""
    with scratch_database(postgres_server, "dsrs_empty") as url:
        yield url


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
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
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
