"""Service settings, read from ``DSRS_*`` environment variables by :func:`load_settings`.

Nothing is read at import: the API, the worker and the command line call the factory and
pass the result on; tests build :class:`Settings` directly with the values they need.

With neither ``DSRS_DATABASE_URL`` nor ``DSRS_BROKER_URL`` set the service runs *embedded*:
SQLite in ``<storage_dir>/dsrs.sqlite3`` and jobs executed in-process by a background
thread through the same service function the Celery worker runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Every knob of the service. Environment variable = ``DSRS_`` + field name, upper case."""

    model_config = SettingsConfigDict(env_prefix="DSRS_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Unset: SQLite file under storage_dir.",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker, e.g. redis://host:6379/0. Unset: jobs run in-process.",
    )
    storage_dir: Path = Field(
        default=Path("var"), description="Uploaded models and arrays (and the SQLite file)."
    )
    max_upload_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Largest accepted upload (413 beyond)."
    )
    chunk_size: int = Field(
        default=16, gt=0, description="Samples per worker task; several workers share a job."
    )
    queue: str = Field(default="dsrs", min_length=1, description="Celery queue name.")
    task_soft_time_limit_s: int = Field(default=3000, gt=0)
    task_time_limit_s: int = Field(default=3600, gt=0)
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the base classifier runs in a worker."
    )
    torch_threads: int | None = Field(
        default=None, gt=0, description="torch intra-op threads per worker process."
    )
    datasets_dir: Path = Field(
        default=Path("var/datasets"),
        description="Where MNIST / CIFAR-10 files already lie (never downloaded).",
    )
    max_samples_per_job: int = Field(default=100_000, gt=0)
    max_draws_per_sample: int = Field(default=10_000_000, gt=0)

    @property
    def embedded(self) -> bool:
        """True when jobs run in-process (no broker configured)."""
        return self.broker_url is None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.storage_dir / 'dsrs.sqlite3').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (``DSRS_*``), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
