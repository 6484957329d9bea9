"""Response bodies of the HTTP API (not tables: see ``dsrs_store.tables``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dsrs_client.contract.job_parameters import JobMode, JobParameters
from dsrs_client.contract.job_status import JobStatus

__all__ = [
    "CertifiedAccuracyRow",
    "InputSetOut",
    "JobOut",
    "JobProgressOut",
    "JobTimings",
    "ModelOut",
    "PlanOut",
    "ResultsPage",
    "SampleOut",
    "Summary",
]


class ModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    format: str
    architecture: str | None
    sha256: str
    size_bytes: int
    input_shape: list[int]
    num_classes: int
    mean: list[float] | None
    std: list[float] | None
    created_at: datetime


class InputSetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    format: str
    sha256: str
    size_bytes: int
    count: int
    sample_shape: list[int]
    has_labels: bool
    created_at: datetime


class JobProgressOut(BaseModel):
    done: int
    total: int
    fraction: float


class JobTimings(BaseModel):
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    wall_seconds: float | None
    sampling_seconds: float
    seconds_per_sample: float | None


class JobOut(BaseModel):
    id: str
    model_id: str
    status: JobStatus
    mode: JobMode
    inputs: dict[str, Any] = Field(
        description="The inputs' source, their count and the first indices."
    )
    parameters: JobParameters
    seed: int
    progress: JobProgressOut
    eta_seconds: float | None
    timings: JobTimings
    error: str | None


class SampleOut(BaseModel):
    """One certified input: its raw counts, seed, bounds and radii."""

    model_config = ConfigDict(from_attributes=True)

    sample_index: int
    dataset_index: int
    label: int | None
    counted_label: int
    prediction: int | None
    selection_counts: list[int] | None
    p_count: int
    p_n: int
    q_count: int | None
    q_n: int | None
    q_percentile: float | None
    q_fallback: bool
    p_look: int | None = Field(
        default=None,
        description="Sequential jobs: the look the P run stopped at (p_n = draws used).",
    )
    q_look: int | None = Field(
        default=None,
        description="Sequential jobs: the look the Q run stopped at (q_n = draws used).",
    )
    seed: int
    alpha: float
    p_lower: float
    p_upper: float
    q_lower: float | None
    q_upper: float | None
    np_radius: float
    dsrs_radius: float | None
    reason: str
    elapsed_s: float


class ResultsPage(BaseModel):
    job_id: str
    items: list[SampleOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class CertifiedAccuracyRow(BaseModel):
    radius: float
    np: float
    dsrs: float | None


class Summary(BaseModel):
    job_id: str
    status: JobStatus
    samples: int
    total: int
    labelled: bool = Field(
        description="True when every sample has a label: values are certified accuracy; "
        "otherwise the fraction certified at each radius."
    )
    metric: Literal["certified_accuracy", "certified_fraction"]
    abstain_rate: float
    certified_accuracy: list[CertifiedAccuracyRow]
    acr_np: float
    acr_dsrs: float | None
    forward_passes: int = Field(
        default=0, description="Forward passes of the base classifier used by these samples."
    )
    forward_passes_budget: int = Field(
        default=0,
        description="What fixed-N sampling spends on them (n_selection + n + n per input); "
        "sequential jobs stop inputs short of it.",
    )


class PlanOut(BaseModel):
    """Largest radii certifiable when every draw agrees, and the cost per input: the fields
    of the engine's ``dsrs_core.budget.BudgetPlan``, read from it by name."""

    model_config = ConfigDict(from_attributes=True)

    np_max_radius: float
    dsrs_max_radius: float | None
    forward_passes_per_input: int
    best_p_lower: float
    best_q_lower: float | None
    dimension: int
    warnings: list[str]
