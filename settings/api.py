"""Settings only the API reads: upload and job size limits, API keys and tenant quotas."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from dsrs_settings.shared import SharedSettings

__all__ = ["ApiSettings"]


class ApiSettings(SharedSettings):
    """Environment variable = ``DSRS_`` + field name, upper case."""

    max_upload_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Largest accepted upload (413 beyond)."
    )
    max_samples_per_job: int = Field(default=100_000, gt=0)
    max_draws_per_sample: int = Field(default=10_000_000, gt=0)
    plan_cpu_budget_s: float = Field(
        default=1.0,
        gt=0,
        description="CPU seconds GET /v1/plan and a job submission's warnings spend on one "
        "plan (the NP, DSRS and equal-budget radii and the sequential prediction while they "
        "fit); a part left out is null and a warning says so.",
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
    tenant_max_concurrent_uploads: int = Field(
        default=1,
        gt=0,
        description="Uploads of one tenant checked at once (429 beyond); keep it below the "
        "two sandbox children a process runs, so no tenant can hold them all.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a connection may take to send a request's line and headers "
        "(after connecting, or after its previous response); then it is closed.",
    )
    body_idle_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request body may stall between two of its parts (408).",
    )
    upload_probe_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Wall time (and CPU time) allowed to check one upload in the sandbox; "
        "a model or input file that takes longer is refused (422).",
    )
    tenant_max_forward_passes_per_job: int = Field(
        default=2_000_000_000,
        gt=0,
        description="Forward passes one job of a tenant may cost at most: inputs x draws per "
        "input (n under P, n under Q, n more for the equal-budget baseline, n_selection in "
        "predict mode); 429 beyond.",
    )
    tenant_max_forward_passes_in_flight: int = Field(
        default=4_000_000_000,
        gt=0,
        description="Forward passes a tenant's queued and running jobs may cost at most "
        "together (what is left of each); 429 beyond.",
    )

    @property
    def auth_required(self) -> bool:
        """Whether requests need an API key (the rule of ``auth='auto'`` is here)."""
        if self.auth != "auto":
            return self.auth == "required"
        embedded_sqlite = self.database_url is None and self.broker_url is None
        return not (embedded_sqlite and self.admin_api_key is None)
