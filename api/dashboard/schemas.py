"""Response bodies of the dashboard's read endpoints (``/v1/dashboard/...``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dsrs_client.contract import (
    AccuracyMetric,
    Baseline,
    CertifiedAccuracyRow,
    CheckOutcome,
    JobOut,
    SampleOut,
)

__all__ = ["Curve", "GainHistogram", "JobList", "Overview", "SampleTablePage"]


class Curve(BaseModel):
    """Certified accuracy (or fraction) against radius, on a uniform grid of radii."""

    radius: list[float]
    np: list[float]
    dsrs: list[float] | None
    np_equal_budget: list[float] | None = None


class GainHistogram(BaseModel):
    """How much DSRS adds to the NP radius, over the inputs that count at radius 0."""

    eligible: int = Field(description="Inputs certified (and correct, with labels) by NP or DSRS")
    unchanged: int = Field(description="Eligible inputs where DSRS's radius is not larger")
    improved: int
    edges: list[float] = Field(description="Bin edges of the positive gains (len = counts + 1)")
    counts: list[int]
    mean_gain: float
    max_gain: float


class Overview(BaseModel):
    job_id: str
    status: str
    samples: int
    total: int
    labelled: bool
    metric: AccuracyMetric
    uses_q: bool
    abstained: int
    abstain_rate: float
    clean_accuracy: float | None = Field(
        description="Labelled inputs whose label is the smoothed classifier's top class "
        "(predict: the selection's top class; evaluate: more than half the P draws)"
    )
    acr_np: float
    acr_dsrs: float | None
    acr_np_equal_budget: float | None = Field(
        default=None, description="Equal-budget NP baseline (2N draws under P, full alpha)"
    )
    baseline: Baseline = Field(
        default="same-run", description="The NP baseline the headline DSRS gain is against"
    )
    max_radius_np: float
    max_radius_dsrs: float | None
    curve: Curve
    table: list[CertifiedAccuracyRow]
    gain: GainHistogram | None
    forward_passes: int = Field(
        default=0, description="Forward passes used by the certified inputs"
    )
    forward_passes_budget: int = Field(
        default=0, description="What fixed-N sampling spends on them; sequential jobs stop short"
    )
    proof_outcomes: dict[CheckOutcome, int] | None = Field(
        default=None,
        description="Proof mode (check: proven): inputs per outcome of their NP radius's "
        "proof; null for check: verified",
    )


class SampleTablePage(BaseModel):
    job_id: str
    total: int = Field(description="Rows that match the filter")
    offset: int
    limit: int
    sort: str
    order: Literal["asc", "desc"]
    items: list[SampleOut]


class JobList(BaseModel):
    items: list[JobOut]
    models: dict[str, str] = Field(description="Model id to name, for the listed jobs")
