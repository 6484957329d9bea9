"""Run Alembic programmatically (``dsrs migrate`` and the embedded mode's start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from store.settings import Settings

__all__ = ["alembic_config", "downgrade_to_base", "upgrade_to_head"]

#: alembic.ini and alembic/ live at the root of the checkout (and of the container image).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(settings: Settings) -> None:
    if settings.resolved_database_url.startswith("sqlite:///"):
        settings.storage_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.resolved_database_url), "head")


def downgrade_to_base(settings: Settings) -> None:
    command.downgrade(alembic_config(settings.resolved_database_url), "base")
