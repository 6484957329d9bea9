"""Request and response bodies of the HTTP API (not tables: see ``dsrs_store.tables``).

Request bodies only check types and names (unknown fields are refused); ranges are
checked once, by :mod:`dsrs_core.config`, whose messages say what is allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CertifiedAccuracyRow",
    "InputSetOut",
    "InputsIn",
    "JobCreate",
    "JobOut",
    "JobProgressOut",
    "JobTimings",
    "ModelOut",
    "NoiseIn",
    "QIn",
    "RadiusSearchIn",
    "ResultsPage",
    "SampleOut",
    "Summary",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class NoiseIn(Strict):
    """The smoothing distribution P. ``general-gaussian`` needs ``k`` (0 ≤ k < d/2; the
    DSRS paper's choices are d/2 − k ≈ 12 … 380); the Gaussian has none (0)."""

    family: Literal["gaussian", "general-gaussian"] = "gaussian"
    sigma: float
    k: int | None = None

    @model_validator(mode="after")
    def k_given_for_general_gaussian(self) -> NoiseIn:
        if self.family == "general-gaussian" and self.k is None:
            raise ValueError(
                "family 'general-gaussian' needs k (an integer, 0 <= k < d/2 for inputs of "
                "dimension d; k = 0 is a Gaussian-like radial law)"
            )
        if self.k is None:
            self.k = 0
        return self


class QIn(Strict):
    """DSRS's second distribution Q: exactly one of ``sigma`` or ``threshold``
    (a percentile in (0, 1), or the heuristics ``"x"`` / ``"x+"``)."""

    sigma: float | None = None
    threshold: float | Literal["x", "x+"] | None = None


class RadiusSearchIn(Strict):
    method: Literal["grid", "precise"] = "grid"
    unit: float = 0.05
    tolerance: float = 1e-4
    mode: Literal["exact", "original"] = "exact"


class InputsIn(Strict):
    """Which inputs to certify: a built-in dataset split, or an uploaded input set.

    Choose items with ``indices`` (explicit list) or ``start``/``stop``/``step``
    (a range; ``stop`` defaults to the end).
    """

    dataset: Literal["digits", "mnist", "cifar10"] | None = None
    split: Literal["train", "test"] = "test"
    input_set_id: str | None = None
    indices: list[int] | None = None
    start: int = 0
    stop: int | None = None
    step: int = 1

    @model_validator(mode="after")
    def one_source(self) -> InputsIn:
        if (self.dataset is None) == (self.input_set_id is None):
            raise ValueError("give exactly one of 'dataset' (built-in split) or 'input_set_id'")
        return self


class JobCreate(Strict):
    model_id: str
    inputs: InputsIn
    mode: Literal["predict", "evaluate"] = Field(
        default="evaluate",
        description="evaluate: count agreement with the given labels; predict: choose the "
        "class with n_selection draws and abstain when the bound fails.",
    )
    noise: NoiseIn
    q: QIn | None = Field(default=None, description="Omit for Neyman-Pearson only.")
    n_selection: int = 100
    n: int = Field(default=1000, description="Draws under P and (if q is set) under Q.")
    alpha: float = 0.001
    batch_size: int = 1000
    radius_search: RadiusSearchIn = RadiusSearchIn()
    seed: int | None = Field(default=None, description="0 <= seed < 2**63; random if omitted.")
    name: str | None = Field(default=None, max_length=200, description="A name to find it by.")
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=32, description="Labels to filter jobs by."
    )


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
    name: str | None = None
    tags: list[str] = []
    warnings: list[str] = Field(
        default=[], description="What looked wrong at submission; the job runs anyway."
    )
    model_id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    mode: str
    inputs: dict[str, Any]
    parameters: dict[str, Any]
    seed: int
    progress: JobProgressOut
    eta_seconds: float | None
    timings: JobTimings
    error: str | None


class SampleOut(BaseModel):
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
    status: str
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
