"""Response bodies of the HTTP API (not tables: see ``dsrs_store.tables``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from dsrs_client.contract.choices import Baseline, CheckOutcome, JobMode
from dsrs_client.contract.dataset_catalogue import BUILTIN_SPLITS, DATASET_NAMES, DATASETS
from dsrs_client.contract.defaults import DEFAULT_CONFIDENCE
from dsrs_client.contract.job_parameters import JobParameters
from dsrs_client.contract.job_status import FINAL_STATUSES, JOB_STATUSES, JobStatus

__all__ = [
    "AccuracyMetric",
    "CatalogueOut",
    "CertificateFigures",
    "CertifiedAccuracyRow",
    "ComparedJob",
    "Comparison",
    "DatasetOut",
    "EstimateOut",
    "InputSetOut",
    "Interval",
    "JobOut",
    "JobProgressOut",
    "JobTimings",
    "ModelOut",
    "PlanOut",
    "ResultsPage",
    "SampleOut",
    "SequentialSavingOut",
    "Summary",
    "catalogue",
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
    #: Draws (over the stored rows) whose logits were NaN or infinite: each counted as an
    #: abstention, against the class certified. A warning says so when it is not zero.
    non_finite_draws: int = 0


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
    baseline_extra_count: int | None = Field(
        default=None,
        description="Same-cost NP baseline (the job's 'baseline'): agreeing extra draws under P",
    )
    baseline_extra_n: int | None = Field(
        default=None,
        description="Same-cost NP baseline: extra draws under P (equal-budget: N, pooled with "
        "the P run; sequential-np: the draws its own sequential run used, not pooled)",
    )
    baseline_p_lower: float | None = Field(
        default=None,
        description="Same-cost NP baseline's lower bound at the full alpha (equal-budget: of "
        "the pooled 2N draws; sequential-np: of its own run at its stopping look)",
    )
    baseline_np_radius: float | None = Field(
        default=None, description="Same-cost NP baseline's radius"
    )
    baseline_look: int | None = Field(
        default=None, description="sequential-np baseline: the look its run stopped at"
    )
    check_outcome: CheckOutcome | None = Field(
        default=None,
        description="Proof mode (check: proven; docs/math.md §7.5): proven (np_radius "
        "itself), fell back (the smaller proven_np_radius is proven), not proven (np_radius "
        "stands verified only: no enclosure above 1/2 or the deadline passed), not covered "
        "(outside proof mode's scope: proof_reason); null for check: verified",
    )
    proven_np_radius: float | None = Field(
        default=None, description="Proof mode: the NP radius proven (null: none)"
    )
    proof_margin_lower: float | None = Field(
        default=None,
        description="Proof mode: lower end of the interval enclosure of the NP dual bound "
        "minus 1/2 at the last radius tried (> 0 for a proven radius)",
    )
    proof_margin_upper: float | None = Field(
        default=None, description="Proof mode: upper end of that enclosure minus 1/2"
    )
    proof_seconds: float | None = Field(
        default=None, description="Proof mode: CPU seconds of this input's proof"
    )
    proof_reason: str | None = Field(
        default=None,
        description="Proof mode: why not proven or not covered (and that a DSRS radius "
        "stays verified)",
    )
    reason: str
    elapsed_s: float

    @computed_field(  # type: ignore[prop-decorator]
        description="Forward passes this input used: P draws, Q draws and the equal-budget "
        "extra draws (a sequential input stops early; selection draws are not counted)"
    )
    @property
    def draws_used(self) -> int:
        return self.p_n + (self.q_n or 0) + (self.baseline_extra_n or 0)


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
        default=None,
        description="The same-cost NP baseline named by the summary's 'baseline': "
        "equal-budget (2N draws under P, full alpha) or sequential-np (an independent "
        "sequential NP run, budget 2N, full alpha)",
    )
    np_interval: Interval | None = None
    dsrs_interval: Interval | None = None
    np_equal_budget_interval: Interval | None = None


#: What a summary's figures are: certified accuracy (every input labelled) or the
#: fraction certified.
AccuracyMetric = Literal["certified_accuracy", "certified_fraction"]


class Summary(BaseModel):
    job_id: str
    status: JobStatus
    samples: int
    total: int
    labelled: bool = Field(
        description="True when every sample has a label: values are certified accuracy; "
        "otherwise the fraction certified at each radius."
    )
    metric: AccuracyMetric
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
    baseline: Baseline = Field(
        default="same-run",
        description="The NP baseline that acr_gain is against: equal-budget (2N draws under "
        "P at the full alpha, the DSRS paper's) or sequential-np (sequential jobs: an "
        "independent sequential NP run, budget 2N, full alpha) when the job has it — its "
        "figures are the *_equal_budget fields — else same-run (the job's own N draws under "
        "P at the P share of alpha, which overstates the gain)",
    )
    acr_gain: float | None = Field(
        default=None, description="ACR of DSRS minus ACR of the NP baseline named in 'baseline'"
    )
    confidence: float = DEFAULT_CONFIDENCE
    interval_methods: dict[str, str] = Field(default_factory=dict)
    forward_passes: int = Field(
        default=0, description="Forward passes of the base classifier used by these samples."
    )
    forward_passes_baseline: int = Field(
        default=0,
        description="Of forward_passes, those the same-cost NP baseline's own draws used "
        "(equal-budget or sequential-np); the rest are the job's certificate's",
    )
    forward_passes_budget: int = Field(
        default=0,
        description="What fixed-N sampling spends on them (n_selection + n + n per input); "
        "sequential jobs stop inputs short of it.",
    )
    proof_outcomes: dict[CheckOutcome, int] | None = Field(
        default=None,
        description="Proof mode (check: proven): inputs per outcome of their NP radius's "
        "proof (proven, fell back, not proven, not covered); null for check: verified",
    )


class SequentialSavingOut(BaseModel):
    """Predicted cost of one input under sequential sampling in target-radius form, on the
    typical path of its agreement rate (``dsrs_core.evaluation.budget_plan.SequentialSaving``)."""

    model_config = ConfigDict(from_attributes=True)

    p_agreement: float = Field(description="Probability that a draw agrees (under P and Q)")
    forward_passes: int = Field(description="P and Q draws used on the typical path")
    budget: int = Field(description="What fixed N spends: n, or 2n with Q")
    fraction: float = Field(description="forward_passes / budget")
    certified: bool = Field(description="Whether the input ends certified at the target")


class PlanOut(BaseModel):
    """Largest radii certifiable when every draw agrees, and the cost per input: the fields
    of the engine's ``dsrs_core.evaluation.budget_plan.BudgetPlan``, read from it by name."""

    model_config = ConfigDict(from_attributes=True)

    np_max_radius: float | None = Field(
        description="Null when the service's CPU budget for one plan ran out first (a "
        "warning says so)"
    )
    np_baseline: str = Field(description="What np_max_radius is: NP with N draws at full alpha")
    np_equal_budget_max_radius: float | None = Field(
        description="DSRS plans: NP with 2N draws under P at the full alpha (the paper's "
        "equal-budget baseline)"
    )
    np_equal_budget_baseline: str | None
    dsrs_max_radius: float | None
    forward_passes_per_input: int
    best_p_lower: float
    best_q_lower: float | None
    dimension: int
    warnings: list[str]
    target_radius: float | None = Field(
        default=None, description="The target radius of sequential_saving, when asked for"
    )
    sequential_saving: list[SequentialSavingOut] | None = Field(
        default=None,
        description="With target_radius: forward passes of sequential sampling (target-radius "
        "form, docs/sequential.md) per input, by agreement rate, against the fixed-N budget",
    )


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
        "the P share of alpha; equal-budget: 2N draws under P at the full alpha; "
        "sequential-np: an independent sequential NP run, budget 2N, full alpha)"
    )
    accuracy: list[EstimateOut] = Field(description="Certified accuracy at each table radius")
    acr: EstimateOut
    curve: list[float] = Field(description="Certified accuracy at each curve radius")


class ComparedJob(BaseModel):
    job_id: str
    label: str = Field(
        description="The job's name, else a short description of P, Q and N (with the id "
        "prefix when two compared jobs would share a label)"
    )
    status: str
    mode: str
    samples: int = Field(description="Result rows the job holds (one per input certified)")
    compared_inputs: int = Field(
        description="Inputs its figures are computed on: those every compared job has "
        "(inputs=common), or all of its own (inputs=own)"
    )
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
    inputs: Literal["common", "own"] = Field(
        description="common: every job on the inputs all compared jobs have (the default); "
        "own: every job on all of its own inputs"
    )
    common_inputs: int = Field(description="Inputs every compared job has")
    inputs_note: str = Field(description="Which inputs the figures use, and each job's count")
    jobs: list[ComparedJob]
    notes: list[str] = Field(
        default_factory=list,
        description="What a reader must know to compare these jobs fairly (e.g. a "
        "target-form sequential job's ACR next to a fixed-N job's)",
    )


class DatasetOut(BaseModel):
    name: str
    input_shape: list[int] = Field(description="C×H×W of one input")
    num_classes: int
    splits: dict[str, int] = Field(description="Built-in splits a job may name: their sizes")
    on_server: bool = Field(
        default=True, description="Its files are on this server (a job may name it); digits always"
    )


class CatalogueOut(BaseModel):
    """What a client may name (``GET /v1/catalogue``), from :mod:`.job_status` and
    :mod:`.dataset_catalogue`: the dashboard reads it instead of keeping copies."""

    job_statuses: list[JobStatus]
    final_statuses: list[JobStatus] = Field(description="Nothing changes after these")
    datasets: list[DatasetOut] = Field(description="The datasets a job may name")


def catalogue() -> CatalogueOut:
    """The catalogue, built from the contract's status names and dataset catalogue."""
    return CatalogueOut(
        job_statuses=list(JOB_STATUSES),
        final_statuses=list(FINAL_STATUSES),
        datasets=[
            DatasetOut(
                name=name,
                input_shape=list(DATASETS[name].input_shape),
                num_classes=DATASETS[name].num_classes,
                splits={s.split: s.size for s in BUILTIN_SPLITS.values() if s.dataset == name},
            )
            for name in DATASET_NAMES
        ],
    )
