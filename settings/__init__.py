"""Service settings, read from ``DSRS_*`` environment variables by :func:`load_settings`.

Nothing is read at import: the API, the worker and the command line call the factory and
pass the result on; tests build :class:`Settings` directly with the values they need.
Split by role: :mod:`~dsrs_settings.shared` (database, broker, files, chunks, upload
sandbox), :mod:`~dsrs_settings.api` and :mod:`~dsrs_settings.worker`;
:class:`Settings` is all of them, one object for a process that plays both roles (the
embedded service). The Celery task names both roles use: :mod:`dsrs_settings.task_names`.

With neither ``DSRS_DATABASE_URL`` nor ``DSRS_BROKER_URL`` set the service runs *embedded*:
SQLite in ``<storage_dir>/dsrs.sqlite3`` and jobs executed in-process by a background
thread through the same service function the Celery worker runs.
"""

from __future__ import annotations

from dsrs_settings.api import ApiSettings
from dsrs_settings.worker import WorkerSettings

__all__ = ["Settings", "load_settings"]


class Settings(ApiSettings, WorkerSettings):
    """Every knob of the service. Environment variable = ``DSRS_`` + field name, upper case."""


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (``DSRS_*``), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
