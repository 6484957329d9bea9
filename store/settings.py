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

from pydantic import Field, SecretStr
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
    database_pool_size: int = Field(
        default=20,
        gt=0,
        description="Database connections kept per process (PostgreSQL); the API serves at "
        "most this many requests at once per process and queues the rest.",
    )
    auth: Literal["auto", "required", "disabled"] = Field(
        default="auto",
        description="API keys: 'required', 'disabled', or 'auto' = disabled only for the "
        "embedded service (SQLite and no broker) without an admin key, required otherwise.",
    )
    admin_api_key: SecretStr | None = Field(
        default=None,
        description="The admin key (creates tenants and keys, sees everything); at least "
        "32 characters. Required when auth is required.",
    )
    tenant_max_jobs_in_flight: int = Field(
        default=4, gt=0, description="Queued + running jobs per tenant (429 beyond)."
    )
    tenant_max_samples_per_job: int = Field(
        default=10_000, gt=0, description="Inputs per job of a tenant (429 beyond)."
    )
    broker_visibility_timeout_s: int = Field(
        default=3900,
        gt=0,
        description="Seconds before a chunk taken by a worker that died is delivered "
        "again (Redis visibility timeout); longer than task_time_limit_s.",
    )
    chunk_lease_s: int = Field(
        default=60,
        ge=4,
        le=3600,
        description="A worker renews the lease of the chunk it runs every quarter of this; "
        "a chunk whose lease is this old (its worker died) is sent again.",
    )
    chunk_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="A chunk whose worker died this many times fails its job.",
    )
    job_time_limit_s: int = Field(
        default=86_400, gt=0, description="A job still unfinished this long after it "
        "started is marked failed."
    )
    model_load_timeout_s: float = Field(
        default=120.0, gt=0, description="Time allowed to validate and load a model."
    )
    model_load_memory_bytes: int = Field(
        default=8 * 1024**3,
        gt=0,
        description="Address-space limit of the process that validates an uploaded model.",
    )

    @property
    def auth_required(self) -> bool:
        """Whether requests need an API key (the rule of ``auth='auto'`` is here)."""
        if self.auth != "auto":
            return self.auth == "required"
        embedded_sqlite = self.database_url is None and self.broker_url is None
        return not (embedded_sqlite and self.admin_api_key is None)

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
