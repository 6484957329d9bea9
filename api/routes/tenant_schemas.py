"""Request and response bodies of ``/v1/tenants`` (admin only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from dsrs_client.contract import Text

__all__ = ["ApiKeyOut", "TenantCreate", "TenantOut"]


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    max_jobs_in_flight: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Default: DSRS_TENANT_MAX_JOBS_IN_FLIGHT"
    )
    max_samples_per_job: int | None = Field(
        default=None, ge=1, le=100_000_000, description="Default: DSRS_TENANT_MAX_SAMPLES_PER_JOB"
    )


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    max_jobs_in_flight: int | None
    max_samples_per_job: int | None
    created_at: datetime


class ApiKeyOut(BaseModel):
    """A new key. ``key`` is shown only in this answer; the service keeps its sha256."""

    id: str
    tenant_id: str
    prefix: str
    key: str
    created_at: datetime
