"""Settings every role reads: where the database, the broker, the files and the datasets
are, how jobs are cut into chunks and queued, and the limits of the sandbox that inspects
uploads (the API at upload, a worker before it loads a model). Composed with the API's and
the worker's into :class:`dsrs_settings.Settings`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SharedSettings"]


class SharedSettings(BaseSettings):
    """Environment variable = ``DSRS_`` + field name, upper case."""

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
    datasets_dir: Path = Field(
        default=Path("var/datasets"),
        description="Where MNIST / CIFAR-10 files already lie (never downloaded).",
    )
    database_pool_size: int = Field(
        default=20,
        gt=0,
        description="Database connections kept per process (PostgreSQL); the API serves at "
        "most this many requests at once per process and queues the rest.",
    )
    queue: str = Field(default="dsrs", min_length=1, description="Celery queue name.")
    chunk_size: int = Field(
        default=16, gt=0, description="Samples per worker task; several workers share a job."
    )
    model_load_timeout_s: float = Field(
        default=120.0, gt=0, description="Time allowed to validate and load a model."
    )
    model_load_memory_bytes: int = Field(
        default=8 * 1024**3,
        gt=0,
        description="Address-space limit of the process that validates an uploaded model.",
    )

    @field_validator("storage_dir", "datasets_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        """Resolved once, here: a relative default means the directory the process started
        in, and every later reader (a child process, a thread that changed directory) gets
        the same absolute path."""
        return Path(os.path.abspath(path.expanduser()))

    @property
    def embedded(self) -> bool:
        """True when jobs run in-process (no broker configured)."""
        return self.broker_url is None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.storage_dir / 'dsrs.sqlite3').resolve()}"
