"""Request and response bodies of the HTTP API (not tables: see ``dsrs_store.tables``).

Request bodies only check types and names (unknown fields are refused); ranges are
checked once, by :mod:`dsrs_core.config`, whose messages say what is allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CertifiedAccuracyRow",
    "InputSetOut",
    "InputsIn",
    "Interval",
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
    """The smoothing distribution P."""

    family: Literal["gaussian", "general-gaussian"] = "gaussian"
    sigma: float
    k: int = 0


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
    baseline: Literal["same-run", "equal-budget"] = Field(
        default="same-run",
        description="NP baseline of a DSRS job. same-run: NP from the job's own N draws under "
        "P (at the P share of alpha). equal-budget: also draw N more samples under P and "
        "certify the pooled 2N draws with NP at the full alpha, the DSRS paper's baseline "
        "(N more forward passes per input); the gain is then reported against it.",
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
    baseline_extra_count: int | None = Field(
        default=None, description="Equal-budget baseline: agreeing extra draws under P"
    )
    baseline_extra_n: int | None = Field(
        default=None, description="Equal-budget baseline: extra draws under P (N)"
    )
    baseline_p_lower: float | None = Field(
        default=None, description="Lower bound of the pooled 2N draws under P at the full alpha"
    )
    baseline_np_radius: float | None = Field(
        default=None, description="Equal-budget NP radius: NP from the pooled 2N draws"
    )
    reason: str
    elapsed_s: float


class ResultsPage(BaseModel):
    job_id: str
    items: list[SampleOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class Interval(BaseModel):
    """A confidence interval over the test set (None ends: too few inputs)."""

    lower: float | None
    upper: float | None


class CertifiedAccuracyRow(BaseModel):
    radius: float
    np: float = Field(description="NP from the job's own P run (the same-run baseline)")
    dsrs: float | None
    np_equal_budget: float | None = Field(
        default=None, description="Equal-budget NP baseline (2N draws under P, full alpha)"
    )
    np_interval: Interval | None = None
    dsrs_interval: Interval | None = None
    np_equal_budget_interval: Interval | None = None


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
    acr_np_equal_budget: float | None = None
    acr_np_interval: Interval | None = None
    acr_dsrs_interval: Interval | None = None
    acr_np_equal_budget_interval: Interval | None = None
    benign_accuracy: float | None = Field(
        default=None,
        description="Benign accuracy of the smoothed classifier (the paper's R = 0 column; "
        "not certified accuracy at 0); None without labels",
    )
    benign_accuracy_interval: Interval | None = None
    baseline: Literal["same-run", "equal-budget"] = Field(
        default="same-run",
        description="The NP baseline that acr_gain is against: equal-budget (2N draws under "
        "P at the full alpha, the DSRS paper's) when the job has it, else same-run (the "
        "job's own N draws under P at the P share of alpha, which overstates the gain)",
    )
    acr_gain: float | None = Field(
        default=None, description="ACR of DSRS minus ACR of the NP baseline named in 'baseline'"
    )
    confidence: float = 0.95
    interval_methods: dict[str, str] = Field(default_factory=dict)
