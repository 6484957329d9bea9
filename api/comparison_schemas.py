"""Response body of ``GET /v1/compare``: several jobs side by side, with error bars."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["CertificateFigures", "ComparedJob", "Comparison", "EstimateOut"]


class EstimateOut(BaseModel):
    """A figure and its confidence interval over the test set (None: too few inputs)."""

    value: float
    lower: float | None
    upper: float | None


class CertificateFigures(BaseModel):
    name: str = Field(description="What the figures are, with the budget and alpha they use")
    kind: Literal["np", "dsrs"]
    baseline: str | None = Field(
        description="For NP figures: which NP baseline (same-run: the job's own P run at "
        "the P share of alpha; equal-budget: 2N draws under P at the full alpha)"
    )
    accuracy: list[EstimateOut] = Field(description="Certified accuracy at each table radius")
    acr: EstimateOut
    curve: list[float] = Field(description="Certified accuracy at each curve radius")


class ComparedJob(BaseModel):
    job_id: str
    label: str
    status: str
    mode: str
    samples: int
    total: int
    labelled: bool
    parameters: dict[str, Any]
    benign: EstimateOut | None = Field(
        description="Benign accuracy of the smoothed classifier (the paper's R = 0 column), "
        "not certified accuracy at 0; None without labels"
    )
    certificates: list[CertificateFigures]


class Comparison(BaseModel):
    radii: list[float] = Field(description="Radii of the table")
    curve_radii: list[float] = Field(description="Radii at which the curves are given")
    confidence: float
    accuracy_interval: str
    acr_interval: str
    jobs: list[ComparedJob]
