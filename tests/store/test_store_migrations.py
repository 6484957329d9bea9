"""Alembic on the real PostgreSQL: upgrade from an empty database, downgrade to base, and
the migrated schema matches the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from dsrs_settings import Settings
from dsrs_store.migrations import downgrade_to_base, upgrade_to_head
from dsrs_store.tables import Base

TABLES = {"models", "input_sets", "jobs", "samples", "tenants", "api_keys", "chunk_leases"}


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_then_downgrade_base(empty_postgres_database: str) -> None:
    settings = Settings(database_url=empty_postgres_database)
    assert table_names(empty_postgres_database) == set()
    upgrade_to_head(settings)
    assert table_names(empty_postgres_database) == TABLES | {"alembic_version"}
    downgrade_to_base(settings)
    assert table_names(empty_postgres_database) == {"alembic_version"}
    upgrade_to_head(settings)  # and up again
    assert table_names(empty_postgres_database) >= TABLES


def test_migrated_schema_matches_the_declared_tables(empty_postgres_database: str) -> None:
    upgrade_to_head(Settings(database_url=empty_postgres_database))
    engine = create_engine(empty_postgres_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_embedded_sqlite_migrates_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(storage_dir=tmp_path)
    upgrade_to_head(settings)
    assert table_names(settings.resolved_database_url) >= TABLES
    downgrade_to_base(settings)
    assert table_names(settings.resolved_database_url) == {"alembic_version"}


def test_dsrs_migrate_command(empty_postgres_database: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DSRS_")},
        "DSRS_DATABASE_URL": empty_postgres_database,
    }
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dsrs")), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "at head" in result.stdout
    assert table_names(empty_postgres_database) >= TABLES


def test_migrations_are_found_from_the_working_directory(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A non-editable install (the container image) finds alembic/ in its WORKDIR."""
    import pytest

    from dsrs_store import migrations
    from dsrs_store.errors import ConfigurationError

    checkout = migrations.PROJECT_ROOT
    monkeypatch.setattr(migrations, "PROJECT_ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(checkout)
    assert migrations.migrations_root() == checkout
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match=r"alembic\.ini"):
        migrations.migrations_root()


def test_schema_is_current(empty_postgres_database: str) -> None:
    from dsrs_store.migrations import schema_is_current

    engine = create_engine(empty_postgres_database)
    try:
        assert not schema_is_current(engine)
        upgrade_to_head(Settings(database_url=empty_postgres_database))
        assert schema_is_current(engine)
    finally:
        engine.dispose()
