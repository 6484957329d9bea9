"""Run Alembic programmatically (``dsrs migrate`` and the embedded mode's start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from alembic import command
from dsrs_settings.shared import SharedSettings
from dsrs_store.errors import ConfigurationError

__all__ = [
    "alembic_config",
    "downgrade_to_base",
    "migrations_root",
    "schema_is_current",
    "upgrade_to_head",
]

#: The checkout (editable install): alembic.ini and alembic/ sit beside the packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def migrations_root() -> Path:
    """The folder holding ``alembic.ini`` and ``alembic/``: the checkout of an editable
    install, else the working directory (the container image's WORKDIR)."""
    for candidate in (PROJECT_ROOT, Path.cwd()):
        if (candidate / "alembic.ini").is_file() and (candidate / "alembic").is_dir():
            return candidate
    raise ConfigurationError(
        f"alembic.ini and alembic/ not found in {PROJECT_ROOT} or {Path.cwd()}; run "
        "migrations from the project folder"
    )


def alembic_config(database_url: str) -> Config:
    root = migrations_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(settings: SharedSettings) -> None:
    if settings.resolved_database_url.startswith("sqlite:///"):
        settings.storage_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.resolved_database_url), "head")


def downgrade_to_base(settings: SharedSettings) -> None:
    command.downgrade(alembic_config(settings.resolved_database_url), "base")


def schema_is_current(engine: Engine) -> bool:
    """Whether the database's Alembic revision is the head of ``alembic/versions``."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string()))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())
